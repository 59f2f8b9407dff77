package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procWatch samples a running gateway's open file descriptors and resident memory from
// /proc (Linux). Where there is no /proc, nothing is measured and the figures stay zero.
type procWatch struct {
	pid     int
	mu      sync.Mutex
	peakFDs int
}

// watchProc samples pid every period until ctx is done.
func watchProc(ctx context.Context, pid int, period time.Duration) *procWatch {
	p := &procWatch{pid: pid}
	go func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			p.sampleFDs()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// sampleFDs counts the open descriptors of the process now and keeps the peak.
func (p *procWatch) sampleFDs() {
	d, err := os.Open(fmt.Sprintf("/proc/%d/fd", p.pid))
	if err != nil {
		return // no /proc, or the process is gone
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.peakFDs = max(p.peakFDs, len(names))
	p.mu.Unlock()
}

// PeakFDs is the largest number of open descriptors sampled so far.
func (p *procWatch) PeakFDs() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peakFDs
}

// RSSMB is the process's resident memory now, in MB (0 where not measured).
func (p *procWatch) RSSMB() float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", p.pid))
	if err != nil {
		return 0
	}
	// size resident shared text lib data dt, in pages
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return float64(pages*int64(os.Getpagesize())) / (1 << 20)
}
