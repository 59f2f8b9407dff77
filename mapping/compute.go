package mapping

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
)

// The mapping's own computations on a mapped invoice, before and around invoice.Complete:
// bases of allowances and charges stated as bare percentages, negative invoices turned
// into credit notes (negative="credit-note"), and the exemption reasons of computed VAT
// breakdowns. What they compute is told by the lineage (lineage.go).

// finish completes the invoice: bases of bare percentages, the credit-note rule, then
// invoice.Complete (line net amounts, VAT breakdown, totals; mapped values are kept).
func (rn *run) finish(res *Result) {
	inv := res.Invoice
	for i := range inv.Lines {
		l := &inv.Lines[i]
		deriveBase(l, l.Allowances)
		deriveBase(l, l.Charges)
	}
	if rn.m.docPct && needsDocBase(inv) {
		c := cloneForCompute(inv)
		invoice.Complete(c)
		docBase(inv.Allowances, c.Lines)
		docBase(inv.Charges, c.Lines)
	}
	if rn.m.credit {
		c := cloneForCompute(inv)
		invoice.Complete(c)
		if tot := c.Totals.TaxInclusive; tot != nil && (tot.Sign() < 0 || tot.Sign() == 0 && c.Totals.TaxExclusive != nil && c.Totals.TaxExclusive.Sign() < 0) {
			negate(inv)
			was := inv.TypeCode
			if inv.IsCreditNote() {
				inv.TypeCode = invoice.TypeCommercialInvoice
			} else {
				inv.TypeCode = rn.m.creditCode
			}
			res.notes = append(res.notes, fmt.Sprintf("the invoice's total was negative (%s): amounts made positive and type %q became %q (negative=\"credit-note\")", tot.String(), was, inv.TypeCode))
		}
	}
	// The only call site: line net amounts, allowance amounts from percentages, VAT
	// breakdown, totals. Complete never replaces a mapped value.
	invoice.Complete(inv)
	rn.checkLineNets(res)
	for _, e := range rn.m.exemptions {
		for j := range inv.VAT {
			v := &inv.VAT[j]
			if v.Category == e.category && v.ExemptionReason == "" && v.ExemptionReasonCode == "" {
				v.ExemptionReason, v.ExemptionReasonCode = e.reason, e.code
				if rn.explain {
					res.computed = append(res.computed, Lineage{Path: modelPath(-1, "BG-23", j+1), BT: "BT-121", Name: terms["BT-121"].en, Value: e.code,
						Source: Position{File: rn.file, Line: res.Lines[0], MappingLine: e.line}, Computed: "<exemption category=\"" + e.category + "\"> of the mapping"})
				}
			}
		}
	}
	if rn.explain {
		res.computed = append(res.computedLineage(), res.computed...)
	}
}

// deriveBase gives a line allowance or charge stated as a bare percentage its base
// (BT-137/BT-142): quantity × net price / base quantity, rounded to the cent (BR-DEC-25/28).
// A legacy export states "remise 10 %", never the base; invoice.Complete then computes the
// amount (BT-136/BT-141) as base × percentage / 100.
func deriveBase(l *invoice.Line, acs []invoice.AllowanceCharge) {
	for j := range acs {
		a := &acs[j]
		if a.Amount != nil || a.Percentage == nil || a.BaseAmount != nil || l.Quantity == nil || l.Price.Net == nil {
			continue
		}
		base := l.Quantity.Mul(*l.Price.Net)
		if q := l.Price.BaseQuantity; q != nil {
			if q.Sign() <= 0 {
				continue
			}
			base = base.Div(*q)
		}
		a.BaseAmount = invoice.Ptr(base.Round(2))
	}
}

// needsDocBase reports whether a document allowance or charge is stated as a bare
// percentage: neither its amount nor its base is given.
func needsDocBase(inv *invoice.Invoice) bool {
	for _, acs := range [][]invoice.AllowanceCharge{inv.Allowances, inv.Charges} {
		for _, a := range acs {
			if a.Amount == nil && a.BaseAmount == nil && a.Percentage != nil {
				return true
			}
		}
	}
	return false
}

// docBase gives a document allowance or charge stated as a bare percentage its base
// (BT-93/BT-100): the sum of the net amounts of the lines of its VAT category and rate (of
// every line when it names no category).
func docBase(acs []invoice.AllowanceCharge, lines []invoice.Line) {
	for j := range acs {
		a := &acs[j]
		if a.Amount != nil || a.BaseAmount != nil || a.Percentage == nil {
			continue
		}
		sum := decimal.Zero
		for _, l := range lines {
			if l.NetAmount == nil {
				continue
			}
			if a.VATCategory != "" && (l.VATCategory != a.VATCategory || (a.VATRate != nil && (l.VATRate == nil || !l.VATRate.Equal(*a.VATRate)))) {
				continue
			}
			sum = sum.Add(*l.NetAmount)
		}
		a.BaseAmount = invoice.Ptr(sum.Round(2))
	}
}

