package ack

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/journal"
)

// manyNow is the time the acks of manySample are rendered at.
var manyNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// manyDests are the destinations of manySample: outbox paused by its breaker, pa held by a
// platform behind the retry of one flux, chorus free.
func manyDests() map[string]journal.DestinationState {
	return map[string]journal.DestinationState{
		"outbox": {Name: "outbox", PausedUntil: manyNow.Add(5 * time.Minute), PauseReason: "HTTP 503 <unavailable>"},
		"pa":     {Name: "pa", HeldUntil: manyNow.Add(10 * time.Minute), HeldBy: "M00003_ubl.xml"},
	}
}

// manyInvoice is the i-th invoice of manySample: it cycles through rejections (fatal
// problems after warnings, problems without lines), duplicates, and fluxes in every state
// on every destination, with messages that need escaping or that an encoding cannot hold.
func manyInvoice(i int) journal.Invoice {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	number := fmt.Sprintf("M%05d", i)
	inv := journal.Invoice{ID: int64(i), Seq: i, Number: number, FirstLine: 2 * i, LastLine: 2*i + i%2}
	if i%4 != 0 {
		inv.IssueDate = "2026-11-02"
	}
	fx := func(dest, syntax string) journal.Flux {
		return journal.Flux{Destination: dest, Syntax: syntax, FinalName: number + "_" + syntax + ".xml", State: journal.FluxQueued}
	}
	warning := journal.Problem{Rule: "FG-W1", Severity: "warning", Field: "Date", BT: []string{"BT-2", "BT-9"}, MappingLine: 12,
		FR: "date <douteuse> & \"arrondie\"", EN: "doubtful <date> & 'rounded'"}
	switch i % 12 {
	case 0:
		inv.Status = journal.InvoiceRejected
		inv.Problems = []journal.Problem{warning, {Rule: "BR-CO-10", Severity: "fatal", Line: 2 * i, Field: "Total", BT: []string{"BT-106"},
			FR: "Montant ≠ somme ; écart de 0,01 €\npar ligne 😀", EN: "Total ≠ sum; off by €0.01\nper line 😀"}}
	case 1:
		inv.Status = journal.InvoiceRejected
		inv.Problems = []journal.Problem{{Rule: "BR-16", Severity: "fatal", FR: "au moins une ligne", EN: ""}}
	case 2:
		inv.Status = journal.InvoiceDuplicate
		inv.Problems = []journal.Problem{{Rule: "FG-DUPLICATE", Severity: "warning", FR: "déjà reçue", EN: "already received"}}
	case 3:
		inv.Status = journal.InvoiceQueued
		a, b := fx("pa", "ubl"), fx("pa", "cii")
		a.Attempts, a.LastError, a.NextAttempt = 2, "HTTP 429: rate limit", t0.Add(10*time.Minute)
		inv.Fluxes = []journal.Flux{a, b}
	case 4:
		inv.Status = journal.InvoiceQueued
		a, b := fx("outbox", "ubl"), fx("outbox", "cii")
		a.Attempts, a.LastError = 1, "connexion refusée"
		b.State = journal.FluxDepositing
		inv.Fluxes = []journal.Flux{a, b}
	case 5:
		inv.Status = journal.InvoiceDeposited
		a, b := fx("chorus", "ubl"), fx("chorus", "cii")
		a.State, a.Receipt, a.DepositedAt, a.Tracking = journal.FluxDeposited, "CPP-"+number, t0, true
		a.Platform = journal.PlatformStatus{ID: "42" + number, Status: "IN_INTEGRE", Label: "intégrée", At: t0.Add(time.Hour)}
		b.State, b.Receipt, b.DepositedAt = journal.FluxDeposited, "CPP-"+number+"-2", t0
		b.Platform = journal.PlatformStatus{ID: "43", Status: "MISE_EN_PAIEMENT", Message: "payée"}
		inv.Fluxes = []journal.Flux{a, b}
	case 6:
		inv.Status = journal.InvoiceRejected
		a := fx("pa", "ubl")
		a.State, a.Receipt, a.DepositedAt = journal.FluxDeposited, "FLOW-"+number, t0
		a.Platform = journal.PlatformStatus{Status: "210", Label: "Refusée", Message: "Commande <inconnue>", At: t0}
		inv.Fluxes = []journal.Flux{a}
		inv.Problems = []journal.Problem{{Rule: "PA-210", Severity: "fatal", FR: "refusée", EN: "refused"}}
	case 7:
		inv.Status = journal.InvoiceQueued
		a, b := fx("pa", "ubl"), fx("chorus", "cii")
		a.State = journal.FluxUncertain
		a.Uncertain = journal.Uncertainty{Since: t0, Until: t0.Add(time.Hour), NextCheck: t0.Add(time.Minute), Checks: 1}
		b.State = journal.FluxUncertain
		b.Uncertain = journal.Uncertainty{Since: t0, Until: t0.Add(time.Hour), Checks: 3, CheckError: "timeout", Resends: 1}
		inv.Fluxes = []journal.Flux{a, b}
	case 8:
		inv.Status = journal.InvoiceRejected
		a := fx("chorus", "ubl")
		a.State, a.Attempts, a.LastError = journal.FluxFailed, 1, "refusé : SIRET inconnu; \"dépôt\""
		inv.Fluxes = []journal.Flux{a}
	case 9:
		inv.Status = journal.InvoiceQueued
		inv.Fluxes = []journal.Flux{fx("chorus", "ubl"), fx("pa", "cii")}
		inv.Problems = []journal.Problem{warning}
	case 10:
		inv.Status = journal.InvoiceQueued
		inv.Number = "\xff invalid UTF-8 \xfe" // from an export that did not check it
		inv.Fluxes = []journal.Flux{fx("outbox", "ubl")}
	default:
		inv.Status = journal.InvoiceDeposited
		a := fx("outbox", "ubl")
		a.State, a.Receipt, a.DepositedAt = journal.FluxDeposited, a.FinalName, t0
		inv.Fluxes = []journal.Flux{a}
	}
	return inv
}

