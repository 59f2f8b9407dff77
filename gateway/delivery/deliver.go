// Package delivery deposits spooled flux files on their destinations' schedules: deposit
// rounds, back-off of transient failures, the per-destination breaker, and the tracking of
// what platforms later say of deposited invoices. The journal is its only state: every
// deposit is recorded as started before it is sent.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"github.com/fluxgate/fluxgate/gateway/config"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// Destination is a deposit target with its schedule and its breaker.
type Destination struct {
	deposit.Destination
	Config   config.DestinationConfig
	Schedule config.Schedule
	kick     chan struct{} // asks the runner of a "now" destination to deposit
	breaker  breaker
	round    sync.Mutex // one deposit round at a time: the runner's, or an operator's
}

// NewDestination wraps d with its configuration and schedule.
func NewDestination(d deposit.Destination, cfg config.DestinationConfig, schedule config.Schedule) *Destination {
	return &Destination{Destination: d, Config: cfg, Schedule: schedule, kick: make(chan struct{}, 1)}
}

// Kick asks Run to deposit now; a kick already pending is enough.
func (d *Destination) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Deliverer deposits the spooled fluxes of the journal and follows them on platforms.
type Deliverer struct {
	Journal *journal.Journal
	Spool   folder.Folder // where flux files wait for their deposit
	Log     *slog.Logger
	Now     func() time.Time
	// WriteAck rewrites the ack of a file whose fluxes changed, from the journal.
	WriteAck func(ctx context.Context, fileID int64) error
	// Observer, when set, is told of deposits, tracking and pauses (state.go).
	Observer Observer
}

// Retry policy for transient deposit failures: capped exponential back-off with jitter per
// flux, and a circuit breaker per destination that pauses after repeated failures.
const (
	RetryBase        = 30 * time.Second
	retryMax         = 30 * time.Minute
	breakerThreshold = 5 // consecutive failed rounds before the breaker opens
	breakerCooldown  = 5 * time.Minute
	breakerMax       = time.Hour
)

// backoff returns how long to wait before attempt n+1 after n failed attempts: doubling
// from RetryBase, capped at retryMax, with jitter so that many fluxes do not retry at once.
func backoff(n int) time.Duration {
	d := RetryBase
	for i := 1; i < n && d < retryMax; i++ {
		d *= 2
	}
	d = min(d, retryMax)
	return d/2 + rand.N(d/2+1)
}

// breaker stops deposit rounds to a destination that keeps failing, and lets one through
// again after a cool-down that grows while failures go on.
type breaker struct {
	mu        sync.Mutex
	failures  int
	openUntil time.Time
}

// allow reports whether a round may run at now, or until when the breaker stays open.
func (b *breaker) allow(now time.Time) (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !now.Before(b.openUntil), b.openUntil
}

func (b *breaker) success() {
	b.mu.Lock()
	b.failures, b.openUntil = 0, time.Time{}
	b.mu.Unlock()
}

// failure counts a failed round and opens the breaker at the threshold.
func (b *breaker) failure(now time.Time) (opened bool, until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.failures < breakerThreshold {
		return false, time.Time{}
	}
	cool := breakerCooldown
	for i := breakerThreshold; i < b.failures && cool < breakerMax; i++ {
		cool *= 2
	}
	b.openUntil = now.Add(min(cool, breakerMax))
	return true, b.openUntil
}

// ErrBreakerOpen says a round was skipped because its destination is paused.
var ErrBreakerOpen = errors.New("destination paused after repeated failures")

