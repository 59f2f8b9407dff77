// Package exportgen generates large accounting exports in the layouts of the shipped
// examples (examples/exports, mapped by examples/mappings): CSV in Windows-1252, fixed-width
// in CP850, and XML. Every invoice is valid against EN 16931 with its example's mapping, and
// its number is unique across a run (drawn from its index), so that a gateway accepts and
// deposits every one. Exports are produced as they are read: nothing is held in memory, so a
// 1 GB export costs no more than a small one.
package exportgen

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Formats are the layouts Reader knows, in the order the bench lists them.
var Formats = []string{"csv", "fixed", "xml"}

// Mapping is the file name of the example mapping (in examples/mappings) that maps format.
func Mapping(format string) string {
	switch format {
	case "fixed":
		return "factures-dos.xml"
	case "xml":
		return "erp-xml.xml"
	}
	return "ventes-csv.xml"
}

// Ext is the file extension exports of format are dropped under.
func Ext(format string) string {
	switch format {
	case "fixed":
		return ".txt"
	case "xml":
		return ".xml"
	}
	return ".csv"
}

// MaxLines is the most lines an invoice may have: the fixed-width layout numbers its lines
// on three digits.
const MaxLines = 999

// Spec is one export: Invoices invoices of Lines lines each, numbered from First (1 or more).
type Spec struct {
	Format   string // csv, fixed or xml
	First    int    // index of the first invoice: numbers stay unique across files
	Invoices int
	Lines    int
}

// Number is the invoice number (BT-1) the mapping of format gives invoice i.
func Number(format string, i int) string {
	switch format {
	case "fixed":
		return fmt.Sprintf("FA-%d", i) // F%09d, its zeros trimmed by the mapping
	case "xml":
		return fmt.Sprintf("VF-%08d", i)
	}
	return fmt.Sprintf("FA%08d", i)
}

// NewReader returns the export s, produced as it is read.
func NewReader(s Spec) (io.Reader, error) {
	switch s.Format {
	case "csv", "fixed", "xml":
	default:
		return nil, fmt.Errorf("unknown export format %q (csv, fixed or xml)", s.Format)
	}
	if s.Lines < 1 || s.Lines > MaxLines {
		return nil, fmt.Errorf("%d lines per invoice: between 1 and %d", s.Lines, MaxLines)
	}
	if s.Invoices < 0 || s.First < 1 {
		return nil, fmt.Errorf("invalid export spec %+v", s)
	}
	return &reader{s: s}, nil
}

type reader struct {
	s       Spec
	i       int // invoices written so far; -1 once the trailer is written
	started bool
	buf     bytes.Buffer
}

