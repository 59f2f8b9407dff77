package journal

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Fluxes started and deposited in groups end as one by one: attempts counted, receipts
// kept, an invoice DEPOSITED once all its fluxes are, not before; and each transition is in
// the audit trail.
func TestGroupTransitions(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id, err := j.ClaimFile(ctx, "ventes", "v.csv", "sha", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var invs []NewInvoice
	for i, num := range []string{"FA-1", "FA-2"} {
		invs = append(invs, NewInvoice{Seq: i + 1, Number: num, Fluxes: []Flux{
			{Destination: "out", Syntax: "ubl", SpoolName: num + ".ubl", FinalName: num + "_ubl.xml", SHA256: "u"},
			{Destination: "out", Syntax: "cii", SpoolName: num + ".cii", FinalName: num + "_cii.xml", SHA256: "c"},
		}})
	}
	if err := j.RecordResult(ctx, id, StatusAccepted, nil, invs, ""); err != nil {
		t.Fatal(err)
	}
	got, err := j.Invoices(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, inv := range got {
		for _, fx := range inv.Fluxes {
			ids = append(ids, fx.ID)
		}
	}
	if err := j.StartDeposits(ctx, ids); err != nil {
		t.Fatal(err)
	}
	// Both fluxes of FA-1, one of FA-2.
	done := []DepositedFlux{{ids[0], "r0"}, {ids[1], "r1"}, {ids[2], "r2"}}
	if err := j.DepositedAll(ctx, done, false); err != nil {
		t.Fatal(err)
	}
	got, _ = j.Invoices(ctx, id)
	if got[0].Status != InvoiceDeposited || got[1].Status != InvoiceQueued {
		t.Errorf("invoices %s and %s, want DEPOSITED and QUEUED", got[0].Status, got[1].Status)
	}
	for i, fx := range append(got[0].Fluxes, got[1].Fluxes...) {
		want := FluxDeposited
		if i == 3 {
			want = FluxDepositing
		}
		if fx.State != want || fx.Attempts != 1 {
			t.Errorf("flux %s: %s after %d attempts, want %s after 1", fx.FinalName, fx.State, fx.Attempts, want)
		}
		if i < 3 && fx.Receipt != done[i].Receipt {
			t.Errorf("flux %s: receipt %q", fx.FinalName, fx.Receipt)
		}
	}
	var started, deposited int
	j.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE file_id = ? AND kind = ?`, id, EventDepositStarted).Scan(&started)
	j.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE file_id = ? AND kind = ?`, id, EventDeposited).Scan(&deposited)
	if started != 4 || deposited != 3 {
		t.Errorf("%d deposit-started and %d deposited events, want 4 and 3", started, deposited)
	}
	if err := j.DepositedAll(ctx, nil, false); err != nil {
		t.Error(err)
	}
}

// The deposit of a flux asks whether its invoice has a flux not deposited yet: the fluxes
// of an invoice are found through an index, not by scanning every flux of the journal.
func TestFluxesOfAnInvoiceAreIndexed(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	if testPG != nil {
		var name string
		if err := j.db.QueryRowContext(ctx, `SELECT indexname FROM pg_indexes WHERE tablename = 'fluxes' AND indexname = 'fluxes_invoice'`).Scan(&name); err != nil {
			t.Fatalf("no index fluxes_invoice: %v", err)
		}
		return
	}
	rows, err := j.db.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT 1 FROM fluxes f WHERE f.invoice_id = ? AND f.state != ?`, 1, FluxDeposited)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "fluxes_invoice") {
		t.Errorf("the fluxes of an invoice are not found through an index: %s", p)
	}
}

// Batches cover every row once, in order, in a few sizes only (each a statement text).
func TestBatches(t *testing.T) {
	sizes := map[int]bool{}
	for n := range 3*maxBatch + 2 {
		xs := make([]int, n)
		for i := range xs {
			xs[i] = i
		}
		var got []int
		for _, b := range batches(xs) {
			sizes[len(b)] = true
			got = append(got, b...)
		}
		if !slices.Equal(got, xs) {
			t.Fatalf("batches of %d rows give %v", n, got)
		}
	}
	if len(sizes) != 8 { // 128, 64, …, 1
		t.Errorf("batch sizes %v", sizes)
	}
}

// Groups larger than a batch end as one by one: each flux with its invoice, each invoice
// DEPOSITED once all its fluxes are, one event per flux in the order given, and the ack
// stale by as many transitions.
func TestLargeGroups(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id, err := j.ClaimFile(ctx, "ventes", "big.csv", "sha", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2*maxBatch + 23
	var invs []NewInvoice
	for i := range n {
		num := fmt.Sprintf("FA-%d", i)
		invs = append(invs, NewInvoice{Seq: i + 1, Number: num, Fluxes: []Flux{
			{Destination: "out", Syntax: "ubl", SpoolName: num + ".ubl", FinalName: num + "_ubl.xml", SHA256: "u"},
			{Destination: "out", Syntax: "cii", SpoolName: num + ".cii", FinalName: num + "_cii.xml", SHA256: "c"},
		}})
	}
	if err := j.RecordResult(ctx, id, StatusAccepted, nil, invs, ""); err != nil {
		t.Fatal(err)
	}
	got, err := j.Invoices(ctx, id)
	if err != nil || len(got) != n {
		t.Fatalf("%d invoices, %v", len(got), err)
	}
	var ids []int64
	for i, inv := range got {
		if inv.Number != invs[i].Number || len(inv.Fluxes) != 2 {
			t.Fatalf("invoice %d: %s with %d fluxes", i, inv.Number, len(inv.Fluxes))
		}
		for _, fx := range inv.Fluxes {
			if !strings.HasPrefix(fx.FinalName, inv.Number+"_") {
				t.Fatalf("flux %s recorded for invoice %s", fx.FinalName, inv.Number)
			}
			ids = append(ids, fx.ID)
		}
	}
	lag0, _ := j.AckLag(ctx, id)
	if err := j.StartDeposits(ctx, ids); err != nil {
		t.Fatal(err)
	}
	var done []DepositedFlux
	for i := len(ids) - 1; i > 0; i-- { // all but the first, backwards
		done = append(done, DepositedFlux{ID: ids[i], Receipt: fmt.Sprint("r", i)})
	}
	if err := j.DepositedAll(ctx, done, false); err != nil {
		t.Fatal(err)
	}
	got, _ = j.Invoices(ctx, id)
	for i, inv := range got {
		want := InvoiceDeposited
		if i == 0 {
			want = InvoiceQueued
		}
		if inv.Status != want {
			t.Errorf("invoice %s: %s, want %s", inv.Number, inv.Status, want)
		}
		for _, fx := range inv.Fluxes {
			if fx.Attempts != 1 {
				t.Errorf("flux %s: %d attempts", fx.FinalName, fx.Attempts)
			}
			if i := slices.Index(ids, fx.ID); i > 0 && (fx.State != FluxDeposited || fx.Receipt != fmt.Sprint("r", i)) {
				t.Errorf("flux %s: %s, receipt %q; want DEPOSITED, r%d", fx.FinalName, fx.State, fx.Receipt, i)
			}
		}
	}
	evs, err := j.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var deposited []DepositedFlux
	started := 0
	for _, e := range evs {
		switch e.Kind {
		case EventDepositStarted:
			started++
		case EventDeposited:
			deposited = append(deposited, DepositedFlux{ID: e.FluxID, Receipt: e.Detail})
		}
	}
	if started != len(ids) || !slices.Equal(deposited, done) {
		t.Errorf("%d deposit-started events for %d fluxes; deposited events equal to the group: %v", started, len(ids), slices.Equal(deposited, done))
	}
	if lag, _ := j.AckLag(ctx, id); lag != lag0+int64(len(ids)+len(done)) {
		t.Errorf("ack lag %d after %d transitions from %d", lag, len(ids)+len(done), lag0)
	}
}

// An invoice's place in its file identifies it when its fluxes are recorded: two at the
// same place are refused, and nothing of the file is recorded.
func TestRecordResultRefusesSeqTwice(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id, _ := queuedFile(t, j, "a.csv", "out", 1)
	invs := benchInvoices(3, "x")
	invs[2].Seq = 1
	if err := j.RecordResult(ctx, id, StatusAccepted, nil, invs, ""); err == nil || !strings.Contains(err.Error(), "seq 1 given twice") {
		t.Fatalf("RecordResult with seq 1 twice: %v", err)
	}
	if got, _ := j.Invoices(ctx, id); len(got) != 1 {
		t.Errorf("%d invoices after a refused record, want the 1 recorded before", len(got))
	}
}
