package ubl

import (
	"fmt"
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"

	"github.com/fluxgate/fluxgate/invoice"
	"github.com/shopspring/decimal"
)

// line writes one invoice line (BG-25) as cac:InvoiceLine, or cac:CreditNoteLine in a
// CreditNote.
func (w *writer) line(root *xmlw.Element, l *invoice.Line) {
	tag, qty := "cac:InvoiceLine", "cbc:InvoicedQuantity"
	if w.credit {
		tag, qty = "cac:CreditNoteLine", "cbc:CreditedQuantity"
	}
	e := el(root, tag)
	text(e, "cbc:ID", l.ID)
	text(e, "cbc:Note", l.Note)
	quantity(e, qty, l.Quantity, l.UnitCode)
	w.amount(e, "cbc:LineExtensionAmount", l.NetAmount)
	text(e, "cbc:AccountingCost", l.BuyerAccountingReference)
	if p := l.Period; p != nil {
		pe := el(e, "cac:InvoicePeriod")
		date(pe, "cbc:StartDate", p.Start)
		date(pe, "cbc:EndDate", p.End)
	}
	if l.OrderLineReference != "" {
		text(el(e, "cac:OrderLineReference"), "cbc:LineID", l.OrderLineReference)
	}
	if p := l.PrecedingInvoice; p != nil {
		// EXTENDED-CTC-FR EXT-FR-FE-136/138, where the French rules read them.
		d := el(el(e, "cac:BillingReference"), "cac:InvoiceDocumentReference")
		text(d, "cbc:ID", p.Number)
		date(d, "cbc:IssueDate", p.IssueDate)
	}
	if !l.ObjectID.IsZero() {
		d := el(e, "cac:DocumentReference")
		id(d, "cbc:ID", l.ObjectID)
		text(d, "cbc:DocumentTypeCode", docTypeInvoicedObject)
	}
	w.allowancesCharges(e, l.Allowances, l.Charges, false)
	w.item(el(e, "cac:Item"), l)
	w.linePrice(e, &l.Price)
}

// item writes the content of cac:Item (BG-31, BG-32 and the line VAT BG-30).
func (w *writer) item(e *xmlw.Element, l *invoice.Line) {
	it := &l.Item
	text(e, "cbc:Description", it.Description)
	text(e, "cbc:Name", it.Name)
	if it.BuyerID != "" {
		text(el(e, "cac:BuyersItemIdentification"), "cbc:ID", it.BuyerID)
	}
	if it.SellerID != "" {
		text(el(e, "cac:SellersItemIdentification"), "cbc:ID", it.SellerID)
	}
	if !it.StandardID.IsZero() {
		id(el(e, "cac:StandardItemIdentification"), "cbc:ID", it.StandardID)
	}
	if it.OriginCountry != "" {
		text(el(e, "cac:OriginCountry"), "cbc:IdentificationCode", it.OriginCountry)
	}
	for _, c := range it.Classifications {
		ce := text(el(e, "cac:CommodityClassification"), "cbc:ItemClassificationCode", c.Code)
		if ce == nil {
			continue
		}
		if c.Scheme != "" {
			ce.CreateAttr("listID", c.Scheme)
		}
		if c.SchemeVersion != "" {
			ce.CreateAttr("listVersionID", c.SchemeVersion)
		}
	}
	if l.VATCategory != "" || l.VATRate != nil {
		tc := el(e, "cac:ClassifiedTaxCategory")
		text(tc, "cbc:ID", l.VATCategory)
		number(tc, "cbc:Percent", l.VATRate)
		taxScheme(tc, schemeVAT)
	}
	for _, a := range it.Attributes {
		p := el(e, "cac:AdditionalItemProperty")
		text(p, "cbc:Name", a.Name)
		text(p, "cbc:Value", a.Value)
	}
}

