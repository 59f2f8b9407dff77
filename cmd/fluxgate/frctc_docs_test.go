package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/syntax"
)

// frBase is a valid French B2B invoice: every French CTC rule holds.
func frBase() *invoice.Invoice {
	inv := &invoice.Invoice{
		Number: "FA-2026-0042", IssueDate: invoice.NewDate(2026, time.October, 14), TypeCode: "380", Currency: "EUR",
		DueDate: invoice.NewDate(2026, time.November, 13), BusinessProcess: "S1", Specification: invoice.SpecEN16931,
		BuyerReference: "SERV-ACHATS",
		Notes: []invoice.Note{
			{SubjectCode: "PMT", Text: "Indemnité forfaitaire pour frais de recouvrement : 40 EUR."},
			{SubjectCode: "PMD", Text: "Pénalités de retard : trois fois le taux d'intérêt légal."},
			{SubjectCode: "AAB", Text: "Pas d'escompte pour paiement anticipé."},
			{SubjectCode: "BAR", Text: "B2B"},
		},
		Seller: invoice.Party{
			Name: "Atelier Dupont SARL", IDs: []invoice.ID{{Value: "73282932000074", Scheme: "0009"}},
			LegalID: invoice.ID{Value: "732829320", Scheme: "0002"}, VATID: "FR44732829320",
			ElectronicAddress: invoice.ID{Value: "732829320", Scheme: "0225"},
			Address:           &invoice.Address{Line1: "12 rue des Lilas", City: "Lyon", PostCode: "69003", Country: "FR"},
		},
		Buyer: invoice.Party{
			Name: "Librairie Martin", LegalID: invoice.ID{Value: "552100554", Scheme: "0002"}, VATID: "FR11552100554",
			ElectronicAddress: invoice.ID{Value: "552100554", Scheme: "0225"},
			Address:           &invoice.Address{Line1: "3 place Bellecour", City: "Lyon", PostCode: "69002", Country: "FR"},
		},
		Payment: &invoice.PaymentInstructions{MeansCode: "58", CreditTransfer: []invoice.CreditTransfer{{AccountID: "FR7630006000011234567890189"}}},
		Lines: []invoice.Line{
			{ID: "1", Quantity: invoice.Dec("3"), UnitCode: "HUR", Price: invoice.Price{Net: invoice.Dec("100.00")},
				VATCategory: "S", VATRate: invoice.Dec("20"), Item: invoice.Item{Name: "Conseil"}},
			{ID: "2", Quantity: invoice.Dec("2"), UnitCode: "C62", Price: invoice.Price{Net: invoice.Dec("12.50")},
				VATCategory: "S", VATRate: invoice.Dec("5.5"), Item: invoice.Item{Name: "Livre"}},
		},
	}
	invoice.Complete(inv)
	return inv
}

// frCase is a generated document: a change to the base invoice written by the product's
// writers (model), or a change to the written text (edit, for what the model does not hold:
// lexical forms, extended terms).
type frCase struct {
	name  string
	model func(inv *invoice.Invoice)
	ubl   [][2]string // text replacements in the written UBL (old, new); the first must match
	cii   [][2]string
}

