package folder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// moveAway renames dir to dir+".old" and makes a new, empty dir at its path, as an operator
// or a mount does.
func moveAway(t *testing.T, dir string) string {
	t.Helper()
	old := dir + ".old"
	if err := os.Rename(dir, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return old
}

func TestRevalidateReopensAMovedFolder(t *testing.T) {
	l, dir := openTemp(t)
	ctx := context.Background()
	if n, err := l.Revalidate(ctx); err != nil || n != 0 {
		t.Fatalf("unchanged folder: %d, %v", n, err)
	}
	if err := l.WriteAtomic(ctx, "before.xml", strings.NewReader("1")); err != nil {
		t.Fatal(err)
	}
	old := moveAway(t, dir)
	// Until revalidated, the folder still holds the old directory: that is the defect the
	// check exists for.
	if err := l.WriteAtomic(ctx, "unchecked.xml", strings.NewReader("2")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(old, "unchecked.xml")); err != nil {
		t.Fatalf("the held directory was not the old one: %v", err)
	}
	n, err := l.Revalidate(ctx)
	if err != nil || n != 1 {
		t.Fatalf("after the move: %d, %v; want one re-opening", n, err)
	}
	if err := l.WriteAtomic(ctx, "after.xml", strings.NewReader("3")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "after.xml")); err != nil {
		t.Fatalf("not written at the configured path: %v", err)
	}
	if _, err := os.Stat(filepath.Join(old, "after.xml")); !os.IsNotExist(err) {
		t.Fatalf("written into the old directory: %v", err)
	}
	if list, _ := l.List(ctx, "."); names(list) != "after.xml" {
		t.Fatalf("list = %s", names(list))
	}
	if n, err := l.Revalidate(ctx); err != nil || n != 1 {
		t.Fatalf("checked again: %d, %v; want no new re-opening", n, err)
	}

	// Nothing at the path (moved away, unmounted): an error, and nothing is created there.
	if err := os.Rename(dir, dir+".gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Revalidate(ctx); !errors.Is(err, ErrNotExist) {
		t.Fatalf("path gone: %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("the folder was made again at its path")
	}
}

func TestRevalidateStopsOldNotifications(t *testing.T) {
	l, dir := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := l.Notify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	moveAway(t, dir)
	if _, err := l.Revalidate(ctx); err != nil {
		t.Fatal(err)
	}
	for range ch { // drains the events of the move, then sees the channel closed
	}
}

// TestWatcherFollowsAMovedFolder: a source folder moved away and made again is re-opened
// before the next scan, prepared again (its work folders), and its new files are taken.
func TestWatcherFollowsAMovedFolder(t *testing.T) {
	l, dir := openTemp(t)
	prepared := 0
	w := NewWatcher(l, WatchOptions{
		Ready: Readiness{Quiet: time.Second},
		Prepare: func(ctx context.Context) error {
			prepared++
			return l.MkdirAll(ctx, ".fluxgate/processing")
		},
	})
	mustScan(t, w)
	if prepared != 1 {
		t.Fatalf("prepared %d times before the first listing, want 1", prepared)
	}
	mustScan(t, w)
	if prepared != 1 {
		t.Fatalf("prepared again without a move")
	}
	moveAway(t, dir)
	p := filepath.Join(dir, "new.csv")
	writeFile(t, p, "x")
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	ready, _ := mustScan(t, w)
	if prepared != 2 {
		t.Fatalf("prepared %d times, want again after the move", prepared)
	}
	if _, err := os.Stat(filepath.Join(dir, ".fluxgate", "processing")); err != nil {
		t.Fatalf("work folder not made again: %v", err)
	}
	// The file is new to this directory but was seen by no scan before: it waits its quiet
	// period like any file that appears.
	if len(ready) != 0 {
		t.Fatalf("ready at once: %s", names(ready))
	}
	if _, waiting := mustScan(t, w); reasonOf(waiting, "new.csv") == "" {
		t.Fatalf("the new directory's file is not seen")
	}
}

// TestWatcherRunFollowsAMovedFolder: Run notices the move (the rescan), re-subscribes its
// change notifications to the new directory and takes a file dropped there.
func TestWatcherRunFollowsAMovedFolder(t *testing.T) {
	l, dir := openTemp(t)
	w := NewWatcher(l, WatchOptions{Ready: Readiness{Quiet: 20 * time.Millisecond}, Rescan: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan FileInfo)
	go w.Run(ctx, out)
	old := moveAway(t, dir)
	writeFile(t, filepath.Join(old, "lost.csv"), "x") // in the directory moved away: never taken
	writeFile(t, filepath.Join(dir, "new.csv"), "x")
	select {
	case fi := <-out:
		if fi.Name != "new.csv" {
			t.Fatalf("emitted %+v", fi)
		}
	case <-time.After(time.Minute): // a safety net only
		t.Fatal("the file dropped into the new directory was never emitted")
	}
	if w.reopened.Load() != 1 {
		t.Fatalf("reopened %d times", w.reopened.Load())
	}
}