// linePrice writes cac:Price (BG-29). The gross price (BT-148) and the discount (BT-147) go
// in a price cac:AllowanceCharge, whose cbc:Amount UBL requires: without a discount it is
// the gross price minus the net price (zero when the net price is absent).
func (w *writer) linePrice(parent *xmlw.Element, p *invoice.Price) {
	if p.Net == nil && p.Discount == nil && p.Gross == nil && p.BaseQuantity == nil && p.BaseUnitCode == "" {
		return
	}
	e := el(parent, "cac:Price")
	w.price(e, "cbc:PriceAmount", p.Net)
	quantity(e, "cbc:BaseQuantity", p.BaseQuantity, p.BaseUnitCode)
	if p.Discount == nil && p.Gross == nil {
		return
	}
	ac := el(e, "cac:AllowanceCharge")
	text(ac, "cbc:ChargeIndicator", "false")
	discount := p.Discount
	if discount == nil {
		d := decimal.Zero
		if p.Net != nil {
			d = p.Gross.Sub(*p.Net)
		}
		discount = &d
	}
	w.price(ac, "cbc:Amount", discount)
	w.price(ac, "cbc:BaseAmount", p.Gross)
}

// readLine reads one invoice line; i is its 0-based index.
func (r *reader) readLine(e *schematron.Node, i int) invoice.Line {
	path := invoice.LinePath(i)
	l := invoice.Line{
		ID:                       textOf(child(e, "cbc:ID")),
		Note:                     textOf(r.one(e, "cbc:Note", path, "BT-127")),
		NetAmount:                r.amount(child(e, "cbc:LineExtensionAmount"), path, "BT-131", r.inv.Currency),
		BuyerAccountingReference: textOf(child(e, "cbc:AccountingCost")),
		OrderLineReference:       textOf(child(r.one(e, "cac:OrderLineReference", path, "BT-132"), "cbc:LineID")),
	}
	q := child(e, "cbc:InvoicedQuantity")
	if q == nil {
		q = child(e, "cbc:CreditedQuantity")
	}
	l.Quantity = r.dec(q, path, "BT-129")
	l.UnitCode = attr(q, "unitCode")
	if pe := r.one(e, "cac:InvoicePeriod", path, "BG-26"); pe != nil {
		l.Period = &invoice.Period{
			Start: r.date(child(pe, "cbc:StartDate"), path, "BT-134"),
			End:   r.date(child(pe, "cbc:EndDate"), path, "BT-135"),
		}
	}
	// A line's BillingReference is the invoice it corrects (EXT-FR-FE-136/138); one with a
	// DocumentStatusCode is a multi-vendor line's reference to its own invoice (EXT-FR-FE-163),
	// which the model does not hold.
	for _, b := range elements(e, "cac:BillingReference") {
		d := child(b, "cac:InvoiceDocumentReference")
		switch {
		case d == nil:
		case child(d, "cbc:DocumentStatusCode") != nil:
			r.finding(invoice.Warning, b, path, "the multi-vendor line reference (EXT-FR-FE-162/163) is not kept",
				"la référence de ligne multi-vendeurs (EXT-FR-FE-162/163) n'est pas conservée", "EXT-FR-FE-163")
		case l.PrecedingInvoice != nil:
			r.finding(invoice.Warning, b, path, "a second preceding invoice of the line is not kept",
				"une seconde facture antérieure de la ligne n'est pas conservée", "EXT-FR-FE-136")
		default:
			l.PrecedingInvoice = &invoice.PrecedingInvoice{
				Number:    textOf(child(d, "cbc:ID")),
				IssueDate: r.date(child(d, "cbc:IssueDate"), path, "EXT-FR-FE-138"),
			}
		}
	}
	// Only a DocumentReference with DocumentTypeCode 130 is the object identifier BT-128
	// (as the official BR-CL-07 reads it).
	for _, d := range elements(e, "cac:DocumentReference") {
		code := textOf(child(d, "cbc:DocumentTypeCode"))
		switch {
		case code != docTypeInvoicedObject:
			r.finding(invoice.Warning, d, path,
				fmt.Sprintf("line DocumentReference with DocumentTypeCode %q is not an invoiced object identifier (130); ignored", code),
				fmt.Sprintf("DocumentReference de ligne de DocumentTypeCode « %s » : ce n'est pas un identifiant d'objet facturé (130) ; ignoré", code), "BT-128")
		case !l.ObjectID.IsZero():
			r.finding(invoice.Warning, d, path, "a second invoiced object identifier is ignored",
				"un second identifiant d'objet facturé est ignoré", "BT-128")
		default:
			l.ObjectID = idOf(child(d, "cbc:ID"))
		}
	}
	l.Allowances, l.Charges = r.readAllowanceCharges(e, path+"/", "BG-27", "BG-28", false)
	if it := r.one(e, "cac:Item", path, "BG-31"); it != nil {
		r.readItem(it, path, &l)
	}
	if p := r.one(e, "cac:Price", path, "BG-29"); p != nil {
		r.readPrice(p, path, &l.Price)
	}
	return l
}

