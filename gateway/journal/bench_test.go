package journal

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// The journal's share of a gateway's work, measured on the suite's driver (TestMain runs
// the benchmarks again on PostgreSQL): go test -run '^$' -bench . ./gateway/journal

// cpuMeter adds up the process's CPU time over the timed parts of a benchmark, reported as
// cpu-ns/op beside the wall time: the figures come from a shared machine, where the wall
// time of a few milliseconds of work, and of a commit's fsync, varies with whatever else
// runs. On PostgreSQL it leaves out the server's share.
type cpuMeter struct{ total, from time.Duration }

func (m *cpuMeter) start(b *testing.B) {
	b.StartTimer()
	m.from = testutil.CPUTime()
}

func (m *cpuMeter) stop(b *testing.B) {
	m.total += testutil.CPUTime() - m.from
	b.StopTimer()
}

func (m *cpuMeter) report(b *testing.B) {
	if m.total > 0 {
		b.ReportMetric(float64(m.total.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// benchDriver names the driver the suite runs on, to tell the two passes apart.
func benchDriver() string {
	if testPG != nil {
		return DriverPostgres
	}
	return DriverSQLite
}

// benchJournal opens a fresh journal acting as a gateway does: on PostgreSQL, as an
// instance of a cluster (gateway/cluster.go sets one), so that leases are taken.
func benchJournal(b *testing.B) *Journal {
	j := openTest(b)
	j.SetInstance("bench")
	return j
}

// benchInvoices is a processed export of n invoices, each with a UBL and a CII flux to one
// destination, every tenth with a warning; tag keeps its final names apart from other
// files'.
func benchInvoices(n int, tag string) []NewInvoice {
	invs := make([]NewInvoice, n)
	for i := range invs {
		num := fmt.Sprintf("FA-%s-%06d", tag, i+1)
		invs[i] = NewInvoice{Seq: i + 1, Seller: "FR12345678901", Number: num, IssueDate: "2026-11-30",
			FirstLine: 3*i + 2, LastLine: 3*i + 4, ContentSHA256: "c0ffee",
			Fluxes: []Flux{
				{Destination: "out", Syntax: "ubl", SpoolName: num + "-ubl.xml", FinalName: num + "_ubl.xml", SHA256: "u"},
				{Destination: "out", Syntax: "cii", SpoolName: num + "-cii.xml", FinalName: num + "_cii.xml", SHA256: "c"},
			}}
		if i%10 == 9 {
			invs[i].Problems = []Problem{{Rule: "BR-FR-12", Severity: "warning", Line: 3*i + 3, BT: []string{"BT-10"}, FR: "référence acheteur absente", EN: "no buyer reference"}}
		}
	}
	return invs
}

// benchFile claims a file and records n invoices for it, returning the ids of its fluxes.
func benchFile(b *testing.B, j *Journal, n int, tag string) []int64 {
	ctx := context.Background()
	id, err := j.ClaimFile(ctx, "ventes", tag+".csv", "sha-"+tag, 1, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := j.RecordResult(ctx, id, StatusAccepted, nil, benchInvoices(n, tag), ""); err != nil {
		b.Fatal(err)
	}
	invs, err := j.Invoices(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	var ids []int64
	for _, inv := range invs {
		for _, fx := range inv.Fluxes {
			ids = append(ids, fx.ID)
		}
	}
	return ids
}

// RecordResult of a 5,000-invoice export: 10,000 fluxes, 500 problems.
func BenchmarkRecordResult(b *testing.B) {
	b.Run(benchDriver(), func(b *testing.B) {
		ctx := context.Background()
		j := benchJournal(b)
		var cpu cpuMeter
		b.StopTimer()
		for i := 0; i < b.N; i++ {
			tag := fmt.Sprint(i)
			id, err := j.ClaimFile(ctx, "ventes", tag+".csv", "sha-"+tag, 1, 0)
			if err != nil {
				b.Fatal(err)
			}
			invs := benchInvoices(5000, tag)
			cpu.start(b)
			if err := j.RecordResult(ctx, id, StatusAccepted, nil, invs, ""); err != nil {
				b.Fatal(err)
			}
			cpu.stop(b)
		}
		cpu.report(b)
	})
}

// StartDeposits of a deposit group of 64 fluxes.
func BenchmarkStartDeposits(b *testing.B) {
	b.Run(benchDriver(), func(b *testing.B) {
		ctx := context.Background()
		j := benchJournal(b)
		var cpu cpuMeter
		b.StopTimer()
		for i := 0; i < b.N; i++ {
			ids := benchFile(b, j, 32, fmt.Sprint(i))
			cpu.start(b)
			if err := j.StartDeposits(ctx, ids); err != nil {
				b.Fatal(err)
			}
			cpu.stop(b)
		}
		cpu.report(b)
	})
}

// DepositedAll of a deposit group of 64 fluxes.
func BenchmarkDepositedAll(b *testing.B) {
	b.Run(benchDriver(), func(b *testing.B) {
		ctx := context.Background()
		j := benchJournal(b)
		var cpu cpuMeter
		b.StopTimer()
		for i := 0; i < b.N; i++ {
			ids := benchFile(b, j, 32, fmt.Sprint(i))
			if err := j.StartDeposits(ctx, ids); err != nil {
				b.Fatal(err)
			}
			done := make([]DepositedFlux, len(ids))
			for k, id := range ids {
				done[k] = DepositedFlux{ID: id, Receipt: fmt.Sprint("r", id)}
			}
			cpu.start(b)
			if err := j.DepositedAll(ctx, done, false); err != nil {
				b.Fatal(err)
			}
			cpu.stop(b)
		}
		cpu.report(b)
	})
}

// LeaseDeliverable of a destination with 10,000 fluxes queued.
func BenchmarkLeaseDeliverable(b *testing.B) {
	b.Run(benchDriver(), func(b *testing.B) {
		ctx := context.Background()
		j := benchJournal(b)
		benchFile(b, j, 5000, "queued")
		var cpu cpuMeter
		b.StopTimer()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			cpu.start(b)
			fluxes, err := j.LeaseDeliverable(ctx, "out", time.Time{}, time.Now().Add(time.Minute))
			if err != nil {
				b.Fatal(err)
			}
			cpu.stop(b)
			if len(fluxes) != 10000 {
				b.Fatalf("%d fluxes leased, want 10000", len(fluxes))
			}
		}
		cpu.report(b)
	})
}

// The lookups processing makes for each invoice of a 5,000-invoice export (half of them
// accepted before): its identity, and its two flux names; one by one, then in batches.
func BenchmarkProcessingLookups(b *testing.B) {
	b.Run(benchDriver(), func(b *testing.B) {
		ctx := context.Background()
		j := benchJournal(b)
		benchFile(b, j, 5000, "prior")
		var keys []InvoiceKey
		var names []string
		for _, inv := range benchInvoices(5000, "prior")[2500:] {
			keys = append(keys, InvoiceKey{inv.Seller, inv.Number, inv.IssueDate})
			names = append(names, inv.Fluxes[0].FinalName, inv.Fluxes[1].FinalName)
		}
		for _, inv := range benchInvoices(2500, "new") {
			keys = append(keys, InvoiceKey{inv.Seller, inv.Number, inv.IssueDate})
			names = append(names, inv.Fluxes[0].FinalName, inv.Fluxes[1].FinalName)
		}
		const except = -1
		b.Run("one-by-one", func(b *testing.B) {
			var cpu cpuMeter
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				cpu.start(b)
				for _, k := range keys {
					if _, _, _, err := j.AcceptedInvoiceContent(ctx, k.Seller, k.Number, k.IssueDate, except); err != nil {
						b.Fatal(err)
					}
				}
				for _, name := range names {
					if _, err := j.NameTaken(ctx, "out", name, except); err != nil {
						b.Fatal(err)
					}
				}
				cpu.stop(b)
			}
			cpu.report(b)
		})
		b.Run("batched", func(b *testing.B) {
			var cpu cpuMeter
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				cpu.start(b)
				found, err := j.AcceptedInvoices(ctx, keys, except)
				if err != nil {
					b.Fatal(err)
				}
				taken, err := j.NamesTaken(ctx, "out", names, except)
				if err != nil {
					b.Fatal(err)
				}
				cpu.stop(b)
				if len(found) != 2500 || len(taken) != 5000 {
					b.Fatalf("%d invoices and %d names found, want 2500 and 5000", len(found), len(taken))
				}
			}
			cpu.report(b)
		})
	})
}

// The invoices of a 5,000-invoice export as its ack reads them (EachInvoiceForAck), and as
// every other reader does (EachInvoice).
func BenchmarkEachInvoice(b *testing.B) {
	for _, c := range []struct {
		name string
		each func(*Journal) func(context.Context, int64, func(Invoice) error) error
	}{
		{"whole", func(j *Journal) func(context.Context, int64, func(Invoice) error) error { return j.EachInvoice }},
		{"ack", func(j *Journal) func(context.Context, int64, func(Invoice) error) error { return j.EachInvoiceForAck }},
	} {
		b.Run(benchDriver()+"/"+c.name, func(b *testing.B) {
			b.StopTimer()
			ctx := context.Background()
			j := benchJournal(b)
			benchFile(b, j, 5000, "ack")
			var cpu cpuMeter
			for i := 0; i < b.N; i++ {
				cpu.start(b)
				var n int
				if err := c.each(j)(ctx, 1, func(inv Invoice) error { n += len(inv.Fluxes); return nil }); err != nil || n != 10000 {
					b.Fatalf("%d fluxes, %v", n, err)
				}
				cpu.stop(b)
			}
			cpu.report(b)
		})
	}
}

// The deliverable fluxes of a destination with 10,000 fluxes queued, as a lone gateway's
// deposit round reads them: a page of 1,024 at a time.
func BenchmarkDeliverablePages(b *testing.B) {
	b.Run(benchDriver(), func(b *testing.B) {
		b.StopTimer()
		ctx := context.Background()
		j := openTest(b)
		benchFile(b, j, 5000, "queued")
		var cpu cpuMeter
		for i := 0; i < b.N; i++ {
			cpu.start(b)
			var after int64
			var n int
			for {
				page, err := j.LeaseDeliverablePage(ctx, "out", time.Time{}, time.Now().Add(time.Minute), after, 1024)
				if err != nil {
					b.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				n += len(page)
				after = page[len(page)-1].ID
			}
			cpu.stop(b)
			if n != 10000 {
				b.Fatalf("%d fluxes read, want 10000", n)
			}
		}
		cpu.report(b)
	})
}
