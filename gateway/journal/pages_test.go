package journal

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"
)

// InvoicePage gives the invoices EachInvoice visits, a page at a time, following the last id.
func TestInvoicePageFollowsEachInvoice(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	recordMany(t, j, "before.csv", 3)
	id := recordMany(t, j, "many.csv", 11)
	recordMany(t, j, "after.csv", 3)
	var want []Invoice
	if err := j.EachInvoice(ctx, id, func(inv Invoice) error { want = append(want, inv); return nil }); err != nil {
		t.Fatal(err)
	}
	var got []Invoice
	var after int64
	for pages := 0; ; pages++ {
		page, err := j.InvoicePage(ctx, id, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 4 || pages > 3 {
			t.Fatalf("page %d of %d invoices", pages, len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].ID
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("pages gave\n%+v\nEachInvoice gave\n%+v", got, want)
	}
}

// Retryable is true exactly when Requeue (uncertain fluxes aside) has something to requeue.
func TestRetryable(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id := recordMany(t, j, "many.csv", 6)
	other := recordMany(t, j, "other.csv", 3)
	invs, err := j.Invoices(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	check := func(file int64, want bool) {
		t.Helper()
		if got, err := j.Retryable(ctx, file); err != nil || got != want {
			t.Fatalf("file %d retryable = %v, %v; want %v", file, got, err, want)
		}
	}
	check(id, false)
	fx := invs[1].Fluxes[0].ID
	if err := j.DepositFailed(ctx, fx, "HTTP 503", false, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	check(id, true) // waits out a back-off
	check(other, false)
	if err := j.DepositFailed(ctx, fx, "refused", true, time.Time{}); err != nil {
		t.Fatal(err)
	}
	check(id, true) // failed
	if n, err := j.Requeue(ctx, id); err != nil || n != 1 {
		t.Fatalf("requeued %d, %v", n, err)
	}
	check(id, false)
}

// FirstEvents is the start of Events, with the count of all.
func TestFirstEvents(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id := recordMany(t, j, "many.csv", 4)
	invs, err := j.Invoices(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invs {
		for _, fx := range inv.Fluxes {
			if err := j.StartDeposit(ctx, fx.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	all, err := j.Events(ctx, id)
	if err != nil || len(all) < 5 {
		t.Fatalf("%d events, %v", len(all), err)
	}
	for _, limit := range []int{1, 3, len(all), len(all) + 1} {
		got, n, err := j.FirstEvents(ctx, id, limit)
		if err != nil || n != len(all) || !reflect.DeepEqual(got, all[:min(limit, len(all))]) {
			t.Fatalf("first %d events: %d of %d, %v", limit, len(got), n, err)
		}
	}
}

// EachSpoolName names the spool files of the fluxes still to deposit, and only those.
func TestEachSpoolName(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id := recordMany(t, j, "many.csv", 3) // fluxes many.csv-2-ubl, many.csv-3-cii, many.csv-3-ubl
	invs, err := j.Invoices(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	done := invs[1].Fluxes[0].ID
	if err := j.StartDeposit(ctx, done); err != nil {
		t.Fatal(err)
	}
	if err := j.Deposited(ctx, done, "r", false); err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := j.EachSpoolName(ctx, func(name string) { names = append(names, name) }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if want := []string{"many.csv-3-cii", "many.csv-3-ubl"}; !slices.Equal(names, want) {
		t.Fatalf("spool names %v, want %v", names, want)
	}
}
