package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("journal: not found")

// Event kinds of the audit trail.
const (
	EventClaimed        = "claimed"
	EventProcessed      = "processed"
	EventMoved          = "moved"
	EventDepositStarted = "deposit-started"
	EventDeposited      = "deposited"
	EventDepositFailed  = "deposit-failed"
	EventRequeued       = "requeued"
	EventPlatform       = "platform"
)

// Event is one transition of the audit trail.
type Event struct {
	At     time.Time
	FileID int64
	FluxID int64
	Kind   string
	Detail string
}

// event appends to the audit trail and marks the file's ack stale, within the caller's
// transaction: the ack is rewritten from the journal after every transition, and a crash
// before that rewrite is caught up on start (StaleAcks).
func (j *Journal) event(ctx context.Context, tx *sql.Tx, fileID, fluxID int64, kind, detail string) error {
	return j.events(ctx, tx, []Event{{At: j.now().UTC(), FileID: fileID, FluxID: fluxID, Kind: kind, Detail: detail}})
}

// events is event for each of evs, in batches.
func (j *Journal) events(ctx context.Context, tx *sql.Tx, evs []Event) error {
	for _, part := range batches(evs) {
		args := make([]any, 0, 5*len(part))
		for _, e := range part {
			args = append(args, e.At, e.FileID, e.FluxID, e.Kind, e.Detail)
		}
		if _, err := j.exec(ctx, tx, `INSERT INTO events (at, file_id, flux_id, kind, detail) VALUES `+valueRows(len(part), 5), args...); err != nil {
			return err
		}
	}
	// Counted, not set: an ack writer that read the journal before these transitions must
	// not mark them shown (AckWritten). Files in order, so that two instances lock the rows
	// of PostgreSQL in the same order.
	stale := map[int64]int64{}
	for _, e := range evs {
		stale[e.FileID]++
	}
	for _, file := range slices.Sorted(maps.Keys(stale)) {
		if _, err := j.exec(ctx, tx, `UPDATE files SET ack_stale = ack_stale + ?, updated_at = ? WHERE id = ?`, stale[file], evs[0].At, file); err != nil {
			return err
		}
	}
	return nil
}

// ClaimFile records a file about to be moved into processing, and returns its id. The row
// comes first: a crash between it and the move is found by Pending. reprocessOf names the
// run a reprocessing repeats (0 for a dropped file).
func (j *Journal) ClaimFile(ctx context.Context, source, name, sha string, size int64, reprocessOf int64) (int64, error) {
	var id int64
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		now := j.now().UTC()
		// RETURNING, not LastInsertId: the same SQL serves PostgreSQL (postgres.go).
		if err := j.queryRow(ctx, tx,
			`INSERT INTO files (source, name, sha256, size, state, stored_name, received_at, updated_at, reprocess_of, claimed_by) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?) RETURNING id`,
			source, name, sha, size, FileClaimed, now, now, reprocessOf, j.instance).Scan(&id); err != nil {
			if isUniqueViolation(err) {
				return ErrClaimedElsewhere // cluster.go
			}
			return err
		}
		return j.event(ctx, tx, id, 0, EventClaimed, "sha256 "+sha)
	})
	if err != nil {
		return 0, fmt.Errorf("journal: claim %s/%s: %w", source, name, err)
	}
	return id, nil
}

// NewInvoice is an invoice to record with its fluxes.
type NewInvoice struct {
	Seq       int // 1-based order in the file, unique within it
	Seller    string
	Number    string
	IssueDate string
	FirstLine int
	LastLine  int
	// Status is REJECTED, QUEUED or DUPLICATE; empty means QUEUED when there are fluxes and
	// REJECTED otherwise.
	Status   string
	Problems []Problem
	Fluxes   []Flux // Destination, Syntax, SpoolName, FinalName, SHA256
	// ContentSHA256 is a digest of the invoice's content (its EN 16931 model), so that the
	// same invoice dropped again with other amounts is told apart from a plain duplicate.
	ContentSHA256 string
}

// RecordResult records, in one transaction, what processing a claimed file gave: its
// status, its file-level problems, and its invoices with their fluxes (queued); and, when
// not empty, storedName, where the file is to be moved (archive/ or error/), so that its
// move needs no transaction of its own (FileDone).
func (j *Journal) RecordResult(ctx context.Context, fileID int64, status string, problems []Problem, invoices []NewInvoice, storedName string) error {
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		if err := j.fence(ctx, tx, fileID); err != nil { // cluster.go
			return err
		}
		// A file processed again after a crash must not keep the invoices of its first try.
		if err := j.deleteInvoices(ctx, tx, fileID); err != nil {
			return err
		}
		if err := j.insertInvoices(ctx, tx, fileID, invoices, FluxQueued); err != nil {
			return err
		}
		return j.finishFile(ctx, tx, fileID, status, problems, len(invoices), storedName)
	})
	if err != nil {
		return fmt.Errorf("journal: record result of file %d: %w", fileID, err)
	}
	return nil
}