// readItem reads cac:Item into the line's item and VAT category.
func (r *reader) readItem(e *schematron.Node, path string, l *invoice.Line) {
	it := &l.Item
	it.Description = textOf(r.one(e, "cbc:Description", path, "BT-154"))
	it.Name = textOf(r.one(e, "cbc:Name", path, "BT-153"))
	it.BuyerID = textOf(child(e, "cac:BuyersItemIdentification", "cbc:ID"))
	it.SellerID = textOf(child(e, "cac:SellersItemIdentification", "cbc:ID"))
	it.StandardID = idOf(child(e, "cac:StandardItemIdentification", "cbc:ID"))
	it.OriginCountry = textOf(child(e, "cac:OriginCountry", "cbc:IdentificationCode"))
	for _, c := range elements(e, "cac:CommodityClassification") {
		for _, code := range elements(c, "cbc:ItemClassificationCode") {
			it.Classifications = append(it.Classifications, invoice.Classification{
				Code:          textOf(code),
				Scheme:        attr(code, "listID"),
				SchemeVersion: attr(code, "listVersionID"),
			})
		}
	}
	if tc := r.one(e, "cac:ClassifiedTaxCategory", path, "BG-30"); tc != nil {
		l.VATCategory = textOf(child(tc, "cbc:ID"))
		l.VATRate = r.dec(child(tc, "cbc:Percent"), path, "BT-152")
	}
	for _, p := range elements(e, "cac:AdditionalItemProperty") {
		it.Attributes = append(it.Attributes, invoice.Attribute{
			Name:  textOf(child(p, "cbc:Name")),
			Value: textOf(child(p, "cbc:Value")),
		})
	}
}

// readPrice reads cac:Price (BG-29).
func (r *reader) readPrice(e *schematron.Node, path string, p *invoice.Price) {
	p.Net = r.amount(child(e, "cbc:PriceAmount"), path, "BT-146", r.inv.Currency)
	bq := child(e, "cbc:BaseQuantity")
	p.BaseQuantity = r.dec(bq, path, "BT-149")
	p.BaseUnitCode = attr(bq, "unitCode")
	ac := r.one(e, "cac:AllowanceCharge", path, "BT-147")
	if ac == nil {
		return
	}
	if charge, _ := parseBool(textOf(child(ac, "cbc:ChargeIndicator"))); charge {
		r.finding(invoice.Warning, ac, path, "a price charge is read as a price discount",
			"une majoration de prix est lue comme une remise sur prix", "BT-147")
	}
	p.Discount = r.amount(child(ac, "cbc:Amount"), path, "BT-147", r.inv.Currency)
	p.Gross = r.amount(child(ac, "cbc:BaseAmount"), path, "BT-148", r.inv.Currency)
}
