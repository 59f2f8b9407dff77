package cii

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/internal/invoicetest"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
)

// --- examples round trip ---------------------------------------------------------------

func exampleFiles(t testing.TB) []string {
	t.Helper()
	dir := testutil.Shared(t, "examples", "invoices", "cii")
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(files) == 0 {
		testutil.Missing(t, "no CII examples in %s", dir)
	}
	return files
}

func TestExamplesRoundTrip(t *testing.T) {
	files := exampleFiles(t)
	out := t.TempDir()
	type result struct {
		name    string
		first   *invoice.Invoice
		written string
	}
	var results []result
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inv, viol, err := Read(data)
		if err != nil {
			t.Errorf("%s: Read: %v", name, err)
			continue
		}
		for _, v := range viol {
			t.Logf("%s: reading the official example: %s", name, v)
			if v.Severity == invoice.Fatal {
				t.Errorf("%s: fatal finding on an official example: %s", name, v)
			}
		}
		if len(inv.Lines) == 0 || inv.Number == "" {
			t.Errorf("%s: model looks empty: %d lines, number %q", name, len(inv.Lines), inv.Number)
		}
		xml, err := Write(inv)
		if err != nil {
			t.Errorf("%s: Write: %v", name, err)
			continue
		}
		p := filepath.Join(out, name)
		if err := os.WriteFile(p, xml, 0o644); err != nil {
			t.Fatal(err)
		}
		results = append(results, result{name, inv, p})
	}
	if len(results) == 0 {
		t.Fatal("nothing written")
	}
	written := make([]string, len(results))
	for i, r := range results {
		written[i] = r.written
	}
	testutil.CheckInvoice(t, written...)
	for _, r := range results {
		data, err := os.ReadFile(r.written)
		if err != nil {
			t.Fatal(err)
		}
		again, viol, err := Read(data)
		if err != nil {
			t.Errorf("%s: reading the written file: %v", r.name, err)
			continue
		}
		for _, v := range viol {
			t.Errorf("%s: finding on the written file: %s", r.name, v)
		}
		for _, d := range invoicetest.Diff(r.first, again) {
			t.Errorf("%s: round trip changed the model: %s", r.name, d)
		}
	}
}

