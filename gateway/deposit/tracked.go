package deposit

import "context"

// Tracked is a deposit to follow, with what the journal knows of it already.
type Tracked struct {
	Receipt string // Receipt.ID as Deposit returned it
	Invoice string // the number of the invoice the flux carries
	Status  string // the platform's last status recorded for it; "" when none yet
}

// KnownTracker is a Tracker that spares the calls it can, given what is known of each
// deposit: it does not ask again what cannot change any more (a flow the platform accepted
// already). Its answer is Track's: a deposit it reached has at least one update.
type KnownTracker interface {
	TrackKnown(ctx context.Context, deposits []Tracked) ([]StatusUpdate, error)
}
