package folder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/pkg/sftp"
)

// check is Local.check over SFTP: every element of the name that exists is looked at with
// lstat, and a symbolic link anywhere is refused with ErrOutside.
func (s *SFTP) check(c *sftpConn, wd *watchdog, name string, allowRoot bool) (string, os.FileInfo, error) {
	clean, err := cleanName(name, allowRoot)
	if err != nil {
		return "", nil, err
	}
	if clean == "." {
		fi, err := c.sftp.Stat(s.root)
		return clean, fi, err
	}
	elems := strings.Split(clean, "/")
	for i := range elems {
		prefix := strings.Join(elems[:i+1], "/")
		fi, err := c.sftp.Lstat(s.abs(prefix))
		wd.kick()
		if errors.Is(err, os.ErrNotExist) {
			return clean, nil, nil
		}
		if err != nil {
			return "", nil, err
		}
		if fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
			return "", nil, fmt.Errorf("%s is a symbolic link: %w", prefix, ErrOutside)
		}
		if i == len(elems)-1 {
			return clean, fi, nil
		}
		if !fi.IsDir() {
			return "", nil, fmt.Errorf("%s is not a directory: %w", prefix, ErrNotExist)
		}
	}
	panic("unreachable")
}

// checkExisting is check for an operation on a name that must exist: an absent name is
// os.ErrNotExist rather than a nil FileInfo.
func (s *SFTP) checkExisting(c *sftpConn, wd *watchdog, name string, allowRoot bool) (string, os.FileInfo, error) {
	clean, fi, err := s.check(c, wd, name, allowRoot)
	if err == nil && fi == nil {
		err = os.ErrNotExist
	}
	return clean, fi, err
}

// List implements Folder.
func (s *SFTP) List(ctx context.Context, dir string) ([]FileInfo, error) {
	var out []FileInfo
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		clean, fi, err := s.checkExisting(c, wd, dir, true)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return errors.New("not a directory")
		}
		entries, err := c.sftp.ReadDirContext(ctx, s.abs(clean))
		if err != nil {
			return err
		}
		out = make([]FileInfo, 0, len(entries))
		for _, e := range entries {
			if e.Name() == "." || e.Name() == ".." {
				continue
			}
			name := e.Name()
			if clean != "." {
				name = clean + "/" + name
			}
			out = append(out, toFileInfo(name, e))
		}
		return nil
	})
	if err != nil {
		return nil, s.fail("list", dir, err)
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Stat implements Folder. A symbolic link is refused with ErrOutside.
func (s *SFTP) Stat(ctx context.Context, name string) (FileInfo, error) {
	var out FileInfo
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		clean, fi, err := s.checkExisting(c, wd, name, true)
		if err != nil {
			return err
		}
		out = toFileInfo(clean, fi)
		return nil
	})
	if err != nil {
		return FileInfo{}, s.fail("stat", name, err)
	}
	return out, nil
}

// Open implements Folder. Each read is under the I/O timeout. Only a regular file is opened.
func (s *SFTP) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	var f *sftp.File
	var conn *sftpConn
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		clean, fi, err := s.checkExisting(c, wd, name, false)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return errIsDir
		}
		if !fi.Mode().IsRegular() {
			return notRegular(fi.Mode()) // the server could wait for ever on a named pipe
		}
		f, err = c.sftp.Open(s.abs(clean))
		conn = c
		return err
	})
	if err != nil {
		return nil, s.fail("open", name, err)
	}
	return &sftpReader{s: s, c: conn, f: f, ctx: ctx, name: name}, nil
}

type sftpReader struct {
	s    *SFTP
	c    *sftpConn
	f    *sftp.File
	ctx  context.Context
	name string
}

func (r *sftpReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, r.s.fail("read", r.name, err)
	}
	wd := r.c.watch(r.ctx, r.s.opts.IOTimeout)
	n, err := r.f.Read(p)
	wd.stop()
	if err != nil && err != io.EOF {
		if wd.fired.Load() {
			err = fmt.Errorf("no answer from the server for %s, connection dropped: %w", r.s.opts.IOTimeout, err)
		} else if !serverSaid(err) {
			r.c.drop(err)
		}
		return n, r.s.fail("read", r.name, err)
	}
	return n, err
}