// TestExampleBindings spot-checks that terms land where the official examples put them.
func TestExampleBindings(t *testing.T) {
	dir := testutil.Shared(t, "examples", "invoices", "cii")
	read := func(name string) *invoice.Invoice {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		inv, _, err := Read(data)
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	inv := read("CII_example1.xml")
	if inv.Number != "12115118" || inv.IssueDate != invoice.NewDate(2015, time.January, 9) || inv.TypeCode != "380" {
		t.Errorf("header: %q %v %q", inv.Number, inv.IssueDate, inv.TypeCode)
	}
	if inv.Specification != invoice.SpecEN16931 {
		t.Errorf("BT-24 = %q", inv.Specification)
	}
	if len(inv.Notes) != 1 || inv.Notes[0].SubjectCode != "AAR" {
		t.Errorf("notes: %+v", inv.Notes)
	}
	if l := inv.Lines[0]; l.ID != "1" || !l.Quantity.Equal(decimal.NewFromInt(2)) || l.UnitCode != "H87" ||
		l.Item.SellerID != "166022" || !l.Price.Net.Equal(decimal.RequireFromString("9.95")) ||
		l.VATCategory != "S" || !l.VATRate.Equal(decimal.NewFromInt(6)) || !l.NetAmount.Equal(decimal.RequireFromString("19.9")) {
		t.Errorf("line 1: %+v", l)
	}

	inv = read("CII_example5.xml")
	if inv.TaxCurrency != "EUR" || inv.Currency != "DKK" || !inv.Totals.TaxTotalAcctCurr.Equal(decimal.RequireFromString("628.62")) ||
		!inv.Totals.TaxTotal.Equal(decimal.NewFromInt(675)) {
		t.Errorf("BT-5/6/110/111: %q %q %v %v", inv.Currency, inv.TaxCurrency, inv.Totals.TaxTotal, inv.Totals.TaxTotalAcctCurr)
	}
	if inv.ProjectReference != "Project345" || inv.ContractReference != "2013-05" ||
		inv.Payment == nil || inv.Payment.DirectDebit == nil || inv.Payment.DirectDebit.CreditorID != "DK5678" {
		t.Errorf("references/payment: %q %q %+v", inv.ProjectReference, inv.ContractReference, inv.Payment)
	}
}

// --- hand-built invoice and credit note -------------------------------------------------

func handBuilt() *invoice.Invoice {
	d := invoice.Dec
	return &invoice.Invoice{
		Number:                   "FG-2024-0001",
		IssueDate:                invoice.NewDate(2024, time.March, 15),
		TypeCode:                 invoice.TypeCommercialInvoice,
		Currency:                 "EUR",
		TaxCurrency:              "SEK",
		TaxPointDateCode:         "35",
		DueDate:                  invoice.NewDate(2024, time.April, 14),
		BuyerReference:           "BUYER-REF-7",
		ProjectReference:         "PRJ-42",
		ContractReference:        "CT-2023-9",
		PurchaseOrderReference:   "PO-1234",
		SalesOrderReference:      "SO-5678",
		ReceivingAdviceReference: "RA-1",
		DespatchAdviceReference:  "DA-2",
		TenderOrLotReference:     "LOT-3",
		InvoicedObject:           invoice.ID{Value: "METER-99", Scheme: "AWV"},
		BuyerAccountingReference: "6061-ACC",
		PaymentTerms:             "30 jours fin de mois, pénalités 3 × taux légal",
		Notes: []invoice.Note{
			{SubjectCode: "AAI", Text: "Livraison partielle & <urgente>"},
			{Text: "Note sans code"},
		},
		BusinessProcess: "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
		Specification:   invoice.SpecEN16931,
		PrecedingInvoices: []invoice.PrecedingInvoice{
			{Number: "FG-2023-0999", IssueDate: invoice.NewDate(2023, time.December, 1)},
		},
		Seller: invoice.Party{
			Name:              "Fluxgate Démo SARL",
			TradingName:       "Fluxgate",
			IDs:               []invoice.ID{{Value: "SELLER-INT-1"}, {Value: "3012345678901", Scheme: "0088"}},
			LegalID:           invoice.ID{Value: "123456789", Scheme: "0002"},
			VATID:             "FR12123456789",
			TaxRegistrationID: "FR-TAX-555",
			LegalInfo:         "SARL au capital de 10 000 €",
			ElectronicAddress: invoice.ID{Value: "factures@fluxgate.example", Scheme: "EM"},
			Address: &invoice.Address{
				Line1: "1 rue de la Paix", Line2: "Bâtiment B", Line3: "3e étage",
				City: "Paris", PostCode: "75002", Subdivision: "Île-de-France", Country: "FR",
			},
			Contact: &invoice.Contact{Name: "Jeanne Martin", Phone: "+33 1 23 45 67 89", Email: "jeanne@fluxgate.example"},
		},
		Buyer: invoice.Party{
			Name:              "Acheteur SA",
			TradingName:       "Acheteur",
			IDs:               []invoice.ID{{Value: "5790000435968", Scheme: "0088"}},
			LegalID:           invoice.ID{Value: "987654321", Scheme: "0002"},
			VATID:             "FR98987654321",
			ElectronicAddress: invoice.ID{Value: "987654321", Scheme: "0009"},
			Address:           &invoice.Address{Line1: "2 avenue du Port", City: "Marseille", PostCode: "13002", Country: "FR"},
			Contact:           &invoice.Contact{Name: "Service comptable", Email: "compta@acheteur.example"},
		},
		Payee: &invoice.Payee{
			Name:    "Affacturage SA",
			ID:      invoice.ID{Value: "FR-PAYEE-1"},
			LegalID: invoice.ID{Value: "111222333", Scheme: "0002"},
		},
		TaxRepresentative: &invoice.TaxRepresentative{
			Name:    "Représentant Fiscal SAS",
			VATID:   "FR55111222333",
			Address: &invoice.Address{Line1: "5 quai Ouest", City: "Lyon", PostCode: "69002", Country: "FR"},
		},
		Delivery: &invoice.Delivery{
			PartyName:  "Entrepôt Sud",
			LocationID: invoice.ID{Value: "3012345000001", Scheme: "0088"},
			Date:       invoice.NewDate(2024, time.March, 10),
			Address:    &invoice.Address{Line1: "ZI des Estroublans", City: "Vitrolles", PostCode: "13127", Country: "FR"},
		},
		InvoicingPeriod: &invoice.Period{Start: invoice.NewDate(2024, time.March, 1), End: invoice.NewDate(2024, time.March, 31)},
		Payment: &invoice.PaymentInstructions{
			MeansCode:      "58",
			MeansText:      "Virement SEPA",
			RemittanceInfo: "FG-2024-0001",
			CreditTransfer: []invoice.CreditTransfer{
				{AccountID: "FR7630006000011234567890189", AccountName: "Fluxgate Démo", ProviderID: "AGRIFRPP"},
				{AccountID: "ACC-LOCAL-77", AccountName: "Compte local"},
			},
			Card:        &invoice.Card{PAN: "1234", Holder: "J MARTIN"},
			DirectDebit: &invoice.DirectDebit{MandateID: "MANDATE-1", CreditorID: "FR12ZZZ123456", DebitedAccount: "FR7612345987650123456789014"},
		},
		Allowances: []invoice.AllowanceCharge{{
			Amount: d("10"), BaseAmount: d("200"), Percentage: d("5"), VATCategory: "S", VATRate: d("20"),
			Reason: "Remise fidélité", ReasonCode: "95",
		}},
		Charges: []invoice.AllowanceCharge{{
			Amount: d("15.5"), VATCategory: "S", VATRate: d("20"), Reason: "Port", ReasonCode: "FC",
		}},
		Totals: invoice.Totals{
			LineTotal:        d("1000"),
			AllowanceTotal:   d("10"),
			ChargeTotal:      d("15.5"),
			TaxExclusive:     d("1005.5"),
			TaxTotal:         d("201.1"),
			TaxTotalAcctCurr: d("2311.23"),
			TaxInclusive:     d("1206.6"),
			Paid:             d("100"),
			Rounding:         d("0.4"),
			Payable:          d("1107"),
		},
		VAT: []invoice.VATBreakdown{
			{TaxableAmount: d("1005.5"), TaxAmount: d("201.1"), Category: "S", Rate: d("20")},
			{TaxableAmount: d("0"), TaxAmount: d("0"), Category: "E", Rate: d("0"), ExemptionReason: "Exonération art. 261", ExemptionReasonCode: "VATEX-EU-132"},
		},
		Documents: []invoice.Document{
			{ID: "TS-1", Description: "Relevé d'heures", URI: "https://fluxgate.example/ts/1"},
			{ID: "PDF-1", Description: "Facture lisible", Attachment: &invoice.Attachment{Content: []byte("%PDF-1.4 fake\x00\x01"), MIMEType: "application/pdf", Filename: "facture.pdf"}},
		},
		Lines: []invoice.Line{
			{
				ID: "1", Note: "Ligne principale", ObjectID: invoice.ID{Value: "OBJ-1", Scheme: "AWV"},
				Quantity: d("10.000"), UnitCode: "C62", NetAmount: d("900"),
				OrderLineReference: "PO-1234/1", BuyerAccountingReference: "6061-L1",
				Period:      &invoice.Period{Start: invoice.NewDate(2024, time.March, 1), End: invoice.NewDate(2024, time.March, 15)},
				Allowances:  []invoice.AllowanceCharge{{Amount: d("110"), BaseAmount: d("1000"), Percentage: d("11"), Reason: "Remise volume", ReasonCode: "95"}},
				Charges:     []invoice.AllowanceCharge{{Amount: d("10"), Reason: "Emballage", ReasonCode: "ABL"}},
				Price:       invoice.Price{Net: d("100.00"), Discount: d("5"), Gross: d("105"), BaseQuantity: d("1"), BaseUnitCode: "C62"},
				VATCategory: "S", VATRate: d("20.0"),
				Item: invoice.Item{
					Name: "Abonnement passerelle", Description: "Licence mensuelle",
					SellerID: "SKU-1", BuyerID: "ART-9", StandardID: invoice.ID{Value: "03012345678905", Scheme: "0160"},
					Classifications: []invoice.Classification{{Code: "72268000", Scheme: "STI", SchemeVersion: "2008"}, {Code: "4321", Scheme: "ZZZ"}},
					OriginCountry:   "FR",
					Attributes:      []invoice.Attribute{{Name: "Couleur", Value: "Bleu"}, {Name: "Taille", Value: "XL"}},
				},
			},
			{
				ID: "2", Quantity: d("1.5"), UnitCode: "HUR", NetAmount: d("100.005"),
				Price:       invoice.Price{Net: d("66.67")},
				VATCategory: "S", VATRate: d("20"),
				Item: invoice.Item{Name: "Support"},
			},
		},
	}
}

func creditNote() *invoice.Invoice {
	inv := handBuilt()
	inv.Number = "FG-2024-AV-0001"
	inv.TypeCode = invoice.TypeCreditNote
	inv.Notes = append(inv.Notes, invoice.Note{SubjectCode: "ACD", Text: "Avoir pour retour de marchandise"})
	inv.PrecedingInvoices = []invoice.PrecedingInvoice{{Number: "FG-2024-0001", IssueDate: invoice.NewDate(2024, time.March, 15)}}
	inv.Payment = &invoice.PaymentInstructions{MeansCode: "30", CreditTransfer: []invoice.CreditTransfer{{AccountID: "FR7630006000011234567890189"}}}
	inv.TaxCurrency = ""
	inv.Totals.TaxTotalAcctCurr = nil
	inv.TaxPointDateCode = ""
	inv.TaxPointDate = invoice.NewDate(2024, time.March, 20)
	return inv
}

func TestHandBuiltInvoiceAndCreditNote(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]*invoice.Invoice{"invoice.xml": handBuilt(), "credit-note.xml": creditNote()}
	var files []string
	for name, inv := range cases {
		data, err := Write(inv)
		if err != nil {
			t.Fatalf("%s: Write: %v", name, err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)

		again, viol, err := Read(data)
		if err != nil {
			t.Fatalf("%s: Read: %v", name, err)
		}
		for _, v := range viol {
			if v.Rule == "CII-SR-475" && v.Severity == invoice.Warning {
				continue // the official warning on a second supporting document with a description
			}
			t.Errorf("%s: finding: %s", name, v)
		}
		for _, d := range invoicetest.Diff(inv, again) {
			t.Errorf("%s: round trip: %s", name, d)
		}
	}
	testutil.CheckInvoice(t, files...)
}

func TestWriteFormats(t *testing.T) {
	data, err := Write(handBuilt())
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`xmlns:rsm="` + NamespaceRSM + `"`,
		`<udt:DateTimeString format="102">20240315</udt:DateTimeString>`,
		`<ram:LineTotalAmount>1000.00</ram:LineTotalAmount>`,             // amount, scale 0 → 2 decimals
		`<ram:LineTotalAmount>100.005</ram:LineTotalAmount>`,             // amount, scale 3 kept
		`<ram:BilledQuantity unitCode="C62">10.000</ram:BilledQuantity>`, // quantity as given
		`<ram:ChargeAmount>100.00</ram:ChargeAmount>`,                    // price as given
		`<ram:RateApplicablePercent>20.0</ram:RateApplicablePercent>`,
		`<ram:TaxTotalAmount currencyID="EUR">201.10</ram:TaxTotalAmount>`,
		`<ram:TaxTotalAmount currencyID="SEK">2311.23</ram:TaxTotalAmount>`,
		`<ram:DueDateTypeCode>29</ram:DueDateTypeCode>`, // BT-8 35 (UNTDID 2005) → 29 (UNTDID 2475)
		`<ram:SpecifiedTaxRegistration>`,
		`<ram:ID schemeID="FC">FR-TAX-555</ram:ID>`,
		`<ram:IBANID>FR7630006000011234567890189</ram:IBANID>`,
		`<ram:ProprietaryID>ACC-LOCAL-77</ram:ProprietaryID>`,
		`<ram:ClassCode listID="STI" listVersionID="2008">72268000</ram:ClassCode>`,
		`<qdt:DateTimeString format="102">20231201</qdt:DateTimeString>`,
		`Livraison partielle &amp; &lt;urgente&gt;`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %s", want)
		}
	}
	if m := regexp.MustCompile(`<[\w:]+(\s[^>]*)?/>|<([\w:]+)[^>]*>\s*</([\w:]+)>`).FindString(s); m != "" {
		t.Errorf("empty element written: %s", m)
	}
}

