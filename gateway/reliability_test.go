package gateway

import (
	"bytes"
	"context"
	"errors"
	"github.com/fluxgate/fluxgate/gateway/delivery"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

func TestSameFileTwiceIsDuplicate(t *testing.T) {
	e := newEnv(t)
	g := e.open(t)
	e.drop(t, "ventes-2026-11.csv", "a.csv")
	runOnce(t, g)
	e.drop(t, "ventes-2026-11.csv", "a-again.csv")
	s := runOnce(t, g)
	if s.Duplicate != 1 || s.ExitCode() != 0 {
		t.Fatalf("summary = %+v", s)
	}
	doc := e.ack(t, "a-again.csv")
	if doc.File.Status != journal.StatusDuplicate || len(doc.Problems) != 1 || !strings.Contains(doc.Problems[0].Message, "a.csv") {
		t.Fatalf("ack = %+v", doc)
	}
	if got := len(list(t, e.outbox)); got != 2*len(sampleInvoices) {
		t.Fatalf("outbox holds %d files after a duplicate, want %d", got, 2*len(sampleInvoices))
	}
	if !strings.HasPrefix(doc.File.StoredAs, archiveDir+"/") {
		t.Fatalf("duplicate stored as %q", doc.File.StoredAs)
	}
}

func TestCorrectedFileDepositsOnlyNewInvoices(t *testing.T) {
	e := newEnv(t)
	g := e.open(t)
	e.drop(t, "ventes-2026-11.csv", "first.csv")
	runOnce(t, g)
	// The same export with more invoices at the end: only those are new.
	root := testutil.RepoRoot(t)
	good, _ := os.ReadFile(filepath.Join(root, "examples", "exports", "ventes-2026-11.csv"))
	extra := bytes.ReplaceAll(good, []byte("FA2026-"), []byte("FB2026-"))
	extra = bytes.ReplaceAll(extra, []byte("AV2026-"), []byte("AW2026-"))
	_, extraRows, _ := bytes.Cut(extra, []byte("\n"))
	e.write(t, "second.csv", append(good, extraRows...))
	s := runOnce(t, g)
	if s.Accepted != 1 {
		t.Fatalf("summary = %+v", s)
	}
	doc := e.ack(t, "second.csv")
	deposited, duplicate := 0, 0
	for _, inv := range doc.Invoices {
		switch inv.Status {
		case journal.InvoiceDeposited:
			deposited++
			if !strings.HasPrefix(inv.Number, "FB2026-") && !strings.HasPrefix(inv.Number, "AW2026-") {
				t.Errorf("%s deposited again", inv.Number)
			}
		case journal.InvoiceDuplicate:
			duplicate++
			if len(inv.Problems) != 1 || inv.Problems[0].Rule != "FG-DUPLICATE-INVOICE" || inv.Problems[0].Severity != "warning" {
				t.Errorf("%s: %+v", inv.Number, inv.Problems)
			}
		}
	}
	// The six added invoices are new; the six first ones are not.
	if deposited != len(sampleInvoices) || duplicate != len(sampleInvoices) {
		t.Fatalf("deposited %d, duplicate %d; ack %+v", deposited, duplicate, doc.Summary)
	}
	if got := len(list(t, e.outbox)); got != 4*len(sampleInvoices) {
		t.Fatalf("outbox holds %d files", got)
	}
}

func TestLimits(t *testing.T) {
	for _, c := range []struct{ extra, rule string }{
		{"    limits: {max_invoices: 2}", "FG-LIMIT-INVOICES"},
		{"    limits: {max_file_size: 1KB}", "FG-LIMIT-SIZE"},
		{"    limits: {max_lines_per_invoice: 1}", "FG-LIMIT-LINES"},
	} {
		t.Run(c.rule, func(t *testing.T) {
			e := newEnv(t)
			e.extra = c.extra
			e.drop(t, "ventes-2026-11.csv", "v.csv")
			runOnce(t, e.open(t))
			doc := e.ack(t, "v.csv")
			found := false
			for _, p := range doc.Problems {
				found = found || p.Rule == c.rule
			}
			for _, inv := range doc.Invoices {
				for _, p := range inv.Problems {
					found = found || p.Rule == c.rule
				}
			}
			if !found || doc.Summary.Deposited != 0 && c.rule != "FG-LIMIT-LINES" {
				t.Fatalf("ack = %+v", doc)
			}
			if len(list(t, e.outbox)) != 0 && c.rule != "FG-LIMIT-LINES" {
				t.Fatal("something was deposited from a file over the limit")
			}
		})
	}
}

// flaky is a destination that fails transiently while down is true.
type flaky struct {
	deposit.Destination
	mu    sync.Mutex
	down  bool
	calls int
}

func (f *flaky) Deposit(ctx context.Context, fx deposit.Flux) (deposit.Receipt, error) {
	f.mu.Lock()
	f.calls++
	down := f.down
	f.mu.Unlock()
	if down {
		return deposit.Receipt{}, errors.New("connection refused")
	}
	return f.Destination.Deposit(ctx, fx)
}

func TestTransientFailureBacksOffThenDelivers(t *testing.T) {
	e := newEnv(t)
	e.schedule = "0 2 * * *"
	g := e.open(t)
	clock := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	g.now = func() time.Time { return clock }
	d := g.dests["outbox"]
	fl := &flaky{Destination: d.Destination, down: true}
	d.Destination = fl
	e.drop(t, "ventes-2026-11.csv", "v.csv")

	s, err := g.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) != 1 || s.ExitCode() != 2 {
		t.Fatalf("a destination down is a system error for --once: %+v", s)
	}
	// The round went on after the first failure, until the breaker opened after
	// BreakerThreshold failed deposits in a row, and paused the destination.
	if fl.calls != delivery.BreakerThreshold {
		t.Fatalf("%d attempts in one round, want %d (the round goes on until the breaker opens)", fl.calls, delivery.BreakerThreshold)
	}
	states, err := g.journal.DestinationStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pause := states["outbox"]
	if !pause.Paused(clock) || !strings.Contains(pause.PauseReason, "connection refused") {
		t.Fatalf("the pause is not in the journal: %+v", pause)
	}
	doc := e.ack(t, "v.csv")
	waiting := doc.Invoices[0].Fluxes[0].Waiting
	if doc.Summary.Queued != len(sampleInvoices) || !strings.Contains(waiting, "connection refused") || !strings.Contains(waiting, "essai 1") ||
		!strings.Contains(waiting, "prochain essai à") {
		t.Fatalf("ack while the destination is down: %+v / %q", doc.Summary, waiting)
	}
	untried := doc.Invoices[len(doc.Invoices)-1].Fluxes[1]
	if !strings.Contains(untried.Waiting, "suspendus jusqu'à "+pause.PausedUntil.UTC().Format(time.RFC3339)) || untried.PausedUntil == "" ||
		strings.Contains(untried.Waiting, "prochain dépôt planifié") {
		t.Fatalf("a flux not tried must say the pause: %+v", untried)
	}
	// Paused: the next round does not even try.
	if err := g.deliver.Deliver(context.Background(), d, false); !errors.Is(err, delivery.ErrBreakerOpen) {
		t.Fatalf("a round against a paused destination: %v", err)
	}
	if fl.calls != delivery.BreakerThreshold {
		t.Fatalf("%d attempts after a round while paused, want %d", fl.calls, delivery.BreakerThreshold)
	}
	fluxes, err := g.journal.Deliverable(context.Background(), "outbox", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range fluxes[:delivery.BreakerThreshold] {
		if fx.Attempts != 1 || fx.NextAttempt.Before(clock.Add(delivery.RetryBase/2)) || fx.NextAttempt.After(clock.Add(delivery.RetryBase)) {
			t.Fatalf("flux %s: attempts %d, next %v; want 1 and within [%v, %v]", fx.FinalName, fx.Attempts, fx.NextAttempt, delivery.RetryBase/2, delivery.RetryBase)
		}
	}
	if due, _ := g.journal.Deliverable(context.Background(), "outbox", clock); len(due) != len(fluxes)-delivery.BreakerThreshold {
		t.Fatalf("%d fluxes due during the back-off, want %d", len(due), len(fluxes)-delivery.BreakerThreshold)
	}
	// At the end of the pause a round probes the destination, which is back: all goes out.
	clock = pause.PausedUntil
	fl.down = false
	if err := g.deliver.Deliver(context.Background(), d, false); err != nil {
		t.Fatal(err)
	}
	doc = e.ack(t, "v.csv")
	if doc.Summary.Deposited != len(sampleInvoices) {
		t.Fatalf("after recovery: %+v", doc.Summary)
	}
	if got := len(list(t, e.outbox)); got != 2*len(sampleInvoices) {
		t.Fatalf("outbox holds %d files", got)
	}
	if states, _ := g.journal.DestinationStates(context.Background()); states["outbox"].Paused(clock.Add(-time.Second)) {
		t.Fatal("the pause was not lifted in the journal when the destination came back")
	}
}

func TestPermanentRefusalThenRetry(t *testing.T) {
	e := newEnv(t)
	e.schedule = "0 2 * * *"
	g := e.open(t)
	d := g.dests["outbox"]
	real := d.Destination
	d.Destination = refusing{real}
	e.drop(t, "ventes-2026-11.csv", "v.csv")
	s := runOnce(t, g)
	if s.ExitCode() != 0 {
		t.Fatalf("summary = %+v", s)
	}
	doc := e.ack(t, "v.csv")
	fx := doc.Invoices[0].Fluxes[0]
	if fx.Status != journal.InvoiceRejected || !strings.Contains(fx.Waiting, "refusé") {
		t.Fatalf("refused flux: %+v", fx)
	}
	d.Destination = real
	n, err := g.journal.Requeue(context.Background(), 0)
	if err != nil || n != 2*len(sampleInvoices) {
		t.Fatalf("requeue = %d, %v", n, err)
	}
	runOnce(t, g)
	if doc := e.ack(t, "v.csv"); doc.Summary.Deposited != len(sampleInvoices) {
		t.Fatalf("after retry: %+v", doc.Summary)
	}
}

type refusing struct{ deposit.Destination }

func (refusing) Deposit(context.Context, deposit.Flux) (deposit.Receipt, error) {
	return deposit.Receipt{}, deposit.Permanent(errors.New("invalid flux"))
}

// flakyOpen is a source folder whose first opens of claimed files fail, as an SFTP source
// whose connection drops during the read.
type flakyOpen struct {
	folder.Folder
	failures int
}

func (f *flakyOpen) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if strings.HasPrefix(name, processingDir) && f.failures > 0 {
		f.failures--
		return nil, errors.New("connection lost")
	}
	return f.Folder.Open(ctx, name)
}