func (r *sftpReader) Close() error {
	if r.c.dead() {
		return nil
	}
	wd := r.c.watch(context.WithoutCancel(r.ctx), r.s.opts.IOTimeout)
	defer wd.stop()
	return r.f.Close()
}

// WriteAtomic implements Folder: it uploads into ".<name>.<random>.tmp" in the same
// directory, checks that the server holds every byte (and has it on disk, when the server
// offers fsync), then renames it over name (posix-rename@openssh.com when offered, which
// replaces name atomically; otherwise name is removed first). A file is never visible
// under name while incomplete. On failure the temporary file is removed, at once or after
// reconnecting.
func (s *SFTP) WriteAtomic(ctx context.Context, name string, r io.Reader) error {
	var tmp string
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) (err error) {
		clean, fi, err := s.check(c, wd, name, false)
		if err != nil {
			return err
		}
		if fi != nil && fi.IsDir() {
			return errIsDir
		}
		dir, base := path.Split(clean)
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" {
			dir = "."
		}
		if _, dfi, err := s.check(c, wd, dir, true); err != nil || dfi == nil {
			if err == nil {
				err = fmt.Errorf("directory %s: %w", dir, os.ErrNotExist)
			}
			return err
		}
		var rnd [6]byte
		_, _ = rand.Read(rnd[:])
		tmp = s.abs(path.Join(dir, "."+base+"."+hex.EncodeToString(rnd[:])+".tmp"))
		f, err := c.sftp.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			tmp = ""
			return err
		}
		defer func() {
			if err != nil {
				f.Close()
			}
		}()
		var written int64
		buf := make([]byte, 32<<10)
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, rerr := r.Read(buf)
			if n > 0 {
				wd.kick()
				if _, err := f.Write(buf[:n]); err != nil {
					return err
				}
				written += int64(n)
				wd.kick()
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return rerr
			}
		}
		if c.fsync {
			if err := f.Sync(); err != nil {
				return fmt.Errorf("fsync: %w", err)
			}
		}
		if err := f.Close(); err != nil {
			return err
		}
		st, err := c.sftp.Stat(tmp)
		if err != nil {
			return err
		}
		if st.Size() != written {
			return fmt.Errorf("upload incomplete: the server holds %d bytes of %d", st.Size(), written)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		final := s.abs(clean)
		if c.posixRename {
			if err := c.sftp.PosixRename(tmp, final); err != nil {
				return err
			}
		} else if err := c.sftp.Rename(tmp, final); err != nil {
			// A plain SFTP rename does not replace: remove the old file, then rename.
			if _, serr := c.sftp.Lstat(final); serr != nil {
				return err
			}
			if err := c.sftp.Remove(final); err != nil {
				return err
			}
			if err := c.sftp.Rename(tmp, final); err != nil {
				return err
			}
		}
		tmp = ""
		return nil
	})
	if err != nil {
		if tmp != "" {
			s.removeTemp(ctx, tmp)
		}
		return s.fail("write", name, err)
	}
	return nil
}

// removeTemp removes a temporary upload now if the connection is alive, or after the next
// connection otherwise.
func (s *SFTP) removeTemp(ctx context.Context, tmp string) {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil && !c.dead() {
		wd := c.watch(context.WithoutCancel(ctx), s.opts.IOTimeout)
		err := c.sftp.Remove(tmp)
		wd.stop()
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
	}
	s.mu.Lock()
	s.orphans[tmp] = true
	s.mu.Unlock()
}

