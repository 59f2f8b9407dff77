package journal

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"strings"
	"sync"
	"time"
)

// Several gateways ("instances") may share one PostgreSQL journal. Each has an id, written
// on the files it claims and the fluxes it leases for deposit, and heartbeats into the
// instances table. Work moves from one instance to another only once its owner has stopped
// heartbeating for StaleAfter (a file's claim) or its lease has run out (a flux): never
// while the owner may still be running. On SQLite there is one instance: its id is "" and
// every check here lets it do everything, as before.

// StaleAfter is how long an instance may go without a heartbeat before it is reported
// stopped and its claims are taken over. Heartbeats come every HeartbeatEvery.
const (
	HeartbeatEvery = 5 * time.Second
	StaleAfter     = 30 * time.Second
)

// NewInstanceID returns an id for this gateway: its host and pid, to be read by people, and
// random bytes, since a pid is reused.
func NewInstanceID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// SetStaleAfter changes StaleAfter for this journal (journal.stale_after; tests).
func (j *Journal) SetStaleAfter(d time.Duration) {
	if d > 0 {
		j.staleAfter = d
	}
}

// StaleAfter is how long an instance of this journal may go without a heartbeat before it
// is taken for dead.
func (j *Journal) StaleAfter() time.Duration {
	if j.staleAfter > 0 {
		return j.staleAfter
	}
	return StaleAfter
}

// SetInstance makes this journal act for the instance id: its claims and leases carry it.
// Only a PostgreSQL journal takes one.
func (j *Journal) SetInstance(id string) {
	if j.pg {
		j.instance = id
	}
}

// Instance returns the id SetInstance gave ("" for a lone instance).
func (j *Journal) Instance() string { return j.instance }

// Instance is one gateway working on the journal, as its heartbeats say.
type Instance struct {
	ID        string
	Host      string
	PID       int
	Version   string
	Started   time.Time
	Seen      time.Time // its last heartbeat
	Stopped   time.Time // zero while it runs
	Scheduler bool      // it runs the deposit windows and the tracking
	Stale     bool      // no heartbeat for StaleAfter, and no clean stop: it died or lost the database
}

// Heartbeat records that in is alive now (and whether it is the scheduler).
func (j *Journal) Heartbeat(ctx context.Context, in Instance) error {
	now := j.now().UTC()
	if in.Started.IsZero() {
		in.Started = now
	}
	_, err := j.exec(ctx, nil, `INSERT INTO instances (id, host, pid, version, started_at, seen_at, scheduler) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET seen_at = excluded.seen_at, scheduler = excluded.scheduler, stopped_at = NULL`,
		in.ID, in.Host, in.PID, in.Version, in.Started.UTC(), now, in.Scheduler)
	if err != nil {
		return fmt.Errorf("journal: heartbeat of %s: %w", in.ID, err)
	}
	return nil
}

