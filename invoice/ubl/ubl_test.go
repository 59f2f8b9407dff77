package ubl

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/internal/invoicetest"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/shopspring/decimal"
)

func requireEqual(t *testing.T, want, got *invoice.Invoice) {
	t.Helper()
	if d := invoicetest.Diff(want, got); len(d) > 0 {
		t.Errorf("models differ:\n  %s", strings.Join(d, "\n  "))
	}
}

// roundTrip writes inv to dir/name, checks it against the schema, reads it back and
// compares the model with inv.
func roundTrip(t *testing.T, inv *invoice.Invoice, dir, name string, allowed ...string) []byte {
	t.Helper()
	out, err := Write(inv)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.CheckInvoice(t, file)
	again, vs, err := Read(out)
	if err != nil {
		t.Fatalf("Read of written document: %v", err)
	}
	for _, v := range vs {
		if !slices.Contains(allowed, v.Rule) {
			t.Errorf("finding on written document: %s", v)
		}
	}
	requireEqual(t, inv, again)
	return out
}

func TestRoundTripExamples(t *testing.T) {
	dir := testutil.Shared(t, "examples", "invoices", "ubl")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatalf("no examples in %s", dir)
	}
	for _, ent := range entries {
		if ent.IsDir() || !strings.EqualFold(filepath.Ext(ent.Name()), ".xml") {
			continue
		}
		t.Run(ent.Name(), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, ent.Name()))
			if err != nil {
				t.Fatal(err)
			}
			inv, vs, err := Read(data)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			for _, v := range vs {
				t.Logf("finding: %s", v)
			}
			if inv.Number == "" || len(inv.Lines) == 0 || inv.Totals.Payable == nil {
				t.Errorf("model misses basics: number %q, %d lines, payable %v", inv.Number, len(inv.Lines), inv.Totals.Payable)
			}
			name := strings.TrimSuffix(ent.Name(), filepath.Ext(ent.Name())) + ".xml"
			roundTrip(t, inv, t.TempDir(), name)
		})
	}
}