// frCases exercise every French rule at least once in each syntax where it exists.
var frCases = []frCase{
	{name: "base"},
	{name: "long number", model: func(inv *invoice.Invoice) { inv.Number = "FA-2026-" + strings.Repeat("0", 30) + "42" }},
	{name: "number with a space", model: func(inv *invoice.Invoice) { inv.Number = "FA 2026/0042" }},
	{name: "preceding number", model: func(inv *invoice.Invoice) {
		inv.TypeCode = "381"
		inv.PrecedingInvoices = []invoice.PrecedingInvoice{{Number: "FA 2025#1", IssueDate: invoice.NewDate(1999, time.May, 2)}}
	}},
	{name: "old due date", model: func(inv *invoice.Invoice) { inv.DueDate.Year = 1926 }},
	{name: "dates out of range", model: func(inv *invoice.Invoice) {
		inv.TaxPointDate = invoice.NewDate(2100, time.January, 1)
		inv.Delivery = &invoice.Delivery{Date: invoice.NewDate(1998, time.March, 3)}
		inv.InvoicingPeriod = &invoice.Period{Start: invoice.NewDate(1999, time.January, 1), End: invoice.NewDate(2101, time.January, 1)}
		inv.Lines[0].Period = &invoice.Period{Start: invoice.NewDate(1999, time.January, 1), End: invoice.NewDate(2101, time.January, 1)}
	}},
	{name: "bad date text", ubl: [][2]string{{"<cbc:IssueDate>2026-10-14", "<cbc:IssueDate>2026-02-30"}},
		cii: [][2]string{{`<udt:DateTimeString format="102">20261014`, `<udt:DateTimeString format="102">20260230`}}},
	{name: "proforma type", model: func(inv *invoice.Invoice) { inv.TypeCode = "325" }},
	{name: "notes missing", model: func(inv *invoice.Invoice) { inv.Notes = inv.Notes[3:] }},
	{name: "notes twice", model: func(inv *invoice.Invoice) {
		inv.Notes = append(inv.Notes, invoice.Note{SubjectCode: "PMT", Text: "bis"}, invoice.Note{SubjectCode: "TXD", Text: "a"}, invoice.Note{SubjectCode: "TXD", Text: "b"})
	}},
	{name: "no frame", model: func(inv *invoice.Invoice) { inv.BusinessProcess = "" }},
	{name: "Chorus frame", model: func(inv *invoice.Invoice) { inv.BusinessProcess = "A1" }},
	{name: "SIRET of another company", model: func(inv *invoice.Invoice) {
		inv.Seller.IDs[0].Value = "48239175200011"
		inv.Buyer.IDs = []invoice.ID{{Value: "1234", Scheme: "0009"}}
		inv.Payee = &invoice.Payee{Name: "Affacturage SA", ID: invoice.ID{Value: "4823917520001X", Scheme: "0009"}}
		inv.Delivery = &invoice.Delivery{LocationID: invoice.ID{Value: "99999999900011", Scheme: "0009"}}
	}},
	{name: "SIRENs missing", model: func(inv *invoice.Invoice) { inv.Seller.LegalID, inv.Buyer.LegalID = invoice.ID{}, invoice.ID{} }},
	{name: "B2C without buyer SIREN", model: func(inv *invoice.Invoice) {
		inv.Buyer.LegalID = invoice.ID{}
		inv.Buyer.ElectronicAddress = invoice.ID{Value: "client@example.fr", Scheme: "EM"}
		inv.Notes[3].Text = "B2C"
	}},
	{name: "addresses missing", model: func(inv *invoice.Invoice) {
		inv.Seller.ElectronicAddress, inv.Buyer.ElectronicAddress = invoice.ID{}, invoice.ID{}
	}},
	{name: "categories L and M", model: func(inv *invoice.Invoice) {
		inv.Lines[1].VATCategory = "L"
		inv.Allowances = []invoice.AllowanceCharge{{Amount: invoice.Dec("1.00"), VATCategory: "M", VATRate: invoice.Dec("0"), Reason: "Remise"}}
		invoice.Complete(inv)
	}},
	{name: "unknown category", model: func(inv *invoice.Invoice) {
		inv.Lines[1].VATCategory = "B"
		inv.Charges = []invoice.AllowanceCharge{{Amount: invoice.Dec("2.00"), VATCategory: "X", VATRate: invoice.Dec("20"), Reason: "Port"}}
		invoice.Complete(inv)
	}},
	{name: "rates", model: func(inv *invoice.Invoice) {
		inv.Lines[0].VATRate = invoice.Dec("21")
		inv.Charges = []invoice.AllowanceCharge{{Amount: invoice.Dec("2.00"), VATCategory: "S", VATRate: invoice.Dec("19"), Reason: "Port"}}
		invoice.Complete(inv)
	}},
	{name: "rate written 20.000", ubl: [][2]string{{"<cbc:Percent>20</cbc:Percent>", "<cbc:Percent>20.000</cbc:Percent>"}},
		cii: [][2]string{{"<ram:RateApplicablePercent>20</ram:RateApplicablePercent>", "<ram:RateApplicablePercent>20.000</ram:RateApplicablePercent>"}}},
	{name: "rate with decimals", model: func(inv *invoice.Invoice) { inv.Lines[1].VATRate = invoice.Dec("5.555"); invoice.Complete(inv) }},
	{name: "negative rate", ubl: [][2]string{{"<cbc:Percent>5.5</cbc:Percent>", "<cbc:Percent>-5.5</cbc:Percent>"}},
		cii: [][2]string{{"<ram:RateApplicablePercent>5.5</ram:RateApplicablePercent>", "<ram:RateApplicablePercent>-5.5</ram:RateApplicablePercent>"}}},
	{name: "attachments", model: func(inv *invoice.Invoice) {
		inv.Documents = []invoice.Document{{ID: "1", Description: "LISIBLE"}, {ID: "2", Description: "LISIBLE"}, {ID: "3", Description: "Photo"}}
	}},
	{name: "processing type", model: func(inv *invoice.Invoice) { inv.Notes[3].Text = "B2G" }},
	{name: "two processing types", model: func(inv *invoice.Invoice) {
		inv.Notes = append(inv.Notes, invoice.Note{SubjectCode: "BAR", Text: "B2C"})
	}},
	{name: "buyer address not its SIREN", model: func(inv *invoice.Invoice) {
		inv.Buyer.ElectronicAddress = invoice.ID{Value: "999999999", Scheme: "0225"}
	}},
	{name: "self-billed seller address", model: func(inv *invoice.Invoice) {
		inv.TypeCode = "389"
		inv.Seller.ElectronicAddress = invoice.ID{Value: "73282932000074", Scheme: "0009"}
	}},
	{name: "address characters and length", model: func(inv *invoice.Invoice) {
		inv.Seller.ElectronicAddress.Value = "732829320 compta"
		inv.Buyer.ElectronicAddress.Value = "552100554_" + strings.Repeat("x", 120)
	}},
	{name: "private ids", model: func(inv *invoice.Invoice) {
		inv.Seller.IDs = append(inv.Seller.IDs, invoice.ID{Value: "FOURNISSEUR 27", Scheme: "0224"})
		inv.Buyer.IDs = []invoice.ID{{Value: "C" + strings.Repeat("1", 110), Scheme: "0224"}}
	}},
	{name: "attributes", model: func(inv *invoice.Invoice) {
		inv.Lines[0].Item.Attributes = []invoice.Attribute{{Name: " ", Value: "rouge"}, {Name: "Taille", Value: ""}}
	}},
	{name: "attribute with a measure", ubl: [][2]string{{"<cbc:Name>Conseil</cbc:Name>",
		`<cbc:Name>Conseil</cbc:Name><cac:AdditionalItemProperty><cbc:Name>Poids</cbc:Name><cbc:Value>3</cbc:Value><cbc:ValueQuantity unitCode="KGM">3</cbc:ValueQuantity></cac:AdditionalItemProperty><cac:AdditionalItemProperty><cbc:NameCode> </cbc:NameCode><cbc:ValueQuantity unitCode="">3</cbc:ValueQuantity></cac:AdditionalItemProperty>`}},
		cii: [][2]string{{"<ram:Name>Conseil</ram:Name>",
			`<ram:Name>Conseil</ram:Name><ram:ApplicableProductCharacteristic><ram:Description>Poids</ram:Description><ram:Value>3</ram:Value><ram:ValueMeasure unitCode="KGM">3</ram:ValueMeasure></ram:ApplicableProductCharacteristic><ram:ApplicableProductCharacteristic><ram:TypeCode> </ram:TypeCode><ram:ValueMeasure unitCode="">3</ram:ValueMeasure></ram:ApplicableProductCharacteristic>`}}},
	{name: "invoiced objects", ubl: [][2]string{{"<cac:AccountingSupplierParty>",
		`<cac:AdditionalDocumentReference><cbc:ID schemeID="AFL">A1</cbc:ID><cbc:ID schemeID="AFL"> </cbc:ID><cbc:ID schemeID="AVV"> </cbc:ID><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:AdditionalDocumentReference><cac:AccountingSupplierParty>`},
		// Not two AFL on a line: the official stylesheet stops on that (see the next case).
		{"<cbc:ID>1</cbc:ID>", `<cbc:ID>1</cbc:ID><cac:DocumentReference><cbc:ID schemeID="AFL"> </cbc:ID><cbc:ID schemeID="AVV">V1</cbc:ID><cbc:ID schemeID="AVV"></cbc:ID><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:DocumentReference>`}},
		cii: [][2]string{{"</ram:BuyerTradeParty>",
			`</ram:BuyerTradeParty><ram:AdditionalReferencedDocument><ram:IssuerAssignedID>A1</ram:IssuerAssignedID><ram:TypeCode>130</ram:TypeCode><ram:ReferenceTypeCode>AFL</ram:ReferenceTypeCode></ram:AdditionalReferencedDocument><ram:AdditionalReferencedDocument><ram:IssuerAssignedID> </ram:IssuerAssignedID><ram:TypeCode>130</ram:TypeCode><ram:ReferenceTypeCode>AFL</ram:ReferenceTypeCode></ram:AdditionalReferencedDocument><ram:AdditionalReferencedDocument><ram:IssuerAssignedID></ram:IssuerAssignedID><ram:TypeCode>130</ram:TypeCode><ram:ReferenceTypeCode>AVV</ram:ReferenceTypeCode></ram:AdditionalReferencedDocument>`},
			{"<ram:IncludedSupplyChainTradeLineItem>",
				`<ram:IncludedSupplyChainTradeLineItem><ram:AdditionalReferencedDocument><ram:IssuerAssignedID>L1</ram:IssuerAssignedID><ram:ReferenceTypeCode>AFL</ram:ReferenceTypeCode></ram:AdditionalReferencedDocument><ram:AdditionalReferencedDocument><ram:IssuerAssignedID> </ram:IssuerAssignedID><ram:ReferenceTypeCode>AFL</ram:ReferenceTypeCode></ram:AdditionalReferencedDocument><ram:AdditionalReferencedDocument><ram:IssuerAssignedID/><ram:ReferenceTypeCode>AVV</ram:ReferenceTypeCode></ram:AdditionalReferencedDocument>`}}},
	{name: "two AFL objects on a line", ubl: [][2]string{{"<cbc:ID>1</cbc:ID>", `<cbc:ID>1</cbc:ID><cac:DocumentReference><cbc:ID schemeID="AFL">L1</cbc:ID><cbc:ID schemeID="AFL">L2</cbc:ID><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:DocumentReference>`}}},
	{name: "SIREN length", model: func(inv *invoice.Invoice) {
		inv.Buyer.LegalID.Value = "55210055"
		inv.Seller.IDs = append(inv.Seller.IDs, invoice.ID{Value: "7328293", Scheme: "0002"})
	}},
	{name: "global discount credit note", model: func(inv *invoice.Invoice) {
		inv.TypeCode = "262"
		inv.PrecedingInvoices = []invoice.PrecedingInvoice{{Number: "FA-2026-0001", IssueDate: invoice.NewDate(2026, time.January, 5)}}
	}},
	{name: "corrective invoice", model: func(inv *invoice.Invoice) { inv.TypeCode = "384" }},
	{name: "credit note without its invoice", model: func(inv *invoice.Invoice) { inv.TypeCode = "381" }},
	{name: "due before issue", model: func(inv *invoice.Invoice) { inv.DueDate = invoice.NewDate(2026, time.October, 1) }},
	{name: "prepayment due before issue", model: func(inv *invoice.Invoice) {
		inv.TypeCode = "386"
		inv.DueDate = invoice.NewDate(2026, time.October, 1)
	}},
	{name: "prepayment as final", model: func(inv *invoice.Invoice) { inv.TypeCode, inv.BusinessProcess = "386", "S4" }},
	{name: "already paid but due", model: func(inv *invoice.Invoice) { inv.BusinessProcess = "B2"; inv.DueDate = invoice.Date{} }},
	{name: "already paid", model: func(inv *invoice.Invoice) {
		inv.BusinessProcess = "S2"
		inv.Totals.Paid = inv.Totals.TaxInclusive
		inv.Totals.Payable = invoice.Dec("0.00")
	}},
	{name: "identifiers without scheme", model: func(inv *invoice.Invoice) {
		inv.Seller.IDs = append(inv.Seller.IDs, invoice.ID{Value: "X1"}, invoice.ID{Value: "73282932000082", Scheme: "0009"})
		inv.Buyer.IDs = []invoice.ID{{Value: "CLIENT-1"}}
		inv.Payee = &invoice.Payee{Name: "Affacturage SA", ID: invoice.ID{Value: "P1"}}
		inv.Delivery = &invoice.Delivery{LocationID: invoice.ID{Value: "D1"}}
	}},
	{name: "foreign currency", model: func(inv *invoice.Invoice) { inv.Currency = "CHF" }},
	{name: "foreign currency with euro VAT", model: func(inv *invoice.Invoice) {
		inv.Currency, inv.TaxCurrency, inv.Totals.TaxTotalAcctCurr = "CHF", "EUR", invoice.Dec("60.00")
	}},
	{name: "single VAT group member", model: func(inv *invoice.Invoice) {
		inv.Seller.IDs = append(inv.Seller.IDs, invoice.ID{Value: "732829320", Scheme: "0231"})
	}},
	{name: "single VAT group member with its note and representative", model: func(inv *invoice.Invoice) {
		inv.Seller.IDs = append(inv.Seller.IDs, invoice.ID{Value: "732829320", Scheme: "0231"})
		inv.Notes = append(inv.Notes, invoice.Note{SubjectCode: "TXD", Text: "MEMBRE_ASSUJETTI_UNIQUE"})
		inv.TaxRepresentative = &invoice.TaxRepresentative{Name: "Groupe TVA", VATID: "FR55732829399",
			Address: &invoice.Address{City: "Lyon", Country: "FR"}}
	}},
	{name: "amount decimals", model: func(inv *invoice.Invoice) {
		inv.Allowances = []invoice.AllowanceCharge{{Amount: invoice.Dec("1.005"), BaseAmount: invoice.Dec("100.001"), VATCategory: "S", VATRate: invoice.Dec("20"), Reason: "Remise"}}
		inv.Lines[0].Allowances = []invoice.AllowanceCharge{{Amount: invoice.Dec("0.125"), BaseAmount: invoice.Dec("300.0001"), Reason: "Remise"}}
		invoice.Complete(inv)
	}},
	{name: "long amount", ubl: [][2]string{{`<cbc:PayableAmount currencyID="EUR">`, `<cbc:PayableAmount currencyID="EUR">12345678901234567890`}},
		cii: [][2]string{{`<ram:DuePayableAmount>`, `<ram:DuePayableAmount>12345678901234567890`}}},
	{name: "amount with a comma", ubl: [][2]string{{`<cbc:TaxExclusiveAmount currencyID="EUR">325.00`, `<cbc:TaxExclusiveAmount currencyID="EUR">325,00`}},
		cii: [][2]string{{`<ram:TaxBasisTotalAmount>325.00`, `<ram:TaxBasisTotalAmount>325,00`}}},
	{name: "quantity and price decimals", model: func(inv *invoice.Invoice) {
		inv.Lines[0].Quantity = invoice.Dec("3.00001")
		inv.Lines[1].Price = invoice.Price{Net: invoice.Dec("12.5000001"), Gross: invoice.Dec("13.0000001"), Discount: invoice.Dec("0.5"), BaseQuantity: invoice.Dec("1.00001")}
		invoice.Complete(inv)
	}},
	{name: "negative price", ubl: [][2]string{{`<cbc:PriceAmount currencyID="EUR">100`, `<cbc:PriceAmount currencyID="EUR">-100`}},
		cii: [][2]string{{`<ram:ChargeAmount>100`, `<ram:ChargeAmount>-100`}}},
	{name: "line references", ubl: [][2]string{{"<cbc:ID>1</cbc:ID>", `<cbc:ID>1</cbc:ID><cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>FA 0001</cbc:ID><cbc:IssueDate>1999-01-01</cbc:IssueDate><cbc:DocumentTypeCode>325</cbc:DocumentTypeCode></cac:InvoiceDocumentReference></cac:BillingReference><cac:DocumentReference><cbc:ID>REF 1 ` + strings.Repeat("9", 40) + `</cbc:ID><cbc:IssueDate>1999-12-31</cbc:IssueDate></cac:DocumentReference><cac:Delivery><cbc:ActualDeliveryDate>1999-01-01</cbc:ActualDeliveryDate><cac:DeliveryLocation><cbc:ID>1</cbc:ID><cbc:ID schemeID="0009">123</cbc:ID><cbc:ID schemeID="0009">456</cbc:ID></cac:DeliveryLocation></cac:Delivery>`}},
		cii: [][2]string{{"<ram:SpecifiedLineTradeSettlement>", `<ram:SpecifiedLineTradeSettlement><ram:InvoiceReferencedDocument><ram:IssuerAssignedID>FA 0001 ` + strings.Repeat("9", 40) + `</ram:IssuerAssignedID><ram:TypeCode>325</ram:TypeCode><ram:FormattedIssueDateTime><qdt:DateTimeString format="102">19990101</qdt:DateTimeString></ram:FormattedIssueDateTime></ram:InvoiceReferencedDocument>`}}},
}

