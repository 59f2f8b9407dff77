// Package journal is the durable state of every file, invoice and flux the gateway handles.
// It is the only place state lives: every transition is one transaction, committed before
// the side effect that follows it, so that a restart resumes from here without losing or
// repeating work.
package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// File states.
const (
	FileClaimed   = "claimed"   // recorded; being moved to processing/ or being processed
	FileProcessed = "processed" // invoices and fluxes recorded; ack and final move pending
	FileDone      = "done"      // in archive/ or error/
)

// File statuses, as the ack reports them.
const (
	StatusAccepted = "ACCEPTED"
	StatusPartial  = "PARTIAL"
	StatusRejected = "REJECTED"
)

// Invoice statuses.
const (
	InvoiceRejected  = "REJECTED"
	InvoiceQueued    = "QUEUED"
	InvoiceDeposited = "DEPOSITED"
)

// Flux states.
const (
	FluxQueued     = "queued"     // in the spool, waiting for the destination's schedule
	FluxDepositing = "depositing" // deposit started under FinalName; the remote is checked after a crash
	FluxDeposited  = "deposited"
	FluxFailed     = "failed" // permanently refused by the destination
)

// Problem is one reason an invoice or a file was rejected or warned about.
type Problem struct {
	Rule        string   `json:"rule"`
	Severity    string   `json:"severity"` // fatal or warning
	Line        int      `json:"line,omitempty"`
	Field       string   `json:"field,omitempty"`
	BT          []string `json:"bt,omitempty"`
	MappingLine int      `json:"mappingLine,omitempty"`
	FR          string   `json:"fr"`
	EN          string   `json:"en"`
}

// File is one input file.
type File struct {
	ID         int64
	Source     string
	Name       string // the name it was dropped under
	SHA256     string
	Size       int64
	State      string
	Status     string    // ACCEPTED, PARTIAL, REJECTED once processed
	StoredName string    // where it is now, relative to the source folder
	Problems   []Problem // file-level problems (unreadable, wrong encoding, …)
	Received   time.Time
	Updated    time.Time
}

// Invoice is one invoice found in a file.
type Invoice struct {
	ID        int64
	FileID    int64
	Seq       int // 1-based order in the file
	Number    string
	IssueDate string
	Status    string
	FirstLine int
	LastLine  int
	Problems  []Problem
	Fluxes    []Flux
}

// Flux is one flux file written for an invoice, to be deposited on one destination.
type Flux struct {
	ID          int64
	InvoiceID   int64
	Destination string
	Syntax      string // ubl, cii
	SpoolName   string
	FinalName   string
	SHA256      string
	State       string
	Attempts    int
	LastError   string
	Receipt     string
	DepositedAt time.Time
}

// Journal is an open journal database.
type Journal struct {
	db  *sql.DB
	now func() time.Time
}

// Open opens (creating it if needed) the SQLite journal at path and brings its schema up to
// date.
func Open(ctx context.Context, path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("journal: create folder for %s: %w", path, err)
	}
	// synchronous(FULL): a committed transition must survive a power cut, since a deposit
	// follows it.
	dsn := "file:" + filepath.ToSlash(path) +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	// One connection: SQLite serialises writers anyway, and this avoids SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	j := &Journal{db: db, now: time.Now}
	if err := j.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal: %s: %w", path, err)
	}
	return j, nil
}

// Close closes the database.
func (j *Journal) Close() error { return j.db.Close() }

// migrations are applied in order; PRAGMA user_version holds how many have been.
var migrations = []string{
	`CREATE TABLE files (
		id INTEGER PRIMARY KEY,
		source TEXT NOT NULL,
		name TEXT NOT NULL,
		sha256 TEXT NOT NULL,
		size INTEGER NOT NULL,
		state TEXT NOT NULL,
		status TEXT NOT NULL DEFAULT '',
		stored_name TEXT NOT NULL,
		problems TEXT NOT NULL DEFAULT '[]',
		received_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL
	);
	CREATE INDEX files_source_state ON files(source, state);
	CREATE INDEX files_sha ON files(source, sha256);
	CREATE TABLE invoices (
		id INTEGER PRIMARY KEY,
		file_id INTEGER NOT NULL REFERENCES files(id),
		seq INTEGER NOT NULL,
		number TEXT NOT NULL,
		issue_date TEXT NOT NULL,
		status TEXT NOT NULL,
		first_line INTEGER NOT NULL,
		last_line INTEGER NOT NULL,
		problems TEXT NOT NULL DEFAULT '[]'
	);
	CREATE INDEX invoices_file ON invoices(file_id);
	CREATE TABLE fluxes (
		id INTEGER PRIMARY KEY,
		invoice_id INTEGER NOT NULL REFERENCES invoices(id),
		destination TEXT NOT NULL,
		syntax TEXT NOT NULL,
		spool_name TEXT NOT NULL,
		final_name TEXT NOT NULL,
		sha256 TEXT NOT NULL,
		state TEXT NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		last_error TEXT NOT NULL DEFAULT '',
		receipt TEXT NOT NULL DEFAULT '',
		deposited_at TIMESTAMP
	);
	CREATE INDEX fluxes_dest_state ON fluxes(destination, state);
	CREATE UNIQUE INDEX fluxes_final ON fluxes(destination, final_name);`,
}

