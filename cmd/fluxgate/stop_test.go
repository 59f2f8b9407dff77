package main

import (
	"context"
	"testing"
)

// A stop waits for the work in hand as long as the grace allows, and no longer.
func TestUntilStoppedGivesUpAfterTheGrace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	hung := make(chan struct{})
	defer close(hung)
	if forced := untilStopped(ctx, 0, func() { <-hung }); !forced {
		t.Fatal("work that never ends held the stop")
	}
	finished := false
	if forced := untilStopped(ctx, 1<<62, func() { finished = true }); forced || !finished {
		t.Fatal("work that ends within the grace was not waited for")
	}
}