// frWrite writes the case's documents into dir: "<n>-<name>.ubl.xml" and "….cii.xml".
func frWrite(t *testing.T, dir string, n int, c frCase) (ublFile, ciiFile string) {
	t.Helper()
	inv := frBase()
	if c.model != nil {
		c.model(inv)
	}
	for _, out := range []string{syntax.OutputUBL, syntax.OutputCII} {
		data, err := syntax.Write(out, inv)
		if err != nil {
			t.Fatalf("%s: write %s: %v", c.name, out, err)
		}
		edits := c.ubl
		if out == syntax.OutputCII {
			edits = c.cii
		}
		text := string(data)
		for i, e := range edits {
			if !strings.Contains(text, e[0]) {
				if i == 0 {
					t.Fatalf("%s (%s): %q not found in the written document", c.name, out, e[0])
				}
				continue
			}
			text = strings.Replace(text, e[0], e[1], 1)
		}
		name := filepath.Join(dir, fmt.Sprintf("%02d-%s.%s.xml", n, strings.ReplaceAll(c.name, " ", "-"), out))
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if out == syntax.OutputUBL {
			ublFile = name
		} else {
			ciiFile = name
		}
	}
	return ublFile, ciiFile
}

// mvLine is a line of a multi-vendor (S8, B8, M8) or two-way (S9, B9, M9) invoice, with the
// EXTENDED-CTC-FR terms the BR-FR-MV and BR-FR-BD rules read.
type mvLine struct {
	id, status, parent string // EXT-FR-FE-162/163: GROUP, DETAIL, INFORMATION
	afl, avv           string // BT-128 with schemes AFL (sub-invoice number) and AVV
	seller, siren      string // EXT-FR-FE-164/167: the line's seller
	country            string
	amount, vat, incl  string // BT-131, EXT-FR-FE-181, EXT-FR-FE-184
	reason             string // the VAT exemption reason, "#AFL#…" for DETAIL lines
	prevID, prevDate   string // EXT-FR-FE-136/138
}

