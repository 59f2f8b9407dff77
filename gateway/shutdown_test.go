package gateway

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// holding is a destination whose first deposit says it is in hand, then waits for release
// or for its context to end.
type holding struct {
	deposit.Destination
	once    sync.Once
	inHand  chan struct{}
	release chan struct{}
}

func (h *holding) Deposit(ctx context.Context, fx deposit.Flux) (deposit.Receipt, error) {
	first := false
	h.once.Do(func() { first = true })
	if first {
		close(h.inHand)
		select {
		case <-h.release:
		case <-ctx.Done():
			return deposit.Receipt{}, ctx.Err()
		}
	}
	return h.Destination.Deposit(ctx, fx)
}

// fluxStates counts the fluxes of every file by state.
func fluxStates(t *testing.T, g *Gateway) map[string]int {
	t.Helper()
	files, err := g.journal.Files(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, f := range files {
		invs, err := g.journal.Invoices(context.Background(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range invs {
			for _, fx := range inv.Fluxes {
				out[fx.State]++
			}
		}
	}
	return out
}

// runUntilInHand runs g until its destination holds a deposit, then stops it (as SIGTERM
// does) and returns what Run returned once it has.
func runUntilInHand(t *testing.T, e *env, g *Gateway, h *holding, afterStop func()) error {
	t.Helper()
	e.drop(t, "ventes-2026-11.csv", "v.csv")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- g.Run(ctx) }()
	<-h.inHand
	stop()
	afterStop()
	return <-done
}

func TestStopFinishesTheFluxInHandOnly(t *testing.T) {
	e := newEnv(t)
	g := e.open(t)
	d := g.dests["outbox"]
	h := &holding{Destination: d.Destination, inHand: make(chan struct{}), release: make(chan struct{})}
	d.Destination = h
	if err := runUntilInHand(t, e, g, h, func() { close(h.release) }); err != nil {
		t.Fatal(err)
	}
	n := 2 * len(sampleInvoices)
	if got := fluxStates(t, g); got[journal.FluxDeposited] != 1 || got[journal.FluxQueued] != n-1 {
		t.Fatalf("after a stop: %v; want the flux in hand deposited, %d queued", got, n-1)
	}
	if files := list(t, e.outbox); len(files) != 1 {
		t.Fatalf("outbox %v", files)
	}
}

func TestStopCutsTheFluxInHandAfterShutdownTimeout(t *testing.T) {
	e := newEnv(t)
	g := e.open(t)
	g.cfg.ShutdownTimeout = config.Duration(time.Millisecond)
	d := g.dests["outbox"]
	h := &holding{Destination: d.Destination, inHand: make(chan struct{}), release: make(chan struct{})} // never released
	d.Destination = h
	if err := runUntilInHand(t, e, g, h, func() {}); err != nil {
		t.Fatal(err)
	}
	n := 2 * len(sampleInvoices)
	if got := fluxStates(t, g); got[journal.FluxDepositing] != 1 || got[journal.FluxQueued] != n-1 {
		t.Fatalf("after the shutdown timeout: %v; want the flux in hand left depositing (recovery checks it), %d queued", got, n-1)
	}
}
