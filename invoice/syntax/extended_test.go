package syntax

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/invoicetest"
	"github.com/fluxgate/fluxgate/internal/officialxslt"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
)

// d22b is the CII D22B schema of the French reform (the CII version its artefacts validate).
func d22b(t *testing.T) string {
	return testutil.Shared(t, "reference", "fnfe-ctc-1.4.0", "CII", "1xsd-CII_D22B_uncoupled", "CrossIndustryInvoice_100pD22B.xsd")
}

// TestCIIOutputD16BAndD22B writes every official example (UBL and CII) as CII and
// validates the result against the D16B schema of EN 16931 and the D22B schema of the
// French reform.
func TestCIIOutputD16BAndD22B(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, from := range []string{"ubl", "cii"} {
		srcs, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "examples", "invoices", from), "*"))
		for _, f := range srcs {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, inv, _, err := Read(data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Write(OutputCII, inv)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
				continue
			}
			name := filepath.Join(dir, filepath.Base(f)+".cii.xml")
			if err := os.WriteFile(name, out, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, name)
		}
	}
	out, err := Write(OutputCII, frInvoice())
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "french.cii.xml")
	if err := os.WriteFile(name, out, 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, name)
	testutil.CheckInvoice(t, files...) // D16B (and UBL 2.1) through ../shared/tools/check-invoice
	testutil.ValidateXSD(t, d22b(t), files...)
}

// extendedCreditNote is a French credit note declaring EXTENDED-CTC-FR that corrects two
// invoices, one per line (EXT-FR-FE-136/138), without a header reference (BG-3).
func extendedCreditNote() *invoice.Invoice {
	inv := frInvoice()
	inv.Specification = invoice.SpecExtendedCTCFR
	inv.TypeCode = invoice.TypeCreditNote
	inv.Number = "AV-2026-0007"
	inv.Lines = append(inv.Lines, inv.Lines[0])
	inv.Lines[1].ID = "2"
	inv.Lines[0].PrecedingInvoice = &invoice.PrecedingInvoice{Number: "FA-2026-0040", IssueDate: invoice.NewDate(2026, 9, 30)}
	inv.Lines[1].PrecedingInvoice = &invoice.PrecedingInvoice{Number: "FA-2026-0041", IssueDate: invoice.NewDate(2026, 10, 2)}
	inv.Lines[0].NetAmount, inv.Lines[1].NetAmount = nil, nil
	inv.VAT, inv.Totals = nil, invoice.Totals{}
	invoice.Complete(inv)
	return inv
}

// TestExtendedCTCFR: an invoice declaring EXTENDED-CTC-FR (BT-24) with its per-line
// preceding invoices is written in CII (D22B-valid) and UBL, read back unchanged, passes
// the official EXTENDED-CTC-FR and French stylesheets, and the per-line references satisfy
// BR-FR-CO-05 without a header reference.
func TestExtendedCTCFR(t *testing.T) {
	inv := extendedCreditNote()
	dir := t.TempDir()
	files := map[string]string{}
	for _, out := range []string{OutputCII, OutputUBL} {
		data, err := Write(out, inv)
		if err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if !strings.Contains(string(data), invoice.SpecExtendedCTCFR) || !strings.Contains(string(data), "FA-2026-0041") {
			t.Errorf("%s: the profile or a line's preceding invoice is not written", out)
		}
		s, again, vs, err := Read(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.Severity == invoice.Fatal || strings.HasSuffix(v.Rule, "-READ") {
				t.Errorf("%s: reading back: %s", out, v)
			}
		}
		for _, d := range invoicetest.Diff(inv, again) {
			t.Errorf("%s: round trip: %s", out, d)
		}
		for _, v := range CheckInvoice(again, invoice.FRCTC(), out) {
			if strings.HasPrefix(v.Rule, "BR-FR") || v.Severity == invoice.Fatal {
				t.Errorf("%s (%s): %s", out, s, v)
			}
		}
		f := filepath.Join(dir, "extended."+out+".xml")
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files[out] = f
	}
	testutil.ValidateXSD(t, d22b(t), files[OutputCII])
	testutil.CheckInvoice(t, files[OutputUBL])

	bundle := testutil.Shared(t, "reference", "fnfe-ctc-1.4.0")
	official := officialxslt.Saxon(t, filepath.Join(bundle, "CII", "EXTENDED-CTC-FR", "2xslt", "EXTENDED-CTC-FR-CII.xslt"), []string{files[OutputCII]})
	for f, fs := range officialxslt.SaxonJS(t, filepath.Join(bundle, "UBL", "EXTENDED-CTC-FR", "2xslt", "EXTENDED-CTC-FR-UBL.xslt"), []string{files[OutputUBL]}) {
		official[f] = fs
	}
	for f, fs := range officialxslt.Saxon(t, filepath.Join(bundle, "CII", "EXTENDED-CTC-FR", "2xslt", "BR-FR-Flux2-Schematron-CII.xslt"), []string{files[OutputCII]}) {
		official[f] = append(official[f], fs...)
	}
	for f, fs := range official {
		for _, x := range fs {
			if x.Flag == "fatal" || x.ID == officialxslt.ErrorID {
				t.Errorf("%s: the official EXTENDED-CTC-FR artefacts report %s: %s", filepath.Base(f), x.ID, x.Text)
			}
		}
	}
	// Without its per-line references, the credit note breaks BR-FR-CO-05.
	inv.Lines[1].PrecedingInvoice = nil
	if vs := CheckInvoice(inv, invoice.FRCTC(), OutputCII); !slices.ContainsFunc(vs, func(v invoice.Violation) bool { return v.Rule == "BR-FR-CO-05" }) {
		t.Errorf("a credit note with a line without its invoice passes BR-FR-CO-05: %v", vs)
	}
}
