package journal

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// FluxUncertain is the state of a flux whose deposit has an unknown outcome: the request
// left and no clear answer came back (a time-out, a lost connection, a 5xx), or the gateway
// stopped while the deposit was in flight. The platform may hold it: it is not sent again
// until the platform, asked over its integration window, has shown no trace of it.
const FluxUncertain = "uncertain"

// Event kinds of a deposit of unknown outcome.
const (
	EventDepositUncertain = "deposit-uncertain" // the outcome became unknown; detail: why
	EventReconciled       = "reconciled"        // found on the platform; detail: the receipt
	EventResent           = "resent"            // no trace after the window: queued to be sent again
)

// MaxResends is how many times a flux is sent again on its own after an integration window
// with no trace of it; after that an operator decides (fluxgate retry).
const MaxResends = 3

// Uncertainty is what the journal knows of a flux's deposit of unknown outcome and of its
// reconciliation with the platform. Since is zero for a flux that never had one.
type Uncertainty struct {
	Since      time.Time // when the outcome became unknown
	Until      time.Time // end of the integration window: with no trace by then, sent again
	Checks     int       // times the platform was asked since Since
	CheckedAt  time.Time // the last time
	NextCheck  time.Time // the next time
	CheckError string    // why the last check could not be made ("" when it was)
	Resends    int       // times the flux was sent again after a window with no trace
	ResentAt   time.Time // the last of them
}

// MarkUncertain records that the deposit of a flux has an unknown outcome (reason says
// why): it waits, out of the queue, to be checked on the platform at next and until until.
func (j *Journal) MarkUncertain(ctx context.Context, fluxID int64, reason string, since, until, next time.Time) error {
	err := j.fluxTx(ctx, fluxID, EventDepositUncertain, reason, func(tx *sql.Tx) error {
		_, err := j.exec(ctx, tx, `UPDATE fluxes SET state = ?, last_error = ?, next_attempt_at = NULL,
			uncertain_since = ?, uncertain_until = ?, reconcile_checks = 0, reconcile_checked_at = NULL, reconcile_next_at = ?, reconcile_error = ''
			WHERE id = ?`, FluxUncertain, reason, since.UTC(), until.UTC(), next.UTC(), fluxID)
		return err
	})
	if err != nil {
		return fmt.Errorf("journal: record the unknown outcome of flux %d: %w", fluxID, err)
	}
	return nil
}

// Uncertain returns the fluxes of destination whose deposit has an unknown outcome and that
// are due for a check at due (all of them when due is zero), oldest first.
func (j *Journal) Uncertain(ctx context.Context, destination string, due time.Time) ([]Flux, error) {
	if due.IsZero() {
		return j.queryFluxes(ctx, `WHERE destination = ? AND state = ? ORDER BY fluxes.id`, destination, FluxUncertain)
	}
	return j.queryFluxes(ctx, `WHERE destination = ? AND state = ? AND (reconcile_next_at IS NULL OR reconcile_next_at <= ?) ORDER BY fluxes.id`,
		destination, FluxUncertain, due.UTC())
}

// LeftDepositing returns the fluxes of destination recorded as being deposited: in a new
// round, those a stopped or crashed run left in flight. One that another instance leased
// and may still be depositing (its lease has not run out) is not left: it is in flight.
func (j *Journal) LeftDepositing(ctx context.Context, destination string) ([]Flux, error) {
	return j.queryFluxes(ctx, `WHERE destination = ? AND state = ? AND (leased_by IN ('', ?) OR lease_until IS NULL OR lease_until < ?) ORDER BY fluxes.id`,
		destination, FluxDepositing, j.instance, j.now().UTC())
}

// Checked records a check of an uncertain flux on the platform at at that found nothing
// (checkErr "") or could not be made (checkErr says why); the next one is due at next.
func (j *Journal) Checked(ctx context.Context, fluxID int64, at, next time.Time, checkErr string) error {
	_, err := j.exec(ctx, nil, `UPDATE fluxes SET reconcile_checks = reconcile_checks + 1, reconcile_checked_at = ?,
		reconcile_next_at = ?, reconcile_error = ? WHERE id = ? AND state = ?`, at.UTC(), next.UTC(), checkErr, fluxID, FluxUncertain)
	if err != nil {
		return fmt.Errorf("journal: record a check of flux %d: %w", fluxID, err)
	}
	return nil
}