func TestWriteRefusesWhatCIICannotHold(t *testing.T) {
	inv := handBuilt()
	inv.PrecedingInvoices = append(inv.PrecedingInvoices, invoice.PrecedingInvoice{Number: "OTHER"})
	if _, err := Write(inv); err == nil || !strings.Contains(err.Error(), "preceding invoice") {
		t.Errorf("two preceding invoices: err = %v", err)
	}
	inv = handBuilt()
	inv.Lines[1].Price = invoice.Price{Discount: invoice.Dec("1")}
	if _, err := Write(inv); err == nil || !strings.Contains(err.Error(), "BG-25[2]") {
		t.Errorf("discount without price: err = %v", err)
	}
	if _, err := Write(nil); err == nil {
		t.Error("nil invoice: no error")
	}
}

// --- reader leniency ---------------------------------------------------------------------

func TestReadRejectsNonCII(t *testing.T) {
	for name, data := range map[string]string{
		"garbage":   "this is not XML at all \x00\x01",
		"empty":     "",
		"truncated": `<rsm:CrossIndustryInvoice xmlns:rsm="` + NamespaceRSM + `"><rsm:Exchanged`,
		"ubl":       `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>1</ID></Invoice>`,
		"wrong ns":  `<rsm:CrossIndustryInvoice xmlns:rsm="urn:example"/>`,
	} {
		if inv, _, err := Read([]byte(data)); err == nil {
			t.Errorf("%s: no error (model %+v)", name, inv)
		}
	}
}

