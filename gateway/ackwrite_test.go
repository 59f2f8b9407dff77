package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/folder"
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
	if err := g.journal.RecordResult(ctx, id, journal.StatusAccepted, nil, invs, ""); err != nil {
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

// writeAck writes, in each format, what the renderer gives for the file's invoices read at
// once: the pages read from the journal and the pipe into the folder lose and add nothing.
func TestWriteAckStreamsEveryPage(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	cfg := e.config(t)
	cfg.Sources[0].Ack.Format = config.AckFormats{ack.FormatXML, ack.FormatCSV}
	g, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	g.now = func() time.Time { return now }
	id := recordBigFile(t, g, 1234) // pages of 500: two whole, one not
	invs, err := g.journal.Invoices(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range []journal.Flux{invs[0].Fluxes[0], invs[700].Fluxes[1], invs[1233].Fluxes[0]} {
		if err := g.journal.StartDeposit(ctx, fx.ID); err != nil {
			t.Fatal(err)
		}
		if err := g.journal.Deposited(ctx, fx.ID, "receipt-"+fx.FinalName, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.writeAck(ctx, id); err != nil {
		t.Fatal(err)
	}

	f, err := g.journal.File(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if invs, err = g.journal.Invoices(ctx, id); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, inv := range invs {
		counts[inv.Status]++
	}
	renderer := ack.NewRenderer(f, counts, "fr", now, g.destinationStates(ctx))
	atOnce := func(yield func(journal.Invoice) error) error {
		for _, inv := range invs {
			if err := yield(inv); err != nil {
				return err
			}
		}
		return nil
	}
	for _, format := range []string{ack.FormatXML, ack.FormatCSV} {
		var want bytes.Buffer
		if err := renderer.Render(&want, format, "", atOnce); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(e.acks, ack.FileName(ack.Name(f.Name), format)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s ack of %d bytes differs from the %d bytes rendered from Invoices", format, len(got), want.Len())
		}
		if n := bytes.Count(got, []byte("receipt-")); format == ack.FormatXML && n != 3 {
			t.Errorf("%s ack shows %d deposits, want 3", format, n)
		}
	}
}

// writeStreamed leaves name as it was, and no temporary file, when the render fails midway,
// when the folder fails before reading, or when the context is cancelled midway; and it
// returns only once the render has stopped.
func TestWriteStreamedNeverLeavesHalfAFile(t *testing.T) {
	dir := t.TempDir()
	acks, err := folder.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer acks.Close()
	if err := os.WriteFile(filepath.Join(dir, "a.ack.xml"), []byte("previous ack"), 0o600); err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("<Invoice/>\n"), 10_000)
	broken := errors.New("journal gone")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range []struct {
		what, name string
		ctx        context.Context
		render     func(io.Writer) error
		want       error
	}{
		{"render fails midway", "a.ack.xml", context.Background(), func(w io.Writer) error {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
			return broken
		}, broken},
		{"folder fails before reading", "missing/a.ack.xml", context.Background(), func(w io.Writer) error {
			for { // would block for ever on a pipe nobody reads
				if _, err := w.Write(chunk); err != nil {
					return err
				}
			}
		}, os.ErrNotExist},
		{"cancelled midway", "a.ack.xml", ctx, func(w io.Writer) error {
			_, err := w.Write(chunk)
			cancel()
			for err == nil {
				_, err = w.Write(chunk)
			}
			return err
		}, context.Canceled},
	} {
		var returned bool
		err := writeStreamed(c.ctx, acks, c.name, func(w io.Writer) error {
			defer func() { returned = true }()
			return c.render(w)
		})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.what, err, c.want)
		}
		if !returned {
			t.Errorf("%s: writeStreamed returned before the render", c.what)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(filepath.Join(dir, "a.ack.xml")); len(entries) != 1 || string(data) != "previous ack" {
			t.Errorf("%s: folder holds %v, the ack %q", c.what, entries, data)
		}
	}
	whole := strings.Repeat("<Invoice/>\n", 50_000)
	if err := writeStreamed(context.Background(), acks, "a.ack.xml", func(w io.Writer) error {
		_, err := io.WriteString(w, whole)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "a.ack.xml")); string(data) != whole {
		t.Errorf("the ack holds %d bytes, want %d", len(data), len(whole))
	}
}

// countingAcks counts the acks written into a folder, by name.
type countingAcks struct {
	folder.Folder
	mu     sync.Mutex
	writes map[string]int
}

func (c *countingAcks) WriteAtomic(ctx context.Context, name string, r io.Reader) error {
	c.mu.Lock()
	c.writes[name]++
	c.mu.Unlock()
	return c.Folder.WriteAtomic(ctx, name, r)
}

func countAcks(g *Gateway) *countingAcks {
	c := &countingAcks{Folder: g.routes[0].acks, writes: map[string]int{}}
	g.routes[0].acks = c
	return c
}

// A --once run writes the ack of an accepted file once, after the run's deposit round: it
// says what was deposited, and a program that reads an ack as soon as it appears never
// sees one that says "queued". A file rejected whole gets its ack too, once.
func TestRunOnceWritesEachAckOnceAfterTheDeposit(t *testing.T) {
	e := newEnv(t)
	e.drop(t, "ventes-2026-11.csv", "ventes.csv")
	e.write(t, "vide.csv", []byte("this is not the export the mapping expects\n"))
	g := e.open(t)
	acks := countAcks(g)
	if s, err := g.RunOnce(context.Background()); err != nil || len(s.Errors) > 0 || s.Accepted != 1 || s.Rejected != 1 {
		t.Fatalf("RunOnce: %+v, %v", s, err)
	}
	doc := e.ack(t, "ventes.csv")
	if doc.Summary.Deposited != len(sampleInvoices) {
		t.Fatalf("ack after the run: %+v; want every invoice deposited", doc.Summary)
	}
	e.ack(t, "vide.csv")
	for _, input := range []string{"ventes.csv", "vide.csv"} {
		if n := acks.writes[ack.Name(input)]; n != 1 {
			t.Errorf("ack of %s written %d times in the run, want once", input, n)
		}
	}
}

// A --once run whose deposits fail still leaves every ack, saying the invoices wait.
func TestRunOnceWritesTheAcksWhenTheDepositFails(t *testing.T) {
	e := newEnv(t)
	e.drop(t, "ventes-2026-11.csv", "ventes.csv")
	g := e.open(t)
	// The outbox becomes a file: every deposit into it fails.
	if err := os.RemoveAll(e.outbox); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.outbox, []byte("not a folder"), 0o640); err != nil {
		t.Fatal(err)
	}
	s, err := g.RunOnce(context.Background())
	if err != nil || len(s.Errors) == 0 {
		t.Fatalf("RunOnce: %+v, %v; want the deposit failure reported", s, err)
	}
	doc := e.ack(t, "ventes.csv")
	if doc.File.Status != "ACCEPTED" || doc.Summary.Queued != len(sampleInvoices) || doc.Summary.Deposited != 0 {
		t.Fatalf("ack after a failed deposit: %+v %+v", doc.File, doc.Summary)
	}
	if stale, err := g.journal.StaleAcks(context.Background()); err != nil || len(stale) != 0 {
		t.Fatalf("acks left stale after the run: %v, %v", stale, err)
	}
}

// A --once run stopped once its files are processed, before its deposit round, still
// writes their acks before it returns: they say the invoices wait.
func TestRunOnceStoppedWritesTheAcks(t *testing.T) {
	e := newEnv(t)
	e.drop(t, "ventes-2026-11.csv", "ventes.csv")
	g := e.open(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	g.OnProgress(stopAfterFile{stop})
	if _, err := g.RunOnce(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	doc := e.ack(t, "ventes.csv")
	if doc.File.Status != "ACCEPTED" || doc.Summary.Queued != len(sampleInvoices) || doc.Summary.Deposited != 0 {
		t.Fatalf("ack of a file processed before the stop: %+v %+v", doc.File, doc.Summary)
	}
	if stale, err := g.journal.StaleAcks(context.Background()); err != nil || len(stale) != 0 {
		t.Fatalf("acks left stale after the run: %v, %v", stale, err)
	}
}

// stopAfterFile stops a run once a file is taken to the end.
type stopAfterFile struct{ stop func() }

func (s stopAfterFile) FileDone()      { s.stop() }
func (s stopAfterFile) InvoiceMapped() {}

// syncCounting counts the batches of a local acks folder that syncs its file system once
// for many files (folder.FSSyncer), and the files written in them.
type syncCounting struct {
	*folder.Local
	mu             sync.Mutex
	batches, temps int
}

func (c *syncCounting) StartFSSync(ctx context.Context) (*folder.FSSync, error) {
	c.mu.Lock()
	c.batches++
	c.mu.Unlock()
	return c.Local.StartFSSync(ctx)
}

func (c *syncCounting) WriteTempUnsynced(ctx context.Context, name string, r io.Reader) (string, error) {
	c.mu.Lock()
	c.temps++
	c.mu.Unlock()
	return c.Local.WriteTempUnsynced(ctx, name, r)
}

// The acks a deposit round rewrites are written together: one batch synced at once for
// the files whose deposits are done, and one transaction records them written.
func TestRoundWritesItsAcksTogether(t *testing.T) {
	e := newEnv(t)
	const files = 5
	sample := sampleBytes(t, "ventes-2026-11.csv")
	for i := range files { // other invoice numbers in each file: none is a duplicate
		body := bytes.ReplaceAll(sample, []byte("FA2026-"), fmt.Appendf(nil, "F%03d-", i))
		e.write(t, fmt.Sprintf("v%d.csv", i), bytes.ReplaceAll(body, []byte("AV2026-"), fmt.Appendf(nil, "A%03d-", i)))
	}
	g := e.open(t)
	local, ok := g.routes[0].acks.(*folder.Local)
	if !ok {
		t.Fatalf("acks folder %T, want a local one", g.routes[0].acks)
	}
	if fss, err := local.StartFSSync(context.Background()); err != nil {
		t.Skipf("no syncfs here (%v): acks are written one by one", err)
	} else {
		fss.Close()
	}
	counting := &syncCounting{Local: local}
	g.routes[0].acks = counting
	if s, err := g.RunOnce(context.Background()); err != nil || len(s.Errors) > 0 {
		t.Fatalf("RunOnce: %+v, %v", s, err)
	}
	for i := range files {
		name := fmt.Sprintf("v%d.csv", i)
		doc := e.ack(t, name)
		if doc.File.Status != "ACCEPTED" || doc.Summary.Deposited == 0 || doc.Summary.Queued != 0 {
			t.Errorf("ack of %s: %+v", name, doc.Summary)
		}
	}
	if counting.temps != files || counting.batches == 0 || counting.batches >= files {
		t.Errorf("%d acks written in %d batches: want the %d acks of the round in fewer batches than acks", counting.temps, counting.batches, files)
	}
	if stale, err := g.journal.StaleAcks(context.Background()); err != nil || len(stale) != 0 {
		t.Fatalf("acks left stale: %v, %v", stale, err)
	}
}
