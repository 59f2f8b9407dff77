package gateway

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/exportgen"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// BenchmarkSmallFileTake measures what a daemon does for one small file once its quiet
// period is over: claim, map, check, write UBL and CII, spool, journal, archive and ack
// (the deposit runs apart). The gateway stays open across files, as a daemon does, and one
// file is in hand at a time. It reports the CPU time per file (user and system, of the
// whole process), besides the wall time of ns/op: on a shared machine the CPU says where
// the milliseconds go, the wall time also counts the syncs and the other programs.
//
//	go test -run '^$' -bench SmallFileTake -benchtime 200x -count 5 ./gateway/
func BenchmarkSmallFileTake(b *testing.B) {
	const invoices = 5
	e := newEnv(b)
	if err := os.MkdirAll(e.inbox, 0o750); err != nil {
		b.Fatal(err)
	}
	g := e.open(b)
	r := g.routes[0]
	ctx := context.Background()
	var cpu time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		name := fmt.Sprintf("export-%06d.csv", i)
		writeExport(b, filepath.Join(e.inbox, name), i*invoices+1, invoices)
		fi, err := r.in.Stat(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		i++
		from := testutil.CPUTime()
		b.StartTimer()
		status, err := g.take(ctx, r, fi)
		b.StopTimer()
		cpu += testutil.CPUTime() - from
		if err != nil || status != journal.StatusAccepted {
			b.Fatalf("file %s: %s, %v", name, status, err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// writeExport writes a generated CSV export of invoices invoices, numbered from first.
func writeExport(t testing.TB, path string, first, invoices int) {
	t.Helper()
	r, err := exportgen.NewReader(exportgen.Spec{Format: "csv", First: first, Invoices: invoices, Lines: 3})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
}
