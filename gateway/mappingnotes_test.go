package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// What the mapping tells without rejecting reaches the ack: rows it skipped (a totals row,
// a trailer) and lines whose net amount does not add up (issue 13, nothing silent).
func TestAckShowsSkippedRowsAndLineNetWarnings(t *testing.T) {
	root := testutil.RepoRoot(t)
	e := newEnv(t)
	src, err := os.ReadFile(filepath.Join(root, "examples", "mappings", "caisse-csv.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// The mapping following the discount % alone: three lines are a cent from the export.
	naive := string(src)
	i, j := strings.Index(naive, `        <term bt="BT-137">`), strings.Index(naive, `        <term bt="BT-139"`)
	naive = naive[:i] + naive[j:]
	mp := filepath.Join(e.dir, "caisse.xml")
	if err := os.WriteFile(mp, []byte(naive), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`
journal: {path: journal.db}
spool: spool
sources:
  - name: caisse
    folder: {path: inbox}
    pattern: "*.csv"
    ready: {quiet: 200ms}
    ack: {path: ack, language: en}
    mapping: %s
    outputs: [ubl]
    destination: outbox
destinations:
  - name: outbox
    folder: {path: outbox}
    schedule: now
`, mp)
	cfg, err := config.Parse(filepath.Join(e.dir, "fluxgate.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	e.drop(t, "caisse-2026-11.csv", "caisse-2026-11.csv")
	if _, err := g.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	doc := e.ack(t, "caisse-2026-11.csv")
	if doc.File.Status != "ACCEPTED" || len(doc.Invoices) != 3 {
		t.Fatalf("status %s, %d invoices: warnings and notices reject nothing", doc.File.Status, len(doc.Invoices))
	}
	var skipped []string
	for _, p := range doc.Problems {
		if p.Rule == "FG-MAP-SKIP" && p.Severity == "warning" {
			skipped = append(skipped, fmt.Sprint(p.Line))
		}
	}
	if strings.Join(skipped, ",") != "9,10" {
		t.Errorf("skipped rows in the ack: %v (%+v)", skipped, doc.Problems)
	}
	warned := 0
	for _, inv := range doc.Invoices {
		for _, p := range inv.Problems {
			if p.Rule == "FG-LINE-NET" && p.Severity == "warning" && strings.Contains(p.Message, "a recipient that recomputes the line") {
				warned++
			}
		}
	}
	if warned != 3 {
		t.Errorf("%d FG-LINE-NET warnings in the ack, want 3: %+v", warned, doc.Invoices)
	}
}
