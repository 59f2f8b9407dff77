// Package gateway is the daemon: it wires each source (a drop folder and its mapping) to its
// outputs and its destination, and drives every file through the journal: claim, map,
// check, spool, acknowledge, deposit.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/delivery"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/mapping"
)

// Work folders inside a source folder. The dot keeps them out of the watcher's way.
const (
	processingDir = ".fluxgate/processing"
	archiveDir    = ".fluxgate/archive"
	errorDir      = ".fluxgate/error"
)

// Gateway runs the configured routes.
type Gateway struct {
	cfg     *config.Config
	log     *slog.Logger
	ready   func()   // called once Run serves (ready.go)
	prog    Progress // hears of long work (progress.go)
	journal *journal.Journal
	spool   folder.Folder
	routes  []*route
	dests   map[string]*delivery.Destination
	deliver *delivery.Deliverer
	now     func() time.Time
	lock    *journal.Lock // the journal's exclusive lock; nil for an Observer
	cluster *cluster      // this instance among several on PostgreSQL (cluster.go); nil alone
	ops     opsState      // what deposits said, for the status pages (observe.go)
	// decide makes the end of process one file at a time across workers (filerun.go): its
	// duplicate checks, final names and recording see every file recorded before it.
	decide sync.Mutex
	// chunkInvoices is how many invoices of a big file are recorded at once (filerun.go).
	chunkInvoices int
	// acksAfterDeposit is set during RunOnce: the acks of files with invoices to deposit
	// are written after the run's deposit round (ackDone).
	acksAfterDeposit bool
}

// route is one source with everything its files go through.
type route struct {
	cfg     config.SourceConfig
	in      folder.Folder // the drop folder
	acks    folder.Folder // where acks are written
	mapping *mapping.Mapping
	profile *invoice.Profile
	watcher *folder.Watcher
	dest    *delivery.Destination
	health  *sourceHealth // what its latest listings said (observe.go)
	stored  *storedNames  // archive/ and error/ names given, not used yet (process.go)
}

// Option changes how New opens the gateway.
type Option func(*options)

type options struct{ observe bool }

// Observer opens the gateway to look at it (`fluxgate status`), not to work: it neither
// takes the journal's lock, so that it runs beside a working gateway, nor checks that the
// journal and the spool are writable.
func Observer() Option { return func(o *options) { o.observe = true } }

// New opens the journal, the folders and the mappings of cfg. Everything it opens is
// closed by Close. Unless opened as an Observer, it first takes the journal's exclusive
// lock (a *journal.HolderError names the process that has it) and checks that the journal
// and the spool are writable: a gateway that cannot record what it does must not start.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...Option) (_ *Gateway, err error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	g := &Gateway{cfg: cfg, log: log, dests: map[string]*delivery.Destination{}, now: time.Now, chunkInvoices: chunkInvoices}
	defer func() {
		if err != nil {
			g.Close()
		}
	}()
	jpath := cfg.Path(cfg.Journal.Path)
	// The lock and the checks are those of a journal file (SQLite), which one gateway uses.
	local := !o.observe && (cfg.Journal.Driver == "" || cfg.Journal.Driver == "sqlite")
	if local {
		if err := journal.CheckWritable(jpath); err != nil {
			return nil, err
		}
		if g.lock, err = journal.AcquireLock(jpath); err != nil {
			return nil, err
		}
	}
	if g.journal, err = g.openJournal(ctx, o.observe); err != nil {
		return nil, err
	}
	if g.spool, err = openLocal(cfg.Path(cfg.Spool)); err != nil {
		return nil, fmt.Errorf("spool %s: %w", cfg.Path(cfg.Spool), err)
	}
	if local {
		if err := g.journal.CheckDatabaseWritable(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", jpath, err)
		}
	}
	if !o.observe {
		if err := CheckSpool(ctx, g.spool); err != nil {
			return nil, err
		}
	}
	g.deliver = &delivery.Deliverer{Journal: g.journal, Spool: g.spool, Log: log,
		Now: func() time.Time { return g.now() }, WriteAck: g.writeAck, WriteAcks: g.writeAcks}
	if g.cluster != nil {
		g.deliver.Leader, g.deliver.Lease = g.Scheduler, cfg.Journal.LeaseFor()
	}
	for _, dc := range cfg.Destinations {
		sched, err := config.ParseSchedule(dc.Schedule)
		if err != nil {
			return nil, fmt.Errorf("destination %s: %w", dc.Name, err)
		}
		d, err := openDestination(ctx, cfg, dc, log)
		if err != nil {
			return nil, fmt.Errorf("destination %s: %w", dc.Name, err)
		}
		g.dests[dc.Name] = delivery.NewDestination(d, dc, sched)
	}
	for _, sc := range cfg.Sources {
		r, err := g.openRoute(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", sc.Name, err)
		}
		g.routes = append(g.routes, r)
	}
	return g, nil
}