// Deliver deposits every flux due for d, oldest first. It stops at the first transient
// failure (the destination is likely down; the flux waits out its back-off) and returns
// it; a permanent failure is recorded against its flux and the round goes on. With force
// (run --once, fluxgate retry) back-offs and the breaker are ignored.
func (g *Deliverer) Deliver(ctx context.Context, d *Destination, force bool) error {
	d.round.Lock() // two rounds at once could send a flux twice to a platform
	defer d.round.Unlock()
	now := g.Now()
	due := now
	if force {
		due = time.Time{}
	} else if ok, until := d.breaker.allow(now); !ok {
		return fmt.Errorf("%w, until %s", ErrBreakerOpen, until.Format(time.RFC3339))
	}
	fluxes, err := g.Journal.Deliverable(ctx, d.Name(), due)
	if err != nil {
		return err
	}
	// Each file's ack is rewritten once its fluxes of this round are done, not after each
	// flux; a crash in between leaves the ack marked stale, and the start catches it up.
	pending := map[int64]bool{}
	flush := func(keep map[int64]bool) {
		for id := range pending {
			if keep[id] {
				continue
			}
			if err := g.WriteAck(ctx, id); err != nil {
				g.Log.Error("ack not rewritten", "file", id, "err", err)
			}
			delete(pending, id)
		}
	}
	defer flush(nil)
	for _, unit := range depositUnits(d, fluxes) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		files := map[int64]bool{}
		for _, fx := range unit {
			if id, err := g.Journal.FileOfFlux(ctx, fx.ID); err == nil {
				files[id] = true
			}
		}
		flush(files)
		var err error
		if b, ok := d.Destination.(deposit.Batcher); ok && len(unit) > 1 {
			err = g.depositBatch(ctx, d, b, unit)
		} else {
			err = g.depositOne(ctx, d, unit[0])
		}
		for id := range files {
			pending[id] = true
		}
		switch {
		case err == nil:
			d.breaker.success()
		case deposit.IsPermanent(err):
		default:
			if opened, until := d.breaker.failure(g.Now()); opened {
				g.Log.Warn("destination paused after repeated failures", "destination", d.Name(), "until", until)
				g.observer().Paused(d.Name(), until, err)
			}
			return err
		}
	}
	return nil
}

// depositUnits splits the fluxes of a round into what goes in one deposit: one flux each,
// or, for a platform that takes several invoices per deposit, up to its batch size of one
// syntax, in queue order.
func depositUnits(d *Destination, fluxes []journal.Flux) [][]journal.Flux {
	size := 1
	if b, ok := d.Destination.(deposit.Batcher); ok {
		size = max(b.BatchSize(), 1)
	}
	var units [][]journal.Flux
	open := map[string]int{} // syntax → index of its unit being filled
	for _, fx := range fluxes {
		i, ok := open[fx.Syntax]
		if !ok || len(units[i]) >= size {
			units = append(units, nil)
			i = len(units) - 1
			open[fx.Syntax] = i
		}
		units[i] = append(units[i], fx)
	}
	return units
}

// depositBatch deposits several fluxes as one deposit. It is all or nothing, as the
// platform's batch is: each flux is recorded depositing first, then all deposited or all
// failed.
func (g *Deliverer) depositBatch(ctx context.Context, d *Destination, b deposit.Batcher, unit []journal.Flux) error {
	var fluxes []deposit.Flux
	var sent []journal.Flux
	for _, fx := range unit {
		data, err := folder.ReadAll(ctx, g.Spool, fx.SpoolName)
		if err != nil {
			if errors.Is(err, folder.ErrNotExist) {
				err = deposit.Permanent(fmt.Errorf("the spooled flux %s is missing; process the source file again", fx.SpoolName))
			}
			g.depositFailed(ctx, fx, err)
			continue
		}
		fluxes = append(fluxes, deposit.Flux{Name: fx.FinalName, Syntax: fx.Syntax, Invoice: fx.Invoice, Data: data, SHA256: fx.SHA256})
		sent = append(sent, fx)
	}
	for _, fx := range sent {
		if err := g.Journal.StartDeposit(ctx, fx.ID); err != nil {
			return err
		}
	}
	if len(sent) == 0 {
		return nil
	}
	start := time.Now()
	receipts, err := b.DepositBatch(ctx, fluxes)
	g.observer().Deposited(d.Name(), len(fluxes), time.Since(start), err)
	if err == nil && len(receipts) != len(sent) {
		err = fmt.Errorf("the destination answered %d receipts for %d fluxes", len(receipts), len(sent))
	}
	if err != nil {
		for _, fx := range sent {
			fx.Attempts++
			g.depositFailed(ctx, fx, err)
		}
		return err
	}
	_, tracked := d.Destination.(deposit.Tracker)
	for i, fx := range sent {
		if err := g.Journal.Deposited(ctx, fx.ID, receipts[i].ID, tracked); err != nil {
			return err
		}
		if err := g.Spool.Remove(ctx, fx.SpoolName); err != nil && !errors.Is(err, folder.ErrNotExist) {
			g.Log.Warn("spool file not removed", "file", fx.SpoolName, "err", err)
		}
	}
	g.Log.Info("batch deposited", "destination", d.Name(), "fluxes", len(sent), "receipt", receipts[0].ID)
	return nil
}

