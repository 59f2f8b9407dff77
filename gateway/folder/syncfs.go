package folder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
)

// FSSyncer is a folder whose writes can be made durable all at once by one sync of its
// file system (Linux syncfs(2)) instead of one fsync per file: a chunk of files written
// unsynced, then one FSSync.Sync, costs one journal commit of the file system instead of
// one per file. The price: syncfs also writes back whatever else is dirty on that file
// system (other programs' files), so it pays for many small files, not for one.
//
// Only a local folder on Linux ≥ 5.8 offers it (before 5.8 syncfs did not report write-back
// errors, so a failed write could pass for durable); elsewhere (Windows, other unixes, SFTP,
// FLUXGATE_NO_SYNCFS=1) StartFSSync returns errors.ErrUnsupported and callers sync file by
// file (DirSyncer, WriteAtomic).
type FSSyncer interface {
	// StartFSSync opens the folder's file system for one Sync that covers the writes made
	// after it: write-back errors are reported to syncfs only if they happen after the
	// descriptor it syncs was opened, so it is opened before the writes, not after.
	StartFSSync(ctx context.Context) (*FSSync, error)
	// WriteTempUnsynced writes r into a new temporary file beside name (a name watchers
	// ignore and RemoveStaleTemps removes) without syncing it, and returns its name.
	WriteTempUnsynced(ctx context.Context, name string, r io.Reader) (tmp string, err error)
	// CommitTemp renames tmp, from WriteTempUnsynced, over name, without syncing anything;
	// on failure tmp is removed.
	CommitTemp(ctx context.Context, tmp, name string) error
}

// FSSync is one pending sync of a file system (see FSSyncer).
type FSSync struct {
	f    *os.File
	what string
}

// Sync writes back all dirty data and metadata of the file system and waits for it: when
// it returns nil, every file written and renamed on it since StartFSSync is durable, data
// and name. It may be called more than once.
func (s *FSSync) Sync() error {
	if err := syncfs(s.f); err != nil {
		return fmt.Errorf("folder %s: sync the file system: %w", s.what, err)
	}
	return nil
}

// Close releases the descriptor.
func (s *FSSync) Close() error { return s.f.Close() }

// Create writes data into a new file name (a plain name, no directory) of the folder
// StartFSSync was called on, unsynced: Sync makes it durable. Unlike WriteTempUnsynced and
// CommitTemp it makes no temporary file: the name exists, empty or partly written, while it
// is written, and a crash (a power loss before Sync) may leave it so. It is for files that
// nothing reads, nor refers to, before Sync returned (the spool's: see gateway/spool.go),
// and costs one file creation instead of a creation and a rename. A name that exists fails
// with ErrExist: nothing is replaced, and the file is always a new one (never written into
// after it is synced, so a hard link to it stays the same bytes). On failure nothing is
// left.
func (s *FSSync) Create(name string, data []byte) error {
	if !isBaseName(name) {
		return s.fail(name, fmt.Errorf("not a plain file name: %w", ErrOutside))
	}
	if err := createAt(s.f, name, data); err != nil {
		return s.fail(name, err)
	}
	return nil
}

func (s *FSSync) fail(name string, err error) error {
	return &PathError{Op: "write", Folder: s.what, Name: name, Kind: kindOf(err), Err: err}
}

var _ FSSyncer = (*Local)(nil)

// StartFSSync implements FSSyncer.
func (l *Local) StartFSSync(ctx context.Context) (*FSSync, error) {
	if err := ctx.Err(); err != nil {
		return nil, l.fail("sync", ".", err)
	}
	if l.noSyncFS || os.Getenv("FLUXGATE_NO_SYNCFS") == "1" || !syncfsWorks() {
		return nil, errors.ErrUnsupported
	}
	d, err := l.root.Load().Open(".")
	if err != nil {
		return nil, l.fail("sync", ".", err)
	}
	return &FSSync{f: d, what: l.path}, nil
}

// WriteTempUnsynced implements FSSyncer.
func (l *Local) WriteTempUnsynced(ctx context.Context, name string, r io.Reader) (string, error) {
	_, _, tmp, err := l.writeTemp(ctx, l.root.Load(), name, r, false)
	return tmp, err
}

// CommitTemp implements FSSyncer.
func (l *Local) CommitTemp(ctx context.Context, tmp, name string) error {
	root := l.root.Load()
	clean, fi, err := check(root, name, false)
	if err == nil && fi != nil && fi.IsDir() {
		err = errors.New("is a directory")
	}
	if err == nil && (!IsTempName(path.Base(tmp)) || path.Dir(tmp) != path.Dir(clean)) {
		err = fmt.Errorf("%s is not a temporary file beside it", tmp)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = root.Rename(tmp, clean)
	}
	if err != nil {
		if IsTempName(path.Base(tmp)) {
			_ = root.Remove(tmp)
		}
		return l.fail("write", name, err)
	}
	return nil
}