// InstanceStopped records that instance id stopped cleanly: it is no longer reported stale,
// and what it held is free at once.
func (j *Journal) InstanceStopped(ctx context.Context, id string) error {
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		now := j.now().UTC()
		if _, err := j.exec(ctx, tx, `UPDATE instances SET stopped_at = ?, scheduler = 0 WHERE id = ?`, now, id); err != nil {
			return err
		}
		_, err := j.exec(ctx, tx, `UPDATE fluxes SET leased_by = '', lease_until = NULL WHERE leased_by = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("journal: record the stop of %s: %w", id, err)
	}
	return nil
}

// Instances returns the instances that heartbeat into the journal, the running ones first.
// Those stopped cleanly more than a day ago are left out.
func (j *Journal) Instances(ctx context.Context) ([]Instance, error) {
	now := j.now().UTC()
	rows, err := j.query(ctx, nil, `SELECT id, host, pid, version, started_at, seen_at, stopped_at, scheduler FROM instances
		WHERE stopped_at IS NULL OR stopped_at > ? ORDER BY stopped_at IS NOT NULL, started_at`, now.Add(-24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("journal: instances: %w", err)
	}
	defer rows.Close()
	var out []Instance
	for rows.Next() {
		var in Instance
		var stopped sql.NullTime
		if err := rows.Scan(&in.ID, &in.Host, &in.PID, &in.Version, &in.Started, &in.Seen, &stopped, &in.Scheduler); err != nil {
			return nil, fmt.Errorf("journal: instances: %w", err)
		}
		in.Stopped = stopped.Time
		in.Stale = !stopped.Valid && now.Sub(in.Seen) > j.StaleAfter()
		out = append(out, in)
	}
	return out, rows.Err()
}

// ownerGone is the SQL condition, on a column holding an instance id, that the instance
// is not one that may still be running: none, this one, or one that stopped cleanly or has
// not heartbeat for StaleAfter. Its two arguments: this instance, and the stale cut-off.
const ownerGone = `(%[1]s = '' OR %[1]s = ? OR %[1]s IN (SELECT id FROM instances WHERE stopped_at IS NOT NULL OR seen_at < ?)
	OR %[1]s NOT IN (SELECT id FROM instances))`

// TakeOver makes file id this instance's, unless another instance that may still be
// running claimed it: after a crash or at a reconnection, an instance resumes its own files
// and those of dead instances, never a live one's. A lone instance owns everything.
func (j *Journal) TakeOver(ctx context.Context, id int64) (bool, error) {
	if j.instance == "" {
		return true, nil
	}
	var took bool
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		var prev string
		if err := j.queryRow(ctx, tx, `SELECT claimed_by FROM files WHERE id = ?`, id).Scan(&prev); err != nil {
			return err
		}
		if prev == j.instance {
			took = true
			return nil
		}
		// The condition is checked again by the update itself: of two instances taking
		// the file over at once, the second finds it claimed by the first, alive.
		res, err := j.exec(ctx, tx, `UPDATE files SET claimed_by = ? WHERE id = ? AND `+fmt.Sprintf(ownerGone, "claimed_by"),
			j.instance, id, j.instance, j.now().UTC().Add(-j.StaleAfter()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n != 1 {
			return err
		}
		took = true
		return j.event(ctx, tx, id, 0, EventTakenOver, fmt.Sprintf("from %q by %q", prev, j.instance))
	})
	if err != nil {
		return false, fmt.Errorf("journal: take over file %d: %w", id, err)
	}
	return took, nil
}

// EventTakenOver records that an instance took over a file another one had claimed and
// stopped heartbeating.
const EventTakenOver = "taken-over"

// Orphans returns the unfinished files of source that another instance claimed and that
// it no longer works on (it stopped, or has not heartbeat for StaleAfter): to take over.
// A lone instance has none.
func (j *Journal) Orphans(ctx context.Context, source string) ([]File, error) {
	if j.instance == "" {
		return nil, nil
	}
	return j.queryFiles(ctx, `WHERE source = ? AND state != ? AND claimed_by NOT IN ('', ?) AND `+fmt.Sprintf(ownerGone, "claimed_by")+` ORDER BY id`,
		source, FileDone, j.instance, j.instance, j.now().UTC().Add(-j.StaleAfter()))
}

// ErrNotOwner says that another instance took the file over: this one was taken for dead
// (cut off from the database longer than StaleAfter) and must leave the file alone.
var ErrNotOwner = errors.New("journal: the file was taken over by another instance")

// fence refuses, inside a transition's transaction, a write to file id by an instance that
// no longer owns it: an instance cut off from the database for longer than StaleAfter, whose
// file another took over, cannot record its own processing of it on top of the other's.
// A row lock (FOR UPDATE on PostgreSQL) holds the owner until the transaction ends.
func (j *Journal) fence(ctx context.Context, tx *sql.Tx, id int64) error {
	if j.instance == "" {
		return nil
	}
	var by string
	if err := j.queryRow(ctx, tx, `SELECT claimed_by FROM files WHERE id = ? FOR UPDATE`, id).Scan(&by); err != nil {
		return err
	}
	if by != j.instance && by != "" {
		return fmt.Errorf("%w (%s)", ErrNotOwner, by)
	}
	return nil
}

// ErrClaimedElsewhere says that another instance is claiming the same dropped file: the
// folder's rename will give it to that one.
var ErrClaimedElsewhere = errors.New("journal: the file is being claimed by another instance")

// WithdrawLostClaim withdraws this instance's claim id of a dropped file when another
// instance holds a claim of the same file (same source, name and digest): that instance's
// rename moved it first. The row goes, with its events: the claim never took effect, and
// only the winner's row and ack speak of the file. It reports whether it withdrew it.
func (j *Journal) WithdrawLostClaim(ctx context.Context, id int64) (bool, error) {
	if j.instance == "" {
		return false, nil
	}
	var lost bool
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		err := j.queryRow(ctx, tx, `SELECT COUNT(*) FROM files o JOIN files f ON f.source = o.source AND f.name = o.name AND f.sha256 = o.sha256
			WHERE f.id = ? AND f.state = ? AND f.claimed_by = ? AND o.id != f.id AND o.claimed_by NOT IN ('', ?)
			AND NOT EXISTS (SELECT 1 FROM invoices WHERE file_id = f.id)`, id, FileClaimed, j.instance, j.instance).Scan(&n)
		if err != nil || n == 0 {
			return err
		}
		if _, err := j.exec(ctx, tx, `DELETE FROM events WHERE file_id = ?`, id); err != nil {
			return err
		}
		_, err = j.exec(ctx, tx, `DELETE FROM files WHERE id = ?`, id)
		lost = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("journal: withdraw the claim of file %d: %w", id, err)
	}
	return lost, nil
}

// isUniqueViolation reports a unique index refusing a row, on either database.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// LeaseDeliverable is Deliverable for several instances: it leases the fluxes it returns to
// this instance until until, skipping those another instance holds (a lease not run out)
// or is reading at this moment (FOR UPDATE SKIP LOCKED), and reads them after the lease,
// so that their state is the one no other instance can change any more. A lone instance
// gets Deliverable.
func (j *Journal) LeaseDeliverable(ctx context.Context, destination string, due, until time.Time) ([]Flux, error) {
	return j.LeaseDeliverablePage(ctx, destination, due, until, 0, 0)
}

// LeaseDeliverablePage is LeaseDeliverable for at most limit fluxes (0: no limit) of ids
// above after: a deposit round takes them a page at a time, so that its memory does not
// grow with the queue.
func (j *Journal) LeaseDeliverablePage(ctx context.Context, destination string, due, until time.Time, after int64, limit int) ([]Flux, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	if j.instance == "" {
		return j.deliverable(ctx, destination, due, after, limit)
	}
	now := j.now().UTC()
	var ids []int64
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		ids = ids[:0]
		q := `SELECT id FROM fluxes WHERE destination = ? AND state IN (?, ?) AND (leased_by IN ('', ?) OR lease_until IS NULL OR lease_until < ?) AND id > ?`
		args := []any{destination, FluxQueued, FluxDepositing, j.instance, now, after}
		if !due.IsZero() {
			q += ` AND (next_attempt_at IS NULL OR next_attempt_at <= ?)`
			args = append(args, due.UTC())
		}
		rows, err := j.query(ctx, tx, q+` ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`, append(args, limit)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, part := range batches(ids) {
			if _, err := j.exec(ctx, tx, `UPDATE fluxes SET leased_by = ?, lease_until = ? WHERE id IN (`+marks(len(part))+`)`,
				idArgs(part, j.instance, until.UTC())...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal: lease the fluxes of %s: %w", destination, err)
	}
	var out []Flux
	for _, part := range batches(ids) {
		fs, err := j.queryFluxes(ctx, `WHERE fluxes.id IN (`+marks(len(part))+`) ORDER BY fluxes.id`, idArgs(part)...)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// RenewLease extends this instance's lease of the fluxes ids until until, right before it
// deposits them, and returns those it still holds: a flux whose lease ran out and was
// taken by another instance, or that is no longer to deposit, is not sent. A lone
// instance holds them all.
func (j *Journal) RenewLease(ctx context.Context, ids []int64, until time.Time) (map[int64]bool, error) {
	held := make(map[int64]bool, len(ids))
	if j.instance == "" {
		for _, id := range ids {
			held[id] = true
		}
		return held, nil
	}
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		for _, part := range batches(ids) {
			rows, err := j.query(ctx, tx, `UPDATE fluxes SET lease_until = ? WHERE id IN (`+marks(len(part))+`) AND leased_by = ? AND state IN (?, ?, ?) RETURNING id`,
				append(idArgs(part, until.UTC()), j.instance, FluxQueued, FluxDepositing, FluxUncertain)...)
			err = eachRow(rows, err, func() error {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				held[id] = true
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal: renew the lease of fluxes: %w", err)
	}
	return held, nil
}

// schedulerLockKey is the advisory lock whose holder is the scheduler ("sched").
const schedulerLockKey = 0x7363686564

// Elector elects, among the instances sharing a PostgreSQL journal, the one scheduler that
// runs the deposit windows and the tracking: the holder of an advisory lock on a connection
// of its own. When that instance dies its connection closes, the lock is released, and the
// next instance to try takes it. On SQLite the lone instance is always the scheduler.
type Elector struct {
	j      *Journal
	mu     sync.Mutex
	conn   *sql.Conn // holds the lock while leader
	leader bool
}

// NewElector returns the elector of j; Try elects.
func (j *Journal) NewElector() *Elector { return &Elector{j: j, leader: !j.pg} }

// Try keeps the lead (checking that the connection holding it still answers) or tries to
// take it, and says whether this instance is the scheduler. A lost connection loses the
// lead at once: the database has released the lock, or will, and another may take it.
func (e *Elector) Try(ctx context.Context) (bool, error) {
	if !e.j.pg {
		return true, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn != nil {
		var one int
		err := e.conn.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
		if err == nil {
			return true, nil
		}
		e.dropLocked()
		return false, fmt.Errorf("journal: the scheduler's connection was lost: %w", scrub(err))
	}
	conn, err := e.j.db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("journal: elect the scheduler: %w", scrub(err))
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?)`, schedulerLockKey).Scan(&got); err != nil {
		conn.Close()
		return false, fmt.Errorf("journal: elect the scheduler: %w", scrub(err))
	}
	if !got {
		conn.Close()
		return false, nil
	}
	e.conn, e.leader = conn, true
	return true, nil
}

