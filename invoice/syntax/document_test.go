package syntax

import (
	"bytes"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/internal/docrules"
)

var updateRules = flag.Bool("update-rules", false, "regenerate the embedded official rule data from ../shared")

// TestFrenchRulesData checks that the embedded French rules are exactly those of the
// official "FATAL" schematrons in ../shared (regenerate with -update-rules), that the
// "_WARNING" ones differ from them only by their flags, and that the fr-ctc profiles declare
// every official rule id, with the official severity of each file.
func TestFrenchRulesData(t *testing.T) {
	bundle := testutil.Shared(t, "reference", "fnfe-ctc-1.4.0")
	for _, c := range []struct {
		syntax, dir, file, embedded string
		data                        []byte
	}{
		{OutputUBL, "UBL", "BR-FR-Flux2-Schematron-UBL", "frctc-ubl.sch", frUBLData},
		{OutputCII, "CII", "BR-FR-Flux2-Schematron-CII", "frctc-cii.sch", frCIIData},
	} {
		load := func(suffix string) *schematron.Schema {
			data, err := os.ReadFile(bundle + "/" + c.dir + "/EN16931/schematron/" + c.file + suffix + ".sch")
			if err != nil {
				testutil.Missing(t, "official schematron: %v", err)
			}
			s, err := schematron.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		fatal, warning := load(""), load("_WARNING")
		want := fatal.Marshal("The French CTC rules (BR-FR) of the FNFE-MPE validation artefacts v"+invoice.FRCTCVersion+
			" for "+c.dir+" (EUPL), trimmed from "+c.file+".sch (the FATAL file). Generated: go test ./invoice/syntax -run TestFrenchRulesData -update-rules", false)
		if *updateRules {
			if err := os.WriteFile(c.embedded, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !bytes.Equal(want, c.data) {
			t.Errorf("%s differs from the official schematron: run go test ./invoice/syntax -run TestFrenchRulesData -update-rules", c.embedded)
		}
		// The warning file: same tests, other flags.
		fa, wa := fatal.Asserts(), warning.Asserts()
		if len(fa) != len(wa) {
			t.Fatalf("%s: %d asserts in the fatal file, %d in the warning one", c.dir, len(fa), len(wa))
		}
		for _, p := range []*invoice.Profile{invoice.FRCTC(), invoice.FRCTCWarning()} {
			asserts := fa
			if p.Name == "fr-ctc-warning" {
				asserts = wa
			}
			official := map[string]invoice.Severity{}
			for i, a := range asserts {
				if a.Test != fa[i].Test || a.ID != fa[i].ID {
					t.Errorf("%s: assert %d differs beyond its flag between the two files", c.dir, i)
				}
				official[docrules.RuleID(a.ID)] = docrules.Severity(a.Flag)
			}
			declared := map[string]invoice.Severity{}
			for _, r := range p.Rules {
				if r.Document {
					declared[r.ID] = r.Severity
				}
			}
			for id, sev := range official {
				if got, ok := declared[id]; !ok {
					t.Errorf("%s: %s: official rule %s is not declared", p.Name, c.dir, id)
				} else if got != sev {
					t.Errorf("%s: %s: rule %s is %s, officially %s", p.Name, c.dir, id, got, sev)
				}
			}
			for id := range declared {
				if _, ok := official[id]; !ok && !slices.Contains(otherSyntaxOnly, id) {
					t.Errorf("%s: %s: rule %s is not in the official %s rules", p.Name, c.dir, id, c.dir)
				}
			}
		}
	}
}

// otherSyntaxOnly are the rules the official artefacts have for one syntax only.
var otherSyntaxOnly = []string{"BR-FR-32-ID", "BR-FR-MV-BD", "BR-FR-31", "BR-FR-32-GLOBALID", "BR-FR-BD-13"}

// frInvoice is a valid French B2B invoice for CheckInvoice.
func frInvoice() *invoice.Invoice {
	inv := &invoice.Invoice{
		Number: "FA-2026-0042", IssueDate: invoice.NewDate(2026, 10, 14), TypeCode: "380", Currency: "EUR",
		DueDate: invoice.NewDate(2026, 11, 13), BusinessProcess: "S1", Specification: invoice.SpecEN16931,
		Notes: []invoice.Note{{SubjectCode: "PMT", Text: "40 EUR"}, {SubjectCode: "PMD", Text: "Taux légal x 3"}, {SubjectCode: "AAB", Text: "Pas d'escompte"}},
		Seller: invoice.Party{Name: "Atelier Dupont", LegalID: invoice.ID{Value: "732829320", Scheme: "0002"}, VATID: "FR44732829320",
			ElectronicAddress: invoice.ID{Value: "732829320", Scheme: "0225"}, Address: &invoice.Address{City: "Lyon", Country: "FR"}},
		Buyer: invoice.Party{Name: "Librairie Martin", LegalID: invoice.ID{Value: "552100554", Scheme: "0002"},
			ElectronicAddress: invoice.ID{Value: "552100554", Scheme: "0225"}, Address: &invoice.Address{City: "Lyon", Country: "FR"}},
		Lines: []invoice.Line{{ID: "1", Quantity: invoice.Dec("2"), UnitCode: "C62", Price: invoice.Price{Net: invoice.Dec("10.00")},
			VATCategory: "S", VATRate: invoice.Dec("20"), Item: invoice.Item{Name: "Livre"}}},
	}
	invoice.Complete(inv)
	return inv
}

// TestCheckInvoiceFrench: the French rules judge the document an invoice will be written
// as; the model check alone leaves them out, and says so by HasDocumentRules.
func TestCheckInvoiceFrench(t *testing.T) {
	p := invoice.FRCTC()
	if !p.HasDocumentRules() || invoice.EN16931().HasDocumentRules() {
		t.Fatal("HasDocumentRules disagrees with the profiles")
	}
	rules := func(vs []invoice.Violation) []string {
		var out []string
		for _, v := range vs {
			if strings.HasPrefix(v.Rule, "BR-FR") {
				out = append(out, v.Rule)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for _, outs := range [][]string{nil, {OutputUBL}, {OutputCII}, {OutputUBL, OutputCII}, {"facturx"}} {
		if got := rules(CheckInvoice(frInvoice(), p, outs...)); len(got) > 0 {
			t.Errorf("%v: valid French invoice: %v", outs, got)
		}
	}
	inv := frInvoice()
	inv.BusinessProcess = ""
	inv.Notes = inv.Notes[1:]
	if got := rules(invoice.Check(inv, p)); len(got) > 0 {
		t.Errorf("invoice.Check ran document rules: %v", got)
	}
	for _, outs := range [][]string{{OutputUBL}, {OutputCII}, {OutputUBL, OutputCII}} {
		vs := CheckInvoice(inv, p, outs...)
		if got := rules(vs); !slices.Equal(got, []string{"BR-FR-05", "BR-FR-08"}) {
			t.Errorf("%v: without frame and PMT note: %v", outs, got)
		}
		for _, v := range vs {
			if v.Rule == "BR-FR-05" && (v.FR == "" || v.EN == "" || v.Severity != invoice.Fatal || len(v.BT) == 0) {
				t.Errorf("incomplete finding: %+v", v)
			}
		}
	}
	// The transition profile warns.
	for _, v := range CheckInvoice(inv, invoice.FRCTCWarning()) {
		if v.Rule == "BR-FR-08" && v.Severity != invoice.Warning {
			t.Errorf("fr-ctc-warning: BR-FR-08 is %s", v.Severity)
		}
	}
}
