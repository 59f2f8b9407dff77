package syntax

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/internal/invoicetest"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
)

// TestRoundTrips takes every official example through both syntaxes: read it, write it in
// the same syntax and in the other one, check both files against the schemas, read them
// back and compare the models with the original, so that a conversion loses nothing EN
// 16931 defines. The official examples must also pass the business rules.
func TestRoundTrips(t *testing.T) {
	var files []string
	for _, dir := range []string{"ubl", "cii"} {
		fs, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "examples", "invoices", dir), "*.*"))
		if len(fs) == 0 {
			testutil.Missing(t, "no examples in %s", dir)
		}
		files = append(files, fs...)
	}
	out := t.TempDir()
	type written struct {
		src, to, file string
		from          Syntax
		data          []byte // the original document
		original      *invoice.Invoice
	}
	var all []written
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, inv, vs, err := Read(data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, v := range append(vs, Check(s, inv, nil)...) {
			if v.Severity == invoice.Fatal {
				t.Errorf("%s: fatal finding on an official example: %s", filepath.Base(f), v)
			}
		}
		for _, to := range []string{OutputUBL, OutputCII} {
			xml, err := Write(to, inv)
			if err != nil {
				t.Errorf("%s: write %s: %v", filepath.Base(f), to, err)
				continue
			}
			name := filepath.Join(out, fmt.Sprintf("%s.%s.xml", strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)), to))
			if err := os.WriteFile(name, xml, 0o644); err != nil {
				t.Fatal(err)
			}
			all = append(all, written{filepath.Base(f), to, name, s, data, inv})
		}
	}
	if len(all) == 0 {
		t.Fatal("nothing written")
	}
	names := make([]string, len(all))
	for i, w := range all {
		names[i] = w.file
	}
	testutil.CheckInvoice(t, names...)

	same, cross := 0, 0
	for _, w := range all {
		data, err := os.ReadFile(w.file)
		if err != nil {
			t.Fatal(err)
		}
		s, again, vs, err := Read(data)
		if err != nil {
			t.Errorf("%s → %s: reading back: %v", w.src, w.to, err)
			continue
		}
		for _, v := range vs {
			// The official CII rules warn on a second supporting document with a description
			// (CII-SR-475), which EN 16931 allows and the examples have.
			if v.Rule == "CII-SR-475" && v.Severity == invoice.Warning {
				continue
			}
			t.Errorf("%s → %s: finding on the written file: %s", w.src, w.to, v)
		}
		for _, v := range Check(s, again, nil) {
			if v.Severity == invoice.Fatal {
				t.Errorf("%s → %s: fatal finding on the written file: %s", w.src, w.to, v)
			}
		}
		want := w.original
		if w.from.Output() != w.to {
			_, want, _, _ = Read(w.data) // a fresh copy to adjust
			for _, n := range expectedAfter(want, w.to) {
				t.Logf("%s → %s: %s", w.src, w.to, n)
			}
		}
		d := invoicetest.Diff(want, again)
		for _, line := range d {
			t.Errorf("%s → %s: the model changed: %s", w.src, w.to, line)
		}
		if len(d) == 0 {
			if w.from.Output() == w.to {
				same++
			} else {
				cross++
			}
		}
	}
	t.Logf("%d files: %d same-syntax round trips give back the original model, %d cross-syntax ones too (with the derived terms logged above)", len(files), same, cross)
}

// expectedAfter changes inv into what its model becomes once written in the output syntax
// to, where that syntax cannot hold a combination of terms EN 16931 allows, and returns one
// note per change. No term is lost: each writer derives the missing term from the others
// by the relation EN 16931 defines, so that the document is schema-valid.
func expectedAfter(inv *invoice.Invoice, to string) []string {
	var notes []string
	for i := range inv.Lines {
		p := &inv.Lines[i].Price
		switch {
		case to == OutputCII && p.Discount != nil && p.Gross == nil && p.Net != nil:
			// CII D16B: GrossPriceProductTradePrice, which holds the discount BT-147, requires
			// its ChargeAmount BT-148; EN 16931 defines BT-146 = BT-148 − BT-147.
			g := p.Net.Add(*p.Discount)
			p.Gross = &g
			notes = append(notes, fmt.Sprintf("line %d: BT-148 = BT-146 + BT-147 = %s (CII needs the gross price with a discount)", i+1, g))
		case to == OutputUBL && p.Gross != nil && p.Discount == nil:
			// UBL 2.1: cac:Price/cac:AllowanceCharge, which holds the gross price BT-148 as
			// cbc:BaseAmount, requires cbc:Amount (BT-147) = BT-148 − BT-146.
			d := decimal.Zero
			if p.Net != nil {
				d = p.Gross.Sub(*p.Net)
			}
			p.Discount = &d
			notes = append(notes, fmt.Sprintf("line %d: BT-147 = BT-148 − BT-146 = %s (UBL needs the discount with a gross price)", i+1, d))
		}
	}
	if to == OutputCII && inv.TaxCurrency != "" && inv.TaxCurrency == inv.Currency {
		// CII: BR-53 refuses a VAT accounting currency equal to the invoice currency, so the
		// writer leaves BT-6 out (BT-111 is then BT-110).
		notes = append(notes, fmt.Sprintf("BT-6 %s = BT-5 is left out (CII BR-53)", inv.TaxCurrency))
		inv.TaxCurrency = ""
		if inv.Totals.TaxTotal == nil {
			inv.Totals.TaxTotal = inv.Totals.TaxTotalAcctCurr
		}
		inv.Totals.TaxTotalAcctCurr = nil
	}
	if to == OutputUBL && inv.Totals.TaxTotal == nil && len(inv.VAT) > 0 {
		// UBL 2.1: cac:TaxTotal, which holds the VAT breakdown, requires cbc:TaxAmount (BT-110);
		// BR-CO-14 defines BT-110 = Σ BT-117.
		sum := decimal.Zero
		for _, v := range inv.VAT {
			if v.TaxAmount != nil {
				sum = sum.Add(*v.TaxAmount)
			}
		}
		inv.Totals.TaxTotal = &sum
		notes = append(notes, fmt.Sprintf("BT-110 = Σ BT-117 = %s (UBL needs the VAT total with a VAT breakdown)", sum))
	}
	return notes
}
