package folder

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// linkAt links the regular file fromName of directory fromDir as name in directory toDir with
// linkat(2). linkat resolves each name within its directory only, follows no symbolic link
// at fromName (flags 0) and never one at name (an existing name fails with EEXIST): a symbolic
// link planted in either folder cannot redirect it. fromName is checked to be a regular file
// before, and name to be one after: something else swapped in between (a symbolic link would
// be linked as the link itself) is unlinked again.
func linkAt(fromDir *os.File, fromName string, toDir *os.File, name string) error {
	from, to := int(fromDir.Fd()), int(toDir.Fd())
	var src unix.Stat_t
	if err := unix.Fstatat(from, fromName, &src, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "lstat", Path: fromName, Err: err} // ENOENT: ErrNotExist
	}
	if src.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%s: %w", fromName, ErrNotRegular)
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