// Leader says whether this instance was the scheduler at the last Try.
func (e *Elector) Leader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader
}

func (e *Elector) dropLocked() {
	if e.conn != nil {
		// The connection is thrown away, not put back in the pool: its session ends, which
		// releases the lock even if the unlock did not get through.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		e.conn.ExecContext(ctx, `SELECT pg_advisory_unlock(?)`, schedulerLockKey)
		cancel()
		e.conn.Raw(func(any) error { return driver.ErrBadConn })
		e.conn.Close()
		e.conn = nil
	}
	e.leader = !e.j.pg
}

// Resign gives the lead up (at a clean stop), so that another instance takes it at once.
func (e *Elector) Resign() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dropLocked()
}

// Advisory lock classes (the first key of PostgreSQL's two-key advisory locks).
const (
	lockClassAck  = 0x61636b // one ack writer per file at a time
	lockClassName = 0x6e616d // one claimer per dropped name at a time
)

// LockAck serialises the writing of file id's ack: each writer reads the journal and
// writes the ack while holding it, so the last ack written shows the latest state, never
// an older read written late. Within an instance too: the worker that finished a file and
// the deposit round that took its fluxes at once write the same ack, and the one that read
// first could rename its ack over the newer one, whose writer had cleared the ack's lag: the
// ack would then say "queued" for good. Among several instances it is a lock of the
// database.
func (j *Journal) LockAck(ctx context.Context, id int64) (unlock func(), err error) {
	unlockHere, err := j.ackLocks.lock(ctx, id)
	if err != nil || j.instance == "" {
		return unlockHere, err
	}
	unlockDB, err := j.advisoryLock(ctx, lockClassAck, int32(id), true)
	if err != nil {
		unlockHere()
		return nil, err
	}
	return func() { unlockDB(); unlockHere() }, nil
}

