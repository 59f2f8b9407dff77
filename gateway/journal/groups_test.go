package journal

import (
	"context"
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
	if err := j.RecordResult(ctx, id, StatusAccepted, nil, invs); err != nil {
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