// depositOne deposits one flux: recorded as depositing first, so that after a crash the
// destination's idempotent Deposit finds it instead of sending it twice.
func (g *Deliverer) depositOne(ctx context.Context, d *Destination, fx journal.Flux) error {
	data, err := folder.ReadAll(ctx, g.Spool, fx.SpoolName)
	if errors.Is(err, folder.ErrNotExist) {
		err = deposit.Permanent(fmt.Errorf("the spooled flux %s is missing; process the source file again", fx.SpoolName))
		return g.depositFailed(ctx, fx, err)
	}
	if err != nil {
		return g.depositFailed(ctx, fx, err)
	}
	if err := g.Journal.StartDeposit(ctx, fx.ID); err != nil {
		return err
	}
	start := time.Now()
	receipt, err := d.Deposit(ctx, deposit.Flux{Name: fx.FinalName, Syntax: fx.Syntax, Invoice: fx.Invoice, Data: data, SHA256: fx.SHA256})
	g.observer().Deposited(d.Name(), 1, time.Since(start), err)
	if err != nil {
		fx.Attempts++
		return g.depositFailed(ctx, fx, err)
	}
	_, tracked := d.Destination.(deposit.Tracker)
	if err := g.Journal.Deposited(ctx, fx.ID, receipt.ID, tracked); err != nil {
		return err
	}
	g.Log.Info("flux deposited", "destination", d.Name(), "flux", fx.FinalName, "already_there", receipt.AlreadyThere)
	if err := g.Spool.Remove(ctx, fx.SpoolName); err != nil && !errors.Is(err, folder.ErrNotExist) {
		g.Log.Warn("spool file not removed", "file", fx.SpoolName, "err", err)
	}
	return nil
}

func (g *Deliverer) depositFailed(ctx context.Context, fx journal.Flux, err error) error {
	permanent := deposit.IsPermanent(err)
	var next time.Time
	if !permanent {
		wait := backoff(max(fx.Attempts, 1))
		if after, ok := deposit.RetryAfter(err); ok && after > wait {
			wait = after // the platform said when (HTTP 429/503 Retry-After)
		}
		next = g.Now().Add(wait)
	}
	g.Log.Warn("deposit failed", "destination", fx.Destination, "flux", fx.FinalName, "permanent", permanent, "next_attempt", next, "err", err)
	if jerr := g.Journal.DepositFailed(ctx, fx.ID, err.Error(), permanent, next); jerr != nil {
		return errors.Join(err, jerr)
	}
	return err
}

// Run deposits on d's schedule until ctx is done: at each cron tick, at once when
// a file was processed for a "now" destination, and when a back-off or a paused breaker
// ends, whatever the schedule: a nightly batch that met a server down does not wait a day.
func (g *Deliverer) Run(ctx context.Context, d *Destination) {
	for {
		now := g.Now()
		var wake time.Time
		if !d.Schedule.Now {
			wake = d.Schedule.Cron.Next(now)
		}
		if at, ok, err := g.Journal.NextAttempt(ctx, d.Name()); err == nil && ok && (wake.IsZero() || at.Before(wake)) {
			wake = at
		}
		if ok, until := d.breaker.allow(now); !ok && (wake.IsZero() || until.After(wake)) {
			wake = until
		}
		var timer, trackTick <-chan time.Time
		if !wake.IsZero() {
			timer = time.After(max(wake.Sub(now), 0))
		}
		if _, ok := d.Destination.(deposit.Tracker); ok {
			trackTick = time.After(trackEvery)
		}
		select {
		case <-ctx.Done():
			return
		case <-trackTick:
			if err := g.Track(ctx, d); err != nil {
				g.Log.Warn("platform statuses not all read; asking again later", "destination", d.Name(), "err", err)
			}
			continue
		case <-d.kick:
		case <-timer:
		}
		// The round in hand is finished even when a stop is asked: a deposit is never cut.
		if err := g.Deliver(context.WithoutCancel(ctx), d, false); err != nil && !errors.Is(err, ErrBreakerOpen) {
			g.Log.Warn("deposit round stopped; the fluxes wait out their back-off", "destination", d.Name(), "err", err)
		}
	}
}
