package deposit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacer is what one destination's calls share: a token-bucket limiter that paces every call
// (token, deposits, tracking), the server's last Retry-After, which holds every call until
// it passes, the policy for trying a failed call again within the round, and an observer
// (the destination's breaker) told how each call ended.
//
// A destination without a Pacer calls at once and never tries a call again by itself.
type Pacer struct {
	limiter *rate.Limiter // nil: calls are not paced

	// Retries is how many more times a call that failed transiently is tried within the
	// round, when trying again cannot do anything twice; RetryBase is the first wait,
	// doubled at each try, with jitter.
	Retries   int
	RetryBase time.Duration
	// MaxHold is the longest Retry-After a call waits out; a longer one ends the call with
	// an error that carries it, and every call of the destination is held until it passes.
	MaxHold time.Duration
	Now     func() time.Time

	mu        sync.Mutex
	holdUntil time.Time
	holdErr   error
	observe   func(error)
}

// Default retry policy of a Pacer.
const (
	DefaultRetries   = 3
	DefaultRetryBase = 500 * time.Millisecond
	DefaultMaxHold   = 10 * time.Second
)

// NewPacer paces calls at perSecond with bursts of burst (unpaced when perSecond <= 0).
func NewPacer(perSecond float64, burst int) *Pacer {
	p := &Pacer{Retries: DefaultRetries, RetryBase: DefaultRetryBase, MaxHold: DefaultMaxHold, Now: time.Now}
	if perSecond > 0 {
		p.limiter = rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
	}
	return p
}

// Observe sets fn to be told how each call ends, after its tries: nil when the server
// answered (a refusal of the flux included), the error when the destination failed.
func (p *Pacer) Observe(fn func(error)) {
	p.mu.Lock()
	p.observe = fn
	p.mu.Unlock()
}

// Paced is implemented by destinations whose calls go through a Pacer (the platform APIs).
type Paced interface {
	SetPacer(*Pacer)
}

// HeldError says that a call was not made because the server asked to wait (Retry-After)
// longer than a call waits: the destination is held until Until.
type HeldError struct {
	Until time.Time
	Err   error // the answer that asked for the wait
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("the platform asked to wait until %s: %v", e.Until.UTC().Format(time.RFC3339), e.Err)
}
func (e *HeldError) Unwrap() error { return e.Err }

// IsHeld reports whether err says that the destination is held by a Retry-After, and until
// when.
func IsHeld(err error) (time.Time, bool) {
	var h *HeldError
	if errors.As(err, &h) {
		return h.Until, true
	}
	return time.Time{}, false
}

// HeldUntil returns until when every call is held by a Retry-After longer than MaxHold, if
// one is.
func (p *Pacer) HeldUntil() (time.Time, bool) {
	if p == nil {
		return time.Time{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := p.holdUntil; until.Sub(p.Now()) > p.MaxHold {
		return until, true
	}
	return time.Time{}, false
}

// hold records a Retry-After of d that err carried.
func (p *Pacer) hold(d time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := p.Now().Add(d); until.After(p.holdUntil) {
		p.holdUntil, p.holdErr = until, err
	}
}

// Wait waits out a short Retry-After and the limiter before one exchange with the server. A
// Retry-After longer than MaxHold returns a HeldError at once.
func (p *Pacer) Wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	until, cause := p.holdUntil, p.holdErr
	p.mu.Unlock()
	if wait := until.Sub(p.Now()); wait > 0 {
		if wait > p.MaxHold {
			return retryAfterError{&HeldError{Until: until, Err: cause}, wait}
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
	if p.limiter == nil {
		return nil
	}
	return p.limiter.Wait(ctx)
}

// stopKey carries, in a context, the channel that asks the round to stop between fluxes.
type stopKey struct{}

// WithStop returns ctx carrying stop: a call in hand finishes its exchange with the server
// but is not tried again once stop is closed.
func WithStop(ctx context.Context, stop <-chan struct{}) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

func stopOf(ctx context.Context) <-chan struct{} {
	s, _ := ctx.Value(stopKey{}).(<-chan struct{})
	return s
}

var errStopped = errors.New("stop asked")

// sleep waits d, or less when ctx ends or a stop is asked.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-stopOf(ctx):
		return errStopped
	}
}

// call runs one call: exchange is one exchange with the server, paced, and tried again up to
// Retries times while it fails transiently and again(err) says that a new try cannot do
// anything twice. The observer hears of the call's outcome once.
func (p *Pacer) call(ctx context.Context, again func(error) bool, exchange func() error) error {
	if p == nil {
		return exchange()
	}
	var err error
	for try := 0; ; try++ {
		if err = p.Wait(ctx); err != nil {
			break // held, cancelled or stopped: no call was made
		}
		err = exchange()
		if after, ok := RetryAfter(err); ok && after > 0 {
			p.hold(after, err)
		}
		if err == nil || IsPermanent(err) || try >= p.Retries || ctx.Err() != nil || !again(err) {
			p.report(ctx, err)
			break
		}
		wait := p.RetryBase << try
		wait = wait/2 + rand.N(wait/2+1)
		if serr := sleep(ctx, wait); serr != nil {
			p.report(ctx, err)
			break // the last failure stands: the flux waits out its back-off
		}
	}
	return err
}

// report tells the observer how a call ended: a refusal is an answer, hence a success of the
// destination; a cancellation says nothing of it.
func (p *Pacer) report(ctx context.Context, err error) {
	if ctx.Err() != nil && err != nil {
		return
	}
	var tokErr tokenError
	if errors.As(err, &tokErr) {
		return // the token call reported itself
	}
	p.mu.Lock()
	fn := p.observe
	p.mu.Unlock()
	if fn == nil {
		return
	}
	if IsPermanent(err) {
		err = nil
	}
	fn(err)
}

// notSent reports whether err shows that the server did not take the request in: refused
// before the connection was made, or answered 429 (too many requests). Such a request can be
// sent again even when it is not idempotent.
func notSent(err error) bool {
	if isStatus(err, 429) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// tokenError marks an error of the token call inside another call: the token call was tried
// and reported on its own.
type tokenError struct{ err error }

func (e tokenError) Error() string { return e.err.Error() }
func (e tokenError) Unwrap() error { return e.err }

// SetPacer makes every call of the PA go through p.
func (p *PA) SetPacer(pc *Pacer) { p.api.setPacer(pc) }

// SetPacer makes every call of Chorus Pro go through p. Its searches and reports are
// queries, tried again when they fail; a deposit is not (its outcome may be unknown).
func (c *Chorus) SetPacer(p *Pacer) {
	c.api.setPacer(p)
	c.api.queries = map[string]bool{chorusSearch: true, chorusCRDetail: true, chorusHistory: true}
}
