package ack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// waitingSample is a file whose fluxes to pa wait: one after its own failure, one behind
// it, one refused by the platform's lifecycle (210).
func waitingSample(now time.Time) (journal.File, []journal.Invoice) {
	f, _ := sample()
	queued := func(seq int, fx journal.Flux) journal.Invoice {
		fx.Destination, fx.Syntax, fx.FinalName = "pa", "ubl", fx.FinalName+"_ubl.xml"
		return journal.Invoice{Seq: seq, Number: fx.FinalName, Status: journal.InvoiceQueued, Fluxes: []journal.Flux{fx}}
	}
	invs := []journal.Invoice{
		queued(1, journal.Flux{FinalName: "F1", State: journal.FluxQueued, Attempts: 2, LastError: "HTTP 429: rate limit", NextAttempt: now.Add(10 * time.Minute)}),
		queued(2, journal.Flux{FinalName: "F2", State: journal.FluxQueued}),
		{Seq: 3, Number: "F3", Status: journal.InvoiceRejected, Fluxes: []journal.Flux{{Destination: "pa", Syntax: "ubl", FinalName: "F3_ubl.xml",
			State: journal.FluxDeposited, Receipt: "FLOW-1", DepositedAt: now, Platform: journal.PlatformStatus{Status: "210", Label: "Refusée", Message: "Commande inconnue", At: now}}}},
	}
	return f, invs
}

func TestWaitingSaysWhyAndUntilWhen(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	f, invs := waitingSample(now)
	next := now.Add(10 * time.Minute).Format(time.RFC3339)

	// The platform asked to wait: the flux that was told so has its next attempt, the other
	// waits behind its retry.
	held := map[string]journal.DestinationState{"pa": {Name: "pa", HeldUntil: now.Add(10 * time.Minute), HeldBy: "F1_ubl.xml"}}
	doc := build(t, f, invs, "en", now, held)
	own, behind := doc.Invoices[0].Fluxes[0], doc.Invoices[1].Fluxes[0]
	if !strings.Contains(own.Waiting, "failed (attempt 2): HTTP 429: rate limit; next attempt at "+next) || own.NextAttempt != next {
		t.Errorf("own failure: %+v", own)
	}
	if !strings.Contains(behind.Waiting, "waiting behind a retry of F1_ubl.xml") || behind.NextAttempt != next || strings.Contains(behind.Waiting, "scheduled") {
		t.Errorf("behind a retry: %+v", behind)
	}
	fr := build(t, f, invs, "fr", now, held).Invoices[1].Fluxes[0]
	if !strings.Contains(fr.Waiting, "en attente derrière un nouvel essai de F1_ubl.xml") {
		t.Errorf("in French: %q", fr.Waiting)
	}

	// Paused by its breaker: every queued flux says until when, and why.
	paused := map[string]journal.DestinationState{"pa": {Name: "pa", PausedUntil: now.Add(5 * time.Minute), PauseReason: "HTTP 503: unavailable"}}
	doc = build(t, f, invs, "fr", now, paused)
	until := now.Add(5 * time.Minute).Format(time.RFC3339)
	for _, fx := range []Flux{doc.Invoices[0].Fluxes[0], doc.Invoices[1].Fluxes[0]} {
		if !strings.Contains(fx.Waiting, "dépôts vers pa suspendus jusqu'à "+until+" après des échecs répétés (HTTP 503: unavailable)") ||
			fx.PausedUntil != until || strings.Contains(fx.Waiting, "prochain dépôt planifié") {
			t.Errorf("paused: %+v", fx)
		}
	}
	// A pause or a hold that is over says nothing any more.
	if w := build(t, f, invs, "en", now.Add(time.Hour), paused).Invoices[1].Fluxes[0]; w.PausedUntil != "" || !strings.Contains(w.Waiting, "next scheduled deposit") {
		t.Errorf("after the pause: %+v", w)
	}

	// Platform statuses are labelled in the ack's language.
	if got := build(t, f, invs, "en", now, nil).Invoices[2].Fluxes[0].PlatformLabel; got != "Refused" {
		t.Errorf("English label of 210: %q", got)
	}
	if got := build(t, f, invs, "fr", now, nil).Invoices[2].Fluxes[0].PlatformLabel; got != "Refusée" {
		t.Errorf("French label of 210: %q", got)
	}

	dir := t.TempDir()
	var files []string
	for i, data := range [][]byte{render(t, f, invs, "en", now, held, FormatXML, ""), render(t, f, invs, "fr", now, paused, FormatXML, "")} {
		name := filepath.Join(dir, Name("w"+string(rune('0'+i))+".csv"))
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	testutil.ValidateXSD(t, filepath.Join(testutil.RepoRoot(t), "xsd", "ack.xsd"), files...)
}
