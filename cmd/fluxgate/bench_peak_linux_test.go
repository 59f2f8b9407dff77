package main

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// TestGatewayPeakIsItsOwn: a child started after the bench touched 256 MB reports that peak
// as its own (the kernel hands it over at exec); after lowerPeakRSS it reports its own.
func TestGatewayPeakIsItsOwn(t *testing.T) {
	if _, err := os.Stat("/proc/self/clear_refs"); err != nil {
		t.Skipf("no clear_refs: %v", err)
	}
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip(err)
	}
	// The peak is made outside Go's heap, so that the race detector's shadow of it does not
	// stay resident after.
	const size = 256 << 20
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < size; i += os.Getpagesize() {
		mem[i] = 1
	}
	if err := syscall.Munmap(mem); err != nil {
		t.Fatal(err)
	}
	peakOfChild := func() float64 {
		cmd := exec.Command(truePath)
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		return peakRSS(cmd.ProcessState)
	}
	inherited := peakOfChild()
	lowerPeakRSS()
	own := peakOfChild()
	if inherited < 256 {
		t.Fatalf("a child started after a 256 MB peak reports %.0f MB: the kernel no longer hands the peak over, and the test no longer shows what lowerPeakRSS is for", inherited)
	}
	if own > inherited-128 {
		t.Fatalf("after lowerPeakRSS the child still reports %.0f MB (%.0f before)", own, inherited)
	}
	t.Logf("child's peak: %.0f MB inherited, %.0f MB after lowerPeakRSS", inherited, own)
}