// Rename implements Folder. It fails with ErrExist if to exists (checked first, as for local
// folders). It uses posix-rename@openssh.com when the server offers it. When the connection
// breaks during the rename, the outcome is checked on a new connection, so a rename that
// happened is not reported as failed.
func (s *SFTP) Rename(ctx context.Context, from, to string) error {
	var cfrom, cto string
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		var tfi os.FileInfo
		var err error
		cfrom, _, err = s.checkExisting(c, wd, from, false)
		if err != nil {
			return err
		}
		cto, tfi, err = s.check(c, wd, to, false)
		if err != nil {
			return err
		}
		if tfi != nil {
			return ErrExist
		}
		if c.posixRename {
			return c.sftp.PosixRename(s.abs(cfrom), s.abs(cto))
		}
		return c.sftp.Rename(s.abs(cfrom), s.abs(cto))
	})
	if err != nil && cfrom != "" && cto != "" && !serverSaid(err) && ctx.Err() == nil {
		// Did it happen? Look on a new connection.
		verr := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
			_, ffi, err := s.check(c, wd, cfrom, false)
			if err != nil {
				return err
			}
			_, tfi, err := s.check(c, wd, cto, false)
			if err != nil {
				return err
			}
			if ffi == nil && tfi != nil {
				return nil
			}
			return errors.New("not renamed")
		})
		if verr == nil {
			return nil
		}
	}
	if err != nil {
		return s.fail("rename", from+" -> "+to, err)
	}
	return nil
}

// Remove implements Folder. It removes a file or an empty directory.
func (s *SFTP) Remove(ctx context.Context, name string) error {
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		clean, fi, err := s.checkExisting(c, wd, name, false)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return c.sftp.RemoveDirectory(s.abs(clean))
		}
		return c.sftp.Remove(s.abs(clean))
	})
	if err != nil {
		return s.fail("remove", name, err)
	}
	return nil
}

// MkdirAll implements Folder.
func (s *SFTP) MkdirAll(ctx context.Context, dir string) error {
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		clean, fi, err := s.check(c, wd, dir, true)
		if err != nil {
			return err
		}
		if fi != nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s exists and is not a directory", clean)
			}
			return nil
		}
		elems := strings.Split(clean, "/")
		for i := range elems {
			p := s.abs(strings.Join(elems[:i+1], "/"))
			fi, err := c.sftp.Lstat(p)
			wd.kick()
			switch {
			case err == nil && fi.IsDir():
				continue
			case err == nil:
				return fmt.Errorf("%s exists and is not a directory", p)
			case !errors.Is(err, os.ErrNotExist):
				return err
			}
			if err := c.sftp.Mkdir(p); err != nil {
				if fi, serr := c.sftp.Lstat(p); serr == nil && fi.IsDir() {
					continue // made meanwhile by someone else
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.fail("mkdir", dir, err)
	}
	return nil
}

// ErrNoSpaceInfo is returned by FreeSpace when the server does not report free space.
var ErrNoSpaceInfo = errors.New("the server does not report free space (no statvfs@openssh.com)")

// FreeSpace returns the bytes available to the user in the folder's file system, when the
// server reports it (statvfs@openssh.com); otherwise ErrNoSpaceInfo.
func (s *SFTP) FreeSpace(ctx context.Context) (uint64, error) {
	var free uint64
	err := s.do(ctx, func(c *sftpConn, _ *watchdog) error {
		if !c.statvfs {
			return ErrNoSpaceInfo
		}
		st, err := c.sftp.StatVFS(s.root)
		if err != nil {
			return err
		}
		free = st.Frsize * st.Bavail
		return nil
	})
	if errors.Is(err, ErrNoSpaceInfo) {
		return 0, err
	}
	if err != nil {
		return 0, s.fail("statvfs", ".", err)
	}
	return free, nil
}

// Extensions lists the SFTP extensions of the current connection that Fluxgate uses.
func (s *SFTP) Extensions(ctx context.Context) ([]string, error) {
	var out []string
	err := s.do(ctx, func(c *sftpConn, _ *watchdog) error {
		if c.posixRename {
			out = append(out, "posix-rename@openssh.com")
		}
		if c.fsync {
			out = append(out, "fsync@openssh.com")
		}
		if c.statvfs {
			out = append(out, "statvfs@openssh.com")
		}
		return nil
	})
	return out, err
}

// remoteClock marks folders whose modification times come from another machine's clock:
// the watcher does not compare them with the local clock.
func (s *SFTP) remoteClock() {}
