package journal

import (
	"context"
	"database/sql"
	"fmt"
)

// Group commits: the transitions of several fluxes deposited together, each recorded as
// StartDeposit and Deposited record one, in one transaction for all. A commit is a sync of
// the journal: one per deposit group instead of two per flux.

// StartDeposits is StartDeposit for every flux of ids, in one transaction: all are
// recorded depositing, or none.
func (j *Journal) StartDeposits(ctx context.Context, ids []int64) error {
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := j.exec(ctx, tx, `UPDATE fluxes SET state = ?, attempts = attempts + 1 WHERE id = ?`, FluxDepositing, id); err != nil {
				return err
			}
			fileID, err := j.fileOfFlux(ctx, tx, id)
			if err != nil {
				return err
			}
			if err := j.event(ctx, tx, fileID, id, EventDepositStarted, ""); err != nil {
				return err
			}
		}
		return nil
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
		for _, fx := range fluxes {
			if _, err := j.exec(ctx, tx, `UPDATE fluxes SET state = ?, receipt = ?, last_error = '', next_attempt_at = NULL, deposited_at = ?, tracking = ? WHERE id = ?`,
				FluxDeposited, fx.Receipt, now, track, fx.ID); err != nil {
				return err
			}
			if _, err := j.exec(ctx, tx, `UPDATE invoices SET status = ?
				WHERE id = (SELECT invoice_id FROM fluxes WHERE id = ?)
				AND NOT EXISTS (SELECT 1 FROM fluxes f WHERE f.invoice_id = invoices.id AND f.state != ?)`,
				InvoiceDeposited, fx.ID, FluxDeposited); err != nil {
				return err
			}
			fileID, err := j.fileOfFlux(ctx, tx, fx.ID)
			if err != nil {
				return err
			}
			if err := j.event(ctx, tx, fileID, fx.ID, EventDeposited, fx.Receipt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("journal: record deposit of %d fluxes: %w", len(fluxes), err)
	}
	return nil
}
