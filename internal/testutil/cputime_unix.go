//go:build unix

package testutil

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time the process has used, user and system: what benchmarks report
// beside wall time, which a shared machine's load moves.
func CPUTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
