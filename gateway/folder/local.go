package folder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/fsnotify/fsnotify"
)

// Local is a Folder over a local directory (or a mounted network share). All access goes
// through an os.Root, so no name can escape the root even if the tree changes under us;
// in addition every element of every name is checked with Lstat and symbolic links are
// refused with ErrOutside, even those that point inside the root. The root is held open, so
// a directory moved away keeps being used until Revalidate notices and re-opens the path.
type Local struct {
	path string
	root atomic.Pointer[os.Root] // the directory held; each operation loads it once
	log  *slog.Logger

	reopenMu sync.Mutex // one Revalidate at a time
	noSyncFS bool       // tests: StartFSSync unsupported, as off Linux

	mu       sync.Mutex
	closed   bool
	reopens  uint64
	retired  []*os.Root // roots replaced by Revalidate, closed by Close (operations may still use them)
	watchers map[*fsnotify.Watcher]struct{}
}

var (
	_ Folder      = (*Local)(nil)
	_ Notifier    = (*Local)(nil)
	_ Revalidator = (*Local)(nil)
)

// OpenLocal opens the directory root (made absolute). The directory must exist; root itself
// may be a symbolic link (the configured path is trusted, what is below it is not).
func OpenLocal(root string) (*Local, error) {
	if root == "" {
		return nil, errors.New("folder: empty path")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("folder %s: directory does not exist: %w", abs, ErrNotExist)
		}
		return nil, fmt.Errorf("folder %s: %w", abs, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("folder %s: not a directory", abs)
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", abs, err)
	}
	l := &Local{path: abs, log: slog.New(slog.DiscardHandler)}
	l.root.Store(r)
	return l, nil
}

// SetLogger makes the folder log its re-openings to log. Call it before the folder is used.
func (l *Local) SetLogger(log *slog.Logger) {
	if log != nil {
		l.log = log
	}
}

// Path returns the absolute path of the root directory.
func (l *Local) Path() string { return l.path }

// String returns the absolute path of the root directory.
func (l *Local) String() string { return l.path }

// Close releases the root and stops the watchers started by Notify.
func (l *Local) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	ws := l.watchers
	l.watchers = nil
	retired := l.retired
	l.retired = nil
	l.mu.Unlock()
	for w := range ws {
		w.Close()
	}
	for _, r := range retired {
		r.Close()
	}
	return l.root.Load().Close()
}

// Revalidate implements Revalidator: when the configured path names another directory than
// the one held (moved, re-created, mounted over), it re-opens the folder there, stops the
// change notifications of the old directory (Notify must be called again) and logs it.
func (l *Local) Revalidate(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, l.fail("revalidate", ".", err)
	}
	l.reopenMu.Lock()
	defer l.reopenMu.Unlock()
	l.mu.Lock()
	closed, n := l.closed, l.reopens
	l.mu.Unlock()
	if closed {
		return n, l.fail("revalidate", ".", fs.ErrClosed)
	}
	atPath, err := os.Stat(l.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return n, l.fail("revalidate", ".", fmt.Errorf("the configured directory is gone (moved, removed or unmounted); nothing is read or written until it is back: %w", ErrNotExist))
	case err != nil:
		return n, l.fail("revalidate", ".", err)
	case !atPath.IsDir():
		return n, l.fail("revalidate", ".", errors.New("the configured path is no longer a directory"))
	}
	old := l.root.Load()
	if held, err := old.Stat("."); err == nil && os.SameFile(held, atPath) {
		return n, nil
	}
	r, err := os.OpenRoot(l.path)
	if err != nil {
		return n, l.fail("revalidate", ".", err)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		r.Close()
		return n, l.fail("revalidate", ".", fs.ErrClosed)
	}
	l.root.Store(r)
	l.retired = append(l.retired, old)
	l.reopens++
	n = l.reopens
	ws := l.watchers
	l.watchers = nil
	l.mu.Unlock()
	for w := range ws {
		w.Close() // they watch the old directory
	}
	l.log.Warn("folder re-opened: its configured path names another directory now (moved, re-created or mounted); what is left in the old one is no longer seen",
		"folder", l.path)
	return n, nil
}

func (l *Local) fail(op, name string, err error) error {
	var pe *PathError
	if errors.As(err, &pe) {
		return err
	}
	return &PathError{Op: op, Folder: l.path, Name: name, Kind: kindOf(err), Err: err}
}

