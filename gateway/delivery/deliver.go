// Package delivery deposits spooled flux files on their destinations' schedules: deposit
// rounds, back-off of transient failures, the per-destination breaker, and the tracking of
// what platforms later say of deposited invoices. The journal is its only state: every
// deposit is recorded as started before it is sent.
package delivery

import (
	"cmp"
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

// Destination is a deposit target with its schedule, its breaker and its pacer.
type Destination struct {
	deposit.Destination
	Config   config.DestinationConfig
	Schedule config.Schedule
	// TrackEvery is the period of the tracking rounds of a platform; TrackDelay how long
	// after a deposit a first tracking round asks about it.
	TrackEvery, TrackDelay time.Duration
	kick                   chan struct{} // asks the runner of a "now" destination to deposit
	trackSoon              chan struct{} // asks the tracker for a round TrackDelay from now
	breaker                breaker
	round                  sync.Mutex    // one deposit round at a time: the runner's, or an operator's
	removing               chan struct{} // closed once the last group's spool files are removed (group.go); under round
	// pacer paces the calls (nil: unpaced); paced says that the destination makes its calls
	// through it (a platform API), which then tells the breaker of each call.
	pacer *deposit.Pacer
	paced bool
}

// trackDelay is how long after a deposit its first tracking round comes: platforms take a
// moment to say anything.
const trackDelay = 30 * time.Second

// NewDestination wraps d with its configuration and schedule, and gives it its pacer: every
// call to a platform API goes through one limiter at the configured rate.
func NewDestination(d deposit.Destination, cfg config.DestinationConfig, schedule config.Schedule) *Destination {
	dest := &Destination{Destination: d, Config: cfg, Schedule: schedule, kick: make(chan struct{}, 1), trackSoon: make(chan struct{}, 1),
		TrackEvery: cfg.TrackEvery(), TrackDelay: trackDelay}
	if _, ok := d.(deposit.Tracker); ok && dest.TrackEvery <= 0 {
		dest.TrackEvery = config.DefaultTrackEvery
	}
	p, paced := d.(deposit.Paced)
	if cfg.Rate != nil || paced {
		var perSecond float64
		var burst int
		if cfg.Rate != nil {
			perSecond, burst = cfg.Rate.PerSecond, cfg.Rate.Burst
		}
		dest.pacer = deposit.NewPacer(perSecond, burst)
	}
	if paced {
		p.SetPacer(dest.pacer)
		dest.pacer.Observe(dest.callDone)
		dest.paced = true
	}
	return dest
}

// Pacer is the pacer of d's calls, nil when they are not paced.
func (d *Destination) Pacer() *deposit.Pacer { return d.pacer }

// kickTracking asks the tracker of d for a round shortly.
func (d *Destination) kickTracking() {
	select {
	case d.trackSoon <- struct{}{}:
	default:
	}
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
	// WriteAcks, when set, rewrites the acks of several files at once, as after a round's
	// deposits: cheaper than WriteAck on each.
	WriteAcks func(ctx context.Context, fileIDs []int64) error
	// Observer, when set, is told of deposits, tracking and pauses (state.go).
	Observer Observer
	// Among several instances on one journal (gateway/cluster.go): Leader says whether
	// this one is the scheduler, which alone runs the cron windows, the reconciliation of
	// uncertain deposits and the tracking; Lease is how long it holds the fluxes it
	// deposits. A nil Leader is a lone gateway: it does everything.
	Leader func() bool
	Lease  time.Duration
	// Page is how many fluxes a round takes from the journal at once (0: 1,024).
	Page int
}

// leads says whether this gateway runs the schedules (a lone one always does).
func (g *Deliverer) leads() bool { return g.Leader == nil || g.Leader() }

// leaseUntil is when the fluxes this instance leases now are free for another.
func (g *Deliverer) leaseUntil() time.Time {
	if g.Lease <= 0 {
		return g.Now().Add(2 * time.Minute)
	}
	return g.Now().Add(g.Lease)
}

// Retry policy for transient deposit failures: capped exponential back-off with jitter per
// flux (the breaker of the destination is in breaker.go).
const (
	RetryBase = 30 * time.Second
	retryMax  = 30 * time.Minute
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

// Deliver is Round with one context: its end stops the round between fluxes and cuts the
// flux in hand.
func (g *Deliverer) Deliver(ctx context.Context, d *Destination, force bool) error {
	return g.Round(ctx, ctx.Done(), d, force)
}

// Round deposits every flux due for d, oldest first, one deposit at a time. A transient
// failure of one flux does not stop it: that flux waits out its own back-off and the others
// go on (a platform's call was tried again within the round already). The round stops early
//   - when the breaker opens (BreakerThreshold consecutive failed calls): "paused until T";
//   - when the platform asked to wait (Retry-After) longer than a call waits: the others
//     wait behind the retry of the flux that was told so;
//   - when stop is closed: the flux in hand is finished, under ctx (which a stop's grace
//     period bounds), and the rest stays queued for the next start.
//
// A permanent failure is recorded against its flux and the round goes on. With force (run
// --once, fluxgate retry) back-offs are ignored and a paused destination gets a probe. It
// returns an error when some flux failed transiently or the round could not run.
func (g *Deliverer) Round(ctx context.Context, stop <-chan struct{}, d *Destination, force bool) error {
	d.round.Lock() // two rounds at once could send a flux twice to a platform
	defer d.round.Unlock()
	defer d.spoolRemoved()
	now := g.Now()
	due := now
	if force {
		due = time.Time{}
	}
	if ok, until := d.breaker.allow(now, force); !ok {
		return fmt.Errorf("%w, until %s", ErrBreakerOpen, until.Format(time.RFC3339))
	}
	// Deposits of unknown outcome first: what a stopped run left in flight is never sent
	// again blindly, and what the platform shows by now is settled (reconcile.go).
	if g.leads() {
		if err := g.Reconcile(ctx, d, force); err != nil {
			return err
		}
	}
	ctx = deposit.WithStop(ctx, stop)
	// Each file's ack is rewritten once its fluxes of this round are done, not after each
	// flux; a crash in between leaves the ack marked stale, and the start catches it up.
	pending := map[int64]bool{}
	flush := func(keep map[int64]bool) {
		var done []int64
		for id := range pending {
			if !keep[id] {
				done = append(done, id)
				delete(pending, id)
			}
		}
		g.rewriteAcks(ctx, done)
	}
	defer flush(nil)
	defer g.settle(ctx, d)
	var failed, deposited, sent int
	var lastErr error
	var heldBy string // the flux whose deposit the platform asked to retry later
	defer func() {
		if deposited > 0 {
			d.kickTracking()
		}
	}()
	// A page of fluxes at a time, each page after the last: the round's memory does not grow
	// with the queue, and a flux that failed in this round is not taken again in it.
	var after int64
	page := cmp.Or(g.Page, defaultPage)
	for {
		// Leased, among several instances: no other deposits these until the lease runs out.
		fluxes, err := g.Journal.LeaseDeliverablePage(ctx, d.Name(), due, g.leaseUntil(), after, page)
		if err != nil {
			return err
		}
		if len(fluxes) == 0 {
			break
		}
		after = fluxes[len(fluxes)-1].ID
		units := depositUnits(d, fluxes)
		for i, unit := range units {
			if stopped(stop) || ctx.Err() != nil {
				g.Log.Info("deposit round stopped between fluxes; the others stay queued", "destination", d.Name(),
					"deposited", deposited, "left in this page", len(units)-i)
				return roundErr(failed, d, lastErr)
			}
			g.settle(ctx, d)
			if ok, until := d.breaker.allow(g.Now(), false); !ok && sent > 0 {
				return fmt.Errorf("%w, until %s; the last failure: %w", ErrBreakerOpen, until.Format(time.RFC3339), lastErr)
			}
			if until, held := d.pacer.HeldUntil(); held {
				return g.hold(ctx, d, until, heldBy, lastErr)
			}
			// Right before the send the lease is renewed: an instance cut off from the journal
			// for longer than its lease, whose fluxes another took over, does not send them.
			if unit, err = g.stillHeld(ctx, unit); err != nil {
				return fmt.Errorf("deposit round of %s stopped: %w", d.Name(), err)
			}
			if len(unit) == 0 {
				continue
			}
			files := map[int64]bool{}
			for _, fx := range unit {
				files[fx.FileID] = true
			}
			flush(files)
			if !d.paced {
				if err := d.pacer.Wait(ctx); err != nil {
					return roundErr(failed, d, lastErr)
				}
			}
			sent++
			if b, ok := d.Destination.(deposit.Batcher); ok && len(unit) > 1 {
				err = g.depositBatch(ctx, d, b, unit)
			} else if gr, ok := d.Destination.(deposit.Grouper); ok && len(unit) > 1 {
				err = g.depositGroup(ctx, d, gr, unit) // group.go
			} else {
				err = g.depositOne(ctx, d, unit[0])
			}
			if !d.paced {
				d.callDone(err) // each deposit is a call of a folder destination
			}
			for id := range files {
				pending[id] = true
			}
			switch {
			case err == nil:
				deposited += len(unit)
			case deposit.IsPermanent(err):
			default:
				failed, lastErr = failed+1, err
				if _, ok := deposit.RetryAfter(err); ok {
					heldBy = unit[0].FinalName
				}
			}
		}
		if len(fluxes) < page {
			break
		}
	}
	return roundErr(failed, d, lastErr)
}

// defaultPage is how many fluxes a deposit round takes from the journal at once.
const defaultPage = 1024

// roundErr is what a round returns after its deposits: an error when some failed
// transiently.
func roundErr(failed int, d *Destination, lastErr error) error {
	if failed > 0 {
		return fmt.Errorf("%d deposit(s) to %s failed and wait out their back-off; the last: %w", failed, d.Name(), lastErr)
	}
	return nil
}

// stillHeld renews this instance's lease of unit's fluxes and returns those it still holds.
func (g *Deliverer) stillHeld(ctx context.Context, unit []journal.Flux) ([]journal.Flux, error) {
	ids := make([]int64, len(unit))
	for i, fx := range unit {
		ids[i] = fx.ID
	}
	held, err := g.Journal.RenewLease(ctx, ids, g.leaseUntil())
	if err != nil {
		return nil, err
	}
	out := unit[:0:0]
	for _, fx := range unit {
		if held[fx.ID] {
			out = append(out, fx)
		} else {
			g.Log.Warn("flux left to another instance: its lease ran out", "flux", fx.ID, "name", fx.FinalName)
		}
	}
	return out, nil
}

// ErrHeld says that a round stopped because the platform asked to wait (Retry-After).
var ErrHeld = errors.New("the platform asked to wait")

// hold records that d's fluxes wait until until behind the retry of the flux named by (""
// when a tracking call was told to wait), rewrites their acks, and returns why the round
// stopped.
func (g *Deliverer) hold(ctx context.Context, d *Destination, until time.Time, by string, cause error) error {
	reason := ""
	if cause != nil {
		reason = cause.Error()
	}
	g.Log.Warn("the platform asked to wait; the other fluxes wait behind that retry", "destination", d.Name(), "until", until, "flux", by, "err", reason)
	files, err := g.Journal.SetHold(ctx, d.Name(), until, by, reason)
	if err != nil {
		return errors.Join(fmt.Errorf("%w until %s", ErrHeld, until.Format(time.RFC3339)), err)
	}
	g.rewriteAcks(ctx, files)
	return fmt.Errorf("%w until %s (retry of %s)", ErrHeld, until.Format(time.RFC3339), by)
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// depositUnits splits the fluxes of a round into what goes in one deposit: one flux each,
// or, for a platform that takes several invoices per deposit, up to its batch size of one
// syntax, in queue order; or, for a destination that makes several deposits durable
// together (deposit.Grouper: a folder), up to its group size of any syntax, unless a rate
// paces each of its deposits.
func depositUnits(d *Destination, fluxes []journal.Flux) [][]journal.Flux {
	size, bySyntax := 1, true
	if b, ok := d.Destination.(deposit.Batcher); ok {
		size = max(b.BatchSize(), 1)
	} else if gr, ok := d.Destination.(deposit.Grouper); ok && d.pacer == nil {
		size, bySyntax = max(gr.GroupSize(), 1), false
	}
	var units [][]journal.Flux
	open := map[string]int{} // syntax → index of its unit being filled
	for _, fx := range fluxes {
		key := fx.Syntax
		if !bySyntax {
			key = ""
		}
		i, ok := open[key]
		if !ok || len(units[i]) >= size {
			units = append(units, nil)
			i = len(units) - 1
			open[key] = i
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
	rc, reconciles := reconciler(d)
	for _, fx := range unit {
		if fx.State == journal.FluxDepositing && reconciles {
			// Left in flight by a stopped run: asked for, never sent again blindly.
			if err := g.markUncertain(ctx, d, rc, []journal.Flux{fx}, errLeftInFlight, true); err != nil {
				return err
			}
			continue
		}
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
	if err != nil && deposit.IsUncertain(err) && reconciles {
		return g.depositUncertain(ctx, d, rc, sent, err) // the whole batch may be there
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
// destination's idempotent Deposit finds it instead of sending it twice — or, on a
// platform whose deposits are not idempotent (a Reconciler), so that it becomes uncertain
// and is looked for before anything is sent again.
func (g *Deliverer) depositOne(ctx context.Context, d *Destination, fx journal.Flux) error {
	rc, reconciles := reconciler(d)
	if fx.State == journal.FluxDepositing && reconciles {
		return g.markUncertain(ctx, d, rc, []journal.Flux{fx}, errLeftInFlight, true)
	}
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
	if err != nil && deposit.IsUncertain(err) && reconciles {
		return g.depositUncertain(ctx, d, rc, []journal.Flux{fx}, err)
	}
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
