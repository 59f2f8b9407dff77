package folder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func names(fis []FileInfo) string {
	var s []string
	for _, fi := range fis {
		s = append(s, fi.Name)
	}
	return strings.Join(s, ",")
}

func reasonOf(waiting []Waiting, name string) string {
	for _, w := range waiting {
		if w.File.Name == name {
			return w.Reason
		}
	}
	return ""
}

func mustScan(t *testing.T, w *Watcher) ([]FileInfo, []Waiting) {
	t.Helper()
	ready, waiting, err := w.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ready, waiting
}

// appender appends to a file from its own goroutine, one write per request, so that the
// test decides exactly when writes happen relative to scans.
type appender struct {
	req  chan string
	done chan error
}

func startAppender(t *testing.T, path string) *appender {
	a := &appender{req: make(chan string), done: make(chan error)}
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			a.done <- err
			return
		}
		defer f.Close()
		for s := range a.req {
			_, err := f.WriteString(s)
			a.done <- err
		}
	}()
	t.Cleanup(func() { close(a.req) })
	return a
}

func (a *appender) write(t *testing.T, s string) {
	t.Helper()
	a.req <- s
	if err := <-a.done; err != nil {
		t.Fatal(err)
	}
}

func TestQuietWhileAppending(t *testing.T) {
	l, root := openTemp(t)
	clock := newFakeClock()
	const quiet = 200 * time.Millisecond
	w := NewWatcher(l, WatchOptions{Ready: Readiness{Quiet: quiet}, Now: clock.Now})
	mustScan(t, w) // the watcher has started: later files do not get the old-mtime shortcut

	a := startAppender(t, filepath.Join(root, "ventes.csv"))
	for i := range 10 {
		a.write(t, "line\n")
		ready, waiting := mustScan(t, w)
		if len(ready) != 0 {
			t.Fatalf("write %d: ready while being appended to: %s", i, names(ready))
		}
		if r := reasonOf(waiting, "ventes.csv"); !strings.Contains(r, "still changing") {
			t.Fatalf("write %d: reason %q", i, r)
		}
		clock.Advance(quiet) // a whole quiet period passes between writes
	}
	// Writes stop now; the last one was seen at the last scan, one quiet period ago, but the
	// write since then (none) must be observed across a full quiet period from the change.
	a.write(t, "last\n")
	if ready, _ := mustScan(t, w); len(ready) != 0 {
		t.Fatalf("ready right after the last write: %s", names(ready))
	}
	clock.Advance(quiet - time.Millisecond)
	if ready, _ := mustScan(t, w); len(ready) != 0 {
		t.Fatalf("ready before the quiet period ended: %s", names(ready))
	}
	clock.Advance(time.Millisecond)
	ready, waiting := mustScan(t, w)
	if names(ready) != "ventes.csv" || len(waiting) != 0 {
		t.Fatalf("after quiet: ready %s, waiting %v", names(ready), waiting)
	}
	if ready[0].Size != 10*5+5 {
		t.Fatalf("ready with size %d", ready[0].Size)
	}

	// A change of modification time alone (same size) restarts the quiet period.
	p := filepath.Join(root, "ventes.csv")
	mt := ready[0].ModTime.Add(-time.Hour)
	if err := os.Chtimes(p, mt, mt); err != nil {
		t.Fatal(err)
	}
	if ready, _ := mustScan(t, w); len(ready) != 0 {
		t.Fatalf("ready right after an mtime change: %s", names(ready))
	}
	clock.Advance(quiet)
	if ready, _ := mustScan(t, w); names(ready) != "ventes.csv" {
		t.Fatalf("not ready after quiet: %s", names(ready))
	}
}

func TestQuietOldFilesAtStart(t *testing.T) {
	l, root := openTemp(t)
	clock := newFakeClock()
	const quiet = 2 * time.Second
	old := clock.Now().Add(-time.Hour)
	writeFile(t, filepath.Join(root, "old.csv"), "old")
	writeFile(t, filepath.Join(root, "new.csv"), "new")
	if err := os.Chtimes(filepath.Join(root, "old.csv"), old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(root, "new.csv"), clock.Now(), clock.Now()); err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(l, WatchOptions{Ready: Readiness{Quiet: quiet}, Now: clock.Now})
	ready, waiting := mustScan(t, w)
	if names(ready) != "old.csv" || reasonOf(waiting, "new.csv") == "" {
		t.Fatalf("first scan: ready %s, waiting %v", names(ready), waiting)
	}

	// A file copied in later with an old modification time (cp -p, robocopy) still waits:
	// it may be in the middle of being copied.
	writeFile(t, filepath.Join(root, "copied.csv"), "copied")
	if err := os.Chtimes(filepath.Join(root, "copied.csv"), old, old); err != nil {
		t.Fatal(err)
	}
	ready, _ = mustScan(t, w)
	if names(ready) != "old.csv" {
		t.Fatalf("second scan: ready %s", names(ready))
	}
	clock.Advance(quiet)
	ready, _ = mustScan(t, w)
	if names(ready) != "copied.csv,new.csv,old.csv" {
		t.Fatalf("after quiet: ready %s", names(ready))
	}
}

