package journal

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache prepares each SQL text of the journal once per database handle: SQLite (modernc)
// parses and plans every Exec and Query anew, which cost a gateway about a seventh of its
// CPU. Statements are prepared lazily, and shared by every goroutine. A text first met in a
// transaction cannot be prepared for the whole pool there (that takes a connection of the
// pool, and the transaction may hold the only one, on SQLite, or every one, on PostgreSQL
// under load): it is prepared for that transaction, and for the pool once the transaction
// has ended (ended).
type stmtCache struct {
	db *sql.DB

	mu     sync.Mutex
	shared map[string]*sql.Stmt
	// local holds, for each open transaction of inTx, its statements: the shared ones
	// bound to it, and those it prepared itself. Each is closed with the transaction.
	local  map[*sql.Tx]map[string]*sql.Stmt
	closed bool
}

// maxShared bounds the statements kept for the pool: the journal's texts are about a
// hundred; a text built for a list of ids of some length is kept while there is room.
const maxShared = 500

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, shared: map[string]*sql.Stmt{}, local: map[*sql.Tx]map[string]*sql.Stmt{}}
}

// get returns q prepared for tx (nil: for use on its own), or nil when the cache does not
// keep it (closing, or full): the caller then runs q as text.
func (c *stmtCache) get(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	shared := c.shared[q]
	var local *sql.Stmt
	if tx != nil {
		local = c.local[tx][q]
	}
	c.mu.Unlock()
	switch {
	case local != nil:
		return local, nil
	case tx == nil && shared != nil:
		return shared, nil
	case tx == nil:
		return c.prepare(ctx, q)
	case shared != nil:
		// Prepared again on the transaction's connection only if it never was there.
		local = tx.StmtContext(ctx, shared)
	default:
		var err error
		if local, err = tx.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.local[tx] == nil {
		c.local[tx] = map[string]*sql.Stmt{}
	}
	c.local[tx][q] = local
	return local, nil
}

// prepare prepares q for the pool, outside any transaction, and keeps it.
func (c *stmtCache) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	if !c.keeps(q) {
		return nil, nil
	}
	// Not under the lock: the preparation may wait for a connection that a transaction
	// holds, and that transaction may need the lock to end.
	s, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.shared[q]; ok || c.closed {
		s.Close() // prepared meanwhile by another goroutine, or closing
		return prev, nil
	}
	c.shared[q] = s
	return s, nil
}

// keeps reports whether q would be kept: the cache is open and has room for it.
func (c *stmtCache) keeps(q string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closed && (c.shared[q] != nil || len(c.shared) < maxShared)
}

// ended forgets the statements of tx, which has ended and closed them, and prepares for
// the pool those it met first; it runs once the transaction has given its connection back.
func (c *stmtCache) ended(ctx context.Context, tx *sql.Tx) {
	c.mu.Lock()
	var first []string
	for q := range c.local[tx] {
		if c.shared[q] == nil {
			first = append(first, q)
		}
	}
	delete(c.local, tx)
	c.mu.Unlock()
	for _, q := range first {
		c.prepare(ctx, q) // on failure, prepared on its next use
	}
}

// close closes every shared statement; the cache prepares no more.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.shared {
		s.Close()
	}
	clear(c.shared)
	c.closed = true
}

// exec runs q in tx (nil: on its own) through the statement cache.
func (j *Journal) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	s, err := j.stmts.get(ctx, tx, q)
	switch {
	case err != nil:
		return nil, err
	case s != nil:
		return s.ExecContext(ctx, args...)
	case tx != nil:
		return tx.ExecContext(ctx, q, args...)
	}
	return j.db.ExecContext(ctx, q, args...)
}

// query runs q in tx (nil: on its own) through the statement cache.
func (j *Journal) query(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	s, err := j.stmts.get(ctx, tx, q)
	switch {
	case err != nil:
		return nil, err
	case s != nil:
		return s.QueryContext(ctx, args...)
	case tx != nil:
		return tx.QueryContext(ctx, q, args...)
	}
	return j.db.QueryContext(ctx, q, args...)
}

// eachRow calls scan for each row of rows, the result of a query (that failed with err, if
// it did), then closes them.
func eachRow(rows *sql.Rows, err error, scan func() error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// row is what queryRow returns: an *sql.Row, or the error of q's preparation.
type row interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// queryRow runs q in tx (nil: on its own) through the statement cache.
func (j *Journal) queryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) row {
	s, err := j.stmts.get(ctx, tx, q)
	switch {
	case err != nil:
		return errRow{err}
	case s != nil:
		return s.QueryRowContext(ctx, args...)
	case tx != nil:
		return tx.QueryRowContext(ctx, q, args...)
	}
	return j.db.QueryRowContext(ctx, q, args...)
}
