package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/invoice"
)

// A deposit whose outcome is unknown (deposit.IsUncertain: the request left and no clear
// answer came back; or the gateway stopped while it was in flight) may have reached the
// platform. On a destination that can be asked (deposit.Reconciler) it is never sent again
// blindly: the flux becomes uncertain, the platform is asked every ReconcileEvery during
// its IntegrationWindow whether it holds it, and
//   - found: the flux is deposited, with the receipt the platform's answer gives, and tracked;
//   - the window over with no trace (the last check answered): it is sent again, once per
//     window, at most journal.MaxResends times, and its invoice carries a warning that says
//     so in its ack; past that, an operator decides (fluxgate retry);
//   - a check that could not be made concludes nothing: the flux waits for the next one.
//
// Destinations that are no Reconciler (folders, approved platforms) are idempotent by name
// or tracking id: for them an unknown outcome is an ordinary transient failure, and a flux
// left depositing is deposited again, which finds it there.

// errLeftInFlight is why a flux found depositing at the start of a round is uncertain.
var errLeftInFlight = errors.New("the gateway stopped while this deposit was in flight: its outcome is unknown")

// reconciler returns d as a Reconciler, if it is one.
func reconciler(d *Destination) (deposit.Reconciler, bool) {
	rc, ok := d.Destination.(deposit.Reconciler)
	return rc, ok
}

// Reconcile settles d's fluxes whose deposit has an unknown outcome, when d can be asked:
// the fluxes a stopped run left depositing become uncertain first, then those due for a
// check (all of them with force) are looked for on the platform. Only a failure of the
// journal is returned; what the platform could not answer waits for the next check.
func (g *Deliverer) Reconcile(ctx context.Context, d *Destination, force bool) error {
	rc, ok := reconciler(d)
	if !ok {
		return nil
	}
	left, err := g.Journal.LeftDepositing(ctx, d.Name())
	if err != nil {
		return err
	}
	if len(left) > 0 {
		if err := g.markUncertain(ctx, d, rc, left, errLeftInFlight, true); err != nil {
			return err
		}
	}
	due := g.Now()
	if force {
		due = time.Time{}
	}
	fluxes, err := g.Journal.Uncertain(ctx, d.Name(), due)
	if err != nil || len(fluxes) == 0 {
		return err
	}
	query := make([]deposit.Flux, len(fluxes))
	for i, fx := range fluxes {
		query[i] = deposit.Flux{Name: fx.FinalName, Syntax: fx.Syntax, Invoice: fx.Invoice, SHA256: fx.SHA256}
	}
	results := rc.Reconcile(ctx, query)
	_, tracked := d.Destination.(deposit.Tracker)
	touched := map[int64]bool{}
	var errs []error
	for i, fx := range fluxes {
		r := deposit.Reconciliation{Err: errors.New("the destination gave no answer for this flux")}
		if i < len(results) {
			r = results[i]
		}
		if err := g.settleUncertain(ctx, d, rc, fx, r, tracked); err != nil {
			errs = append(errs, err)
			continue
		}
		touched[fx.FileID] = true
	}
	for id := range touched {
		if err := g.WriteAck(ctx, id); err != nil {
			g.Log.Error("ack not rewritten", "file", id, "err", err)
		}
	}
	return errors.Join(errs...)
}

