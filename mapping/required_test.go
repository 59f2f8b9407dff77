package mapping

import (
	"os"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/syntax"
)

// Checking a mapping when it loads (issue 13 point 4).

// complete maps every term EN 16931 requires, and nothing more.
const complete = `<?xml version="1.0" encoding="UTF-8"?>
<mapping xmlns="urn:fluxgate:mapping:1" name="complete">
  <source format="csv" encoding="utf-8" delimiter=";" decimal=","/>
  <invoice group-by="No">
    <term bt="BT-1" column="No"/>
    <term bt="BT-2" column="Date"/>
    <term bt="BT-3" value="380"/>
    <term bt="BT-5" value="EUR"/>
    <term bt="BT-20" value="30 jours"/>
    <term bt="BT-24" value="urn:cen.eu:en16931:2017"/>
    <term bt="BT-27" value="Vendeur SA"/>
    <term bt="BT-31" value="FR64482391752"/>
    <term bt="BT-40" value="FR"/>
    <term bt="BT-44" column="Client"/>
    <term bt="BT-55" value="FR"/>
    <line>
      <term bt="BT-153" column="Article"/>
      <term bt="BT-129" column="Qte"/>
      <term bt="BT-130" value="C62"/>
      <term bt="BT-146" column="Prix"/>
      <term bt="BT-151" column="Cat"/>
      <term bt="BT-152" column="Taux"/>
    </line>
  </invoice>
</mapping>`

