package gateway

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// Several gateways ("instances") may share one PostgreSQL journal (journal: {driver:
// postgres, dsn_env: …}). Every instance watches and processes the sources; one, elected,
// runs the deposit windows and the tracking (the scheduler). Each heartbeats into the
// journal, so that `status`, the status pages and /metrics show them, and so that the work
// of one that stops heartbeating is taken over (journal/cluster.go).

// cluster is this instance among several; nil for a lone SQLite gateway.
type cluster struct {
	self    journal.Instance
	elector *journal.Elector

	mu       sync.Mutex
	lastBeat time.Time // the last heartbeat that got through
	lastErr  error     // why the last one did not, if it did not
}

// openJournal opens the configured journal: the SQLite file, or the PostgreSQL database
// whose DSN the variable journal.dsn_env holds (never logged). A working gateway on
// PostgreSQL becomes an instance: it gets an id, heartbeats once, and stands for election.
func (g *Gateway) openJournal(ctx context.Context, observe bool) (*journal.Journal, error) {
	if g.cfg.Journal.Driver != journal.DriverPostgres {
		return journal.Open(ctx, g.cfg.Path(g.cfg.Journal.Path))
	}
	dsn, err := deposit.Secret(os.Getenv, "journal.dsn_env", g.cfg.Journal.DSNEnv)
	if err != nil {
		return nil, err
	}
	j, err := journal.OpenPostgres(ctx, dsn)
	if err != nil {
		return nil, err
	}
	j.SetStaleAfter(time.Duration(g.cfg.Journal.StaleAfter))
	if observe {
		return j, nil
	}
	if err := j.Writable(ctx); err != nil {
		j.Close()
		return nil, fmt.Errorf("the PostgreSQL journal cannot be written (%v): give the gateway's database user the right to write its tables", err)
	}
	host, _ := os.Hostname()
	c := &cluster{self: journal.Instance{ID: journal.NewInstanceID(), Host: host, PID: os.Getpid(), Version: "dev", Started: g.now()},
		elector: j.NewElector()}
	j.SetInstance(c.self.ID)
	g.cluster = c
	g.beat(ctx, j)
	return j, nil
}

// OpenJournalWriter opens the journal with connections of its own, for a writer beside
// the pipeline (the alerts' records).
func (g *Gateway) OpenJournalWriter(ctx context.Context) (*journal.Journal, error) {
	return g.openJournal(ctx, true)
}

// journalDown says that, among several instances, the last heartbeat did not get through:
// the database does not answer, and the instance claims nothing until it does (the beat
// says so once in the log, and once when it answers again).
func (g *Gateway) journalDown() bool {
	if g.cluster == nil {
		return false
	}
	g.cluster.mu.Lock()
	defer g.cluster.mu.Unlock()
	return g.cluster.lastErr != nil
}

// journalFailed records that the database did not answer (before the next heartbeat
// finds out): the instance pauses its claims, said once.
func (g *Gateway) journalFailed(err error) {
	c := g.cluster
	if c == nil {
		return
	}
	c.mu.Lock()
	first := c.lastErr == nil
	if first {
		c.lastErr = err
	}
	c.mu.Unlock()
	if first {
		g.log.Warn("the journal's database does not answer: this instance pauses its work until it does", "instance", c.self.ID, "err", err)
	}
}

// SetVersion names the version this instance reports in its heartbeats.
func (g *Gateway) SetVersion(v string) {
	if g.cluster != nil && v != "" {
		g.cluster.self.Version = v
	}
}

// Scheduler says whether this gateway runs the deposit windows and the tracking: a lone
// gateway always does; among several, the elected one.
func (g *Gateway) Scheduler() bool {
	return g.cluster == nil || g.cluster.elector.Leader()
}

// Instance is this gateway's instance id ("" for a lone gateway).
func (g *Gateway) Instance() string {
	if g.cluster == nil {
		return ""
	}
	return g.cluster.self.ID
}