// check validates name under root and looks at every element of it that exists: a symbolic link (or
// another reparse point) anywhere is refused with ErrOutside, and an intermediate element
// that is not a directory makes the name not exist. Elements that do not exist are fine
// (the operation decides). It returns the cleaned name and the Lstat of the last element
// if it exists.
func check(root *os.Root, name string, allowRoot bool) (string, fs.FileInfo, error) {
	clean, err := cleanName(name, allowRoot)
	if err != nil {
		return "", nil, err
	}
	if clean == "." {
		fi, err := root.Lstat(".")
		return clean, fi, err
	}
	elems := strings.Split(clean, "/")
	for i := range elems {
		prefix := strings.Join(elems[:i+1], "/")
		fi, err := root.Lstat(prefix)
		if errors.Is(err, fs.ErrNotExist) {
			return clean, nil, nil
		}
		if err != nil {
			return "", nil, err
		}
		if fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
			return "", nil, fmt.Errorf("%s is a symbolic link: %w", prefix, ErrOutside)
		}
		last := i == len(elems)-1
		if last {
			return clean, fi, nil
		}
		if !fi.IsDir() {
			return "", nil, fmt.Errorf("%s is not a directory: %w", prefix, ErrNotExist)
		}
	}
	panic("unreachable")
}

func toFileInfo(name string, fi fs.FileInfo) FileInfo {
	info := FileInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime(), IsDir: fi.IsDir(), Kind: kindOfMode(fi.Mode())}
	if info.Kind != KindFile && info.Kind != KindDir {
		info.Size, info.IsDir = -1, false
	}
	return info
}

// notRegular is the error for opening an entry of mode m that is not a regular file.
func notRegular(m fs.FileMode) error {
	return fmt.Errorf("%w: it is a %s, which is never read", ErrNotRegular, kindOfMode(m))
}

// List implements Folder.
func (l *Local) List(ctx context.Context, dir string) ([]FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, l.fail("list", dir, err)
	}
	root := l.root.Load()
	clean, fi, err := check(root, dir, true)
	if err != nil {
		return nil, l.fail("list", dir, err)
	}
	if fi == nil {
		return nil, l.fail("list", dir, fs.ErrNotExist)
	}
	d, err := root.Open(clean)
	if err != nil {
		return nil, l.fail("list", dir, err)
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, l.fail("list", dir, err)
	}
	out := make([]FileInfo, 0, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			return nil, l.fail("list", dir, err)
		}
		name := e.Name()
		if clean != "." {
			name = clean + "/" + name
		}
		out = append(out, toFileInfo(name, fi))
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Stat implements Folder. A symbolic link is refused with ErrOutside.
func (l *Local) Stat(ctx context.Context, name string) (FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return FileInfo{}, l.fail("stat", name, err)
	}
	clean, fi, err := check(l.root.Load(), name, true)
	if err == nil && fi == nil {
		err = fs.ErrNotExist
	}
	if err != nil {
		return FileInfo{}, l.fail("stat", name, err)
	}
	return toFileInfo(clean, fi), nil
}

// Open implements Folder. The file is opened without blocking (a named pipe put in its
// place after the check would otherwise wait for a writer for ever) and its mode is checked
// again on the open file.
func (l *Local) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, l.fail("open", name, err)
	}
	root := l.root.Load()
	clean, fi, err := check(root, name, false)
	switch {
	case err != nil:
	case fi == nil:
		err = fs.ErrNotExist
	case fi.IsDir():
		err = errors.New("is a directory")
	case !fi.Mode().IsRegular():
		err = notRegular(fi.Mode())
	}
	if err != nil {
		return nil, l.fail("open", name, err)
	}
	f, err := root.OpenFile(clean, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, l.fail("open", name, err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = notRegular(st.Mode())
	}
	if err != nil {
		f.Close()
		return nil, l.fail("open", name, err)
	}
	return f, nil
}

// WriteAtomic implements Folder. The temporary file is named ".<name>.<random>.tmp" in the
// same directory (watchers ignore such names); it is synced, closed and renamed over name,
// then the directory is synced (except on Windows, which has no directory sync). The
// directory must exist. On failure the temporary file is removed and name is untouched.
func (l *Local) WriteAtomic(ctx context.Context, name string, r io.Reader) error {
	return l.writeAtomic(ctx, name, r, true)
}

// WriteAtomicNoDirSync implements DirSyncer: WriteAtomic without the directory sync.
func (l *Local) WriteAtomicNoDirSync(ctx context.Context, name string, r io.Reader) error {
	return l.writeAtomic(ctx, name, r, false)
}

// SyncDir implements DirSyncer: it syncs directory dir, so that the names written into it
// survive a crash.
func (l *Local) SyncDir(ctx context.Context, dir string) error {
	if err := ctx.Err(); err != nil {
		return l.fail("sync", dir, err)
	}
	root := l.root.Load()
	clean, _, err := check(root, dir, true)
	if err == nil {
		err = syncDir(root, clean)
	}
	if err != nil {
		return l.fail("sync", dir, err)
	}
	return nil
}

func (l *Local) writeAtomic(ctx context.Context, name string, r io.Reader, dirSync bool) error {
	root := l.root.Load()
	clean, dir, tmp, err := l.writeTemp(ctx, root, name, r, true)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = root.Remove(tmp)
		return l.fail("write", name, err)
	}
	if err := root.Rename(tmp, clean); err != nil {
		_ = root.Remove(tmp)
		return l.fail("write", name, err)
	}
	if !dirSync {
		return nil
	}
	if err := syncDir(root, dir); err != nil {
		return l.fail("write", name, fmt.Errorf("sync directory: %w", err))
	}
	return nil
}