// handBuilt is an invoice that uses every business term of the model.
func handBuilt() *invoice.Invoice {
	d := invoice.NewDate
	return &invoice.Invoice{
		Number:                   "FG-2026-0001",
		IssueDate:                d(2026, time.March, 2),
		TypeCode:                 invoice.TypeCommercialInvoice,
		Currency:                 "EUR",
		TaxCurrency:              "SEK",
		TaxPointDate:             d(2026, time.February, 28),
		DueDate:                  d(2026, time.April, 1),
		BuyerReference:           "BR-778",
		ProjectReference:         "PRJ-9",
		ContractReference:        "CT-2025-12",
		PurchaseOrderReference:   "PO-4455",
		SalesOrderReference:      "SO-991",
		ReceivingAdviceReference: "RA-1",
		DespatchAdviceReference:  "DA-7",
		TenderOrLotReference:     "LOT-3",
		InvoicedObject:           invoice.ID{Value: "METER-88", Scheme: "AAA"},
		BuyerAccountingReference: "6022:ACC",
		PaymentTerms:             "30 jours fin de mois; pénalités 3 × taux légal",
		Notes: []invoice.Note{
			{SubjectCode: "AAI", Text: "Livraison partielle"},
			{Text: "Merci de votre confiance & à bientôt <3"},
		},
		BusinessProcess:   "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
		Specification:     invoice.SpecEN16931,
		PrecedingInvoices: []invoice.PrecedingInvoice{{Number: "FG-2025-0999", IssueDate: d(2025, time.December, 30)}, {Number: "FG-2025-0998"}},
		Seller: invoice.Party{
			Name:              "Fluxgate Démo SAS",
			TradingName:       "Fluxgate",
			IDs:               []invoice.ID{{Value: "123456789", Scheme: "0002"}, {Value: "SUP-1"}},
			LegalID:           invoice.ID{Value: "12345678900012", Scheme: "0009"},
			VATID:             "FR32123456789",
			TaxRegistrationID: "TAX-REG-77",
			LegalInfo:         "SAS au capital de 10 000 €",
			ElectronicAddress: invoice.ID{Value: "123456789", Scheme: "0225"},
			Address: &invoice.Address{
				Line1: "1 rue de la Paix", Line2: "Bâtiment B", Line3: "3e étage",
				City: "Paris", PostCode: "75002", Subdivision: "Île-de-France", Country: "FR",
			},
			Contact: &invoice.Contact{Name: "Alice Martin", Phone: "+33 1 23 45 67 89", Email: "alice@example.fr"},
		},
		Buyer: invoice.Party{
			Name:              "Acheteur SA",
			TradingName:       "Acheteur",
			IDs:               []invoice.ID{{Value: "987654321", Scheme: "0002"}},
			LegalID:           invoice.ID{Value: "98765432100019", Scheme: "0009"},
			VATID:             "FR12987654321",
			ElectronicAddress: invoice.ID{Value: "buyer@example.fr", Scheme: "EM"},
			Address:           &invoice.Address{Line1: "2 avenue Foch", City: "Lyon", PostCode: "69006", Country: "FR"},
			Contact:           &invoice.Contact{Email: "ap@acheteur.fr"},
		},
		Payee:             &invoice.Payee{Name: "Factor SA", ID: invoice.ID{Value: "FACT-1", Scheme: "0088"}, LegalID: invoice.ID{Value: "55555555500011", Scheme: "0009"}},
		TaxRepresentative: &invoice.TaxRepresentative{Name: "Rep Fiscal SARL", VATID: "FR99555555555", Address: &invoice.Address{Line1: "5 quai Est", City: "Nice", PostCode: "06000", Country: "FR"}},
		Delivery: &invoice.Delivery{
			PartyName:  "Entrepôt Sud",
			LocationID: invoice.ID{Value: "5790000436057", Scheme: "0088"},
			Date:       d(2026, time.February, 27),
			Address:    &invoice.Address{Line1: "ZI Nord", City: "Marseille", PostCode: "13015", Country: "FR"},
		},
		InvoicingPeriod: &invoice.Period{Start: d(2026, time.February, 1), End: d(2026, time.February, 28)},
		Payment: &invoice.PaymentInstructions{
			MeansCode:      "58",
			MeansText:      "SEPA credit transfer",
			RemittanceInfo: "FG-2026-0001",
			CreditTransfer: []invoice.CreditTransfer{
				{AccountID: "FR7630006000011234567890189", AccountName: "Fluxgate Démo", ProviderID: "AGRIFRPP"},
				{AccountID: "DE89370400440532013000"},
			},
			Card:        &invoice.Card{PAN: "1234", Holder: "A MARTIN"},
			DirectDebit: &invoice.DirectDebit{MandateID: "MANDATE-1", CreditorID: "FR12ZZZ123456", DebitedAccount: "FR7612345987650123456789014"},
		},
		Allowances: []invoice.AllowanceCharge{{
			Amount: invoice.Dec("10"), BaseAmount: invoice.Dec("100"), Percentage: invoice.Dec("10"),
			VATCategory: "S", VATRate: invoice.Dec("20"), Reason: "Remise fidélité", ReasonCode: "95",
		}},
		Charges: []invoice.AllowanceCharge{{
			Amount: invoice.Dec("5.5"), VATCategory: "S", VATRate: invoice.Dec("20"), Reason: "Transport", ReasonCode: "FC",
		}},
		Totals: invoice.Totals{
			LineTotal:        invoice.Dec("200"),
			AllowanceTotal:   invoice.Dec("10"),
			ChargeTotal:      invoice.Dec("5.50"),
			TaxExclusive:     invoice.Dec("195.50"),
			TaxTotal:         invoice.Dec("39.10"),
			TaxTotalAcctCurr: invoice.Dec("431.23"),
			TaxInclusive:     invoice.Dec("234.60"),
			Paid:             invoice.Dec("34.60"),
			Rounding:         invoice.Dec("0"),
			Payable:          invoice.Dec("200.00"),
		},
		VAT: []invoice.VATBreakdown{
			{TaxableAmount: invoice.Dec("195.50"), TaxAmount: invoice.Dec("39.10"), Category: "S", Rate: invoice.Dec("20")},
			{TaxableAmount: invoice.Dec("0"), TaxAmount: invoice.Dec("0"), Category: "E", Rate: invoice.Dec("0"),
				ExemptionReason: "Exonération art. 261", ExemptionReasonCode: "VATEX-EU-132"},
		},
		Documents: []invoice.Document{
			{ID: "ANNEX-1", Description: "Relevé de consommation", Attachment: &invoice.Attachment{
				Content: []byte("%PDF-1.4 fake\x00\x01\xff"), MIMEType: "application/pdf", Filename: "releve.pdf"}},
			{ID: "ANNEX-2", URI: "https://example.fr/annexe-2.csv"},
			{ID: "ANNEX-3"},
		},
		Lines: []invoice.Line{
			{
				ID: "1", Note: "Ligne avec tout", ObjectID: invoice.ID{Value: "OBJ-1", Scheme: "ABZ"},
				Quantity: invoice.Dec("2.500"), UnitCode: "KGM", NetAmount: invoice.Dec("150"),
				OrderLineReference: "PO-4455-1", BuyerAccountingReference: "6022",
				Period:     &invoice.Period{Start: d(2026, time.February, 1), End: d(2026, time.February, 15)},
				Allowances: []invoice.AllowanceCharge{{Amount: invoice.Dec("5"), BaseAmount: invoice.Dec("155"), Percentage: invoice.Dec("3.2258"), Reason: "Promo", ReasonCode: "95"}},
				Charges:    []invoice.AllowanceCharge{{Amount: invoice.Dec("0.50"), Reason: "Emballage", ReasonCode: "ABL"}},
				Price: invoice.Price{Net: invoice.Dec("61.8"), Discount: invoice.Dec("2.2"), Gross: invoice.Dec("64.0000"),
					BaseQuantity: invoice.Dec("1"), BaseUnitCode: "KGM"},
				VATCategory: "S", VATRate: invoice.Dec("20.0"),
				Item: invoice.Item{
					Name: "Café en grains", Description: "Arabica, torréfaction moyenne", SellerID: "CAF-01", BuyerID: "B-778",
					StandardID:      invoice.ID{Value: "03012345678909", Scheme: "0160"},
					Classifications: []invoice.Classification{{Code: "0901", Scheme: "HS", SchemeVersion: "2022"}, {Code: "50201706", Scheme: "TST"}},
					OriginCountry:   "BR",
					Attributes:      []invoice.Attribute{{Name: "Couleur", Value: "Brun"}, {Name: "Poids net", Value: "2.5 kg"}},
				},
			},
			{
				ID: "2", Quantity: invoice.Dec("1"), UnitCode: "C62", NetAmount: invoice.Dec("50.00"),
				Price: invoice.Price{Net: invoice.Dec("50")}, VATCategory: "S", VATRate: invoice.Dec("20"),
				Item: invoice.Item{Name: "Moulin"},
			},
			{
				ID: "3", Quantity: invoice.Dec("1"), UnitCode: "C62", NetAmount: invoice.Dec("0"),
				Price: invoice.Price{Net: invoice.Dec("0")}, VATCategory: "E", VATRate: invoice.Dec("0"),
				Item: invoice.Item{Name: "Échantillon"},
			},
		},
	}
}