// Reconciled records that the platform holds an uncertain flux: it is deposited, with the
// receipt the platform's answer gives, as Deposited does.
func (j *Journal) Reconciled(ctx context.Context, fluxID int64, receipt string, track bool) error {
	return j.deposited(ctx, fluxID, EventReconciled, receipt, track)
}

// Resend puts an uncertain flux back in the queue, to be sent again at once, after its
// integration window ended with no trace of it on the platform; note (a warning) goes on
// its invoice, so that its ack says so for good.
func (j *Journal) Resend(ctx context.Context, fluxID int64, at time.Time, note Problem) error {
	err := j.fluxTx(ctx, fluxID, EventResent, note.EN, func(tx *sql.Tx) error {
		res, err := j.exec(ctx, tx, `UPDATE fluxes SET state = ?, next_attempt_at = NULL, reconcile_next_at = NULL,
			resends = resends + 1, resent_at = ? WHERE id = ? AND state = ?`, FluxQueued, at.UTC(), fluxID, FluxUncertain)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("flux %d is no longer uncertain", fluxID)
		}
		var invID int64
		var problems string
		if err := j.queryRow(ctx, tx, `SELECT i.id, i.problems FROM invoices i JOIN fluxes f ON f.invoice_id = i.id WHERE f.id = ?`, fluxID).
			Scan(&invID, &problems); err != nil {
			return err
		}
		_, err = j.exec(ctx, tx, `UPDATE invoices SET problems = ? WHERE id = ?`, encodeProblems(append(decodeProblems(problems), note)), invID)
		return err
	})
	if err != nil {
		return fmt.Errorf("journal: queue flux %d to be sent again: %w", fluxID, err)
	}
	return nil
}

// UncertainNote says, in lang (fr or en), why an uncertain flux waits and what comes next,
// for its ack and for status.
func (f Flux) UncertainNote(lang string) string {
	u := f.Uncertain
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	fr := fmt.Sprintf("dépôt vers %s du %s sans réponse certaine (%s) : il n'est pas renvoyé à l'aveugle ; ", f.Destination, ts(u.Since), f.LastError)
	en := fmt.Sprintf("deposit to %s at %s got no clear answer (%s): it is not sent again blindly; ", f.Destination, ts(u.Since), f.LastError)
	checks := func(fr0, en0 string) (string, string) {
		if u.Checks == 0 {
			return fr0 + "aucune vérification encore", en0 + "not checked yet"
		}
		fr0 += fmt.Sprintf("%d vérification(s), la dernière le %s", u.Checks, ts(u.CheckedAt))
		en0 += fmt.Sprintf("%d check(s), the last at %s", u.Checks, ts(u.CheckedAt))
		if u.CheckError != "" {
			fr0 += " sans réponse : " + u.CheckError
			en0 += " unanswered: " + u.CheckError
		}
		return fr0, en0
	}
	if windowOver := !u.CheckedAt.IsZero() && !u.CheckedAt.Before(u.Until); windowOver && u.Resends >= MaxResends {
		fr, en = checks(fr+fmt.Sprintf("aucune trace sur la plateforme après la fenêtre d'intégration, déjà renvoyé %d fois ; elle est encore interrogée (", u.Resends),
			en+fmt.Sprintf("no trace on the platform after the integration window, sent again %d times already; it is still asked (", u.Resends))
		fr += ") ; vérifiez sur la plateforme, puis « fluxgate retry » le renvoie"
		en += "); check on the platform, then `fluxgate retry` sends it again"
	} else {
		fr, en = checks(fr+fmt.Sprintf("la plateforme est interrogée jusqu'au %s (", ts(u.Until)), en+fmt.Sprintf("the platform is asked until %s (", ts(u.Until)))
		fr += ") ; sans trace d'ici là, il sera renvoyé une fois"
		en += "); with no trace by then it will be sent again once"
	}
	if lang == "en" {
		return en
	}
	return fr
}