// deleteInvoices removes the invoices and fluxes recorded for a file.
func (j *Journal) deleteInvoices(ctx context.Context, tx *sql.Tx, fileID int64) error {
	if _, err := j.exec(ctx, tx, `DELETE FROM fluxes WHERE invoice_id IN (SELECT id FROM invoices WHERE file_id = ?)`, fileID); err != nil {
		return err
	}
	_, err := j.exec(ctx, tx, `DELETE FROM invoices WHERE file_id = ?`, fileID)
	return err
}

// insertInvoices records the invoices of file fileID and their fluxes, in fluxState, in batches.
func (j *Journal) insertInvoices(ctx context.Context, tx *sql.Tx, fileID int64, invoices []NewInvoice, fluxState string) error {
	ids, err := j.insertInvoiceRows(ctx, tx, fileID, invoices)
	if err != nil {
		return err
	}
	type fluxRow struct {
		invoiceID int64
		*Flux
	}
	var fluxes []fluxRow
	for i := range invoices {
		for k := range invoices[i].Fluxes {
			fluxes = append(fluxes, fluxRow{ids[invoices[i].Seq], &invoices[i].Fluxes[k]})
		}
	}
	for _, part := range batches(fluxes) {
		args := make([]any, 0, 7*len(part))
		for _, f := range part {
			args = append(args, f.invoiceID, f.Destination, f.Syntax, f.SpoolName, f.FinalName, f.SHA256, fluxState)
		}
		if _, err := j.exec(ctx, tx, `INSERT INTO fluxes (invoice_id, destination, syntax, spool_name, final_name, sha256, state) VALUES `+
			valueRows(len(part), 7), args...); err != nil {
			return fmt.Errorf("fluxes %s to %s: %w", part[0].FinalName, part[len(part)-1].FinalName, err)
		}
	}
	return nil
}

