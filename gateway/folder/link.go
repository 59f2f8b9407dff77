package folder

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Linker is a folder that can give a file of another folder a second name in it without
// copying it (a hard link): a local folder, from a local folder on the same file system. The
// names it makes are durable once SyncDir returned (or a syncfs of its file system).
type Linker interface {
	DirSyncer
	// Link gives the regular file fromName of from the name name here, both base names (no
	// directory). The name appears at once with the whole content, or not at all; nothing is
	// synced. It fails with ErrExist if name exists (nothing is replaced), with ErrNotExist
	// only if fromName does not, with ErrCannotLink if these two folders cannot share a
	// file (other file systems, no hard links there, another kind of folder, not Linux) or
	// should not (a file made here would get another group, ACL or label): copy it then.
	Link(ctx context.Context, from Folder, fromName, name string) error
}

// ErrCannotLink is returned by Link when the two folders cannot share a file.
var ErrCannotLink = errors.New("cannot hard-link between these folders")

var _ Linker = (*Local)(nil)

// Link implements Linker with the directories both folders hold open, by base name: no path
// is resolved, so neither a symbolic link planted in either folder nor a directory renamed
// above them can redirect it (see linkAt).
func (l *Local) Link(ctx context.Context, from Folder, fromName, name string) error {
	what := fromName + " -> " + name
	if err := ctx.Err(); err != nil {
		return l.fail("link", what, err)
	}
	src, ok := from.(*Local)
	if !ok {
		return l.fail("link", what, fmt.Errorf("%w: %s is not a local folder", ErrCannotLink, from))
	}
	if !isBaseName(fromName) || !isBaseName(name) {
		return l.fail("link", what, fmt.Errorf("not a plain file name: %w", ErrOutside))
	}
	fromDir, err := src.root.Load().Open(".")
	if err != nil {
		return l.fail("link", what, fmt.Errorf("open %s: %w", src, err))
	}
	defer fromDir.Close()
	toDir, err := l.root.Load().Open(".")
	if err != nil {
		return l.fail("link", what, err)
	}
	defer toDir.Close()
	if err := linkAt(fromDir, fromName, toDir, name); err != nil {
		return l.fail("link", what, err)
	}
	return nil
}

// isBaseName reports whether name is a plain file name of the folder's root directory.
func isBaseName(name string) bool {
	clean, err := cleanName(name, false)
	return err == nil && clean == name && !strings.Contains(name, "/")
}
