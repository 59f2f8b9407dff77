package mapping

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"testing"
)

// The mapping benchmarks map the same 1,000 invoices of three lines to the same terms, from
// a CSV, a fixed-width and an XML export (benchExport, gen_test.go), so that their invoices/s
// compare. Run them on one core: go test ./mapping -run '^$' -bench Map -benchmem -cpu 1
func BenchmarkMapCSV(b *testing.B)   { benchMap(b, exampleMapping, "csv") }
func BenchmarkMapFixed(b *testing.B) { benchMap(b, benchFixedMapping, "fixed") }
func BenchmarkMapXML(b *testing.B)   { benchMap(b, benchXMLMapping, "xml") }

func benchMap(b *testing.B, mapping, format string) {
	m, err := Load(mapping)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	data := benchExport(format, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		count := 0
		if err := m.Map(context.Background(), bytes.NewReader(data), "bench."+format, func(r *Result) error {
			if len(r.Problems) > 0 {
				return fmt.Errorf("%v", r.Problems)
			}
			count++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("%d invoices", count)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "invoices/s")
}

// The read benchmarks time the sources alone: the records of the same exports, read and
// not mapped (CSV and fixed-width have several records per invoice, XML one).
func BenchmarkReadCSV(b *testing.B)   { benchRead(b, exampleMapping, "csv") }
func BenchmarkReadFixed(b *testing.B) { benchRead(b, benchFixedMapping, "fixed") }
func BenchmarkReadXML(b *testing.B)   { benchRead(b, benchXMLMapping, "xml") }

func benchRead(b *testing.B, mapping, format string) {
	m, err := Load(mapping)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	data := benchExport(format, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := m.prepare(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		var rd reader
		switch format {
		case "csv":
			rd = newCSVReader(r, "bench", &m.src)
		case "fixed":
			rd = newFixedReader(r, "bench", &m.src)
		case "xml":
			rd = newXMLReader(r, "bench", &m.src)
		}
		for {
			if _, err := rd.next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "invoices/s")
}

// The three benchmark exports and mappings give the same invoices: the benchmarks compare
// the sources on the same work.
func TestBenchExportsMapAlike(t *testing.T) {
	var want []string
	for _, c := range []struct{ format, mapping string }{{"csv", exampleMapping}, {"fixed", benchFixedMapping}, {"xml", benchXMLMapping}} {
		m, err := Load(c.mapping)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		err = m.Map(context.Background(), bytes.NewReader(benchExport(c.format, 5)), "bench."+c.format, func(r *Result) error {
			if len(r.Problems) > 0 || len(r.Warnings) > 0 {
				return fmt.Errorf("%s: %v %v", r.Key, r.Problems, r.Warnings)
			}
			j, err := json.Marshal(r.Invoice)
			got = append(got, string(j))
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		if want == nil {
			want = got
		}
		if len(got) != 5 || !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("%s: invoice %d differs from the CSV's:\n%s\n%s", c.format, i, got[i], want[i])
				}
			}
			t.Fatalf("%s: %d invoices, want %d", c.format, len(got), len(want))
		}
	}
}

// TestMemoryStaysFlat maps long exports produced on the fly and checks that the heap does
// not grow with them: Map holds one invoice at a time (plus the keys already seen), and the
// XML source one record's tree.
func TestMemoryStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	for _, c := range []struct{ format, mapping string }{{"csv", exampleMapping}, {"xml", xmlMapping}} {
		t.Run(c.format, func(t *testing.T) {
			m, err := Load(c.mapping)
			if err != nil {
				t.Fatal(err)
			}
			const n = 20000 // about 13 MB of CSV, 27 MB of XML
			heap := func() uint64 {
				var s runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&s)
				return s.HeapAlloc
			}
			var first, last uint64
			count := 0
			err = m.Map(context.Background(), &genReader{n: n, format: c.format}, "long."+c.format, func(r *Result) error {
				count++
				switch count {
				case 1000:
					first = heap()
				case n:
					last = heap()
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if count != n {
				t.Fatalf("%d invoices", count)
			}
			if last > first+4<<20 {
				t.Errorf("heap grew from %d to %d bytes over %d invoices", first, last, n)
			}
		})
	}
}
