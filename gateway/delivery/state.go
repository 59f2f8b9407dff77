package delivery

import (
	"time"
)

// Observer is told how deposit rounds and platform tracking go, for metrics and alerts. It
// is called on the delivery's goroutines and must return at once (never wait on a network).
type Observer interface {
	// Deposited is told each deposit call: how many fluxes it carried, how long it took,
	// and its error (nil when deposited).
	Deposited(destination string, fluxes int, took time.Duration, err error)
	// Tracked is told each call asking a platform what became of deposited fluxes.
	Tracked(destination string, took time.Duration, err error)
	// Paused is told when the breaker pauses a destination after repeated failures.
	Paused(destination string, until time.Time, err error)
}

type nopObserver struct{}

func (nopObserver) Deposited(string, int, time.Duration, error) {}
func (nopObserver) Tracked(string, time.Duration, error)        {}
func (nopObserver) Paused(string, time.Time, error)             {}

func (g *Deliverer) observer() Observer {
	if g.Observer == nil {
		return nopObserver{}
	}
	return g.Observer
}

// BreakerState is a destination's breaker, for the status pages and readiness.
type BreakerState struct {
	Failures    int       // consecutive failed rounds
	PausedUntil time.Time // when the pause ends; zero when the destination is not paused
}

// Breaker returns the state of d's breaker at now.
func (d *Destination) Breaker(now time.Time) BreakerState {
	d.breaker.mu.Lock()
	defer d.breaker.mu.Unlock()
	s := BreakerState{Failures: d.breaker.failures}
	if now.Before(d.breaker.openUntil) {
		s.PausedUntil = d.breaker.openUntil
	}
	return s
}

// Resume ends a pause before its time (an operator fixed the destination) and asks for a
// deposit round now. The failures counted so far are forgotten: a new failure does not
// pause again at once.
func (d *Destination) Resume() {
	d.breaker.success()
	d.Kick()
}
