package journal

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Group commits: the transitions of several fluxes deposited together, each recorded as
// StartDeposit and Deposited record one, in one transaction for all. A commit is a sync of
// the journal: one per deposit group instead of two per flux.

// StartDeposits is StartDeposit for every flux of ids, in one transaction: all are
// recorded depositing, or none.
func (j *Journal) StartDeposits(ctx context.Context, ids []int64) error {
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		for _, part := range batches(ids) {
			if _, err := j.exec(ctx, tx, `UPDATE fluxes SET state = ?, attempts = attempts + 1 WHERE id IN (`+marks(len(part))+`)`,
				idArgs(part, FluxDepositing)...); err != nil {
				return err
			}
		}
		return j.fluxEvents(ctx, tx, ids, EventDepositStarted, nil)
	})
	if err != nil {
		return fmt.Errorf("journal: start deposit of %d fluxes: %w", len(ids), err)
	}
	return nil
}

// DepositedFlux is one flux of a group deposit, with the destination's receipt.
type DepositedFlux struct {
	ID      int64
	Receipt string
}

// DepositedAll is Deposited for every flux of fluxes, in one transaction: each invoice
// whose fluxes are all deposited becomes DEPOSITED.
func (j *Journal) DepositedAll(ctx context.Context, fluxes []DepositedFlux, track bool) error {
	if len(fluxes) == 0 {
		return nil
	}
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		now := j.now().UTC()
		ids := make([]int64, len(fluxes))
		receipts := make([]string, len(fluxes))
		for i, fx := range fluxes {
			ids[i], receipts[i] = fx.ID, fx.Receipt
		}
		// One statement per batch, each flux's receipt picked by its id.
		for _, part := range batches(fluxes) {
			args := make([]any, 0, 3*len(part)+3)
			args = append(args, FluxDeposited)
			for _, fx := range part {
				args = append(args, fx.ID, fx.Receipt)
			}
			args = append(args, now, track)
			for _, fx := range part {
				args = append(args, fx.ID)
			}
			if _, err := j.exec(ctx, tx, `UPDATE fluxes SET state = ?, receipt = CASE id `+strings.Repeat("WHEN ? THEN ? ", len(part))+`END,
				last_error = '', next_attempt_at = NULL, deposited_at = ?, tracking = ? WHERE id IN (`+marks(len(part))+`)`, args...); err != nil {
				return err
			}
		}
		for _, part := range batches(ids) {
			if _, err := j.exec(ctx, tx, `UPDATE invoices SET status = ?
				WHERE id IN (SELECT invoice_id FROM fluxes WHERE id IN (`+marks(len(part))+`))
				AND NOT EXISTS (SELECT 1 FROM fluxes f WHERE f.invoice_id = invoices.id AND f.state != ?)`,
				append(idArgs(part, InvoiceDeposited), FluxDeposited)...); err != nil {
				return err
			}
		}
		return j.fluxEvents(ctx, tx, ids, EventDeposited, receipts)
	})
	if err != nil {
		return fmt.Errorf("journal: record deposit of %d fluxes: %w", len(fluxes), err)
	}
	return nil
}

// fluxEvents records the event kind of each flux of ids, with details[i] for the i-th
// (none without details), against the flux's file.
func (j *Journal) fluxEvents(ctx context.Context, tx *sql.Tx, ids []int64, kind string, details []string) error {
	files, err := j.filesOfFluxes(ctx, tx, ids)
	if err != nil {
		return err
	}
	now := j.now().UTC()
	evs := make([]Event, len(ids))
	for i, id := range ids {
		file, ok := files[id]
		if !ok {
			return fmt.Errorf("flux %d: %w", id, ErrNotFound)
		}
		evs[i] = Event{At: now, FileID: file, FluxID: id, Kind: kind}
		if details != nil {
			evs[i].Detail = details[i]
		}
	}
	return j.events(ctx, tx, evs)
}

// filesOfFluxes returns the file of each flux of ids that exists.
func (j *Journal) filesOfFluxes(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]int64, error) {
	files := make(map[int64]int64, len(ids))
	for _, part := range batches(ids) {
		rows, err := j.query(ctx, tx, `SELECT f.id, i.file_id FROM fluxes f JOIN invoices i ON i.id = f.invoice_id WHERE f.id IN (`+marks(len(part))+`)`,
			idArgs(part)...)
		err = eachRow(rows, err, func() error {
			var flux, file int64
			if err := rows.Scan(&flux, &file); err != nil {
				return err
			}
			files[flux] = file
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}
