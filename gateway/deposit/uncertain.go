package deposit

import (
	"context"
	"errors"
	"time"
)

// uncertainError marks a deposit whose outcome is unknown: the request left (it was written
// to the platform, in part or in full) and no clear answer came back — a time-out, a
// connection lost while waiting, a 5xx, an answer that cannot be read. The platform may
// have processed it.
type uncertainError struct{ err error }

func (e uncertainError) Error() string { return e.err.Error() }
func (e uncertainError) Unwrap() error { return e.err }

// Uncertain wraps err so that IsUncertain reports true. Retry-After information carried by
// err is kept.
func Uncertain(err error) error {
	if err == nil {
		return nil
	}
	return uncertainError{err}
}

// IsUncertain reports whether err says that the deposit may have gone through: sending it
// again blindly could deposit it twice. A destination that is a Reconciler finds out by
// asking the platform; for the others (idempotent by name or tracking id) it is an
// ordinary transient failure.
func IsUncertain(err error) bool {
	var u uncertainError
	return errors.As(err, &u)
}

// Reconciler is implemented by platform destinations whose deposits cannot be made
// idempotent by the client (Chorus Pro: no client reference the API checks), but whose
// platform can be asked afterwards what it holds. A flux whose deposit has an unknown
// outcome is never sent again blindly: the caller asks Reconcile every ReconcileEvery
// during the IntegrationWindow after the deposit, and only when the window is over with
// nothing found does it send the flux again, once.
type Reconciler interface {
	// Platform names the platform in words, for acks and logs ("Chorus Pro").
	Platform() string
	// IntegrationWindow is how long after a deposit the platform may still not show it
	// (a deposit is searchable only once integrated); ReconcileEvery is how often to ask
	// meanwhile.
	IntegrationWindow() time.Duration
	ReconcileEvery() time.Duration
	// Reconcile asks the platform, for each flux (Data may be nil), whether it holds it.
	// It returns one Reconciliation per flux, in order.
	Reconcile(ctx context.Context, fluxes []Flux) []Reconciliation
}

// Reconciliation is what the platform said of one flux whose deposit outcome was unknown.
type Reconciliation struct {
	// Found says the platform holds the flux (its invoice): Receipt is then what Deposit
	// would have returned, for tracking.
	Found   bool
	Receipt Receipt
	// Err says that the platform could not be asked: nothing is known, and nothing may be
	// concluded from this check (in particular, the window is not over for it).
	Err error
}