// manySample is a file of n invoices (manyInvoice), partly accepted, with a file-level
// warning.
func manySample(n int) (journal.File, []journal.Invoice) {
	f, _ := sample()
	f.Name = "grand export;2026.csv"
	f.Problems = []journal.Problem{{Rule: "FG-ENCODING", Severity: "warning", Line: 3, FR: "caractères remplacés", EN: "characters replaced"}}
	invs := make([]journal.Invoice, n)
	for i := range invs {
		invs[i] = manyInvoice(i + 1)
	}
	return f, invs
}

// eachOf yields the invoices of a slice, as journal.EachInvoice yields a file's.
func eachOf(invs []journal.Invoice) EachInvoice {
	return func(yield func(journal.Invoice) error) error {
		for _, inv := range invs {
			if err := yield(inv); err != nil {
				return err
			}
		}
		return nil
	}
}

// countsOf counts invoices per status, as journal.InvoiceCounts does.
func countsOf(invs []journal.Invoice) map[string]int {
	counts := map[string]int{}
	for _, inv := range invs {
		counts[inv.Status]++
	}
	return counts
}

// The streamed ack is, byte for byte, the ack built in memory then marshalled, in XML and in
// CSV in every encoding, for a file of many invoices in every state and for a file without.
func TestStreamedMatchesBuilt(t *testing.T) {
	f, invs := manySample(1200)
	empty := journal.File{Source: "ventes", Name: "vide.csv", SHA256: strings.Repeat("0", 64), Status: journal.StatusRejected, State: journal.FileProcessed,
		Problems: []journal.Problem{{Rule: "FG-EMPTY", Severity: "fatal", FR: "Le fichier est vide.", EN: "The file is empty."}}}
	for _, c := range []struct {
		name string
		file journal.File
		invs []journal.Invoice
	}{{"many", f, invs}, {"empty", empty, nil}} {
		for _, lang := range []string{"fr", "en", ""} {
			doc := Build(c.file, c.invs, lang, manyNow, manyDests())
			r := NewRenderer(c.file, countsOf(c.invs), lang, manyNow, manyDests())
			want, err := doc.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := r.XML(&got, eachOf(c.invs)); err != nil {
				t.Fatal(err)
			}
			sameBytes(t, c.name+" "+lang+" XML", got.Bytes(), want)
			for encoding := range csvEncodings {
				want, err := doc.CSV(encoding)
				if err != nil {
					t.Fatal(err)
				}
				got.Reset()
				if err := r.CSV(&got, encoding, eachOf(c.invs)); err != nil {
					t.Fatal(err)
				}
				sameBytes(t, c.name+" "+lang+" CSV "+encoding, got.Bytes(), want)
			}
		}
	}
}

