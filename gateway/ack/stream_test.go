package ack

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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

// render renders the ack of f and invs in format, as writeAck does from the journal.
func render(t testing.TB, f journal.File, invs []journal.Invoice, lang string, now time.Time, dests map[string]journal.DestinationState, format, encoding string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := NewRenderer(f, countsOf(invs), lang, now, dests).Render(&buf, format, encoding, eachOf(invs)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// build renders the XML ack of f and invs and reads it back.
func build(t testing.TB, f journal.File, invs []journal.Invoice, lang string, now time.Time, dests map[string]journal.DestinationState) Document {
	t.Helper()
	var doc Document
	if err := xml.Unmarshal(render(t, f, invs, lang, now, dests, FormatXML, ""), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestManyGolden compares the acks of a file of invoices in every state, byte for byte,
// with their golden files. Those were written by the acks built whole in memory
// (Build+Marshal, Document.CSV) before the renderer replaced them, which gave the same
// bytes for 1,200 such invoices in both languages and every encoding.
// `go test ./gateway/ack -run ManyGolden -update` rewrites them after a deliberate change.
func TestManyGolden(t *testing.T) {
	f, invs := manySample(24)
	for _, c := range []struct{ golden, lang, format, encoding string }{
		{"many-fr.xml", "fr", FormatXML, ""},
		{"many-en.xml", "en", FormatXML, ""},
		{"many-fr.windows-1252.csv", "fr", FormatCSV, "windows-1252"},
		{"many-en.utf-8-bom.csv", "en", FormatCSV, "utf-8-bom"},
		{"many-fr.cp850.csv", "fr", FormatCSV, "cp850"},
	} {
		t.Run(c.golden, func(t *testing.T) {
			golden(t, c.golden, render(t, f, invs, c.lang, manyNow, manyDests(), c.format, c.encoding))
		})
	}
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

// heapPeak is the most heap render held beyond what was held before it, at any write. The
// collector runs after every 10% of growth meanwhile, instead of 100%: what is measured is
// then what render holds, not the garbage the rest of the test binary's heap lets pile up.
func heapPeak(render func(w io.Writer) error) (uint64, error) {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	sink := newHeapSink()
	runtime.GC()
	base := sink.heap()
	err := render(sink)
	return max(sink.peak, base) - base, err
}

// An ack of 50,000 invoices, each yielded as the journal reads it, is rendered in a few
// megabytes (1 to 3 MB here): what an invoice and the encoders' buffers hold, not the whole
// ack. Built whole in memory then marshalled, as acks were, it held 135 MB.
func TestRenderingHoldsBoundedHeap(t *testing.T) {
	const n, bound = 50_000, 8 << 20
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
		peak, err := heapPeak(func(w io.Writer) error { return r.Render(w, format, "", generated) })
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: peak heap %.1f MB", format, float64(peak)/(1<<20))
		if peak > bound {
			t.Errorf("rendering %d invoices as %s held %d MB of heap at once, want at most %d MB", n, format, peak>>20, bound>>20)
		}
	}
}
