package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/exportgen"
)

// testChunk is the chunk size of the tests: a big file, in small.
const testChunk = 40

// export is an export of n invoices in the layout of the shipped CSV mapping.
func export(t *testing.T, n int) []byte {
	t.Helper()
	rd, err := exportgen.NewReader(exportgen.Spec{Format: "csv", First: 1, Invoices: n, Lines: 2})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A file of more invoices than a chunk is recorded chunk by chunk, and ends as one file:
// every invoice in the ack once, every flux deposited once, nothing left in the spool.
func TestBigFileRecordedInChunks(t *testing.T) {
	const n = 2*testChunk + 15
	e := newEnv(t)
	e.write(t, "gros.csv", export(t, n))
	g := e.open(t)
	g.chunkInvoices = testChunk
	s, err := g.RunOnce(context.Background())
	if err != nil || s.Accepted != 1 {
		t.Fatalf("summary %+v, %v", s, err)
	}
	doc := e.ack(t, "gros.csv")
	if doc.File.Status != journal.StatusAccepted || doc.Summary.Invoices != n || doc.Summary.Deposited != n || len(doc.Invoices) != n {
		t.Errorf("ack: status %s, summary %+v, %d invoices; want %d deposited", doc.File.Status, doc.Summary, len(doc.Invoices), n)
	}
	for i, inv := range doc.Invoices {
		if inv.Seq != i+1 {
			t.Fatalf("invoice %d of the ack has seq %d", i+1, inv.Seq)
		}
	}
	e.wantDelivered(t, 2*n)
}

// A big file that turns out unreadable after some chunks were recorded is rejected whole:
// none of its invoices is deposited, the ack lists none, and their flux files leave the
// spool.
func TestBigFileRejectedWholeAfterChunks(t *testing.T) {
	const n = 2*testChunk + 15
	e := newEnv(t)
	data := export(t, n)
	// Byte 0x81 does not exist in Windows-1252, the mapping's encoding: the file is unreadable
	// at its last line.
	data = append(data, bytes.ReplaceAll(bytes.SplitAfter(data, []byte("\r\n"))[1], []byte("Paris"), []byte("Pa\x81is"))...)
	e.write(t, "abime.csv", data)
	g := e.open(t)
	g.chunkInvoices = testChunk
	s, err := g.RunOnce(context.Background())
	if err != nil || s.Rejected != 1 {
		t.Fatalf("summary %+v, %v", s, err)
	}
	doc := e.ack(t, "abime.csv")
	if doc.File.Status != journal.StatusRejected || len(doc.Invoices) != 0 || len(doc.Problems) == 0 || doc.Problems[0].Rule != "FG-FILE" {
		t.Errorf("ack: status %s, %d invoices, problems %+v; want REJECTED with FG-FILE and no invoice", doc.File.Status, len(doc.Invoices), doc.Problems)
	}
	e.wantDelivered(t, 0)
}

// The fluxes of a file recorded chunk by chunk are held, not deliverable, until its last
// chunk records the file; a file processed again after a crash drops its earlier chunks.
func TestChunkFluxesHeldUntilTheFileIsRecorded(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	g := e.open(t)
	j := g.journal
	id, err := j.ClaimFile(ctx, "ventes", "gros.csv", "sha", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	inv := func(seq int) journal.NewInvoice {
		return journal.NewInvoice{Seq: seq, Seller: "FR1", Number: "F" + string(rune('A'+seq)), IssueDate: "2026-11-02",
			Fluxes: []journal.Flux{{Destination: "outbox", Syntax: "ubl", SpoolName: "s" + string(rune('A'+seq)), FinalName: "f" + string(rune('A'+seq)), SHA256: "x"}}}
	}
	deliverable := func() int {
		t.Helper()
		fx, err := j.Deliverable(ctx, "outbox", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return len(fx)
	}
	if err := j.RecordChunk(ctx, id, true, []journal.NewInvoice{inv(1), inv(2)}); err != nil {
		t.Fatal(err)
	}
	// A crash, and the file processed again from its start.
	if err := j.RecordChunk(ctx, id, true, []journal.NewInvoice{inv(1)}); err != nil {
		t.Fatal(err)
	}
	first := journal.InvoiceKey{Seller: "FR1", Number: inv(1).Number, IssueDate: "2026-11-02"}
	other := journal.InvoiceKey{Seller: "FR1", Number: inv(2).Number, IssueDate: "2026-11-02"}
	if in, err := j.InvoicesInFile(ctx, id, []journal.InvoiceKey{first, other}); err != nil || len(in) != 1 || in[first].Seq != 1 {
		t.Errorf("the first chunk's invoices found in its file: %v, %v; want the first only (the second was dropped)", in, err)
	}
	if _, _, ok, err := j.AcceptedInvoiceContent(ctx, "FR1", inv(1).Number, "2026-11-02", 0); err != nil || ok {
		t.Errorf("an invoice of a file still being read counts as accepted for other files (%v)", err)
	}
	if n := deliverable(); n != 0 {
		t.Errorf("%d fluxes deliverable before the file is recorded whole", n)
	}
	if err := j.RecordChunkedResult(ctx, id, journal.StatusAccepted, nil, []journal.NewInvoice{inv(2)}, 2, ""); err != nil {
		t.Fatal(err)
	}
	if n := deliverable(); n != 2 {
		t.Errorf("%d fluxes deliverable once the file is recorded, want 2", n)
	}
	invoices, err := j.Invoices(ctx, id)
	if err != nil || len(invoices) != 2 {
		t.Errorf("%d invoices recorded, want 2 (the first try's dropped): %v", len(invoices), err)
	}
}

// An invoice of a later chunk of a big file accepted before from another file is found a
// duplicate by its chunk's recording, which goes on while the mapping does: deposited once,
// the ack saying so.
func TestBigFileDuplicateInALaterChunk(t *testing.T) {
	const n, again = 2*testChunk + 15, 2*testChunk + 3
	e := newEnv(t)
	rd, err := exportgen.NewReader(exportgen.Spec{Format: "csv", First: again, Invoices: 1, Lines: 2})
	if err != nil {
		t.Fatal(err)
	}
	one, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	e.write(t, "une.csv", one)
	g := e.open(t)
	g.chunkInvoices = testChunk
	if s, err := g.RunOnce(context.Background()); err != nil || s.Accepted != 1 {
		t.Fatalf("first file: summary %+v, %v", s, err)
	}
	e.write(t, "gros.csv", export(t, n))
	if s, err := g.RunOnce(context.Background()); err != nil || s.Accepted != 1 {
		t.Fatalf("big file: summary %+v, %v", s, err)
	}
	doc := e.ack(t, "gros.csv")
	if len(doc.Invoices) != n {
		t.Fatalf("ack lists %d invoices, want %d", len(doc.Invoices), n)
	}
	for _, inv := range doc.Invoices {
		dup := inv.Status == journal.InvoiceDuplicate && len(inv.Problems) == 1 && inv.Problems[0].Rule == "FG-DUPLICATE-INVOICE"
		if dup != (inv.Seq == again) || !dup && inv.Status != journal.InvoiceDeposited {
			t.Errorf("invoice %d: status %s, problems %+v", inv.Seq, inv.Status, inv.Problems)
		}
	}
	e.wantDelivered(t, 2*n)
}

// A big file found over the invoice limit once some of its chunks were recorded is
// rejected whole, whether a chunk was still being recorded or not.
func TestBigFileOverLimitAfterChunks(t *testing.T) {
	const n = 3*testChunk + 15
	e := newEnv(t)
	e.extra = fmt.Sprintf("    limits: {max_invoices: %d}", 2*testChunk+5)
	e.write(t, "long.csv", export(t, n))
	g := e.open(t)
	g.chunkInvoices = testChunk
	s, err := g.RunOnce(context.Background())
	if err != nil || s.Rejected != 1 {
		t.Fatalf("summary %+v, %v", s, err)
	}
	doc := e.ack(t, "long.csv")
	if len(doc.Invoices) != 0 || len(doc.Problems) == 0 || doc.Problems[len(doc.Problems)-1].Rule != "FG-LIMIT-INVOICES" {
		t.Errorf("ack: %d invoices, problems %+v; want none, FG-LIMIT-INVOICES", len(doc.Invoices), doc.Problems)
	}
	e.wantDelivered(t, 0)
}

// The same big file dropped twice under two names is deposited once: the second is found
// a duplicate, before its mapping or at its first chunk's recording, and leaves nothing in
// the spool.
func TestBigFileTwiceIsDepositedOnce(t *testing.T) {
	const n = 3*testChunk + 15
	e := newEnv(t)
	data := export(t, n)
	e.write(t, "a.csv", data)
	e.write(t, "b.csv", data)
	g := e.open(t)
	g.chunkInvoices = testChunk
	s, err := g.RunOnce(context.Background())
	if err != nil || s.Accepted != 1 || s.Duplicate != 1 {
		t.Fatalf("summary %+v, %v; want one accepted, one duplicate", s, err)
	}
	e.wantDelivered(t, 2*n)
}

// A big file stopped once some of its chunks are recorded, while the next is mapped or
// recorded, is processed again whole at the next run: every invoice deposited once, the ack
// listing each once, nothing left in the spool.
func TestBigFileStoppedBetweenChunks(t *testing.T) {
	const n = 6*testChunk + 7
	e := newEnv(t)
	e.write(t, "gros.csv", export(t, n))
	g := e.open(t)
	g.chunkInvoices = testChunk
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // stops the run once a chunk is recorded
		defer cancel()
		for ctx.Err() == nil {
			if counts, err := g.journal.InvoiceCounts(ctx, 1); err == nil && len(counts) > 0 {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	s, err := g.RunOnce(ctx) // stopped, or done before the stop: either way the next run finishes
	t.Logf("stopped run: %+v, %v", s, err)
	cancel()
	g.Close()
	g = e.open(t)
	g.chunkInvoices = testChunk
	runOnce(t, g)
	doc := e.ack(t, "gros.csv")
	if doc.File.Status != journal.StatusAccepted || len(doc.Invoices) != n || doc.Summary.Deposited != n {
		t.Errorf("ack: status %s, %d invoices, summary %+v; want %d deposited", doc.File.Status, len(doc.Invoices), doc.Summary, n)
	}
	for i, inv := range doc.Invoices {
		if inv.Seq != i+1 {
			t.Fatalf("invoice %d of the ack has seq %d", i+1, inv.Seq)
		}
	}
	e.wantDelivered(t, 2*n)
}

// wantDelivered checks that the outbox holds fluxes flux files and that no file is left in
// the spool.
func (e *env) wantDelivered(t *testing.T, fluxes int) {
	t.Helper()
	if out := list(t, e.outbox); len(out) != fluxes {
		t.Errorf("%d fluxes deposited, want %d", len(out), fluxes)
	}
	if left := e.spoolFiles(t); len(left) != 0 {
		t.Errorf("%d spool files left, e.g. %s", len(left), left[0])
	}
}