// writeTemp writes r into a new temporary file beside name (synced when sync is set) and
// returns name cleaned, its directory and the temporary file's name. On failure nothing is
// left behind.
func (l *Local) writeTemp(ctx context.Context, root *os.Root, name string, r io.Reader, sync bool) (clean, dir, tmp string, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", "", l.fail("write", name, err)
	}
	clean, fi, err := check(root, name, false)
	if err == nil && fi != nil && fi.IsDir() {
		err = errors.New("is a directory")
	}
	if err != nil {
		return "", "", "", l.fail("write", name, err)
	}
	dir, base := path.Split(clean)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	if _, dfi, err := check(root, dir, true); err != nil || dfi == nil {
		if err == nil {
			err = fmt.Errorf("directory %s: %w", dir, fs.ErrNotExist)
		}
		return "", "", "", l.fail("write", name, err)
	}

	temp := path.Join(dir, TempName(base)) // not tmp: a failed return clears tmp before the defer
	f, err := root.OpenFile(temp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return "", "", "", l.fail("write", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			_ = root.Remove(temp)
		}
	}()
	if _, err = io.Copy(f, ctxReader{ctx, r}); err != nil {
		return "", "", "", l.fail("write", name, err)
	}
	if sync {
		if err = f.Sync(); err != nil {
			return "", "", "", l.fail("write", name, err)
		}
	}
	if err = f.Close(); err != nil {
		return "", "", "", l.fail("write", name, err)
	}
	return clean, dir, temp, nil
}

func syncDir(root *os.Root, dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		return nil // some file systems (network shares) cannot sync a directory
	}
	return err
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Rename implements Folder. The existence check and the rename are two steps: if another
// process creates to in between, it is replaced (a local file system offers no portable
// "rename unless exists"). Fluxgate is the only writer of the names it renames to (claim,
// archive, error), so this is acceptable.
func (l *Local) Rename(ctx context.Context, from, to string) error {
	if err := ctx.Err(); err != nil {
		return l.fail("rename", from, err)
	}
	root := l.root.Load()
	cfrom, ffi, err := check(root, from, false)
	if err == nil && ffi == nil {
		err = fs.ErrNotExist
	}
	if err != nil {
		return l.fail("rename", from, err)
	}
	cto, tfi, err := check(root, to, false)
	if err == nil && tfi != nil {
		err = ErrExist
	}
	if err != nil {
		return l.fail("rename", from+" -> "+to, err)
	}
	if err := root.Rename(cfrom, cto); err != nil {
		return l.fail("rename", from+" -> "+to, err)
	}
	return nil
}

// Remove implements Folder. It removes a file or an empty directory.
func (l *Local) Remove(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return l.fail("remove", name, err)
	}
	root := l.root.Load()
	clean, fi, err := check(root, name, false)
	if err == nil && fi == nil {
		err = fs.ErrNotExist
	}
	if err != nil {
		return l.fail("remove", name, err)
	}
	if err := root.Remove(clean); err != nil {
		return l.fail("remove", name, err)
	}
	return nil
}

// MkdirAll implements Folder.
func (l *Local) MkdirAll(ctx context.Context, dir string) error {
	if err := ctx.Err(); err != nil {
		return l.fail("mkdir", dir, err)
	}
	root := l.root.Load()
	clean, _, err := check(root, dir, true)
	if err != nil {
		return l.fail("mkdir", dir, err)
	}
	if err := root.MkdirAll(clean, 0o777); err != nil {
		return l.fail("mkdir", dir, err)
	}
	return nil
}

// Notify implements Notifier with fsnotify on the root directory (not recursive). The
// channel receives a value (coalesced) whenever an entry of the root is created, written,
// removed or renamed, or when events were lost; it is closed when ctx is done, the folder
// is closed, or Revalidate re-opened it (call Notify again then).
func (l *Local) Notify(ctx context.Context) (<-chan struct{}, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, l.fail("watch", ".", err)
	}
	if err := w.Add(l.path); err != nil {
		w.Close()
		return nil, l.fail("watch", ".", err)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		w.Close()
		return nil, l.fail("watch", ".", fs.ErrClosed)
	}
	if l.watchers == nil {
		l.watchers = make(map[*fsnotify.Watcher]struct{})
	}
	l.watchers[w] = struct{}{}
	l.mu.Unlock()

	ch := make(chan struct{}, 1)
	signal := func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(ch)
		defer func() {
			l.mu.Lock()
			delete(l.watchers, w)
			l.mu.Unlock()
			w.Close()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Op == fsnotify.Chmod {
					continue
				}
				signal()
			case _, ok := <-w.Errors:
				if !ok {
					return
				}
				signal() // probably an overflow: let the watcher rescan
			}
		}
	}()
	return ch, nil
}
