package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// This file holds what the operating side (status pages, JSON API, metrics, alerts) reads
// from the journal, and the record of the alerts it sent. They read the same rows as
// `fluxgate status`: there is no second model of the truth.

// OpenReader opens the journal at path for reading, with connections of its own: the
// status pages and the metrics read it beside the pipeline (SQLite's WAL lets readers and
// the writer go on together) instead of queueing on the pipeline's single connection. The
// journal must exist and be migrated (the gateway opened it first).
func OpenReader(ctx context.Context, path string) (*Journal, error) {
	dsn := "file:" + filepath.ToSlash(path) +
		"?_pragma=busy_timeout(5000)&_pragma=query_only(1)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s for reading: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	var version int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal: open %s for reading: %w", path, err)
	}
	if version != len(migrations) {
		db.Close()
		return nil, fmt.Errorf("journal: %s is at schema version %d, this fluxgate reads %d", path, version, len(migrations))
	}
	return newJournal(db, false), nil
}

// Writable reports whether a write transaction can start and be undone: the journal's
// disk is there and not read-only, and no lock holds it for long (readiness).
func (j *Journal) Writable(ctx context.Context) error {
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("journal: begin: %w", err)
	}
	defer tx.Rollback()
	// A write that changes nothing still takes the write lock.
	if _, err := tx.ExecContext(ctx, `UPDATE files SET id = id WHERE id = -1`); err != nil {
		return fmt.Errorf("journal: not writable: %w", err)
	}
	return nil
}

// SizeBytes is the size of the journal's database (its pages, not counting the WAL).
func (j *Journal) SizeBytes(ctx context.Context) (int64, error) {
	var n int64
	q := `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`
	if j.pg {
		q = `SELECT pg_database_size(current_database())`
	}
	err := j.queryRow(ctx, nil, q).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("journal: size: %w", err)
	}
	return n, nil
}

// FileFilter selects files for SearchFiles. Zero fields select everything.
type FileFilter struct {
	Source string
	Status string    // ACCEPTED, PARTIAL, REJECTED, DUPLICATE, or "processing" (not finished)
	From   time.Time // received at or after
	To     time.Time // received before
	Text   string    // in the file's name or one of its invoice numbers
	Limit  int       // default 100
	Offset int
}

// ProcessingStatus selects, in FileFilter.Status, files not finished yet.
const ProcessingStatus = "processing"

// FileStatuses are the values FileFilter.Status takes.
var FileStatuses = []string{StatusAccepted, StatusPartial, StatusRejected, StatusDuplicate, ProcessingStatus}

