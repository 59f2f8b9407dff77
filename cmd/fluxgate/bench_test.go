package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// TestBench runs the bench on a tiny set, the gateway being this test binary (TestMain):
// run --once and the daemon deposit every invoice (the bench checks the acks and the
// outbox, and fails otherwise), and every figure is measured. No figure is judged: a test
// on a shared machine says nothing of speed.
func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gateway three times")
	}
	root := testutil.RepoRoot(t)
	for _, format := range []string{"csv", "xml"} {
		o := benchOptions{format: format, files: 3, invoices: 4, lines: 2, outputs: []string{"ubl", "cii"},
			modes: []string{"once", "daemon"}, latencyFiles: 3, quiet: 50 * time.Millisecond, fsyncs: true,
			mappings: filepath.Join(root, "examples", "mappings"), dir: t.TempDir(), timeout: 2 * time.Minute,
			command: func(ctx context.Context, args ...string) *exec.Cmd {
				cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), crashChildEnv+"="+strings.Join(args, "\x1f"))
				return cmd
			}}
		res, err := runBench(context.Background(), o, io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if res.Invoices != 12 || res.Bytes == 0 {
			t.Errorf("%s: %d invoices, %d bytes", format, res.Invoices, res.Bytes)
		}
		if res.Once == nil || res.Once.InvoicesPerS <= 0 || res.Once.PeakRSSMB <= 0 {
			t.Errorf("%s: run --once: %+v", format, res.Once)
		}
		d := res.Daemon
		if d == nil || d.InvoicesPerS <= 0 || d.LatencyP50MS <= 0 || d.LatencyP99MS < d.LatencyP50MS || d.DepositP99MS <= 0 {
			t.Errorf("%s: daemon: %+v", format, d)
		}
		if runtime.GOOS == "linux" && d != nil && (d.PeakOpenFDs == 0 || d.RSSTenthMB <= 0 || d.RSSEndMB <= 0) {
			t.Errorf("%s: daemon: open descriptors or resident memory not sampled from /proc: %+v", format, d)
		}
		if _, err := exec.LookPath("strace"); err == nil && res.Fsyncs == 0 {
			t.Errorf("%s: strace is installed, but no fsync was counted: %+v", format, res)
		}
		var out strings.Builder
		printBench(&out, res)
		if !strings.Contains(out.String(), "invoices/s") {
			t.Errorf("%s: %s", format, out.String())
		}
	}
}
