package deposit

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

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

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestFolderDepositFollowsAMovedOutbox: an outbox moved away and made again at its path gets
// the next deposit; the old directory nothing.
func TestFolderDepositFollowsAMovedOutbox(t *testing.T) {
	d, dir := newFolderDest(t)
	ctx := context.Background()
	if _, err := d.Deposit(ctx, flux("F1_ubl.xml", "<Invoice>1</Invoice>")); err != nil {
		t.Fatal(err)
	}
	old := moveAway(t, dir)
	r, err := d.Deposit(ctx, flux("F2_ubl.xml", "<Invoice>2</Invoice>"))
	if err != nil || r.AlreadyThere {
		t.Fatalf("deposit after the move = %+v, %v", r, err)
	}
	if got := entries(t, dir); len(got) != 1 || got[0] != "F2_ubl.xml" {
		t.Fatalf("outbox at the path holds %v", got)
	}
	if got := entries(t, old); len(got) != 1 || got[0] != "F1_ubl.xml" {
		t.Fatalf("the old outbox holds %v, want only what was deposited before the move", got)
	}
	// F1 is deposited again into the new outbox if asked: the one in the old directory is
	// not "already there".
	if r, err := d.Deposit(ctx, flux("F1_ubl.xml", "<Invoice>1</Invoice>")); err != nil || r.AlreadyThere {
		t.Fatalf("F1 again = %+v, %v", r, err)
	}
}

// TestFolderDepositWithoutOutboxFailsTransiently: nothing at the path (moved away,
// unmounted): the deposit fails, to be tried again, and nothing is made there.
func TestFolderDepositWithoutOutboxFailsTransiently(t *testing.T) {
	d, dir := newFolderDest(t)
	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	_, err := d.Deposit(context.Background(), flux("F1_ubl.xml", "x"))
	if err == nil || IsPermanent(err) {
		t.Fatalf("deposit without an outbox: %v, want a transient error", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("the outbox was made again at its path")
	}
	if got := entries(t, dir+".old"); len(got) != 0 {
		t.Fatalf("deposited into the directory moved away: %v", got)
	}
}

// movedDuringWrite is a local outbox moved away (and made again) just after a write, before
// the deposit is reported.
type movedDuringWrite struct {
	*folder.Local
	t     *testing.T
	moved bool
}

func (m *movedDuringWrite) WriteAtomic(ctx context.Context, name string, r io.Reader) error {
	err := m.Local.WriteAtomic(ctx, name, r)
	if !m.moved {
		m.moved = true
		moveAway(m.t, m.Path())
	}
	return err
}

// TestFolderDepositIntoAFolderMovedMeanwhileIsNotReported: a flux written into a directory
// that was moved away during the write is not reported deposited; the next attempt writes it
// into the directory now at the path.
func TestFolderDepositIntoAFolderMovedMeanwhileIsNotReported(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	os.Mkdir(dir, 0o755)
	l, err := folder.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := NewFolder("outbox", &movedDuringWrite{Local: l, t: t})
	defer d.Close()
	ctx := context.Background()
	fx := flux("F1_ubl.xml", "<Invoice/>")
	if r, err := d.Deposit(ctx, fx); err == nil || IsPermanent(err) {
		t.Fatalf("deposit into a folder moved meanwhile = %+v, %v; want a transient error", r, err)
	}
	r, err := d.Deposit(ctx, fx)
	if err != nil || r.AlreadyThere {
		t.Fatalf("next attempt = %+v, %v", r, err)
	}
	if got := entries(t, dir); len(got) != 1 || got[0] != "F1_ubl.xml" {
		t.Fatalf("outbox at the path holds %v", got)
	}
}
