package delivery

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
)

// Circuit breaker of a destination: it opens after BreakerThreshold consecutive failed calls
// (calls, not rounds: a round of many fluxes that meets a few failures goes on), for a
// cool-down that doubles while the failures go on, up to breakerMax.
const (
	BreakerThreshold = 5
	breakerCooldown  = 5 * time.Minute
	breakerMax       = time.Hour
)

// ErrBreakerOpen says a round was skipped because its destination is paused.
var ErrBreakerOpen = errors.New("destination paused after repeated failures")

// breaker stops deposit rounds to a destination whose calls keep failing. Once its
// cool-down is over it is half-open: a round may start, and its first call is the probe. A
// call that succeeds closes it at any time (a tracking call too); a probe that fails opens
// it again for longer.
type breaker struct {
	mu        sync.Mutex
	failures  int       // consecutive failed calls
	openUntil time.Time // open before it; half-open from it until a call ends
	opened    int       // openings since the last success: the cool-down doubles with each
	lastErr   string    // the latest failure, said with the pause
	probing   bool      // half-open: a round was let through to probe
	trip      bool      // the failures call for opening (done by settle, which knows the time)
	changed   bool      // opened or closed since the journal last heard of it
}

// allow reports whether a round may run at now, or until when the breaker stays open. With
// force (run --once, fluxgate retry) an open breaker lets the round probe.
func (b *breaker) allow(now time.Time, force bool) (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.openUntil.IsZero() {
		return true, time.Time{}
	}
	if now.Before(b.openUntil) && !force {
		return false, b.openUntil
	}
	b.probing = true
	return true, time.Time{}
}

// success records a call the destination answered: the breaker closes.
func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.openUntil.IsZero() || b.trip {
		b.changed = true
	}
	b.failures, b.openUntil, b.opened, b.probing, b.trip = 0, time.Time{}, 0, false, false
}

// failure records a failed call; the breaker opens (at the next settle) once the
// consecutive failures reach the threshold, or at once when a probe failed.
func (b *breaker) failure(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if err != nil {
		b.lastErr = err.Error()
	}
	if b.probing || (b.openUntil.IsZero() && b.failures >= BreakerThreshold) {
		b.trip = true
	}
}

// settle opens the breaker at now when the failures called for it, and reports a change the
// journal has not heard of: whether it is open, until when, and why.
func (b *breaker) settle(now time.Time) (changed, open bool, until time.Time, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.trip {
		cool := breakerCooldown
		for i := 0; i < b.opened && cool < breakerMax; i++ {
			cool *= 2
		}
		b.openUntil = now.Add(min(cool, breakerMax))
		b.opened++
		b.trip, b.probing, b.changed = false, false, true
	}
	changed, b.changed = b.changed, false
	return changed, !b.openUntil.IsZero(), b.openUntil, b.lastErr
}

// restore reopens the breaker until until, as the journal says a previous run left it.
func (b *breaker) restore(until time.Time, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.openUntil, b.opened, b.lastErr, b.failures = until, 1, reason, BreakerThreshold
}

// callDone is told how each call to d ended: nil when the destination answered (a refusal
// of the flux included), the error when it failed.
func (d *Destination) callDone(err error) {
	switch {
	case err == nil || deposit.IsPermanent(err):
		d.breaker.success()
	case errors.Is(err, context.Canceled):
		// a stop cut it: that says nothing of the destination
	default:
		d.breaker.failure(err)
	}
}

// settle writes what the breaker did since it last did into the journal, the log and the
// acks of the files waiting for d: "paused until T", or resumed.
func (g *Deliverer) settle(ctx context.Context, d *Destination) {
	changed, open, until, reason := d.breaker.settle(g.Now())
	if !changed {
		return
	}
	if open {
		g.Log.Warn("destination paused after repeated failures; deposits resume at the end of the pause, or as soon as a call succeeds",
			"destination", d.Name(), "until", until, "failures", BreakerThreshold, "err", reason)
		g.observer().Paused(d.Name(), until, errors.New(reason))
	} else {
		g.Log.Info("destination resumed: a call succeeded", "destination", d.Name())
		until, reason = time.Time{}, ""
	}
	files, err := g.Journal.SetPause(ctx, d.Name(), until, reason)
	if err != nil {
		g.Log.Error("pause of the destination not recorded", "destination", d.Name(), "err", err)
		return
	}
	g.rewriteAcks(ctx, files)
}

// rewriteAcks rewrites the acks of files (their journal marked them stale first, so that a
// crash before the rewrite is caught up at the start).
func (g *Deliverer) rewriteAcks(ctx context.Context, files []int64) {
	if g.WriteAcks != nil && len(files) > 1 {
		if err := g.WriteAcks(ctx, files); err != nil {
			g.Log.Error("acks not all rewritten", "files", len(files), "err", err)
		}
		return
	}
	for _, id := range files {
		if err := g.WriteAck(ctx, id); err != nil {
			g.Log.Error("ack not rewritten", "file", id, "err", err)
		}
	}
}
