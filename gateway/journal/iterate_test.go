package journal

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// recordMany records a file of n invoices: every third rejected with problems, the others
// with one or two fluxes, and returns its id.
func recordMany(t *testing.T, j *Journal, name string, n int) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := j.ClaimFile(ctx, "ventes", name, "sha-"+name, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	invs := make([]NewInvoice, n)
	for i := range invs {
		number := fmt.Sprintf("%s-%d", name, i+1)
		inv := NewInvoice{Seq: i + 1, Number: number, IssueDate: "2026-11-26", FirstLine: 2 * i, LastLine: 2*i + 1}
		switch i % 3 {
		case 0:
			inv.Problems = []Problem{{Rule: "BR-07", Severity: "fatal", Line: 2 * i, BT: []string{"BT-44"}, FR: "nom", EN: "name"}}
		case 2:
			inv.Fluxes = append(inv.Fluxes, Flux{Destination: "out", Syntax: "cii", SpoolName: number + "-cii", FinalName: number + "_cii.xml"})
			fallthrough
		case 1:
			inv.Fluxes = append(inv.Fluxes, Flux{Destination: "out", Syntax: "ubl", SpoolName: number + "-ubl", FinalName: number + "_ubl.xml"})
		}
		invs[i] = inv
	}
	if err := j.RecordResult(ctx, id, StatusPartial, nil, invs, ""); err != nil {
		t.Fatal(err)
	}
	return id
}

// EachInvoice visits what Invoices returns, in the same order, whatever the page size:
// pages that end on the last invoice, pages cut in the middle of a file, one invoice a page.
func TestEachInvoiceMatchesInvoices(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	before := recordMany(t, j, "before.csv", 4)
	id := recordMany(t, j, "many.csv", 23)
	after := recordMany(t, j, "after.csv", 5)
	// Some fluxes move on, so that fluxes in several states are read.
	all, err := j.Invoices(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.StartDeposit(ctx, all[1].Fluxes[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := j.Deposited(ctx, all[1].Fluxes[0].ID, "receipt-1", false); err != nil {
		t.Fatal(err)
	}
	if err := j.DepositFailed(ctx, all[2].Fluxes[1].ID, "refused", true, time.Time{}); err != nil {
		t.Fatal(err)
	}

	for _, file := range []int64{before, id, after} {
		want, err := j.Invoices(ctx, file)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1, 7, 23, invoicePage} {
			var got []Invoice
			if err := j.eachInvoice(ctx, file, size, func(inv Invoice) error {
				got = append(got, inv)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("file %d, pages of %d: EachInvoice gave\n%+v\nInvoices gave\n%+v", file, size, got, want)
			}
		}
	}
}

// fn runs while no query is open: on SQLite's single connection, a journal call from fn
// would otherwise wait for ever.
func TestEachInvoiceHoldsNoQueryWhileCalling(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	j := openTest(t)
	id := recordMany(t, j, "many.csv", 12)
	var seen int
	err := j.eachInvoice(ctx, id, 5, func(inv Invoice) error {
		seen++
		_, err := j.AckLag(ctx, inv.FileID)
		return err
	})
	if err != nil || seen != 12 {
		t.Fatalf("visited %d invoices of 12: %v", seen, err)
	}
}

func TestEachInvoiceStopsAtFirstError(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id := recordMany(t, j, "many.csv", 12)
	stop := errors.New("stop")
	var seen int
	err := j.eachInvoice(ctx, id, 5, func(Invoice) error {
		if seen++; seen == 7 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || seen != 7 {
		t.Fatalf("after %d invoices: %v, want the error of the 7th", seen, err)
	}
	empty := recordMany(t, j, "empty.csv", 0)
	if err := j.EachInvoice(ctx, empty, func(Invoice) error { return stop }); err != nil {
		t.Fatalf("a file without invoices: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := j.EachInvoice(cancelled, id, func(Invoice) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestInvoiceCounts(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id := recordMany(t, j, "many.csv", 10)
	recordMany(t, j, "other.csv", 4)
	got, err := j.InvoiceCounts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{InvoiceRejected: 4, InvoiceQueued: 6}; !reflect.DeepEqual(got, want) {
		t.Fatalf("counts = %v, want %v", got, want)
	}
}

// EachInvoiceForAck gives what EachInvoice gives of every flux, but for what an ack does
// not show of one without a platform status or an uncertain deposit, which it leaves zero;
// those with one are given whole. Fluxes in every state an ack tells apart are read.
func TestEachInvoiceForAckMatchesEachInvoice(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id := recordMany(t, j, "many.csv", 23)
	all, err := j.Invoices(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	deposit := func(fluxID int64) {
		t.Helper()
		if err := j.StartDeposit(ctx, fluxID); err != nil {
			t.Fatal(err)
		}
		if err := j.Deposited(ctx, fluxID, fmt.Sprint("receipt-", fluxID), true); err != nil {
			t.Fatal(err)
		}
	}
	deposit(all[1].Fluxes[0].ID)
	deposit(all[4].Fluxes[0].ID)
	if _, err := j.PlatformUpdate(ctx, all[4].Fluxes[0].ID, PlatformStatus{ID: "P-4", Status: "IN_INTEGRE", Label: "intégrée", Message: "ok", At: now}, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := j.DepositFailed(ctx, all[2].Fluxes[1].ID, "refused", true, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := j.DepositFailed(ctx, all[5].Fluxes[0].ID, "timeout", false, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := j.StartDeposit(ctx, all[7].Fluxes[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := j.MarkUncertain(ctx, all[7].Fluxes[0].ID, "no answer", now, now.Add(time.Hour), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var want, got []Invoice
	if err := j.EachInvoice(ctx, id, func(inv Invoice) error { want = append(want, inv); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := j.EachInvoiceForAck(ctx, id, func(inv Invoice) error { got = append(got, inv); return nil }); err != nil {
		t.Fatal(err)
	}
	var whole int
	for _, inv := range want {
		for i, f := range inv.Fluxes {
			if f.State == FluxUncertain || f.Platform.Status != "" {
				whole++
				continue
			}
			f.Invoice, f.FileID, f.SpoolName, f.SHA256 = "", 0, "", ""
			f.Platform, f.Uncertain = PlatformStatus{}, Uncertainty{}
			inv.Fluxes[i] = f
		}
	}
	if whole != 2 {
		t.Fatalf("%d fluxes with a platform status or uncertain, want 2", whole)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("EachInvoiceForAck gave\n%+v\nwant\n%+v", got, want)
	}
}