func (g *Gateway) openRoute(ctx context.Context, sc config.SourceConfig) (*route, error) {
	r := &route{cfg: sc, dest: g.dests[sc.Destination], stored: &storedNames{}}
	var err error
	if r.in, err = openFolder(ctx, g.cfg, sc.Folder, g.log.With("source", sc.Name)); err != nil {
		return nil, err
	}
	// A server down at start: the watcher makes them before its first listing.
	if err := makeWorkDirs(ctx, r.in); err != nil && connError(r.in) == nil {
		r.in.Close()
		return nil, err
	}
	if r.acks, err = openFolder(ctx, g.cfg, config.AckFolder(sc), g.log.With("source", sc.Name, "folder_role", "ack")); err != nil {
		r.in.Close()
		return nil, fmt.Errorf("ack folder: %w", err)
	}
	if r.mapping, err = mapping.Load(g.cfg.Path(sc.Mapping)); err != nil {
		r.close()
		return nil, err
	}
	if r.profile, err = invoice.ProfileByName(sc.Profile); err != nil {
		r.close()
		return nil, err
	}
	if sc.Profile == "chorus-pro" && r.dest.Config.Chorus != nil {
		// The buyers' own requirements (service code, commitment) come with the destination.
		r.profile = invoice.ChorusPro(r.dest.Config.Chorus.ProfileOptions())
	}
	// A mapping that can never give what the profile requires would reject every invoice it
	// maps: refuse it now, saying what is missing.
	if err = r.mapping.CheckProfile(r.profile, nil); err != nil {
		r.close()
		return nil, err
	}
	r.watcher = folder.NewWatcher(r.in, folder.WatchOptions{
		Pattern: sc.Pattern,
		Ready:   folder.Readiness{Quiet: time.Duration(sc.Ready.Quiet), Marker: sc.Ready.Marker},
		Rescan:  time.Duration(sc.Rescan),
		Poll:    sc.PollSchedule(),
		Prepare: func(ctx context.Context) error { return makeWorkDirs(ctx, r.in) },
		Logger:  g.log.With("source", sc.Name),
		OnScan:  r.observeScans(g.log.With("source", sc.Name)),
	})
	return r, nil
}

// Logger is the gateway's logger.
func (g *Gateway) Logger() *slog.Logger { return g.log }

// Close releases everything New opened.
func (g *Gateway) Close() error {
	var errs []error
	for _, r := range g.routes {
		errs = append(errs, r.close())
	}
	for _, d := range g.dests {
		errs = append(errs, d.Close())
	}
	if g.spool != nil {
		errs = append(errs, g.spool.Close())
	}
	if g.journal != nil {
		errs = append(errs, g.journal.Close())
	}
	// Last: the next gateway may start once the journal is closed.
	errs = append(errs, g.lock.Release())
	return errors.Join(errs...)
}

// CheckSpool checks that flux files can be written into the spool: a probe file written
// atomically, then removed.
func CheckSpool(ctx context.Context, spool folder.Folder) error {
	// A name of its own: instances sharing the spool may start together.
	probe := fmt.Sprintf(".fluxgate-probe-%d-%x", os.Getpid(), rand.Uint64())
	err := spool.WriteAtomic(ctx, probe, strings.NewReader("fluxgate write probe, safe to delete\n"))
	if err == nil {
		err = spool.Remove(ctx, probe)
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("the spool %s is not writable (%v): give the gateway's user the right to write there, or set spool to a folder it may write", spool, err)
	}
	if err != nil {
		return fmt.Errorf("spool %s: %w", spool, err) // stopped while starting
	}
	return nil
}

func (r *route) close() error { return errors.Join(r.in.Close(), r.acks.Close()) }

func (g *Gateway) routeOf(source string) *route {
	for _, r := range g.routes {
		if r.cfg.Name == source {
			return r
		}
	}
	return nil
}
