package facturx

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/internal/officialxslt"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/cii"
)

var update = flag.Bool("update", false, "rewrite the golden page texts")

// french is a French B2B invoice with what the page shows: references, allowances, two VAT
// rates, a payment already made, bank details and the mandatory mentions.
func french(lines int) *invoice.Invoice {
	inv := &invoice.Invoice{
		Number: "FA-2026-0042", IssueDate: invoice.NewDate(2026, time.October, 14), TypeCode: "380", Currency: "EUR",
		DueDate: invoice.NewDate(2026, time.November, 13), BusinessProcess: "M1", Specification: invoice.SpecEN16931,
		BuyerReference: "SERV-ACHATS", PurchaseOrderReference: "BC-7781", PaymentTerms: "Paiement à 30 jours, par virement.",
		Notes: []invoice.Note{
			{SubjectCode: "PMT", Text: "Indemnité forfaitaire pour frais de recouvrement : 40 €."},
			{SubjectCode: "PMD", Text: "Pénalités de retard : trois fois le taux d'intérêt légal."},
			{SubjectCode: "AAB", Text: "Pas d'escompte pour paiement anticipé."},
			{SubjectCode: "BAR", Text: "B2B"},
		},
		Seller: invoice.Party{Name: "Atelier Dupont SARL", IDs: []invoice.ID{{Value: "73282932000074", Scheme: "0009"}},
			LegalID: invoice.ID{Value: "732829320", Scheme: "0002"}, VATID: "FR44732829320", LegalInfo: "SARL au capital de 10 000 € – RCS Lyon 732 829 320",
			ElectronicAddress: invoice.ID{Value: "732829320", Scheme: "0225"},
			Address:           &invoice.Address{Line1: "12 rue des Lilas", City: "Lyon", PostCode: "69003", Country: "FR"}},
		Buyer: invoice.Party{Name: "Librairie Martin", LegalID: invoice.ID{Value: "552100554", Scheme: "0002"}, VATID: "FR11552100554",
			ElectronicAddress: invoice.ID{Value: "552100554", Scheme: "0225"},
			Address:           &invoice.Address{Line1: "3 place Bellecour", City: "Lyon", PostCode: "69002", Country: "FR"}},
		Payment: &invoice.PaymentInstructions{MeansCode: "58",
			CreditTransfer: []invoice.CreditTransfer{{AccountID: "FR7630006000011234567890189", ProviderID: "AGRIFRPP"}}},
		Allowances: []invoice.AllowanceCharge{{BaseAmount: invoice.Dec("100.00"), Percentage: invoice.Dec("5"),
			VATCategory: "S", VATRate: invoice.Dec("20"), Reason: "Remise commerciale", ReasonCode: "95"}},
		Totals: invoice.Totals{Paid: invoice.Dec("100.00")},
	}
	for i := range lines {
		l := invoice.Line{ID: fmt.Sprint(i + 1), Quantity: invoice.Dec("3"), UnitCode: "HUR", Price: invoice.Price{Net: invoice.Dec("95.00")},
			VATCategory: "S", VATRate: invoice.Dec("20"), Item: invoice.Item{Name: "Conseil en organisation", SellerID: fmt.Sprintf("CONS-%02d", i+1)}}
		if i%2 == 1 {
			l = invoice.Line{ID: fmt.Sprint(i + 1), Quantity: invoice.Dec("2"), UnitCode: "C62", Price: invoice.Price{Net: invoice.Dec("12.50")},
				VATCategory: "S", VATRate: invoice.Dec("5.5"),
				Item: invoice.Item{Name: "Livre « Gestion d'un atelier d'ébénisterie », édition reliée, avec ses annexes et son index détaillé"}}
		}
		inv.Lines = append(inv.Lines, l)
	}
	invoice.Complete(inv)
	return inv
}

// cases are the invoices the tests render: a French one, a long one over several pages, and
// the official CII examples.
func cases(t *testing.T) map[string]*invoice.Invoice {
	out := map[string]*invoice.Invoice{"french": french(2), "long": french(70)}
	files, _ := filepath.Glob(testutil.Shared(t, "examples", "invoices", "cii", "*.xml"))
	if len(files) == 0 {
		testutil.Missing(t, "no official CII examples")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inv, _, err := cii.Read(data)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Specification != invoice.SpecEN16931 || strings.HasPrefix(filepath.Base(f), "XRechnung") {
			// A national CIUS is not a Factur-X EN 16931 invoice; XRechnung-O also writes a
			// VATEX code in lower case, which the Factur-X code list refuses.
			continue
		}
		out[strings.TrimSuffix(filepath.Base(f), ".xml")] = inv
	}
	return out
}

