//go:build !unix

package testutil

import "time"

// CPUTime is unknown here: benchmarks report no CPU time.
func CPUTime() time.Duration { return 0 }
