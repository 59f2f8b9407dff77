package journal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockIsExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "fluxgate.db")
	l, err := AcquireLock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLock(path)
	var held *HolderError
	if !errors.As(err, &held) || held.PID != os.Getpid() || held.Host == "" || time.Since(held.Since) > time.Hour || held.Journal != path {
		t.Fatalf("second lock: %v (%+v)", err, held)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(LockPath(path)); len(data) != 0 {
		t.Fatalf("a released lock still names its holder: %q", data)
	}
	l2, err := AcquireLock(path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Release()
	l2.Release() // twice is harmless
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "j.db")); err != nil {
		t.Fatal(err)
	}
	j, err := Open(context.Background(), filepath.Join(dir, "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.CheckDatabaseWritable(context.Background()); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("probe files left behind: %v", entries)
	}
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o600)
	if err := CheckWritable(filepath.Join(blocker, "j.db")); err == nil || !strings.Contains(err.Error(), "journal.path") {
		t.Fatalf("a journal under a file: %v", err)
	}
	os.Mkdir(filepath.Join(dir, "d.db"), 0o700)
	if err := CheckWritable(filepath.Join(dir, "d.db")); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("a journal that is a directory: %v", err)
	}
}

// Two processes opening a new journal at once (status beside a starting gateway) both get
// it, migrated once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	for range 5 {
		path := filepath.Join(t.TempDir(), "j.db")
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				j, err := Open(context.Background(), path)
				if err == nil {
					j.Close()
				}
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
}
