package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/delivery"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// This file is what the operating side (status pages, metrics, alerts) reads of the
// running gateway besides the journal: the state of each source's connection and of each
// destination's breaker, which live in memory, and the operator's actions.

// SourceState is what the latest listings of a source folder said.
type SourceState struct {
	Name        string
	Folder      string // where it is (a path, or sftp://user@host/path)
	Destination string
	Scanned     bool      // listed at least once since the start
	Up          bool      // the latest listing succeeded
	LastScan    time.Time // the latest successful listing
	DownSince   time.Time // the first failed listing of the current outage
	LastError   string    // of the latest failed listing
	// HostKeyRefused: the SFTP server offered a host key that is not trusted.
	HostKeyRefused bool
	Waiting        []WaitingFile // files not ready at the latest listing, and why
}

// WaitingFile is a file a source listing saw and did not take, with the reason.
type WaitingFile struct {
	Name   string
	Size   int64
	Reason string
	Kind   string // the reason in one word, for metrics: WaitKinds
}

// WaitKinds are the values of WaitingFile.Kind.
var WaitKinds = []string{"changing", "marker", "pattern", "ignored", "directory", "symlink"}

// sourceHealth records the outcome of each listing of a route's drop folder.
type sourceHealth struct {
	mu    sync.Mutex
	state SourceState
}

// observeScans returns the watcher's OnScan hook: it records each listing, and logs when
// the folder becomes unreachable and when it answers again.
func (r *route) observeScans(log *slog.Logger) func([]folder.Waiting, error) {
	h := &sourceHealth{}
	r.health = h
	return func(waiting []folder.Waiting, err error) {
		if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return // a stop, not an outage
		}
		now := time.Now()
		h.mu.Lock()
		defer h.mu.Unlock()
		s := &h.state
		wasUp, scanned := s.Up, s.Scanned
		s.Scanned = true
		if err != nil {
			var hk *folder.HostKeyError
			s.Up, s.LastError, s.HostKeyRefused = false, err.Error(), errors.As(err, &hk)
			if wasUp || !scanned {
				s.DownSince = now
				log.Warn("source folder unreachable; listing again at the next scan", "err", err)
			}
			return
		}
		if !wasUp && scanned {
			log.Info("source folder reachable again", "down_since", s.DownSince)
		}
		s.Up, s.LastScan, s.DownSince, s.LastError, s.HostKeyRefused = true, now, time.Time{}, "", false
		// Made anew: reusing the slice would keep, beyond its length, the names of every file
		// a flood once left waiting.
		s.Waiting = make([]WaitingFile, 0, len(waiting))
		for _, w := range waiting {
			s.Waiting = append(s.Waiting, WaitingFile{Name: w.File.Name, Size: w.File.Size, Reason: w.Reason, Kind: waitKind(w.Reason)})
		}
	}
}

// waitKind puts the watcher's reason in one of WaitKinds.
func waitKind(reason string) string {
	switch {
	case strings.HasPrefix(reason, "still changing"):
		return "changing"
	case strings.Contains(reason, "marker"):
		return "marker"
	case strings.HasPrefix(reason, "excluded by pattern"):
		return "pattern"
	case strings.HasPrefix(reason, "directory"):
		return "directory"
	case strings.HasPrefix(reason, "symbolic link"):
		return "symlink"
	}
	return "ignored"
}

func (h *sourceHealth) get() SourceState {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.state
	s.Waiting = append([]WaitingFile(nil), h.state.Waiting...)
	return s
}

// Sources returns the state of every source, in configuration order.
func (g *Gateway) Sources() []SourceState {
	out := make([]SourceState, 0, len(g.routes))
	for _, r := range g.routes {
		s := r.health.get()
		s.Name, s.Folder, s.Destination = r.cfg.Name, r.in.String(), r.cfg.Destination
		out = append(out, s)
	}
	return out
}

