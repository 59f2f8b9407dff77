package mapping

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
)

const (
	fixedMapping = "../examples/mappings/factures-dos.xml"
	fixedExport  = "../examples/exports/factures-dos-2026-11.txt"
	xmlMapping   = "../examples/mappings/erp-xml.xml"
	xmlExport    = "../examples/exports/erp-export-2026-11-30.xml"
)

func checkValid(t *testing.T, res []*Result) {
	t.Helper()
	for _, r := range res {
		for _, p := range r.Problems {
			t.Errorf("%s: problem %s", r.Key, p)
		}
		for _, v := range invoice.Check(r.Invoice, nil) {
			t.Errorf("%s: %s (from %v)", r.Key, v, r.Locate(v.Path, v.BT))
		}
	}
}

func TestFixedWidthExample(t *testing.T) {
	data, err := os.ReadFile(fixedExport)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\r\n") || !strings.Contains(string(data), "Comt\x82") {
		t.Fatal("the fixed-width example must be CP850 with CRLF (é is 0x82)")
	}
	res := mapFile(t, fixedMapping, fixedExport)
	if len(res) != 3 {
		t.Fatalf("%d invoices", len(res))
	}
	checkValid(t, res)
	inv := res[0].Invoice
	if inv.Number != "FA-4512" || len(inv.Lines) != 3 || len(inv.VAT) != 2 || inv.Buyer.Name != "Fromagerie Bourguignonne Martin" {
		t.Errorf("invoice %q lines %d vat %d buyer %q", inv.Number, len(inv.Lines), len(inv.VAT), inv.Buyer.Name)
	}
	dec(t, inv.Lines[0].Quantity, "38.25") // 000038250 with 3 implied decimals
	dec(t, inv.Lines[0].Price.Net, "19.40")
	dec(t, inv.Totals.TaxInclusive, "1074.46")
	if n := inv.Lines[1].Item.Name; n != "Plateau ardoise 40 × 30 cm" {
		t.Errorf("CP850 item %q", n)
	}
	if n := res[1].Invoice.Buyer.Name; n != "Épicerie du Château d'Eau" {
		t.Errorf("CP850 buyer %q", n)
	}
	// The negative invoice became a credit note with positive amounts.
	cn := res[2].Invoice
	if cn.TypeCode != "381" {
		t.Errorf("negative invoice type %q, want 381", cn.TypeCode)
	}
	dec(t, cn.Lines[0].Quantity, "4.5")
	dec(t, cn.Totals.Payable, "131.10")
	dec(t, cn.VAT[0].TaxableAmount, "87.30")
	// Positions: the field's name and character positions, the record's line.
	want := Position{File: fixedExport, Line: 3, Column: "Quantite (69-77)", MappingLine: mappingLineOf(t, fixedMapping, `bt="BT-129"`)}
	if got := res[0].Locate("BG-25[2]", []string{"BT-129"}); got != want {
		t.Errorf("Locate = %+v, want %+v", got, want)
	}
	want = Position{File: fixedExport, Line: 6, Column: "Montant (30-41)", MappingLine: mappingLineOf(t, fixedMapping, `bt="BT-117"`)}
	if got := res[0].Locate("BG-23[2]", []string{"BT-117"}); got != want {
		t.Errorf("Locate VAT = %+v, want %+v", got, want)
	}
	want = Position{File: fixedExport, Line: 7, Column: "TotalTTC (37-48)", MappingLine: mappingLineOf(t, fixedMapping, `bt="BT-112"`)}
	if got := res[0].Locate("", []string{"BT-112"}); got != want {
		t.Errorf("Locate total = %+v, want %+v", got, want)
	}
}

func mappingLineOf(t *testing.T, file, s string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not in %s", s, file)
	return 0
}

