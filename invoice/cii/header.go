package cii

import (
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
	"strings"

	"github.com/fluxgate/fluxgate/invoice"
)

// Header: the document context (BG-2), the document itself (BT-1..BT-3, BG-1), the
// references (BT-10..BT-19), the preceding invoices (BG-3), the invoicing period (BG-14),
// the delivery (BG-13) and the order of the three header trade groups.

// Type codes of ram:AdditionalReferencedDocument.
const (
	docTypeTender         = "50"  // BT-17
	docTypeInvoicedObject = "130" // BT-18, BT-128
	docTypeSupporting     = "916" // BG-24
)

func (w *writer) context(root *xmlw.Element) {
	ctx := root.CreateElement("rsm:ExchangedDocumentContext")
	if w.inv.BusinessProcess != "" {
		text(ctx.CreateElement("ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", w.inv.BusinessProcess)
	}
	if w.inv.Specification != "" {
		text(ctx.CreateElement("ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", w.inv.Specification)
	}
}

func (r *reader) context(root *schematron.Node, inv *invoice.Invoice) {
	ctx := child(root, "ExchangedDocumentContext")
	bp := r.firstOf(ctx, "BusinessProcessSpecifiedDocumentContextParameter", invoice.Warning, "CII-SR-003", []string{"BT-23"},
		"BusinessProcessSpecifiedDocumentContextParameter ne devrait apparaître qu'une fois ; les suivants sont ignorés",
		"BusinessProcessSpecifiedDocumentContextParameter should exist maximum once; the others are ignored")
	if bp != nil {
		inv.BusinessProcess = textOf(bp, "ID")
	}
	g := r.firstOf(ctx, "GuidelineSpecifiedDocumentContextParameter", invoice.Fatal, "CII-SR-009", []string{"BT-24"},
		"GuidelineSpecifiedDocumentContextParameter doit apparaître exactement une fois ; les suivants sont ignorés",
		"GuidelineSpecifiedDocumentContextParameter must exist exactly once; the others are ignored")
	if g != nil {
		inv.Specification = textOf(g, "ID")
	}
}

func (w *writer) document(root *xmlw.Element) {
	inv := w.inv
	d := root.CreateElement("rsm:ExchangedDocument")
	// ram:ID and ram:IssueDateTime are mandatory in the schema: written even when empty.
	d.CreateElement("ram:ID").SetText(inv.Number)
	text(d, "ram:TypeCode", inv.TypeCode)
	if inv.IssueDate.IsZero() {
		w.cannot("BT-2 (issue date) is required by the CII schema")
	}
	dateTime(d, "ram:IssueDateTime", inv.IssueDate)
	for _, n := range inv.Notes {
		if n.Text == "" && n.SubjectCode == "" {
			continue
		}
		ne := d.CreateElement("ram:IncludedNote")
		text(ne, "ram:Content", n.Text)
		text(ne, "ram:SubjectCode", n.SubjectCode)
	}
}

func (r *reader) document(root *schematron.Node, inv *invoice.Invoice) {
	d := child(root, "ExchangedDocument")
	if d == nil {
		r.finding(root, invoice.Fatal, "", []string{"BT-1", "BT-2", "BT-3"}, "ExchangedDocument est absent", "ExchangedDocument is missing")
		return
	}
	inv.Number = textOf(d, "ID")
	inv.TypeCode = textOf(d, "TypeCode")
	inv.IssueDate = r.date(child(d, "IssueDateTime"), "BT-2")
	for _, ne := range children(d, "IncludedNote") {
		inv.Notes = append(inv.Notes, invoice.Note{SubjectCode: textOf(ne, "SubjectCode"), Text: r.noteText(ne, "CII-SR-030", "BT-22")})
	}
}

// noteText joins the ram:Content of a note; several of them are a finding (the model holds
// one text per note).
func (r *reader) noteText(ne *schematron.Node, rule, bt string) string {
	cs := children(ne, "Content")
	var parts []string
	for _, c := range cs {
		parts = append(parts, value(c))
	}
	if len(cs) > 1 {
		r.finding(cs[1], invoice.Warning, rule, []string{bt},
			"Content ne devrait apparaître qu'une fois ; les textes sont joints",
			"Content should exist maximum once; the texts are joined")
	}
	return strings.Join(parts, "\n")
}

// agreement writes ram:ApplicableHeaderTradeAgreement in schema order.
func (w *writer) agreement(ag *xmlw.Element) {
	inv := w.inv
	text(ag, "ram:BuyerReference", inv.BuyerReference)
	w.party(ag, "ram:SellerTradeParty", &inv.Seller, true)
	w.party(ag, "ram:BuyerTradeParty", &inv.Buyer, false)
	w.taxRepresentative(ag)
	refDoc(ag, "ram:SellerOrderReferencedDocument", inv.SalesOrderReference)
	refDoc(ag, "ram:BuyerOrderReferencedDocument", inv.PurchaseOrderReference)
	refDoc(ag, "ram:ContractReferencedDocument", inv.ContractReference)
	if inv.TenderOrLotReference != "" {
		a := ag.CreateElement("ram:AdditionalReferencedDocument")
		text(a, "ram:IssuerAssignedID", inv.TenderOrLotReference)
		text(a, "ram:TypeCode", docTypeTender)
	}
	if inv.InvoicedObject.Value != "" {
		a := ag.CreateElement("ram:AdditionalReferencedDocument")
		text(a, "ram:IssuerAssignedID", inv.InvoicedObject.Value)
		text(a, "ram:TypeCode", docTypeInvoicedObject)
		text(a, "ram:ReferenceTypeCode", inv.InvoicedObject.Scheme)
	} else if inv.InvoicedObject.Scheme != "" {
		w.cannot("BT-18-1 (invoiced object scheme) without BT-18")
	}
	w.documents(ag)
	if inv.ProjectReference != "" {
		p := ag.CreateElement("ram:SpecifiedProcuringProject")
		text(p, "ram:ID", inv.ProjectReference)
		// ram:Name is mandatory in the schema; the CEN binding fills it with this constant.
		text(p, "ram:Name", "Project reference")
	}
}

func (r *reader) agreement(ag *schematron.Node, inv *invoice.Invoice) {
	if ag == nil {
		return
	}
	inv.BuyerReference = textOf(ag, "BuyerReference")
	inv.Seller = r.party(child(ag, "SellerTradeParty"), true)
	inv.Buyer = r.party(child(ag, "BuyerTradeParty"), false)
	r.taxRepresentative(child(ag, "SellerTaxRepresentativeTradeParty"), inv)
	inv.SalesOrderReference = textOf(child(ag, "SellerOrderReferencedDocument"), "IssuerAssignedID")
	inv.PurchaseOrderReference = textOf(child(ag, "BuyerOrderReferencedDocument"), "IssuerAssignedID")
	inv.ContractReference = textOf(child(ag, "ContractReferencedDocument"), "IssuerAssignedID")
	for _, a := range children(ag, "AdditionalReferencedDocument") {
		id := textOf(a, "IssuerAssignedID")
		switch textOf(a, "TypeCode") {
		case docTypeTender:
			if inv.TenderOrLotReference != "" {
				r.finding(a, invoice.Warning, "CII-SR-457", []string{"BT-17"},
					"une seule référence d'appel d'offres (TypeCode 50) est admise ; les suivantes sont ignorées",
					"IssuerAssignedID with TypeCode 50 should exist maximum once; the others are ignored")
				continue
			}
			inv.TenderOrLotReference = id
		case docTypeInvoicedObject:
			if !inv.InvoicedObject.IsZero() {
				r.finding(a, invoice.Warning, "CII-SR-458", []string{"BT-18"},
					"un seul objet facturé (TypeCode 130) est admis ; les suivants sont ignorés",
					"IssuerAssignedID with TypeCode 130 should exist maximum once; the others are ignored")
				continue
			}
			inv.InvoicedObject = invoice.ID{Value: id, Scheme: textOf(a, "ReferenceTypeCode")}
		default:
			inv.Documents = append(inv.Documents, r.document916(a))
		}
	}
	if p := child(ag, "SpecifiedProcuringProject"); p != nil {
		inv.ProjectReference = textOf(p, "ID")
	}
}

// refDoc adds <tag><ram:IssuerAssignedID>id</ram:IssuerAssignedID></tag> when id is set.
func refDoc(parent *xmlw.Element, tag, id string) {
	if id != "" {
		text(parent.CreateElement(tag), "ram:IssuerAssignedID", id)
	}
}

// delivery writes ram:ApplicableHeaderTradeDelivery (mandatory, possibly empty).
func (w *writer) delivery(de *xmlw.Element) {
	inv := w.inv
	if d := inv.Delivery; d != nil {
		if d.PartyName != "" || d.LocationID.Value != "" || d.Address != nil {
			st := de.CreateElement("ram:ShipToTradeParty")
			partyID(st, d.LocationID)
			text(st, "ram:Name", d.PartyName)
			address(st, d.Address)
		} else if d.LocationID.Scheme != "" {
			w.cannot("BT-71-1 (delivery location scheme) without BT-71")
		}
		if !d.Date.IsZero() {
			dateTime(de.CreateElement("ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", d.Date)
		}
	}
	refDoc(de, "ram:DespatchAdviceReferencedDocument", inv.DespatchAdviceReference)
	refDoc(de, "ram:ReceivingAdviceReferencedDocument", inv.ReceivingAdviceReference)
}

func (r *reader) delivery(de *schematron.Node, inv *invoice.Invoice) {
	if de == nil {
		return
	}
	st := child(de, "ShipToTradeParty")
	ev := child(child(de, "ActualDeliverySupplyChainEvent"), "OccurrenceDateTime")
	if st != nil || ev != nil {
		d := &invoice.Delivery{}
		if st != nil {
			d.PartyName = textOf(st, "Name")
			d.LocationID = r.singlePartyID(st, "CII-SR-449", "BT-71")
			d.Address = readAddress(child(st, "PostalTradeAddress"))
		}
		d.Date = r.date(ev, "BT-72")
		if d.PartyName != "" || !d.LocationID.IsZero() || d.Address != nil || !d.Date.IsZero() {
			inv.Delivery = d
		}
	}
	inv.DespatchAdviceReference = textOf(child(de, "DespatchAdviceReferencedDocument"), "IssuerAssignedID")
	inv.ReceivingAdviceReference = textOf(child(de, "ReceivingAdviceReferencedDocument"), "IssuerAssignedID")
}

// settlement writes ram:ApplicableHeaderTradeSettlement in schema order.
func (w *writer) settlement(s *xmlw.Element) {
	inv := w.inv
	w.creditorAndReference(s)
	// A VAT accounting currency equal to the invoice currency says nothing more, and the
	// official CII rule BR-53 refuses it: it is left out (BT-111, if any, with it).
	if !sameCurrency(inv) {
		text(s, "ram:TaxCurrencyCode", inv.TaxCurrency)
	}
	text(s, "ram:InvoiceCurrencyCode", inv.Currency)
	w.payee(s)
	w.paymentMeans(s)
	w.vatBreakdown(s)
	period(s, inv.InvoicingPeriod)
	w.documentAllowanceCharges(s)
	w.paymentTerms(s)
	w.totals(s)
	w.preceding(s)
	if inv.BuyerAccountingReference != "" {
		text(s.CreateElement("ram:ReceivableSpecifiedTradeAccountingAccount"), "ram:ID", inv.BuyerAccountingReference)
	}
}

func (r *reader) settlement(s *schematron.Node, inv *invoice.Invoice) {
	if s == nil {
		return
	}
	inv.TaxCurrency = textOf(s, "TaxCurrencyCode")
	inv.Currency = textOf(s, "InvoiceCurrencyCode")
	r.payee(child(s, "PayeeTradeParty"), inv)
	r.payment(s, inv)
	r.vatBreakdown(s, inv)
	inv.InvoicingPeriod = r.period(child(s, "BillingSpecifiedPeriod"), "BT-73", "BT-74")
	r.documentAllowanceCharges(s, inv)
	r.totals(child(s, "SpecifiedTradeSettlementHeaderMonetarySummation"), inv)
	r.preceding(s, inv)
	acc := r.firstOf(s, "ReceivableSpecifiedTradeAccountingAccount", invoice.Warning, "", []string{"BT-19"},
		"une seule référence comptable de l'acheteur (BT-19) est admise ; les suivantes sont ignorées",
		"only one buyer accounting reference (BT-19) is allowed; the others are ignored")
	if acc != nil {
		inv.BuyerAccountingReference = textOf(acc, "ID")
	}
}

// period writes ram:BillingSpecifiedPeriod (BG-14, BG-26) when it holds a date.
func period(parent *xmlw.Element, p *invoice.Period) {
	if p == nil || (p.Start.IsZero() && p.End.IsZero()) {
		return
	}
	e := parent.CreateElement("ram:BillingSpecifiedPeriod")
	dateTime(e, "ram:StartDateTime", p.Start)
	dateTime(e, "ram:EndDateTime", p.End)
}

func (r *reader) period(e *schematron.Node, startBT, endBT string) *invoice.Period {
	if e == nil {
		return nil
	}
	p := &invoice.Period{Start: r.date(child(e, "StartDateTime"), startBT), End: r.date(child(e, "EndDateTime"), endBT)}
	if p.Start.IsZero() && p.End.IsZero() {
		return nil
	}
	return p
}

// preceding writes BG-3. CII D16B holds a single ram:InvoiceReferencedDocument.
func (w *writer) preceding(s *xmlw.Element) {
	pis := w.inv.PrecedingInvoices
	if len(pis) == 0 {
		return
	}
	if len(pis) > 1 {
		w.cannot("CII D16B holds one preceding invoice reference (BG-3), the invoice has %d", len(pis))
	}
	p := pis[0]
	e := s.CreateElement("ram:InvoiceReferencedDocument")
	// ram:IssuerAssignedID is optional in the schema but BT-25 is mandatory in BG-3.
	e.CreateElement("ram:IssuerAssignedID").SetText(p.Number)
	dateIn(e, "ram:FormattedIssueDateTime", "qdt:DateTimeString", p.IssueDate)
}

func (r *reader) preceding(s *schematron.Node, inv *invoice.Invoice) {
	for _, e := range children(s, "InvoiceReferencedDocument") {
		inv.PrecedingInvoices = append(inv.PrecedingInvoices, invoice.PrecedingInvoice{
			Number:    textOf(e, "IssuerAssignedID"),
			IssueDate: r.date(child(e, "FormattedIssueDateTime"), "BT-26"),
		})
	}
}

// sameCurrency reports whether the VAT accounting currency (BT-6) is the invoice currency
// (BT-5).
func sameCurrency(inv *invoice.Invoice) bool {
	return inv.TaxCurrency != "" && strings.EqualFold(strings.TrimSpace(inv.TaxCurrency), strings.TrimSpace(inv.Currency))
}
