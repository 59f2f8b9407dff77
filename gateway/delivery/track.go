package delivery

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/invoice"
)

// Track asks a platform destination what became of its deposited fluxes that are not final
// yet, records what changed in the journal and rewrites the acks concerned: the accounting
// side learns from its ack that an invoice was integrated, rejected, suspended or paid.
//
// The fluxes asked about least recently go first, and those the round reached are marked
// asked: a round cut short by the platform's rate limit (its calls are paced, and a long
// Retry-After ends the round) does not leave the same fluxes unasked every time. A platform
// that can spare calls (deposit.KnownTracker) is told what the journal knows already, so
// that what cannot change any more is not asked again.
func (g *Deliverer) Track(ctx context.Context, d *Destination) error {
	tr, ok := d.Destination.(deposit.Tracker)
	if !ok {
		return nil
	}
	fluxes, err := g.Journal.TrackQueue(ctx, d.Name())
	if err != nil || len(fluxes) == 0 {
		return err
	}
	byReceipt := map[string][]journal.Flux{}
	var receipts []string
	for _, fx := range fluxes {
		if _, seen := byReceipt[fx.Receipt]; !seen {
			receipts = append(receipts, fx.Receipt)
		}
		byReceipt[fx.Receipt] = append(byReceipt[fx.Receipt], fx)
	}
	// Updates returned before an error still count.
	start := time.Now()
	var updates []deposit.StatusUpdate
	var trackErr error
	if kt, ok := tr.(deposit.KnownTracker); ok {
		known := make([]deposit.Tracked, 0, len(receipts))
		for _, r := range receipts {
			fxs := byReceipt[r]
			k := deposit.Tracked{Receipt: r, Status: fxs[0].Platform.Status}
			if len(fxs) == 1 {
				k.Invoice = fxs[0].Invoice
			}
			known = append(known, k)
		}
		updates, trackErr = kt.TrackKnown(ctx, known)
	} else {
		updates, trackErr = tr.Track(ctx, receipts)
	}
	g.observer().Tracked(d.Name(), time.Since(start), trackErr)

	touched := map[int64]bool{} // files whose ack must be rewritten
	apply := func(fx journal.Flux, u deposit.StatusUpdate, final bool) error {
		var problem *journal.Problem
		if u.Rejected {
			problem = platformProblem(d.Name(), u)
			final = true
		}
		changed, err := g.Journal.PlatformUpdate(ctx, fx.ID, journal.PlatformStatus{
			ID: u.PlatformID, Status: u.Status, Label: u.Label, Message: u.Message, At: u.At, OfInvoice: u.Invoice != "",
		}, final, problem)
		if err != nil || !changed {
			return err
		}
		g.Log.Info("platform status", "destination", d.Name(), "invoice", fx.Invoice, "status", u.Status, "final", final, "rejected", u.Rejected)
		touched[fx.FileID] = true
		return nil
	}
	// An update that names an invoice but no tracked deposit (an EDI lifecycle file names
	// the invoice, not the file it came in) goes to that invoice's tracked fluxes, when the
	// number designates one invoice only.
	byNumber := map[string][]journal.Flux{}
	for _, fx := range fluxes {
		byNumber[fx.Invoice] = append(byNumber[fx.Invoice], fx)
	}
	fluxesOf := func(u deposit.StatusUpdate) []journal.Flux {
		if fxs, ok := byReceipt[u.Receipt]; ok {
			return fxs
		}
		fxs := byNumber[u.Invoice]
		for _, fx := range fxs {
			if fx.InvoiceID != fxs[0].InvoiceID {
				return nil
			}
		}
		return fxs
	}
	var errs []error
	perInvoice := map[int64]bool{} // fluxes with an update of their own in this answer
	for _, u := range updates {
		if u.Invoice == "" {
			continue
		}
		for _, fx := range fluxesOf(u) {
			if fx.Invoice == u.Invoice {
				perInvoice[fx.ID] = true
				errs = append(errs, apply(fx, u, u.Final))
			}
		}
	}
	// What the platform says of a deposit as a whole stands for the invoices it said
	// nothing of: a rejected deposit rejects them, a final one ends their tracking.
	for _, u := range updates {
		if u.Invoice != "" {
			continue
		}
		for _, fx := range byReceipt[u.Receipt] {
			if perInvoice[fx.ID] {
				continue
			}
			if !u.Rejected && !u.Final && fx.Platform.OfInvoice && fx.Platform.Status != u.Status {
				continue // the invoice's own status says more than the deposit's
			}
			errs = append(errs, apply(fx, u, u.Final))
		}
	}
	for fileID := range touched {
		errs = append(errs, g.WriteAck(ctx, fileID))
	}
	asked := map[int64]bool{}
	for _, u := range updates {
		for _, fx := range byReceipt[u.Receipt] {
			asked[fx.ID] = true
		}
		if u.Invoice != "" {
			for _, fx := range fluxesOf(u) {
				asked[fx.ID] = true
			}
		}
	}
	errs = append(errs, g.Journal.MarkTracked(ctx, slices.Collect(maps.Keys(asked)), g.Now()))
	if trackErr != nil {
		errs = append(errs, fmt.Errorf("track %s: %w", d.Name(), trackErr))
	}
	return errors.Join(errs...)
}

// platformProblem turns a platform's rejection into a problem of the invoice's ack, in the
// platform's own words, naming its status (210 Refusée) and its reason code in French and
// in English.
func platformProblem(dest string, u deposit.StatusUpdate) *journal.Problem {
	code := u.Reason
	if code == "" {
		code = u.Status
	}
	status := func(lang string) string {
		label := deposit.StatusLabel(u.Status, u.Label, lang)
		switch {
		case label == "":
			return u.Status
		case strings.Trim(u.Status, "0123456789") == "":
			return u.Status + " " + label // a lifecycle code: "210 Refusée"
		default:
			return label + " (" + u.Status + ")"
		}
	}
	fr := fmt.Sprintf("La plateforme %s a refusé la facture : %s", dest, status("fr"))
	en := fmt.Sprintf("Platform %s refused the invoice: %s", dest, status("en"))
	if u.Reason != "" {
		fr += ", motif " + u.Reason
		en += ", reason " + u.Reason
	}
	if u.Message != "" {
		fr += " : " + u.Message
		en += ": " + u.Message
	}
	return &journal.Problem{Rule: "PLATFORM-" + code, Severity: string(invoice.Fatal), FR: fr, EN: en}
}
