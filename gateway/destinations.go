package gateway

import (
	"context"
	"slices"
	"strings"

	"github.com/fluxgate/fluxgate/gateway/journal"
)

// destinationStates is why each destination's queued fluxes wait as a whole, for the acks.
// A journal that cannot say leaves the acks without it rather than unwritten.
func (g *Gateway) destinationStates(ctx context.Context) map[string]journal.DestinationState {
	states, err := g.journal.DestinationStates(ctx)
	if err != nil {
		g.log.Warn("destination states not read; acks are written without them", "err", err)
		return nil
	}
	return states
}

// DestinationWaits returns, for `fluxgate status` (another process than the daemon), what
// the journal holds of every configured destination: paused after repeated failures, or held
// by a platform's Retry-After.
func (g *Gateway) DestinationWaits(ctx context.Context) ([]journal.DestinationState, error) {
	states, err := g.journal.DestinationStates(ctx)
	if err != nil {
		return nil, err
	}
	var out []journal.DestinationState
	for name := range g.dests {
		s := states[name]
		s.Name = name
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b journal.DestinationState) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