// beat stands for election (or keeps the lead) and heartbeats. A database that does not
// answer loses the lead at once: another instance may be elected meanwhile.
func (g *Gateway) beat(ctx context.Context, j *journal.Journal) {
	c := g.cluster
	was := c.elector.Leader()
	lead, eerr := c.elector.Try(ctx)
	in := c.self
	in.Scheduler = lead
	herr := j.Heartbeat(ctx, in)
	c.mu.Lock()
	if herr == nil {
		c.lastBeat = g.now()
	}
	prev := c.lastErr
	c.lastErr = herr
	c.mu.Unlock()
	switch {
	case lead && !was:
		g.log.Info("this instance is now the scheduler: it runs the deposit windows and the tracking", "instance", in.ID)
		for _, d := range g.dests {
			d.Kick() // what the previous scheduler left goes out, as at a start
		}
	case !lead && was:
		g.log.Warn("this instance is no longer the scheduler", "instance", in.ID, "err", eerr)
	}
	if lead && herr == nil && g.journal != nil { // nil: the first beat, from openJournal
		g.catchUpAcks(ctx)
	}
	if herr != nil && prev == nil {
		g.log.Warn("the journal's database does not answer: this instance pauses its work until it does", "instance", in.ID, "err", herr)
	} else if herr == nil && prev != nil {
		g.log.Info("the journal's database answers again: work resumes", "instance", in.ID)
		// Acks whose rewrite failed meanwhile catch up now, not at the next start.
		if err := g.rewriteStaleAcks(ctx); err != nil {
			g.log.Warn("acks not rewritten", "err", err)
		}
	}
}

// catchUpAcks rewrites, on the scheduler, the acks left stale for longer than an instance
// takes to be seen dead: their writer was killed, and may never start again to catch them
// up itself. A few per heartbeat, so that the heartbeat stays on time.
func (g *Gateway) catchUpAcks(ctx context.Context) {
	stale, err := g.journal.StaleAcksBefore(ctx, g.now().Add(-g.journal.StaleAfter()), 20)
	if err != nil {
		g.log.Warn("stale acks not looked up", "err", err)
		return
	}
	for _, id := range stale {
		if err := g.writeAck(ctx, id); err != nil {
			g.log.Warn("ack not rewritten", "file", id, "err", err)
		}
	}
}

// runCluster heartbeats every journal.HeartbeatEvery (or faster) until ctx ends, then records a clean
// stop: the leases are freed and the lead given up, so that another instance goes on at
// once.
func (g *Gateway) runCluster(ctx context.Context) {
	c := g.cluster
	if c == nil {
		return
	}
	// Three heartbeats at least within the time after which an instance is taken for dead.
	t := time.NewTicker(min(journal.HeartbeatEvery, g.journal.StaleAfter()/3))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			c.elector.Resign()
			if err := g.journal.InstanceStopped(stop, c.self.ID); err != nil {
				g.log.Warn("the clean stop of this instance was not recorded: its leases run out by themselves", "instance", c.self.ID, "err", err)
			}
			return
		case <-t.C:
			g.beat(ctx, g.journal)
		}
	}
}

// takeOver says whether this instance may work on file id: its own, a lone gateway's, or
// one whose claimer stopped heartbeating. A live instance's file is left to it.
func (g *Gateway) takeOver(ctx context.Context, id int64) (bool, error) {
	ok, err := g.journal.TakeOver(ctx, id)
	if err == nil && !ok {
		g.log.Debug("file left to the instance that claimed it", "id", id)
	}
	return ok, err
}