func TestHandBuilt(t *testing.T) {
	dir := t.TempDir()
	inv := handBuilt()
	out := roundTrip(t, inv, dir, "invoice.xml")
	for _, want := range []string{
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"`,
		`<cbc:Note>#AAI#Livraison partielle</cbc:Note>`,
		`<cbc:InvoicedQuantity unitCode="KGM">2.5</cbc:InvoicedQuantity>`,
		`<cbc:LineExtensionAmount currencyID="EUR">150.00</cbc:LineExtensionAmount>`,
		`<cbc:PriceAmount currencyID="EUR">61.8</cbc:PriceAmount>`,
		`<cbc:TaxAmount currencyID="SEK">431.23</cbc:TaxAmount>`,
		`<cbc:ID schemeID="SEPA">FR12ZZZ123456</cbc:ID>`,
		`<cbc:ID>TAX</cbc:ID>`,
		`<cbc:DocumentTypeCode>130</cbc:DocumentTypeCode>`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s", want)
		}
	}

	cn := handBuilt()
	cn.TypeCode = invoice.TypeCreditNote
	cn.Number = "FG-AV-2026-0001"
	out = roundTrip(t, cn, dir, "creditnote.xml")
	for _, want := range []string{
		`<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"`,
		`<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>`,
		`<cbc:CreditedQuantity unitCode="KGM">2.5</cbc:CreditedQuantity>`,
		`<cbc:PaymentDueDate>2026-04-01</cbc:PaymentDueDate>`,
		`<cbc:DocumentTypeCode>50</cbc:DocumentTypeCode>`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("credit note output lacks %s", want)
		}
	}
	if strings.Contains(string(out), "InvoiceLine") || strings.Contains(string(out), "<cbc:DueDate>") {
		t.Error("credit note output holds invoice-only elements")
	}

	// A credit note without payment means keeps its due date in the payment terms, which
	// the official artefacts accept with a warning (UBL-CR-463): UBL 2.1 has no other place.
	cn.Payment = nil
	cn.PaymentTerms = ""
	out = roundTrip(t, cn, dir, "creditnote-nopay.xml", "UBL-CR-463")
	if !strings.Contains(string(out), "<cac:PaymentTerms>") {
		t.Error("due date of a credit note without payment means is not in cac:PaymentTerms")
	}

	// A minimal invoice: only what the schema requires plus a sales order reference alone.
	min := &invoice.Invoice{
		Number: "M-1", IssueDate: invoice.NewDate(2026, time.January, 5), TypeCode: "380", Currency: "EUR",
		Specification: invoice.SpecEN16931, SalesOrderReference: "SO-1",
		Seller: invoice.Party{Name: "S", Address: &invoice.Address{Country: "FR"}},
		Buyer:  invoice.Party{Name: "B", Address: &invoice.Address{Country: "FR"}},
		Totals: invoice.Totals{LineTotal: invoice.Dec("1"), TaxExclusive: invoice.Dec("1"), TaxInclusive: invoice.Dec("1"), Payable: invoice.Dec("1")},
		Lines: []invoice.Line{{ID: "1", Quantity: invoice.Dec("1"), UnitCode: "C62", NetAmount: invoice.Dec("1"),
			Price: invoice.Price{Net: invoice.Dec("1"), Gross: invoice.Dec("1.2")}, VATCategory: "O", Item: invoice.Item{Name: "x"}}},
	}
	out, err := Write(min)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "minimal.xml")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.CheckInvoice(t, file)
	got, _, err := Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.PurchaseOrderReference != "" || got.SalesOrderReference != "SO-1" {
		t.Errorf("order references: got %q / %q", got.PurchaseOrderReference, got.SalesOrderReference)
	}
	if d := got.Lines[0].Price.Discount; d == nil || !d.Equal(decimal.RequireFromString("0.2")) {
		t.Errorf("price discount derived from gross − net: got %v", d)
	}
}

