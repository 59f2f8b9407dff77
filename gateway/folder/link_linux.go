package folder

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// linkAt links the regular file fromName of directory fromDir as name in directory toDir with
// linkat(2). linkat resolves each name within its directory only, follows no symbolic link
// at fromName (flags 0) and never one at name (an existing name fails with EEXIST): a symbolic
// link planted in either folder cannot redirect it. fromName is checked to be a regular file
// of group, the one a copy made in toDir would get (dirsAlike), before, and name to be a
// regular file after: something else swapped in between (a symbolic link would be linked as
// the link itself) is unlinked again.
func linkAt(fromDir *os.File, fromName string, toDir *os.File, name string, group uint32) error {
	from, to := int(fromDir.Fd()), int(toDir.Fd())
	var src unix.Stat_t
	if err := unix.Fstatat(from, fromName, &src, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "lstat", Path: fromName, Err: err} // ENOENT: ErrNotExist
	}
	if src.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%s: %w", fromName, ErrNotRegular)
	}
	if src.Gid != group {
		return fmt.Errorf("%w: files made there get group %d, the spooled file has group %d", ErrCannotLink, group, src.Gid)
	}
	err := unix.Linkat(from, fromName, to, name, 0)
	switch {
	case errors.Is(err, unix.EEXIST):
		return fmt.Errorf("%s: %w", name, ErrExist)
	case errors.Is(err, unix.EXDEV), errors.Is(err, unix.EPERM), errors.Is(err, unix.EOPNOTSUPP),
		errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EMLINK):
		return fmt.Errorf("%w: %w", ErrCannotLink, err)
	case errors.Is(err, unix.ENOENT):
		// Not ErrNotExist: fromName was there a moment ago, so one of the directories was
		// removed, or fromName, meanwhile; the next attempt will tell.
		return fmt.Errorf("link %s: it or a directory vanished meanwhile (%v)", fromName, err)
	case err != nil:
		return fmt.Errorf("link %s: %w", fromName, err)
	}
	// Checked by type, not by identity: a consumer of the folder may have taken the file
	// already (gone, or another file by now), and failing then would deposit it twice.
	var dst unix.Stat_t
	if err := unix.Fstatat(to, name, &dst, unix.AT_SYMLINK_NOFOLLOW); err == nil && dst.Mode&unix.S_IFMT != unix.S_IFREG {
		_ = unix.Unlinkat(to, name, 0)
		return fmt.Errorf("%s was replaced while it was linked; the link is undone: %w", fromName, ErrNotRegular)
	}
	return nil
}

// dirsAlike checks that a file of directory fromDir linked into toDir is what a copy made
// there would be, as far as who may read it, and returns the group such a copy gets (a
// set-group-ID directory gives its own, often the group of the folder's readers; else the
// process's): linkAt links only files of that group. The directories must hand down the
// same ACL and label. Otherwise linking would give the folder's readers another file than
// the copy they get today: ErrCannotLink.
func dirsAlike(fromDir, toDir *os.File) (group uint32, err error) {
	from, to := int(fromDir.Fd()), int(toDir.Fd())
	var dir unix.Stat_t
	if err := unix.Fstat(to, &dir); err != nil {
		return 0, fmt.Errorf("stat the folder: %w", err)
	}
	group = uint32(os.Getegid())
	if dir.Mode&unix.S_ISGID != 0 {
		group = dir.Gid
	}
	// What a new file takes from its directory besides its group: the default ACL (its
	// readers) and, under SELinux, the security label.
	for _, attr := range [...]string{"system.posix_acl_default", "security.selinux"} {
		a, err := dirAttr(from, attr)
		if err != nil {
			return 0, err
		}
		b, err := dirAttr(to, attr)
		if err != nil {
			return 0, err
		}
		if !bytes.Equal(a, b) {
			return 0, fmt.Errorf("%w: the folders hand down different %s to their files", ErrCannotLink, attr)
		}
	}
	return group, nil
}

// dirAttr returns the extended attribute attr of directory fd, nil if it has none.
func dirAttr(fd int, attr string) ([]byte, error) {
	buf := make([]byte, 1024)
	n, err := unix.Fgetxattr(fd, attr, buf)
	switch {
	case errors.Is(err, unix.ENODATA), errors.Is(err, unix.EOPNOTSUPP):
		return nil, nil
	case errors.Is(err, unix.ERANGE):
		return nil, fmt.Errorf("%w: %s too large to compare", ErrCannotLink, attr)
	case err != nil:
		return nil, fmt.Errorf("read %s of the folder: %w", attr, err)
	}
	return buf[:n], nil
}
