// Package folder is one interface over the directories Fluxgate reads from and writes to: a
// local directory or a directory on an SFTP server. Everything above it (claim, archive, ack,
// deposit) is written once against Folder.
package folder

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"time"
)

// FileInfo describes one entry of a folder. An entry that is neither a regular file nor a
// directory (a symbolic link, a named pipe, a socket, a device) has Size -1 and IsDir false,
// so that callers looking only at Size skip it; Kind says what it is.
type FileInfo struct {
	Name    string // slash-separated, relative to the folder root
	Size    int64
	ModTime time.Time
	IsDir   bool
	Kind    Kind
}

// Regular reports whether the entry is a regular file: the only kind Fluxgate ever opens.
func (fi FileInfo) Regular() bool { return fi.Kind == KindFile && !fi.IsDir && fi.Size >= 0 }

// Kind is what a folder entry is. The zero value is a regular file.
type Kind uint8

const (
	KindFile    Kind = iota // a regular file
	KindDir                 // a directory
	KindSymlink             // a symbolic link (or another reparse point): never followed
	KindFIFO                // a named pipe: opening it could wait for ever for a writer
	KindSocket              // a Unix socket
	KindDevice              // a block or character device
	KindOther               // anything else the system reports as irregular
)

// String names the kind for status pages and logs.
func (k Kind) String() string {
	switch k {
	case KindFile:
		return "regular file"
	case KindDir:
		return "directory"
	case KindSymlink:
		return "symbolic link"
	case KindFIFO:
		return "named pipe (FIFO)"
	case KindSocket:
		return "socket"
	case KindDevice:
		return "device"
	}
	return "special file"
}

// kindOfMode returns the kind of an entry from its mode.
func kindOfMode(m fs.FileMode) Kind {
	switch {
	case m&fs.ModeSymlink != 0:
		return KindSymlink
	case m.IsDir():
		return KindDir
	case m&fs.ModeNamedPipe != 0:
		return KindFIFO
	case m&fs.ModeSocket != 0:
		return KindSocket
	case m&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return KindDevice
	case m.IsRegular():
		return KindFile
	}
	return KindOther
}

// Folder is a directory tree rooted at a configured path. Every name is slash-separated and
// relative to the root; a name that would leave the root ("..", absolute, or through a
// symbolic link) is refused with ErrOutside.
type Folder interface {
	// List returns the entries of dir ("" or "." for the root), not recursively, sorted by name.
	// Symbolic links are not followed and are reported with IsDir false and Size -1 so that
	// callers can skip them.
	List(ctx context.Context, dir string) ([]FileInfo, error)
	Stat(ctx context.Context, name string) (FileInfo, error)
	// Open opens a regular file for reading. Anything else (a named pipe, a socket, a
	// device) is refused with ErrNotRegular, without ever waiting on it.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// WriteAtomic writes r under name so that no reader ever sees a partial file: it writes a
	// temporary file in the same directory, syncs it, then renames it over name.
	WriteAtomic(ctx context.Context, name string, r io.Reader) error
	// Rename moves from to to within the folder; it fails with ErrExist if to exists.
	Rename(ctx context.Context, from, to string) error
	Remove(ctx context.Context, name string) error
	MkdirAll(ctx context.Context, dir string) error
	// String names the folder for logs and acks (never with a secret in it).
	String() string
	Close() error
}

// Notifier is implemented by folders that can tell early that something changed (fsnotify
// for local folders). Watchers still rescan periodically: events get lost, and network
// shares send none.
type Notifier interface {
	Notify(ctx context.Context) (<-chan struct{}, error)
}

// Revalidator is implemented by folders that hold their directory open (local folders):
// the configured path may come to name another directory (the old one moved or removed and
// a new one made, a share mounted over it). Revalidate compares the identity of the
// directory at the configured path (device and inode; volume and file index on Windows)
// with the one held, and re-opens the folder at the path when they differ. It returns how
// many times the folder was re-opened so far: a caller that compares the counts before and
// after some writes knows whether they went into the directory now at the path. It fails
// when nothing usable is at the path (moved away, unmounted): nothing is written then.
type Revalidator interface {
	Revalidate(ctx context.Context) (reopens uint64, err error)
}

// Reconnector is implemented by folders on a server (SFTP). OnReconnect registers fn to be
// called (in a goroutine of its own) each time the connection comes back after it was lost
// or could not be made; while it is down, the folder tries to reconnect by itself with
// back-off. The returned function unregisters fn.
type Reconnector interface {
	OnReconnect(fn func()) (cancel func())
}

var (
	// ErrNotRegular is returned when opening an entry that is not a regular file (a named
	// pipe, a socket, a device): such entries are never read.
	ErrNotRegular = errors.New("not a regular file")
	// ErrOutside is returned for a name that would escape the folder root.
	ErrOutside = errors.New("path leaves the configured folder")
	// ErrExist is returned when a rename target exists already.
	ErrExist = errors.New("file exists already")
	// ErrNotExist is returned when a file does not exist.
	ErrNotExist = errors.New("file does not exist")
)

// ReadAll reads the whole of the file name in f.
func ReadAll(ctx context.Context, f Folder, name string) ([]byte, error) {
	rc, err := f.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// DirSyncer is a folder whose atomic writes can leave the sync of their directory to the
// caller, so that many writes into one directory share one directory sync (a local folder;
// an SFTP server has no directory sync to share).
type DirSyncer interface {
	// WriteAtomicNoDirSync is WriteAtomic without the directory sync: the file is synced
	// before it is renamed, so a name that survives a crash always holds the whole file;
	// the name itself survives a crash only once SyncDir of its directory returned.
	WriteAtomicNoDirSync(ctx context.Context, name string, r io.Reader) error
	// SyncDir makes the names written into dir durable.
	SyncDir(ctx context.Context, dir string) error
}
