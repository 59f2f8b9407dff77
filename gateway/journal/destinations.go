package journal

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// DestinationState says why the queued fluxes of a destination wait as a whole, beyond each
// flux's own back-off. Times in the past no longer hold anything.
type DestinationState struct {
	Name string `json:"name"`
	// PausedUntil: the destination's breaker opened after consecutive failed calls; no
	// deposit is tried before then (a call that succeeds earlier resumes it).
	PausedUntil time.Time `json:"pausedUntil,omitzero"`
	PauseReason string    `json:"pauseReason,omitempty"` // the last failure
	// HeldUntil: the platform asked to wait (Retry-After) when HeldBy was deposited; the
	// other fluxes wait behind that flux's retry.
	HeldUntil  time.Time `json:"heldUntil,omitzero"`
	HeldBy     string    `json:"heldBy,omitempty"`
	HeldReason string    `json:"heldReason,omitempty"`
	Updated    time.Time `json:"updated"`
}

// Paused reports whether the destination is paused at now.
func (s DestinationState) Paused(now time.Time) bool { return now.Before(s.PausedUntil) }

// Held reports whether the destination is held by a platform's Retry-After at now.
func (s DestinationState) Held(now time.Time) bool { return now.Before(s.HeldUntil) }

// SetPause records that destination is paused until until (zero: resumed), and returns the
// files whose fluxes wait for it, whose acks it marks stale: they must say so.
func (j *Journal) SetPause(ctx context.Context, destination string, until time.Time, reason string) ([]int64, error) {
	return j.setDestination(ctx, destination, `paused_until = excluded.paused_until, pause_reason = excluded.pause_reason`,
		nullTime(until), reason, nil, "", "")
}

// SetHold records that destination is held until until (zero: no longer) behind the retry
// of the flux named by, and returns the files whose fluxes wait for it, marking their acks
// stale.
func (j *Journal) SetHold(ctx context.Context, destination string, until time.Time, by, reason string) ([]int64, error) {
	return j.setDestination(ctx, destination, `held_until = excluded.held_until, held_by = excluded.held_by, held_reason = excluded.held_reason`,
		nil, "", nullTime(until), by, reason)
}

func (j *Journal) setDestination(ctx context.Context, destination, set string, pausedUntil any, pauseReason string, heldUntil any, heldBy, heldReason string) ([]int64, error) {
	var files []int64
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		now := j.now().UTC()
		if _, err := j.exec(ctx, tx, `INSERT INTO destinations (name, paused_until, pause_reason, held_until, held_by, held_reason, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET `+set+`, updated_at = excluded.updated_at`,
			destination, pausedUntil, pauseReason, heldUntil, heldBy, heldReason, now); err != nil {
			return err
		}
		rows, err := j.query(ctx, tx, `SELECT DISTINCT i.file_id FROM fluxes f JOIN invoices i ON i.id = f.invoice_id
			WHERE f.destination = ? AND f.state = ? ORDER BY i.file_id`, destination, FluxQueued)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			files = append(files, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range files {
			if _, err := j.exec(ctx, tx, `UPDATE files SET ack_stale = ack_stale + 1 WHERE id = ?`, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal: state of destination %s: %w", destination, err)
	}
	return files, nil
}

// DestinationStates returns what the journal holds of each destination, by name.
func (j *Journal) DestinationStates(ctx context.Context) (map[string]DestinationState, error) {
	rows, err := j.query(ctx, nil, `SELECT name, paused_until, pause_reason, held_until, held_by, held_reason, updated_at FROM destinations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("journal: query destinations: %w", err)
	}
	defer rows.Close()
	out := map[string]DestinationState{}
	for rows.Next() {
		var s DestinationState
		var paused, held sql.NullTime
		if err := rows.Scan(&s.Name, &paused, &s.PauseReason, &held, &s.HeldBy, &s.HeldReason, &s.Updated); err != nil {
			return nil, fmt.Errorf("journal: read destination: %w", err)
		}
		s.PausedUntil, s.HeldUntil = paused.Time, held.Time
		out[s.Name] = s
	}
	return out, rows.Err()
}

// TrackQueue returns the fluxes deposited on destination whose platform has more to say,
// those asked about least recently first (never asked first of all): a tracking round cut
// short by the platform's rate limit does not leave the same fluxes unasked every time.
func (j *Journal) TrackQueue(ctx context.Context, destination string) ([]Flux, error) {
	return j.queryFluxes(ctx, `WHERE destination = ? AND state = ? AND tracking = 1 ORDER BY tracked_at IS NOT NULL, tracked_at, fluxes.id`,
		destination, FluxDeposited)
}

// MarkTracked records that the platform was asked about the fluxes ids at at, in one
// transaction (it orders tracking rounds; it is no transition of a flux).
func (j *Journal) MarkTracked(ctx context.Context, ids []int64, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		for _, part := range batches(ids) {
			if _, err := j.exec(ctx, tx, `UPDATE fluxes SET tracked_at = ? WHERE id IN (`+marks(len(part))+`)`, idArgs(part, at.UTC())...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("journal: record tracking round: %w", err)
	}
	return nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}