// TestFacturX writes each case and checks the PDF with qpdf, its attachment (byte-identical
// to the CII, extracted by qpdf and by Extract) against the Factur-X EN16931 schema and
// schematron of the bundle, and that writing again gives the same bytes.
func TestFacturX(t *testing.T) {
	qpdf := testutil.Tool(t, "qpdf")
	dir := t.TempDir()
	var xmls []string
	for name, inv := range cases(t) {
		pdf, err := Write(inv)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again, _ := Write(inv)
		if !bytes.Equal(pdf, again) {
			t.Errorf("%s: two writes differ", name)
		}
		file := filepath.Join(dir, name+".pdf")
		if err := os.WriteFile(file, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(qpdf, "--check", file).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("No syntax or stream encoding errors")) {
			t.Errorf("%s: qpdf --check: %v\n%s", name, err, out)
		}
		want, err := cii.Write(inv)
		if err != nil {
			t.Fatal(err)
		}
		got, att, err := Extract(pdf)
		if err != nil || att != AttachmentName || !bytes.Equal(got, want) {
			t.Errorf("%s: Extract: %q, %v, identical %v", name, att, err, bytes.Equal(got, want))
		}
		byQPDF, err := exec.Command(qpdf, "--show-attachment="+AttachmentName, file).Output()
		if err != nil || !bytes.Equal(byQPDF, want) {
			t.Errorf("%s: the attachment qpdf extracts differs from the CII (%v)", name, err)
		}
		x := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(x, byQPDF, 0o644); err != nil {
			t.Fatal(err)
		}
		xmls = append(xmls, x)
	}
	fx := testutil.Shared(t, "reference", "fnfe-ctc-1.4.0", "Factur-X_1.09", "EN16931")
	testutil.ValidateXSD(t, filepath.Join(fx, "1xsd", "Factur-X_EN16931.xsd"), xmls...)
	for f, fs := range officialxslt.Saxon(t, filepath.Join(fx, "2xslt", "FACTUR-X_EN16931.xslt"), xmls) {
		for _, x := range fs {
			if x.Flag == "fatal" || x.Flag == "" {
				t.Errorf("%s: the Factur-X EN16931 schematron reports %s: %s", filepath.Base(f), x.ID, x.Text)
			}
		}
	}
}

