package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/invoice"
)

// trackEvery is how often the platforms are asked what became of deposited invoices.
const trackEvery = 5 * time.Minute

// Track asks a platform destination what became of its deposited fluxes that are not final
// yet, records what changed in the journal and rewrites the acks concerned: the accounting
// side learns from its ack that an invoice was integrated, rejected, suspended or paid.
func (g *Deliverer) Track(ctx context.Context, d *Destination) error {
	tr, ok := d.Destination.(deposit.Tracker)
	if !ok {
		return nil
	}
	fluxes, err := g.Journal.Tracked(ctx, d.Name())
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
	updates, trackErr := tr.Track(ctx, receipts)
	g.observer().Tracked(d.Name(), time.Since(start), trackErr)

	touched := map[int64]bool{} // files whose ack must be rewritten
	apply := func(fx journal.Flux, u deposit.StatusUpdate, final bool) error {
		var problem *journal.Problem
		if u.Rejected {
			problem = platformProblem(d.Name(), u)
			final = true
		}
		changed, err := g.Journal.PlatformUpdate(ctx, fx.ID, journal.PlatformStatus{
			ID: u.PlatformID, Status: u.Status, Label: u.Label, Message: u.Message, At: u.At,
		}, final, problem)
		if err != nil || !changed {
			return err
		}
		g.Log.Info("platform status", "destination", d.Name(), "invoice", fx.Invoice, "status", u.Status, "final", final, "rejected", u.Rejected)
		if fileID, err := g.Journal.FileOfFlux(ctx, fx.ID); err == nil {
			touched[fileID] = true
		}
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
			if !u.Rejected && !u.Final && fx.Platform.Status != "" && fx.Platform.Status != u.Status {
				continue // the invoice's own status says more than the deposit's
			}
			errs = append(errs, apply(fx, u, u.Final))
		}
	}
	for fileID := range touched {
		errs = append(errs, g.WriteAck(ctx, fileID))
	}
	if trackErr != nil {
		errs = append(errs, fmt.Errorf("track %s: %w", d.Name(), trackErr))
	}
	return errors.Join(errs...)
}

// platformProblem turns a platform's rejection into a problem of the invoice's ack, in the
// platform's own words.
func platformProblem(dest string, u deposit.StatusUpdate) *journal.Problem {
	code := u.Reason
	if code == "" {
		code = u.Status
	}
	msg := u.Message
	if msg == "" {
		msg = u.Label
	}
	return &journal.Problem{Rule: "PLATFORM-" + code, Severity: string(invoice.Fatal),
		FR: fmt.Sprintf("La plateforme %s a rejeté la facture (%s) : %s", dest, code, msg),
		EN: fmt.Sprintf("Platform %s rejected the invoice (%s): %s", dest, code, msg)}
}
