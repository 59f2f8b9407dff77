package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/internal/exportgen"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/mapping"
)

// BenchmarkEndToEnd measures the whole path on local folders: claim, map, check, write UBL
// and CII, spool, journal, ack, archive and deposit, for a batch of files of six invoices
// each (the shipped sample with its numbers made unique). It reports invoices per second.
//
//	go test -run '^$' -bench EndToEnd -benchtime 5x ./gateway/
func BenchmarkEndToEnd(b *testing.B) {
	const files = 50
	sample := sampleBytes(b, "ventes-2026-11.csv")
	header, rows, _ := bytes.Cut(sample, []byte("\n"))
	var invoices int
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		os.MkdirAll(e.inbox, 0o750)
		old := time.Now().Add(-time.Hour)
		for i := range files {
			body := bytes.ReplaceAll(rows, []byte("FA2026-"), fmt.Appendf(nil, "F%03d-", i))
			body = bytes.ReplaceAll(body, []byte("AV2026-"), fmt.Appendf(nil, "A%03d-", i))
			p := filepath.Join(e.inbox, fmt.Sprintf("lot-%03d.csv", i))
			os.WriteFile(p, append(append(append([]byte{}, header...), '\n'), body...), 0o640)
			os.Chtimes(p, old, old)
		}
		g := e.open(b)
		b.StartTimer()
		s, err := g.RunOnce(context.Background())
		if err != nil || s.Accepted != files {
			b.Fatalf("summary %+v, %v", s, err)
		}
		invoices += files * 6
		b.StopTimer()
		g.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(invoices)/b.Elapsed().Seconds(), "invoices/s")
}

// BenchmarkBigFile measures the whole path for one export of 5,000 invoices (the bench's
// generated CSV, three lines each), recorded in chunks: the spool, the journal's chunk
// transactions, the deposit round and the streamed ack. It reports invoices per second.
//
//	go test -run '^$' -bench BigFile -benchtime 3x -cpuprofile cpu.out ./gateway/
func BenchmarkBigFile(b *testing.B) {
	const invoices = 5000
	r, err := exportgen.NewReader(exportgen.Spec{Format: "csv", First: 1, Invoices: invoices, Lines: 3})
	if err != nil {
		b.Fatal(err)
	}
	export, err := io.ReadAll(r)
	if err != nil {
		b.Fatal(err)
	}
	var done int
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		os.MkdirAll(e.inbox, 0o750)
		p := filepath.Join(e.inbox, "export.csv")
		os.WriteFile(p, export, 0o640)
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
		g := e.open(b)
		b.StartTimer()
		s, err := g.RunOnce(context.Background())
		if err != nil || s.Accepted != 1 {
			b.Fatalf("summary %+v, %v", s, err)
		}
		done += invoices
		b.StopTimer()
		g.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "invoices/s")
}

// BenchmarkContentDigest measures the content digest of the bench's invoices (three lines
// each): its JSON, whose bytes must stay as they are (they decide duplicates across
// versions), and their SHA-256.
//
//	go test -run '^$' -bench ContentDigest -benchmem ./gateway/
func BenchmarkContentDigest(b *testing.B) {
	m, err := mapping.Load(filepath.Join(testutil.RepoRoot(b), "examples", "mappings", "ventes-csv.xml"))
	if err != nil {
		b.Fatal(err)
	}
	r, err := exportgen.NewReader(exportgen.Spec{Format: "csv", First: 1, Invoices: 100, Lines: 3})
	if err != nil {
		b.Fatal(err)
	}
	var invs []*invoice.Invoice
	var buf bytes.Buffer
	buf.ReadFrom(r)
	if err := m.Map(context.Background(), &buf, "x.csv", func(res *mapping.Result) error {
		invs = append(invs, res.Invoice)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		contentDigest(invs[i%len(invs)])
	}
}
