package ubl

import (
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/shopspring/decimal"
)

const pathTotals = "BG-22"

// totals writes cac:TaxTotal (BT-110 with the VAT breakdown BG-23), a second cac:TaxTotal
// in the VAT accounting currency (BT-111) and cac:LegalMonetaryTotal (BG-22).
func (w *writer) totals(root *xmlw.Element) {
	inv := w.inv
	t := &inv.Totals
	if t.TaxTotal != nil || len(inv.VAT) > 0 {
		e := el(root, "cac:TaxTotal")
		tax := t.TaxTotal
		if tax == nil {
			// UBL requires cbc:TaxAmount in cac:TaxTotal; a CII invoice may omit BT-110
			// (an invoice outside the scope of VAT). BR-CO-14 defines it as Σ BT-117.
			sum := decimal.Zero
			for i := range inv.VAT {
				if v := inv.VAT[i].TaxAmount; v != nil {
					sum = sum.Add(*v)
				}
			}
			tax = &sum
		}
		w.amount(e, "cbc:TaxAmount", tax)
		for i := range inv.VAT {
			v := &inv.VAT[i]
			s := el(e, "cac:TaxSubtotal")
			w.amount(s, "cbc:TaxableAmount", v.TaxableAmount)
			w.amount(s, "cbc:TaxAmount", v.TaxAmount)
			tc := el(s, "cac:TaxCategory")
			text(tc, "cbc:ID", v.Category)
			number(tc, "cbc:Percent", v.Rate)
			text(tc, "cbc:TaxExemptionReasonCode", v.ExemptionReasonCode)
			text(tc, "cbc:TaxExemptionReason", v.ExemptionReason)
			taxScheme(tc, schemeVAT)
		}
	}
	if t.TaxTotalAcctCurr != nil {
		amountIn(el(root, "cac:TaxTotal"), "cbc:TaxAmount", t.TaxTotalAcctCurr, inv.TaxCurrency, formatAmount)
	}
	if *t == (invoice.Totals{TaxTotal: t.TaxTotal, TaxTotalAcctCurr: t.TaxTotalAcctCurr}) {
		return // no monetary total
	}
	e := el(root, "cac:LegalMonetaryTotal")
	w.amount(e, "cbc:LineExtensionAmount", t.LineTotal)
	w.amount(e, "cbc:TaxExclusiveAmount", t.TaxExclusive)
	w.amount(e, "cbc:TaxInclusiveAmount", t.TaxInclusive)
	w.amount(e, "cbc:AllowanceTotalAmount", t.AllowanceTotal)
	w.amount(e, "cbc:ChargeTotalAmount", t.ChargeTotal)
	w.amount(e, "cbc:PrepaidAmount", t.Paid)
	w.amount(e, "cbc:PayableRoundingAmount", t.Rounding)
	w.amount(e, "cbc:PayableAmount", t.Payable)
}

// readTotals reads the tax totals, the VAT breakdown and the monetary totals. The tax total
// without subtotals whose currency is the VAT accounting currency (BT-6) is BT-111.
func (r *reader) readTotals(root *schematron.Node) {
	inv := r.inv
	t := &inv.Totals
	seenDoc := false
	for _, tt := range elements(root, "cac:TaxTotal") {
		amt := r.one(tt, "cbc:TaxAmount", pathTotals, "BT-110")
		cur := attr(amt, "currencyID")
		subs := elements(tt, "cac:TaxSubtotal")
		acct := len(subs) == 0 && inv.TaxCurrency != "" &&
			((cur == inv.TaxCurrency && cur != inv.Currency) || seenDoc)
		if acct {
			if t.TaxTotalAcctCurr != nil {
				r.finding(invoice.Warning, tt, pathTotals, "a further tax total is ignored",
					"un total de TVA supplémentaire est ignoré", "BT-111")
				continue
			}
			t.TaxTotalAcctCurr = r.amount(amt, pathTotals, "BT-111", inv.TaxCurrency)
			continue
		}
		switch {
		case !seenDoc:
			seenDoc = true
			t.TaxTotal = r.amount(amt, pathTotals, "BT-110", inv.Currency)
		case amt != nil && cur != "" && cur == inv.Currency:
			// The official BR-CO-15 requires exactly one tax total in the invoice currency.
			r.vs = append(r.vs, invoice.Violation{
				Rule: "BR-CO-15", Severity: invoice.Fatal, BT: []string{"BT-110", "BT-112", "BT-109"},
				Path: pathTotals, Location: xpath(amt),
				EN: "the total VAT amount (BT-110) in the invoice currency is given more than once; only the first is kept",
				FR: "le montant total de TVA (BT-110) dans la devise de la facture apparaît plusieurs fois ; seul le premier est conservé",
			})
		case amt != nil:
			r.finding(invoice.Warning, tt, pathTotals, "a further tax total amount is ignored",
				"un montant total de TVA supplémentaire est ignoré", "BT-110")
		}
		// Every TaxSubtotal is a VAT breakdown, whichever TaxTotal holds it.
		for _, s := range subs {
			path := "BG-23[" + itoa(len(inv.VAT)+1) + "]"
			tc := child(s, "cac:TaxCategory")
			inv.VAT = append(inv.VAT, invoice.VATBreakdown{
				TaxableAmount:       r.amount(child(s, "cbc:TaxableAmount"), path, "BT-116", inv.Currency),
				TaxAmount:           r.amount(child(s, "cbc:TaxAmount"), path, "BT-117", inv.Currency),
				Category:            textOf(child(tc, "cbc:ID")),
				Rate:                r.dec(child(tc, "cbc:Percent"), path, "BT-119"),
				ExemptionReasonCode: textOf(child(tc, "cbc:TaxExemptionReasonCode")),
				ExemptionReason:     textOf(r.one(tc, "cbc:TaxExemptionReason", path, "BT-120")),
			})
		}
	}
	e := r.one(root, "cac:LegalMonetaryTotal", pathTotals, pathTotals)
	if e == nil {
		return
	}
	t.LineTotal = r.amount(child(e, "cbc:LineExtensionAmount"), pathTotals, "BT-106", inv.Currency)
	t.TaxExclusive = r.amount(child(e, "cbc:TaxExclusiveAmount"), pathTotals, "BT-109", inv.Currency)
	t.TaxInclusive = r.amount(child(e, "cbc:TaxInclusiveAmount"), pathTotals, "BT-112", inv.Currency)
	t.AllowanceTotal = r.amount(child(e, "cbc:AllowanceTotalAmount"), pathTotals, "BT-107", inv.Currency)
	t.ChargeTotal = r.amount(child(e, "cbc:ChargeTotalAmount"), pathTotals, "BT-108", inv.Currency)
	t.Paid = r.amount(child(e, "cbc:PrepaidAmount"), pathTotals, "BT-113", inv.Currency)
	t.Rounding = r.amount(child(e, "cbc:PayableRoundingAmount"), pathTotals, "BT-114", inv.Currency)
	t.Payable = r.amount(child(e, "cbc:PayableAmount"), pathTotals, "BT-115", inv.Currency)
}
