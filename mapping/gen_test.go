package mapping

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Generators of large exports in the layouts of the three examples, produced on the fly
// (nothing is held): genReader{n: invoices, format: "csv" | "fixed" | "xml"}. Each invoice has
// three lines; invoice i has the number FA%08d (csv), F%09d (fixed) or VF-%08d (xml).

type genReader struct {
	n, i   int
	format string // "" is csv
	buf    bytes.Buffer
	enc    []byte
}

func (g *genReader) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && g.i <= g.n {
		switch {
		case g.i == g.n:
			if g.format == "xml" {
				g.buf.WriteString("</erp:Export>\n")
			}
			g.i++
			continue
		case g.i == 0:
			switch g.format {
			case "", "csv":
				g.buf.WriteString(genHeader)
			case "xml":
				g.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<erp:Export xmlns:erp="urn:example:erp:export:2">` + "\n")
			}
		}
		switch g.format {
		case "", "csv":
			genInvoice(&g.buf, g.i)
		case "fixed":
			g.genFixed(g.i)
		case "xml":
			genXML(&g.buf, g.i)
		}
		g.i++
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

const genHeader = "NumFacture;TypePiece;DateFacture;DateEcheance;CodeClient;RaisonSociale;Adresse;CodePostal;Ville;Pays;TVAIntra;SIRET;NumLigne;CodeArticle;Designation;Quantite;Unite;PrixUnitaireHT;Remise;TauxTVA;FactureOrigine;ModeReglement\r\n"

// genInvoice writes invoice i (three lines) in the CSV example's layout, in Windows-1252.
func genInvoice(w *bytes.Buffer, i int) {
	lines := [3]string{
		"1;COM18;Comté AOP 18 mois;24,5;KG;21,80;;5,5",
		"2;COF4;\"Coffret « Noël » ; 4 fromages\";30;U;42,00;10;5,5",
		"3;CAVE120;Cave à fromages réfrigérée;1;U;1 290,00;;20",
	}
	for _, l := range lines {
		s := fmt.Sprintf("FA%08d;F;03/11/2026;03/12/2026;CL%04d;Société Générale des Eaux n°%d;52 rue d'Anjou;75008;Paris;FRANCE;FR32552014623;55201462300052;%s;;VIR\r\n", i, i%10000, i, l)
		b, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
		w.Write(b)
	}
}

// genFixed writes invoice i in the fixed-width example's layout, in CP850.
func (g *genReader) genFixed(i int) {
	no := fmt.Sprintf("F%09d", i)
	s := "10" + no + "2026110420261204FACLI00027" + fmt.Sprintf("%-35s%-35s21200%-30sFR41234567800019FR41412345678", fmt.Sprintf("Fromagerie Bourguignonne n°%d", i), "8 place de la Halle", "Beaune") + "\r\n" +
		"20" + no + "001COM18        " + fmt.Sprintf("%-40s", "Comté AOP 18 mois - meule entière") + "000038250KG 000000019400550R\r\n" +
		"20" + no + "002PLAT-ARD     " + fmt.Sprintf("%-40s", "Plateau ardoise 40 × 30 cm") + "000006000U  000000032502000N\r\n" +
		"20" + no + "003TRANSP       " + fmt.Sprintf("%-40s", "Transport frigorifique") + "000001000F  000000048002000N\r\n" +
		"30" + no + "R0550000000074205000000004081\r\n" +
		"30" + no + "N2000000000024300000000004860\r\n" +
		"90" + no + "000000098505000000008941000000107446\r\n"
	g.enc, _ = charmap.CodePage850.NewEncoder().Bytes([]byte(s))
	g.buf.Write(g.enc)
}

// genXML writes invoice i in the XML example's layout.
func genXML(w *bytes.Buffer, i int) {
	fmt.Fprintf(w, `  <erp:Invoice id="%d">
    <erp:Header><erp:Number>VF-%08d</erp:Number><erp:Kind>INV</erp:Kind><erp:IssueDate>2026-11-30</erp:IssueDate><erp:DueDate>2026-12-30</erp:DueDate><erp:Currency>EUR</erp:Currency><erp:OrderRef>PO-%d</erp:OrderRef></erp:Header>
    <erp:Customer code="C-%d"><erp:Name>Hôtel-Restaurant Le Cep n°%d</erp:Name><erp:Siret>33445566700018</erp:Siret><erp:VatId>FR88334455667</erp:VatId>
      <erp:Address><erp:Street>27 rue Maufoux</erp:Street><erp:Zip>21200</erp:Zip><erp:City>Beaune</erp:City><erp:Country>France</erp:Country></erp:Address></erp:Customer>
    <erp:Lines>
      <erp:Line no="1"><erp:Sku>ANIM-DEG</erp:Sku><erp:Label>Animation dégustation</erp:Label><erp:Qty unit="HUR">7.5</erp:Qty><erp:UnitPrice>95.00</erp:UnitPrice><erp:Tax code="S" rate="20.00"/><erp:Discount percent="5"/></erp:Line>
      <erp:Line no="2"><erp:Sku>PLAT-FR12</erp:Sku><erp:Label>Plateau de fromages affinés</erp:Label><erp:Qty unit="EA">4</erp:Qty><erp:UnitPrice>68.40</erp:UnitPrice><erp:Tax code="S" rate="5.50"/></erp:Line>
      <erp:Line no="3"><erp:Sku>COM24</erp:Sku><erp:Label>Comté AOP 24 mois</erp:Label><erp:Qty unit="KGM">4.250</erp:Qty><erp:UnitPrice>24.10</erp:UnitPrice><erp:Tax code="S" rate="5.50"/></erp:Line>
    </erp:Lines>
    <erp:Charges><erp:Charge reason="Frais de déplacement" amount="35.00" tax="S" rate="20.00"/></erp:Charges>
  </erp:Invoice>
`, i, i, i, i%1000, i)
}

// The mapping benchmarks compare the three sources on the same work: benchExport writes the
// n invoices of genInvoice (the CSV example's layout) as they are, or carrying the same
// invoices in XML or fixed-width, which the mappings in testdata/bench map to the same terms
// as ventes-csv.xml maps (TestBenchExportsMapAlike checks that the invoices are the same).
const (
	benchXMLMapping   = "testdata/bench/ventes-xml.xml"
	benchFixedMapping = "testdata/bench/ventes-fixed.xml"
)

// benchLines are genInvoice's lines: code, label, quantity, unit, price, discount %, VAT rate,
// with a decimal comma.
var benchLines = [3][7]string{
	{"COM18", "Comté AOP 18 mois", "24,5", "KG", "21,80", "", "5,5"},
	{"COF4", "Coffret « Noël » ; 4 fromages", "30", "U", "42,00", "10", "5,5"},
	{"CAVE120", "Cave à fromages réfrigérée", "1", "U", "1 290,00", "", "20"},
}

func benchExport(format string, n int) []byte {
	var w bytes.Buffer
	switch format {
	case "csv":
		data, _ := io.ReadAll(&genReader{n: n, format: "csv"})
		return data
	case "xml":
		w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<erp:Export xmlns:erp="urn:example:erp:export:2">` + "\n")
		for i := range n {
			benchXML(&w, i)
		}
		w.WriteString("</erp:Export>\n")
		return w.Bytes()
	case "fixed":
		for i := range n {
			benchFixed(&w, i)
		}
		data, _ := charmap.CodePage850.NewEncoder().Bytes(w.Bytes())
		return data
	}
	panic("format " + format)
}