func (g *reader) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && g.i >= 0 {
		if !g.started {
			g.started = true
			g.header()
		}
		if g.i == g.s.Invoices {
			if g.s.Format == "xml" {
				g.buf.WriteString("</erp:Export>\n")
			}
			g.i = -1
			break
		}
		g.invoice(g.s.First + g.i)
		g.i++
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

func (g *reader) header() {
	switch g.s.Format {
	case "csv":
		g.buf.WriteString("NumFacture;TypePiece;DateFacture;DateEcheance;CodeClient;RaisonSociale;Adresse;CodePostal;Ville;Pays;TVAIntra;SIRET;NumLigne;CodeArticle;Designation;Quantite;Unite;PrixUnitaireHT;Remise;TauxTVA;FactureOrigine;ModeReglement\r\n")
	case "xml":
		g.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<erp:Export xmlns:erp="urn:example:erp:export:2">` + "\n")
	}
}

func (g *reader) invoice(i int) {
	switch g.s.Format {
	case "csv":
		g.csv(i)
	case "fixed":
		g.fixed(i)
	case "xml":
		g.xml(i)
	}
}

var csvLines = [3]string{
	"COM18;Comté AOP 18 mois;24,5;KG;21,80;;5,5",
	"COF4;\"Coffret « Noël » ; 4 fromages\";30;U;42,00;10;5,5",
	"CAVE120;Cave à fromages réfrigérée;1;U;1 290,00;;20",
}

// csv writes invoice i in the layout of ventes-2026-11.csv, in Windows-1252.
func (g *reader) csv(i int) {
	var s strings.Builder
	for k := range g.s.Lines {
		fmt.Fprintf(&s, "FA%08d;F;03/11/2026;03/12/2026;CL%04d;Société Générale des Eaux n°%d;52 rue d'Anjou;75008;Paris;FRANCE;FR32552014623;55201462300052;%d;%s;;VIR\r\n", i, i%10000, i, k+1, csvLines[k%3])
	}
	b, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(s.String()))
	g.buf.Write(b)
}

// fixed writes invoice i in the layout of factures-dos-2026-11.txt, in CP850: its lines are
// all the same (1 × 480,00 at 20 %), so that the VAT and total records the export carries
// agree with them whatever their number.
func (g *reader) fixed(i int) {
	no := fmt.Sprintf("F%09d", i)
	var s strings.Builder
	s.WriteString("10" + no + "2026110420261204FACLI00027" + fmt.Sprintf("%-35s%-35s21200%-30sFR41234567800019FR41412345678", fmt.Sprintf("Fromagerie Bourguignonne n°%d", i%100000), "8 place de la Halle", "Beaune") + "\r\n")
	for k := range g.s.Lines {
		fmt.Fprintf(&s, "20%s%03dTRANSP       %-40s000001000F  000000480002000N\r\n", no, k+1, "Transport frigorifique")
	}
	n := int64(g.s.Lines)
	fmt.Fprintf(&s, "30%sN2000%012d%012d\r\n", no, 48000*n, 9600*n)
	fmt.Fprintf(&s, "90%s%012d%012d%012d\r\n", no, 48000*n, 9600*n, 57600*n)
	b, _ := charmap.CodePage850.NewEncoder().Bytes([]byte(s.String()))
	g.buf.Write(b)
}

var xmlLines = [3]string{
	`<erp:Sku>ANIM-DEG</erp:Sku><erp:Label>Animation dégustation</erp:Label><erp:Qty unit="HUR">7.5</erp:Qty><erp:UnitPrice>95.00</erp:UnitPrice><erp:Tax code="S" rate="20.00"/><erp:Discount percent="5"/>`,
	`<erp:Sku>PLAT-FR12</erp:Sku><erp:Label>Plateau de fromages affinés</erp:Label><erp:Qty unit="EA">4</erp:Qty><erp:UnitPrice>68.40</erp:UnitPrice><erp:Tax code="S" rate="5.50"/>`,
	`<erp:Sku>COM24</erp:Sku><erp:Label>Comté AOP 24 mois</erp:Label><erp:Qty unit="KGM">4.250</erp:Qty><erp:UnitPrice>24.10</erp:UnitPrice><erp:Tax code="S" rate="5.50"/>`,
}

// xml writes invoice i in the layout of erp-export-2026-11-30.xml.
func (g *reader) xml(i int) {
	fmt.Fprintf(&g.buf, `  <erp:Invoice id="%d">
    <erp:Header><erp:Number>VF-%08d</erp:Number><erp:Kind>INV</erp:Kind><erp:IssueDate>2026-11-30</erp:IssueDate><erp:DueDate>2026-12-30</erp:DueDate><erp:Currency>EUR</erp:Currency><erp:OrderRef>PO-%d</erp:OrderRef></erp:Header>
    <erp:Customer code="C-%d"><erp:Name>Hôtel-Restaurant Le Cep n°%d</erp:Name><erp:Siret>33445566700018</erp:Siret><erp:VatId>FR88334455667</erp:VatId>
      <erp:Address><erp:Street>27 rue Maufoux</erp:Street><erp:Zip>21200</erp:Zip><erp:City>Beaune</erp:City><erp:Country>France</erp:Country></erp:Address></erp:Customer>
    <erp:Lines>
`, i, i, i, i%1000, i)
	for k := range g.s.Lines {
		fmt.Fprintf(&g.buf, "      <erp:Line no=\"%d\">%s</erp:Line>\n", k+1, xmlLines[k%3])
	}
	g.buf.WriteString(`    </erp:Lines>
    <erp:Charges><erp:Charge reason="Frais de déplacement" amount="35.00" tax="S" rate="20.00"/></erp:Charges>
  </erp:Invoice>
`)
}
