//go:build unix

package folder

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// logBuffer collects log lines for assertions; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(substr string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, line := range strings.Split(b.buf.String(), "\n") {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogBuffer() (*logBuffer, *slog.Logger) {
	b := &logBuffer{}
	return b, slog.New(slog.NewTextHandler(b, nil))
}

// specialEntries puts a named pipe, a Unix socket and a dangling symbolic link into dir,
// named like exports.
func specialEntries(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "sock.csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "dangling.csv")); err != nil {
		t.Fatal(err)
	}
}

// withinOrHang runs f and fails the test if it does not return: the safety net of tests
// whose bug is a hang.
func withinOrHang(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a safety net only
		t.Fatalf("%s hangs", what)
	}
}

func TestSpecialFilesListedWithTheirKind(t *testing.T) {
	l, dir := openTemp(t)
	specialEntries(t, dir)
	writeFile(t, filepath.Join(dir, "ok.csv"), "x")
	list, err := l.List(context.Background(), ".")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]Kind{}
	for _, fi := range list {
		kinds[fi.Name] = fi.Kind
		if fi.Name != "ok.csv" && (fi.Size != -1 || fi.IsDir || fi.Regular()) {
			t.Errorf("%s listed as %+v, want Size -1 and not regular", fi.Name, fi)
		}
	}
	want := map[string]Kind{"ok.csv": KindFile, "pipe.csv": KindFIFO, "sock.csv": KindSocket, "dangling.csv": KindSymlink}
	for name, k := range want {
		if kinds[name] != k {
			t.Errorf("%s: kind %v, want %v", name, kinds[name], k)
		}
	}
}

// TestFIFONeverBlocksOpen: opening a named pipe (no writer) or a socket fails at once with
// ErrNotRegular; it must never wait for a writer.
func TestFIFONeverBlocksOpen(t *testing.T) {
	l, dir := openTemp(t)
	specialEntries(t, dir)
	for _, name := range []string{"pipe.csv", "sock.csv"} {
		withinOrHang(t, "Open("+name+")", func() {
			rc, err := l.Open(context.Background(), name)
			if err == nil {
				rc.Close()
			}
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("Open(%s) = %v, want ErrNotRegular", name, err)
			}
		})
	}
	withinOrHang(t, "ReadAll(pipe.csv)", func() {
		if _, err := ReadAll(context.Background(), l, "pipe.csv"); !errors.Is(err, ErrNotRegular) {
			t.Errorf("ReadAll = %v, want ErrNotRegular", err)
		}
	})
}

// TestWatcherReportsSpecialFilesOnce: the watcher takes the regular file beside, gives the
// others the reason "not a regular file" at every scan, and logs each once while it stays.
func TestWatcherReportsSpecialFilesOnce(t *testing.T) {
	l, dir := openTemp(t)
	specialEntries(t, dir)
	writeFile(t, filepath.Join(dir, "ok.csv"), "x")
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(dir, "ok.csv"), old, old)
	logs, log := newLogBuffer()
	w := NewWatcher(l, WatchOptions{Ready: Readiness{Quiet: time.Second}, Logger: log})
	for range 3 {
		var ready []FileInfo
		var waiting []Waiting
		withinOrHang(t, "Scan", func() { ready, waiting = mustScan(t, w) })
		if names(ready) != "ok.csv" {
			t.Fatalf("ready = %s, want ok.csv alone", names(ready))
		}
		for _, name := range []string{"pipe.csv", "sock.csv", "dangling.csv"} {
			if r := reasonOf(waiting, name); !strings.Contains(r, "not a regular file") {
				t.Errorf("%s: reason %q", name, r)
			}
		}
		if r := reasonOf(waiting, "pipe.csv"); !strings.Contains(r, "named pipe") {
			t.Errorf("pipe.csv: reason %q does not say what it is", r)
		}
	}
	for _, name := range []string{"pipe.csv", "sock.csv", "dangling.csv"} {
		if n := logs.count("file=" + name); n != 1 {
			t.Errorf("%s logged %d times, want once:\n%s", name, n, logs)
		}
	}
	// Gone and back: reported again.
	os.Remove(filepath.Join(dir, "pipe.csv"))
	mustScan(t, w)
	syscall.Mkfifo(filepath.Join(dir, "pipe.csv"), 0o644)
	mustScan(t, w)
	if n := logs.count("file=pipe.csv"); n != 2 {
		t.Errorf("pipe.csv logged %d times after coming back, want twice", n)
	}
}

// TestWatcherRunTakesTheFileBesideAFIFO: Run emits the regular file and never the pipe.
func TestWatcherRunTakesTheFileBesideAFIFO(t *testing.T) {
	l, dir := openTemp(t)
	specialEntries(t, dir)
	w := NewWatcher(l, WatchOptions{Ready: Readiness{Quiet: 50 * time.Millisecond}, Rescan: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan FileInfo)
	go w.Run(ctx, out)
	writeFile(t, filepath.Join(dir, "ok.csv"), "x")
	select {
	case fi := <-out:
		if fi.Name != "ok.csv" {
			t.Fatalf("emitted %+v", fi)
		}
	case <-time.After(time.Minute): // a safety net only
		t.Fatal("the regular file beside the pipe was never emitted")
	}
}