type mvDoc struct {
	number, frame, typeCode string
	lines                   []mvLine
	subs                    [][3]string // VAT breakdowns: base, tax, exemption reason
}

// mvBase is a valid multi-vendor invoice: the main seller's sub-invoice (lines 1-2) and a
// second seller's (lines 3-4).
func mvBase() mvDoc {
	return mvDoc{number: "F2026MV1", frame: "S8", typeCode: "380",
		lines: []mvLine{
			{id: "1", status: "GROUP", afl: "F2026MV1", avv: "S1", seller: "Atelier Dupont SARL", siren: "732829320", country: "FR", amount: "100.00", vat: "20.00", incl: "120.00"},
			{id: "2", status: "DETAIL", parent: "1", afl: "F2026MV1", seller: "Atelier Dupont SARL", siren: "732829320", country: "FR", amount: "100.00", reason: "#F2026MV1#"},
			{id: "3", status: "GROUP", afl: "SUB-B-1", avv: "S1", seller: "Studio Bernard", siren: "552100554", country: "FR", amount: "50.00", vat: "10.00", incl: "60.00"},
			{id: "4", status: "DETAIL", parent: "3", afl: "SUB-B-1", seller: "Studio Bernard", siren: "552100554", country: "FR", amount: "50.00", reason: "#SUB-B-1#"},
		},
		subs: [][3]string{{"100.00", "20.00", "#F2026MV1#"}, {"50.00", "10.00", "#SUB-B-1#"}},
	}
}

