package gateway

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/journal"
)

// recordBigFile records a processed file of n invoices with two fluxes each (UBL and CII,
// queued for outbox), as a big export leaves it, and returns its id.
func recordBigFile(tb testing.TB, g *Gateway, n int) int64 {
	tb.Helper()
	ctx := context.Background()
	id, err := g.journal.ClaimFile(ctx, "ventes", "big.csv", "sha-big", 1<<30, 0)
	if err != nil {
		tb.Fatal(err)
	}
	invs := make([]journal.NewInvoice, n)
	for i := range invs {
		number := fmt.Sprintf("F%07d", i+1)
		invs[i] = journal.NewInvoice{Seq: i + 1, Number: number, IssueDate: "2026-11-26", FirstLine: i + 2, LastLine: i + 2,
			Fluxes: []journal.Flux{
				{Destination: "outbox", Syntax: "ubl", SpoolName: number + "-ubl.xml", FinalName: number + "_ubl.xml", SHA256: "x"},
				{Destination: "outbox", Syntax: "cii", SpoolName: number + "-cii.xml", FinalName: number + "_cii.xml", SHA256: "y"},
			}}
	}
	if err := g.journal.RecordResult(ctx, id, journal.StatusAccepted, nil, invs); err != nil {
		tb.Fatal(err)
	}
	return id
}

// heapPeak runs f while sampling, every millisecond, the bytes of heap objects (live or not
// swept yet), and returns the highest sample above what the heap held before f.
func heapPeak(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	peak := base
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				peak = max(peak, read())
			}
		}
	})
	f()
	close(stop)
	wg.Wait()
	return max(peak, read()) - base
}

// BenchmarkWriteAck writes the ack of a file of 100,000 invoices with two fluxes each from
// the journal into a local folder. B/op is what it allocates, peak-heap-B the most heap it
// held at once.
//
//	go test -run '^$' -bench WriteAck -benchmem -benchtime 3x ./gateway/
func BenchmarkWriteAck(b *testing.B) {
	e := newEnv(b)
	g := e.open(b)
	id := recordBigFile(b, g, 100_000)
	ctx := context.Background()
	var peak uint64
	for b.Loop() {
		peak = max(peak, heapPeak(func() {
			if err := g.writeAck(ctx, id); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(peak), "peak-heap-B")
}
