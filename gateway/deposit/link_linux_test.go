package deposit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

// A group deposit from a spool on the outbox's file system links each spool file under its
// final name: the outbox file is the spool file, nothing is written or copied, and the
// folder is synced once (syncfs, or its directory). A name there already is judged as
// always: the same bytes are AlreadyThere, others refused permanently and left alone; a
// spool file gone is a permanent failure. The spool files stay: the delivery removes them
// once the journal recorded the deposits.
func TestDepositGroupLinksSpoolFiles(t *testing.T) {
	t.Run("syncfs", func(t *testing.T) { testDepositGroupLinks(t, true) })
	t.Run("fsync", func(t *testing.T) {
		t.Setenv("FLUXGATE_NO_SYNCFS", "1")
		testDepositGroupLinks(t, false)
	})
}

func testDepositGroupLinks(t *testing.T, syncfs bool) {
	ctx := context.Background()
	spool := openLocal(t, t.TempDir())
	outDir := t.TempDir()
	out := &syncCounter{Local: openLocal(t, outDir)}
	d := NewFolder("outbox", out)
	os.WriteFile(filepath.Join(outDir, "same.xml"), []byte("same"), 0o640)
	os.WriteFile(filepath.Join(outDir, "other.xml"), []byte("somebody else's"), 0o640)
	lost := spooledFlux(t, spool, "lost.xml", "lost")
	os.Remove(filepath.Join(spool.Path(), lost.Spooled.Name))
	fluxes := []Flux{spooledFlux(t, spool, "same.xml", "same"), spooledFlux(t, spool, "other.xml", "ours"), lost}
	for i := range 10 {
		fluxes = append(fluxes, spooledFlux(t, spool, fmt.Sprintf("new-%02d.xml", i), fmt.Sprint("flux ", i)))
	}
	receipts, errs := d.DepositGroup(ctx, fluxes)
	if errs[0] != nil || !receipts[0].AlreadyThere {
		t.Errorf("same.xml: %+v, %v", receipts[0], errs[0])
	}
	if !IsPermanent(errs[1]) || !strings.Contains(errs[1].Error(), "different file") {
		t.Errorf("other.xml: %v", errs[1])
	}
	if data, _ := os.ReadFile(filepath.Join(outDir, "other.xml")); string(data) != "somebody else's" {
		t.Errorf("other.xml overwritten: %q", data)
	}
	if !IsPermanent(errs[2]) || !strings.Contains(errs[2].Error(), "missing") {
		t.Errorf("lost.xml, its spool file gone: %v", errs[2])
	}
	for i, fx := range fluxes[3:] {
		if errs[i+3] != nil || receipts[i+3].ID != fx.Name || receipts[i+3].AlreadyThere {
			t.Errorf("%s: %+v, %v", fx.Name, receipts[i+3], errs[i+3])
		}
		src, err := os.Stat(filepath.Join(spool.Path(), fx.Spooled.Name))
		if err != nil {
			t.Fatalf("spool file of %s: %v", fx.Name, err)
		}
		if dst, err := os.Stat(filepath.Join(outDir, fx.Name)); err != nil || !os.SameFile(src, dst) {
			t.Errorf("%s is not its spool file: %v", fx.Name, err)
		}
	}
	if len(out.steps) != 0 || !syncfs && out.syncs != 1 || syncfs && out.syncs != 0 {
		t.Errorf("%d directory syncs, steps %q; want %d and nothing written", out.syncs, out.steps, map[bool]int{true: 0, false: 1}[syncfs])
	}
	if got := entries(t, outDir); len(got) != 12 {
		t.Errorf("the outbox holds %v, want the 10 linked and the 2 there before", got)
	}
	if out.opened != 1 {
		t.Errorf("links prepared %d times for one group, want once", out.opened)
	}
}

// A spool on another file system than the outbox (tmpfs here) cannot be linked: the fluxes
// are copied, transparently.
func TestDepositGroupCopiesAcrossFileSystems(t *testing.T) {
	outDir := t.TempDir()
	var spoolDir string
	for _, base := range []string{os.Getenv("FLUXGATE_TEST_OTHER_FS"), "/dev/shm"} {
		if dir, err := os.MkdirTemp(base, "fluxgate-spool-"); base != "" && err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			if device(t, dir) != device(t, outDir) {
				spoolDir = dir
				break
			}
		}
	}
	if spoolDir == "" {
		t.Skip("no second file system to spool into (set FLUXGATE_TEST_OTHER_FS)")
	}
	spool := openLocal(t, spoolDir)
	d := NewFolder("outbox", openLocal(t, outDir))
	fluxes := []Flux{spooledFlux(t, spool, "a.xml", "a"), spooledFlux(t, spool, "b.xml", "b")}
	_, errs := d.DepositGroup(context.Background(), fluxes)
	for i, fx := range fluxes {
		data, _ := os.ReadFile(filepath.Join(outDir, fx.Name))
		if errs[i] != nil || string(data) != strings.TrimSuffix(fx.Name, ".xml") {
			t.Errorf("%s: %v, holds %q", fx.Name, errs[i], data)
		}
	}
	if !d.copies.Load() {
		t.Error("the destination does not remember that it copies")
	}
}

