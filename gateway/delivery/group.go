package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// depositGroup deposits the fluxes of unit together on a destination that makes them
// durable together (a folder): all recorded depositing in one transaction, linked from the
// spool (or written) and synced with one directory sync (deposit.Grouper), then those done
// recorded deposited in one transaction. Three syncs for the group instead of four per
// flux; on Linux one syncfs for the whole group when the fluxes are linked, two when they
// are written (deposit.FolderDestination.depositSyncFS).
//
// Crash safety: every flux is recorded depositing before anything is linked or written; the
// destination makes each name appear with the whole flux (a link to the spool file, durable
// before the flux was queued, or a file synced before its rename), and reports it done only
// once the directory is synced. A crash anywhere leaves the started fluxes depositing: the
// next round deposits them again, and the destination finds each one that is there already,
// byte for byte (AlreadyThere), instead of writing it twice. The spool file of a flux is
// removed only after its deposit is committed.
//
// It returns the first transient failure, else a permanent one, else nil.
func (g *Deliverer) depositGroup(ctx context.Context, d *Destination, gr deposit.Grouper, unit []journal.Flux) error {
	if _, reconciles := reconciler(d); reconciles {
		// Not sent twice blindly: a platform's deposits go one by one (reconcile.go).
		var first error
		for _, fx := range unit {
			first = worse(first, g.depositOne(ctx, d, fx))
		}
		return first
	}
	// The content stays in the spool file: the destination links it into place, or reads
	// it, and fails a flux whose spool file is missing, permanently.
	fluxes := make([]deposit.Flux, len(unit))
	ids := make([]int64, len(unit))
	for i, fx := range unit {
		fluxes[i] = deposit.Flux{Name: fx.FinalName, Syntax: fx.Syntax, Invoice: fx.Invoice, SHA256: fx.SHA256,
			Spooled: &deposit.Spooled{Folder: g.Spool, Name: fx.SpoolName}}
		ids[i] = fx.ID
	}
	if err := g.Journal.StartDeposits(ctx, ids); err != nil {
		return err
	}
	start := time.Now()
	receipts, errs := gr.DepositGroup(ctx, fluxes)
	var groupErr error
	for _, err := range errs {
		groupErr = worse(groupErr, err)
	}
	g.observer().Deposited(d.Name(), len(fluxes), time.Since(start), groupErr)
	_, tracked := d.Destination.(deposit.Tracker)
	var done []journal.DepositedFlux
	var first error
	for i, fx := range unit {
		if errs[i] != nil {
			fx.Attempts++
			first = worse(first, g.depositFailed(ctx, fx, errs[i]))
			continue
		}
		done = append(done, journal.DepositedFlux{ID: fx.ID, Receipt: receipts[i].ID})
	}
	if err := g.Journal.DepositedAll(ctx, done, tracked); err != nil {
		return err
	}
	// The spool names go only now: a crash before leaves the fluxes depositing, and the
	// next round needs their spool files (a linked one only loses its second name here).
	var spooled []string
	for i, fx := range unit {
		if errs[i] == nil {
			spooled = append(spooled, fx.SpoolName)
		}
	}
	g.removeSpooled(ctx, d, spooled)
	g.Log.Info("fluxes deposited", "destination", d.Name(), "fluxes", len(done), "failed", len(unit)-len(done))
	return first
}

// worse is the failure of a group that says most: a transient one (the round reports it,
// the breaker counts it) before a permanent one, the first of each kind.
func worse(a, b error) error {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case deposit.IsPermanent(a) && !deposit.IsPermanent(b):
		return b
	}
	return a
}

// removeSpooled removes the spool files of deposited fluxes on a goroutine of its own, while
// the round goes on with its next group: a group's are removed once the one before's are,
// and the round waits for the last (spoolRemoved) before it ends. A crash meanwhile leaves
// spool files no queued flux names, which the start-up cleanup removes.
func (g *Deliverer) removeSpooled(ctx context.Context, d *Destination, names []string) {
	d.spoolRemoved()
	done := make(chan struct{})
	d.removing = done
	go func() {
		defer close(done)
		for _, name := range names {
			if err := g.Spool.Remove(ctx, name); err != nil && !errors.Is(err, folder.ErrNotExist) {
				g.Log.Warn("spool file not removed", "file", name, "err", err)
			}
		}
	}()
}

// spoolRemoved waits for the spool files of the round's last group to be removed.
func (d *Destination) spoolRemoved() {
	if d.removing != nil {
		<-d.removing
		d.removing = nil
	}
}
