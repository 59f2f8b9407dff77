// Package journal is the durable state of every file, invoice and flux the gateway handles.
// It is the only place state lives: every transition is one transaction, committed before
// the side effect that follows it, so that a restart resumes from here without losing or
// repeating work.
package journal

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	StatusAccepted  = "ACCEPTED"
	StatusPartial   = "PARTIAL"
	StatusRejected  = "REJECTED"
	StatusDuplicate = "DUPLICATE" // the same bytes were accepted before: nothing deposited again
)

// Invoice statuses.
const (
	InvoiceRejected  = "REJECTED"
	InvoiceQueued    = "QUEUED"
	InvoiceDeposited = "DEPOSITED"
	InvoiceDuplicate = "DUPLICATE" // accepted before from another file: not deposited again
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
	// ReprocessOf is the id of the run this one reprocesses (0 for a dropped file).
	ReprocessOf int64
}

// Invoice is one invoice found in a file.
type Invoice struct {
	ID        int64
	FileID    int64
	Seq       int    // 1-based order in the file
	Seller    string // the seller's identifier, part of the invoice's identity
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
	Invoice     string // the invoice's number
	FileID      int64  // the file the invoice came in
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
	NextAttempt time.Time // after a transient failure: not before this
	Tracking    bool      // deposited on a platform that has more to say
	Platform    PlatformStatus
	Uncertain   Uncertainty // a deposit whose outcome was unknown, and its reconciliation
}

// PlatformStatus is the latest a platform said of a deposited flux's invoice.
type PlatformStatus struct {
	ID      string // the platform's id of the invoice
	Status  string // its code: IN_INTEGRE, MISE_EN_PAIEMENT, 210, …
	Label   string // in words
	Message string // the platform's own words, for a rejection or a suspension
	At      time.Time
	// OfInvoice says the status was given for the invoice itself, not for its deposit.
	OfInvoice bool
}

// Journal is an open journal database.
type Journal struct {
	db    *sql.DB
	stmts *stmtCache
	now   func() time.Time
	pg    bool // PostgreSQL (postgres.go), shared by several instances; SQLite otherwise
	// instance is this gateway's id among several (cluster.go); "" for a lone one.
	instance   string
	staleAfter time.Duration // 0: StaleAfter
	// group gathers concurrent transactions into one commit (group.go); nil: each its own.
	group *groupCommit
	// ackLocks makes the writers of one file's ack take turns in this process (LockAck).
	ackLocks keyedLocks
}

// sqlitePragmas set up each connection of the pipeline's SQLite journal:
//
//   - journal_mode(WAL): a commit appends its pages to the WAL and syncs that one file, and
//     the status pages (OpenReader) read beside the writer instead of waiting for it.
//   - synchronous(FULL): in WAL mode, the WAL is synced at every commit, so a transition is
//     durable when its commit returns, before the side effect that follows it (a move, a
//     deposit). NORMAL syncs only at checkpoints: a power cut could undo a committed
//     transition whose side effect was made, and a flux deposited would be sent again.
//   - busy_timeout(10000): another process on the journal (fluxgate status, a gateway
//     starting and migrating) is waited for, not failed on.
//   - foreign_keys(1): a flux without its invoice, an invoice without its file, is refused.
//
// Left at their defaults, since the benchmarks (bench_test.go) showed them to buy nothing:
// cache_size (2 MB of pages; 16 MB changed neither RecordResult of 5,000 invoices nor
// LeaseDeliverable of 10,000 fluxes), temp_store (temporary b-trees stay in that cache
// unless large) and mmap_size (reads are not the cost, and an I/O error on a mapped file is
// a SIGBUS instead of an error).
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"

// Open opens (creating it if needed) the SQLite journal at path and brings its schema up to
// date.
func Open(ctx context.Context, path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("journal: create folder for %s: %w", path, err)
	}
	dsn := "file:" + filepath.ToSlash(path) + "?" + sqlitePragmas
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	// One connection: SQLite serialises writers anyway, and this avoids SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	j := newJournal(db, false)
	j.group = &groupCommit{}
	if err := j.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal: %s: %w", path, err)
	}
	return j, nil
}

func newJournal(db *sql.DB, pg bool) *Journal {
	return &Journal{db: db, stmts: newStmtCache(db), now: time.Now, pg: pg}
}

