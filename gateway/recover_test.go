package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// dropVariant drops the sample export with its invoice numbers made unique to variant n.
func (e *env) dropVariant(t *testing.T, n int) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "exports", "ventes-2026-11.csv"))
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.ReplaceAll(data, []byte("FA2026-"), fmt.Appendf(nil, "FA%d-", n))
	data = bytes.ReplaceAll(data, []byte("AV2026-"), fmt.Appendf(nil, "AV%d-", n))
	name := fmt.Sprintf("lot-%d.csv", n)
	e.write(t, name, data)
	return name
}

// assertAllDepositedOnce checks that every invoice of every file was deposited exactly once
// under its plain name, and that the journal knows each file once.
func assertAllDepositedOnce(t *testing.T, e *env, g *Gateway, files []string) {
	t.Helper()
	outbox := list(t, e.outbox)
	if len(outbox) != 2*len(sampleInvoices)*len(files) {
		t.Fatalf("outbox holds %d files, want %d: %v", len(outbox), 2*len(sampleInvoices)*len(files), outbox)
	}
	for _, name := range files {
		doc := e.ack(t, name)
		if doc.File.Status != "ACCEPTED" || doc.Summary.Deposited != len(sampleInvoices) {
			t.Errorf("%s: ack %+v", name, doc.Summary)
		}
		for _, inv := range doc.Invoices {
			for _, f := range inv.Fluxes {
				if !slices.Contains(outbox, f.Name) || f.Name != inv.Number+"_"+f.Syntax+".xml" {
					t.Errorf("%s: flux %s of %s not in the outbox under its plain name", name, f.Name, inv.Number)
				}
			}
		}
	}
	recorded, err := g.journal.Files(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != len(files) {
		t.Fatalf("journal knows %d files, want %d", len(recorded), len(files))
	}
	if left := list(t, filepath.Join(e.inbox, processingDir)); len(left) != 0 {
		t.Fatalf("processing/ still holds %v", left)
	}
}

func TestStopMidBatchThenRestart(t *testing.T) {
	e := newEnv(t)
	var files []string
	for i := range 4 {
		files = append(files, e.dropVariant(t, i))
	}
	g := e.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	// Stop as soon as the first file is through: the others are untouched or in hand.
	waitFor(t, func() bool {
		for _, f := range files {
			if data, err := os.ReadFile(filepath.Join(e.acks, ack.Name(f))); err == nil && bytes.Contains(data, []byte("storedAs")) {
				return true
			}
		}
		return false
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	g.Close()

	g = e.open(t)
	runOnce(t, g)
	assertAllDepositedOnce(t, e, g, files)
}

func TestRecoverClaimedFile(t *testing.T) {
	for _, moved := range []bool{false, true} {
		t.Run(fmt.Sprintf("moved=%v", moved), func(t *testing.T) {
			e := newEnv(t)
			name := e.dropVariant(t, 1)
			g := e.open(t)
			ctx := context.Background()
			r := g.routes[0]
			// A crash right after the claim row, before or after the move to processing/.
			id, err := g.journal.ClaimFile(ctx, "ventes", name, sha(t, e, name), 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			if moved {
				if err := r.in.Rename(ctx, name, processingName(id, name)); err != nil {
					t.Fatal(err)
				}
			}
			g.Close()

			g = e.open(t)
			runOnce(t, g)
			assertAllDepositedOnce(t, e, g, []string{name})
		})
	}
}

func TestRecoverProcessedFile(t *testing.T) {
	e := newEnv(t)
	name := e.dropVariant(t, 1)
	g := e.open(t)
	ctx := context.Background()
	r := g.routes[0]
	id, err := g.journal.ClaimFile(ctx, "ventes", name, sha(t, e, name), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.in.Rename(ctx, name, processingName(id, name)); err != nil {
		t.Fatal(err)
	}
	f, err := g.journal.File(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// Processed and recorded, then a crash before the ack and the move to archive/.
	if err := g.process(ctx, r, f); err != nil {
		t.Fatal(err)
	}
	g.Close()

	g = e.open(t)
	runOnce(t, g)
	assertAllDepositedOnce(t, e, g, []string{name})
}

func TestRecoverInterruptedDeposit(t *testing.T) {
	for _, uploaded := range []bool{false, true} {
		t.Run(fmt.Sprintf("uploaded=%v", uploaded), func(t *testing.T) {
			e := newEnv(t)
			e.schedule = "0 2 * * *"
			name := e.dropVariant(t, 1)
			g := e.open(t)
			ctx := context.Background()
			// Process without depositing: the nightly schedule holds the fluxes in the spool.
			r := g.routes[0]
			ready, _, err := r.watcher.Scan(ctx)
			if err != nil || len(ready) != 1 {
				t.Fatalf("scan = %v, %v", ready, err)
			}
			if _, err := g.take(ctx, r, ready[0]); err != nil {
				t.Fatal(err)
			}
			fluxes, err := g.journal.Deliverable(ctx, "outbox", time.Time{})
			if err != nil || len(fluxes) != 2*len(sampleInvoices) {
				t.Fatalf("deliverable = %d, %v", len(fluxes), err)
			}
			// A crash during the first deposit, before or after the upload completed.
			fx := fluxes[0]
			if err := g.journal.StartDeposit(ctx, fx.ID); err != nil {
				t.Fatal(err)
			}
			if uploaded {
				data, err := folder.ReadAll(ctx, g.spool, fx.SpoolName)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(e.outbox, 0o750); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(e.outbox, fx.FinalName), data, 0o640); err != nil {
					t.Fatal(err)
				}
			}
			g.Close()

			g = e.open(t)
			runOnce(t, g)
			assertAllDepositedOnce(t, e, g, []string{name})
			doc := e.ack(t, name)
			if doc.Invoices[0].Fluxes[0].Status != journal.InvoiceDeposited {
				t.Fatalf("interrupted flux: %+v", doc.Invoices[0].Fluxes[0])
			}
		})
	}
}

func TestForeignFileInOutboxIsNotOverwritten(t *testing.T) {
	e := newEnv(t)
	name := e.dropVariant(t, 1)
	if err := os.MkdirAll(e.outbox, 0o750); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(e.outbox, "FA1-1101_ubl.xml")
	if err := os.WriteFile(foreign, []byte("somebody else's"), 0o640); err != nil {
		t.Fatal(err)
	}
	g := e.open(t)
	s, err := g.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(foreign); string(data) != "somebody else's" {
		t.Fatal("a foreign file in the outbox was overwritten")
	}
	doc := e.ack(t, name)
	inv := doc.Invoices[0]
	if inv.Fluxes[0].Status != journal.InvoiceRejected || inv.Fluxes[0].Waiting == "" {
		t.Fatalf("refused flux: %+v (summary %+v)", inv.Fluxes[0], s)
	}
}

func sha(t *testing.T, e *env, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.inbox, name))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(data))
}