const lenientDoc = `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocument>
    <ram:ID>BAD-1</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">2024-13-45</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">deux</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>12.50</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>12,50</ram:LineTotalAmount>
        <ram:DuePayableAmount>12.50</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>`

func TestReadLenient(t *testing.T) {
	inv, viol, err := Read([]byte(lenientDoc))
	if err != nil {
		t.Fatal(err)
	}
	if inv.Number != "BAD-1" || inv.Currency != "EUR" || len(inv.Lines) != 1 || !inv.Lines[0].NetAmount.Equal(decimal.RequireFromString("12.5")) ||
		!inv.Totals.Payable.Equal(decimal.RequireFromString("12.5")) {
		t.Errorf("model not read around the errors: %+v", inv)
	}
	if inv.Totals.LineTotal != nil || inv.Lines[0].Quantity != nil || !inv.IssueDate.IsZero() {
		t.Errorf("malformed values should read as absent")
	}
	want := map[string]string{ // BT → location suffix
		"BT-2":   "/ram:IssueDateTime/udt:DateTimeString",
		"BT-129": "/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",
		"BT-106": "/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount",
	}
	for _, v := range viol {
		t.Logf("%s", v)
		if len(v.BT) == 1 {
			if suffix, ok := want[v.BT[0]]; ok && strings.HasSuffix(v.Location, suffix) && v.Severity == invoice.Fatal && v.EN != "" && v.FR != "" {
				delete(want, v.BT[0])
				if v.BT[0] == "BT-129" && v.Path != "BG-25[1]" {
					t.Errorf("line finding Path = %q", v.Path)
				}
			}
		}
	}
	for bt := range want {
		t.Errorf("no finding for %s", bt)
	}
}