// settleUncertain records what one check of an uncertain flux found.
func (g *Deliverer) settleUncertain(ctx context.Context, d *Destination, rc deposit.Reconciler, fx journal.Flux, r deposit.Reconciliation, tracked bool) error {
	now := g.Now()
	u := fx.Uncertain
	switch {
	case r.Err != nil:
		g.Log.Warn("deposit of unknown outcome not checked: the platform did not answer; asking again later", "destination", d.Name(),
			"flux", fx.FinalName, "invoice", fx.Invoice, "until", u.Until, "err", r.Err)
		return g.Journal.Checked(ctx, fx.ID, now, now.Add(rc.ReconcileEvery()), r.Err.Error())
	case r.Found:
		if err := g.Journal.Reconciled(ctx, fx.ID, r.Receipt.ID, tracked); err != nil {
			return err
		}
		g.Log.Info("deposit of unknown outcome found on the platform: deposited, not sent again", "destination", d.Name(),
			"flux", fx.FinalName, "invoice", fx.Invoice, "receipt", r.Receipt.ID, "since", u.Since, "checks", u.Checks+1)
		if err := g.Spool.Remove(ctx, fx.SpoolName); err != nil && !errors.Is(err, folder.ErrNotExist) {
			g.Log.Warn("spool file not removed", "file", fx.SpoolName, "err", err)
		}
		return nil
	case now.Before(u.Until):
		// The last check falls on the window's end, so that "no trace" means the whole window.
		next := now.Add(rc.ReconcileEvery())
		if next.After(u.Until) {
			next = u.Until
		}
		g.Log.Debug("deposit of unknown outcome not found on the platform yet", "destination", d.Name(), "flux", fx.FinalName, "until", u.Until)
		return g.Journal.Checked(ctx, fx.ID, now, next, "")
	case u.Resends < journal.MaxResends:
		note := resentNote(rc.Platform(), fx, now)
		if err := g.Journal.Resend(ctx, fx.ID, now, note); err != nil {
			return err
		}
		g.Log.Warn("no trace of a deposit of unknown outcome after the integration window: sending it again once", "destination", d.Name(),
			"flux", fx.FinalName, "invoice", fx.Invoice, "since", u.Since, "checks", u.Checks+1, "resends", u.Resends+1)
		return nil
	default:
		if u.CheckedAt.Before(u.Until) { // said once, when the window ends
			g.Log.Error("no trace of a deposit of unknown outcome after the integration window, and it was sent again too often: an operator must check the platform, then run fluxgate retry",
				"destination", d.Name(), "flux", fx.FinalName, "invoice", fx.Invoice, "since", u.Since, "resends", u.Resends)
		}
		return g.Journal.Checked(ctx, fx.ID, now, now.Add(rc.ReconcileEvery()), "")
	}
}

// resentNote is the warning an invoice's ack carries once its flux was sent again after
// an integration window with no trace of the first deposit.
func resentNote(platform string, fx journal.Flux, at time.Time) journal.Problem {
	u := fx.Uncertain
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	return journal.Problem{Rule: "FG-RESENT", Severity: string(invoice.Warning),
		FR: fmt.Sprintf("Flux %s renvoyé le %s : aucune trace sur %s à la fin de la fenêtre d'intégration (dépôt du %s sans réponse certaine, %d vérification(s)).",
			fx.FinalName, ts(at), platform, ts(u.Since), u.Checks+1),
		EN: fmt.Sprintf("Flux %s re-sent at %s: no trace on %s after the integration window (deposit of %s without a clear answer, %d check(s)).",
			fx.FinalName, ts(at), platform, ts(u.Since), u.Checks+1)}
}

// markUncertain records that the deposit of fluxes has an unknown outcome (why), so that
// nothing sends them again before the platform has been asked over its integration window.
// Fluxes a stopped run left in flight (leftover) are checked at once: their deposit may be
// old news; a deposit that just failed is checked once the platform had time to integrate it.
func (g *Deliverer) markUncertain(ctx context.Context, d *Destination, rc deposit.Reconciler, fluxes []journal.Flux, why error, leftover bool) error {
	now := g.Now()
	until := now.Add(rc.IntegrationWindow())
	next := now
	if !leftover {
		next = now.Add(min(rc.ReconcileEvery(), rc.IntegrationWindow()))
	}
	var errs []error
	for _, fx := range fluxes {
		g.Log.Warn("deposit outcome unknown: not sent again before the platform is asked", "destination", d.Name(),
			"flux", fx.FinalName, "invoice", fx.Invoice, "until", until, "err", why)
		errs = append(errs, g.Journal.MarkUncertain(ctx, fx.ID, why.Error(), now, until, next))
	}
	return errors.Join(errs...)
}

// depositUncertain records a deposit that failed with an unknown outcome on a destination
// that can be asked, and returns err (still IsUncertain) for the round.
func (g *Deliverer) depositUncertain(ctx context.Context, d *Destination, rc deposit.Reconciler, fluxes []journal.Flux, err error) error {
	if jerr := g.markUncertain(ctx, d, rc, fluxes, err, false); jerr != nil {
		// Left depositing: the next round makes it uncertain; it is not sent again meanwhile.
		return errors.Join(err, jerr)
	}
	return err
}