// sameBytes fails with the first line where got and want part.
func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range min(len(g), len(w)) {
		if !bytes.Equal(g[i], w[i]) {
			t.Fatalf("%s: line %d differs:\n got %q\nwant %q", what, i+1, g[i], w[i])
		}
	}
	t.Fatalf("%s: %d lines, want %d", what, len(g), len(w))
}

// heapSink discards what is written to it and keeps the most bytes of heap objects (live,
// or dead but not swept yet) seen at any write: a renderer holds what it has not written.
type heapSink struct {
	sample []metrics.Sample
	peak   uint64
}

func newHeapSink() *heapSink {
	return &heapSink{sample: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}}
}

func (s *heapSink) heap() uint64 {
	metrics.Read(s.sample)
	return s.sample[0].Value.Uint64()
}

func (s *heapSink) Write(p []byte) (int, error) {
	s.peak = max(s.peak, s.heap())
	return len(p), nil
}

// heapPeak is the most heap render held beyond what was held before it, at any write.
func heapPeak(render func(w io.Writer) error) (uint64, error) {
	sink := newHeapSink()
	runtime.GC()
	base := sink.heap()
	err := render(sink)
	return max(sink.peak, base) - base, err
}

// An ack of 50,000 invoices, each yielded as the journal reads it, is rendered in a few
// megabytes: what a page of invoices and the encoders' buffers hold, not the whole ack
// (the in-memory document and its XML came to over 100 MB).
func TestRenderingHoldsBoundedHeap(t *testing.T) {
	const n, bound = 50_000, 16 << 20
	f, _ := manySample(0)
	counts := map[string]int{journal.InvoiceQueued: n} // not checked against the invoices
	generated := func(yield func(journal.Invoice) error) error {
		for i := range n {
			if err := yield(manyInvoice(i + 1)); err != nil {
				return err
			}
		}
		return nil
	}
	r := NewRenderer(f, counts, "fr", manyNow, manyDests())
	for _, format := range []string{FormatXML, FormatCSV} {
		peak, err := heapPeak(func(w io.Writer) error { return r.Write(w, format, "", generated) })
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: peak heap %.1f MB", format, float64(peak)/(1<<20))
		if peak > bound {
			t.Errorf("rendering %d invoices as %s held %d MB of heap at once, want at most %d MB", n, format, peak>>20, bound>>20)
		}
	}
	peak, err := heapPeak(func(w io.Writer) error {
		f, invs := manySample(n)
		data, err := Build(f, invs, "fr", manyNow, manyDests()).Marshal()
		if err == nil {
			_, err = w.Write(data)
		}
		return err
	})
	t.Logf("built in memory: peak heap %.1f MB", float64(peak)/(1<<20))
	if err != nil || peak <= bound {
		t.Errorf("the bound must be one the ack built in memory exceeds: it held %d MB (%v)", peak>>20, err)
	}
}
