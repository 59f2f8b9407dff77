package facturx

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
)

// A4 portrait, in points.
const (
	pageW, pageH = 595.28, 841.89
	margin       = 40.0
	bottom       = 60.0 // room for the footer
)

// renderer lays the invoice out on pages, in French.
type renderer struct {
	inv        *invoice.Invoice
	reg, bold  *ttFont
	pages      []*content
	cur        *content
	y          float64
	currency   string
	conformity string
}

func (r *renderer) page() {
	r.cur = &content{}
	r.pages = append(r.pages, r.cur)
	r.y = pageH - margin
}

// need starts a new page when fewer than h points are left, and reports whether it did.
func (r *renderer) need(h float64) bool {
	if r.y-h < bottom {
		r.page()
		return true
	}
	return false
}

func (r *renderer) txt(bold bool, size, x float64, s string) {
	f, res := r.reg, "F1"
	if bold {
		f, res = r.bold, "F2"
	}
	r.cur.text(f, res, size, x, r.y, s)
}

// right draws s ending at x.
func (r *renderer) right(bold bool, size, x float64, s string) {
	f := r.reg
	if bold {
		f = r.bold
	}
	r.txt(bold, size, x-f.width(s, size), s)
}

// wrap splits s into lines no wider than w at size.
func (r *renderer) wrap(s string, size, w float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			try := strings.TrimSpace(line + " " + word)
			if r.reg.width(try, size) <= w || line == "" {
				line = try
				continue
			}
			lines = append(lines, line)
			line = word
		}
		for r.reg.width(line, size) > w && len([]rune(line)) > 1 { // one word longer than the column
			rs := []rune(line)
			cut := len(rs) - 1
			for cut > 1 && r.reg.width(string(rs[:cut]), size) > w {
				cut--
			}
			lines = append(lines, string(rs[:cut]))
			line = string(rs[cut:])
		}
		lines = append(lines, line)
	}
	return lines
}

// money writes an amount the French way: 1 234,56 €.
func (r *renderer) money(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return frNumber(d.StringFixed(max(2, -d.Exponent()))) + " " + r.currency
}

// frNumber writes a decimal number with a decimal comma and spaces between thousands.
func frNumber(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "," + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func plain(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return frNumber(d.String())
}

func date(d invoice.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year)
}

var titles = map[string]string{
	"380": "FACTURE", "381": "AVOIR", "384": "FACTURE RECTIFICATIVE", "386": "FACTURE D'ACOMPTE",
	"389": "AUTOFACTURE", "261": "AUTOFACTURE D'AVOIR", "262": "AVOIR DE REMISE GLOBALE", "396": "AVOIR D'AFFACTURAGE",
	"393": "FACTURE D'AFFACTURAGE", "501": "AUTOFACTURE D'AFFACTURAGE", "500": "AUTOFACTURE D'ACOMPTE",
	"502": "AUTOFACTURE RECTIFICATIVE", "503": "AVOIR D'ACOMPTE", "471": "AUTOFACTURE RECTIFICATIVE", "472": "FACTURE RECTIFICATIVE D'AFFACTURAGE", "473": "AUTOFACTURE RECTIFICATIVE D'AFFACTURAGE",
}

// Title is the French name of the document type BT-3.
func Title(inv *invoice.Invoice) string {
	if t, ok := titles[inv.TypeCode]; ok {
		return t
	}
	if inv.IsCreditNote() {
		return "AVOIR"
	}
	return "FACTURE"
}

var units = map[string]string{
	"C62": "u", "H87": "pièce", "HUR": "h", "DAY": "jour", "KGM": "kg", "GRM": "g", "LTR": "l", "MTR": "m",
	"MTK": "m²", "MTQ": "m³", "LS": "forfait", "MON": "mois", "ANN": "an", "KWH": "kWh", "TNE": "t", "XPK": "colis",
}

var means = map[string]string{
	"1": "non défini", "10": "espèces", "20": "chèque", "30": "virement", "31": "virement", "42": "virement bancaire",
	"48": "carte bancaire", "49": "prélèvement", "57": "virement permanent", "58": "virement SEPA", "59": "prélèvement SEPA",
	"97": "compensation",
}

