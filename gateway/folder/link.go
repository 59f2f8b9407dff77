package folder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Linker is a folder that can give a file of another folder a second name in it without
// copying it (a hard link): a local folder, from a local folder on the same file system. The
// names it makes are durable once SyncDir returned (or a syncfs of its file system).
type Linker interface {
	DirSyncer
	// OpenLinks prepares links from the folder from into this one, for a series of them (a
	// deposit group): what is checked of the two directories is checked once. It fails
	// with ErrCannotLink if these two folders cannot share a file (other file systems, no
	// hard links there, another kind of folder, not Linux) or should not (a file made here
	// would get another group, ACL or label): copy then.
	OpenLinks(ctx context.Context, from Folder) (Links, error)
}

// Links makes links from one folder into another (Linker.OpenLinks). It is safe for use
// by several goroutines at once.
type Links interface {
	// Link gives the regular file fromName of the source folder the name name here, both
	// base names (no directory). The name appears at once with the whole content, or not
	// at all; nothing is synced. It fails with ErrExist if name exists (nothing is
	// replaced), with ErrNotExist only if fromName does not, with ErrCannotLink if the
	// file cannot or should not be shared (see OpenLinks): copy it then.
	Link(ctx context.Context, fromName, name string) error
	// Close releases the directories.
	Close() error
}

// ErrCannotLink is returned by Link when the two folders cannot share a file.
var ErrCannotLink = errors.New("cannot hard-link between these folders")

var _ Linker = (*Local)(nil)

// OpenLinks implements Linker with the directories of both folders held open while the
// links are made, by base name: no path is resolved, so neither a symbolic link planted in
// either folder nor a directory renamed above them can redirect a link (see linkAt). A
// folder moved meanwhile is the caller's to notice (Revalidator), as for any write.
func (l *Local) OpenLinks(ctx context.Context, from Folder) (Links, error) {
	if err := ctx.Err(); err != nil {
		return nil, l.fail("link", ".", err)
	}
	src, ok := from.(*Local)
	if !ok {
		return nil, l.fail("link", ".", fmt.Errorf("%w: %s is not a local folder", ErrCannotLink, from))
	}
	fromDir, err := src.root.Load().Open(".")
	if err != nil {
		return nil, l.fail("link", ".", fmt.Errorf("open %s: %w", src, err))
	}
	toDir, err := l.root.Load().Open(".")
	if err != nil {
		fromDir.Close()
		return nil, l.fail("link", ".", err)
	}
	k := &links{to: l, from: fromDir, dir: toDir}
	if k.group, err = dirsAlike(fromDir, toDir); err != nil {
		k.Close()
		return nil, l.fail("link", ".", err)
	}
	return k, nil
}

// Link links fromName of from as name here: OpenLinks for one link.
func (l *Local) Link(ctx context.Context, from Folder, fromName, name string) error {
	k, err := l.OpenLinks(ctx, from)
	if err != nil {
		return err
	}
	defer k.Close()
	return k.Link(ctx, fromName, name)
}

// links is the Links of a local folder.
type links struct {
	to        *Local
	from, dir *os.File
	group     uint32 // the group a file made in dir gets
}

func (k *links) Link(ctx context.Context, fromName, name string) error {
	what := fromName + " -> " + name
	if err := ctx.Err(); err != nil {
		return k.to.fail("link", what, err)
	}
	if !isBaseName(fromName) || !isBaseName(name) {
		return k.to.fail("link", what, fmt.Errorf("not a plain file name: %w", ErrOutside))
	}
	if err := linkAt(k.from, fromName, k.dir, name, k.group); err != nil {
		return k.to.fail("link", what, err)
	}
	return nil
}

func (k *links) Close() error {
	return errors.Join(k.from.Close(), k.dir.Close())
}

// isBaseName reports whether name is a plain file name of the folder's root directory.
func isBaseName(name string) bool {
	clean, err := cleanName(name, false)
	return err == nil && clean == name && !strings.Contains(name, "/")
}