// TestReadNeverPanics reads every prefix of an official example: each must give an error or
// a model, never a panic.
func TestReadNeverPanics(t *testing.T) {
	files := exampleFiles(t)
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(data); n += 97 {
		_, _, _ = Read(data[:n])
	}
	// Structure present but every leaf emptied.
	_, _, err = Read([]byte(strings.NewReplacer(">1<", "><", ">S<", "><").Replace(string(data))))
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzRead: whatever the input, Read returns an error or a model, and a model it returns
// either writes or is refused with an error — never a panic.
func FuzzRead(f *testing.F) {
	f.Add([]byte(lenientDoc))
	if data, err := Write(handBuilt()); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, _, err := Read(data)
		if err != nil {
			return
		}
		_, _ = Write(inv)
	})
}

func TestTaxPointCode(t *testing.T) {
	for model, cii := range map[string]string{"3": "5", "35": "29", "432": "72", "X": "X"} {
		if got := mapCode(taxPointCodeToCII, model); got != cii {
			t.Errorf("to CII %s = %s, want %s", model, got, cii)
		}
		if got := mapCode(taxPointCodeFromCII, cii); got != model {
			t.Errorf("from CII %s = %s, want %s", cii, got, model)
		}
	}
}

// --- benchmarks --------------------------------------------------------------------------
