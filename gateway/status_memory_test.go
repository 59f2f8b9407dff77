package gateway

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/journal"
)

// recordInvoices records in g's journal a file of n invoices of the "ventes" source, every
// fourth rejected, the others with one flux, and returns its id.
func recordInvoices(t *testing.T, g *Gateway, name string, n int) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := g.journal.ClaimFile(ctx, "ventes", name, "sha-"+name, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	invs := make([]journal.NewInvoice, n)
	for i := range invs {
		number := fmt.Sprintf("%s-%05d", name, i+1)
		invs[i] = journal.NewInvoice{Seq: i + 1, Number: number, FirstLine: i + 2, LastLine: i + 2}
		if i%4 == 3 {
			invs[i].Problems = []journal.Problem{{Rule: "BR-07", Severity: "fatal", EN: "name"}}
			continue
		}
		invs[i].Fluxes = []journal.Flux{{Destination: "outbox", Syntax: "ubl", SpoolName: number + "-ubl", FinalName: number + "_ubl.xml"}}
	}
	if err := g.journal.RecordResult(ctx, id, journal.StatusPartial, nil, invs, ""); err != nil {
		t.Fatal(err)
	}
	return id
}

// Status lists the first invoices of a file up to its limit and counts all of them; asked
// for every one, it lists them all, in file order.
func TestStatusListsTheFirstInvoicesAndCountsAll(t *testing.T) {
	e := newEnv(t)
	e.quiet = "1h"
	g := e.open(t)
	const n = 2000
	recordInvoices(t, g, "big.csv", n)
	recordInvoices(t, g, "small.csv", 3)
	ctx := context.Background()
	for _, c := range []struct{ limit, big, small int }{{StatusInvoices, StatusInvoices, 3}, {7, 7, 3}, {0, 0, 0}, {-1, n, 3}} {
		rep, err := g.StatusListing(ctx, time.Time{}, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		listed := map[string]int{}
		for _, f := range rep.Files {
			listed[f.Name] = len(f.Invoices)
			want := map[string]int{"big.csv": n, "small.csv": 3}[f.Name]
			if f.InvoiceCount != want || f.InvoiceCounts[journal.InvoiceQueued]+f.InvoiceCounts[journal.InvoiceRejected] != want ||
				f.InvoiceCounts[journal.InvoiceRejected] != want/4 {
				t.Fatalf("limit %d, %s: %d invoices %v, want %d", c.limit, f.Name, f.InvoiceCount, f.InvoiceCounts, want)
			}
			for i, inv := range f.Invoices {
				if inv.Number != fmt.Sprintf("%s-%05d", f.Name, i+1) {
					t.Fatalf("limit %d, %s: invoice %d is %s", c.limit, f.Name, i+1, inv.Number)
				}
			}
		}
		if listed["big.csv"] != c.big || listed["small.csv"] != c.small {
			t.Fatalf("limit %d: listed %v, want %d and %d", c.limit, listed, c.big, c.small)
		}
	}
}

// The start-up cleanup removes the spool files no flux still to deposit refers to, and
// keeps the others and the hidden working files.
func TestCleanSpoolKeepsWhatFluxesNeed(t *testing.T) {
	e := newEnv(t)
	e.quiet = "1h"
	g := e.open(t)
	ctx := context.Background()
	id := recordInvoices(t, g, "f.csv", 8) // fluxes of invoices 1-3 and 5-7
	invs, err := g.journal.Invoices(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var needed []string
	for i, inv := range invs {
		for _, fx := range inv.Fluxes {
			if err := os.WriteFile(filepath.Join(e.spool, fx.SpoolName), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			if i == 1 { // deposited: its file is not needed any more
				if err := g.journal.StartDeposit(ctx, fx.ID); err != nil {
					t.Fatal(err)
				}
				if err := g.journal.Deposited(ctx, fx.ID, "r", false); err != nil {
					t.Fatal(err)
				}
				continue
			}
			needed = append(needed, fx.SpoolName)
		}
	}
	for _, name := range []string{"stray-ubl", "a-stray", "zz-stray", ".hidden"} {
		if err := os.WriteFile(filepath.Join(e.spool, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.cleanSpool(ctx); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(e.spool)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, de := range entries {
		left = append(left, de.Name())
	}
	want := append(needed, ".hidden")
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("spool after the cleanup: %v, want %v", left, want)
	}
}
