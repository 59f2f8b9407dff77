package journal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Lock is one gateway's exclusive hold on a journal: two daemons working on one journal
// claim the same files and write acks that contradict each other. It is an operating
// system lock (flock on Unix, LockFileEx on Windows) on a file beside the journal, so it is
// released when the process ends, even killed; the file holds who took it, for the message
// a second instance prints.
type Lock struct {
	f    *os.File
	path string
}

// HolderError is returned by AcquireLock when another process holds the journal.
type HolderError struct {
	Journal string // the journal's path
	PID     int    // 0 when the holder has not written it yet
	Host    string
	Since   time.Time
}

func (e *HolderError) Error() string {
	who := "another fluxgate"
	if e.PID != 0 {
		who += fmt.Sprintf(" (pid %d on host %s, since %s)", e.PID, e.Host, e.Since.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	return fmt.Sprintf("the journal %s is in use by %s: only one gateway may work on a journal; stop that one first, or give this one its own journal.path", e.Journal, who)
}

// LockPath is the lock file of the journal at path.
func LockPath(journalPath string) string { return journalPath + ".lock" }

// AcquireLock takes the exclusive lock of the journal at journalPath, creating its folder
// when missing. When another process (or another gateway in this process) holds it, the
// error is a *HolderError naming it.
func AcquireLock(journalPath string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(journalPath), 0o750); err != nil {
		return nil, fmt.Errorf("journal: create folder for %s: %w", journalPath, err)
	}
	path := LockPath(journalPath)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("journal: open the lock file %s: %w", path, err)
	}
	held, err := lockFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: lock %s: %w", path, err)
	}
	if held {
		h := readHolder(f)
		f.Close()
		h.Journal = journalPath
		return nil, h
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid=%d\nhost=%s\nsince=%s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	if err := writeHolder(f, info); err != nil {
		unlockFile(f)
		f.Close()
		return nil, fmt.Errorf("journal: write the lock file %s: %w", path, err)
	}
	return &Lock{f: f, path: path}, nil
}

func writeHolder(f *os.File, info string) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte(info), 0); err != nil {
		return err
	}
	return f.Sync()
}

// readHolder reads what the holder wrote; fields it has not written yet stay zero.
func readHolder(f *os.File) *HolderError {
	h := &HolderError{}
	buf := make([]byte, 512)
	n, _ := f.ReadAt(buf, 0)
	for line := range strings.Lines(string(buf[:n])) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "pid":
			h.PID, _ = strconv.Atoi(v)
		case "host":
			h.Host = v
		case "since":
			h.Since, _ = time.Parse(time.RFC3339, v)
		}
	}
	return h
}

// Release empties the lock file (so that it never names a process that is gone) and
// releases the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Truncate(0)
	err = errors.Join(err, unlockFile(l.f), l.f.Close())
	l.f = nil
	if err != nil {
		return fmt.Errorf("journal: release %s: %w", l.path, err)
	}
	return nil
}

// CheckWritable checks, without SQLite, that the gateway may write the journal at path:
// its folder takes a new file (SQLite writes -wal and -shm files beside it), and the
// journal's files that exist open for writing. It is what `fluxgate doctor` checks, and
// what a start checks before opening the journal.
func CheckWritable(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("the journal's folder %s cannot be created (%v): create it, or set journal.path to a folder the gateway's user may write", dir, err)
	}
	if err := probeDir(dir); err != nil {
		return fmt.Errorf("the journal's folder %s is not writable (%v): give the gateway's user the right to write there, or set journal.path to a folder it may write", dir, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err == nil {
			fi, serr := f.Stat()
			f.Close()
			if serr == nil && fi.IsDir() {
				err = errors.New("it is a directory")
			}
		}
		if err != nil {
			return fmt.Errorf("the journal file %s cannot be written (%v): give the gateway's user the right to write it", p, err)
		}
	}
	return nil
}

// probeDir creates and removes a file in dir.
func probeDir(dir string) error {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	p := filepath.Join(dir, ".fluxgate-probe-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	return errors.Join(f.Close(), os.Remove(p))
}

// CheckDatabaseWritable checks that SQLite may write the open journal (a database file made
// read-only is opened read-only, and would fail only at the first transition): it takes
// the write lock and gives it back.
func (j *Journal) CheckDatabaseWritable(ctx context.Context) error {
	conn, err := j.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return fmt.Errorf("the journal cannot be written (%v): give the gateway's user the right to write it and its folder", err)
	}
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}