// DestinationState is what the gateway knows in memory of a destination: its schedule,
// its breaker and how its latest deposit call went.
type DestinationState struct {
	Name     string
	Kind     string // folder, chorus, chorus-edi, pa
	Schedule string // now, or the cron spec
	NextTick time.Time
	delivery.BreakerState
	LastCall   time.Time // the latest deposit call, successful or not
	LastCallOK bool
	LastError  string // of the latest failed deposit call
	// HostKeyRefused: the latest deposit met an SFTP host key that is not trusted.
	HostKeyRefused bool
}

// Paused reports whether the breaker holds the destination's deposits.
func (d DestinationState) Paused() bool { return !d.PausedUntil.IsZero() }

// opsState is what the observer records of deposits for the status pages.
type opsState struct {
	mu    sync.Mutex
	calls map[string]DestinationState // by destination: LastCall, LastCallOK, LastError, HostKeyRefused
}

// Destinations returns the state of every destination, in configuration order.
func (g *Gateway) Destinations() []DestinationState {
	now := g.now()
	out := make([]DestinationState, 0, len(g.cfg.Destinations))
	g.ops.mu.Lock()
	defer g.ops.mu.Unlock()
	for _, dc := range g.cfg.Destinations {
		d := g.dests[dc.Name]
		if d == nil {
			continue
		}
		s := g.ops.calls[dc.Name]
		s.Name, s.Kind, s.Schedule, s.BreakerState = dc.Name, destinationKind(dc), dc.Schedule, d.Breaker(now)
		if !d.Schedule.Now {
			s.NextTick = d.Schedule.Cron.Next(now)
		}
		out = append(out, s)
	}
	return out
}

func destinationKind(dc config.DestinationConfig) string {
	switch {
	case dc.ChorusEDI != nil:
		return "chorus-edi"
	case dc.Chorus != nil:
		return "chorus"
	case dc.PA != nil:
		return "pa"
	}
	return "folder"
}

// Observe tells o of every deposit, tracking call and pause from now on (metrics, alerts),
// besides recording them for Destinations. Call it before Run.
func (g *Gateway) Observe(o delivery.Observer) {
	g.deliver.Observer = observers{g, o}
}

// observers records deposits for Destinations and passes everything on.
type observers struct {
	g    *Gateway
	next delivery.Observer
}

func (o observers) Deposited(dest string, fluxes int, took time.Duration, err error) {
	ops := &o.g.ops
	ops.mu.Lock()
	if ops.calls == nil {
		ops.calls = map[string]DestinationState{}
	}
	s := ops.calls[dest]
	s.LastCall, s.LastCallOK = time.Now(), err == nil
	var hk *folder.HostKeyError
	s.HostKeyRefused = errors.As(err, &hk)
	if err != nil {
		s.LastError = err.Error()
	}
	ops.calls[dest] = s
	ops.mu.Unlock()
	if o.next != nil {
		o.next.Deposited(dest, fluxes, took, err)
	}
}

func (o observers) Tracked(dest string, took time.Duration, err error) {
	if o.next != nil {
		o.next.Tracked(dest, took, err)
	}
}

func (o observers) Paused(dest string, until time.Time, err error) {
	if o.next != nil {
		o.next.Paused(dest, until, err)
	}
}

// Ready says why the gateway is not ready to work, or nil: the journal takes writes, every
// source was listed and answered its latest listing, and no destination is paused.
func (g *Gateway) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var errs []error
	if err := g.journal.Writable(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, s := range g.Sources() {
		switch {
		case !s.Scanned:
			errs = append(errs, fmt.Errorf("source %s: not listed yet", s.Name))
		case !s.Up:
			errs = append(errs, fmt.Errorf("source %s: unreachable since %s: %s", s.Name, s.DownSince.Format(time.RFC3339), s.LastError))
		}
	}
	for _, d := range g.Destinations() {
		if d.Paused() {
			errs = append(errs, fmt.Errorf("destination %s: paused until %s after %d failed rounds: %s", d.Name, d.PausedUntil.Format(time.RFC3339), d.Failures, d.LastError))
		}
	}
	return errors.Join(errs...)
}

