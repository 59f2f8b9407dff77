// Package deposit delivers flux files to destinations: a folder (a local outbox or an SFTP
// directory, and the folder of a Chorus Pro EDI connection), the Chorus Pro API, and
// approved platforms through the XP Z12-013 Flow Service. Every destination says whether a
// failure is worth retrying; platforms that answer later also implement Tracker.
package deposit

import (
	"context"
	"errors"
	"time"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

// Flux is one flux file to deliver.
type Flux struct {
	Name    string // final name at the destination
	Syntax  string // ubl, cii
	Invoice string // invoice number, for platforms and logs
	Data    []byte // the content; nil when Spooled holds it (a Grouper's flux)
	SHA256  string // hex digest of the content
	// Spooled is the spool file the flux waits in, for a Grouper: a folder on its file
	// system links the file into place instead of copying it (FolderDestination).
	Spooled *Spooled
}

// Spooled is a flux's spool file: durable, hashed into Flux.SHA256 when it was written, and
// never written again (every write of a folder makes a new file and renames it into place).
type Spooled struct {
	Folder folder.Folder
	Name   string
}

// Receipt is what a destination says about a deposit.
type Receipt struct {
	ID       string // platform deposit id, or the final file name
	Location string // where the flux now is, for the ack
	At       time.Time
	// AlreadyThere is true when the destination held this very flux already (a deposit
	// interrupted after the upload and before the journal heard of it).
	AlreadyThere bool
}

// Destination delivers fluxes.
type Destination interface {
	Name() string
	// Deposit delivers flux. It is idempotent on flux.Name: a flux already present with the
	// same content is a success, so a deposit interrupted by a crash can be tried again.
	Deposit(ctx context.Context, flux Flux) (Receipt, error)
	Close() error
}

// permanentError marks a failure that retrying cannot mend (a refused name, bad data).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that IsPermanent reports true.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err says that retrying cannot help. Anything else (network,
// server down, disk full) is retried.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Tracker is implemented by destinations that answer later (Chorus Pro, approved platforms):
// a deposit only gets a receipt, and what became of the flux and of each invoice comes back
// over days, by polling.
//
// Track is stateless from the caller's side: it reports the current state of each receipt
// (Receipt.ID as Deposit returned it), every time: one update for the deposit (Invoice ""),
// then one per invoice the platform reports on, with its current status. The caller records the updates that
// differ from what it knows and calls Track again later for the receipts whose update with
// Invoice == "" is not Final. An error leaves the updates gathered before it valid; the
// receipts it did not reach are asked again next time.
type Tracker interface {
	Track(ctx context.Context, receiptIDs []string) ([]StatusUpdate, error)
}

// StatusUpdate is one status the platform gives a deposit or one of its invoices.
type StatusUpdate struct {
	Receipt string // the Receipt.ID it concerns
	// Invoice is the invoice number (BT-1) when the platform reports per invoice; "" for the
	// deposit itself (the flux on Chorus Pro, the flow on a PA).
	Invoice string
	// PlatformID is the platform's id of the invoice when it has one (identifiantFactureCPP).
	PlatformID string
	Status     string // the platform's code: IN_INTEGRE, MISE_A_DISPOSITION, Ok, 210, …
	Label      string // the status in French words, for the ack
	// Final says that nothing more will come: for the deposit, that it needs no more
	// tracking (all its invoices final too); for an invoice, that its lifecycle is over.
	Final bool
	// Rejected says that the platform refused the deposit or the invoice: the ack should say
	// REJECTED with Message.
	Rejected bool
	Reason   string // the platform's reason code, when it gives one (REJ_SEMAN, InvalidSchema…)
	Message  string // the platform's own words
	At       time.Time
}

// Batcher is implemented by destinations that can deposit several fluxes at once (Chorus
// Pro: a tar.gz of invoices in one deposit).
type Batcher interface {
	// BatchSize is the largest number of fluxes DepositBatch takes; 1 means no batching.
	BatchSize() int
	// DepositBatch deposits fluxes, which must share one syntax, as one deposit, and returns
	// one receipt per flux, in order (those sent share the deposit's receipt; those the
	// platform held already have their own, AlreadyThere). It is all or nothing: on error,
	// none of the fluxes was deposited by this call.
	DepositBatch(ctx context.Context, fluxes []Flux) ([]Receipt, error)
}

// retryAfterError is a transient failure for which the server said when to come back.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e retryAfterError) Error() string { return e.err.Error() }
func (e retryAfterError) Unwrap() error { return e.err }

// RetryAfter reports the delay a server asked for (HTTP Retry-After on 429 or 503) before
// trying again after err, if it gave one. The deposit loop waits at least that long.
func RetryAfter(err error) (time.Duration, bool) {
	var r retryAfterError
	if errors.As(err, &r) {
		return r.after, true
	}
	return 0, false
}