func benchXML(w *bytes.Buffer, i int) {
	fmt.Fprintf(w, `  <erp:Invoice id="%d">
    <erp:Header><erp:Number>FA%08d</erp:Number><erp:Kind>F</erp:Kind><erp:IssueDate>2026-11-03</erp:IssueDate><erp:DueDate>2026-12-03</erp:DueDate><erp:PaymentMeans>VIR</erp:PaymentMeans></erp:Header>
    <erp:Customer code="CL%04d"><erp:Name>Société Générale des Eaux n°%d</erp:Name><erp:Siret>55201462300052</erp:Siret><erp:VatId>FR32552014623</erp:VatId>
      <erp:Address><erp:Street>52 rue d'Anjou</erp:Street><erp:Zip>75008</erp:Zip><erp:City>Paris</erp:City><erp:Country>FRANCE</erp:Country></erp:Address></erp:Customer>
    <erp:Lines>
`, i, i, i%10000, i)
	dot := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), ",", ".") }
	for k, l := range benchLines {
		fmt.Fprintf(w, `      <erp:Line no="%d"><erp:Sku>%s</erp:Sku><erp:Label>%s</erp:Label><erp:Qty unit="%s">%s</erp:Qty><erp:UnitPrice>%s</erp:UnitPrice><erp:Tax rate="%s"/>`,
			k+1, l[0], l[1], l[3], dot(l[2]), dot(l[4]), dot(l[6]))
		if l[5] != "" {
			fmt.Fprintf(w, `<erp:Discount percent="%s"/>`, dot(l[5]))
		}
		w.WriteString("</erp:Line>\n")
	}
	w.WriteString("    </erp:Lines>\n  </erp:Invoice>\n")
}

// benchFixed writes invoice i as UTF-8; benchExport encodes the export.
func benchFixed(w *bytes.Buffer, i int) {
	no := fmt.Sprintf("FA%08d", i)
	fmt.Fprintf(w, "10%sF03/11/202603/12/2026CL%04d%-40s%-35s75008%-30s%-10sFR3255201462355201462300052VIR %10s\r\n",
		no, i%10000, fmt.Sprintf("Société Générale des Eaux n°%d", i), "52 rue d'Anjou", "Paris", "FRANCE", "")
	for k, l := range benchLines {
		fmt.Fprintf(w, "20%s%-3d%-10s%-40s%-9s%-4s%-12s%-5s%-5s\r\n", no, k+1, l[0], l[1], l[2], l[3], l[4], l[5], l[6])
	}
}