func TestXMLExample(t *testing.T) {
	res := mapFile(t, xmlMapping, xmlExport)
	if len(res) != 3 {
		t.Fatalf("%d invoices", len(res))
	}
	checkValid(t, res)
	inv := res[0].Invoice
	if inv.Number != "VF-2026-00981" || len(inv.Lines) != 2 || len(inv.Charges) != 1 || len(inv.Notes) != 1 || inv.Buyer.Address.Country != "FR" {
		t.Errorf("invoice %+v", inv)
	}
	if inv.InvoicingPeriod == nil || inv.InvoicingPeriod.Start != invoice.NewDate(2026, 11, 1) {
		t.Errorf("period %+v", inv.InvoicingPeriod)
	}
	dec(t, inv.Lines[0].Allowances[0].Amount, "35.63") // 7,5 × 95 × 5 %
	if c := res[1].Invoice.Buyer.Address.Country; c != "BE" {
		t.Errorf("lookup file, ignore-case: country %q", c)
	}
	if v := res[1].Invoice.VAT[0]; v.Category != "K" || v.ExemptionReasonCode != "VATEX-EU-IC" {
		t.Errorf("exemption %+v", v)
	}
	cn := res[2].Invoice
	if cn.TypeCode != "381" || len(cn.PrecedingInvoices) != 1 || cn.PrecedingInvoices[0].Number != "VF-2026-00911" {
		t.Errorf("credit note %q %+v", cn.TypeCode, cn.PrecedingInvoices)
	}
	want := Position{File: xmlExport, Line: 32, Column: "/e:Export/e:Invoice[1]/e:Lines/e:Line[1]/e:UnitPrice", MappingLine: mappingLineOf(t, xmlMapping, `bt="BT-146"`)}
	if got := res[0].Locate("BG-25[1]", []string{"BT-146"}); got != want {
		t.Errorf("Locate = %+v, want %+v", got, want)
	}
	want = Position{File: xmlExport, Line: 39, Column: "/e:Export/e:Invoice[1]/e:Lines/e:Line[2]/e:Qty/@unit", MappingLine: mappingLineOf(t, xmlMapping, `bt="BT-130"`)}
	if got := res[0].Locate("BG-25[2]", []string{"BT-130"}); got != want {
		t.Errorf("Locate attribute = %+v, want %+v", got, want)
	}
}

func TestShippedMappingsMatchTheSchema(t *testing.T) {
	files, _ := filepath.Glob("../examples/mappings/*.xml")
	if len(files) < 3 {
		t.Fatalf("mappings %v", files)
	}
	testutil.ValidateXSD(t, "../xsd/mapping.xsd", files...)
}

func TestGoldenOutputsAreValid(t *testing.T) {
	files, _ := filepath.Glob("../examples/golden/*/*/*.xml")
	if len(files) < 20 {
		t.Fatalf("golden files %v", files)
	}
	testutil.CheckInvoice(t, files...)
}

func TestExpressions(t *testing.T) {
	src := `<mapping xmlns="urn:fluxgate:mapping:1">
  <source format="csv" encoding="cp850" delimiter="|" quote="none" skip="2" decimal="," thousands="."/>
  <constants><constant name="prefixe">FAC</constant></constants>
  <lookup name="tva"><entry key="N">S</entry></lookup>
  <lookup name="pays" ignore-case="true" otherwise="FR"><entry key="belgique">BE</entry></lookup>
  <invoice group-by="Num">
    <term bt="BT-1"><concat separator="-"><const name="prefixe"/><pad width="6" char="0"><field name="Num"/></pad></concat></term>
    <term bt="BT-2" column="Date" date="yyyymmdd"/>
    <term bt="BT-3"><choose><when field="Sens" equals="C">381</when><otherwise>380</otherwise></choose></term>
    <term bt="BT-44"><capitalize><field name="Client"/></capitalize></term>
    <term bt="BT-45"><upper><substring start="1" length="3"><field name="Client"/></substring></upper></term>
    <term bt="BT-10"><replace pattern="[^0-9]" with=""><field name="Ref"/></replace></term>
    <term bt="BT-11"><first><field name="Vide"/><field name="Ref"/></first></term>
    <term bt="BT-12"><trim chars="*"><field name="Ref"/></trim></term>
    <term bt="BT-55"><lookup table="pays"><field name="Pays"/></lookup></term>
    <term bt="BT-40" column="Pays" lookup="pays"/>
    <line>
      <term bt="BT-129" column="Qte" decimals="2"/>
      <term bt="BT-146" column="Prix"/>
      <term bt="BT-151" column="TVA" lookup="tva"/>
    </line>
  </invoice>
</mapping>`
	m := mustParse(t, src)
	text := "EXPORT DU 30/11/2026\r\n\r\nNum|Date|Sens|Client|Ref|Vide|Pays|Qte|Prix|TVA\r\n" +
		"42|20261130|C|SOCIÉTÉ DUPONT ET FILS|*AB-12/7*||BELGIQUE|150|1.234,50-|N\r\n" +
		"42|20261130|C|SOCIÉTÉ DUPONT ET FILS|*AB-12/7*||BELGIQUE|-200|10|X\r\n" +
		"43|20261130|D|MARTIN|R1||Nulle part|1|1|N\r\n"
	data, err := charmap.CodePage850.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	res, err := mapAll(t, m, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d invoices", len(res))
	}
	inv := res[0].Invoice
	for _, c := range [][2]string{
		{inv.Number, "FAC-000042"}, {inv.TypeCode, "381"}, {inv.Buyer.Name, "Société Dupont Et Fils"}, {inv.Buyer.TradingName, "SOC"},
		{inv.BuyerReference, "127"}, {inv.ProjectReference, "*AB-12/7*"}, {inv.ContractReference, "AB-12/7"},
		{inv.Buyer.Address.Country, "BE"}, {res[1].Invoice.Buyer.Address.Country, "FR"}, {res[1].Invoice.TypeCode, "380"},
	} {
		if c[0] != c[1] {
			t.Errorf("got %q, want %q", c[0], c[1])
		}
	}
	if inv.IssueDate != invoice.NewDate(2026, 11, 30) || res[0].Lines != [2]int{4, 5} {
		t.Errorf("date %v lines %v", inv.IssueDate, res[0].Lines)
	}
	dec(t, inv.Lines[0].Quantity, "1.5")
	dec(t, inv.Lines[0].Price.Net, "-1234.50")
	dec(t, inv.Lines[1].Quantity, "-2")
	if len(res[0].Problems) != 1 || res[0].Problems[0].Rule != RuleLookup || res[0].Problems[0].Position.Line != 5 || res[0].Problems[0].Position.Column != "TVA" {
		t.Errorf("problems %v", res[0].Problems)
	}
}

