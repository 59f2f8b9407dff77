// Package deposit delivers flux files to destinations: a folder (local outbox, later SFTP),
// and later platform APIs (Chorus Pro, approved platforms). Every destination says whether a
// failure is worth retrying.
package deposit

import (
	"context"
	"errors"
	"time"
)

// Flux is one flux file to deliver.
type Flux struct {
	Name    string // final name at the destination
	Syntax  string // ubl, cii
	Invoice string // invoice number, for platforms and logs
	Data    []byte
	SHA256  string // hex digest of Data
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