// TestPDFA checks what PDF/A-3 and Factur-X require of the file's structure: XMP metadata
// with the PDF/A identification and the Factur-X extension schema and properties, agreeing
// with the document information; an sRGB output intent; every font embedded; the XML listed
// in /AF with its relationship; a file identifier.
func TestPDFA(t *testing.T) {
	pdf, err := Write(french(2))
	if err != nil {
		t.Fatal(err)
	}
	r, err := openPDF(pdf)
	if err != nil {
		t.Fatal(err)
	}
	root := r.resolve(r.trailer["Root"]).(dict)
	meta, ok := r.resolve(root["Metadata"]).(*streamObj)
	if !ok || meta.d["Filter"] != nil || meta.d["Subtype"] != name("XML") {
		t.Fatalf("metadata stream: %v", meta)
	}
	x := string(meta.raw)
	for _, want := range []string{
		"<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>",
		"<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>",
		"<pdfaSchema:prefix>fx</pdfaSchema:prefix>",
		"<pdfaProperty:name>DocumentFileName</pdfaProperty:name>", "<pdfaProperty:name>DocumentType</pdfaProperty:name>",
		"<pdfaProperty:name>Version</pdfaProperty:name>", "<pdfaProperty:name>ConformanceLevel</pdfaProperty:name>",
		"<fx:DocumentType>INVOICE</fx:DocumentType>", "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
		"<fx:Version>1.0</fx:Version>", "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
		"<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Facture FA-2026-0042</rdf:li></rdf:Alt></dc:title>",
		"<xmp:CreateDate>2026-10-14T00:00:00Z</xmp:CreateDate>", "<pdf:Producer>Fluxgate</pdf:Producer>",
	} {
		if !strings.Contains(x, want) {
			t.Errorf("XMP lacks %s", want)
		}
	}
	info := r.resolve(r.trailer["Info"]).(dict)
	if decodeText(info["Title"].(pdfString)) != "Facture FA-2026-0042" || decodeText(info["Producer"].(pdfString)) != "Fluxgate" ||
		decodeText(info["CreationDate"].(pdfString)) != "D:20261014000000+00'00'" {
		t.Errorf("document information disagrees with the XMP: %v", info)
	}
	if id, ok := r.trailer["ID"].(array); !ok || len(id) != 2 {
		t.Error("no file identifier")
	}
	intents, _ := r.resolve(root["OutputIntents"]).(array)
	if len(intents) != 1 {
		t.Fatal("no output intent")
	}
	oi := r.resolve(intents[0]).(dict)
	icc, ok := r.resolve(oi["DestOutputProfile"]).(*streamObj)
	if oi["S"] != name("GTS_PDFA1") || !ok || icc.d["N"] != 3.0 {
		t.Errorf("output intent: %v", oi)
	}
	if prof, err := r.decode(icc); err != nil || string(prof[36:40]) != "acsp" || string(prof[16:20]) != "RGB " {
		t.Errorf("ICC profile: %v", err)
	}
	af, _ := r.resolve(root["AF"]).(array)
	if len(af) != 1 {
		t.Fatal("no /AF")
	}
	spec := r.resolve(af[0]).(dict)
	if spec["AFRelationship"] != name("Alternative") || decodeText(spec["UF"].(pdfString)) != AttachmentName {
		t.Errorf("file specification: %v", spec)
	}
	ef := r.resolve(r.resolve(spec["EF"]).(dict)["F"]).(*streamObj)
	if ef.d["Subtype"] != name("text/xml") || r.resolve(ef.d["Params"]).(dict)["ModDate"] == nil {
		t.Errorf("embedded file: %v", ef.d)
	}
	// Every font of every page embedded, with a WinAnsi encoding.
	pages := r.resolve(r.resolve(root["Pages"]).(dict)["Kids"]).(array)
	for _, p := range pages {
		fonts := r.resolve(r.resolve(r.resolve(p).(dict)["Resources"]).(dict)["Font"]).(dict)
		for res, f := range fonts {
			fd := r.resolve(f).(dict)
			desc := r.resolve(fd["FontDescriptor"]).(dict)
			prog, ok := r.resolve(desc["FontFile2"]).(*streamObj)
			if !ok || fd["Encoding"] != name("WinAnsiEncoding") {
				t.Errorf("font %s not embedded", res)
				continue
			}
			data, err := r.decode(prog)
			if err != nil || len(data) == 0 || !regexp.MustCompile(`^[A-Z]{6}\+Go`).MatchString(string(fd["BaseFont"].(name))) {
				t.Errorf("font %s: %v %v", res, err, fd["BaseFont"])
			}
		}
	}
}

// TestPageText compares the page text (pdftotext -layout) with the golden files.
func TestPageText(t *testing.T) {
	pdftotext := testutil.Tool(t, "pdftotext")
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		inv  *invoice.Invoice
	}{{"french", french(2)}, {"long", french(70)}} {
		pdf, err := Write(c.inv)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, c.name+".pdf")
		if err := os.WriteFile(file, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdftotext, "-layout", "-enc", "UTF-8", file, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		golden := filepath.Join("testdata", c.name+".txt")
		if *update {
			if err := os.WriteFile(golden, out, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("%s: the page text differs from %s (go test ./invoice/facturx -run TestPageText -update to accept):\n%s", c.name, golden, out)
		}
	}
}

// TestExtractErrors: a PDF without the attachment, a broken PDF, a broken attachment.
func TestExtractErrors(t *testing.T) {
	pdf, err := Write(french(1))
	if err != nil {
		t.Fatal(err)
	}
	renamed := bytes.ReplaceAll(pdf, []byte("(factur-x.xml)"), []byte("(facture.xml1)"))
	truncated := pdf[:len(pdf)/3]
	// Corrupt the compressed XML: its stream follows /Subtype /text#2Fxml.
	badZip := bytes.Clone(pdf)
	at := bytes.Index(badZip, []byte("/Subtype /text#2Fxml"))
	s := at + bytes.Index(badZip[at:], []byte("stream\n")) + len("stream\n")
	for i := s + 2; i < s+40; i++ {
		badZip[i] ^= 0x55
	}
	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"not a PDF", []byte("<Invoice/>"), ErrNotPDF},
		{"no attachment", renamed, ErrNoAttachment},
		{"broken", []byte("%PDF-1.7\n1 0 obj <<"), ErrBrokenPDF},
		{"truncated", truncated, ErrBrokenPDF},
		{"broken attachment", badZip, ErrBadAttachment},
	} {
		if _, _, err := Extract(c.data); !errorsIs(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