// cloneForCompute copies what invoice.Complete writes, so that it can run on the copy.
func cloneForCompute(inv *invoice.Invoice) *invoice.Invoice {
	c := *inv
	c.Lines = make([]invoice.Line, len(inv.Lines))
	for i, l := range inv.Lines {
		l.Allowances = append([]invoice.AllowanceCharge(nil), l.Allowances...)
		l.Charges = append([]invoice.AllowanceCharge(nil), l.Charges...)
		c.Lines[i] = l
	}
	c.Allowances = append([]invoice.AllowanceCharge(nil), inv.Allowances...)
	c.Charges = append([]invoice.AllowanceCharge(nil), inv.Charges...)
	c.VAT = append([]invoice.VATBreakdown(nil), inv.VAT...)
	return &c
}

// negate turns a negative invoice into its positive counterpart: each line's amount changes
// sign (the quantity does, or a negative price becomes positive), as do allowances, charges,
// a mapped VAT breakdown and mapped totals.
func negate(inv *invoice.Invoice) {
	for i := range inv.Lines {
		l := &inv.Lines[i]
		if l.Price.Net != nil && l.Price.Net.Sign() < 0 {
			abs(&l.Price.Net)
			abs(&l.Price.Gross)
		} else {
			neg(&l.Quantity)
		}
		neg(&l.NetAmount)
		for _, acs := range [][]invoice.AllowanceCharge{l.Allowances, l.Charges} {
			for j := range acs {
				neg(&acs[j].Amount)
				neg(&acs[j].BaseAmount)
			}
		}
	}
	for _, acs := range [][]invoice.AllowanceCharge{inv.Allowances, inv.Charges} {
		for j := range acs {
			neg(&acs[j].Amount)
			neg(&acs[j].BaseAmount)
		}
	}
	for j := range inv.VAT {
		neg(&inv.VAT[j].TaxableAmount)
		neg(&inv.VAT[j].TaxAmount)
	}
	t := &inv.Totals
	for _, p := range []**decimal.Decimal{&t.LineTotal, &t.AllowanceTotal, &t.ChargeTotal, &t.TaxExclusive, &t.TaxTotal, &t.TaxTotalAcctCurr, &t.TaxInclusive, &t.Paid, &t.Rounding, &t.Payable} {
		neg(p)
	}
}

func neg(p **decimal.Decimal) {
	if *p != nil {
		*p = invoice.Ptr((*p).Neg())
	}
}

func abs(p **decimal.Decimal) {
	if *p != nil && (*p).Sign() < 0 {
		*p = invoice.Ptr((*p).Neg())
	}
}

// checkLineNets warns about each line whose mapped net amount (BT-131) is not quantity ×
// net price / base quantity − allowances + charges rounded to the cent, as EN 16931 defines
// it: software that rounds quantity × price × (1 − %) once may print a net one cent away,
// and a buyer's system that recomputes the line would then disagree with the invoice.
func (rn *run) checkLineNets(res *Result) {
	if !rn.m.mapsLineNet {
		return
	}
	for i := range res.Invoice.Lines {
		l := &res.Invoice.Lines[i]
		if l.NetAmount == nil || l.Quantity == nil || l.Price.Net == nil || !res.mapped(i, "", 0, "BT-131") {
			continue
		}
		want, ok := lineNet(l)
		if !ok || want.Equal(*l.NetAmount) {
			continue
		}
		pos := res.Locate(modelPath(i, "", 0), []string{"BT-131"})
		diff := l.NetAmount.Sub(want).Abs()
		res.Warnings = append(res.Warnings, Problem{Position: pos, BT: "BT-131", Rule: RuleLineNet,
			FR: fmt.Sprintf("le montant net de la ligne %s (BT-131) vaut %s alors que quantité × prix net − remises + frais donne %s (écart %s) : un destinataire qui recalcule la ligne ne la retrouvera pas ; déduisez la remise du montant net de l'export (voir « Des lignes justes au centime » dans docs/mapping.md)",
				l.ID, frNum(*l.NetAmount), frNum(want), frNum(diff)),
			EN: fmt.Sprintf("the net amount of line %s (BT-131) is %s but quantity × net price − allowances + charges gives %s (%s apart): a recipient that recomputes the line will not find it; derive the allowance from the export's net amount (see \"Lines that match the export to the cent\" in docs/mapping.md)",
				l.ID, l.NetAmount.StringFixed(2), want.StringFixed(2), diff.StringFixed(2))})
	}
}

// lineNet is quantity × net price / base quantity − allowances + charges, rounded to the
// cent (as invoice.Complete computes an absent BT-131); ok is false when a part is missing.
func lineNet(l *invoice.Line) (decimal.Decimal, bool) {
	base := decimal.NewFromInt(1)
	if q := l.Price.BaseQuantity; q != nil {
		if q.Sign() <= 0 {
			return decimal.Decimal{}, false
		}
		base = *q
	}
	adjust := decimal.Zero
	for _, a := range l.Allowances {
		if a.Amount == nil {
			return decimal.Decimal{}, false
		}
		adjust = adjust.Sub(*a.Amount)
	}
	for _, c := range l.Charges {
		if c.Amount == nil {
			return decimal.Decimal{}, false
		}
		adjust = adjust.Add(*c.Amount)
	}
	return l.Quantity.Mul(*l.Price.Net).Add(adjust.Mul(base)).DivRound(base, 2), true
}

// frNum writes an amount the French way: 1234,50.
func frNum(d decimal.Decimal) string { return strings.Replace(d.StringFixed(2), ".", ",", 1) }
