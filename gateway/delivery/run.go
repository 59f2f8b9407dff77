package delivery

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
)

// Run deposits on d's schedule until stop is closed: at each cron tick, at once when a file
// was processed for a "now" destination, and when a back-off, a pause or a platform's
// Retry-After ends, whatever the schedule: a nightly batch that met a server down does not
// wait a day. A platform is tracked on a ticker of its own, so that frequent wake-ups never
// postpone it. On a stop the flux in hand is finished under ctx, which ends when the stop's
// grace period (shutdown_timeout) is over; tracking, which only reads, stops at once.
func (g *Deliverer) Run(ctx context.Context, stop <-chan struct{}, d *Destination) {
	g.restore(ctx, d)
	var wg sync.WaitGroup
	defer wg.Wait()
	if _, ok := d.Destination.(deposit.Tracker); ok {
		wg.Go(func() { g.trackLoop(ctx, stop, d) })
		d.kickTracking() // what platforms said while the gateway was down
	}
	timer := time.NewTimer(0)
	timer.Stop() // no value is left behind by Stop or Reset (Go 1.23 timers)
	defer timer.Stop()
	for {
		now := g.Now()
		var wake time.Time
		if !d.Schedule.Now {
			wake = d.Schedule.Cron.Next(now)
		}
		if at, ok, err := g.Journal.NextAttempt(ctx, d.Name()); err == nil && ok && (wake.IsZero() || at.Before(wake)) {
			wake = at
		}
		if ok, until := d.breaker.allow(now, false); !ok && (wake.IsZero() || until.After(wake)) {
			wake = until // a back-off due during a pause waits for its end
		}
		if g.Leader != nil && (wake.IsZero() || wake.Sub(now) > sweepEvery) {
			// Among several instances: a look now and then, for the work of one that died
			// (its leases run out) and for the lead this one may have been given.
			wake = now.Add(sweepEvery)
		}
		var timerC <-chan time.Time
		if !wake.IsZero() {
			timer.Reset(max(wake.Sub(now), 0))
			timerC = timer.C
		}
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-d.kick:
		case <-timerC:
		}
		timer.Stop()
		if !d.Schedule.Now && !g.leads() {
			continue // the scheduler, another instance, runs the windows
		}
		if err := g.Round(ctx, stop, d, false); err != nil && !errors.Is(err, ErrBreakerOpen) {
			g.Log.Warn("deposit round ended with failures; the fluxes concerned wait out their back-off", "destination", d.Name(), "err", err)
		}
	}
}

// sweepEvery is how often an instance among several looks for work left by another.
const sweepEvery = 15 * time.Second

// trackLoop tracks d every TrackEvery, and TrackDelay after a round deposited something,
// until stop.
func (g *Deliverer) trackLoop(ctx context.Context, stop <-chan struct{}, d *Destination) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel() // tracking only reads: nothing is half-done when it is cut
		case <-ctx.Done():
		}
	}()
	ticker := time.NewTicker(d.TrackEvery)
	defer ticker.Stop()
	var soon <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.trackSoon:
			if soon == nil {
				soon = time.After(d.TrackDelay)
			}
			continue
		case <-soon:
			soon = nil
		case <-ticker.C:
		}
		if !g.leads() {
			continue // the scheduler tracks
		}
		if err := g.Track(ctx, d); err != nil && ctx.Err() == nil {
			g.Log.Warn("platform statuses not all read; asking again later", "destination", d.Name(), "err", err)
		}
		g.settle(context.WithoutCancel(ctx), d)
	}
}

// restore reopens the breaker as a previous run left it (the journal says "paused until T"),
// so that a restart does not hammer a destination that was paused.
func (g *Deliverer) restore(ctx context.Context, d *Destination) {
	states, err := g.Journal.DestinationStates(ctx)
	if err != nil {
		g.Log.Warn("destination state not read", "destination", d.Name(), "err", err)
		return
	}
	if s := states[d.Name()]; s.Paused(g.Now()) {
		d.breaker.restore(s.PausedUntil, s.PauseReason)
		g.Log.Info("destination still paused after repeated failures", "destination", d.Name(), "until", s.PausedUntil)
	}
}
