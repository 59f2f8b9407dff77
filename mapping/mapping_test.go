package mapping

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
)

const (
	exampleMapping = "../examples/mappings/ventes-csv.xml"
	exampleExport  = "../examples/exports/ventes-2026-11.csv"
	exampleErrors  = "../examples/exports/ventes-erreurs.csv"
)

// small is a compact mapping for the reader tests.
const small = `<?xml version="1.0" encoding="UTF-8"?>
<mapping xmlns="urn:fluxgate:mapping:1" name="small">
  <source format="csv" encoding="utf-8" delimiter=";" decimal=","/>
  <invoice group-by="No">
    <term bt="BT-1" column="No"/>
    <term bt="BT-2" column="Date"/>
    <term bt="BT-44" column="Client"/>
    <line>
      <term bt="BT-153" column="Article"/>
      <term bt="BT-129" column="Qte"/>
      <term bt="BT-146" column="Prix"/>
    </line>
  </invoice>
</mapping>`

// mustParse loads a mapping that may be partial (the readers' tests do not map every
// required term): Parse would refuse it.
func mustParse(t testing.TB, src string) *Mapping {
	t.Helper()
	m, err := parse("test.xml", []byte(src), false)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mapAll(t testing.TB, m *Mapping, data []byte) ([]*Result, error) {
	t.Helper()
	var out []*Result
	err := m.Map(context.Background(), bytes.NewReader(data), "export.csv", func(r *Result) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

func mapFile(t *testing.T, mapping, export string) []*Result {
	t.Helper()
	m, err := Load(mapping)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(export)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*Result
	if err := m.Map(context.Background(), f, export, func(r *Result) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// mappingLine returns the line of the example mapping that contains s.
func mappingLine(t *testing.T, s string) int {
	t.Helper()
	data, err := os.ReadFile(exampleMapping)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not in the mapping", s)
	return 0
}

func dec(t *testing.T, d *decimal.Decimal, want string) {
	t.Helper()
	if d == nil {
		t.Errorf("got nil, want %s", want)
		return
	}
	if !d.Equal(decimal.RequireFromString(want)) {
		t.Errorf("got %s, want %s", d, want)
	}
}

func TestExampleExportIsWindows1252(t *testing.T) {
	data, err := os.ReadFile(exampleExport)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{{'S', 'o', 'c', 'i', 0xE9, 't', 0xE9}, {'H', 0xF4, 'p'}, {'b', 0x9C, 'u', 'f'}, {'L', 0x92, 0xC2, 't', 'r', 'e'}} {
		if !bytes.Contains(data, b) {
			t.Errorf("the export does not hold the Windows-1252 bytes %q", b)
		}
	}
	if !bytes.Contains(data, []byte("\r\n")) {
		t.Error("the export does not use CRLF")
	}
}

func TestExampleMaps(t *testing.T) {
	res := mapFile(t, exampleMapping, exampleExport)
	var keys []string
	var lines []int
	for _, r := range res {
		keys = append(keys, r.Key)
		lines = append(lines, len(r.Invoice.Lines))
		for _, p := range r.Problems {
			t.Errorf("%s: unexpected problem %s", r.Key, p)
		}
	}
	if got, want := fmt.Sprint(keys), "[FA2026-1101 FA2026-1102 FA2026-1103 FA2026-1104 AV2026-0007 FA2026-1105]"; got != want {
		t.Fatalf("invoices %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(lines), "[3 3 2 3 1 3]"; got != want {
		t.Errorf("line counts %s, want %s", got, want)
	}
	by := map[string]*Result{}
	for _, r := range res {
		by[r.Key] = r
	}

	inv := by["FA2026-1101"].Invoice
	if inv.TypeCode != invoice.TypeCommercialInvoice || inv.Currency != "EUR" || inv.Specification != invoice.SpecEN16931 {
		t.Errorf("header: type %q currency %q spec %q", inv.TypeCode, inv.Currency, inv.Specification)
	}
	if inv.IssueDate != invoice.NewDate(2026, 11, 3) || inv.DueDate != invoice.NewDate(2026, 12, 3) {
		t.Errorf("dates %v %v", inv.IssueDate, inv.DueDate)
	}
	if inv.Buyer.Name != "Crémerie du Marché Saint-Honoré" || inv.Buyer.Address.Country != "FR" || inv.Buyer.VATID != "FR38784120396" {
		t.Errorf("buyer %+v", inv.Buyer)
	}
	if inv.Buyer.ElectronicAddress != (invoice.ID{Value: "78412039600113", Scheme: "0009"}) {
		t.Errorf("buyer electronic address %+v", inv.Buyer.ElectronicAddress)
	}
	s := inv.Seller
	if s.Name != "Les Fromageries du Val de Saône" || s.VATID != "FR64482391752" || s.Address.Country != "FR" ||
		len(s.IDs) != 1 || s.IDs[0] != (invoice.ID{Value: "48239175200011", Scheme: "0009"}) ||
		s.LegalID != (invoice.ID{Value: "482391752", Scheme: "0002"}) ||
		s.ElectronicAddress != (invoice.ID{Value: "482391752", Scheme: "0225"}) {
		t.Errorf("seller %+v", s)
	}
	if len(inv.Notes) != 3 || inv.Notes[1].SubjectCode != "PMT" || !strings.Contains(inv.Notes[1].Text, "40 €") {
		t.Errorf("notes %+v", inv.Notes)
	}
	if p := inv.Payment; p == nil || p.MeansCode != "30" || len(p.CreditTransfer) != 1 || p.CreditTransfer[0].AccountID != "FR7630004013280001234567810" {
		t.Errorf("payment %+v", inv.Payment)
	}
	if len(inv.PrecedingInvoices) != 0 {
		t.Errorf("an invoice with an empty FactureOrigine has preceding invoices %+v", inv.PrecedingInvoices)
	}
	l := inv.Lines[0]
	dec(t, l.Quantity, "24.5")
	dec(t, l.Price.Net, "21.80")
	dec(t, l.VATRate, "5.5")
	if l.ID != "1" || l.UnitCode != "KGM" || l.VATCategory != "S" || l.Item.Name != "Comté AOP 18 mois" || l.Item.SellerID != "COM18" || len(l.Allowances) != 0 {
		t.Errorf("line 1 %+v", l)
	}
	if u := inv.Lines[2].UnitCode; u != "LS" {
		t.Errorf("unit FORF → %q, want LS", u)
	}

	// Discount %, a price with a no-break space as thousands separator, œ (0x9C in CP1252).
	inv = by["FA2026-1102"].Invoice
	if inv.Buyer.Name != "Société Générale des Eaux" || inv.Payment.MeansCode != "58" {
		t.Errorf("buyer %q, means %q", inv.Buyer.Name, inv.Payment.MeansCode)
	}
	if a := inv.Lines[0].Allowances; len(a) != 1 {
		t.Errorf("discounted line allowances %+v", a)
	} else {
		dec(t, a[0].Percentage, "10")
		dec(t, a[0].BaseAmount, "1260.00")
		dec(t, a[0].Amount, "126.00")
		if a[0].Reason != "Remise commerciale" || a[0].ReasonCode != "95" {
			t.Errorf("allowance reason %q %q", a[0].Reason, a[0].ReasonCode)
		}
	}
	dec(t, inv.Lines[1].Price.Net, "1290.00")
	if len(inv.Lines[1].Allowances) != 0 {
		t.Errorf("a line without discount has allowances %+v", inv.Lines[1].Allowances)
	}
	if n := inv.Lines[2].Item.Name; n != "Terrine de bœuf au Morbier" {
		t.Errorf("item %q", n)
	}
	if n := inv.Lines[0].Item.Name; n != "Coffret dégustation « Noël » 4 fromages" {
		t.Errorf("item %q", n)
	}

	if n := by["FA2026-1103"].Invoice.Buyer.Name; n != "Hôpital Privé de la Côte-d'Or" {
		t.Errorf("buyer %q", n)
	}
	// Quoted fields: a ";" inside, doubled quotes.
	inv = by["FA2026-1104"].Invoice
	if n := inv.Lines[0].Item.Name; n != "Assortiment « Terroir » ; chèvre, brebis, vache" {
		t.Errorf("item %q", n)
	}
	if n := inv.Lines[1].Item.Name; n != `Tomme "fermière" de Savoie` {
		t.Errorf("item %q", n)
	}
	dec(t, inv.Lines[1].Quantity, "8.35")
	dec(t, inv.Lines[0].Allowances[0].Amount, "16.50") // 12 × 27,50 × 5 %

	// The credit note.
	inv = by["AV2026-0007"].Invoice
	if inv.TypeCode != invoice.TypeCreditNote || !inv.IsCreditNote() {
		t.Errorf("credit note type %q", inv.TypeCode)
	}
	if len(inv.PrecedingInvoices) != 1 || inv.PrecedingInvoices[0].Number != "FA2026-1101" {
		t.Errorf("preceding invoices %+v", inv.PrecedingInvoices)
	}
	if !inv.DueDate.IsZero() {
		t.Errorf("due date %v on a credit note with an empty DateEcheance", inv.DueDate)
	}
	dec(t, inv.Lines[0].Quantity, "2.5")
	if n := by["FA2026-1105"].Invoice.Buyer.Name; n != "Restaurant L’Âtre Gourmand" {
		t.Errorf("buyer %q (’ is 0x92 in CP1252)", n)
	}

	// Completed and valid.
	for _, r := range res {
		for _, v := range invoice.Check(r.Invoice, nil) {
			t.Errorf("%s: %s (from %v)", r.Key, v, r.Locate(v.Path, v.BT))
		}
	}
	tot := by["FA2026-1102"].Invoice.Totals
	dec(t, tot.TaxExclusive, "2691.00") // 1260 − 126 + 1290 + 267
	dec(t, tot.TaxTotal, "335.06")      // 1401 × 5,5 % = 77,06 + 1290 × 20 % = 258
	dec(t, tot.Payable, "3026.06")
	dec(t, by["FA2026-1102"].Invoice.Lines[0].NetAmount, "1134.00")

	// Source positions.
	r := by["FA2026-1102"]
	if r.Lines != [2]int{5, 7} {
		t.Errorf("FA2026-1102 lines %v, want [5 7]", r.Lines)
	}
	want := Position{File: exampleExport, Line: 6, Column: "Quantite", MappingLine: mappingLine(t, `bt="BT-129"`)}
	if got := r.Locate("BG-25[2]", []string{"BT-129"}); got != want {
		t.Errorf("Locate line 2 quantity = %+v, want %+v", got, want)
	}
	want = Position{File: exampleExport, Line: 5, Column: "RaisonSociale", MappingLine: mappingLine(t, `bt="BT-44"`)}
	if got := r.Locate("", []string{"BT-44"}); got != want {
		t.Errorf("Locate buyer name = %+v, want %+v", got, want)
	}
	want = Position{File: exampleExport, Line: 5, Column: "Remise", MappingLine: mappingLine(t, `bt="BT-138"`)}
	if got := r.Locate("BG-25[1]/BG-27[1]", []string{"BT-136"}); got != want {
		t.Errorf("Locate line allowance amount = %+v, want %+v", got, want)
	}
	want = Position{File: exampleExport, Line: 7, Column: "TauxTVA", MappingLine: mappingLine(t, `bt="BT-151"`)}
	if got := r.Locate("BG-25[3]", []string{"BT-151", "BT-152"}); got != want {
		t.Errorf("Locate line VAT category = %+v, want %+v", got, want)
	}
	want = Position{File: exampleExport, Line: 5, MappingLine: mappingLine(t, `bt="BT-29"`)}
	if got := r.Locate("", []string{"BT-29-1"}); got != want {
		t.Errorf("Locate seller id scheme = %+v, want %+v", got, want)
	}
	want = Position{File: exampleExport, Line: 5, MappingLine: mappingLine(t, `value="PMT"`)}
	if got := r.Locate("BG-1[2]", []string{"BT-21"}); got != want {
		t.Errorf("Locate second note = %+v, want %+v", got, want)
	}
	if got := r.Locate("BG-25[3]", []string{"BT-999"}); got.Line != 7 || got.Column != "" {
		t.Errorf("Locate of an unmapped term on line 3 = %+v, want its row 7", got)
	}
}

func TestExampleErrors(t *testing.T) {
	res := mapFile(t, exampleMapping, exampleErrors)
	if len(res) != 2 {
		t.Fatalf("%d invoices, want 2", len(res))
	}
	if r := res[0]; r.Key != "FE2026-2001" || r.Invoice.Buyer.Name != "" || len(r.Problems) != 0 {
		t.Errorf("empty buyer name: key %s name %q problems %v (BR-07 is Check's business)", r.Key, r.Invoice.Buyer.Name, r.Problems)
	}
	vs := invoice.Check(res[0].Invoice, nil)
	if len(vs) != 1 || vs[0].Rule != "BR-07" {
		t.Errorf("FE2026-2001 violations %v, want BR-07", vs)
	} else if got, want := res[0].Locate(vs[0].Path, vs[0].BT), (Position{File: exampleErrors, Line: 2, Column: "RaisonSociale", MappingLine: mappingLine(t, `bt="BT-44"`)}); got != want {
		t.Errorf("BR-07 located at %+v, want %+v", got, want)
	}
	r := res[1]
	if r.Key != "FE2026-2002" || len(r.Problems) != 1 {
		t.Fatalf("%s problems %v, want one", r.Key, r.Problems)
	}
	p := r.Problems[0]
	want := Position{File: exampleErrors, Line: 4, Column: "TauxTVA", MappingLine: mappingLine(t, `bt="BT-151"`)}
	if p.Rule != RuleLookup || p.BT != "BT-151" || p.Position != want {
		t.Errorf("problem %+v, want %s BT-151 at %+v", p, RuleLookup, want)
	}
	if !strings.Contains(p.FR, "« 19,6 »") || !strings.Contains(p.FR, "« 5,5 »") || !strings.Contains(p.EN, `"19,6"`) {
		t.Errorf("message: %s / %s", p.FR, p.EN)
	}
	if r.Invoice.Lines[1].VATCategory != "" {
		t.Errorf("the unknown rate got category %q", r.Invoice.Lines[1].VATCategory)
	}
}

func TestLoadErrors(t *testing.T) {
	// Each case replaces old by new in the small mapping; the error must name line and say what.
	for _, c := range []struct{ name, old, new, want string }{
		{"unknown BT", `<term bt="BT-44" column="Client"/>`, `<term bt="BT-444" column="Client"/>`, `test.xml:7: unknown business term "BT-444"`},
		{"unknown const", `<term bt="BT-44" column="Client"/>`, `<term bt="BT-44" const="acheteur"/>`, `test.xml:7: unknown constant "acheteur"`},
		{"unknown lookup", `<term bt="BT-44" column="Client"/>`, `<term bt="BT-44" column="Client" lookup="clients"/>`, `test.xml:7: unknown lookup "clients"`},
		{"malformed", `<term bt="BT-44" column="Client"/>`, `<term bt="BT-44" column="Client">`, `test.xml:13: malformed XML: element <term> closed by </invoice> (<term> opened at line 7)`},
		{"unknown attribute", `<term bt="BT-44" column="Client"/>`, `<term bt="BT-44" colum="Client"/>`, `test.xml:7: <term> has no attribute "colum"`},
		{"unknown element", `<term bt="BT-44" column="Client"/>`, `<terme bt="BT-44" column="Client"/>`, `test.xml:7: unknown element <terme>`},
		{"line term in invoice", `<term bt="BT-44" column="Client"/>`, `<term bt="BT-129" column="Client"/>`, `test.xml:7: BT-129 (invoiced quantity) is a line term: put it in <line>`},
		{"scheme id", `<term bt="BT-44" column="Client"/>`, `<term bt="BT-29-1" value="0009"/>`, `test.xml:7: BT-29-1 is the scheme of BT-29`},
		{"no source", `<term bt="BT-44" column="Client"/>`, `<term bt="BT-44"/>`, `test.xml:7: BT-44: say where the value comes from`},
		{"two sources", `<term bt="BT-44" column="Client"/>`, `<term bt="BT-44" column="Client" value="x"/>`, `test.xml:7: BT-44: give only one of column, value and const`},
		{"twice", `<term bt="BT-44" column="Client"/>`, `<term bt="BT-1" column="Client"/>`, `test.xml:7: BT-1 is already mapped at line 5`},
		{"bad number", `<term bt="BT-129" column="Qte"/>`, `<term bt="BT-129" value="douze"/>`, `test.xml:10: value: "douze" is not a number`},
		{"bad date layout", `<term bt="BT-2" column="Date"/>`, `<term bt="BT-2" column="Date" date="jj/mm/aaaa"/>`, `test.xml:6: date layout "jj/mm/aaaa"`},
		{"date on text", `<term bt="BT-44" column="Client"/>`, `<term bt="BT-44" column="Client" date="dd/mm/yyyy"/>`, `test.xml:7: BT-44 (buyer name) is not a date`},
		{"bad group", `<term bt="BT-44" column="Client"/>`, `<group bg="BG-4"><term bt="BT-44" column="Client"/></group>`, `test.xml:7: BG-4 is not a repeatable group`},
		{"term outside its group", `<term bt="BT-44" column="Client"/>`, `<group bg="BG-1"><term bt="BT-44" column="Client"/></group>`, `test.xml:7: BT-44 (buyer name) is not part of BG-1`},
		{"encoding", `encoding="utf-8"`, `encoding="ebcdic"`, `test.xml:3: unknown encoding "ebcdic"`},
		{"namespace", `xmlns="urn:fluxgate:mapping:1"`, `xmlns="urn:other"`, `test.xml:2: the root element must be <mapping xmlns="urn:fluxgate:mapping:1">`},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(small, c.old, c.new, 1)
			if src == small {
				t.Fatal("replacement did not apply")
			}
			_, err := Parse("test.xml", []byte(src))
			if err == nil {
				t.Fatalf("no error, want %s", c.want)
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Errorf("error %T, want *LoadError", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error\n%s\nwant it to contain\n%s", err, c.want)
			}
		})
	}
}

func TestLoadReportsEveryMistake(t *testing.T) {
	src := strings.Replace(small, `<term bt="BT-44" column="Client"/>`, `<term bt="BT-444" column="Client"/><term bt="BT-45" const="x"/>`, 1)
	src = strings.Replace(src, `<term bt="BT-153" column="Article"/>`, `<term bt="BT-153" column="Article" lookup="articles"/>`, 1)
	_, err := Parse("test.xml", []byte(src))
	if err == nil || len(err.(*LoadError).Problems) != 3 || !strings.Contains(err.Error(), "test.xml:9: unknown lookup") {
		t.Errorf("got %v, want three mistakes", err)
	}
}

func TestLoadExample(t *testing.T) {
	m, err := Load(exampleMapping)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "ventes-csv" {
		t.Errorf("name %q", m.Name)
	}
	if _, err := Load("no/such/mapping.xml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestInvalidUTF8(t *testing.T) {
	m := mustParse(t, small)
	data := []byte("No;Date;Client;Article;Qte;Prix\nF1;01/11/2026;Dupont;Vis;1;2\nF1;01/11/2026;Dupont;Cr\xe9merie;1;2\n")
	_, err := mapAll(t, m, data)
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a *FileError", err)
	}
	if fe.Line != 3 || !strings.Contains(fe.FR, "n'est pas en UTF-8 (ligne 3)") || !strings.Contains(fe.FR, `encoding="windows-1252"`) || !strings.Contains(fe.EN, "not UTF-8 (line 3)") {
		t.Errorf("error %+v", fe)
	}
	if !strings.HasPrefix(err.Error(), "export.csv:3: ") {
		t.Errorf("Error() = %q", err)
	}
}

func TestUTF8DeclaredAsWindows1252(t *testing.T) {
	m := mustParse(t, strings.Replace(small, `encoding="utf-8"`, `encoding="windows-1252"`, 1))
	_, err := mapAll(t, m, []byte("No;Date;Client;Article;Qte;Prix\nF1;01/11/2026;Crémerie;Vis;1;2\n"))
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 2 || !strings.Contains(fe.FR, "semble être en UTF-8") {
		t.Errorf("got %v, want a FileError on line 2 saying the file looks like UTF-8", err)
	}
}

func TestBOMAndCRLFAndTruncatedLastLine(t *testing.T) {
	m := mustParse(t, small)
	data := []byte("\xef\xbb\xbfNo;Date;Client;Article;Qte;Prix\r\nF1;01/11/2026;Crémerie;Vis;1;2\r\nF1;01/11/2026;Crémerie;Écrou;3;4,5")
	res, err := mapAll(t, m, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || len(res[0].Invoice.Lines) != 2 {
		t.Fatalf("got %d invoices", len(res))
	}
	inv := res[0].Invoice
	if inv.Number != "F1" || inv.Buyer.Name != "Crémerie" || inv.Lines[1].Item.Name != "Écrou" {
		t.Errorf("invoice %q buyer %q item %q", inv.Number, inv.Buyer.Name, inv.Lines[1].Item.Name)
	}
	dec(t, inv.Lines[1].Price.Net, "4.5")
	if res[0].Lines != [2]int{2, 3} {
		t.Errorf("lines %v", res[0].Lines)
	}
}

func TestQuotedFields(t *testing.T) {
	m := mustParse(t, small)
	data := []byte("No;Date;Client;Article;Qte;Prix\r\n" +
		"F1;01/11/2026;\"Dupont; Fils & Cie\";\"Vis \"\"6 pans\"\"\";1;2\r\n" +
		"F1;01/11/2026;\"Dupont; Fils & Cie\";\"Écrou\r\nsur deux lignes\";1;2\r\n" +
		"F2;02/11/2026;Martin;Clou;\"1 000\";0,05\r\n")
	res, err := mapAll(t, m, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d invoices", len(res))
	}
	inv := res[0].Invoice
	if inv.Buyer.Name != "Dupont; Fils & Cie" || inv.Lines[0].Item.Name != `Vis "6 pans"` || inv.Lines[1].Item.Name != "Écrou\nsur deux lignes" {
		t.Errorf("buyer %q items %q %q", inv.Buyer.Name, inv.Lines[0].Item.Name, inv.Lines[1].Item.Name)
	}
	if res[0].Lines != [2]int{2, 4} || res[1].Lines != [2]int{5, 5} {
		t.Errorf("lines %v %v: a quoted newline must count as a physical line", res[0].Lines, res[1].Lines)
	}
	if got := res[0].Locate("BG-25[2]", []string{"BT-153"}); got.Line != 3 {
		t.Errorf("Locate of the multi-line row: %+v, want line 3", got)
	}
	dec(t, res[1].Invoice.Lines[0].Quantity, "1000")

	_, err = mapAll(t, m, []byte("No;Date;Client;Article;Qte;Prix\nF1;01/11/2026;\"Dupont;Vis;1;2\nF2;01/11/2026;Martin;Vis;1;2\n"))
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 2 || !strings.Contains(fe.FR, "jamais refermé") {
		t.Errorf("unterminated quote: %v", err)
	}
}

func TestRaggedRows(t *testing.T) {
	m := mustParse(t, small)
	data := []byte("No;Date;Client;Article;Qte;Prix\n" +
		"F1;01/11/2026;Dupont;Vis;1\n" + // no Prix: empty
		"F1;01/11/2026;Dupont;Vis;1;2;;\n" + // empty extra fields: tolerated
		"F1;01/11/2026;Dupont;Vis;1;2;en trop\n") // an extra value: a problem
	res, err := mapAll(t, m, data)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Invoice.Lines[0].Price.Net != nil || r.Invoice.Lines[0].Quantity == nil {
		t.Errorf("short row: %+v", r.Invoice.Lines[0])
	}
	if len(r.Problems) != 1 {
		t.Fatalf("problems %v, want the extra field of line 4", r.Problems)
	}
	p := r.Problems[0]
	if p.Rule != RuleColumns || p.Position.Line != 4 || !strings.Contains(p.FR, "7 champs alors que l'en-tête en a 6") {
		t.Errorf("problem %+v", p)
	}
}

func TestValueProblems(t *testing.T) {
	m := mustParse(t, small)
	data := []byte("No;Date;Client;Article;Qte;Prix\n" +
		"F1;31/02/2026;Dupont;Vis;12.5;2\n" +
		"F1;31/02/2026;Dupont;Vis;1;2 euros\n")
	res, err := mapAll(t, m, data)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res[0].Problems {
		got = append(got, fmt.Sprintf("%d %s %s %s", p.Position.Line, p.Position.Column, p.Rule, p.BT))
	}
	want := "[2 Date FG-MAP-DATE BT-2 2 Qte FG-MAP-NUMBER BT-129 3 Prix FG-MAP-NUMBER BT-146]"
	if fmt.Sprint(got) != want {
		t.Errorf("problems %v\nwant %s", got, want)
	}
	p := res[0].Problems
	if !strings.Contains(p[0].FR, "la date « 31/02/2026 » n'existe pas : février 2026 n'a que 28 jours (date de facture, BT-2)") ||
		!strings.Contains(p[0].EN, `the date "31/02/2026" does not exist: February 2026 has only 28 days (invoice issue date, BT-2)`) ||
		!strings.Contains(p[1].FR, "le séparateur décimal attendu est la virgule") {
		t.Errorf("messages:\n%s\n%s", p[0].FR, p[1].FR)
	}
	if p[0].Position.MappingLine != 6 || p[1].Position.MappingLine != 10 {
		t.Errorf("mapping lines %d %d", p[0].Position.MappingLine, p[1].Position.MappingLine)
	}
}

func TestMissingHeaderColumn(t *testing.T) {
	m := mustParse(t, small)
	_, err := mapAll(t, m, []byte("No;Date;Client;Article;Quantité;Prix\nF1;01/11/2026;Dupont;Vis;1;2\n"))
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a *FileError", err)
	}
	if fe.Column != "Qte" || fe.Line != 1 || !strings.Contains(fe.FR, "« Qte »") || !strings.Contains(fe.FR, "Quantité") || !strings.Contains(fe.EN, `"Qte"`) {
		t.Errorf("error %+v", fe)
	}
	_, err = mapAll(t, m, nil)
	if !errors.As(err, &fe) || !strings.Contains(fe.FR, "vide") {
		t.Errorf("empty file: %v", err)
	}
}

const scattered = "No;Date;Client;Article;Qte;Prix\n" +
	"F1;01/11/2026;Dupont;A;1;1\n" +
	"F2;01/11/2026;Martin;B;1;1\n" +
	"F1;01/11/2026;Dupont;C;1;1\n" +
	"\n" + // blank lines are skipped
	"F3;01/11/2026;Durand;D;1;1\n"

func TestNonConsecutiveKey(t *testing.T) {
	res, err := mapAll(t, mustParse(t, small), []byte(scattered))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d invoices, want 4", len(res))
	}
	r := res[2]
	if r.Key != "F1" || len(r.Problems) != 1 {
		t.Fatalf("third invoice %s problems %v", r.Key, r.Problems)
	}
	p := r.Problems[0]
	if p.Rule != RuleGroup || p.Position.Line != 4 || p.Position.Column != "No" || !strings.Contains(p.FR, "arrêtées ligne 2") {
		t.Errorf("problem %+v", p)
	}
	if len(res[0].Problems)+len(res[1].Problems)+len(res[3].Problems) != 0 {
		t.Error("problems on other invoices")
	}
}

func TestGroupingAny(t *testing.T) {
	m := mustParse(t, strings.Replace(small, `group-by="No"`, `group-by="No" grouping="any"`, 1))
	res, err := mapAll(t, m, []byte(scattered))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("%d invoices, want 3", len(res))
	}
	r := res[0]
	if r.Key != "F1" || len(r.Invoice.Lines) != 2 || r.Invoice.Lines[1].Item.Name != "C" || len(r.Problems) != 0 {
		t.Errorf("F1: %d lines, problems %v", len(r.Invoice.Lines), r.Problems)
	}
	if r.Lines != [2]int{2, 4} {
		t.Errorf("F1 lines %v", r.Lines)
	}
	if got := r.Locate("BG-25[2]", []string{"BT-153"}); got.Line != 4 {
		t.Errorf("Locate %+v, want line 4", got)
	}
	if res[1].Key != "F2" || res[2].Key != "F3" {
		t.Errorf("order %s %s", res[1].Key, res[2].Key)
	}
}

func TestNoHeaderNumberedColumns(t *testing.T) {
	src := `<mapping xmlns="urn:fluxgate:mapping:1">
  <source format="csv" delimiter="tab" header="false" decimal="." date="yyyymmdd"/>
  <constants><constant name="devise">EUR</constant></constants>
  <lookup name="unite"><entry key="pc">H87</entry></lookup>
  <invoice group-by="1">
    <term bt="BT-1" column="1"/>
    <term bt="BT-2" column="2"/>
    <term bt="BT-5" const="devise"/>
    <line>
      <term bt="BT-129" column="3"/>
      <term bt="BT-130" column="4" lookup="unite" default="pc"/>
      <term bt="BT-152" column="5"/>
    </line>
  </invoice>
</mapping>`
	res, err := mapAll(t, mustParse(t, src), []byte("A1\t20261130\t1,234.5\t\t20%\nA1\t20261130\t2\tkg\t20\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	inv := r.Invoice
	if inv.IssueDate != invoice.NewDate(2026, 11, 30) || inv.Currency != "EUR" || inv.Lines[0].UnitCode != "H87" || inv.Lines[0].ID != "1" || inv.Lines[1].ID != "2" {
		t.Errorf("invoice %+v", inv)
	}
	dec(t, inv.Lines[0].VATRate, "20")
	// "1,234.5": commas are not thousands separators, on purpose (ambiguous).
	if len(r.Problems) != 2 || r.Problems[0].Rule != RuleNumber || r.Problems[0].Position.Column != "3" || r.Problems[1].Rule != RuleLookup {
		t.Errorf("problems %v", r.Problems)
	}
}

func TestCancelAndEmitError(t *testing.T) {
	m := mustParse(t, small)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := m.Map(ctx, strings.NewReader(scattered), "x.csv", func(*Result) error { return nil })
	var fe *FileError
	if !errors.Is(err, context.Canceled) || errors.As(err, &fe) {
		t.Errorf("cancelled: %v, want context.Canceled and not a *FileError (the file is not at fault)", err)
	}
	err = m.Map(context.Background(), iotest.TimeoutReader(strings.NewReader(scattered)), "x.csv", func(*Result) error { return nil })
	if !errors.Is(err, iotest.ErrTimeout) || errors.As(err, &fe) {
		t.Errorf("read error: %v, want the reader's error and not a *FileError", err)
	}
	stop := errors.New("disk full")
	n := 0
	err = m.Map(context.Background(), strings.NewReader(scattered), "x.csv", func(*Result) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("emit error: %v after %d calls", err, n)
	}
}

func TestParseNumberAndDate(t *testing.T) {
	for _, c := range []struct {
		in   string
		dec  byte
		want string // "" = refused
	}{
		{"1 234,56", ',', "1234.56"}, {"1\u00a0234,56", ',', "1234.56"}, {"1\u202f234,5", ',', "1234.5"},
		{"-12,5", ',', "-12.5"}, {"+3", ',', "3"}, {",5", ',', "0.5"}, {"12.5", ',', ""}, {"1,2,3", ',', ""},
		{"12.5", '.', "12.5"}, {"abc", ',', ""}, {"", ',', ""}, {"-", ',', ""}, {"1-2", ',', ""},
	} {
		d, ok, _ := parseNumber(c.in, c.dec, false, false)
		if got := map[bool]string{true: d.String(), false: ""}[ok]; got != c.want {
			t.Errorf("parseNumber(%q, %q) = %q, want %q", c.in, c.dec, got, c.want)
		}
	}
	for _, c := range []struct{ layout, in, want string }{
		{"dd/mm/yyyy", "05/11/2026", "2026-11-05"}, {"dd/mm/yyyy", "5/11/2026", "2026-11-05"},
		{"yyyymmdd", "20261105", "2026-11-05"}, {"yyyy-mm-dd", "2026-11-05", "2026-11-05"},
		{"dd.mm.yy", "05.11.26", "2026-11-05"}, {"dd/mm/yyyy", "31/02/2026", ""}, {"dd/mm/yyyy", "29/02/2028", "2028-02-29"},
		{"dd/mm/yyyy", "05/11/26", ""}, {"yyyymmdd", "2026115", ""}, {"dd/mm/yyyy", "05/11/2026 10:00", ""},
	} {
		l, err := compileDate(c.layout)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := l.parse(c.in)
		if got := map[bool]string{true: d.String(), false: ""}[ok]; got != c.want {
			t.Errorf("%s %q = %q, want %q", c.layout, c.in, got, c.want)
		}
	}
}

func TestEveryTermHasASetter(t *testing.T) {
	// The BT ids of the model that occur once per invoice or line (fr-einvoicing.md §6.2),
	// BT-125 (binary attachment) aside.
	for i := 1; i <= 165; i++ {
		id := fmt.Sprintf("BT-%d", i)
		if i == 4 || i == 125 {
			continue
		}
		bt := terms[id]
		if bt == nil {
			t.Errorf("%s is not mappable", id)
			continue
		}
		var dst any
		switch {
		case bt.group != "":
			dst = groups[bt.group].new()
		case bt.level == lvlLine:
			dst = &invoice.Line{}
		default:
			dst = &invoice.Invoice{}
		}
		bt.set(dst, &value{s: "x", d: decimal.NewFromInt(1), date: invoice.NewDate(2026, 1, 1)})
		if bt.fr == "" || bt.en == "" {
			t.Errorf("%s has no name", id)
		}
	}
}
