package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/facturx"
	"github.com/fluxgate/fluxgate/invoice/syntax"
)

// TestFacturXOutput: a source with outputs [facturx] deposits one Factur-X PDF per invoice,
// named .pdf, whose attached CII is the invoice.
func TestFacturXOutput(t *testing.T) {
	e := newEnv(t)
	yaml := fmt.Sprintf(`
journal: {path: journal.db}
spool: spool
sources:
  - name: ventes
    folder: {path: inbox}
    pattern: "*.csv"
    ready: {quiet: 200ms}
    ack: {path: ack}
    mapping: %s
    outputs: [facturx]
    destination: outbox
destinations:
  - name: outbox
    folder: {path: outbox}
`, filepath.Join(testutil.RepoRoot(t), "examples", "mappings", "ventes-csv.xml"))
	cfg, err := config.Parse(filepath.Join(e.dir, "fluxgate.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	e.drop(t, "ventes-2026-11.csv", "ventes-2026-11.csv")
	if s := runOnce(t, g); s.ExitCode() != 0 || s.Accepted != 1 {
		t.Fatalf("summary = %+v", s)
	}
	var want []string
	for _, n := range sampleInvoices {
		want = append(want, n+"_facturx.pdf")
	}
	slices.Sort(want)
	if got := list(t, e.outbox); !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	for _, n := range want {
		data, err := os.ReadFile(filepath.Join(e.outbox, n))
		if err != nil {
			t.Fatal(err)
		}
		xmlData, _, err := facturx.Extract(data)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		s, inv, vs, err := syntax.Read(xmlData)
		if err != nil || s != syntax.CII || invoice.HasFatal(vs) || invoice.HasFatal(syntax.Check(s, inv, nil)) {
			t.Errorf("%s: the attached CII: %v %v", n, err, vs)
		}
	}
	if doc := e.ack(t, "ventes-2026-11.csv"); doc.File.Status != "ACCEPTED" {
		t.Errorf("ack: %+v", doc.File)
	}
}
