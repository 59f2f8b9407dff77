package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// Invoices returns the invoices of a file in file order, each with its fluxes.
func (j *Journal) Invoices(ctx context.Context, fileID int64) ([]Invoice, error) {
	rows, err := j.query(ctx, nil,
		`SELECT id, file_id, seq, seller, number, issue_date, status, first_line, last_line, problems FROM invoices WHERE file_id = ? ORDER BY seq`, fileID)
	if err != nil {
		return nil, fmt.Errorf("journal: query invoices: %w", err)
	}
	var out []Invoice
	byID := map[int64]int{}
	for rows.Next() {
		var inv Invoice
		var problems string
		if err := rows.Scan(&inv.ID, &inv.FileID, &inv.Seq, &inv.Seller, &inv.Number, &inv.IssueDate, &inv.Status, &inv.FirstLine, &inv.LastLine, &problems); err != nil {
			rows.Close()
			return nil, fmt.Errorf("journal: read invoice: %w", err)
		}
		inv.Problems = decodeProblems(problems)
		byID[inv.ID] = len(out)
		out = append(out, inv)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	fluxes, err := j.queryFluxes(ctx, `WHERE i.file_id = ? ORDER BY fluxes.id`, fileID)
	if err != nil {
		return nil, err
	}
	for _, f := range fluxes {
		// Another instance may record the file's invoices between the two reads: a flux of
		// an invoice not read yet waits for the next read.
		i, ok := byID[f.InvoiceID]
		if !ok {
			continue
		}
		out[i].Fluxes = append(out[i].Fluxes, f)
	}
	return out, nil
}

// PriorInvoice is an invoice accepted before, found by its identity.
type PriorInvoice struct {
	FileID   int64
	FileName string
	Received time.Time
	Status   string
	// ContentSHA256 is the digest of its content, as AcceptedInvoices reads it ("" for an
	// invoice recorded before digests were kept).
	ContentSHA256 string
}

// InvoiceKey is an invoice's identity: its seller, number and issue date.
type InvoiceKey struct{ Seller, Number, IssueDate string }

// AcceptedInvoice finds an invoice with the identity (seller, number, issue date) accepted
// (queued or deposited) by a file other than except: an invoice is deposited at most once,
// whichever file brings it.
func (j *Journal) AcceptedInvoice(ctx context.Context, seller, number, issueDate string, except int64) (PriorInvoice, bool, error) {
	var p PriorInvoice
	err := j.queryRow(ctx, nil, `SELECT f.id, f.name, f.received_at, i.status FROM invoices i JOIN files f ON f.id = i.file_id
		WHERE i.seller = ? AND i.number = ? AND i.issue_date = ? AND i.file_id != ? AND i.status IN (?, ?)
		ORDER BY i.id LIMIT 1`, seller, number, issueDate, except, InvoiceQueued, InvoiceDeposited).
		Scan(&p.FileID, &p.FileName, &p.Received, &p.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("journal: look up invoice %s: %w", number, err)
	}
	return p, true, nil
}

// AcceptedInvoices is AcceptedInvoiceContent for many invoices at once (those of a file,
// or of a chunk of it), in a few statements instead of one per invoice: of keys, those
// accepted by a file other than except, each with the first such invoice and its digest
// (files still claimed do not count, as there).
func (j *Journal) AcceptedInvoices(ctx context.Context, keys []InvoiceKey, except int64) (map[InvoiceKey]PriorInvoice, error) {
	found := map[InvoiceKey]PriorInvoice{}
	for _, part := range batches(keys) {
		args := make([]any, 0, 3*len(part)+3)
		for _, k := range part {
			args = append(args, k.Seller, k.Number, k.IssueDate)
		}
		args = append(args, except, InvoiceQueued, InvoiceDeposited, FileClaimed)
		// Each key looked up through the index, as one at a time: the keys are a table joined
		// first (CROSS JOIN keeps SQLite to that order), not an IN list, which PostgreSQL's
		// prepared plans compare with every row of the destination.
		rows, err := j.query(ctx, nil, `SELECT i.seller, i.number, i.issue_date, f.id, f.name, f.received_at, i.status, i.content_sha256
			FROM (VALUES `+valueRows(len(part), 3)+`) AS k CROSS JOIN invoices i JOIN files f ON f.id = i.file_id
			WHERE i.seller = k.column1 AND i.number = k.column2 AND i.issue_date = k.column3 AND i.file_id != ? AND i.status IN (?, ?) AND f.state != ?
			ORDER BY i.id`, args...)
		err = eachRow(rows, err, func() error {
			var k InvoiceKey
			var p PriorInvoice
			if err := rows.Scan(&k.Seller, &k.Number, &k.IssueDate, &p.FileID, &p.FileName, &p.Received, &p.Status, &p.ContentSHA256); err != nil {
				return err
			}
			if _, ok := found[k]; !ok { // the first, as AcceptedInvoice
				found[k] = p
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("journal: look up %d invoices: %w", len(keys), err)
		}
	}
	return found, nil
}

// Deliverable returns the fluxes of destination still to deposit (queued, or left
// depositing by a crash), oldest first. With a non-zero due, a flux waiting out a back-off
// until after due is left out.
func (j *Journal) Deliverable(ctx context.Context, destination string, due time.Time) ([]Flux, error) {
	return j.deliverable(ctx, destination, due, 0, math.MaxInt32)
}

// deliverable is Deliverable for at most limit fluxes of ids above after. The page's ids
// are chosen first, in the index of destinations and states: the two states are two runs
// of it, merged by a sort, which sorts ids only, not every queued flux's thirty columns
// (SQLite sorted all the fluxes left for each page of a round).
func (j *Journal) deliverable(ctx context.Context, destination string, due time.Time, after int64, limit int) ([]Flux, error) {
	if due.IsZero() {
		return j.queryFluxes(ctx, `WHERE fluxes.id IN (SELECT id FROM fluxes WHERE destination = ? AND state IN (?, ?) AND id > ? ORDER BY id LIMIT ?)
			ORDER BY fluxes.id`, destination, FluxQueued, FluxDepositing, after, limit)
	}
	return j.queryFluxes(ctx, `WHERE fluxes.id IN (SELECT id FROM fluxes WHERE destination = ? AND state IN (?, ?) AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND id > ? ORDER BY id LIMIT ?)
		ORDER BY fluxes.id`, destination, FluxQueued, FluxDepositing, due.UTC(), after, limit)
}

// NextAttempt returns when the earliest flux of destination that waits out a back-off, or
// whose deposit of unknown outcome is to be checked, is due, if any is.
func (j *Journal) NextAttempt(ctx context.Context, destination string) (time.Time, bool, error) {
	var at time.Time
	err := j.queryRow(ctx, nil, `SELECT t FROM (
			SELECT next_attempt_at AS t FROM fluxes WHERE destination = ? AND state = ? AND next_attempt_at IS NOT NULL
			UNION ALL
			SELECT reconcile_next_at AS t FROM fluxes WHERE destination = ? AND state = ? AND reconcile_next_at IS NOT NULL) AS due
		ORDER BY t LIMIT 1`, destination, FluxQueued, destination, FluxUncertain).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("journal: next attempt: %w", err)
	}
	return at, true, nil
}

// NameTaken reports whether a flux of another file than fileID already uses finalName on
// destination. (The file's own fluxes are replaced when it is processed again.)
func (j *Journal) NameTaken(ctx context.Context, destination, finalName string, fileID int64) (bool, error) {
	var n int
	err := j.queryRow(ctx, nil, `SELECT COUNT(*) FROM fluxes f JOIN invoices i ON i.id = f.invoice_id
		WHERE f.destination = ? AND f.final_name = ? AND i.file_id != ?`, destination, finalName, fileID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("journal: look up flux name: %w", err)
	}
	return n > 0, nil
}

// NamesTaken is NameTaken for many names at once: those of names that a flux of another
// file than fileID already uses on destination.
func (j *Journal) NamesTaken(ctx context.Context, destination string, names []string, fileID int64) (map[string]bool, error) {
	taken := map[string]bool{}
	for _, part := range batches(names) {
		args := make([]any, 0, len(part)+2)
		for _, n := range part {
			args = append(args, n)
		}
		args = append(args, destination, fileID)
		// Each name looked up through the index (see AcceptedInvoices).
		rows, err := j.query(ctx, nil, `SELECT DISTINCT f.final_name
			FROM (VALUES `+valueRows(len(part), 1)+`) AS n CROSS JOIN fluxes f JOIN invoices i ON i.id = f.invoice_id
			WHERE f.final_name = n.column1 AND f.destination = ? AND i.file_id != ?`, args...)
		err = eachRow(rows, err, func() error {
			var name string
			if err := rows.Scan(&name); err != nil {
				return err
			}
			taken[name] = true
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("journal: look up %d flux names: %w", len(names), err)
		}
	}
	return taken, nil
}

// queryFluxes returns the fluxes that where selects; it may name the flux's invoice as i
// (and its id as fluxes.id).
func (j *Journal) queryFluxes(ctx context.Context, where string, args ...any) ([]Flux, error) {
	rows, err := j.query(ctx, nil,
		`SELECT fluxes.id, invoice_id, i.number, i.file_id, destination, syntax, spool_name, final_name, sha256, state, attempts, last_error, receipt, deposited_at, next_attempt_at,
		tracking, platform_id, platform_status, platform_label, platform_message, platform_at, platform_of_invoice,
		uncertain_since, uncertain_until, reconcile_checks, reconcile_checked_at, reconcile_next_at, reconcile_error, resends, resent_at FROM fluxes JOIN invoices i ON i.id = fluxes.invoice_id `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: query fluxes: %w", err)
	}
	defer rows.Close()
	var out []Flux
	for rows.Next() {
		var f Flux
		var at, next, pat, since, until, checked, nextCheck, resent sql.NullTime
		p, u := &f.Platform, &f.Uncertain
		if err := rows.Scan(&f.ID, &f.InvoiceID, &f.Invoice, &f.FileID, &f.Destination, &f.Syntax, &f.SpoolName, &f.FinalName, &f.SHA256, &f.State, &f.Attempts, &f.LastError, &f.Receipt, &at, &next,
			&f.Tracking, &p.ID, &p.Status, &p.Label, &p.Message, &pat, &p.OfInvoice,
			&since, &until, &u.Checks, &checked, &nextCheck, &u.CheckError, &u.Resends, &resent); err != nil {
			return nil, fmt.Errorf("journal: read flux: %w", err)
		}
		f.DepositedAt, f.NextAttempt, p.At = at.Time, next.Time, pat.Time
		u.Since, u.Until, u.CheckedAt, u.NextCheck, u.ResentAt = since.Time, until.Time, checked.Time, nextCheck.Time, resent.Time
		out = append(out, f)
	}
	return out, rows.Err()
}

func (j *Journal) fileOfFlux(ctx context.Context, tx *sql.Tx, fluxID int64) (int64, error) {
	var id int64
	err := j.queryRow(ctx, tx, `SELECT i.file_id FROM fluxes f JOIN invoices i ON i.id = f.invoice_id WHERE f.id = ?`, fluxID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("flux %d: %w", fluxID, ErrNotFound)
	}
	return id, err
}

// fluxTx runs fn in a transaction and records the event against the flux's file.
func (j *Journal) fluxTx(ctx context.Context, fluxID int64, kind, detail string, fn func(*sql.Tx) error) error {
	return j.inTx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		fileID, err := j.fileOfFlux(ctx, tx, fluxID)
		if err != nil {
			return err
		}
		return j.event(ctx, tx, fileID, fluxID, kind, detail)
	})
}

// StartDeposit records that flux is about to be deposited: after a crash, the destination
// is checked for FinalName before anything is sent again.
func (j *Journal) StartDeposit(ctx context.Context, fluxID int64) error {
	err := j.fluxTx(ctx, fluxID, EventDepositStarted, "", func(tx *sql.Tx) error {
		_, err := j.exec(ctx, tx, `UPDATE fluxes SET state = ?, attempts = attempts + 1 WHERE id = ?`, FluxDepositing, fluxID)
		return err
	})
	if err != nil {
		return fmt.Errorf("journal: start deposit of flux %d: %w", fluxID, err)
	}
	return nil
}

// Deposited records a successful deposit and, when every flux of its invoice is deposited,
// marks the invoice DEPOSITED. With track, the platform's later answers are awaited.
func (j *Journal) Deposited(ctx context.Context, fluxID int64, receipt string, track bool) error {
	return j.deposited(ctx, fluxID, EventDeposited, receipt, track)
}

func (j *Journal) deposited(ctx context.Context, fluxID int64, kind, receipt string, track bool) error {
	err := j.fluxTx(ctx, fluxID, kind, receipt, func(tx *sql.Tx) error {
		_, err := j.exec(ctx, tx, `UPDATE fluxes SET state = ?, receipt = ?, last_error = '', next_attempt_at = NULL, deposited_at = ?, tracking = ? WHERE id = ?`,
			FluxDeposited, receipt, j.now().UTC(), track, fluxID)
		if err != nil {
			return err
		}
		_, err = j.exec(ctx, tx, `UPDATE invoices SET status = ?
			WHERE id = (SELECT invoice_id FROM fluxes WHERE id = ?)
			AND NOT EXISTS (SELECT 1 FROM fluxes f WHERE f.invoice_id = invoices.id AND f.state != ?)`,
			InvoiceDeposited, fluxID, FluxDeposited)
		return err
	})
	if err != nil {
		return fmt.Errorf("journal: record deposit of flux %d: %w", fluxID, err)
	}
	return nil
}

// DepositFailed records a failed attempt. A permanent failure takes the flux out of the
// queue; a transient one leaves it queued with the reason, not to be tried before next.
func (j *Journal) DepositFailed(ctx context.Context, fluxID int64, reason string, permanent bool, next time.Time) error {
	state := FluxQueued
	var at any
	if permanent {
		state = FluxFailed
	} else if !next.IsZero() {
		at = next.UTC()
	}
	err := j.fluxTx(ctx, fluxID, EventDepositFailed, reason, func(tx *sql.Tx) error {
		_, err := j.exec(ctx, tx, `UPDATE fluxes SET state = ?, last_error = ?, next_attempt_at = ? WHERE id = ?`, state, reason, at, fluxID)
		return err
	})
	if err != nil {
		return fmt.Errorf("journal: record failed deposit of flux %d: %w", fluxID, err)
	}
	return nil
}

// Requeue puts back in the queue, to be tried at once, the fluxes of fileID that failed or
// wait out a back-off, and those of unknown deposit outcome whose integration window is over
// (an operator's decision to send them again), every such flux when fileID is 0. It returns
// how many.
func (j *Journal) Requeue(ctx context.Context, fileID int64) (int, error) {
	where := `WHERE (state = ? OR (state = ? AND next_attempt_at IS NOT NULL) OR (state = ? AND uncertain_until <= ?))`
	args := []any{FluxFailed, FluxQueued, FluxUncertain, j.now().UTC()}
	if fileID != 0 {
		where += ` AND i.file_id = ?`
		args = append(args, fileID)
	}
	fluxes, err := j.queryFluxes(ctx, where, args...)
	if err != nil {
		return 0, err
	}
	for _, f := range fluxes {
		err := j.fluxTx(ctx, f.ID, EventRequeued, "", func(tx *sql.Tx) error {
			_, err := j.exec(ctx, tx, `UPDATE fluxes SET state = ?, next_attempt_at = NULL, reconcile_next_at = NULL WHERE id = ?`, FluxQueued, f.ID)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("journal: requeue flux %d: %w", f.ID, err)
		}
	}
	return len(fluxes), nil
}

// Tracked returns the fluxes deposited on destination whose platform has more to say.
func (j *Journal) Tracked(ctx context.Context, destination string) ([]Flux, error) {
	return j.queryFluxes(ctx, `WHERE destination = ? AND state = ? AND tracking = 1 ORDER BY fluxes.id`, destination, FluxDeposited)
}

// PlatformUpdate records what the platform said of a deposited flux, when it says something
// new, and reports whether it did. final ends the tracking; a rejection marks the invoice
// REJECTED with problem.
func (j *Journal) PlatformUpdate(ctx context.Context, fluxID int64, st PlatformStatus, final bool, problem *Problem) (bool, error) {
	changed := false
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		var old PlatformStatus
		var tracking bool
		if err := j.queryRow(ctx, tx, `SELECT platform_status, platform_message, tracking FROM fluxes WHERE id = ?`, fluxID).
			Scan(&old.Status, &old.Message, &tracking); err != nil {
			return err
		}
		if old.Status == st.Status && old.Message == st.Message && tracking == !final {
			return nil
		}
		changed = true
		var at any
		if !st.At.IsZero() {
			at = st.At.UTC()
		}
		if _, err := j.exec(ctx, tx, `UPDATE fluxes SET platform_id = CASE WHEN ? != '' THEN ? ELSE platform_id END,
			platform_status = ?, platform_label = ?, platform_message = ?, platform_at = ?, platform_of_invoice = ?, tracking = ? WHERE id = ?`,
			st.ID, st.ID, st.Status, st.Label, st.Message, at, st.OfInvoice, !final, fluxID); err != nil {
			return err
		}
		if problem != nil {
			var invID int64
			var problems string
			if err := j.queryRow(ctx, tx, `SELECT i.id, i.problems FROM invoices i JOIN fluxes f ON f.invoice_id = i.id WHERE f.id = ?`, fluxID).
				Scan(&invID, &problems); err != nil {
				return err
			}
			ps := append(decodeProblems(problems), *problem)
			if _, err := j.exec(ctx, tx, `UPDATE invoices SET status = ?, problems = ? WHERE id = ?`, InvoiceRejected, encodeProblems(ps), invID); err != nil {
				return err
			}
		}
		fileID, err := j.fileOfFlux(ctx, tx, fluxID)
		if err != nil {
			return err
		}
		return j.event(ctx, tx, fileID, fluxID, EventPlatform, st.Status+" "+st.Message)
	})
	if err != nil {
		return false, fmt.Errorf("journal: platform status of flux %d: %w", fluxID, err)
	}
	return changed, nil
}