func address(a *invoice.Address) []string {
	if a == nil {
		return nil
	}
	var out []string
	for _, l := range []string{a.Line1, a.Line2, a.Line3} {
		if l != "" {
			out = append(out, l)
		}
	}
	if city := strings.TrimSpace(a.PostCode + " " + a.City); city != "" {
		out = append(out, city)
	}
	if a.Country != "" && a.Country != "FR" {
		out = append(out, a.Country)
	}
	return out
}

// partyLines are the lines describing a party: name, address, identifiers.
func partyLines(p *invoice.Party, seller bool) []string {
	out := []string{}
	out = append(out, address(p.Address)...)
	if p.LegalID.Scheme == "0002" && p.LegalID.Value != "" {
		out = append(out, "SIREN : "+p.LegalID.Value)
	} else if p.LegalID.Value != "" {
		out = append(out, "Identifiant légal : "+p.LegalID.Value)
	}
	for _, id := range p.IDs {
		if id.Scheme == "0009" {
			out = append(out, "SIRET : "+id.Value)
		}
	}
	if p.VATID != "" {
		out = append(out, "TVA intracommunautaire : "+p.VATID)
	}
	if seller && p.LegalInfo != "" {
		out = append(out, p.LegalInfo)
	}
	return out
}

// render lays out the whole invoice.
func (r *renderer) render() {
	inv := r.inv
	r.page()
	// Seller, top left; document, top right.
	top := r.y
	r.txt(true, 14, margin, inv.Seller.Name)
	r.y -= 14
	for _, l := range partyLines(&inv.Seller, true) {
		for _, w := range r.wrap(l, 8.5, 280) {
			r.txt(false, 8.5, margin, w)
			r.y -= 11
		}
	}
	left := r.y
	r.y = top
	r.right(true, 18, pageW-margin, Title(inv))
	r.y -= 20
	for _, kv := range [][2]string{
		{"N° ", inv.Number}, {"Date : ", date(inv.IssueDate)}, {"Échéance : ", date(inv.DueDate)},
		{"Cadre de facturation : ", inv.BusinessProcess},
	} {
		if kv[1] != "" {
			r.right(false, 9.5, pageW-margin, kv[0]+kv[1])
			r.y -= 12
		}
	}
	// Buyer, right column.
	r.y -= 10
	bx := 330.0
	r.txt(true, 9, bx, "Client")
	r.y -= 12
	r.txt(true, 10, bx, inv.Buyer.Name)
	r.y -= 12
	for _, l := range partyLines(&inv.Buyer, false) {
		for _, w := range r.wrap(l, 8.5, pageW-margin-bx) {
			r.txt(false, 8.5, bx, w)
			r.y -= 11
		}
	}
	r.y = min(r.y, left) - 14
	// References.
	var refs []string
	for _, kv := range [][2]string{
		{"Référence acheteur", inv.BuyerReference}, {"Bon de commande", inv.PurchaseOrderReference},
		{"Contrat", inv.ContractReference}, {"Projet", inv.ProjectReference},
	} {
		if kv[1] != "" {
			refs = append(refs, kv[0]+" : "+kv[1])
		}
	}
	for _, p := range inv.PrecedingInvoices {
		refs = append(refs, strings.TrimSpace("Facture d'origine : "+p.Number+" du "+date(p.IssueDate)))
	}
	if p := inv.InvoicingPeriod; p != nil {
		refs = append(refs, "Période : du "+date(p.Start)+" au "+date(p.End))
	}
	for _, l := range refs {
		r.txt(false, 8.5, margin, l)
		r.y -= 11
	}
	r.y -= 6
	r.lines()
	r.vatAndTotals()
	r.payment()
	r.notes()
}

// columns of the line table: left edges or right edges of the figures.
const (
	colItem  = margin
	colQty   = 330.0 // right edge
	colUnit  = 336.0
	colPrice = 440.0 // right edge
	colVAT   = 485.0 // right edge
	colNet   = pageW - margin
)

func (r *renderer) tableHeader() {
	r.cur.fill(margin, r.y-4, pageW-2*margin, 15, 0.9)
	r.y += 1
	r.txt(true, 8.5, colItem+2, "Désignation")
	r.right(true, 8.5, colQty, "Qté")
	r.txt(true, 8.5, colUnit, "Unité")
	r.right(true, 8.5, colPrice, "PU HT")
	r.right(true, 8.5, colVAT, "TVA")
	r.right(true, 8.5, colNet-2, "Montant HT")
	r.y -= 16
}

func (r *renderer) lines() {
	r.need(40)
	r.tableHeader()
	for i := range r.inv.Lines {
		l := &r.inv.Lines[i]
		name := l.Item.Name
		if l.Item.SellerID != "" {
			name = "[" + l.Item.SellerID + "] " + name
		}
		text := r.wrap(name, 8.5, colQty-colItem-50)
		var extra []string
		if l.Item.Description != "" {
			extra = append(extra, r.wrap(l.Item.Description, 7.5, colQty-colItem-50)...)
		}
		if l.Note != "" {
			extra = append(extra, r.wrap(l.Note, 7.5, colQty-colItem-50)...)
		}
		for _, a := range l.Allowances {
			extra = append(extra, acLabel("Remise", a.Reason)+" : -"+r.money(a.Amount))
		}
		for _, c := range l.Charges {
			extra = append(extra, acLabel("Frais", c.Reason)+" : "+r.money(c.Amount))
		}
		if p := l.PrecedingInvoice; p != nil {
			extra = append(extra, strings.TrimSpace("Facture d'origine : "+p.Number+" du "+date(p.IssueDate)))
		}
		h := float64(len(text))*11 + float64(len(extra))*9.5 + 4
		if r.need(h) {
			r.tableHeader()
		}
		unit := units[l.UnitCode]
		if unit == "" {
			unit = l.UnitCode
		}
		rate := ""
		if l.VATRate != nil {
			rate = plain(l.VATRate) + " %"
		} else if l.VATCategory != "" {
			rate = l.VATCategory
		}
		r.txt(false, 8.5, colItem+2, text[0])
		r.right(false, 8.5, colQty, plain(l.Quantity))
		r.txt(false, 8.5, colUnit, unit)
		r.right(false, 8.5, colPrice, r.money(l.Price.Net))
		r.right(false, 8.5, colVAT, rate)
		r.right(false, 8.5, colNet-2, r.money(l.NetAmount))
		r.y -= 11
		for _, t := range text[1:] {
			r.txt(false, 8.5, colItem+2, t)
			r.y -= 11
		}
		for _, t := range extra {
			r.txt(false, 7.5, colItem+10, t)
			r.y -= 9.5
		}
		r.cur.line(margin, r.y+6, pageW-margin, r.y+6, 0.3, 0.75)
		r.y -= 4
	}
	r.y -= 6
}

func (r *renderer) vatAndTotals() {
	inv := r.inv
	t := &inv.Totals
	type row struct {
		label string
		d     *decimal.Decimal
		bold  bool
	}
	rows := []row{{"Total HT des lignes", t.LineTotal, false}}
	if t.AllowanceTotal != nil && !t.AllowanceTotal.IsZero() {
		rows = append(rows, row{"Remises", t.AllowanceTotal, false})
	}
	if t.ChargeTotal != nil && !t.ChargeTotal.IsZero() {
		rows = append(rows, row{"Frais", t.ChargeTotal, false})
	}
	rows = append(rows, row{"Total HT", t.TaxExclusive, true}, row{"Total TVA", t.TaxTotal, false}, row{"Total TTC", t.TaxInclusive, true})
	if t.Paid != nil && !t.Paid.IsZero() {
		rows = append(rows, row{"Déjà payé", t.Paid, false})
	}
	if t.Rounding != nil && !t.Rounding.IsZero() {
		rows = append(rows, row{"Arrondi", t.Rounding, false})
	}
	rows = append(rows, row{"Net à payer", t.Payable, true})
	h := max(float64(len(rows))*12, float64(len(inv.VAT)+1)*11+24) + float64(len(inv.Allowances)+len(inv.Charges))*11 + 10
	r.need(h)
	top := r.y
	// Document allowances and charges, then the VAT breakdown, left.
	for _, a := range inv.Allowances {
		r.txt(false, 8.5, margin, acLabel("Remise", a.Reason)+" : -"+r.money(a.Amount))
		r.y -= 11
	}
	for _, c := range inv.Charges {
		r.txt(false, 8.5, margin, acLabel("Frais", c.Reason)+" : "+r.money(c.Amount))
		r.y -= 11
	}
	r.txt(true, 8.5, margin, "TVA")
	r.right(true, 8.5, margin+140, "Base HT")
	r.right(true, 8.5, margin+220, "Montant")
	r.y -= 11
	for _, v := range inv.VAT {
		label := v.Category
		if v.Rate != nil {
			label = plain(v.Rate) + " %"
			if v.Category != "S" {
				label += " (" + v.Category + ")"
			}
		}
		r.txt(false, 8.5, margin, label)
		r.right(false, 8.5, margin+140, r.money(v.TaxableAmount))
		r.right(false, 8.5, margin+220, r.money(v.TaxAmount))
		r.y -= 11
		if reason := strings.TrimSpace(v.ExemptionReason + " " + v.ExemptionReasonCode); reason != "" {
			for _, w := range r.wrap(reason, 7.5, 230) {
				r.txt(false, 7.5, margin+8, w)
				r.y -= 9.5
			}
		}
	}
	leftEnd := r.y
	// Totals, right.
	r.y = top
	for _, x := range rows {
		if x.d == nil {
			continue
		}
		r.right(x.bold, 9, 470, x.label)
		r.right(x.bold, 9, colNet-2, r.money(x.d))
		r.y -= 12
	}
	r.y = min(r.y, leftEnd) - 10
}

func (r *renderer) payment() {
	inv := r.inv
	var lines []string
	if p := inv.Payment; p != nil {
		m := means[p.MeansCode]
		if p.MeansText != "" {
			m = p.MeansText
		}
		if m != "" {
			lines = append(lines, "Mode de règlement : "+m)
		}
		for _, ct := range p.CreditTransfer {
			l := "IBAN : " + ct.AccountID
			if ct.ProviderID != "" {
				l += "   BIC : " + ct.ProviderID
			}
			if ct.AccountName != "" {
				l += "   Titulaire : " + ct.AccountName
			}
			lines = append(lines, l)
		}
		if d := p.DirectDebit; d != nil {
			lines = append(lines, strings.TrimSpace("Prélèvement, mandat "+d.MandateID+" "+d.DebitedAccount))
		}
		if p.RemittanceInfo != "" {
			lines = append(lines, "Référence de paiement : "+p.RemittanceInfo)
		}
	}
	if !inv.DueDate.IsZero() {
		lines = append(lines, "Date d'échéance : "+date(inv.DueDate))
	}
	if inv.PaymentTerms != "" {
		lines = append(lines, "Conditions de paiement : "+inv.PaymentTerms)
	}
	if len(lines) == 0 {
		return
	}
	r.need(float64(len(lines))*11 + 14)
	r.txt(true, 9, margin, "Paiement")
	r.y -= 12
	for _, l := range lines {
		for _, w := range r.wrap(l, 8.5, pageW-2*margin) {
			r.txt(false, 8.5, margin, w)
			r.y -= 11
		}
	}
	r.y -= 6
}

var noteLabels = map[string]string{
	"PMT": "Indemnité de recouvrement", "PMD": "Pénalités de retard", "AAB": "Escompte", "TXD": "Mention fiscale",
	"REG": "Informations réglementaires", "ABL": "Informations légales", "SUR": "Remarques", "AAI": "Informations générales",
}

func (r *renderer) notes() {
	if len(r.inv.Notes) == 0 {
		return
	}
	r.need(30)
	r.txt(true, 9, margin, "Mentions")
	r.y -= 12
	for _, n := range r.inv.Notes {
		if n.SubjectCode == "BAR" {
			continue // the processing type is for the platforms
		}
		label := noteLabels[n.SubjectCode]
		t := n.Text
		if label != "" && !strings.HasPrefix(strings.ToLower(t), strings.ToLower(label)) {
			t = label + " : " + t
		}
		for _, w := range r.wrap(t, 8, pageW-2*margin) {
			r.need(10)
			r.txt(false, 8, margin, w)
			r.y -= 10
		}
	}
}

// footers writes each page's footer once the number of pages is known.
func (r *renderer) footers() {
	for i, c := range r.pages {
		c.line(margin, 45, pageW-margin, 45, 0.3, 0.6)
		c.text(r.reg, "F1", 7, margin, 34, "Facture électronique Factur-X ("+r.conformity+") : le fichier "+AttachmentName+" joint fait foi.")
		s := fmt.Sprintf("%s %s – page %d/%d", Title(r.inv), r.inv.Number, i+1, len(r.pages))
		c.text(r.reg, "F1", 7, pageW-margin-r.reg.width(s, 7), 34, s)
	}
}

// acLabel names an allowance or a charge by its reason, or by its kind when it has none.
func acLabel(kind, reason string) string {
	if reason = strings.TrimSpace(reason); reason != "" {
		return reason
	}
	return kind
}
