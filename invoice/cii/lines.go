package cii

import (
	"fmt"
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"

	"github.com/fluxgate/fluxgate/invoice"
)

// Lines: ram:IncludedSupplyChainTradeLineItem (BG-25) with its period (BG-26), allowances
// and charges (BG-27, BG-28), price details (BG-29), VAT (BG-30), item (BG-31) and item
// attributes (BG-32).

func (w *writer) line(tx *xmlw.Element, i int, l *invoice.Line) {
	where := invoice.LinePath(i)
	li := tx.CreateElement("ram:IncludedSupplyChainTradeLineItem")

	doc := li.CreateElement("ram:AssociatedDocumentLineDocument")
	text(doc, "ram:LineID", l.ID)
	if l.Note != "" {
		text(doc.CreateElement("ram:IncludedNote"), "ram:Content", l.Note)
	}

	w.product(li, &l.Item)
	w.lineAgreement(li, l, where)

	if l.Quantity != nil {
		q := number(li.CreateElement("ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", l.Quantity)
		if l.UnitCode != "" {
			q.CreateAttr("unitCode", l.UnitCode)
		}
	} else if l.UnitCode != "" {
		w.cannot("%s: BT-130 (unit code) without BT-129 (quantity)", where)
	}

	s := li.CreateElement("ram:SpecifiedLineTradeSettlement") // mandatory
	if l.VATCategory != "" || l.VATRate != nil {
		t := s.CreateElement("ram:ApplicableTradeTax")
		text(t, "ram:TypeCode", "VAT")
		text(t, "ram:CategoryCode", l.VATCategory)
		number(t, "ram:RateApplicablePercent", l.VATRate)
	}
	period(s, l.Period)
	for j := range l.Allowances {
		allowanceCharge(s, &l.Allowances[j], false, false)
	}
	for j := range l.Charges {
		allowanceCharge(s, &l.Charges[j], true, false)
	}
	if l.NetAmount != nil {
		amount(s.CreateElement("ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount", l.NetAmount)
	}
	if p := l.PrecedingInvoice; p != nil {
		// EXTENDED-CTC-FR EXT-FR-FE-136/138 (D22B; the French rules read them here).
		e := s.CreateElement("ram:InvoiceReferencedDocument")
		e.CreateElement("ram:IssuerAssignedID").SetText(p.Number)
		dateIn(e, "ram:FormattedIssueDateTime", "qdt:DateTimeString", p.IssueDate)
	}
	if l.ObjectID.Value != "" {
		a := s.CreateElement("ram:AdditionalReferencedDocument")
		text(a, "ram:IssuerAssignedID", l.ObjectID.Value)
		text(a, "ram:TypeCode", docTypeInvoicedObject)
		text(a, "ram:ReferenceTypeCode", l.ObjectID.Scheme)
	} else if l.ObjectID.Scheme != "" {
		w.cannot("%s: BT-128-1 (object scheme) without BT-128", where)
	}
	if l.BuyerAccountingReference != "" {
		text(s.CreateElement("ram:ReceivableSpecifiedTradeAccountingAccount"), "ram:ID", l.BuyerAccountingReference)
	}
}

// product writes ram:SpecifiedTradeProduct (BG-31, BG-32) in schema order.
func (w *writer) product(li *xmlw.Element, it *invoice.Item) {
	if it.Name == "" && it.Description == "" && it.SellerID == "" && it.BuyerID == "" && it.StandardID.IsZero() &&
		len(it.Classifications) == 0 && it.OriginCountry == "" && len(it.Attributes) == 0 {
		return
	}
	p := li.CreateElement("ram:SpecifiedTradeProduct")
	idElem(p, "ram:GlobalID", it.StandardID)
	text(p, "ram:SellerAssignedID", it.SellerID)
	text(p, "ram:BuyerAssignedID", it.BuyerID)
	text(p, "ram:Name", it.Name)
	text(p, "ram:Description", it.Description)
	for _, a := range it.Attributes {
		c := p.CreateElement("ram:ApplicableProductCharacteristic")
		text(c, "ram:Description", a.Name)
		text(c, "ram:Value", a.Value)
	}
	for _, c := range it.Classifications {
		pc := p.CreateElement("ram:DesignatedProductClassification")
		if cc := text(pc, "ram:ClassCode", c.Code); cc != nil {
			if c.Scheme != "" {
				cc.CreateAttr("listID", c.Scheme)
			}
			if c.SchemeVersion != "" {
				cc.CreateAttr("listVersionID", c.SchemeVersion)
			}
		}
	}
	if it.OriginCountry != "" {
		text(p.CreateElement("ram:OriginTradeCountry"), "ram:ID", it.OriginCountry)
	}
}

// lineAgreement writes ram:SpecifiedLineTradeAgreement: order line reference (BT-132) and
// prices (BG-29). The base quantity (BT-149, BT-150) goes with each price written.
func (w *writer) lineAgreement(li *xmlw.Element, l *invoice.Line, where string) {
	pr := l.Price
	if l.OrderLineReference == "" && pr.Net == nil && pr.Gross == nil {
		if pr.Discount != nil || pr.BaseQuantity != nil || pr.BaseUnitCode != "" {
			w.cannot("%s: BT-147/BT-149/BT-150 need a net (BT-146) or gross (BT-148) price", where)
		}
		return
	}
	ag := li.CreateElement("ram:SpecifiedLineTradeAgreement")
	if l.OrderLineReference != "" {
		text(ag.CreateElement("ram:BuyerOrderReferencedDocument"), "ram:LineID", l.OrderLineReference)
	}
	if pr.Gross == nil && pr.Discount != nil && pr.Net != nil {
		// CII D16B cannot hold a price discount without the gross price (ChargeAmount is
		// mandatory in GrossPriceProductTradePrice); EN 16931 defines the net price as
		// gross − discount, so the gross price is the net price plus the discount.
		gross := pr.Net.Add(*pr.Discount)
		pr.Gross = &gross
	}
	if pr.Gross != nil {
		g := ag.CreateElement("ram:GrossPriceProductTradePrice")
		number(g, "ram:ChargeAmount", pr.Gross)
		w.basisQuantity(g, pr, where)
		if pr.Discount != nil {
			ac := g.CreateElement("ram:AppliedTradeAllowanceCharge")
			indicator(ac, "ram:ChargeIndicator", false)
			number(ac, "ram:ActualAmount", pr.Discount)
		}
	} else if pr.Discount != nil {
		w.cannot("%s: BT-147 (price discount) needs BT-148 (gross price)", where)
	}
	if pr.Net != nil {
		n := ag.CreateElement("ram:NetPriceProductTradePrice")
		number(n, "ram:ChargeAmount", pr.Net)
		w.basisQuantity(n, pr, where)
	} else if pr.Gross == nil && (pr.BaseQuantity != nil || pr.BaseUnitCode != "") {
		w.cannot("%s: BT-149/BT-150 need a net (BT-146) or gross (BT-148) price", where)
	}
}

func (w *writer) basisQuantity(price *xmlw.Element, pr invoice.Price, where string) {
	if pr.BaseQuantity == nil {
		if pr.BaseUnitCode != "" {
			w.cannot("%s: BT-150 (base quantity unit) without BT-149 (base quantity)", where)
		}
		return
	}
	q := number(price, "ram:BasisQuantity", pr.BaseQuantity)
	if pr.BaseUnitCode != "" {
		q.CreateAttr("unitCode", pr.BaseUnitCode)
	}
}

func (r *reader) line(li *schematron.Node, i int) invoice.Line {
	first := len(r.viol)
	defer func() {
		for k := first; k < len(r.viol); k++ {
			r.viol[k].Path = invoice.LinePath(i)
		}
	}()
	var l invoice.Line
	if doc := child(li, "AssociatedDocumentLineDocument"); doc != nil {
		l.ID = textOf(doc, "LineID")
		notes := children(doc, "IncludedNote")
		if len(notes) > 1 {
			r.finding(notes[1], invoice.Warning, "CII-SR-039", []string{"BT-127"},
				"IncludedNote ne devrait apparaître qu'une fois ; les textes sont joints",
				"IncludedNote should exist maximum once; the texts are joined")
		}
		for k, n := range notes {
			if k > 0 {
				l.Note += "\n"
			}
			l.Note += r.noteText(n, "CII-SR-040", "BT-127")
		}
	}
	l.Item = r.product(child(li, "SpecifiedTradeProduct"))
	r.lineAgreement(child(li, "SpecifiedLineTradeAgreement"), &l)
	if q := child(child(li, "SpecifiedLineTradeDelivery"), "BilledQuantity"); q != nil {
		l.Quantity = r.dec(q, "BT-129")
		l.UnitCode = attr(q, "unitCode")
	}
	s := child(li, "SpecifiedLineTradeSettlement")
	if tax, again := firstTwo(s, "ApplicableTradeTax"); tax != nil {
		l.VATCategory = textOf(tax, "CategoryCode")
		l.VATRate = r.dec(child(tax, "RateApplicablePercent"), "BT-152")
		if again != nil {
			r.finding(again, invoice.Warning, "CII-SR-454", []string{"BG-30"},
				"une seule TVA par ligne devrait être présente ; les suivantes sont ignorées",
				"only one ApplicableTradeTax should be present; the others are ignored")
		}
	}
	l.Period = r.period(child(s, "BillingSpecifiedPeriod"), "BT-134", "BT-135")
	for _, e := range children(s, "SpecifiedTradeAllowanceCharge") {
		ac, charge := r.allowanceCharge(e, false, invoice.LinePath(i))
		if charge {
			l.Charges = append(l.Charges, ac)
		} else {
			l.Allowances = append(l.Allowances, ac)
		}
	}
	l.NetAmount = r.dec(child(child(s, "SpecifiedTradeSettlementLineMonetarySummation"), "LineTotalAmount"), "BT-131")
	if e := child(s, "InvoiceReferencedDocument"); e != nil {
		l.PrecedingInvoice = &invoice.PrecedingInvoice{
			Number:    textOf(e, "IssuerAssignedID"),
			IssueDate: r.date(child(e, "FormattedIssueDateTime"), "EXT-FR-FE-138"),
		}
	}
	for _, a := range children(s, "AdditionalReferencedDocument") {
		switch tc := textOf(a, "TypeCode"); {
		case tc != docTypeInvoicedObject && tc != "":
			r.finding(a, invoice.Warning, "", []string{"BT-128"},
				fmt.Sprintf("document référencé de TypeCode %q ignoré sur la ligne (seul 130 est prévu)", tc),
				fmt.Sprintf("line referenced document with TypeCode %q ignored (only 130 is expected)", tc))
		case !l.ObjectID.IsZero():
			r.finding(a, invoice.Warning, "CII-SR-474", []string{"BT-128"},
				"une ligne ne doit contenir qu'un document référencé de TypeCode 130 ; les suivants sont ignorés",
				"an invoice line shall not contain more than one AdditionalReferencedDocument with TypeCode 130; the others are ignored")
		default:
			if tc == "" {
				r.finding(a, invoice.Warning, "", []string{"BT-128"},
					"document référencé de ligne sans TypeCode lu comme objet facturé (130)",
					"line referenced document without TypeCode read as an invoiced object identifier (130)")
			}
			l.ObjectID = invoice.ID{Value: textOf(a, "IssuerAssignedID"), Scheme: textOf(a, "ReferenceTypeCode")}
		}
	}
	acc := r.firstOf(s, "ReceivableSpecifiedTradeAccountingAccount", invoice.Warning, "", []string{"BT-133"},
		"une seule référence comptable par ligne est admise ; les suivantes sont ignorées",
		"only one buyer accounting reference (BT-133) is allowed per line; the others are ignored")
	if acc != nil {
		l.BuyerAccountingReference = textOf(acc, "ID")
	}
	return l
}

func (r *reader) product(p *schematron.Node) invoice.Item {
	var it invoice.Item
	if p == nil {
		return it
	}
	it.StandardID = idOf(child(p, "GlobalID"))
	if g := child(p, "GlobalID"); g != nil && it.StandardID.Scheme == "" {
		r.finding(g, invoice.Fatal, "CII-SR-046", []string{"BT-157"}, "schemeID est obligatoire sur GlobalID", "schemeID must be present if GlobalID is present")
	}
	it.SellerID = textOf(p, "SellerAssignedID")
	it.BuyerID = textOf(p, "BuyerAssignedID")
	it.Name = textOf(p, "Name")
	it.Description = textOf(p, "Description")
	for _, c := range children(p, "ApplicableProductCharacteristic") {
		if ds := children(c, "Description"); len(ds) > 1 {
			r.finding(ds[1], invoice.Fatal, "CII-SR-069", []string{"BT-160"}, "Description ne doit apparaître qu'une fois", "Description should exist maximum once")
		}
		if vs := children(c, "Value"); len(vs) > 1 {
			r.finding(vs[1], invoice.Fatal, "CII-SR-072", []string{"BT-161"}, "Value ne doit apparaître qu'une fois", "Value should exist maximum once")
		}
		it.Attributes = append(it.Attributes, invoice.Attribute{Name: textOf(c, "Description"), Value: textOf(c, "Value")})
	}
	for _, pc := range children(p, "DesignatedProductClassification") {
		cc := child(pc, "ClassCode")
		it.Classifications = append(it.Classifications, invoice.Classification{
			Code: value(cc), Scheme: attr(cc, "listID"), SchemeVersion: attr(cc, "listVersionID"),
		})
	}
	it.OriginCountry = textOf(child(p, "OriginTradeCountry"), "ID")
	return it
}

func (r *reader) lineAgreement(ag *schematron.Node, l *invoice.Line) {
	if ag == nil {
		return
	}
	l.OrderLineReference = textOf(child(ag, "BuyerOrderReferencedDocument"), "LineID")
	if g := child(ag, "GrossPriceProductTradePrice"); g != nil {
		l.Price.Gross = r.once(g, "ChargeAmount", "BT-148", "CII-SR-439")
		r.basisQuantity(g, &l.Price)
		if ac, again := firstTwo(g, "AppliedTradeAllowanceCharge"); ac != nil {
			if charge, _ := r.indicator(child(ac, "ChargeIndicator")); charge {
				r.finding(ac, invoice.Warning, "CII-SR-119", []string{"BT-147"},
					"seules des remises sur le prix devraient être présentes",
					"only allowances on price a price should be present")
			}
			l.Price.Discount = r.once(ac, "ActualAmount", "BT-147", "CII-SR-440")
			if again != nil {
				r.finding(again, invoice.Warning, "", []string{"BT-147"},
					"une seule remise sur le prix est admise ; les suivantes sont ignorées",
					"only one price discount is allowed; the others are ignored")
			}
		}
	}
	if n := child(ag, "NetPriceProductTradePrice"); n != nil {
		l.Price.Net = r.once(n, "ChargeAmount", "BT-146", "CII-SR-441")
		r.basisQuantity(n, &l.Price)
	}
}

// basisQuantity reads BT-149/BT-150 of a price; the net price's wins over the gross one's.
func (r *reader) basisQuantity(price *schematron.Node, pr *invoice.Price) {
	q := child(price, "BasisQuantity")
	if q == nil {
		return
	}
	d, unit := r.dec(q, "BT-149"), attr(q, "unitCode")
	if pr.BaseQuantity != nil && d != nil && (!pr.BaseQuantity.Equal(*d) || unit != pr.BaseUnitCode) {
		r.finding(q, invoice.Warning, "", []string{"BT-149", "BT-150"},
			"quantités de base différentes sur le prix brut et le prix net : celle du prix net est gardée",
			"gross and net prices have different base quantities: the net price's is kept")
	}
	pr.BaseQuantity, pr.BaseUnitCode = d, unit
}
