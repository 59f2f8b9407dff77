package deposit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

func newFolderDest(t *testing.T) (*FolderDestination, string) {
	t.Helper()
	dir := t.TempDir()
	f, err := folder.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := NewFolder("outbox", f)
	t.Cleanup(func() { d.Close() })
	return d, dir
}

func flux(name, content string) Flux {
	sum := sha256.Sum256([]byte(content))
	return Flux{Name: name, Syntax: "ubl", Data: []byte(content), SHA256: hex.EncodeToString(sum[:])}
}

func TestFolderDepositIsIdempotent(t *testing.T) {
	d, dir := newFolderDest(t)
	ctx := context.Background()
	fx := flux("F1_ubl.xml", "<Invoice/>")
	r, err := d.Deposit(ctx, fx)
	if err != nil || r.AlreadyThere || r.ID != "F1_ubl.xml" {
		t.Fatalf("first deposit = %+v, %v", r, err)
	}
	// The same flux again (a crash between the upload and the journal): a success, not a copy.
	r, err = d.Deposit(ctx, fx)
	if err != nil || !r.AlreadyThere {
		t.Fatalf("second deposit = %+v, %v", r, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("outbox holds %d entries, want 1 (no temporary file left)", len(entries))
	}
}

func TestFolderDepositRefusesForeignFile(t *testing.T) {
	d, dir := newFolderDest(t)
	if err := os.WriteFile(filepath.Join(dir, "F1_ubl.xml"), []byte("other"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := d.Deposit(context.Background(), flux("F1_ubl.xml", "<Invoice/>"))
	if err == nil || !IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent refusal", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "F1_ubl.xml")); string(data) != "other" {
		t.Fatal("the foreign file was overwritten")
	}
}

func TestFolderDepositRefusesBadNames(t *testing.T) {
	d, _ := newFolderDest(t)
	for _, name := range []string{"", "../x.xml", "a/b.xml"} {
		if _, err := d.Deposit(context.Background(), flux(name, "x")); !IsPermanent(err) {
			t.Errorf("%q: err = %v, want permanent", name, err)
		}
	}
}

func TestPermanentWrapping(t *testing.T) {
	base := os.ErrPermission
	err := Permanent(base)
	if !IsPermanent(err) || !IsPermanent(errorsJoin(err)) {
		t.Fatal("Permanent not recognised")
	}
	if IsPermanent(base) {
		t.Fatal("a plain error must be transient")
	}
}

func errorsJoin(err error) error { return &wrapped{err} }

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "ctx: " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }
