package cii

import (
	"fmt"
	"github.com/fluxgate/fluxgate/internal/schematron"

	"github.com/fluxgate/fluxgate/internal/xmlw"
	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
)

// Totals (BG-22) in ram:SpecifiedTradeSettlementHeaderMonetarySummation and the VAT
// breakdown (BG-23) in the header ram:ApplicableTradeTax, which also carries the VAT point
// date (BT-7) and its code (BT-8).

// BT-8: the model holds UNTDID 2005 codes (as UBL writes them); CII writes UNTDID 2475.
var (
	taxPointCodeToCII   = map[string]string{"3": "5", "35": "29", "432": "72"}
	taxPointCodeFromCII = map[string]string{"5": "3", "29": "35", "72": "432"}
)

func mapCode(m map[string]string, code string) string {
	if c, ok := m[code]; ok {
		return c
	}
	return code
}

func (w *writer) vatBreakdown(s *xmlw.Element) {
	inv := w.inv
	if len(inv.VAT) == 0 && (!inv.TaxPointDate.IsZero() || inv.TaxPointDateCode != "") {
		w.cannot("CII carries BT-7/BT-8 in a VAT breakdown (BG-23), and the invoice has none")
	}
	for i, v := range inv.VAT {
		t := s.CreateElement("ram:ApplicableTradeTax")
		amount(t, "ram:CalculatedAmount", v.TaxAmount)
		text(t, "ram:TypeCode", "VAT")
		text(t, "ram:ExemptionReason", v.ExemptionReason)
		amount(t, "ram:BasisAmount", v.TaxableAmount)
		text(t, "ram:CategoryCode", v.Category)
		text(t, "ram:ExemptionReasonCode", v.ExemptionReasonCode)
		if i == 0 { // CII-SR-461, CII-SR-462: once per document
			dateIn(t, "ram:TaxPointDate", "udt:DateString", inv.TaxPointDate)
			text(t, "ram:DueDateTypeCode", mapCode(taxPointCodeToCII, inv.TaxPointDateCode))
		}
		number(t, "ram:RateApplicablePercent", v.Rate)
	}
}

func (r *reader) vatBreakdown(s *schematron.Node, inv *invoice.Invoice) {
	for _, t := range children(s, "ApplicableTradeTax") {
		v := invoice.VATBreakdown{
			TaxAmount:           r.dec(child(t, "CalculatedAmount"), "BT-117"),
			TaxableAmount:       r.dec(child(t, "BasisAmount"), "BT-116"),
			Category:            textOf(t, "CategoryCode"),
			Rate:                r.dec(child(t, "RateApplicablePercent"), "BT-119"),
			ExemptionReason:     textOf(t, "ExemptionReason"),
			ExemptionReasonCode: textOf(t, "ExemptionReasonCode"),
		}
		if tc := textOf(t, "TypeCode"); tc != "VAT" {
			r.finding(t, invoice.Fatal, "CII-DT-037", []string{"BG-23"}, "TypeCode doit valoir 'VAT'", "TypeCode shall be 'VAT'")
		}
		if e := child(t, "TaxPointDate"); e != nil {
			d := r.date(e, "BT-7")
			switch {
			case inv.TaxPointDate.IsZero():
				inv.TaxPointDate = d
			case d != inv.TaxPointDate:
				r.finding(e, invoice.Fatal, "CII-SR-461", []string{"BT-7"},
					"une seule date d'exigibilité de la TVA est admise ; les suivantes sont ignorées",
					"only one TaxPointDate shall be present; the others are ignored")
			}
		}
		if e := child(t, "DueDateTypeCode"); e != nil {
			c := mapCode(taxPointCodeFromCII, value(e))
			switch {
			case inv.TaxPointDateCode == "":
				inv.TaxPointDateCode = c
			case c != inv.TaxPointDateCode:
				r.finding(e, invoice.Fatal, "CII-SR-462", []string{"BT-8"},
					"un seul code de date d'exigibilité de la TVA est admis ; les suivants sont ignorés",
					"only one DueDateTypeCode shall be present; the others are ignored")
			}
		}
		inv.VAT = append(inv.VAT, v)
	}
}