const mvNotes = "#PMT#40 EUR.|#PMD#Trois fois le taux légal.|#AAB#Pas d'escompte."

func opt(tag, v string) string {
	if v == "" {
		return ""
	}
	return "<" + tag + ">" + v + "</" + strings.Fields(tag)[0] + ">"
}

func (d mvDoc) ubl() string {
	root, line, qty := "Invoice", "cac:InvoiceLine", "cbc:InvoicedQuantity"
	ns := `xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"`
	typ := "<cbc:InvoiceTypeCode>" + d.typeCode + "</cbc:InvoiceTypeCode>"
	if (&invoice.Invoice{TypeCode: d.typeCode}).IsCreditNote() {
		root, line, qty = "CreditNote", "cac:CreditNoteLine", "cbc:CreditedQuantity"
		ns = `xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"`
		typ = "<cbc:CreditNoteTypeCode>" + d.typeCode + "</cbc:CreditNoteTypeCode>"
	}
	var b strings.Builder
	b.WriteString(`<` + root + ` ` + ns + ` xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">`)
	b.WriteString(`<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID><cbc:ProfileID>` + d.frame + `</cbc:ProfileID><cbc:ID>` + d.number + `</cbc:ID><cbc:IssueDate>2026-10-01</cbc:IssueDate>`)
	if root == "Invoice" {
		b.WriteString(`<cbc:DueDate>2026-10-31</cbc:DueDate>`)
	}
	b.WriteString(typ)
	for _, n := range strings.Split(mvNotes, "|") {
		b.WriteString("<cbc:Note>" + n + "</cbc:Note>")
	}
	b.WriteString(`<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>`)
	party := func(tag, siren, name string) {
		b.WriteString(`<` + tag + `><cac:Party><cbc:EndpointID schemeID="0225">` + siren + `</cbc:EndpointID><cac:PostalAddress><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress><cac:PartyLegalEntity><cbc:RegistrationName>` + name + `</cbc:RegistrationName><cbc:CompanyID schemeID="0002">` + siren + `</cbc:CompanyID></cac:PartyLegalEntity></cac:Party></` + tag + `>`)
	}
	party("cac:AccountingSupplierParty", "732829320", "Atelier Dupont SARL")
	party("cac:AccountingCustomerParty", "401000007", "Client Final SA")
	b.WriteString(`<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">30.00</cbc:TaxAmount>`)
	for _, s := range d.subs {
		b.WriteString(`<cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">` + s[0] + `</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">` + s[1] + `</cbc:TaxAmount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent>` + opt("cbc:TaxExemptionReason", s[2]) + `<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>`)
	}
	b.WriteString(`</cac:TaxTotal><cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">150.00</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount currencyID="EUR">150.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">180.00</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">180.00</cbc:PayableAmount></cac:LegalMonetaryTotal>`)
	for _, l := range d.lines {
		b.WriteString(`<` + line + `><cbc:ID>` + l.id + `</cbc:ID><` + qty + ` unitCode="C62">1</` + qty + `><cbc:LineExtensionAmount currencyID="EUR">` + l.amount + `</cbc:LineExtensionAmount>`)
		if l.incl != "" {
			b.WriteString(`<cbc:TaxInclusiveLineExtensionAmount currencyID="EUR">` + l.incl + `</cbc:TaxInclusiveLineExtensionAmount>`)
		}
		if l.afl != "" || l.avv != "" {
			b.WriteString(`<cac:DocumentReference>`)
			if l.afl != "" {
				b.WriteString(`<cbc:ID schemeID="AFL">` + l.afl + `</cbc:ID>`)
			}
			if l.avv != "" {
				b.WriteString(`<cbc:ID schemeID="AVV">` + l.avv + `</cbc:ID>`)
			}
			b.WriteString(`<cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:DocumentReference>`)
		}
		if l.status != "" {
			b.WriteString(`<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>` + d.number + `</cbc:ID><cbc:DocumentStatusCode>` + l.status + `</cbc:DocumentStatusCode></cac:InvoiceDocumentReference>`)
			if l.parent != "" {
				b.WriteString(`<cac:BillingReferenceLine><cbc:ID>` + l.parent + `</cbc:ID></cac:BillingReferenceLine>`)
			}
			b.WriteString(`</cac:BillingReference>`)
		}
		if l.prevID != "" || l.prevDate != "" {
			b.WriteString(`<cac:BillingReference><cac:InvoiceDocumentReference>` + opt("cbc:ID", l.prevID) + opt("cbc:IssueDate", l.prevDate) + `</cac:InvoiceDocumentReference></cac:BillingReference>`)
		}
		if l.vat != "" {
			b.WriteString(`<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">` + l.vat + `</cbc:TaxAmount></cac:TaxTotal>`)
		}
		b.WriteString(`<cac:Item><cbc:Name>Prestation ` + l.id + `</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent>` + opt("cbc:TaxExemptionReason", l.reason) + `<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>`)
		if l.seller != "" || l.siren != "" || l.country != "" {
			b.WriteString(`<cac:ManufacturerParty>`)
			if l.country != "" {
				b.WriteString(`<cac:PostalAddress><cac:Country><cbc:IdentificationCode>` + l.country + `</cbc:IdentificationCode></cac:Country></cac:PostalAddress>`)
			}
			b.WriteString(`<cac:PartyLegalEntity>` + opt("cbc:RegistrationName", l.seller) + opt("cbc:CompanyID", l.siren) + `</cac:PartyLegalEntity></cac:ManufacturerParty>`)
		}
		b.WriteString(`</cac:Item><cac:Price><cbc:PriceAmount currencyID="EUR">` + strings.TrimPrefix(l.amount, "-") + `</cbc:PriceAmount></cac:Price></` + line + `>`)
	}
	b.WriteString(`</` + root + `>`)
	return b.String()
}

