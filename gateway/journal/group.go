package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// groupCommit gathers the transactions that goroutines ask for at the same moment into one
// SQLite transaction, and so into one sync of the WAL: SQLite runs one writer at a time
// and syncs at each commit, so workers that each record a file used to wait for each
// other's sync. The caller that finds no transaction running leads: it runs what is queued
// (up to maxGroup), each in its own savepoint, commits once, and hands the lead to the next
// one queued meanwhile, which takes everything that queued while the sync ran.
//
// Each caller's inTx still returns only once its work is committed (or failed): a failed
// function is rolled back to its savepoint alone, and a failed commit fails every function
// of the group, none of whose changes were then made. PostgreSQL is left alone: its
// connections write concurrently and it groups its own commits.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*txRequest
	running bool
	groups  int // transactions run, for the tests
}

// maxGroup bounds the functions committed together: a group holds the journal meanwhile.
const maxGroup = 64

type txRequest struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	err  error
	wake chan bool // false: done, err says how; true: lead the next group
}

// do runs fn in a transaction, with the functions of other callers, through run.
func (g *groupCommit) do(ctx context.Context, fn func(*sql.Tx) error, run func([]*txRequest)) error {
	req := &txRequest{ctx: ctx, fn: fn, wake: make(chan bool, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, req)
	if g.running {
		g.mu.Unlock()
		if lead := <-req.wake; !lead {
			return req.err
		}
		g.mu.Lock() // first in the queue now: the group below holds req
	}
	g.running = true
	group := g.queue[:min(len(g.queue), maxGroup)]
	g.queue = g.queue[len(group):]
	g.groups++
	g.mu.Unlock()

	run(group)

	for _, r := range group[1:] {
		r.wake <- false
	}
	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].wake <- true
	} else {
		g.running = false
	}
	g.mu.Unlock()
	return req.err
}

// runGroup runs the functions of group in one transaction, each in a savepoint, and sets
// each one's error.
func (j *Journal) runGroup(group []*txRequest) {
	if len(group) == 1 {
		group[0].err = j.runTx(group[0].ctx, group[0].fn)
		return
	}
	// The transaction is no one caller's: each function's statements run under its own
	// caller's context, and a caller gone meanwhile is skipped.
	ctx := context.Background()
	fail := func(rs []*txRequest, err error) {
		for _, r := range rs {
			if r.err == nil {
				r.err = err
			}
		}
	}
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		fail(group, err)
		return
	}
	defer j.stmts.ended(ctx, tx)
	var made []*txRequest
	for i, r := range group {
		if r.err = r.ctx.Err(); r.err != nil {
			continue
		}
		if r.err = inSavepoint(ctx, tx, r.fn); r.err == nil {
			made = append(made, r)
			continue
		}
		if errors.Is(r.err, errTxBroken) {
			// The transaction could not be brought back to the savepoint: nothing of it
			// is kept.
			tx.Rollback()
			fail(made, r.err)
			fail(group[i+1:], r.err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(made, err)
	}
}

// errTxBroken marks a function whose changes could not be undone alone.
var errTxBroken = errors.New("journal: transaction of the group aborted")

// inSavepoint runs fn in a savepoint of tx, and rolls back to it if fn fails.
func inSavepoint(ctx context.Context, tx *sql.Tx, fn func(*sql.Tx) error) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT grouped`); err != nil {
		return fmt.Errorf("%w: %v", errTxBroken, err)
	}
	if err := fn(tx); err != nil {
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO grouped`); rerr != nil {
			return fmt.Errorf("%w: %v (rolling back: %v)", errTxBroken, err, rerr)
		}
		if _, rerr := tx.ExecContext(ctx, `RELEASE grouped`); rerr != nil {
			return fmt.Errorf("%w: %v (rolling back: %v)", errTxBroken, err, rerr)
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, `RELEASE grouped`); err != nil {
		return fmt.Errorf("%w: %v", errTxBroken, err)
	}
	return nil
}
