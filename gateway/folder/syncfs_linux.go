package folder

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

func syncfs(f *os.File) error {
	return unix.Syncfs(int(f.Fd()))
}

// createAt writes data into the new file name of directory dir: openat(2) with O_EXCL and
// O_NOFOLLOW (an existing name, symbolic link or not, fails with EEXIST), then write and
// close, without the file being registered with Go's poller (a regular file gains nothing
// from it, and it costs four more system calls). On failure the file made is unlinked.
func createAt(dir *os.File, name string, data []byte) (err error) {
	d := int(dir.Fd())
	fd, err := unix.Openat(d, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o666)
	if err != nil {
		return &os.PathError{Op: "create", Path: name, Err: err}
	}
	defer func() {
		if cerr := unix.Close(fd); err == nil && cerr != nil {
			err = &os.PathError{Op: "close", Path: name, Err: cerr}
		}
		if err != nil {
			_ = unix.Unlinkat(d, name, 0)
		}
	}()
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "write", Path: name, Err: err}
		}
		data = data[n:]
	}
	return nil
}

// syncfsWorks reports whether the kernel reports write-back errors to syncfs (Linux 5.8 and
// later); an older one would let a failed write pass for durable. The kernel does not
// change under a running process, so it is asked once.
var syncfsWorks = sync.OnceValue(func() bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false
	}
	return kernelAtLeast(unix.ByteSliceToString(u.Release[:]), 5, 8)
})

// kernelAtLeast reports whether release ("6.1.0-18-amd64") is major.minor or later.
func kernelAtLeast(release string, major, minor int) bool {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return false
	}
	maj, err1 := strconv.Atoi(parts[0])
	mnr := parts[1]
	end := strings.IndexFunc(mnr, func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		mnr = mnr[:end]
	}
	mn, err2 := strconv.Atoi(mnr)
	if err1 != nil || err2 != nil {
		return false
	}
	return maj > major || maj == major && mn >= minor
}
