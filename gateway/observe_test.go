package gateway

import (
	"context"
	"os"
	"strings"
	"testing"
)

// The operating side sees each source's listings and each destination's breaker, and
// readiness says what is wrong.
func TestSourceStateAndReadiness(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	g := e.open(t)
	if err := g.Ready(ctx); err == nil || !strings.Contains(err.Error(), "source ventes: not listed yet") {
		t.Fatalf("before any listing: %v", err)
	}
	e.drop(t, "ventes-2026-11.csv", "v.csv")
	e.write(t, "notes.txt", []byte("x"))
	if _, err := g.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	s := g.Sources()[0]
	if !s.Scanned || !s.Up || s.LastScan.IsZero() || len(s.Waiting) != 1 || s.Waiting[0].Kind != "pattern" {
		t.Fatalf("after a listing: %+v", s)
	}
	if err := g.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}

	// The drop folder goes away: the next listing fails, and readiness says so.
	if err := os.RemoveAll(e.inbox); err != nil {
		t.Fatal(err)
	}
	g.Status(ctx, g.now()) // lists the sources
	s = g.Sources()[0]
	if s.Up || s.DownSince.IsZero() || s.LastError == "" {
		t.Fatalf("after a failed listing: %+v", s)
	}
	if err := g.Ready(ctx); err == nil || !strings.Contains(err.Error(), "source ventes: unreachable since") {
		t.Fatalf("readiness: %v", err)
	}

	d := g.Destinations()[0]
	if d.Name != "outbox" || d.Kind != "folder" || d.Paused() {
		t.Fatalf("destination: %+v", d)
	}
	if err := g.Resume("nowhere"); err == nil {
		t.Fatal("resuming an unknown destination must fail")
	}
	if err := g.Resume("outbox"); err != nil {
		t.Fatal(err)
	}
}