func TestMarker(t *testing.T) {
	l, root := openTemp(t)
	w := NewWatcher(l, WatchOptions{Pattern: "*.csv", Ready: Readiness{Marker: "{name}.ok"}})
	old := time.Now().Add(-time.Hour)
	writeFile(t, filepath.Join(root, "ventes.csv"), "v")
	writeFile(t, filepath.Join(root, "achats.csv"), "a")
	os.Chtimes(filepath.Join(root, "ventes.csv"), old, old) // old files still need a marker

	ready, waiting := mustScan(t, w)
	if len(ready) != 0 {
		t.Fatalf("ready without marker: %s", names(ready))
	}
	if r := reasonOf(waiting, "ventes.csv"); !strings.Contains(r, `"ventes.csv.ok"`) {
		t.Fatalf("reason %q does not name the marker", r)
	}
	writeFile(t, filepath.Join(root, "ventes.csv.ok"), "")
	ready, waiting = mustScan(t, w)
	if names(ready) != "ventes.csv" {
		t.Fatalf("ready %s", names(ready))
	}
	if r := reasonOf(waiting, "ventes.csv.ok"); !strings.Contains(r, "marker") {
		t.Fatalf("marker reason %q", r)
	}

	// Without a pattern the marker is still never emitted; {base} drops the extension.
	w = NewWatcher(l, WatchOptions{Ready: Readiness{Marker: "{base}.done"}})
	writeFile(t, filepath.Join(root, "achats.done"), "")
	ready, waiting = mustScan(t, w)
	if names(ready) != "achats.csv" {
		t.Fatalf("{base}: ready %s, waiting %v", names(ready), waiting)
	}
	for _, m := range []string{"achats.done"} {
		if r := reasonOf(waiting, m); !strings.Contains(r, "marker") {
			t.Fatalf("%s: reason %q", m, r)
		}
	}

	// One global marker.
	w = NewWatcher(l, WatchOptions{Pattern: "*.csv", Ready: Readiness{Marker: "READY"}})
	if ready, _ := mustScan(t, w); len(ready) != 0 {
		t.Fatalf("global marker absent: ready %s", names(ready))
	}
	writeFile(t, filepath.Join(root, "READY"), "")
	if ready, _ := mustScan(t, w); names(ready) != "achats.csv,ventes.csv" {
		t.Fatalf("global marker: ready %s", names(ready))
	}
}

func TestIgnoredNames(t *testing.T) {
	l, root := openTemp(t)
	ignored := []string{
		".hidden.csv", ".~lock.ventes.csv#", "~$ventes.xlsx", "x.tmp", "X.TMP", "x.part",
		"x.partial", "x.filepart", "x.crdownload", ".ventes.csv.1a2b3c.tmp",
	}
	for _, n := range append(ignored, "ventes.csv", "VENTES2.CSV", "notes.txt") {
		writeFile(t, filepath.Join(root, n), n)
	}
	for _, d := range []string{".fluxgate/processing", "archive"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(root, "archive", "sub.csv"), "not recursive")
	if !testingWindows() {
		symlinkOrSkip(t, filepath.Join(root, "ventes.csv"), filepath.Join(root, "link.csv"))
	}

	clock := newFakeClock()
	w := NewWatcher(l, WatchOptions{Pattern: "*.csv", Ready: Readiness{Quiet: time.Second}, Now: clock.Now})
	mustScan(t, w)
	clock.Advance(time.Second)
	ready, waiting := mustScan(t, w)
	if names(ready) != "VENTES2.CSV,ventes.csv" {
		t.Fatalf("ready %s", names(ready))
	}
	for _, n := range ignored {
		if r := reasonOf(waiting, n); !strings.Contains(r, "ignored") {
			t.Errorf("%s: reason %q", n, r)
		}
	}
	if r := reasonOf(waiting, "notes.txt"); !strings.Contains(r, "pattern") {
		t.Errorf("notes.txt: reason %q", r)
	}
	if r := reasonOf(waiting, "archive"); !strings.Contains(r, "directory") {
		t.Errorf("archive: reason %q", r)
	}
	if r := reasonOf(waiting, ".fluxgate"); r != "" {
		t.Errorf(".fluxgate reported: %q", r)
	}
	if !testingWindows() {
		if r := reasonOf(waiting, "link.csv"); !strings.Contains(r, "symbolic link") {
			t.Errorf("link.csv: reason %q", r)
		}
	}
}

