package gateway

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

func TestStatusReportsFilesAndWhyOthersWait(t *testing.T) {
	e := newEnv(t)
	e.quiet = "1h" // nothing fresh becomes ready during the test
	g := e.open(t)
	e.drop(t, "ventes-2026-11.csv", "done.csv")
	runOnce(t, g)
	e.drop(t, "ventes-2026-11.csv", "again.csv") // same bytes: will be a duplicate
	fresh := filepath.Join(e.inbox, "fresh.csv")
	if err := os.WriteFile(fresh, []byte("NumFacture;"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.write(t, "notes.txt", []byte("x"))

	rep, err := g.Status(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 1 || rep.Files[0].Name != "done.csv" || len(rep.Files[0].Invoices) != len(sampleInvoices) {
		t.Fatalf("files = %+v", rep.Files)
	}
	reasons := map[string]string{}
	for _, w := range rep.Waiting {
		reasons[w.Name] = w.Reason
	}
	for name, want := range map[string]string{"again.csv": "already processed", "fresh.csv": "still changing", "notes.txt": "pattern"} {
		if !strings.Contains(reasons[name], want) {
			t.Errorf("%s: reason %q, want it to mention %q", name, reasons[name], want)
		}
	}
}

func TestReprocessWithAnotherMapping(t *testing.T) {
	e := newEnv(t)
	g := e.open(t)
	e.drop(t, "ventes-erreurs.csv", "bad.csv")
	runOnce(t, g)
	first := e.ack(t, "bad.csv")
	if first.File.Status != journal.StatusRejected {
		t.Fatalf("first run: %s", first.File.Status)
	}
	// The integrator fixes the mapping: 19,6 becomes a known rate.
	orig, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "mappings", "ventes-csv.xml"))
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.Replace(string(orig), `<entry key="20">S</entry>`, `<entry key="20">S</entry><entry key="19,6">S</entry>`, 1)
	if fixed == string(orig) {
		t.Fatal("the shipped mapping changed: update this test")
	}
	mp := filepath.Join(e.dir, "fixed.xml")
	if err := os.WriteFile(mp, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	id, status, err := g.Reprocess(context.Background(), "bad.csv", mp)
	if err != nil {
		t.Fatal(err)
	}
	if status != journal.StatusPartial {
		t.Fatalf("reprocessed status %s, want PARTIAL (the missing buyer name is still missing)", status)
	}
	f, err := g.journal.File(context.Background(), id)
	if err != nil || f.ReprocessOf == 0 {
		t.Fatalf("new run %+v, %v: it must point at the first run", f, err)
	}
	files, _ := g.journal.Files(context.Background(), time.Time{})
	if len(files) != 2 {
		t.Fatalf("the journal holds %d runs, want both", len(files))
	}
	if got := len(list(t, e.outbox)); got != 2 {
		t.Fatalf("outbox holds %d files, want the 2 fluxes of the repaired invoice", got)
	}
	if _, err := os.Stat(filepath.Join(e.inbox, filepath.FromSlash(first.File.StoredAs))); err != nil {
		t.Fatalf("the first run's copy must stay for audit: %v", err)
	}
}

func TestRetryUnknownFile(t *testing.T) {
	e := newEnv(t)
	g := e.open(t)
	if _, err := g.Retry(context.Background(), 42); err == nil {
		t.Fatal("retry of an unknown file succeeded")
	}
	if _, _, err := g.Reprocess(context.Background(), "nope.csv", ""); err == nil || !strings.Contains(err.Error(), "status") {
		t.Fatalf("reprocess of an unknown file: %v", err)
	}
}