func TestTypedCSVAndHeaderRecord(t *testing.T) {
	src := `<mapping xmlns="urn:fluxgate:mapping:1">
  <source format="csv" header="false" type-column="1" decimal=".">
    <record name="H" type="H"><field name="Num" column="2"/><field name="Client" column="3"/></record>
    <record name="L" type="L"><field name="Article" column="2"/><field name="Qte" column="3"/><field name="Prix" column="4"/></record>
    <record name="N" type="N"><field name="Texte" column="2"/></record>
  </source>
  <invoice record="H">
    <term bt="BT-1" column="Num"/>
    <term bt="BT-44" column="Client"/>
    <group bg="BG-1" record="N"><term bt="BT-22" column="Texte"/></group>
    <line record="L">
      <term bt="BT-153" column="Article"/>
      <term bt="BT-129" column="Qte"/>
      <term bt="BT-146" column="Prix"/>
    </line>
  </invoice>
</mapping>`
	m := mustParse(t, src)
	res, err := mapAll(t, m, []byte("H;F1;Dupont\nL;Vis;2;1.5\nN;Merci\nL;Clou;1;0.1\nH;F2;Martin\nL;Vis;1;1\nX;??\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || len(res[0].Invoice.Lines) != 2 || len(res[0].Invoice.Notes) != 1 || res[0].Invoice.Notes[0].Text != "Merci" || res[1].Invoice.Buyer.Name != "Martin" {
		t.Fatalf("results %+v", res)
	}
	if p := res[1].Problems; len(p) != 1 || p[0].Rule != RuleRecord || p[0].Position.Line != 7 {
		t.Errorf("unknown record type: %v", p)
	}
}

func TestGroupingAnyAcrossKinds(t *testing.T) {
	// Non-consecutive rows of a CSV with grouping="any" (the documented cost: all in memory).
	m := mustParse(t, strings.Replace(small, `group-by="No"`, `group-by="No" grouping="any"`, 1))
	res, err := mapAll(t, m, []byte(scattered))
	if err != nil || len(res) != 3 || len(res[0].Invoice.Lines) != 2 {
		t.Fatalf("%v %d", err, len(res))
	}
}

func TestNewLoadErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`<source format="fixed"><record name="a"><field name="X" start="1" length="2"/></record></source><invoice><term bt="BT-1" column="Y"/><line/></invoice>`, `test.xml:1: field "Y" is not declared in record "a" (fields: X)`},
		{`<source format="fixed" type-start="1"><record name="a" type="1"><field name="X" start="1" length="2"/></record><record name="b" type="2"><field name="X" start="1" length="2"/></record></source><invoice><term bt="BT-1" column="X"/><line record="c"/></invoice>`, `unknown record "c" (declared: a, b)`},
		{`<source format="fixed" type-start="1"><record name="a" type="1"><field name="X" start="1" length="2"/></record><record name="b" type="2"><field name="X" start="1" length="2"/></record></source><invoice><term bt="BT-1" column="X"/><line/></invoice>`, `<line> needs record=`},
		{`<source format="csv"/><invoice><term bt="BT-1" column="X"/><line select="a/b"/></invoice>`, `select="a/b" applies to an XML source`},
		{`<source format="xml"><record name="i" path="/E/I"/></source><invoice><term bt="BT-1" path="x:N"/><line/></invoice>`, `prefix "x" is not declared`},
		{`<source format="xml"><record name="i" path="E/I"/></source><invoice><term bt="BT-1" path="N"/><line/></invoice>`, `a record path starts at the root`},
		{`<source format="csv"/><invoice><term bt="BT-1"><substring start="0"><field name="X"/></substring></term><line/></invoice>`, `start="0" must be a whole number of at least 1`},
		{`<source format="csv"/><invoice><term bt="BT-1"><replace pattern="(" with=""><field name="X"/></replace></term><line/></invoice>`, `is not a regular expression`},
		{`<source format="csv"/><invoice><term bt="BT-1"><frobnicate/></term><line/></invoice>`, `unknown element <frobnicate>`},
		{`<source format="csv" encoding="cp437"/><invoice><term bt="BT-1" column="X"/><line/></invoice>`, `unknown encoding "cp437"`},
		{`<source format="csv"/><lookup name="x" file="nope.csv" key="a" value="b"/><invoice><term bt="BT-1" column="X"/><line/></invoice>`, `lookup "x": open`},
	} {
		_, err := Parse("test.xml", []byte(`<mapping xmlns="urn:fluxgate:mapping:1">`+c.src+`</mapping>`))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\ngot  %v\nwant %s", c.src, err, c.want)
		}
	}
}

