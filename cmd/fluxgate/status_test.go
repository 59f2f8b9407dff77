package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// The text status shows, per flux, the receipt, the next attempt and the pause or the retry
// its destination waits for, and lists the destinations paused or held.
func TestStatusTextShowsReceiptNextAttemptAndPause(t *testing.T) {
	now := time.Now()
	next := now.Add(90 * time.Second)
	until := now.Add(4 * time.Minute)
	rep := gateway.StatusReport{Files: []gateway.FileReport{{
		File: journal.File{ID: 7, Source: "ventes", Name: "v.csv", Status: journal.StatusAccepted, Received: now},
		Invoices: []journal.Invoice{
			{Number: "F1", Status: journal.InvoiceDeposited, Fluxes: []journal.Flux{{Destination: "pa", FinalName: "F1_ubl.xml", State: journal.FluxDeposited, Receipt: "FLOW-000101"}}},
			{Number: "F2", Status: journal.InvoiceQueued, Fluxes: []journal.Flux{{Destination: "pa", FinalName: "F2_ubl.xml", State: journal.FluxQueued,
				LastError: "HTTP 503: unavailable", Attempts: 1, NextAttempt: next}}},
			{Number: "F3", Status: journal.InvoiceQueued, Fluxes: []journal.Flux{{Destination: "pa", FinalName: "F3_ubl.xml", State: journal.FluxQueued}}},
		},
	}}}
	dests := []journal.DestinationState{{Name: "pa", PausedUntil: until, PauseReason: "HTTP 503: unavailable"}, {Name: "outbox"}}
	var out bytes.Buffer
	printStatus(&out, rep, dests, now)
	when := func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }
	for _, want := range []string{
		"F1_ubl.xml deposited, receipt FLOW-000101",
		"F2_ubl.xml queued (HTTP 503: unavailable), next attempt " + when(next) + ", pa paused until " + when(until),
		"F3_ubl.xml queued, pa paused until " + when(until),
		"Destination pa PAUSED until " + when(until) + " after repeated failures",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status does not show %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Destination outbox") {
		t.Errorf("a destination neither paused nor held is listed:\n%s", out.String())
	}

	out.Reset()
	held := []journal.DestinationState{{Name: "pa", HeldUntil: until, HeldBy: "F2_ubl.xml", HeldReason: "HTTP 429: slow down"}}
	printStatus(&out, rep, held, now)
	for _, want := range []string{
		"F3_ubl.xml queued, waiting behind a retry of F2_ubl.xml until " + when(until),
		"Destination pa asked to wait until " + when(until) + " (Retry-After); the other fluxes wait behind the retry of F2_ubl.xml: HTTP 429: slow down",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status does not show %q:\n%s", want, out.String())
		}
	}
}

// A file with more invoices than listed ends with how many are left and the counts by
// status; streamed (--all), every invoice is listed, and nothing more.
func TestStatusTextOfABigFile(t *testing.T) {
	now := time.Now()
	invoices := func(n int) []journal.Invoice {
		out := make([]journal.Invoice, n)
		for i := range out {
			out[i] = journal.Invoice{Number: fmt.Sprintf("F%05d", i+1), Status: journal.InvoiceQueued}
		}
		return out
	}
	f := gateway.FileReport{File: journal.File{ID: 9, Source: "ventes", Name: "big.csv", Status: journal.StatusPartial, Received: now},
		Invoices: invoices(3), InvoiceCount: 2500, InvoiceCounts: map[string]int{journal.InvoiceQueued: 2000, journal.InvoiceRejected: 500}}
	var out bytes.Buffer
	printStatus(&out, gateway.StatusReport{Files: []gateway.FileReport{f}}, nil, now)
	text := out.String()
	if !strings.Contains(text, "2497 more invoice(s) not listed; in all 2000 QUEUED, 500 REJECTED (--invoices N or --all lists them)") ||
		!strings.Contains(text, "F00003") || strings.Contains(text, "F00004") || !strings.Contains(text, " 2500 ") {
		t.Fatalf("status of a big file:\n%s", text)
	}

	out.Reset()
	all := invoices(2500)
	f.Invoices = nil
	err := printStatusEach("en", &out, gateway.StatusReport{Files: []gateway.FileReport{f}}, nil, now,
		func(_ gateway.FileReport, fn func(journal.Invoice) error) error {
			for _, inv := range all {
				if err := fn(inv); err != nil {
					return err
				}
			}
			return nil
		})
	text = out.String()
	if err != nil || strings.Count(text, " QUEUED") != 2500 || !strings.Contains(text, "F02500") || strings.Contains(text, "not listed") {
		t.Fatalf("--all: %v, %d invoices listed:\n%.2000s", err, strings.Count(text, " QUEUED"), text)
	}
}