// Close closes the prepared statements and the database.
func (j *Journal) Close() error {
	j.stmts.close()
	return j.db.Close()
}

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
	// 2: idempotence by invoice key, retry back-off, acks kept in step with the journal,
	// and an audit trail of every transition.
	`ALTER TABLE invoices ADD COLUMN seller TEXT NOT NULL DEFAULT '';
	CREATE INDEX invoices_key ON invoices(seller, number, issue_date);
	ALTER TABLE fluxes ADD COLUMN next_attempt_at TIMESTAMP;
	ALTER TABLE files ADD COLUMN ack_stale INTEGER NOT NULL DEFAULT 1;
	ALTER TABLE files ADD COLUMN reprocess_of INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE events (
		id INTEGER PRIMARY KEY,
		at TIMESTAMP NOT NULL,
		file_id INTEGER NOT NULL,
		flux_id INTEGER NOT NULL DEFAULT 0,
		kind TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX events_file ON events(file_id);`,
	// 3: what platforms answer after a deposit (Chorus Pro CR and statuses, PA lifecycle).
	`ALTER TABLE fluxes ADD COLUMN tracking INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE fluxes ADD COLUMN platform_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE fluxes ADD COLUMN platform_status TEXT NOT NULL DEFAULT '';
	ALTER TABLE fluxes ADD COLUMN platform_label TEXT NOT NULL DEFAULT '';
	ALTER TABLE fluxes ADD COLUMN platform_message TEXT NOT NULL DEFAULT '';
	ALTER TABLE fluxes ADD COLUMN platform_at TIMESTAMP;
	CREATE INDEX fluxes_tracking ON fluxes(destination, tracking);`,
	// 4: the alerts sent to people (or held back), for their dedupe and rate limit across
	// restarts, and for the status pages (queries_http.go).
	`CREATE TABLE alerts (
		id INTEGER PRIMARY KEY,
		at TIMESTAMP NOT NULL,
		rule TEXT NOT NULL,
		key TEXT NOT NULL,
		file_id INTEGER NOT NULL DEFAULT 0,
		subject TEXT NOT NULL,
		message TEXT NOT NULL,
		outcome TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX alerts_key ON alerts(key, id);
	CREATE INDEX alerts_at ON alerts(at);`,
	// 5: why a destination's queued fluxes wait as a whole (its breaker's pause, a
	// platform's Retry-After behind one flux's retry), for acks and status; and when the
	// platform was last asked about each tracked flux, so that tracking asks the least
	// recently asked first.
	`CREATE TABLE destinations (
		name TEXT PRIMARY KEY,
		paused_until TIMESTAMP,
		pause_reason TEXT NOT NULL DEFAULT '',
		held_until TIMESTAMP,
		held_by TEXT NOT NULL DEFAULT '',
		held_reason TEXT NOT NULL DEFAULT '',
		updated_at TIMESTAMP NOT NULL
	);
	ALTER TABLE fluxes ADD COLUMN tracked_at TIMESTAMP;`,
	// 6: deposits whose outcome is unknown (a platform's answer lost, a crash mid-call),
	// never sent again blindly: since when, until when the platform's integration window
	// runs, each time the platform was asked whether it holds the flux, and the re-sends
	// made after a window with no trace. And whether a flux's platform status was given
	// for its invoice itself or for the deposit that carried it (Chorus Pro's IN_RECU,
	// IN_EN_COURS_TRAITEMENT_CPP…): a later state of the deposit replaces the deposit's,
	// never the invoice's own; statuses recorded before count as the invoice's, as they did.
	`ALTER TABLE fluxes ADD COLUMN uncertain_since TIMESTAMP;
	ALTER TABLE fluxes ADD COLUMN uncertain_until TIMESTAMP;
	ALTER TABLE fluxes ADD COLUMN reconcile_checks INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE fluxes ADD COLUMN reconcile_checked_at TIMESTAMP;
	ALTER TABLE fluxes ADD COLUMN reconcile_next_at TIMESTAMP;
	ALTER TABLE fluxes ADD COLUMN reconcile_error TEXT NOT NULL DEFAULT '';
	ALTER TABLE fluxes ADD COLUMN resends INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE fluxes ADD COLUMN resent_at TIMESTAMP;
	ALTER TABLE fluxes ADD COLUMN platform_of_invoice INTEGER NOT NULL DEFAULT 0;
	UPDATE fluxes SET platform_of_invoice = 1 WHERE platform_status != '';`,
	// 7: failed attempts to finish a file while its folder answered, so that a file that
	// keeps failing ends rejected (or left where it is) instead of being tried forever.
	`ALTER TABLE files ADD COLUMN resume_failures INTEGER NOT NULL DEFAULT 0;`,
	// 8: a digest of each invoice's content (its EN 16931 model), so that an invoice dropped
	// again with other amounts is told apart from a plain duplicate.
	`ALTER TABLE invoices ADD COLUMN content_sha256 TEXT NOT NULL DEFAULT '';`,
	// 9: several instances on one PostgreSQL journal (cluster.go): which instance holds a
	// flux for its deposit and until when (a dead one's lease runs out, then another takes
	// the flux over), which instance claimed a file (a live one's claim is never resumed by
	// another), and each instance's heartbeat. On SQLite, one instance: the same columns,
	// always its own.
	`ALTER TABLE fluxes ADD COLUMN leased_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE fluxes ADD COLUMN lease_until TIMESTAMP;
	ALTER TABLE files ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
	CREATE TABLE instances (
		id TEXT PRIMARY KEY,
		host TEXT NOT NULL,
		pid INTEGER NOT NULL,
		version TEXT NOT NULL,
		started_at TIMESTAMP NOT NULL,
		seen_at TIMESTAMP NOT NULL,
		stopped_at TIMESTAMP,
		scheduler INTEGER NOT NULL DEFAULT 0
	);`,
	// 10: one claim at a time of a dropped file among several instances: two that see it
	// at once both insert its row, one is refused (ErrClaimedElsewhere). Rows of a lone
	// instance have no claimed_by, and are not concerned.
	`CREATE UNIQUE INDEX files_claiming ON files(source, name) WHERE state = 'claimed' AND claimed_by != '' AND reprocess_of = 0;`,
	// 11: the fluxes of an invoice found by its id: each deposit recorded asks whether its
	// invoice has a flux not deposited yet, which scanned every flux of the journal (a
	// 5,000-invoice export spent a third of its time there).
	`CREATE INDEX fluxes_invoice ON fluxes(invoice_id);`,
	// 12: the files of a source found by their name: each ack written asks whether a later
	// file came under the same name (Superseded), which read every file of the source (at
	// 100,000 files, 50 ms of CPU per ack: a flood of files was quadratic).
	`CREATE INDEX files_name ON files(source, name);`,
}

