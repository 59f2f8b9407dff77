package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// progress shows long command-line work (a big export mapped, many files run --once, golden
// tests) as a bar with counts and rate on the terminal, and nothing at all when the output
// is not a terminal (a pipe, a file, a scheduled task's log). Every method does nothing on
// a nil *progress, which is what startProgress returns off a terminal.
type progress struct {
	*lockedBar
	counts   string // what the bar counts: files, invoices, tests or bytes
	invoices atomic.Int64
}

// lockedBar serializes the bar's updates and the clearing of its line by output written
// from other goroutines (a gateway's log), which the library does not lock.
type lockedBar struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

func (l *lockedBar) do(f func(*progressbar.ProgressBar)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l.bar)
}

// startProgress starts a bar on cmd's standard error when it is a terminal: total units
// of what it counts (-1: unknown, a running count with its rate). From then on the
// command's output (and the log of a gateway opened afterwards) clears the bar before it
// writes, so that lines and bar do not mix.
func startProgress(cmd *cobra.Command, total int64, counts string) *progress {
	f, ok := cmd.ErrOrStderr().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	p := newProgress(f, total, counts, 100*time.Millisecond)
	cmd.SetOut(&aboveBar{p.lockedBar, cmd.OutOrStdout(), f})
	cmd.SetErr(&aboveBar{p.lockedBar, f, f})
	return p
}

// newProgress draws a bar on the terminal w, redrawn every throttle at most.
func newProgress(w io.Writer, total int64, counts string, throttle time.Duration) *progress {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionThrottle(throttle),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowElapsedTimeOnFinish(),
	}
	if counts == "bytes" {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(counts))
	}
	p := &progress{lockedBar: &lockedBar{bar: progressbar.NewOptions64(total, opts...)}, counts: counts}
	p.do(func(b *progressbar.ProgressBar) { b.RenderBlank() })
	return p
}

// Add counts n more units.
func (p *progress) Add(n int) {
	if p != nil {
		p.do(func(b *progressbar.ProgressBar) { b.Add(n) })
	}
}

// FileDone counts a file taken to the end (gateway.Progress).
func (p *progress) FileDone() {
	if p != nil && p.counts == "files" {
		p.Add(1)
	}
}

// InvoiceMapped counts an invoice mapped (gateway.Progress): the unit of a bar that counts
// invoices, otherwise shown beside the bar.
func (p *progress) InvoiceMapped() {
	if p == nil {
		return
	}
	n := p.invoices.Add(1)
	if p.counts == "invoices" {
		p.Add(1)
	} else if n%50 == 1 {
		p.do(func(b *progressbar.ProgressBar) { b.Describe(fmt.Sprintf("%d invoices", n)) })
	}
}

// Reader counts the bytes read through r (a bar that counts bytes).
func (p *progress) Reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return io.TeeReader(r, writerFunc(func(b []byte) (int, error) {
		p.Add(len(b))
		return len(b), nil
	}))
}

// Done removes the bar.
func (p *progress) Done() {
	if p != nil {
		p.do(func(b *progressbar.ProgressBar) {
			b.Finish()
			b.Clear()
		})
	}
}

// aboveBar is an output that writes its lines above the bar: it clears the bar's line,
// writes, and draws the bar again below on the terminal.
type aboveBar struct {
	bar  *lockedBar
	w    io.Writer
	term io.Writer // where the bar is drawn
}

func (a *aboveBar) Write(b []byte) (n int, err error) {
	a.bar.do(func(bar *progressbar.ProgressBar) {
		bar.Clear()
		if n, err = a.w.Write(b); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			io.WriteString(a.term, bar.String())
		}
	})
	return n, err
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// startFileProgress is a bar of the bytes of f read (a big export mapped), with the invoices
// mapped beside it.
func startFileProgress(cmd *cobra.Command, f *os.File) *progress {
	size := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return startProgress(cmd, size, "bytes")
}