func TestExplain(t *testing.T) {
	m, err := Load(exampleMapping)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(exampleExport)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var first *Result
	err = m.MapWith(context.Background(), f, "ventes.csv", Options{Explain: true}, func(r *Result) error {
		if first == nil {
			first = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Lineage{}
	for _, l := range first.Explain() {
		got[l.Path+" "+l.BT] = l
	}
	l := got["BG-25[1] BT-130"]
	if l.Value != "KGM" || l.Source.Line != 2 || l.Source.Column != "Unite" || len(l.Steps) != 2 || !strings.Contains(l.Steps[1], `lookup unite: "KG" → "KGM"`) {
		t.Errorf("unit lineage %+v", l)
	}
	if l := got[" BT-112"]; l.Computed == "" || l.Value != "738.41" {
		t.Errorf("total lineage %+v", l)
	}
	if l := got["BG-25[1] BT-131"]; !strings.Contains(l.Computed, "BT-129 × BT-146") {
		t.Errorf("line net lineage %+v", l)
	}
	// Without the option, nothing is kept.
	res := mapFile(t, exampleMapping, exampleExport)
	if res[0].Explain() != nil {
		t.Error("Explain without Options.Explain")
	}
}

func TestXMLFlatRowsGroupedByKey(t *testing.T) {
	src := `<mapping xmlns="urn:fluxgate:mapping:1">
  <source format="xml" decimal=".">
    <record name="row" path="//Row"/>
  </source>
  <invoice group-by="@invoice">
    <term bt="BT-1" path="@invoice"/>
    <term bt="BT-2" path="Date" date="yyyy-mm-dd"/>
    <line>
      <term bt="BT-129" path="Qty"/>
    </line>
  </invoice>
</mapping>`
	m := mustParse(t, src)
	data := `<?xml version="1.0" encoding="windows-1252"?>
<Export><Rows>
  <Row invoice="A"><Date>2026-11-30</Date><Qty>1</Qty></Row>
  <Row invoice="A"><Date>2026-11-30</Date><Qty>2.5</Qty></Row>
  <Row invoice="B"><Date>2026-11-31</Date><Qty>x</Qty></Row>
</Rows></Export>`
	res, err := mapAll(t, m, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || len(res[0].Invoice.Lines) != 2 || res[0].Lines != [2]int{3, 4} {
		t.Fatalf("results %d, lines %v", len(res), res[0].Lines)
	}
	dec(t, res[0].Invoice.Lines[1].Quantity, "2.5")
	var got []string
	for _, p := range res[1].Problems {
		got = append(got, p.Rule+" "+p.Position.Column)
	}
	if strings.Join(got, ";") != "FG-MAP-DATE /Export/Rows/Row[3]/Date;FG-MAP-NUMBER /Export/Rows/Row[3]/Qty" || res[1].Problems[0].Position.Line != 5 {
		t.Errorf("problems %v", res[1].Problems)
	}
	_, err = mapAll(t, m, []byte(`<Export><Row invoice="A"><Qty>1</Row></Export>`))
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 1 || !strings.Contains(fe.EN, "not well-formed XML") {
		t.Errorf("malformed XML: %v", err)
	}
}
