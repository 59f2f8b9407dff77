package journal

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// The journal's SQL is written once, with SQLite's `?` placeholders and in the subset both
// databases share (RETURNING id, ON CONFLICT … DO UPDATE, no date functions). On
// PostgreSQL a thin driver rewrites the placeholders to $n; the migrations' column types are
// translated (pgMigration). So SQL added later, by anyone, runs on both, and the journal's
// tests, which run against both drivers, say so when it does not.

// Drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// migrationLockKey is the PostgreSQL advisory lock taken around migrations, so that
// instances starting together migrate once ("flux" in ASCII).
const migrationLockKey = 0x666c7578

// ConnectError says that the PostgreSQL journal could not be reached or logged into: the
// database is down, the DSN is wrong, or the network is.
type ConnectError struct{ Err error }

func (e *ConnectError) Error() string {
	return fmt.Sprintf("the PostgreSQL journal cannot be reached (%v): check that the database runs and that the DSN names it", e.Err)
}
func (e *ConnectError) Unwrap() error { return e.Err }

// NewerSchemaError says that the journal was migrated by a newer fluxgate.
type NewerSchemaError struct{ Version, Known int }

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("schema version %d is newer than this fluxgate knows (%d): upgrade fluxgate", e.Version, e.Known)
}

// OpenPostgres opens the PostgreSQL journal that dsn names (a URL or key=value DSN; TLS as
// it says) and brings its schema up to date under an advisory lock. The DSN is never
// logged nor put in an error: it may hold a password.
func OpenPostgres(ctx context.Context, dsn string) (*Journal, error) {
	db, err := openPG(dsn)
	if err != nil {
		return nil, err
	}
	// A bounded first contact: an unreachable database is said at once, not after minutes.
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	err = db.PingContext(pctx)
	cancel()
	if err != nil {
		db.Close()
		return nil, &ConnectError{Err: scrub(err)}
	}
	j := newJournal(db, true)
	if err := j.migratePG(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	return j, nil
}

func openPG(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN: say only that it is not one.
		return nil, errors.New("the PostgreSQL DSN cannot be read: give a URL (postgres://user@host:5432/db?sslmode=verify-full) or key=value pairs")
	}
	db := sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)})
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// scrub keeps a connection error's cause without the parts that may quote the DSN.
func scrub(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s (SQLSTATE %s)", pe.Message, pe.Code)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		return ce.Unwrap()
	}
	return err
}

func (j *Journal) migratePG(ctx context.Context) error {
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return &ConnectError{Err: scrub(err)}
	}
	defer tx.Rollback()
	// Held to the end of the transaction; DDL is transactional on PostgreSQL, so a crash
	// mid-way leaves the previous version whole.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, migrationLockKey); err != nil {
		return fmt.Errorf("lock for migration: %w", scrub(err))
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", scrub(err))
	}
	var version int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`)
	}
	if err != nil {
		return fmt.Errorf("read schema version: %w", scrub(err))
	}
	if version > len(migrations) {
		return &NewerSchemaError{Version: version, Known: len(migrations)}
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, pgMigration(v)); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, scrub(err))
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations)); err != nil {
		return fmt.Errorf("write schema version: %w", scrub(err))
	}
	return tx.Commit()
}

// pgMigrations holds the PostgreSQL text of a migration (by index) where translating its
// SQLite text is not enough. None is needed yet.
var pgMigrations = map[int]string{}

var (
	reRowID     = regexp.MustCompile(`(?i)\bINTEGER PRIMARY KEY\b`)
	reInteger   = regexp.MustCompile(`(?i)\bINTEGER\b`)
	reTimestamp = regexp.MustCompile(`(?i)\bTIMESTAMP\b`)
)

// pgMigration is migration v for PostgreSQL: SQLite's rowid keys become identity columns,
// its integers 64-bit, its timestamps timestamptz.
func pgMigration(v int) string {
	if s, ok := pgMigrations[v]; ok {
		return s
	}
	s := reRowID.ReplaceAllString(migrations[v], "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
	s = reInteger.ReplaceAllString(s, "BIGINT")
	return reTimestamp.ReplaceAllString(s, "TIMESTAMPTZ")
}

// schemaVersion reads the journal's schema version.
func (j *Journal) schemaVersion(ctx context.Context) (int, error) {
	var v int
	var err error
	if j.pg {
		err = j.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	} else {
		err = j.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v)
	}
	return v, err
}

// Driver is the journal's database: DriverSQLite or DriverPostgres.
func (j *Journal) Driver() string {
	if j.pg {
		return DriverPostgres
	}
	return DriverSQLite
}

// rebind turns `?` placeholders into PostgreSQL's $1, $2, …, leaving quoted text alone.
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// rebindConnector hands out pgx connections that rebind the journal's SQL.
type rebindConnector struct{ driver.Connector }

func (c rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("journal: unexpected pgx connection %T", conn)
	}
	return &rebindConn{sc}, nil
}

// rebindConn is a pgx connection (every optional interface of it promoted) whose queries
// are rebound first.
type rebindConn struct{ *stdlib.Conn }

func (c *rebindConn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}

func (c *rebindConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	s, err := c.Conn.PrepareContext(ctx, rebind(q))
	if err != nil {
		return nil, err
	}
	ps, ok := s.(*stdlib.Stmt)
	if !ok {
		s.Close()
		return nil, fmt.Errorf("journal: unexpected pgx statement %T", s)
	}
	return intBoolStmt{ps}, nil
}

func (c *rebindConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(q), intBools(args))
}

func (c *rebindConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(q), intBools(args))
}

// intBoolStmt is a prepared pgx statement (the statement cache's, stmts.go) that passes
// booleans as rebindConn does.
type intBoolStmt struct{ *stdlib.Stmt }

func (s intBoolStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.Stmt.ExecContext(ctx, intBools(args))
}

func (s intBoolStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.Stmt.QueryContext(ctx, intBools(args))
}

// intBools passes Go booleans as 0 and 1: the journal's flags are integer columns, as
// SQLite stores them.
func intBools(args []driver.NamedValue) []driver.NamedValue {
	for i, a := range args {
		if b, ok := a.Value.(bool); ok {
			args[i].Value = int64(0)
			if b {
				args[i].Value = int64(1)
			}
		}
	}
	return args
}
