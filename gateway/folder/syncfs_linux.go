package folder

import (
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

func syncfs(f *os.File) error {
	return unix.Syncfs(int(f.Fd()))
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