// lostClaim handles a claim whose rename found the file gone: among several instances,
// when another instance holds a claim of the same file, that one's rename won, and this
// claim is withdrawn without an ack (an ack would contradict the winner's). A lone gateway,
// or a file that really vanished, gets the usual "vanished" treatment.
func (g *Gateway) lostClaim(ctx context.Context, r *route, fi folder.FileInfo, id int64) (bool, error) {
	if g.cluster == nil {
		return false, nil
	}
	lost, err := g.journal.WithdrawLostClaim(ctx, id)
	if lost {
		g.log.Debug("file claimed by another instance at the same moment", "source", r.cfg.Name, "file", fi.Name, "id", id)
		r.watcher.Forget(fi.Name)
	}
	return lost, err
}

// sharedCleanAge is how old a temporary or unneeded spool file must be before an instance
// among several removes it at its start: the others write there meanwhile, and a file
// they are writing, or have spooled and not recorded yet, is younger than that.
const sharedCleanAge = time.Hour

// cleanUpShared is cleanUp among several instances: only what is older than
// sharedCleanAge goes; the destinations' own temporary files are left to a lone start.
func (g *Gateway) cleanUpShared(ctx context.Context) error {
	before := g.now().Add(-sharedCleanAge)
	remove := func(f folder.Folder, dir string, entries []folder.FileInfo, keep func(int, string) bool) {
		for i, e := range entries {
			name := path.Base(e.Name)
			if e.IsDir || e.Size < 0 || !e.ModTime.Before(before) || keep(i, name) {
				continue
			}
			if err := f.Remove(ctx, path.Join(dir, name)); err != nil {
				g.log.Warn("stale file not removed", "folder", f, "file", name, "err", err)
			}
		}
	}
	clean := func(f folder.Folder, dir string, keep func(string) bool) error {
		entries, err := f.List(ctx, dir)
		if err != nil {
			return err
		}
		remove(f, dir, entries, func(_ int, name string) bool { return keep(name) })
		return nil
	}
	notTemp := func(name string) bool { return !folder.IsTempName(name) }
	for _, r := range g.routes {
		for _, c := range []struct {
			f   folder.Folder
			dir string
		}{{r.acks, "."}, {r.in, processingDir}, {r.in, archiveDir}, {r.in, errorDir}} {
			if err := clean(c.f, c.dir, notTemp); err != nil {
				g.log.Warn("temporary files not cleaned", "folder", c.f, "dir", c.dir, "err", err)
			}
		}
	}
	spooled, err := g.spool.List(ctx, ".")
	if err != nil {
		return err
	}
	needed, err := g.spoolNeeded(ctx, spooled)
	if err != nil {
		return err
	}
	remove(g.spool, ".", spooled, func(i int, name string) bool {
		return needed[i] || (strings.HasPrefix(name, ".") && !folder.IsTempName(name))
	})
	return nil
}

// orphanTicker ticks, among several instances, at the pace at which an instance is taken
// for dead, so that its half-done files are taken over soon after (adoptOrphans); a lone
// gateway gets a channel that never ticks.
func (g *Gateway) orphanTicker() (<-chan time.Time, func()) {
	if g.cluster == nil {
		return nil, func() {}
	}
	t := time.NewTicker(max(g.journal.StaleAfter()/2, time.Second))
	return t.C, t.Stop
}

// adoptOrphans takes over and finishes the files of r that an instance left half-done when
// it died (or was cut off for longer than stale_after).
func (g *Gateway) adoptOrphans(ctx context.Context, r *route) {
	orphans, err := g.journal.Orphans(ctx, r.cfg.Name)
	if err != nil {
		g.journalFailed(err)
		return
	}
	for _, f := range orphans {
		if ok, err := g.takeOver(ctx, f.ID); err != nil || !ok {
			continue // another instance was quicker, or the database is gone
		}
		g.log.Info("taking over a file left half-done by an instance that stopped heartbeating", "source", r.cfg.Name, "file", f.Name, "id", f.ID, "state", f.State)
		if _, err := g.resume(ctx, r, f.ID); err != nil {
			g.log.Warn("file taken over not finished; it will be tried again", "source", r.cfg.Name, "file", f.Name, "id", f.ID, "err", err)
		}
	}
}