func (j *Journal) migrate(ctx context.Context) error {
	// Each step takes the write lock before it reads the version (BEGIN IMMEDIATE): another
	// process opening the journal at the same moment (`fluxgate status` beside a starting
	// gateway) waits for it, then finds the step done, instead of applying it twice.
	conn, err := j.db.Conn(ctx)
	// A new database turned to WAL by another process at this very moment answers busy at
	// once, whatever busy_timeout says: wait a little and try again.
	for try := 0; err != nil && strings.Contains(err.Error(), "SQLITE_BUSY") && try < 100; try++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		conn, err = j.db.Conn(ctx)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	for {
		if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
		var version int
		err := conn.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version)
		switch {
		case err != nil:
			err = fmt.Errorf("read schema version: %w", err)
		case version > len(migrations):
			err = fmt.Errorf("schema version %d is newer than this fluxgate knows (%d): upgrade fluxgate", version, len(migrations))
		case version == len(migrations):
			_, err = conn.ExecContext(ctx, `COMMIT`)
			return err
		default:
			if _, err = conn.ExecContext(ctx, migrations[version]); err == nil {
				_, err = conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, version+1))
			}
			if err == nil {
				_, err = conn.ExecContext(ctx, `COMMIT`)
			}
			if err != nil {
				err = fmt.Errorf("migration %d: %w", version+1, err)
			}
		}
		if err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
			return err
		}
	}
}

// inTx runs fn in a transaction, committed when inTx returns nil; on SQLite, with those
// that other goroutines ask for at the same moment (group.go).
func (j *Journal) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if j.group != nil {
		return j.group.do(ctx, fn, j.runGroup)
	}
	return j.runTx(ctx, fn)
}

// runTx runs fn in a transaction of its own.
func (j *Journal) runTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	// Run once the transaction has ended and given its connection back (stmts.go).
	defer j.stmts.ended(ctx, tx)
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
