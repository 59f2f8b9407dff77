package gateway

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

// countingSpool counts how the spool is written and synced.
type countingSpool struct {
	*folder.Local
	own, dirSyncs     int
	deferred          atomic.Int64 // written from several workers
	unsynced, renamed atomic.Int64 // syncfs: written and renamed into place unsynced
}

func (s *countingSpool) WriteTempUnsynced(ctx context.Context, name string, r io.Reader) (string, error) {
	s.unsynced.Add(1)
	return s.Local.WriteTempUnsynced(ctx, name, r)
}

func (s *countingSpool) CommitTemp(ctx context.Context, tmp, name string) error {
	s.renamed.Add(1)
	return s.Local.CommitTemp(ctx, tmp, name)
}

func (s *countingSpool) WriteAtomic(ctx context.Context, name string, r io.Reader) error {
	s.own++
	return s.Local.WriteAtomic(ctx, name, r)
}

func (s *countingSpool) WriteAtomicNoDirSync(ctx context.Context, name string, r io.Reader) error {
	s.deferred.Add(1)
	return s.Local.WriteAtomicNoDirSync(ctx, name, r)
}

func (s *countingSpool) SyncDir(ctx context.Context, dir string) error {
	s.dirSyncs++
	return s.Local.SyncDir(ctx, dir)
}

// The flux files of one input file are written while the mapping goes on and synced with
// one directory sync (each file synced before its rename) or, on Linux, written unsynced and
// synced with one syncfs: when flush returns, every one is whole under its name.
func TestSpoolWriterSyncsOnce(t *testing.T) {
	t.Run("syncfs", func(t *testing.T) { testSpoolWriterSyncsOnce(t, true) })
	t.Run("fsync", func(t *testing.T) {
		t.Setenv("FLUXGATE_NO_SYNCFS", "1")
		testSpoolWriterSyncsOnce(t, false)
	})
}

func testSpoolWriterSyncsOnce(t *testing.T, syncfs bool) {
	dir := t.TempDir()
	l, err := folder.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	spool := &countingSpool{Local: l}
	if syncfs {
		fss, err := l.StartFSSync(context.Background())
		if err != nil {
			t.Skipf("no syncfs here: %v", err)
		}
		fss.Close()
	}
	w := newSpoolWriter(context.Background(), spool)
	const n = 100
	for i := range n {
		if err := w.write(fmt.Sprintf("1-%d-ubl.xml", i), []byte(strings.Repeat("x", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	w.stop() // as process's defer does, after flush
	switch {
	case !syncfs && (spool.deferred.Load() != n || spool.own != 0 || spool.dirSyncs != 1 || spool.unsynced.Load() != 0):
		t.Errorf("%d deferred writes, %d with their own sync, %d directory syncs, %d unsynced; want %d, 0, 1, 0", spool.deferred.Load(), spool.own, spool.dirSyncs, spool.unsynced.Load(), n)
	case syncfs && (spool.unsynced.Load() != 0 || spool.renamed.Load() != 0 || spool.deferred.Load() != 0 || spool.own != 0 || spool.dirSyncs != 0):
		// Created under their names (folder.FSSync.Create): no temporary file, no rename.
		t.Errorf("%d temporary writes, %d renamed, %d deferred, %d own, %d directory syncs; want none", spool.unsynced.Load(), spool.renamed.Load(), spool.deferred.Load(), spool.own, spool.dirSyncs)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != n {
		t.Errorf("%d entries in the spool, want %d (no temporary file left)", len(entries), n)
	}
	for i := range n {
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("1-%d-ubl.xml", i)))
		if err != nil || len(data) != i {
			t.Errorf("file %d: %d bytes, %v", i, len(data), err)
		}
	}
}

// A write that fails fails the file: flush says why, and the writes after it are refused,
// so that the journal never records fluxes whose files are not all in the spool.
func TestSpoolWriterFailure(t *testing.T) {
	l, err := folder.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	w := newSpoolWriter(context.Background(), l)
	defer w.stop()
	if err := w.write("missing/1-1-ubl.xml", []byte("x")); err != nil {
		t.Fatal(err) // queued: it fails in its worker
	}
	var later error
	for i := 0; i < 1000 && later == nil; i++ {
		later = w.write(fmt.Sprintf("1-%d-ubl.xml", i+2), []byte("x"))
	}
	if later == nil {
		t.Error("writes are still taken after one failed")
	}
	if err := w.flush(); err == nil || !strings.Contains(err.Error(), "missing/1-1-ubl.xml") {
		t.Errorf("flush: %v", err)
	}
}

// A spool file there already (an earlier attempt at the same input file) is replaced whole,
// never written into: a name linked to it (a deposit) keeps its bytes.
func TestSpoolWriterReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	l, err := folder.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	old, spooled, linked := []byte("the first attempt's bytes"), filepath.Join(dir, "1-1-ubl.xml"), filepath.Join(dir, "deposited.xml")
	if err := os.WriteFile(spooled, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(spooled, linked); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	w := newSpoolWriter(context.Background(), l)
	if err := w.write("1-1-ubl.xml", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := w.write("1-2-ubl.xml", []byte("second")); err != nil {
		t.Fatal(err)
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	w.stop()
	for name, want := range map[string]string{spooled: "new", linked: string(old), filepath.Join(dir, "1-2-ubl.xml"): "second"} {
		if data, err := os.ReadFile(name); err != nil || string(data) != want {
			t.Errorf("%s = %q, %v; want %q", filepath.Base(name), data, err, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("%d entries in the spool, want 3 (no temporary file left)", len(entries))
	}
}
