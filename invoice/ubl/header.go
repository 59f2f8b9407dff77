package ubl

import (
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
	"regexp"

	"github.com/fluxgate/fluxgate/invoice"
)

// orderPlaceholder fills the mandatory cac:OrderReference/cbc:ID when the invoice has a
// sales order reference (BT-14) but no purchase order reference (BT-13), as the UBL binding
// prescribes.
const orderPlaceholder = "NA"

// Document type codes (UNTDID 1001) that give an AdditionalDocumentReference a meaning of
// its own.
const (
	docTypeInvoicedObject = "130" // BT-18
	docTypeProject        = "50"  // BT-11 in a CreditNote
)

// header writes the document head, from cbc:CustomizationID to cbc:BuyerReference.
func (w *writer) header(root *xmlw.Element) {
	inv := w.inv
	text(root, "cbc:CustomizationID", inv.Specification)
	text(root, "cbc:ProfileID", inv.BusinessProcess)
	text(root, "cbc:ID", inv.Number)
	date(root, "cbc:IssueDate", inv.IssueDate)
	if w.credit {
		date(root, "cbc:TaxPointDate", inv.TaxPointDate)
		text(root, "cbc:CreditNoteTypeCode", inv.TypeCode)
	} else {
		date(root, "cbc:DueDate", inv.DueDate)
		text(root, "cbc:InvoiceTypeCode", inv.TypeCode)
	}
	for _, n := range inv.Notes {
		t := n.Text
		if n.SubjectCode != "" {
			t = "#" + n.SubjectCode + "#" + n.Text
		}
		text(root, "cbc:Note", t)
	}
	if !w.credit {
		date(root, "cbc:TaxPointDate", inv.TaxPointDate)
	}
	text(root, "cbc:DocumentCurrencyCode", inv.Currency)
	text(root, "cbc:TaxCurrencyCode", inv.TaxCurrency)
	text(root, "cbc:AccountingCost", inv.BuyerAccountingReference)
	text(root, "cbc:BuyerReference", inv.BuyerReference)
}