func (w *writer) totals(s *xmlw.Element) {
	inv, t := w.inv, w.inv.Totals
	if t == (invoice.Totals{}) {
		return
	}
	m := s.CreateElement("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
	amount(m, "ram:LineTotalAmount", t.LineTotal)
	amount(m, "ram:ChargeTotalAmount", t.ChargeTotal)
	amount(m, "ram:AllowanceTotalAmount", t.AllowanceTotal)
	amount(m, "ram:TaxBasisTotalAmount", t.TaxExclusive)
	if e := amount(m, "ram:TaxTotalAmount", t.TaxTotal); e != nil && inv.Currency != "" {
		e.CreateAttr("currencyID", inv.Currency)
	}
	switch {
	case t.TaxTotalAcctCurr == nil:
	case inv.TaxCurrency == "":
		w.cannot("BT-111 (VAT total in accounting currency) needs BT-6 (VAT accounting currency)")
	case sameCurrency(inv):
		// BT-6 is left out (see settlement): BT-111 is then BT-110 itself.
		if t.TaxTotal != nil && !t.TaxTotal.Equal(*t.TaxTotalAcctCurr) {
			w.cannot("BT-111 (%s) differs from BT-110 (%s) in the same currency %s", t.TaxTotalAcctCurr, t.TaxTotal, inv.Currency)
		}
		if t.TaxTotal == nil {
			amount(m, "ram:TaxTotalAmount", t.TaxTotalAcctCurr).CreateAttr("currencyID", inv.Currency)
		}
	default:
		amount(m, "ram:TaxTotalAmount", t.TaxTotalAcctCurr).CreateAttr("currencyID", inv.TaxCurrency)
	}
	amount(m, "ram:RoundingAmount", t.Rounding)
	amount(m, "ram:GrandTotalAmount", t.TaxInclusive)
	amount(m, "ram:TotalPrepaidAmount", t.Paid)
	amount(m, "ram:DuePayableAmount", t.Payable)
}

func (r *reader) totals(m *schematron.Node, inv *invoice.Invoice) {
	if m == nil {
		return
	}
	t := &inv.Totals
	t.LineTotal = r.once(m, "LineTotalAmount", "BT-106", "CII-SR-477")
	t.ChargeTotal = r.once(m, "ChargeTotalAmount", "BT-108", "CII-SR-478")
	t.AllowanceTotal = r.once(m, "AllowanceTotalAmount", "BT-107", "CII-SR-479")
	t.TaxExclusive = r.once(m, "TaxBasisTotalAmount", "BT-109", "CII-SR-480")
	t.Rounding = r.once(m, "RoundingAmount", "BT-114", "CII-SR-481")
	t.TaxInclusive = r.once(m, "GrandTotalAmount", "BT-112", "CII-SR-482")
	t.Paid = r.once(m, "TotalPrepaidAmount", "BT-113", "CII-SR-484")
	t.Payable = r.once(m, "DuePayableAmount", "BT-115", "CII-SR-487")
	for _, e := range children(m, "TaxTotalAmount") {
		cur := attr(e, "currencyID")
		acct := inv.TaxCurrency != "" && inv.TaxCurrency != inv.Currency && cur == inv.TaxCurrency
		switch {
		case acct && t.TaxTotalAcctCurr == nil:
			t.TaxTotalAcctCurr = r.dec(e, "BT-111")
		case !acct && inv.Currency != "" && cur != inv.Currency:
			// Neither the invoice currency nor the VAT accounting one: not BT-110, so that
			// BR-CO-15 judges the totals as the official rule does (it counts only a tax total
			// in the invoice currency).
			r.finding(e, invoice.Fatal, "", []string{"BT-110"},
				fmt.Sprintf("TaxTotalAmount en devise « %s », ni celle de la facture (%s) ni celle de comptabilisation de la TVA : ignoré", cur, inv.Currency),
				fmt.Sprintf("TaxTotalAmount in currency %q, neither the invoice currency (%s) nor the VAT accounting currency: ignored", cur, inv.Currency))
		case !acct && t.TaxTotal == nil:
			t.TaxTotal = r.dec(e, "BT-110")
		case !acct && cur != "" && cur == inv.Currency && inv.TaxCurrency != inv.Currency:
			// The official BR-CO-15 requires exactly one tax total in the invoice currency.
			r.finding(e, invoice.Fatal, "BR-CO-15", []string{"BT-110", "BT-112", "BT-109"},
				"le montant total de TVA (BT-110) dans la devise de la facture apparaît plusieurs fois ; seul le premier est conservé",
				"the total VAT amount (BT-110) in the invoice currency is given more than once; only the first is kept")
		case t.TaxTotalAcctCurr == nil:
			t.TaxTotalAcctCurr = r.dec(e, "BT-111")
		default:
			r.finding(e, invoice.Fatal, "", []string{"BT-110", "BT-111"},
				"TaxTotalAmount en trop (au plus un dans la devise de la facture et un dans la devise de TVA) ; ignoré",
				"extra TaxTotalAmount (at most one in the invoice currency and one in the VAT accounting currency); ignored")
		}
	}
}

// once reads an amount that may occur once; repetitions are findings under rule.
func (r *reader) once(parent *schematron.Node, local, bt, rule string) *decimal.Decimal {
	e, again := firstTwo(parent, local)
	if again != nil { // the messages are built only then
		r.finding(again, invoice.Fatal, rule, []string{bt},
			local+" ne doit apparaître qu'une fois ; les suivants sont ignorés",
			local+" shall occur at most once; the others are ignored")
	}
	if e == nil {
		return nil
	}
	return r.dec(e, bt)
}