// ErrUnknown says that an operator's action names something the gateway does not have.
var ErrUnknown = errors.New("unknown")

// Resume ends the pause of destination name and asks for a deposit round now.
func (g *Gateway) Resume(name string) error {
	d := g.dests[name]
	if d == nil {
		return fmt.Errorf("destination %q: %w", name, ErrUnknown)
	}
	g.log.Info("destination resumed by an operator", "destination", name)
	d.Resume()
	return nil
}

// Requeue puts back in the queue the fluxes of file id that failed or wait out a back-off,
// and asks the runners of their destinations for a round now (ending a pause). Unlike
// Retry it does not deposit itself: the daemon's runners do, one round at a time.
func (g *Gateway) Requeue(ctx context.Context, id int64) (int, error) {
	if _, err := g.journal.File(ctx, id); err != nil {
		return 0, err
	}
	n, err := g.journal.Requeue(ctx, id)
	if err != nil {
		return 0, err
	}
	// The invoices a page at a time: a file of a million invoices is not held for this.
	kicked := map[string]bool{}
	err = g.journal.EachInvoice(ctx, id, func(inv journal.Invoice) error {
		for _, fx := range inv.Fluxes {
			if d := g.dests[fx.Destination]; d != nil && !kicked[fx.Destination] {
				kicked[fx.Destination] = true
				d.Resume()
			}
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	g.log.Info("fluxes requeued by an operator", "file", id, "fluxes", n)
	return n, nil
}

// OpenInput opens the stored copy of file id (in archive/ or error/ of its source), and
// returns its name.
func (g *Gateway) OpenInput(ctx context.Context, id int64) (io.ReadCloser, string, error) {
	f, r, err := g.fileRoute(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if f.State != journal.FileDone || f.StoredName == "" {
		return nil, "", fmt.Errorf("file %d is not stored yet (%s): %w", id, f.State, folder.ErrNotExist)
	}
	rc, err := r.in.Open(ctx, f.StoredName)
	return rc, path.Base(f.Name), err
}

// OpenAck opens the ack of file id as the accounting side reads it, and returns its name.
func (g *Gateway) OpenAck(ctx context.Context, id int64) (io.ReadCloser, string, error) {
	f, r, err := g.fileRoute(ctx, id)
	if err != nil {
		return nil, "", err
	}
	name := ack.Name(f.Name)
	if later, err := g.journal.Superseded(ctx, f.Source, f.Name, f.ID); err != nil {
		return nil, "", err
	} else if later {
		name = ack.SupersededName(f.Name, f.Received, f.ID)
	}
	rc, err := r.acks.Open(ctx, name)
	return rc, path.Base(name), err
}

func (g *Gateway) fileRoute(ctx context.Context, id int64) (journal.File, *route, error) {
	f, err := g.journal.File(ctx, id)
	if err != nil {
		return f, nil, err
	}
	r := g.routeOf(f.Source)
	if r == nil {
		return f, nil, fmt.Errorf("file %d: source %q is no longer configured: %w", id, f.Source, ErrUnknown)
	}
	return f, r, nil
}

// Config is the configuration the gateway runs.
func (g *Gateway) Config() *config.Config { return g.cfg }

// OpenJournalReader opens the journal for reading beside the pipeline (journal.OpenReader).
func (g *Gateway) OpenJournalReader(ctx context.Context) (*journal.Journal, error) {
	if g.cfg.Journal.Driver == journal.DriverPostgres {
		return g.openJournal(ctx, true) // a pool of its own (cluster.go)
	}
	return journal.OpenReader(ctx, g.cfg.Path(g.cfg.Journal.Path))
}
