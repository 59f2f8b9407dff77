package delivery

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// dirSyncs counts how a local outbox is written: atomic writes with their own directory
// sync, and directory syncs made for a group.
type dirSyncs struct {
	*folder.Local
	own, group int
	unsynced   atomic.Int64 // syncfs: written unsynced (from several writers)
	committed  int          // and renamed into place
	linked     atomic.Int64 // linked from the spool (from several writers)
}

func (s *dirSyncs) OpenLinks(ctx context.Context, from folder.Folder) (folder.Links, error) {
	links, err := s.Local.OpenLinks(ctx, from)
	if err != nil {
		return nil, err
	}
	return countedLinks{links, &s.linked}, nil
}

// countedLinks counts the links made.
type countedLinks struct {
	folder.Links
	n *atomic.Int64
}

func (c countedLinks) Link(ctx context.Context, fromName, name string) error {
	err := c.Links.Link(ctx, fromName, name)
	if err == nil {
		c.n.Add(1)
	}
	return err
}

func (s *dirSyncs) WriteTempUnsynced(ctx context.Context, name string, r io.Reader) (string, error) {
	s.unsynced.Add(1)
	return s.Local.WriteTempUnsynced(ctx, name, r)
}

func (s *dirSyncs) CommitTemp(ctx context.Context, tmp, name string) error {
	s.committed++
	return s.Local.CommitTemp(ctx, tmp, name)
}

func (s *dirSyncs) WriteAtomic(ctx context.Context, name string, r io.Reader) error {
	s.own++
	return s.Local.WriteAtomic(ctx, name, r)
}

func (s *dirSyncs) SyncDir(ctx context.Context, dir string) error {
	s.group++
	return s.Local.SyncDir(ctx, dir)
}

// A round to a folder deposits its fluxes in groups: one directory sync per group of
// GroupSize, none per flux; every flux ends deposited under its name, its spool file
// removed, and the file's ack rewritten once for the round. A flux left depositing by a
// crashed run, found there already, is deposited without a second copy. The outbox is on
// the spool's file system: each flux is linked from its spool file, none written. With
// syncfs (Linux), no directory is synced on its own either.
func TestFolderRoundDepositsInGroups(t *testing.T) {
	t.Run("syncfs", func(t *testing.T) { testFolderRoundDepositsInGroups(t, true) })
	t.Run("fsync", func(t *testing.T) {
		t.Setenv("FLUXGATE_NO_SYNCFS", "1")
		testFolderRoundDepositsInGroups(t, false)
	})
}

func testFolderRoundDepositsInGroups(t *testing.T, syncfs bool) {
	ctx := context.Background()
	f := newFixture(t)
	dir := t.TempDir()
	l, err := folder.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := &dirSyncs{Local: l}
	if syncfs {
		fss, err := l.StartFSSync(ctx)
		if err != nil {
			t.Skipf("no syncfs here: %v", err)
		}
		fss.Close()
	}
	dest := deposit.NewFolder("outbox", out)
	d := NewDestination(dest, config.DestinationConfig{Name: "outbox"}, config.Schedule{Now: true})
	const n = 150
	id := f.queue(t, "outbox", n)
	// FA-00007 was deposited by a run killed before it recorded so.
	invs, _ := f.j.Invoices(ctx, id)
	seventh := invs[6].Fluxes[0]
	if err := f.j.StartDeposit(ctx, seventh.ID); err != nil {
		t.Fatal(err)
	}
	data, _ := folder.ReadAll(ctx, f.spool, seventh.SpoolName)
	os.WriteFile(filepath.Join(dir, seventh.FinalName), data, 0o640)

	if err := f.g.Deliver(ctx, d, false); err != nil {
		t.Fatal(err)
	}
	if got := f.states(t, id); got[journal.FluxDeposited] != n {
		t.Fatalf("fluxes by state: %v", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != n {
		t.Errorf("%d files in the outbox, want %d", len(entries), n)
	}
	size := dest.GroupSize()
	want := (n + size - 1) / size // directory syncs
	if syncfs {
		want = 0
	}
	if out.group != want || out.own != 0 || out.unsynced.Load() != 0 || out.committed != 0 || out.linked.Load() != n-1 {
		t.Errorf("%d group syncs, %d writes with their own sync, %d unsynced, %d renamed, %d linked; want %d, 0, 0, 0, %d",
			out.group, out.own, out.unsynced.Load(), out.committed, out.linked.Load(), want, n-1)
	}
	if f.acks[id] != 1 {
		t.Errorf("ack rewritten %d times, want once for the round", f.acks[id])
	}
	for _, inv := range invs {
		if _, err := f.spool.Stat(ctx, inv.Fluxes[0].SpoolName); err == nil {
			t.Errorf("spool file %s left after its deposit", inv.Fluxes[0].SpoolName)
		}
	}
}

// A folder destination paced by a rate deposits flux by flux: a group would defeat the rate.
func TestPacedFolderIsNotGrouped(t *testing.T) {
	out, err := folder.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := NewDestination(deposit.NewFolder("outbox", out), config.DestinationConfig{Name: "outbox", Rate: &config.Rate{PerSecond: 100, Burst: 1}}, config.Schedule{Now: true})
	fluxes := []journal.Flux{{ID: 1, Syntax: "ubl"}, {ID: 2, Syntax: "cii"}, {ID: 3, Syntax: "ubl"}}
	if units := depositUnits(d, fluxes); len(units) != 3 {
		t.Errorf("%d units for a paced folder, want 3", len(units))
	}
	free := NewDestination(deposit.NewFolder("outbox", out), config.DestinationConfig{Name: "outbox"}, config.Schedule{Now: true})
	if units := depositUnits(free, fluxes); len(units) != 1 || len(units[0]) != 3 {
		t.Errorf("units for a folder: %v, want one of the three fluxes, whatever their syntax", units)
	}
}

// A flux whose spool file is gone fails for good, saying to process its source file again;
// the others of its group are linked and deposited.
func TestFolderRoundWithASpoolFileMissing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	dir := t.TempDir()
	out, err := folder.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDestination(deposit.NewFolder("outbox", out), config.DestinationConfig{Name: "outbox"}, config.Schedule{Now: true})
	id := f.queue(t, "outbox", 5)
	invs, _ := f.j.Invoices(ctx, id)
	lost := invs[2].Fluxes[0]
	if err := f.spool.Remove(ctx, lost.SpoolName); err != nil {
		t.Fatal(err)
	}
	if err := f.g.Deliver(ctx, d, false); err != nil {
		t.Fatal(err)
	}
	if got := f.states(t, id); got[journal.FluxDeposited] != 4 || got[journal.FluxFailed] != 1 {
		t.Fatalf("fluxes by state: %v, want 4 deposited and 1 failed", got)
	}
	invs, _ = f.j.Invoices(ctx, id)
	if fx := invs[2].Fluxes[0]; fx.State != journal.FluxFailed || !strings.Contains(fx.LastError, "missing; process the source file again") {
		t.Errorf("the flux without its spool file: %s, %q", fx.State, fx.LastError)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("%d files in the outbox, want 4", len(entries))
	}
}