func TestLoadRefusesWhatItCanNeverSupply(t *testing.T) {
	_, err := Parse("small.xml", []byte(small))
	le, ok := err.(*LoadError)
	if !ok {
		t.Fatalf("got %v", err)
	}
	for _, p := range le.Problems {
		if p.Line != 4 {
			t.Errorf("line %d, want 4 (<invoice>): %s", p.Line, p.Msg)
		}
	}
	for _, rule := range []string{"BR-01", "BR-04", "BR-05", "BR-06", "BR-08", "BR-10", "BR-23", "BR-CO-04", "BR-CO-26"} {
		if !strings.Contains(err.Error(), "("+rule+": ") {
			t.Errorf("no problem for %s in:\n%v", rule, err)
		}
	}
	if len(le.Problems) != 9 {
		t.Errorf("%d problems:\n%v", len(le.Problems), err)
	}
	for _, want := range []string{
		`the mapping never supplies BT-24 (specification identifier), which EN 16931 requires (BR-01: `,
		`map it, e.g. <term bt="BT-24" value="urn:cen.eu:en16931:2017"/>`,
		`the mapping never supplies any of BT-29 (seller identifier), BT-30 (seller legal registration identifier) or BT-31 (seller VAT identifier)`,
		`BG-5 (seller postal address)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("lacks %q:\n%v", want, err)
		}
	}
}

func TestLoadAcceptsACompleteMapping(t *testing.T) {
	if _, err := Parse("complete.xml", []byte(complete)); err != nil {
		t.Fatal(err)
	}
	// What the data decides is not required at load: without BT-31, an invoice of category S
	// breaks BR-S-02, one of category E does not.
	noVAT := strings.Replace(complete, `<term bt="BT-31" value="FR64482391752"/>`, `<term bt="BT-29" value="48239175200011" scheme="0009"/>`, 1)
	if _, err := Parse("novat.xml", []byte(noVAT)); err != nil {
		t.Fatal(err)
	}
	// When the mapping itself says every line is S, it is.
	allS := strings.Replace(noVAT, `<term bt="BT-151" column="Cat"/>`, `<term bt="BT-151" value="S"/>`, 1)
	_, err := Parse("alls.xml", []byte(allS))
	if err == nil || !strings.Contains(err.Error(), "BR-S-02") {
		t.Fatalf("got %v", err)
	}
	// A lookup's entries are what the data can give.
	lk := strings.Replace(allS, `<term bt="BT-151" value="S"/>`, `<term bt="BT-151" column="Cat" lookup="cat"/>`, 1)
	lk = strings.Replace(lk, `<invoice group-by="No">`, `<lookup name="cat"><entry key="N">S</entry><entry key="X">E</entry></lookup><invoice group-by="No">`, 1)
	if _, err := Parse("lk.xml", []byte(lk)); err != nil {
		t.Fatal(err)
	}
}

// profileWith is EN 16931 plus rules a profile might add: BT-23 on every invoice, and a PMD
// note (as the French rules want).
func profileWith() *invoice.Profile {
	p := invoice.EN16931()
	p.Name = "test-profile"
	p.Rules = append(p.Rules,
		invoice.Rule{ID: "T-01", Severity: invoice.Fatal, BT: []string{"BT-23"}, EN: "BT-23 is required.",
			Check: func(inv *invoice.Invoice, report invoice.Report) {
				if inv.BusinessProcess == "" {
					report("")
				}
			}},
		invoice.Rule{ID: "T-02", Severity: invoice.Fatal, BT: []string{"BG-1"}, EN: "A PMD note is required.",
			Check: func(inv *invoice.Invoice, report invoice.Report) {
				for _, n := range inv.Notes {
					if n.SubjectCode == "PMD" {
						return
					}
				}
				report("")
			}})
	return p
}

func TestCheckProfile(t *testing.T) {
	m, err := Load(exampleMapping)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckProfile(invoice.ChorusPro(invoice.ChorusOptions{}), nil); err != nil {
		t.Errorf("chorus-pro: %v", err)
	}
	// ventes-csv has a PMD note, no BT-23.
	err = m.CheckProfile(profileWith(), nil)
	le, ok := err.(*LoadError)
	if !ok || len(le.Problems) != 1 || !strings.Contains(le.Problems[0].Msg, "never supplies BT-23 (business process type), which the test-profile profile requires (T-01: BT-23 is required.)") {
		t.Fatalf("got %v", err)
	}
	// A group the mapping fills with constants only can never hold the note the profile wants.
	m, err = Load(fixedMapping)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckProfile(profileWith(), nil); err == nil || !strings.Contains(err.Error(), "the mapping's BG-1 (invoice note) never meets what the test-profile profile requires (T-02") {
		t.Fatalf("got %v", err)
	}
	// Notes read from the export may hold it: not reported.
	m, err = Load(xmlMapping)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckProfile(profileWith(), nil); err == nil || strings.Contains(err.Error(), "T-02") {
		t.Fatalf("got %v", err)
	}
	if err := m.CheckProfile(invoice.EN16931(), nil); err != nil {
		t.Errorf("en16931 is checked by Load: %v", err)
	}
	// fr-ctc judges the written document: by default its rules run on the probe written in
	// CII. The shipped mappings map no BT-23.
	m, _ = Load(exampleMapping)
	err = m.CheckProfile(invoice.FRCTC(), nil)
	if err == nil || !strings.Contains(err.Error(), "never supplies BT-23 (business process type), which the fr-ctc profile requires (BR-FR-08") {
		t.Errorf("fr-ctc: %v", err)
	}
	// Written in UBL, ventes-csv's buyer identifier (BT-46) lacks its scheme; the schemes of
	// identifiers it does not map (BT-60, BT-71) are not wanted.
	err = m.CheckProfile(invoice.FRCTC(), func(inv *invoice.Invoice, p *invoice.Profile) []invoice.Violation {
		return syntax.CheckInvoice(inv, p, syntax.OutputUBL)
	})
	if err == nil || !strings.Contains(err.Error(), "never supplies BT-46-1 (the scheme of BT-46), which the fr-ctc profile requires (BR-FR-CO-10") || strings.Contains(err.Error(), "BT-60-1") {
		t.Errorf("fr-ctc in UBL: %v", err)
	}
	// The check is the caller's: one that judges the written document can be passed.
	called := false
	m.CheckProfile(profileWith(), func(inv *invoice.Invoice, p *invoice.Profile) []invoice.Violation {
		called = true
		return invoice.Check(inv, p)
	})
	if !called {
		t.Error("the given check was not used")
	}
}

func TestXMLPathThatMatchesNothing(t *testing.T) {
	orig, err := os.ReadFile(xmlMapping)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(orig), `<term bt="BT-13" path="e:Header/e:OrderRef"/>`, `<term bt="BT-13" path="e:Header/e:OrdreRef"/>`, 1)
	src = strings.Replace(src, `path="e:Discount/@percent"`, `path="e:Discount/@pct"`, 1)
	m, err := Parse(xmlMapping, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(xmlExport)
	_, notes := mapNotices(t, m, data)
	if len(notes) != 2 {
		t.Fatalf("notices %v", notes)
	}
	n := notes[0]
	if n.Rule != RulePath || n.Position.Column != "e:Header/e:OrdreRef" || n.Position.MappingLine != mappingLineOf(t, xmlMapping, "BT-13") ||
		!strings.Contains(n.EN, "matched nothing in the first 3 records (under e:Header: e:Number, e:Kind,") || !strings.Contains(n.FR, "ne trouve rien dans les 3 premiers enregistrements") {
		t.Errorf("notice %+v", n)
	}
	if !strings.Contains(notes[1].EN, "the path e:Discount/@pct") || !strings.Contains(notes[1].EN, "under e:Discount: @percent") {
		t.Errorf("notice %+v", notes[1])
	}
	// The shipped mapping's paths all match something (e:Header/e:Corrects only in the third
	// invoice, a credit note).
	m, _ = Load(xmlMapping)
	if _, notes := mapNotices(t, m, data); len(notes) != 0 {
		t.Errorf("notices %v", notes)
	}
}

func TestRequiredPathThatMatchesNothing(t *testing.T) {
	orig, _ := os.ReadFile(xmlMapping)
	src := strings.Replace(string(orig), `path="e:Header/e:Number" required="true"`, `path="e:Header/e:Numero" required="true"`, 1)
	m, err := Parse(xmlMapping, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(xmlExport)
	res, _ := mapNotices(t, m, data)
	p := res[0].Problems[0]
	if p.Rule != RuleRequired || !strings.Contains(p.EN, "the path e:Header/e:Numero matches no element in this record, but invoice number (BT-1) is required") || strings.Contains(p.EN, "column") {
		t.Errorf("problem %+v", p)
	}
	// An element that is there and empty is said to be empty.
	data = []byte(strings.Replace(string(data), "<erp:Number>VF-2026-00981</erp:Number>", "<erp:Number> </erp:Number>", 1))
	m, _ = Load(xmlMapping)
	res, _ = mapNotices(t, m, data)
	if p := res[0].Problems[0]; !strings.Contains(p.EN, "element e:Header/e:Number is empty") {
		t.Errorf("problem %+v", p)
	}
}