func (d mvDoc) cii() string {
	var b strings.Builder
	b.WriteString(`<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">`)
	b.WriteString(`<rsm:ExchangedDocumentContext><ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>` + d.frame + `</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>`)
	b.WriteString(`<rsm:ExchangedDocument><ram:ID>` + d.number + `</ram:ID><ram:TypeCode>` + d.typeCode + `</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20261001</udt:DateTimeString></ram:IssueDateTime>`)
	for _, n := range strings.Split(mvNotes, "|") {
		code, text, _ := strings.Cut(strings.TrimPrefix(n, "#"), "#")
		b.WriteString(`<ram:IncludedNote><ram:Content>` + text + `</ram:Content><ram:SubjectCode>` + code + `</ram:SubjectCode></ram:IncludedNote>`)
	}
	b.WriteString(`</rsm:ExchangedDocument><rsm:SupplyChainTradeTransaction>`)
	for _, l := range d.lines {
		b.WriteString(`<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>` + l.id + `</ram:LineID>` + opt("ram:ParentLineID", l.parent) + opt("ram:LineStatusReasonCode", l.status) + `</ram:AssociatedDocumentLineDocument>`)
		b.WriteString(`<ram:SpecifiedTradeProduct><ram:Name>Prestation ` + l.id + `</ram:Name></ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeAgreement>`)
		if l.seller != "" || l.siren != "" || l.country != "" {
			b.WriteString(`<ram:ItemSellerTradeParty>` + opt("ram:Name", l.seller))
			if l.siren != "" {
				b.WriteString(`<ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">` + l.siren + `</ram:ID></ram:SpecifiedLegalOrganization>`)
			}
			if l.country != "" {
				b.WriteString(`<ram:PostalTradeAddress><ram:CountryID>` + l.country + `</ram:CountryID></ram:PostalTradeAddress>`)
			}
			b.WriteString(`</ram:ItemSellerTradeParty>`)
		}
		b.WriteString(`<ram:NetPriceProductTradePrice><ram:ChargeAmount>` + strings.TrimPrefix(l.amount, "-") + `</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>`)
		b.WriteString(`<ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery><ram:SpecifiedLineTradeSettlement>`)
		b.WriteString(`<ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode>` + opt("ram:ExemptionReason", l.reason) + `<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>`)
		if l.prevID != "" || l.prevDate != "" {
			b.WriteString(`<ram:InvoiceReferencedDocument>` + opt("ram:IssuerAssignedID", l.prevID))
			if l.prevDate != "" {
				b.WriteString(`<ram:FormattedIssueDateTime><qdt:DateTimeString format="102">` + strings.ReplaceAll(l.prevDate, "-", "") + `</qdt:DateTimeString></ram:FormattedIssueDateTime>`)
			}
			b.WriteString(`</ram:InvoiceReferencedDocument>`)
		}
		for _, ref := range [][2]string{{"AFL", l.afl}, {"AVV", l.avv}} {
			if ref[1] != "" {
				b.WriteString(`<ram:AdditionalReferencedDocument><ram:IssuerAssignedID>` + ref[1] + `</ram:IssuerAssignedID><ram:TypeCode>130</ram:TypeCode><ram:ReferenceTypeCode>` + ref[0] + `</ram:ReferenceTypeCode></ram:AdditionalReferencedDocument>`)
			}
		}
		b.WriteString(`<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>` + l.amount + `</ram:LineTotalAmount>`)
		if l.vat != "" {
			b.WriteString(`<ram:TaxTotalAmount currencyID="EUR">` + l.vat + `</ram:TaxTotalAmount>`)
		}
		if l.incl != "" {
			b.WriteString(`<ram:GrandTotalAmount>` + l.incl + `</ram:GrandTotalAmount>`)
		}
		b.WriteString(`</ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>`)
	}
	party := func(tag, siren, name string) {
		b.WriteString(`<` + tag + `><ram:Name>` + name + `</ram:Name><ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">` + siren + `</ram:ID></ram:SpecifiedLegalOrganization><ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress><ram:URIUniversalCommunication><ram:URIID schemeID="0225">` + siren + `</ram:URIID></ram:URIUniversalCommunication></` + tag + `>`)
	}
	b.WriteString(`<ram:ApplicableHeaderTradeAgreement>`)
	party("ram:SellerTradeParty", "732829320", "Atelier Dupont SARL")
	party("ram:BuyerTradeParty", "401000007", "Client Final SA")
	b.WriteString(`</ram:ApplicableHeaderTradeAgreement><ram:ApplicableHeaderTradeDelivery/><ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>`)
	for _, s := range d.subs {
		b.WriteString(`<ram:ApplicableTradeTax><ram:CalculatedAmount>` + s[1] + `</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>` + opt("ram:ExemptionReason", s[2]) + `<ram:BasisAmount>` + s[0] + `</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>`)
	}
	b.WriteString(`<ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">20261031</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>`)
	b.WriteString(`<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>150.00</ram:LineTotalAmount><ram:TaxBasisTotalAmount>150.00</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID="EUR">30.00</ram:TaxTotalAmount><ram:GrandTotalAmount>180.00</ram:GrandTotalAmount><ram:DuePayableAmount>180.00</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>`)
	b.WriteString(`</ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>`)
	return b.String()
}