// TryLockName takes, without waiting, the right to claim the file dropped as name in
// source: two instances that see it at once do not both claim it; the one that does not
// get it (ok false) leaves the file to the other. Held until unlock (through the claim's
// rename). A lone instance always gets it.
func (j *Journal) TryLockName(ctx context.Context, source, name string) (unlock func(), ok bool, err error) {
	if j.instance == "" {
		return func() {}, true, nil
	}
	h := fnv.New32a()
	h.Write([]byte(source + "\x00" + name))
	unlock, err = j.advisoryLock(ctx, lockClassName, int32(h.Sum32()), false)
	if err == errNotLocked {
		return func() {}, false, nil
	}
	return unlock, err == nil, err
}

var errNotLocked = errors.New("journal: advisory lock held elsewhere")

// advisoryLock takes a session advisory lock on a connection of its own, kept until
// unlock; wait says whether to wait for it (or return errNotLocked).
func (j *Journal) advisoryLock(ctx context.Context, class, key int32, wait bool) (func(), error) {
	conn, err := j.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("journal: lock: %w", scrub(err))
	}
	if wait {
		_, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock(?::int, ?::int)`, class, key)
	} else {
		var got bool
		err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?::int, ?::int)`, class, key).Scan(&got)
		if err == nil && !got {
			err = errNotLocked
		}
	}
	if err != nil {
		conn.Close()
		if err == errNotLocked {
			return nil, err
		}
		return nil, fmt.Errorf("journal: lock: %w", scrub(err))
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(?::int, ?::int)`, class, key); err != nil {
			// Not given back: the connection is thrown away, which ends its session.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}