func testingWindows() bool { return filepath.Separator == '\\' }

func TestInvalidOptions(t *testing.T) {
	l, _ := openTemp(t)
	for _, opts := range []WatchOptions{
		{Pattern: "[bad"},
		{Pattern: "sub/*.csv"},
		{Ready: Readiness{Marker: "{name}"}},
		{Ready: Readiness{Marker: "{base}"}},
		{Ready: Readiness{Marker: "ok/{name}"}},
	} {
		w := NewWatcher(l, opts)
		if _, _, err := w.Scan(context.Background()); err == nil {
			t.Errorf("%+v: Scan accepted invalid options", opts)
		}
		if err := w.Run(context.Background(), make(chan FileInfo)); err == nil {
			t.Errorf("%+v: Run accepted invalid options", opts)
		}
	}
}

// runWatcher starts w.Run and returns its output channel and a stop function.
func runWatcher(t *testing.T, w *Watcher) <-chan FileInfo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan FileInfo)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, out) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return out
}

const patience = 10 * time.Second // generous: only reached on failure

func receive(t *testing.T, out <-chan FileInfo) FileInfo {
	t.Helper()
	select {
	case fi := <-out:
		return fi
	case <-time.After(patience):
		t.Fatal("nothing emitted")
		return FileInfo{}
	}
}

// waitScans waits until w has completed n more scans.
func waitScans(t *testing.T, w *Watcher, n int64) {
	t.Helper()
	waitScanCount(t, w, w.scans.Load()+n)
}