func (j *Journal) migrate(ctx context.Context) error {
	var version int
	if err := j.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this fluxgate knows (%d): upgrade fluxgate", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		err := j.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
	}
	return nil
}

func (j *Journal) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("journal: not found")

// ClaimFile records a file about to be moved into processing under storedName, and returns
// its id. The row comes first: a crash between it and the move is found by Pending.
func (j *Journal) ClaimFile(ctx context.Context, source, name, sha string, size int64, storedName string) (int64, error) {
	now := j.now().UTC()
	res, err := j.db.ExecContext(ctx,
		`INSERT INTO files (source, name, sha256, size, state, stored_name, received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		source, name, sha, size, FileClaimed, storedName, now, now)
	if err != nil {
		return 0, fmt.Errorf("journal: claim %s/%s: %w", source, name, err)
	}
	return res.LastInsertId()
}

// NewInvoice is an invoice to record with its fluxes.
type NewInvoice struct {
	Seq       int
	Number    string
	IssueDate string
	FirstLine int
	LastLine  int
	Problems  []Problem
	Fluxes    []Flux // Destination, Syntax, SpoolName, FinalName, SHA256
}

// RecordResult records, in one transaction, what processing a claimed file gave: its
// status, its file-level problems, and its invoices with their fluxes (queued). An invoice
// with fluxes is QUEUED, one without is REJECTED.
func (j *Journal) RecordResult(ctx context.Context, fileID int64, status string, problems []Problem, invoices []NewInvoice) error {
	return j.inTx(ctx, func(tx *sql.Tx) error {
		// A file processed again after a crash must not keep the invoices of its first try.
		if _, err := tx.ExecContext(ctx, `DELETE FROM fluxes WHERE invoice_id IN (SELECT id FROM invoices WHERE file_id = ?)`, fileID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM invoices WHERE file_id = ?`, fileID); err != nil {
			return err
		}
		for _, inv := range invoices {
			st := InvoiceRejected
			if len(inv.Fluxes) > 0 {
				st = InvoiceQueued
			}
			res, err := tx.ExecContext(ctx,
				`INSERT INTO invoices (file_id, seq, number, issue_date, status, first_line, last_line, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				fileID, inv.Seq, inv.Number, inv.IssueDate, st, inv.FirstLine, inv.LastLine, encodeProblems(inv.Problems))
			if err != nil {
				return err
			}
			invID, err := res.LastInsertId()
			if err != nil {
				return err
			}
			for _, f := range inv.Fluxes {
				_, err := tx.ExecContext(ctx,
					`INSERT INTO fluxes (invoice_id, destination, syntax, spool_name, final_name, sha256, state) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					invID, f.Destination, f.Syntax, f.SpoolName, f.FinalName, f.SHA256, FluxQueued)
				if err != nil {
					return fmt.Errorf("flux %s for %s: %w", f.FinalName, f.Destination, err)
				}
			}
		}
		_, err := tx.ExecContext(ctx,
			`UPDATE files SET state = ?, status = ?, problems = ?, updated_at = ? WHERE id = ?`,
			FileProcessed, status, encodeProblems(problems), j.now().UTC(), fileID)
		return err
	})
}

