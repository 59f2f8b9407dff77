package invoice

import (
	"github.com/shopspring/decimal"
)

// Complete fills the amounts a legacy export usually leaves out, as EN 16931 computes them.
// It never replaces a value that is present, so that Check still catches an export whose own
// amounts are inconsistent. It fills, in this order:
//
//   - the line net price (BT-146) as gross price (BT-148) minus price discount (BT-147);
//   - line allowance and charge amounts (BT-136, BT-141) as base × percentage / 100;
//   - the line net amount (BT-131) as quantity × net price / base quantity (1 when absent)
//     minus line allowances plus line charges;
//   - document allowance and charge amounts (BT-92, BT-99) as base × percentage / 100;
//   - the VAT breakdown (BG-23), when it is empty, per VAT category and rate;
//   - each absent document total of BG-22 (BT-106 to BT-110, BT-112, BT-115).
//
// Every computed amount is rounded to two decimals, half away from zero. Complete leaves the
// specification identifier (BT-24), exemption reasons (BT-120, BT-121) and every non-amount
// term to the mapping.
func Complete(inv *Invoice) {
	if inv == nil {
		return
	}
	for i := range inv.Lines {
		completeLine(&inv.Lines[i])
	}
	completeAllowanceCharges(inv.Allowances)
	completeAllowanceCharges(inv.Charges)
	if len(inv.VAT) == 0 {
		inv.VAT = VATBreakdownOf(inv)
	}
	completeTotals(inv)
}

var (
	one   = decimal.NewFromInt(1)
	zero2 = decimal.New(0, -2) // 0.00
)

// round2 rounds to two decimals, half away from zero (EN 16931 commercial rounding).
func round2(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// or0 is the value of an optional amount, zero when absent.
func or0(p *decimal.Decimal) decimal.Decimal {
	if p == nil {
		return decimal.Zero
	}
	return *p
}

func ptr(d decimal.Decimal) *decimal.Decimal { return &d }

// percentOf is base × pct / 100 rounded to two decimals.
func percentOf(base, pct decimal.Decimal) decimal.Decimal {
	return round2(base.Mul(pct).Shift(-2))
}

func completeAllowanceCharges(acs []AllowanceCharge) {
	for i := range acs {
		ac := &acs[i]
		if ac.Amount == nil && ac.BaseAmount != nil && ac.Percentage != nil {
			ac.Amount = ptr(percentOf(*ac.BaseAmount, *ac.Percentage))
		}
	}
}

func completeLine(l *Line) {
	p := &l.Price
	if p.Net == nil && p.Gross != nil {
		p.Net = ptr(p.Gross.Sub(or0(p.Discount)))
	}
	completeAllowanceCharges(l.Allowances)
	completeAllowanceCharges(l.Charges)
	if l.NetAmount != nil || l.Quantity == nil || p.Net == nil {
		return
	}
	base := one
	if p.BaseQuantity != nil {
		if p.BaseQuantity.Sign() <= 0 {
			return // nonsense base quantity: leave BT-131 absent, BR-24 reports it
		}
		base = *p.BaseQuantity
	}
	adjust := decimal.Zero // Σ charges − Σ allowances
	for _, a := range l.Allowances {
		if a.Amount == nil {
			return // BR-41 reports the allowance without amount
		}
		adjust = adjust.Sub(*a.Amount)
	}
	for _, c := range l.Charges {
		if c.Amount == nil {
			return
		}
		adjust = adjust.Add(*c.Amount)
	}
	// (quantity × net + adjust × base) / base, rounded once.
	l.NetAmount = ptr(l.Quantity.Mul(*p.Net).Add(adjust.Mul(base)).DivRound(base, 2))
}

// zeroTaxCategories are the VAT categories whose tax amount is always zero.
var zeroTaxCategories = map[string]bool{"Z": true, "E": true, "AE": true, "K": true, "G": true, "O": true}

// VATBreakdownOf computes the VAT breakdown (BG-23) of inv from its lines, document
// allowances (subtracted) and document charges (added): one entry per VAT category and rate,
// in the order they first occur. The taxable amount (BT-116) is the rounded sum; the tax
// amount (BT-117) is taxable × rate / 100 rounded once per category and rate, as EN 16931
// requires, and zero for categories Z, E, AE, K, G and O. Items without a VAT category or
// without an amount are left out (BR-CO-04, BR-24, BR-31 and BR-36 report them).
func VATBreakdownOf(inv *Invoice) []VATBreakdown {
	type group struct {
		cat  string
		rate *decimal.Decimal
		sum  decimal.Decimal
	}
	var groups []group
	index := map[string]int{}
	add := func(cat string, rate, amount *decimal.Decimal, sub bool) {
		if cat == "" || amount == nil {
			return
		}
		key := cat + "|"
		if rate != nil {
			key += rate.String() // String drops trailing zeros: 20 and 20.00 group together
		}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			g := group{cat: cat, sum: decimal.Zero}
			if rate != nil {
				g.rate = ptr(*rate)
			}
			groups = append(groups, g)
		}
		if sub {
			groups[i].sum = groups[i].sum.Sub(*amount)
		} else {
			groups[i].sum = groups[i].sum.Add(*amount)
		}
	}
	for _, l := range inv.Lines {
		add(l.VATCategory, l.VATRate, l.NetAmount, false)
	}
	for _, a := range inv.Allowances {
		add(a.VATCategory, a.VATRate, a.Amount, true)
	}
	for _, c := range inv.Charges {
		add(c.VATCategory, c.VATRate, c.Amount, false)
	}
	if len(groups) == 0 {
		return nil
	}
	out := make([]VATBreakdown, len(groups))
	for i, g := range groups {
		taxable := round2(g.sum)
		tax := zero2
		if !zeroTaxCategories[g.cat] && g.rate != nil {
			tax = percentOf(taxable, *g.rate)
		}
		out[i] = VATBreakdown{
			TaxableAmount: ptr(taxable),
			TaxAmount:     ptr(tax),
			Category:      g.cat,
			Rate:          g.rate,
		}
	}
	return out
}

func completeTotals(inv *Invoice) {
	t := &inv.Totals
	if t.LineTotal == nil {
		s := zero2
		for _, l := range inv.Lines {
			s = s.Add(or0(l.NetAmount))
		}
		t.LineTotal = ptr(round2(s))
	}
	if t.AllowanceTotal == nil && len(inv.Allowances) > 0 {
		t.AllowanceTotal = ptr(round2(sumAmounts(inv.Allowances)))
	}
	if t.ChargeTotal == nil && len(inv.Charges) > 0 {
		t.ChargeTotal = ptr(round2(sumAmounts(inv.Charges)))
	}
	if t.TaxExclusive == nil {
		t.TaxExclusive = ptr(round2(t.LineTotal.Sub(or0(t.AllowanceTotal)).Add(or0(t.ChargeTotal))))
	}
	if t.TaxTotal == nil {
		s := zero2
		for _, v := range inv.VAT {
			s = s.Add(or0(v.TaxAmount))
		}
		t.TaxTotal = ptr(round2(s))
	}
	if t.TaxInclusive == nil {
		t.TaxInclusive = ptr(round2(t.TaxExclusive.Add(*t.TaxTotal)))
	}
	if t.Payable == nil {
		t.Payable = ptr(round2(t.TaxInclusive.Sub(or0(t.Paid)).Add(or0(t.Rounding))))
	}
}

func sumAmounts(acs []AllowanceCharge) decimal.Decimal {
	s := decimal.Zero
	for _, ac := range acs {
		s = s.Add(or0(ac.Amount))
	}
	return s
}
