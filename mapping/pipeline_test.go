package mapping

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/ubl"
)

// pipeline maps r, checks every invoice (EN 16931) and writes it as UBL, as the gateway
// does; it returns the number of invoices.
func pipeline(m *Mapping, r io.Reader, name string, w io.Writer) (int, error) {
	n := 0
	profile := invoice.EN16931() // built once, as the gateway does
	err := m.Map(context.Background(), r, name, func(res *Result) error {
		if len(res.Problems) > 0 {
			return fmt.Errorf("%s: %v", res.Key, res.Problems)
		}
		if vs := invoice.Check(res.Invoice, profile); invoice.HasFatal(vs) {
			return fmt.Errorf("%s: %v", res.Key, vs)
		}
		data, err := ubl.Write(res.Invoice)
		if err != nil {
			return err
		}
		n++
		_, err = w.Write(data)
		return err
	})
	return n, err
}

var formats = []struct{ name, mapping string }{
	{"csv", exampleMapping},
	{"fixed", fixedMapping},
	{"xml", xmlMapping},
}

// BenchmarkPipeline measures map + check + write (UBL) per example format. Run it on one
// core: go test ./mapping -run XXX -bench Pipeline -cpu 1
func BenchmarkPipeline(b *testing.B) {
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			m, err := Load(f.mapping)
			if err != nil {
				b.Fatal(err)
			}
			const n = 1000
			data, _ := io.ReadAll(&genReader{n: n, format: f.name})
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				got, err := pipeline(m, bytes.NewReader(data), "bench", io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("%d invoices", got)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "invoices/s")
		})
	}
}

// TestBigExport maps a large generated export (1 GB by default) through map + check +
// write and reports the peak resident memory and the rate. It runs only when asked:
//
//	FLUXGATE_BIG_EXPORT=1 [FLUXGATE_BIG_SIZE=1G] [FLUXGATE_BIG_FORMAT=csv|fixed|xml] \
//	  go test ./mapping -run TestBigExport -v -timeout 1h
//
// The export is written to a temporary folder first (and removed), then mapped from disk.
func TestBigExport(t *testing.T) {
	if os.Getenv("FLUXGATE_BIG_EXPORT") != "1" {
		t.Skip("set FLUXGATE_BIG_EXPORT=1 to run the large-export benchmark")
	}
	size := int64(1 << 30)
	if s := os.Getenv("FLUXGATE_BIG_SIZE"); s != "" {
		mult := int64(1)
		switch {
		case strings.HasSuffix(s, "G"):
			mult, s = 1<<30, strings.TrimSuffix(s, "G")
		case strings.HasSuffix(s, "M"):
			mult, s = 1<<20, strings.TrimSuffix(s, "M")
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		size = v * mult
	}
	format := os.Getenv("FLUXGATE_BIG_FORMAT")
	if format == "" {
		format = "csv"
	}
	mp := map[string]string{"csv": exampleMapping, "fixed": fixedMapping, "xml": xmlMapping}[format]
	m, err := Load(mp)
	if err != nil {
		t.Fatal(err)
	}
	// Invoices per byte, from a sample.
	sample, _ := io.ReadAll(&genReader{n: 1000, format: format})
	n := int(size * 1000 / int64(len(sample)))
	path := filepath.Join(t.TempDir(), "big."+format)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.Copy(w, &genReader{n: n, format: format}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	f.Close()
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	start := time.Now()
	got, err := pipeline(m, bufio.NewReaderSize(in, 1<<20), "big", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	if got != n {
		t.Fatalf("%d invoices, want %d", got, n)
	}
	t.Logf("%s export of %d MB, %d invoices: %.1f s, %.0f invoices/s, peak RSS %s (GOMAXPROCS %d)",
		format, fi.Size()>>20, n, el.Seconds(), float64(n)/el.Seconds(), peakRSS(), runtime.GOMAXPROCS(0))
}

// peakRSS reads the process's peak resident set size (Linux).
func peakRSS() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "unknown"
}