// insertInvoiceRows inserts the rows of invoices and returns their ids by Seq, which
// identifies an invoice within its file (a multi-row INSERT returns its rows in no set
// order).
func (j *Journal) insertInvoiceRows(ctx context.Context, tx *sql.Tx, fileID int64, invoices []NewInvoice) (map[int]int64, error) {
	ids := make(map[int]int64, len(invoices))
	for _, inv := range invoices {
		if _, dup := ids[inv.Seq]; dup {
			return nil, fmt.Errorf("invoice %s: seq %d given twice", inv.Number, inv.Seq)
		}
		ids[inv.Seq] = 0
	}
	for _, part := range batches(invoices) {
		args := make([]any, 0, 10*len(part))
		for _, inv := range part {
			args = append(args, fileID, inv.Seq, inv.Seller, inv.Number, inv.IssueDate, inv.status(), inv.FirstLine, inv.LastLine,
				encodeProblems(inv.Problems), inv.ContentSHA256)
		}
		rows, err := j.query(ctx, tx, `INSERT INTO invoices (file_id, seq, seller, number, issue_date, status, first_line, last_line, problems, content_sha256) VALUES `+
			valueRows(len(part), 10)+` RETURNING id, seq`, args...)
		err = eachRow(rows, err, func() error {
			var id int64
			var seq int
			if err := rows.Scan(&id, &seq); err != nil {
				return err
			}
			ids[seq] = id
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// status is the invoice's status as recorded: Status, or else QUEUED when it has fluxes
// and REJECTED when it has none.
func (inv NewInvoice) status() string {
	switch {
	case inv.Status != "":
		return inv.Status
	case len(inv.Fluxes) > 0:
		return InvoiceQueued
	}
	return InvoiceRejected
}

// finishFile records a file processed, with its status, its file-level problems and the
// number of its invoices.
func (j *Journal) finishFile(ctx context.Context, tx *sql.Tx, fileID int64, status string, problems []Problem, invoices int, storedName string) error {
	if _, err := j.exec(ctx, tx, `UPDATE files SET state = ?, status = ?, problems = ?, stored_name = CASE WHEN ? = '' THEN stored_name ELSE ? END WHERE id = ?`,
		FileProcessed, status, encodeProblems(problems), storedName, storedName, fileID); err != nil {
		return err
	}
	return j.event(ctx, tx, fileID, 0, EventProcessed, fmt.Sprintf("%s, %d invoice(s)", status, invoices))
}

// MoveFile records that the file is about to be (or was) moved to storedName, in the given
// state.
func (j *Journal) MoveFile(ctx context.Context, fileID int64, storedName, state string) error {
	err := j.inTx(ctx, func(tx *sql.Tx) error { return j.moveFile(ctx, tx, fileID, storedName, state) })
	if err != nil {
		return fmt.Errorf("journal: move file %d to %s: %w", fileID, storedName, err)
	}
	return nil
}

// moveFile is MoveFile within tx.
func (j *Journal) moveFile(ctx context.Context, tx *sql.Tx, fileID int64, storedName, state string) error {
	if err := j.fence(ctx, tx, fileID); err != nil { // cluster.go
		return err
	}
	if _, err := j.exec(ctx, tx, `UPDATE files SET stored_name = ?, state = ? WHERE id = ?`, storedName, state, fileID); err != nil {
		return err
	}
	return j.event(ctx, tx, fileID, 0, EventMoved, state+" "+storedName)
}

// AcceptedInvoiceContent is AcceptedInvoice with the digest of the prior invoice's content
// ("" for an invoice recorded before digests were kept). The invoices of a file still
// claimed do not count: they are the first chunks of a big file an interrupted run left
// (chunks.go), recorded again or dropped when that file is processed again.
func (j *Journal) AcceptedInvoiceContent(ctx context.Context, seller, number, issueDate string, except int64) (PriorInvoice, string, bool, error) {
	var p PriorInvoice
	var content string
	err := j.queryRow(ctx, nil, `SELECT f.id, f.name, f.received_at, i.status, i.content_sha256 FROM invoices i JOIN files f ON f.id = i.file_id
		WHERE i.seller = ? AND i.number = ? AND i.issue_date = ? AND i.file_id != ? AND i.status IN (?, ?) AND f.state != ?
		ORDER BY i.id LIMIT 1`, seller, number, issueDate, except, InvoiceQueued, InvoiceDeposited, FileClaimed).
		Scan(&p.FileID, &p.FileName, &p.Received, &p.Status, &content)
	if errors.Is(err, sql.ErrNoRows) {
		return p, "", false, nil
	}
	if err != nil {
		return p, "", false, fmt.Errorf("journal: look up invoice %s: %w", number, err)
	}
	return p, content, true, nil
}

// StaleAcksBefore returns at most limit files whose ack has lagged since before cutoff:
// among several instances, those whose writer died (it would have rewritten them at once)
// and that no start of it will catch up.
func (j *Journal) StaleAcksBefore(ctx context.Context, cutoff time.Time, limit int) ([]int64, error) {
	ids, err := j.queryIDs(ctx, `SELECT id FROM files WHERE ack_stale <> 0 AND updated_at < ? ORDER BY id LIMIT ?`, cutoff.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("journal: stale acks: %w", err)
	}
	return ids, nil
}

// AckLag returns how many transitions of fileID its ack has not shown yet (0: none). An ack
// writer reads it before the journal's view, and hands it to AckWritten.
func (j *Journal) AckLag(ctx context.Context, fileID int64) (int64, error) {
	var lag int64
	if err := j.queryRow(ctx, nil, `SELECT ack_stale FROM files WHERE id = ?`, fileID).Scan(&lag); err != nil {
		return 0, fmt.Errorf("journal: ack lag of file %d: %w", fileID, err)
	}
	return lag, nil
}

// AckWritten records that the ack of fileID now shows the journal's state as it was when
// AckLag returned lag. A transition since (by another instance or goroutine, which does
// not take the ack lock) keeps the ack stale: clearing it would lose that transition if
// its own rewrite never comes (a kill), and no start would catch it up.
func (j *Journal) AckWritten(ctx context.Context, fileID, lag int64) error {
	_, err := j.exec(ctx, nil, `UPDATE files SET ack_stale = 0 WHERE id = ? AND ack_stale = ?`, fileID, lag)
	return err
}

// AcksWritten is AckWritten for the acks of several files (file id: lag), in one
// transaction.
func (j *Journal) AcksWritten(ctx context.Context, lags map[int64]int64) error {
	if len(lags) == 0 {
		return nil
	}
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range slices.Sorted(maps.Keys(lags)) {
			if _, err := j.exec(ctx, tx, `UPDATE files SET ack_stale = 0 WHERE id = ? AND ack_stale = ?`, id, lags[id]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("journal: record %d acks written: %w", len(lags), err)
	}
	return nil
}

// FileDone records file fileID moved to storedName, done, and, when lag is not negative,
// its ack written as AckWritten does, the ack showing the move: one transaction where
// MoveFile then AckWritten took two. The move's own transition is counted in the lag
// cleared, since the ack was rendered with the file done (Gateway.finish).
func (j *Journal) FileDone(ctx context.Context, fileID int64, storedName string, lag int64) error {
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		if err := j.moveFile(ctx, tx, fileID, storedName, FileDone); err != nil {
			return err
		}
		if lag < 0 {
			return nil
		}
		_, err := j.exec(ctx, tx, `UPDATE files SET ack_stale = 0 WHERE id = ? AND ack_stale = ?`, fileID, lag+1)
		return err
	})
	if err != nil {
		return fmt.Errorf("journal: move file %d to %s: %w", fileID, storedName, err)
	}
	return nil
}

// EventResumeFailed and EventAbandoned record a failed attempt to finish a file, and the
// gateway giving up on it.
const (
	EventResumeFailed = "resume-failed"
	EventAbandoned    = "abandoned"
)

// ResumeFailed counts one more failed attempt to finish file id, with its reason, and
// returns how many there were: a file that keeps failing ends rejected instead of being
// tried forever.
func (j *Journal) ResumeFailed(ctx context.Context, id int64, reason string) (int, error) {
	var n int
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		if err := j.fence(ctx, tx, id); err != nil { // cluster.go
			return err
		}
		if err := j.queryRow(ctx, tx, `UPDATE files SET resume_failures = resume_failures + 1 WHERE id = ? RETURNING resume_failures`, id).Scan(&n); err != nil {
			return err
		}
		_, err := j.exec(ctx, tx, `INSERT INTO events (at, file_id, flux_id, kind, detail) VALUES (?, ?, 0, ?, ?)`,
			j.now().UTC(), id, EventResumeFailed, reason)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("journal: count a failure of file %d: %w", id, err)
	}
	return n, nil
}

// Abandon records that the gateway gives up on moving file id: it stays at storedName
// (relative to its source folder), done, with p added to its problems; a file that was not
// processed yet is REJECTED.
func (j *Journal) Abandon(ctx context.Context, id int64, storedName string, p Problem) error {
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		if err := j.fence(ctx, tx, id); err != nil { // cluster.go
			return err
		}
		var problems, status string
		if err := j.queryRow(ctx, tx, `SELECT problems, status FROM files WHERE id = ?`, id).Scan(&problems, &status); err != nil {
			return err
		}
		if status == "" {
			status = StatusRejected
		}
		ps := append(decodeProblems(problems), p)
		if _, err := j.exec(ctx, tx, `UPDATE files SET state = ?, status = ?, stored_name = ?, problems = ? WHERE id = ?`,
			FileDone, status, storedName, encodeProblems(ps), id); err != nil {
			return err
		}
		return j.event(ctx, tx, id, 0, EventAbandoned, storedName)
	})
	if err != nil {
		return fmt.Errorf("journal: abandon file %d: %w", id, err)
	}
	return nil
}