// waitScanCount waits until w has completed target scans since it was made.
func waitScanCount(t *testing.T, w *Watcher, target int64) {
	t.Helper()
	n := target
	deadline := time.Now().Add(patience)
	for w.scans.Load() < target {
		if time.Now().After(deadline) {
			t.Fatalf("watcher did not scan %d times", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func expectNothing(t *testing.T, w *Watcher, out <-chan FileInfo) {
	t.Helper()
	waitScans(t, w, 3)
	select {
	case fi := <-out:
		t.Fatalf("emitted again: %+v", fi)
	default:
	}
}

func TestRunOnceUntilForget(t *testing.T) {
	l, root := openTemp(t)
	p := filepath.Join(root, "ventes.csv")
	writeFile(t, p, "v1")
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	w := NewWatcher(l, WatchOptions{Ready: Readiness{Quiet: 50 * time.Millisecond}, Rescan: 10 * time.Millisecond})
	out := runWatcher(t, w)

	fi := receive(t, out)
	if fi.Name != "ventes.csv" || fi.Size != 2 {
		t.Fatalf("emitted %+v", fi)
	}
	expectNothing(t, w, out)

	// Forget without change: emitted again (the caller gave up and wants a retry).
	w.Forget("ventes.csv")
	if fi := receive(t, out); fi.Name != "ventes.csv" {
		t.Fatalf("after Forget: %+v", fi)
	}
	expectNothing(t, w, out)

	// Forget + change: emitted again with the new size, once ready.
	w.Forget("ventes.csv")
	writeFile(t, p, "version 2")
	for {
		fi := receive(t, out)
		if fi.Size == int64(len("version 2")) {
			break
		}
		// The old version may have been emitted between Forget and the write.
		if fi.Size != 2 {
			t.Fatalf("emitted %+v", fi)
		}
	}
	expectNothing(t, w, out)

	// A change without Forget is a new version: emitted again once ready.
	writeFile(t, p, "version three")
	if fi := receive(t, out); fi.Size != int64(len("version three")) {
		t.Fatalf("changed file emitted as %+v", fi)
	}
	expectNothing(t, w, out)

	// A file that disappears is forgotten; dropped again, it is emitted again.
	os.Remove(p)
	waitScans(t, w, 2)
	writeFile(t, p, "version three")
	os.Chtimes(p, old, old)
	if fi := receive(t, out); fi.Name != "ventes.csv" {
		t.Fatalf("re-dropped file emitted as %+v", fi)
	}
}

// withoutNotify hides the Notifier of a folder, like a network share or SFTP.
type withoutNotify struct{ Folder }

func TestRunRescanPath(t *testing.T) {
	l, root := openTemp(t)
	w := NewWatcher(withoutNotify{l}, WatchOptions{
		Ready:  Readiness{Marker: "{name}.ok"},
		Rescan: 20 * time.Millisecond,
	})
	out := runWatcher(t, w)
	waitScanCount(t, w, 1)
	writeFile(t, filepath.Join(root, "a.csv"), "a")
	expectNothing(t, w, out)
	writeFile(t, filepath.Join(root, "a.csv.ok"), "")
	if fi := receive(t, out); fi.Name != "a.csv" {
		t.Fatalf("emitted %+v", fi)
	}
}

func TestRunNotifyPath(t *testing.T) {
	l, root := openTemp(t)
	// No rescan during the test, and marker readiness has no deadlines: only a change
	// notification can make the watcher scan again.
	w := NewWatcher(l, WatchOptions{Ready: Readiness{Marker: "{name}.ok"}, Rescan: time.Hour})
	out := runWatcher(t, w)
	waitScanCount(t, w, 1)
	writeFile(t, filepath.Join(root, "a.csv"), "a")
	writeFile(t, filepath.Join(root, "a.csv.ok"), "")
	if fi := receive(t, out); fi.Name != "a.csv" {
		t.Fatalf("emitted %+v", fi)
	}
}

func TestRunQuietRealClock(t *testing.T) {
	l, root := openTemp(t)
	// No rescan during the test: scans come from notifications while the file is written,
	// then from the end of the quiet period (Run's own deadline).
	// Quiet is well above the 10ms between writes, so a slow machine does not see a pause.
	const quiet = 400 * time.Millisecond
	w := NewWatcher(l, WatchOptions{Pattern: "*.csv", Ready: Readiness{Quiet: quiet}, Rescan: time.Hour})
	out := runWatcher(t, w)
	waitScanCount(t, w, 1)

	var mu sync.Mutex
	finished, size := false, 0
	go func() {
		f, err := os.Create(filepath.Join(root, "a.csv"))
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		for range 30 {
			n, err := f.WriteString("line\n")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			size += n
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		finished = true
		mu.Unlock()
	}()
	fi := receive(t, out)
	mu.Lock()
	defer mu.Unlock()
	if !finished || fi.Size != int64(size) {
		t.Fatalf("emitted %+v while being written (finished %v, size %d)", fi, finished, size)
	}
}

// What the watcher knows of a file (its observation, that it was sent) goes with the file:
// claimed or removed, it is forgotten at the next scan, so that a flood of files leaves
// nothing behind. A file that stays keeps its quiet period running.
func TestWatcherForgetsFilesGone(t *testing.T) {
	l, root := openTemp(t)
	clock := newFakeClock()
	const quiet = time.Second
	w := NewWatcher(l, WatchOptions{Ready: Readiness{Quiet: quiet}, Now: clock.Now})
	mustScan(t, w) // started: the files below wait for their quiet period
	for i := range 100 {
		writeFile(t, filepath.Join(root, fmt.Sprintf("f%03d.csv", i)), "x")
	}
	mustScan(t, w)
	clock.Advance(quiet)
	ready, _ := mustScan(t, w)
	if len(ready) != 100 {
		t.Fatalf("%d ready, want 100", len(ready))
	}
	for _, fi := range ready {
		if !w.claimSend(context.Background(), fi) {
			t.Fatalf("%s not sent", fi.Name)
		}
	}
	writeFile(t, filepath.Join(root, "stays.csv"), "y")
	mustScan(t, w) // stays.csv observed: ready one quiet period later
	clock.Advance(quiet / 2)
	for _, fi := range ready {
		if err := os.Remove(filepath.Join(root, fi.Name)); err != nil {
			t.Fatal(err)
		}
	}
	if ready, _ := mustScan(t, w); len(ready) != 0 {
		t.Fatalf("ready too early: %s", names(ready))
	}
	w.mu.Lock()
	seen, sent := len(w.seen), len(w.sent)
	w.mu.Unlock()
	if seen != 1 || sent != 0 {
		t.Errorf("after the files went: %d observations, %d sent, want 1 (stays.csv) and 0", seen, sent)
	}
	clock.Advance(quiet / 2)
	if ready, _ := mustScan(t, w); names(ready) != "stays.csv" {
		t.Errorf("the file that stayed: ready %s after its quiet period", names(ready))
	}
}

// A file written in two parts, the second after a pause shorter than the quiet period, is
// emitted whole, never before a full quiet period has passed since its last write.
func TestRunQuietFromTheLastWrite(t *testing.T) {
	l, root := openTemp(t)
	const quiet = 300 * time.Millisecond
	w := NewWatcher(l, WatchOptions{Pattern: "*.csv", Ready: Readiness{Quiet: quiet}, Rescan: time.Hour})
	out := runWatcher(t, w)
	waitScanCount(t, w, 1)

	a := startAppender(t, filepath.Join(root, "a.csv"))
	a.write(t, "first part\n")
	waitScans(t, w, 1) // the first part is observed: its quiet period runs
	time.Sleep(quiet / 2)
	a.write(t, "second part\n")
	lastWrite := time.Now()
	fi := receive(t, out)
	if since := time.Since(lastWrite); since < quiet {
		t.Errorf("emitted %s after the last write, before the quiet period of %s", since, quiet)
	}
	if want := int64(len("first part\nsecond part\n")); fi.Size != want {
		t.Errorf("emitted with size %d, want %d", fi.Size, want)
	}
}
