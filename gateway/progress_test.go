package gateway

import (
	"sync/atomic"
	"testing"
)

type countingProgress struct{ files, invoices atomic.Int64 }

func (c *countingProgress) FileDone()      { c.files.Add(1) }
func (c *countingProgress) InvoiceMapped() { c.invoices.Add(1) }

// TestProgressHooks: a run --once tells its Progress of each file taken and each invoice
// mapped, which the command line's bar counts.
func TestProgressHooks(t *testing.T) {
	e := newEnv(t)
	e.drop(t, "ventes-2026-11.csv", "a.csv")
	e.drop(t, "ventes-erreurs.csv", "b.csv")
	g := e.open(t)
	var p countingProgress
	g.OnProgress(&p)
	runOnce(t, g)
	if p.files.Load() != 2 || p.invoices.Load() != int64(len(sampleInvoices))+2 {
		t.Fatalf("progress heard %d files and %d invoices, want 2 and %d", p.files.Load(), p.invoices.Load(), len(sampleInvoices)+2)
	}
}