// UnfinishedClaim returns the latest file of source dropped as name with digest sha that
// the gateway has not finished (its claim did not get through) or abandoned where it was
// dropped, so that a file seen again is resumed, or left alone, rather than claimed anew.
func (j *Journal) UnfinishedClaim(ctx context.Context, source, name, sha string) (File, bool, error) {
	files, err := j.queryFiles(ctx, `WHERE source = ? AND name = ? AND sha256 = ? AND (state != ? OR stored_name = name) ORDER BY id DESC LIMIT 1`,
		source, name, sha, FileDone)
	if err != nil || len(files) == 0 {
		return File{}, false, err
	}
	return files[0], true, nil
}

// StaleAcks returns the files whose ack lags behind the journal (a crash between a
// transition and the ack's rewrite).
func (j *Journal) StaleAcks(ctx context.Context) ([]int64, error) {
	ids, err := j.queryIDs(ctx, `SELECT id FROM files WHERE ack_stale <> 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("journal: stale acks: %w", err)
	}
	return ids, nil
}

// queryIDs returns the ids q selects.
func (j *Journal) queryIDs(ctx context.Context, q string, args ...any) ([]int64, error) {
	var ids []int64
	rows, err := j.query(ctx, nil, q, args...)
	err = eachRow(rows, err, func() error {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

// File returns one file by id.
func (j *Journal) File(ctx context.Context, id int64) (File, error) {
	files, err := j.queryFiles(ctx, `WHERE id = ?`, id)
	if err != nil {
		return File{}, err
	}
	if len(files) == 0 {
		return File{}, fmt.Errorf("file %d: %w", id, ErrNotFound)
	}
	return files[0], nil
}

// Pending returns the files of source that a previous run left claimed or processed, oldest
// first, so that the gateway can finish them.
func (j *Journal) Pending(ctx context.Context, source string) ([]File, error) {
	return j.queryFiles(ctx, `WHERE source = ? AND state != ? ORDER BY id`, source, FileDone)
}

// Files returns the files received since t, newest first.
func (j *Journal) Files(ctx context.Context, since time.Time) ([]File, error) {
	return j.queryFiles(ctx, `WHERE received_at >= ? ORDER BY id DESC`, since.UTC())
}

// Superseded reports whether a later file was dropped in source under the same name as
// file id.
func (j *Journal) Superseded(ctx context.Context, source, name string, id int64) (bool, error) {
	var n int
	err := j.queryRow(ctx, nil, `SELECT COUNT(*) FROM files WHERE source = ? AND name = ? AND id > ?`, source, name, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("journal: look up later files named %s: %w", name, err)
	}
	return n > 0, nil
}

// Accepted returns the latest file of source with the digest sha whose invoices were
// accepted (ACCEPTED or PARTIAL), other than the file except.
func (j *Journal) Accepted(ctx context.Context, source, sha string, except int64) (File, bool, error) {
	files, err := j.queryFiles(ctx, `WHERE source = ? AND sha256 = ? AND id != ? AND status IN (?, ?) ORDER BY id DESC LIMIT 1`,
		source, sha, except, StatusAccepted, StatusPartial)
	if err != nil || len(files) == 0 {
		return File{}, false, err
	}
	return files[0], true, nil
}

func (j *Journal) queryFiles(ctx context.Context, where string, args ...any) ([]File, error) {
	rows, err := j.query(ctx, nil,
		`SELECT id, source, name, sha256, size, state, status, stored_name, problems, received_at, updated_at, reprocess_of FROM files `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: query files: %w", err)
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		var f File
		var problems string
		if err := rows.Scan(&f.ID, &f.Source, &f.Name, &f.SHA256, &f.Size, &f.State, &f.Status, &f.StoredName, &problems, &f.Received, &f.Updated, &f.ReprocessOf); err != nil {
			return nil, fmt.Errorf("journal: read file: %w", err)
		}
		f.Problems = decodeProblems(problems)
		out = append(out, f)
	}
	return out, rows.Err()
}

// Events returns the audit trail of a file, oldest first.
func (j *Journal) Events(ctx context.Context, fileID int64) ([]Event, error) {
	return j.queryEvents(ctx, `WHERE file_id = ? ORDER BY id`, fileID)
}

// FirstEvents is the start of a file's audit trail, at most limit events, with how many it
// holds in all: a file of many invoices has a few events for each of their fluxes.
func (j *Journal) FirstEvents(ctx context.Context, fileID int64, limit int) ([]Event, int, error) {
	evs, err := j.queryEvents(ctx, `WHERE file_id = ? ORDER BY id LIMIT ?`, fileID, limit)
	if err != nil || len(evs) < limit {
		return evs, len(evs), err
	}
	var n int
	if err := j.queryRow(ctx, nil, `SELECT COUNT(*) FROM events WHERE file_id = ?`, fileID).Scan(&n); err != nil {
		return nil, 0, fmt.Errorf("journal: count events: %w", err)
	}
	return evs, n, nil
}

func (j *Journal) queryEvents(ctx context.Context, where string, args ...any) ([]Event, error) {
	rows, err := j.query(ctx, nil, `SELECT at, file_id, flux_id, kind, detail FROM events `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.FileID, &e.FluxID, &e.Kind, &e.Detail); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func encodeProblems(ps []Problem) string {
	if len(ps) == 0 {
		return "[]"
	}
	b, err := json.Marshal(ps)
	if err != nil { // cannot happen: Problem holds only strings, ints and slices of them
		panic(err)
	}
	return string(b)
}

func decodeProblems(s string) []Problem {
	var ps []Problem
	if err := json.Unmarshal([]byte(s), &ps); err != nil {
		return []Problem{{Rule: "FG-JOURNAL", Severity: "fatal", FR: "problèmes illisibles dans le journal", EN: "unreadable problems in the journal"}}
	}
	return ps
}