// SearchFiles returns the files that f selects, newest first.
func (j *Journal) SearchFiles(ctx context.Context, f FileFilter) ([]File, error) {
	var where []string
	var args []any
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, f.Source)
	}
	switch f.Status {
	case "":
	case ProcessingStatus:
		where, args = append(where, "state != ?"), append(args, FileDone)
	default:
		where, args = append(where, "status = ? AND state = ?"), append(args, f.Status, FileDone)
	}
	if !f.From.IsZero() {
		where, args = append(where, "received_at >= ?"), append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		where, args = append(where, "received_at < ?"), append(args, f.To.UTC())
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		like := "%" + likeEscaper.Replace(t) + "%"
		where = append(where, `(name LIKE ? ESCAPE '\' OR id IN (SELECT file_id FROM invoices WHERE number LIKE ? ESCAPE '\'))`)
		args = append(args, like, like)
	}
	q := ""
	if len(where) > 0 {
		q = "WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	return j.queryFiles(ctx, q+" ORDER BY id DESC LIMIT ? OFFSET ?", append(args, limit, max(f.Offset, 0))...)
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// InvoiceRow is an invoice with the file it came in.
type InvoiceRow struct {
	Invoice
	Source   string
	FileName string
	Received time.Time
}

// InvoicesByStatus returns the latest invoices with status (any when empty), with their
// fluxes, newest first.
func (j *Journal) InvoicesByStatus(ctx context.Context, status string, limit int) ([]InvoiceRow, error) {
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT i.id, i.file_id, i.seq, i.seller, i.number, i.issue_date, i.status, i.first_line, i.last_line, i.problems, f.source, f.name, f.received_at
		FROM invoices i JOIN files f ON f.id = i.file_id`
	args := []any{}
	if status != "" {
		q += ` WHERE i.status = ?`
		args = append(args, status)
	}
	rows, err := j.query(ctx, nil, q+` ORDER BY i.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("journal: query invoices: %w", err)
	}
	var out []InvoiceRow
	for rows.Next() {
		var r InvoiceRow
		var problems string
		if err := rows.Scan(&r.ID, &r.FileID, &r.Seq, &r.Seller, &r.Number, &r.IssueDate, &r.Status, &r.FirstLine, &r.LastLine, &problems,
			&r.Source, &r.FileName, &r.Received); err != nil {
			rows.Close()
			return nil, fmt.Errorf("journal: read invoice: %w", err)
		}
		r.Problems = decodeProblems(problems)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Fluxes, err = j.queryFluxes(ctx, `WHERE invoice_id = ? ORDER BY fluxes.id`, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RuleGroup is one rule that rejected invoices, across files: a mapping fault that recurs
// shows as one large group.
type RuleGroup struct {
	Rule     string
	Invoices int       // rejected invoices it was found in
	Files    int       // files those came in
	Last     time.Time // when the latest of those files was received
	Example  Problem   // as found in the latest invoice
	FileIDs  []int64   // the latest files, newest first (at most 10)
}

// RejectionsByRule groups the fatal problems of the invoices rejected in files received
// since since by rule, the most frequent first.
func (j *Journal) RejectionsByRule(ctx context.Context, since time.Time) ([]RuleGroup, error) {
	rows, err := j.query(ctx, nil, `SELECT i.id, i.file_id, f.received_at, p.value
		FROM invoices i JOIN files f ON f.id = i.file_id, json_each(i.problems) p
		WHERE i.status = ? AND f.received_at >= ? AND json_extract(p.value, '$.severity') = 'fatal'
		ORDER BY i.id DESC`, InvoiceRejected, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("journal: rejections by rule: %w", err)
	}
	defer rows.Close()
	type seen struct {
		rule string
		id   int64
	}
	byRule := map[string]*RuleGroup{}
	var order []*RuleGroup
	invoices, files := map[seen]bool{}, map[seen]bool{}
	for rows.Next() {
		var invID, fileID int64
		var at time.Time
		var raw string
		if err := rows.Scan(&invID, &fileID, &at, &raw); err != nil {
			return nil, fmt.Errorf("journal: read rejection: %w", err)
		}
		ps := decodeProblems("[" + raw + "]")
		if len(ps) != 1 {
			continue
		}
		p := ps[0]
		g := byRule[p.Rule]
		if g == nil {
			g = &RuleGroup{Rule: p.Rule, Last: at, Example: p}
			byRule[p.Rule] = g
			order = append(order, g)
		}
		// An invoice that breaks a rule on several lines counts once for it.
		if !invoices[seen{p.Rule, invID}] {
			invoices[seen{p.Rule, invID}] = true
			g.Invoices++
		}
		if !files[seen{p.Rule, fileID}] {
			files[seen{p.Rule, fileID}] = true
			g.Files++
			if len(g.FileIDs) < 10 {
				g.FileIDs = append(g.FileIDs, fileID)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]RuleGroup, 0, len(order))
	for _, g := range order {
		out = append(out, *g)
	}
	// Most frequent first; a stable sort keeps the latest first among equals.
	slices.SortStableFunc(out, func(a, b RuleGroup) int { return b.Invoices - a.Invoices })
	return out, nil
}

// Tally is a count of rows by a group (a source or a destination) and a status or state.
type Tally struct {
	Group  string
	Status string
	N      int64
}

func (j *Journal) tally(ctx context.Context, what, q string, args ...any) ([]Tally, error) {
	rows, err := j.query(ctx, nil, q, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: count %s: %w", what, err)
	}
	defer rows.Close()
	var out []Tally
	for rows.Next() {
		var t Tally
		if err := rows.Scan(&t.Group, &t.Status, &t.N); err != nil {
			return nil, fmt.Errorf("journal: count %s: %w", what, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// FileTally counts the files received since since (all when zero) by source and status;
// the files not finished yet count under ProcessingStatus.
func (j *Journal) FileTally(ctx context.Context, since time.Time) ([]Tally, error) {
	return j.tally(ctx, "files", `SELECT source, CASE WHEN state = ? THEN status ELSE ? END, COUNT(*) FROM files
		WHERE received_at >= ? GROUP BY 1, 2 ORDER BY 1, 2`, FileDone, ProcessingStatus, since.UTC())
}

// InvoiceTally counts the invoices by their file's source and their status now.
func (j *Journal) InvoiceTally(ctx context.Context) ([]Tally, error) {
	return j.tally(ctx, "invoices", `SELECT f.source, i.status, COUNT(*) FROM invoices i JOIN files f ON f.id = i.file_id GROUP BY 1, 2 ORDER BY 1, 2`)
}

// FluxTally counts the fluxes by destination and state.
func (j *Journal) FluxTally(ctx context.Context) ([]Tally, error) {
	return j.tally(ctx, "fluxes", `SELECT destination, state, COUNT(*) FROM fluxes GROUP BY 1, 2 ORDER BY 1, 2`)
}

// RetryTally counts, by destination, the deposit attempts that repeated an earlier one.
func (j *Journal) RetryTally(ctx context.Context) ([]Tally, error) {
	return j.tally(ctx, "retries", `SELECT destination, '', SUM(attempts - 1) FROM fluxes WHERE attempts > 1 GROUP BY 1 ORDER BY 1`)
}

// PlatformTally counts the statuses platforms sent back, by destination and status code.
func (j *Journal) PlatformTally(ctx context.Context) ([]Tally, error) {
	return j.tally(ctx, "platform statuses", `SELECT f.destination,
		CASE WHEN instr(e.detail, ' ') > 0 THEN substr(e.detail, 1, instr(e.detail, ' ') - 1) ELSE e.detail END, COUNT(*)
		FROM events e JOIN fluxes f ON f.id = e.flux_id WHERE e.kind = ? GROUP BY 1, 2 ORDER BY 1, 2`, EventPlatform)
}

// DestinationActivity is what the journal knows of a destination's deposits.
type DestinationActivity struct {
	LastDeposit time.Time // the latest successful deposit
	LastError   string    // the latest failure of a flux still waiting or failed
	LastErrorAt time.Time
}

// Activity returns the deposits' activity of each destination that has fluxes.
func (j *Journal) Activity(ctx context.Context) (map[string]DestinationActivity, error) {
	out := map[string]DestinationActivity{}
	rows, err := j.query(ctx, nil, `SELECT destination, MAX(deposited_at) FROM fluxes WHERE state = ? GROUP BY 1`, FluxDeposited)
	if err != nil {
		return nil, fmt.Errorf("journal: last deposits: %w", err)
	}
	for rows.Next() {
		var d string
		var at sql.NullString
		if err := rows.Scan(&d, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("journal: last deposits: %w", err)
		}
		a := out[d]
		a.LastDeposit = parseSQLiteTime(at.String)
		out[d] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = j.query(ctx, nil, `SELECT f.destination, e.detail, e.at FROM events e JOIN fluxes f ON f.id = e.flux_id
		WHERE e.id IN (SELECT MAX(e2.id) FROM events e2 JOIN fluxes f2 ON f2.id = e2.flux_id
			WHERE e2.kind = ? AND f2.state IN (?, ?) AND f2.last_error != '' GROUP BY f2.destination)`,
		EventDepositFailed, FluxQueued, FluxFailed)
	if err != nil {
		return nil, fmt.Errorf("journal: last deposit errors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, detail string
		var at time.Time
		if err := rows.Scan(&d, &detail, &at); err != nil {
			return nil, fmt.Errorf("journal: last deposit errors: %w", err)
		}
		a := out[d]
		a.LastError, a.LastErrorAt = detail, at
		out[d] = a
	}
	return out, rows.Err()
}

// parseSQLiteTime reads a time that an aggregate (MAX) returned as text.
func parseSQLiteTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999 -0700 MST", "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// FinishedFiles returns the files finished with a status in statuses, whose id is above
// afterID and that were received since since, oldest first.
func (j *Journal) FinishedFiles(ctx context.Context, afterID int64, since time.Time, statuses ...string) ([]File, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(statuses)), ", ")
	args := []any{afterID, FileDone, since.UTC()}
	for _, s := range statuses {
		args = append(args, s)
	}
	return j.queryFiles(ctx, `WHERE id > ? AND state = ? AND received_at >= ? AND status IN (`+marks+`) ORDER BY id`, args...)
}

// PlatformRejection is a platform's rejection of a deposited invoice.
type PlatformRejection struct {
	EventID     int64
	At          time.Time
	FileID      int64
	Destination string
	Invoice     string
	Detail      string // the platform's status and words
}

// PlatformRejections returns the rejections platforms sent after event afterID and since
// since, oldest first.
func (j *Journal) PlatformRejections(ctx context.Context, afterID int64, since time.Time) ([]PlatformRejection, error) {
	rows, err := j.query(ctx, nil, `SELECT e.id, e.at, e.file_id, f.destination, i.number, e.detail
		FROM events e JOIN fluxes f ON f.id = e.flux_id JOIN invoices i ON i.id = f.invoice_id
		WHERE e.kind = ? AND e.id > ? AND e.at >= ? AND i.status = ? AND f.tracking = 0 AND i.problems LIKE '%"rule":"PLATFORM-%'
		ORDER BY e.id`, EventPlatform, afterID, since.UTC(), InvoiceRejected)
	if err != nil {
		return nil, fmt.Errorf("journal: platform rejections: %w", err)
	}
	defer rows.Close()
	var out []PlatformRejection
	for rows.Next() {
		var r PlatformRejection
		if err := rows.Scan(&r.EventID, &r.At, &r.FileID, &r.Destination, &r.Invoice, &r.Detail); err != nil {
			return nil, fmt.Errorf("journal: platform rejections: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AlertRecord is an alert as the journal keeps it.
type AlertRecord struct {
	ID      int64
	At      time.Time
	Rule    string
	Key     string // the rule and its subject: alerts with the same key are one alert
	FileID  int64  // the file it concerns, or 0
	Subject string
	Message string
	Outcome string // AlertSent, AlertFailed, AlertRateLimited
	Detail  string // what each channel answered
}

// Alert outcomes.
const (
	AlertSent        = "sent"
	AlertFailed      = "failed"       // no channel took it; tried again at the next check
	AlertRateLimited = "rate-limited" // held back by the rate limit: recorded, not sent
)

// RecordAlert records an alert and what became of it.
func (j *Journal) RecordAlert(ctx context.Context, a AlertRecord) error {
	if a.At.IsZero() {
		a.At = j.now()
	}
	_, err := j.exec(ctx, nil, `INSERT INTO alerts (at, rule, key, file_id, subject, message, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.At.UTC(), a.Rule, a.Key, a.FileID, a.Subject, a.Message, a.Outcome, a.Detail)
	if err != nil {
		return fmt.Errorf("journal: record alert %s: %w", a.Key, err)
	}
	return nil
}

// LastAlert returns the latest alert recorded under key with one of outcomes (any when
// none given).
func (j *Journal) LastAlert(ctx context.Context, key string, outcomes ...string) (AlertRecord, bool, error) {
	q := `WHERE key = ?`
	args := []any{key}
	if len(outcomes) > 0 {
		q += ` AND outcome IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(outcomes)), ", ") + `)`
		for _, o := range outcomes {
			args = append(args, o)
		}
	}
	as, err := j.queryAlerts(ctx, q+` ORDER BY id DESC LIMIT 1`, args...)
	if err != nil || len(as) == 0 {
		return AlertRecord{}, false, err
	}
	return as[0], true, nil
}

// AlertsSince counts the alerts recorded since t with outcome.
func (j *Journal) AlertsSince(ctx context.Context, t time.Time, outcome string) (int, error) {
	var n int
	if err := j.queryRow(ctx, nil, `SELECT COUNT(*) FROM alerts WHERE at >= ? AND outcome = ?`, t.UTC(), outcome).Scan(&n); err != nil {
		return 0, fmt.Errorf("journal: count alerts: %w", err)
	}
	return n, nil
}

// RecentAlerts returns the latest alerts, newest first.
func (j *Journal) RecentAlerts(ctx context.Context, limit int) ([]AlertRecord, error) {
	return j.queryAlerts(ctx, `ORDER BY id DESC LIMIT ?`, limit)
}

// FileAlerts returns the alerts about a file, oldest first.
func (j *Journal) FileAlerts(ctx context.Context, fileID int64) ([]AlertRecord, error) {
	return j.queryAlerts(ctx, `WHERE file_id = ? ORDER BY id`, fileID)
}

func (j *Journal) queryAlerts(ctx context.Context, where string, args ...any) ([]AlertRecord, error) {
	rows, err := j.query(ctx, nil, `SELECT id, at, rule, key, file_id, subject, message, outcome, detail FROM alerts `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: query alerts: %w", err)
	}
	defer rows.Close()
	var out []AlertRecord
	for rows.Next() {
		var a AlertRecord
		if err := rows.Scan(&a.ID, &a.At, &a.Rule, &a.Key, &a.FileID, &a.Subject, &a.Message, &a.Outcome, &a.Detail); err != nil {
			return nil, fmt.Errorf("journal: read alert: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// LastEventID is the id of the latest event of the audit trail (0 when there is none).
func (j *Journal) LastEventID(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := j.queryRow(ctx, nil, `SELECT MAX(id) FROM events`).Scan(&id); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("journal: last event: %w", err)
	}
	return id.Int64, nil
}
