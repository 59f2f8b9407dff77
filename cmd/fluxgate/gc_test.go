package main

import (
	"runtime/debug"
	"testing"
)

// The collector runs at gcPercent unless GOGC is set, which wins.
func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	if tuneGC(func(string) string { return "50" }) {
		t.Fatal("GOGC set, yet the collector was tuned")
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC set: the collector's target is %d, want it left at 100", got)
	}
	if !tuneGC(func(string) string { return "" }) {
		t.Fatal("GOGC unset, yet the collector was not tuned")
	}
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Fatalf("GOGC unset: the collector's target is %d, want %d", got, gcPercent)
	}
}