func device(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Dev
}

// movedDuringLink is a local outbox moved away (and made again) just after its first link,
// before the group is reported.
type movedDuringLink struct {
	*folder.Local
	t    *testing.T
	move sync.Once
}

func (m *movedDuringLink) OpenLinks(ctx context.Context, from folder.Folder) (folder.Links, error) {
	links, err := m.Local.OpenLinks(ctx, from)
	if err != nil {
		return nil, err
	}
	return movingLinks{links, m}, nil
}

type movingLinks struct {
	folder.Links
	m *movedDuringLink
}

func (l movingLinks) Link(ctx context.Context, fromName, name string) error {
	err := l.Links.Link(ctx, fromName, name)
	l.m.move.Do(func() { moveAway(l.m.t, l.m.Path()) })
	return err
}

// Fluxes linked into a directory that was moved away meanwhile are not reported deposited;
// the next attempt links them into the directory now at the path.
func TestDepositGroupLinkedIntoAFolderMovedMeanwhileIsNotReported(t *testing.T) {
	ctx := context.Background()
	spool := openLocal(t, t.TempDir())
	outDir := filepath.Join(t.TempDir(), "outbox")
	os.Mkdir(outDir, 0o755)
	d := NewFolder("outbox", &movedDuringLink{Local: openLocal(t, outDir), t: t})
	fluxes := []Flux{spooledFlux(t, spool, "a.xml", "a"), spooledFlux(t, spool, "b.xml", "b")}
	_, errs := d.DepositGroup(ctx, fluxes)
	for i, err := range errs {
		if err == nil || IsPermanent(err) {
			t.Fatalf("%s linked into a folder moved meanwhile: %v; want a transient error", fluxes[i].Name, err)
		}
	}
	receipts, errs := d.DepositGroup(ctx, fluxes)
	for i, fx := range fluxes {
		if errs[i] != nil || receipts[i].AlreadyThere {
			t.Fatalf("next attempt, %s: %+v, %v", fx.Name, receipts[i], errs[i])
		}
	}
	if got := entries(t, outDir); len(got) != 2 {
		t.Fatalf("outbox at the path holds %v, want a.xml and b.xml", got)
	}
}

// BenchmarkDepositGroup measures a group of 64 fluxes of 8 KB deposited into an outbox on
// the spool's file system: linked from the spool, or copied (an outbox refusing links), with
// the syncs of the file system a real deposit makes. It reports fluxes per second.
//
//	go test -run '^$' -bench DepositGroup -benchtime 50x ./gateway/deposit/
func BenchmarkDepositGroup(b *testing.B) {
	b.Run("link", func(b *testing.B) { benchDepositGroup(b, false) })
	b.Run("copy", func(b *testing.B) { benchDepositGroup(b, true) })
}

func benchDepositGroup(b *testing.B, copies bool) {
	ctx := context.Background()
	spoolDir, outDir := b.TempDir(), b.TempDir()
	spool, err := folder.OpenLocal(spoolDir)
	if err != nil {
		b.Fatal(err)
	}
	defer spool.Close()
	out, err := folder.OpenLocal(outDir)
	if err != nil {
		b.Fatal(err)
	}
	var dir folder.Folder = out
	if copies {
		dir = &refusesLinks{Local: out}
	}
	d := NewFolder("outbox", dir)
	content := strings.Repeat("<cbc:Note>flux</cbc:Note>\n", 8<<10/26)
	fluxes := make([]Flux, d.GroupSize())
	for i := range fluxes {
		fluxes[i] = groupFlux(fmt.Sprintf("F%05d_ubl.xml", i), content)
		fluxes[i].Data = nil
		fluxes[i].Spooled = &Spooled{Folder: spool, Name: fmt.Sprintf("1-%d-ubl.xml", i)}
		if err := os.WriteFile(filepath.Join(spoolDir, fluxes[i].Spooled.Name), []byte(content), 0o640); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		_, errs := d.DepositGroup(ctx, fluxes)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		for _, fx := range fluxes {
			os.Remove(filepath.Join(outDir, fx.Name))
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*len(fluxes))/b.Elapsed().Seconds(), "fluxes/s")
}