// mvCases are multi-vendor and two-way invoices exercising the BR-FR-MV and BR-FR-BD rules.
var mvCases = []struct {
	name   string
	change func(d *mvDoc)
}{
	{"multi-vendor", nil},
	{"multi-vendor lines without references", func(d *mvDoc) {
		for i := range d.lines {
			d.lines[i].status, d.lines[i].parent = "", ""
		}
	}},
	{"GROUP line without seller, totals or objects", func(d *mvDoc) {
		l := &d.lines[2]
		l.seller, l.siren, l.country, l.vat, l.afl, l.avv = "", "", "", "", "", "S8"
	}},
	{"empty line status", func(d *mvDoc) { d.lines[1].status = " " }},
	{"GROUP amounts do not add up", func(d *mvDoc) {
		d.lines[0].amount, d.lines[0].vat, d.lines[2].incl = "90.00", "25.00", "75.00"
	}},
	{"child of another seller and number", func(d *mvDoc) {
		d.lines[3].siren, d.lines[3].afl, d.lines[3].reason = "999999999", "SUB-X", "#SUB-X#"
		d.lines[1].reason = ""
	}},
	{"main seller's sub-invoice numbered apart", func(d *mvDoc) {
		d.lines[0].afl, d.lines[1].afl, d.lines[1].reason = "SUB-A-1", "SUB-A-1", "#SUB-A-1#"
		d.subs[0][2] = "#SUB-A-1#"
	}},
	{"two GROUP lines with one number", func(d *mvDoc) {
		d.lines[2].afl, d.lines[3].afl, d.lines[3].reason = "F2026MV1", "F2026MV1", "#F2026MV1#"
	}},
	{"self-billed multi-vendor", func(d *mvDoc) { d.typeCode = "389" }},
	{"multi-vendor credit note without preceding invoices", func(d *mvDoc) { d.typeCode = "381" }},
	{"multi-vendor credit note with preceding invoices", func(d *mvDoc) {
		d.typeCode = "381"
		for i := range d.lines {
			if d.lines[i].status == "GROUP" {
				d.lines[i].prevID, d.lines[i].prevDate = "F2026-0001", "2026-09-01"
			}
		}
	}},
	{"two-way", func(d *mvDoc) {
		d.frame, d.typeCode = "B9", "389"
		d.lines[2].siren, d.lines[3].siren = "401000007", "401000007"
	}},
	{"two-way not self-billed", func(d *mvDoc) { d.frame = "S9" }},
	{"two-way with one GROUP line", func(d *mvDoc) {
		d.frame, d.typeCode = "M9", "389"
		d.lines = d.lines[:2]
	}},
	{"two-way self-billed credit note without preceding invoices", func(d *mvDoc) {
		d.frame, d.typeCode = "S9", "261"
		d.lines[2].siren, d.lines[3].siren = "401000007", "401000007"
	}},
	{"two-way negative price", func(d *mvDoc) {
		d.frame, d.typeCode = "B9", "389"
		d.lines[3].amount = "-50.00"
	}},
}

// mvWrite writes the multi-vendor cases into dir.
func mvWrite(t *testing.T, dir string) (ublFiles, ciiFiles []string) {
	t.Helper()
	for i, c := range mvCases {
		d := mvBase()
		if c.change != nil {
			c.change(&d)
		}
		base := filepath.Join(dir, fmt.Sprintf("mv%02d-%s", i, strings.ReplaceAll(c.name, " ", "-")))
		for _, f := range []struct {
			name, text string
			list       *[]string
		}{{base + ".ubl.xml", d.ubl(), &ublFiles}, {base + ".cii.xml", d.cii(), &ciiFiles}} {
			if err := os.WriteFile(f.name, []byte(f.text), 0o644); err != nil {
				t.Fatal(err)
			}
			*f.list = append(*f.list, f.name)
		}
	}
	return ublFiles, ciiFiles
}