// MoveFile records that the file is about to be (or was) moved to storedName, in the given
// state.
func (j *Journal) MoveFile(ctx context.Context, fileID int64, storedName, state string) error {
	_, err := j.db.ExecContext(ctx, `UPDATE files SET stored_name = ?, state = ?, updated_at = ? WHERE id = ?`,
		storedName, state, j.now().UTC(), fileID)
	if err != nil {
		return fmt.Errorf("journal: move file %d to %s: %w", fileID, storedName, err)
	}
	return nil
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

func (j *Journal) queryFiles(ctx context.Context, where string, args ...any) ([]File, error) {
	rows, err := j.db.QueryContext(ctx,
		`SELECT id, source, name, sha256, size, state, status, stored_name, problems, received_at, updated_at FROM files `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: query files: %w", err)
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		var f File
		var problems string
		if err := rows.Scan(&f.ID, &f.Source, &f.Name, &f.SHA256, &f.Size, &f.State, &f.Status, &f.StoredName, &problems, &f.Received, &f.Updated); err != nil {
			return nil, fmt.Errorf("journal: read file: %w", err)
		}
		f.Problems = decodeProblems(problems)
		out = append(out, f)
	}
	return out, rows.Err()
}

// Invoices returns the invoices of a file in file order, each with its fluxes.
func (j *Journal) Invoices(ctx context.Context, fileID int64) ([]Invoice, error) {
	rows, err := j.db.QueryContext(ctx,
		`SELECT id, file_id, seq, number, issue_date, status, first_line, last_line, problems FROM invoices WHERE file_id = ? ORDER BY seq`, fileID)
	if err != nil {
		return nil, fmt.Errorf("journal: query invoices: %w", err)
	}
	var out []Invoice
	byID := map[int64]int{}
	for rows.Next() {
		var inv Invoice
		var problems string
		if err := rows.Scan(&inv.ID, &inv.FileID, &inv.Seq, &inv.Number, &inv.IssueDate, &inv.Status, &inv.FirstLine, &inv.LastLine, &problems); err != nil {
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
	fluxes, err := j.queryFluxes(ctx, `WHERE invoice_id IN (SELECT id FROM invoices WHERE file_id = ?) ORDER BY id`, fileID)
	if err != nil {
		return nil, err
	}
	for _, f := range fluxes {
		i := byID[f.InvoiceID]
		out[i].Fluxes = append(out[i].Fluxes, f)
	}
	return out, nil
}

// Deliverable returns the fluxes of destination still to deposit (queued, or left depositing
// by a crash), oldest first.
func (j *Journal) Deliverable(ctx context.Context, destination string) ([]Flux, error) {
	return j.queryFluxes(ctx, `WHERE destination = ? AND state IN (?, ?) ORDER BY id`, destination, FluxQueued, FluxDepositing)
}

// NameTaken reports whether a flux of another file than fileID already uses finalName on
// destination. (The file's own fluxes are replaced when it is processed again.)
func (j *Journal) NameTaken(ctx context.Context, destination, finalName string, fileID int64) (bool, error) {
	var n int
	err := j.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM fluxes f JOIN invoices i ON i.id = f.invoice_id
		WHERE f.destination = ? AND f.final_name = ? AND i.file_id != ?`, destination, finalName, fileID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("journal: look up flux name: %w", err)
	}
	return n > 0, nil
}

func (j *Journal) queryFluxes(ctx context.Context, where string, args ...any) ([]Flux, error) {
	rows, err := j.db.QueryContext(ctx,
		`SELECT id, invoice_id, destination, syntax, spool_name, final_name, sha256, state, attempts, last_error, receipt, deposited_at FROM fluxes `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: query fluxes: %w", err)
	}
	defer rows.Close()
	var out []Flux
	for rows.Next() {
		var f Flux
		var at sql.NullTime
		if err := rows.Scan(&f.ID, &f.InvoiceID, &f.Destination, &f.Syntax, &f.SpoolName, &f.FinalName, &f.SHA256, &f.State, &f.Attempts, &f.LastError, &f.Receipt, &at); err != nil {
			return nil, fmt.Errorf("journal: read flux: %w", err)
		}
		f.DepositedAt = at.Time
		out = append(out, f)
	}
	return out, rows.Err()
}

// FileOfFlux returns the id of the file a flux came from.
func (j *Journal) FileOfFlux(ctx context.Context, fluxID int64) (int64, error) {
	var id int64
	err := j.db.QueryRowContext(ctx, `SELECT i.file_id FROM fluxes f JOIN invoices i ON i.id = f.invoice_id WHERE f.id = ?`, fluxID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("flux %d: %w", fluxID, ErrNotFound)
	}
	return id, err
}

// StartDeposit records that flux is about to be deposited: after a crash, the destination
// is checked for FinalName before anything is sent again.
func (j *Journal) StartDeposit(ctx context.Context, fluxID int64) error {
	_, err := j.db.ExecContext(ctx, `UPDATE fluxes SET state = ?, attempts = attempts + 1 WHERE id = ?`, FluxDepositing, fluxID)
	if err != nil {
		return fmt.Errorf("journal: start deposit of flux %d: %w", fluxID, err)
	}
	return nil
}

// Deposited records a successful deposit and, when every flux of its invoice is deposited,
// marks the invoice DEPOSITED.
func (j *Journal) Deposited(ctx context.Context, fluxID int64, receipt string) error {
	return j.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE fluxes SET state = ?, receipt = ?, last_error = '', deposited_at = ? WHERE id = ?`,
			FluxDeposited, receipt, j.now().UTC(), fluxID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE invoices SET status = ?
			WHERE id = (SELECT invoice_id FROM fluxes WHERE id = ?)
			AND NOT EXISTS (SELECT 1 FROM fluxes f WHERE f.invoice_id = invoices.id AND f.state != ?)`,
			InvoiceDeposited, fluxID, FluxDeposited)
		return err
	})
}

// DepositFailed records a failed attempt. A permanent failure takes the flux out of the
// queue; a transient one leaves it queued with the reason, for the ack and the next try.
func (j *Journal) DepositFailed(ctx context.Context, fluxID int64, reason string, permanent bool) error {
	state := FluxQueued
	if permanent {
		state = FluxFailed
	}
	_, err := j.db.ExecContext(ctx, `UPDATE fluxes SET state = ?, last_error = ? WHERE id = ?`, state, reason, fluxID)
	if err != nil {
		return fmt.Errorf("journal: record failed deposit of flux %d: %w", fluxID, err)
	}
	return nil
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
