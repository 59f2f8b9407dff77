package deposit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

// syncCounter counts the directory syncs of a local folder, and the order of its unsynced
// writes and renames (syncfs).
type syncCounter struct {
	*folder.Local
	syncs  int
	mu     sync.Mutex
	steps  []string // "write" or "commit", in order
	opened int      // links prepared (OpenLinks)
}

func (s *syncCounter) OpenLinks(ctx context.Context, from folder.Folder) (folder.Links, error) {
	s.mu.Lock()
	s.opened++
	s.mu.Unlock()
	return s.Local.OpenLinks(ctx, from)
}

func (s *syncCounter) WriteTempUnsynced(ctx context.Context, name string, r io.Reader) (string, error) {
	s.mu.Lock()
	s.steps = append(s.steps, "write")
	s.mu.Unlock()
	return s.Local.WriteTempUnsynced(ctx, name, r)
}

func (s *syncCounter) CommitTemp(ctx context.Context, tmp, name string) error {
	s.mu.Lock()
	s.steps = append(s.steps, "commit")
	s.mu.Unlock()
	return s.Local.CommitTemp(ctx, tmp, name)
}

func (s *syncCounter) SyncDir(ctx context.Context, dir string) error {
	s.syncs++
	return s.Local.SyncDir(ctx, dir)
}

func groupFlux(name, content string) Flux {
	sum := sha256.Sum256([]byte(content))
	return Flux{Name: name, Syntax: "ubl", Data: []byte(content), SHA256: hex.EncodeToString(sum[:])}
}

// A group deposit writes each flux on its own terms, as Deposit would: new ones written
// whole, one there already byte for byte found (AlreadyThere), another file of the same
// name refused permanently, an invalid name refused; and the folder is synced once for all:
// with syncfs (Linux), every new flux is written unsynced into a temporary file before any
// is renamed into place (one syncfs between: no name appears before its data is durable);
// elsewhere each file is synced and the directory once.
func TestDepositGroup(t *testing.T) {
	t.Run("syncfs", func(t *testing.T) { testDepositGroup(t, true) })
	t.Run("fsync", func(t *testing.T) {
		t.Setenv("FLUXGATE_NO_SYNCFS", "1")
		testDepositGroup(t, false)
	})
}

func testDepositGroup(t *testing.T, syncfs bool) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := folder.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := &syncCounter{Local: l}
	if syncfs {
		fss, err := l.StartFSSync(ctx)
		if err != nil {
			t.Skipf("no syncfs here: %v", err)
		}
		fss.Close()
	}
	d := NewFolder("outbox", out)
	defer d.Close()
	os.WriteFile(filepath.Join(dir, "same.xml"), []byte("same"), 0o640)
	os.WriteFile(filepath.Join(dir, "other.xml"), []byte("somebody else's"), 0o640)
	fluxes := []Flux{groupFlux("same.xml", "same"), groupFlux("other.xml", "ours"), groupFlux("../up.xml", "x")}
	for i := range 20 {
		fluxes = append(fluxes, groupFlux(fmt.Sprintf("new-%02d.xml", i), fmt.Sprint("flux ", i)))
	}
	receipts, errs := d.DepositGroup(ctx, fluxes)
	if errs[0] != nil || !receipts[0].AlreadyThere {
		t.Errorf("same.xml: %+v, %v", receipts[0], errs[0])
	}
	if !IsPermanent(errs[1]) || !strings.Contains(errs[1].Error(), "different file") {
		t.Errorf("other.xml: %v", errs[1])
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "other.xml")); string(data) != "somebody else's" {
		t.Errorf("other.xml overwritten: %q", data)
	}
	if !IsPermanent(errs[2]) {
		t.Errorf("../up.xml: %v", errs[2])
	}
	for i, fx := range fluxes[3:] {
		if errs[i+3] != nil || receipts[i+3].ID != fx.Name || receipts[i+3].AlreadyThere {
			t.Errorf("%s: %+v, %v", fx.Name, receipts[i+3], errs[i+3])
		}
		if data, _ := os.ReadFile(filepath.Join(dir, fx.Name)); string(data) != string(fx.Data) {
			t.Errorf("%s holds %q", fx.Name, data)
		}
	}
	steps := strings.Join(out.steps, " ")
	switch {
	case !syncfs && (out.syncs != 1 || len(out.steps) != 0):
		t.Errorf("%d directory syncs for the group, want 1; unsynced steps %q", out.syncs, steps)
	case syncfs && (out.syncs != 0 || steps != strings.TrimSpace(strings.Repeat("write ", 20)+strings.Repeat("commit ", 20))):
		t.Errorf("%d directory syncs, steps %q; want 0, the 20 writes then the 20 renames", out.syncs, steps)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	if len(entries) != 22 {
		t.Errorf("%d files in the outbox, want 22", len(entries))
	}
}