func TestFormatAmount(t *testing.T) {
	for in, want := range map[string]string{
		"100": "100.00", "100.5": "100.50", "-3.1": "-3.10", "0": "0.00", "1.2345": "1.2345",
		"1.230": "1.23", "2.5000": "2.50", "12.005": "12.005",
	} {
		if got := formatAmount(decimal.RequireFromString(in)); got != want {
			t.Errorf("formatAmount(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestReadRejects(t *testing.T) {
	for name, data := range map[string]string{
		"garbage":   "this is not XML at all",
		"empty":     "",
		"truncated": `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><cbc:ID`,
		"cii":       `<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>`,
		"wrong ns":  `<Invoice xmlns="urn:example:other"/>`,
		"no ns":     `<Invoice/>`,
	} {
		inv, _, err := Read([]byte(data))
		if err == nil || inv != nil {
			t.Errorf("%s: want an error and no model, got %v, %v", name, inv, err)
		}
	}
}

const lenientDoc = `<?xml version="1.0" encoding="UTF-8"?>
<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:a="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:b="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <b:CustomizationID>urn:cen.eu:en16931:2017</b:CustomizationID>
  <b:ID>L-1</b:ID>
  <b:IssueDate>2026-13-45</b:IssueDate>
  <b:InvoiceTypeCode>380</b:InvoiceTypeCode>
  <b:DocumentCurrencyCode>EUR</b:DocumentCurrencyCode>
  <a:AdditionalDocumentReference>
    <b:ID>D</b:ID>
    <a:Attachment><b:EmbeddedDocumentBinaryObject mimeCode="text/plain" filename="a.txt">!!not base64!!</b:EmbeddedDocumentBinaryObject></a:Attachment>
  </a:AdditionalDocumentReference>
  <a:AllowanceCharge><b:ChargeIndicator>maybe</b:ChargeIndicator><b:Amount currencyID="EUR">1</b:Amount></a:AllowanceCharge>
  <a:LegalMonetaryTotal>
    <b:LineExtensionAmount currencyID="EUR">12,50</b:LineExtensionAmount>
    <b:PayableAmount currencyID="EUR">12.50</b:PayableAmount>
  </a:LegalMonetaryTotal>
  <a:InvoiceLine>
    <b:ID>1</b:ID>
    <b:Note>one</b:Note>
    <b:Note>two</b:Note>
    <b:InvoicedQuantity unitCode="C62">abc</b:InvoicedQuantity>
    <b:LineExtensionAmount currencyID="EUR">12.50</b:LineExtensionAmount>
    <a:Item><b:Name>thing</b:Name></a:Item>
    <a:Price><b:PriceAmount currencyID="EUR">1e3</b:PriceAmount></a:Price>
  </a:InvoiceLine>
</ubl:Invoice>`

func TestReadLenient(t *testing.T) {
	inv, vs, err := Read([]byte(lenientDoc))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if inv.Number != "L-1" || inv.Currency != "EUR" || len(inv.Lines) != 1 || inv.Lines[0].Item.Name != "thing" {
		t.Errorf("model not filled: %+v", inv)
	}
	if p := inv.Totals.Payable; p == nil || !p.Equal(decimal.RequireFromString("12.5")) {
		t.Errorf("payable amount: %v", p)
	}
	if inv.Totals.LineTotal != nil || inv.Lines[0].Quantity != nil || inv.Lines[0].Price.Net != nil {
		t.Error("malformed numbers must be absent from the model")
	}
	if inv.Lines[0].Note != "one" {
		t.Errorf("line note: %q", inv.Lines[0].Note)
	}
	want := map[string]string{ // location → BT
		"/Invoice/cbc:IssueDate":                                                                   "BT-2",
		"/Invoice/cac:LegalMonetaryTotal/cbc:LineExtensionAmount":                                  "BT-106",
		"/Invoice/cac:InvoiceLine/cbc:InvoicedQuantity":                                            "BT-129",
		"/Invoice/cac:InvoiceLine/cac:Price/cbc:PriceAmount":                                       "BT-146",
		"/Invoice/cac:InvoiceLine":                                                                 "BT-127", // UBL-SR-34
		"/Invoice/cac:AllowanceCharge/cbc:ChargeIndicator":                                         "BG-20",
		"/Invoice/cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject": "BT-125",
	}
	got := map[string]invoice.Violation{}
	for _, v := range vs {
		// Several findings may share a location: keep the one about the expected term.
		if prev, ok := got[v.Location]; !ok || len(prev.BT) == 0 || prev.BT[0] != want[v.Location] {
			got[v.Location] = v
		}
		if (v.Rule != RuleRead && !strings.HasPrefix(v.Rule, "UBL-")) || v.EN == "" || v.FR == "" {
			t.Errorf("incomplete finding: %+v", v)
		}
	}
	for loc, bt := range want {
		v, ok := got[loc]
		if !ok {
			t.Errorf("no finding at %s; findings: %v", loc, vs)
			continue
		}
		if len(v.BT) == 0 || v.BT[0] != bt {
			t.Errorf("finding at %s: BT %v, want %s", loc, v.BT, bt)
		}
	}
	if v := got["/Invoice/cac:InvoiceLine/cbc:InvoicedQuantity"]; v.Path != "BG-25[1]" || v.Severity != invoice.Fatal {
		t.Errorf("quantity finding: path %q severity %q", v.Path, v.Severity)
	}
}

func TestReadNeverPanics(t *testing.T) {
	// Truncating a real document at every few bytes must give an error or a model, never a panic.
	dir := testutil.Shared(t, "examples", "invoices", "ubl")
	data, err := os.ReadFile(filepath.Join(dir, "ubl-tc434-example2.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(data); n += 97 {
		_, _, _ = Read(data[:n])
	}
	// Every element emptied in turn.
	s := string(data)
	for i := strings.Index(s, ">"); i >= 0 && i < len(s)-1; {
		j := strings.Index(s[i+1:], "<")
		if j < 0 {
			break
		}
		_, _, _ = Read([]byte(s[:i+1] + s[i+1+j:]))
		k := strings.Index(s[i+1+j:], ">")
		if k < 0 {
			break
		}
		i = i + 1 + j + k
	}
}

func TestReadRuleTestFragments(t *testing.T) {
	// The official unit-test documents are fragments: reading must still give a model (never
	// an error or a panic), and the model must be writable.
	base := testutil.Shared(t, "examples", "rule-tests")
	n := 0
	for _, sub := range []string{"Invoice-unit-UBL", "CreditNote-unit-UBL"} {
		files, err := filepath.Glob(filepath.Join(base, sub, "*.xml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inv, _, err := Read(data)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
				continue
			}
			if _, err := Write(inv); err != nil {
				t.Errorf("%s: Write: %v", filepath.Base(f), err)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no rule-test documents found")
	}
}