// references writes the invoicing period and the document references, from
// cac:InvoicePeriod to cac:ProjectReference.
func (w *writer) references(root *xmlw.Element) {
	inv := w.inv
	if p := inv.InvoicingPeriod; p != nil || inv.TaxPointDateCode != "" {
		e := el(root, "cac:InvoicePeriod")
		if p != nil {
			date(e, "cbc:StartDate", p.Start)
			date(e, "cbc:EndDate", p.End)
		}
		text(e, "cbc:DescriptionCode", inv.TaxPointDateCode)
	}
	if inv.PurchaseOrderReference != "" || inv.SalesOrderReference != "" {
		e := el(root, "cac:OrderReference")
		po := inv.PurchaseOrderReference
		if po == "" {
			po = orderPlaceholder
		}
		text(e, "cbc:ID", po)
		text(e, "cbc:SalesOrderID", inv.SalesOrderReference)
	}
	for _, p := range inv.PrecedingInvoices {
		e := el(el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
		text(e, "cbc:ID", p.Number)
		date(e, "cbc:IssueDate", p.IssueDate)
	}
	docRef(root, "cac:DespatchDocumentReference", inv.DespatchAdviceReference)
	docRef(root, "cac:ReceiptDocumentReference", inv.ReceivingAdviceReference)
	if w.credit {
		docRef(root, "cac:ContractDocumentReference", inv.ContractReference)
		w.additionalDocuments(root)
		docRef(root, "cac:OriginatorDocumentReference", inv.TenderOrLotReference)
	} else {
		docRef(root, "cac:OriginatorDocumentReference", inv.TenderOrLotReference)
		docRef(root, "cac:ContractDocumentReference", inv.ContractReference)
		w.additionalDocuments(root)
		if inv.ProjectReference != "" {
			text(el(root, "cac:ProjectReference"), "cbc:ID", inv.ProjectReference)
		}
	}
}

// additionalDocuments writes every cac:AdditionalDocumentReference: the invoiced object
// (BT-18), the project reference of a credit note (BT-11) and the supporting documents.
func (w *writer) additionalDocuments(root *xmlw.Element) {
	inv := w.inv
	if !inv.InvoicedObject.IsZero() {
		e := el(root, "cac:AdditionalDocumentReference")
		id(e, "cbc:ID", inv.InvoicedObject)
		text(e, "cbc:DocumentTypeCode", docTypeInvoicedObject)
	}
	if w.credit && inv.ProjectReference != "" {
		e := el(root, "cac:AdditionalDocumentReference")
		text(e, "cbc:ID", inv.ProjectReference)
		text(e, "cbc:DocumentTypeCode", docTypeProject)
	}
	for i := range inv.Documents {
		w.document(root, &inv.Documents[i])
	}
}

func docRef(root *xmlw.Element, tag, value string) {
	if value != "" {
		text(el(root, tag), "cbc:ID", value)
	}
}

// noteCode matches the "#CODE#text" form that carries BT-21 in a UBL note.
var noteCode = regexp.MustCompile(`(?s)^#([A-Za-z0-9]{1,4})#(.*)$`)

// readHeader reads the document head.
func (r *reader) readHeader(root *schematron.Node) {
	inv := r.inv
	inv.Specification = textOf(r.one(root, "cbc:CustomizationID", "", "BT-24"))
	inv.BusinessProcess = textOf(r.one(root, "cbc:ProfileID", "", "BT-23"))
	inv.Number = textOf(r.one(root, "cbc:ID", "", "BT-1"))
	inv.IssueDate = r.date(r.one(root, "cbc:IssueDate", "", "BT-2"), "", "BT-2")
	inv.DueDate = r.date(r.one(root, "cbc:DueDate", "", "BT-9"), "", "BT-9")
	typeTag := "cbc:InvoiceTypeCode"
	if r.credit {
		typeTag = "cbc:CreditNoteTypeCode"
	}
	inv.TypeCode = textOf(r.one(root, typeTag, "", "BT-3"))
	for _, e := range elements(root, "cbc:Note") {
		t := textOf(e)
		if m := noteCode.FindStringSubmatch(t); m != nil {
			inv.Notes = append(inv.Notes, invoice.Note{SubjectCode: m[1], Text: m[2]})
			continue
		}
		inv.Notes = append(inv.Notes, invoice.Note{Text: t})
	}
	inv.TaxPointDate = r.date(r.one(root, "cbc:TaxPointDate", "", "BT-7"), "", "BT-7")
	inv.Currency = textOf(r.one(root, "cbc:DocumentCurrencyCode", "", "BT-5"))
	inv.TaxCurrency = textOf(r.one(root, "cbc:TaxCurrencyCode", "", "BT-6"))
	inv.BuyerAccountingReference = textOf(r.one(root, "cbc:AccountingCost", "", "BT-19"))
	inv.BuyerReference = textOf(r.one(root, "cbc:BuyerReference", "", "BT-10"))
}

// readReferences reads the invoicing period and the document references.
func (r *reader) readReferences(root *schematron.Node) {
	inv := r.inv
	if e := r.one(root, "cac:InvoicePeriod", "BG-14", "BG-14"); e != nil {
		p := invoice.Period{
			Start: r.date(child(e, "cbc:StartDate"), "BG-14", "BT-73"),
			End:   r.date(child(e, "cbc:EndDate"), "BG-14", "BT-74"),
		}
		inv.TaxPointDateCode = textOf(child(e, "cbc:DescriptionCode"))
		// An InvoicePeriod holding only BT-8 does not make an invoicing period; an empty
		// one does (BR-CO-19 then reports it).
		if !p.Start.IsZero() || !p.End.IsZero() || inv.TaxPointDateCode == "" {
			inv.InvoicingPeriod = &p
		}
	}
	if e := r.one(root, "cac:OrderReference", "", "BT-13"); e != nil {
		inv.PurchaseOrderReference = textOf(child(e, "cbc:ID"))
		inv.SalesOrderReference = textOf(child(e, "cbc:SalesOrderID"))
		if inv.PurchaseOrderReference == orderPlaceholder && inv.SalesOrderReference != "" {
			inv.PurchaseOrderReference = ""
		}
	}
	for i, e := range elements(root, "cac:BillingReference") {
		// An empty BillingReference is a BG-3 without BT-25, as the official BR-55 sees it.
		d := child(e, "cac:InvoiceDocumentReference")
		path := "BG-3[" + itoa(i+1) + "]"
		inv.PrecedingInvoices = append(inv.PrecedingInvoices, invoice.PrecedingInvoice{
			Number:    textOf(child(d, "cbc:ID")),
			IssueDate: r.date(child(d, "cbc:IssueDate"), path, "BT-26"),
		})
	}
	inv.DespatchAdviceReference = textOf(child(r.one(root, "cac:DespatchDocumentReference", "", "BT-16"), "cbc:ID"))
	inv.ReceivingAdviceReference = textOf(child(r.one(root, "cac:ReceiptDocumentReference", "", "BT-15"), "cbc:ID"))
	inv.TenderOrLotReference = textOf(child(r.one(root, "cac:OriginatorDocumentReference", "", "BT-17"), "cbc:ID"))
	inv.ContractReference = textOf(child(r.one(root, "cac:ContractDocumentReference", "", "BT-12"), "cbc:ID"))
	inv.ProjectReference = textOf(child(r.one(root, "cac:ProjectReference", "", "BT-11"), "cbc:ID"))
	for _, e := range elements(root, "cac:AdditionalDocumentReference") {
		switch textOf(child(e, "cbc:DocumentTypeCode")) {
		case docTypeInvoicedObject:
			if inv.InvoicedObject.IsZero() {
				inv.InvoicedObject = idOf(child(e, "cbc:ID"))
				continue
			}
		case docTypeProject:
			if inv.ProjectReference == "" {
				inv.ProjectReference = textOf(child(e, "cbc:ID"))
				continue
			}
		}
		inv.Documents = append(inv.Documents, r.readDocument(e, len(inv.Documents)))
	}
}