func TestClaimedFileIsRetriedAfterAReadFailure(t *testing.T) {
	e := newEnv(t)
	e.drop(t, "ventes-2026-11.csv", "v.csv")
	g := e.open(t)
	r := g.routes[0]
	r.in = &flakyOpen{Folder: r.in, failures: 1}
	ctx := context.Background()
	ready, _, err := r.watcher.Scan(ctx)
	if err != nil || len(ready) != 1 {
		t.Fatalf("scan = %v, %v", ready, err)
	}
	if _, err := g.take(ctx, r, ready[0]); err == nil {
		t.Fatal("the read failure was not reported")
	}
	if pending, _ := g.journal.Pending(ctx, "ventes"); len(pending) != 1 {
		t.Fatalf("%d files pending after a read failure, want the claimed one", len(pending))
	}
	// The daemon's periodic retry (and the next start) finishes it.
	if err := g.resumePending(ctx, r); err != nil {
		t.Fatal(err)
	}
	if doc := e.ack(t, "v.csv"); doc.File.Status != "ACCEPTED" || !strings.HasPrefix(doc.File.StoredAs, archiveDir) {
		t.Fatalf("after the retry: %+v", doc.File)
	}
}

// Exports that always write the same name ("export.csv") get the plain ack name for the
// latest file; later news of an earlier one goes beside it instead of overwriting it.
func TestSameNameDroppedAgainKeepsEachAck(t *testing.T) {
	e := newEnv(t)
	e.schedule = "0 2 * * *" // the first file's fluxes wait: their deposit comes later
	g := e.open(t)
	ctx := context.Background()
	e.write(t, "export.csv", sampleBytes(t, "ventes-2026-11.csv"))
	r := g.routes[0]
	scanTake := func() {
		t.Helper()
		var ready []folder.FileInfo
		waitFor(t, func() bool { // the quiet period of a file dropped after the first scan
			ready, _, _ = r.watcher.Scan(ctx)
			return len(ready) == 1
		})
		if _, err := g.take(ctx, r, ready[0]); err != nil {
			t.Fatal(err)
		}
	}
	scanTake()
	e.write(t, "export.csv", sampleBytes(t, "ventes-erreurs.csv"))
	scanTake()
	// The nightly deposit of the first file's invoices comes after the second file.
	if err := g.deliver.Deliver(ctx, g.dests["outbox"], true); err != nil {
		t.Fatal(err)
	}
	if latest := e.ack(t, "export.csv"); latest.File.Status != "REJECTED" {
		t.Fatalf("the plain ack must stay the latest file's: %+v", latest.File)
	}
	dated, _ := filepath.Glob(filepath.Join(e.acks, "export.csv.*-1.ack.xml"))
	if len(dated) != 1 {
		t.Fatalf("dated acks of the first file: %v", dated)
	}
	data, err := os.ReadFile(dated[0])
	if err != nil || !strings.Contains(string(data), `deposited="6"`) {
		t.Fatalf("the first file's deposit is not in its dated ack: %s", data)
	}
}
