package main

import (
	"os"
	"runtime/debug"
)

// lowerPeakRSS brings the bench's own peak resident set down to what it holds now, just
// before it starts a gateway. Go starts a child sharing the parent's memory until exec
// (vfork), and Linux hands the parent's peak to the child's then: without this, the
// gateway's reported peak is at least the bench's, whose export generation can touch
// 100 MB or more for a moment. Writing 5 to clear_refs resets the peak (Linux 4.0+).
func lowerPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // an older kernel: the peak stays an upper bound
}
