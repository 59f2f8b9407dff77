package cii

import (
	"fmt"
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
	"strings"

	"github.com/fluxgate/fluxgate/invoice"
)

// Allowances and charges: document level (BG-20, BG-21) and line level (BG-27, BG-28), all
// ram:SpecifiedTradeAllowanceCharge told apart by ram:ChargeIndicator.

func (w *writer) documentAllowanceCharges(s *xmlw.Element) {
	for i := range w.inv.Allowances {
		allowanceCharge(s, &w.inv.Allowances[i], false, true)
	}
	for i := range w.inv.Charges {
		allowanceCharge(s, &w.inv.Charges[i], true, true)
	}
}

func (r *reader) documentAllowanceCharges(s *schematron.Node, inv *invoice.Invoice) {
	for _, e := range children(s, "SpecifiedTradeAllowanceCharge") {
		ac, charge := r.allowanceCharge(e, true, "")
		if charge {
			inv.Charges = append(inv.Charges, ac)
		} else {
			inv.Allowances = append(inv.Allowances, ac)
		}
	}
}

// allowanceCharge writes one ram:SpecifiedTradeAllowanceCharge in schema order; withTax
// adds its ram:CategoryTradeTax (document level only: lines carry no VAT per allowance).
func allowanceCharge(parent *xmlw.Element, ac *invoice.AllowanceCharge, charge, withTax bool) {
	e := parent.CreateElement("ram:SpecifiedTradeAllowanceCharge")
	indicator(e, "ram:ChargeIndicator", charge)
	number(e, "ram:CalculationPercent", ac.Percentage)
	amount(e, "ram:BasisAmount", ac.BaseAmount)
	amount(e, "ram:ActualAmount", ac.Amount)
	text(e, "ram:ReasonCode", ac.ReasonCode)
	text(e, "ram:Reason", ac.Reason)
	if withTax && (ac.VATCategory != "" || ac.VATRate != nil) {
		t := e.CreateElement("ram:CategoryTradeTax")
		text(t, "ram:TypeCode", "VAT")
		text(t, "ram:CategoryCode", ac.VATCategory)
		number(t, "ram:RateApplicablePercent", ac.VATRate)
	}
}

// allowanceCharge reads one ram:SpecifiedTradeAllowanceCharge and tells whether it is a
// charge; linePath is set for a line allowance or charge (it picks the BT ids of findings).
func (r *reader) allowanceCharge(e *schematron.Node, withTax bool, linePath string) (invoice.AllowanceCharge, bool) {
	charge, ok := r.indicator(child(e, "ChargeIndicator"))
	if !ok {
		r.finding(e, invoice.Fatal, "CII-SR-463", []string{"BG-20", "BG-21"},
			"ChargeIndicator absent ou invalide : lu comme une remise",
			"ChargeIndicator missing or invalid: read as an allowance")
	}
	bt := map[bool]string{false: "BT-92", true: "BT-99"}[charge]
	if linePath != "" {
		bt = map[bool]string{false: "BT-136", true: "BT-141"}[charge]
	}
	amounts := children(e, "ActualAmount")
	ac := invoice.AllowanceCharge{
		Percentage: r.dec(child(e, "CalculationPercent"), "BT-94"),
		BaseAmount: r.dec(child(e, "BasisAmount"), "BT-93"),
		ReasonCode: textOf(e, "ReasonCode"),
		Reason:     textOf(e, "Reason"),
	}
	if len(amounts) > 0 {
		ac.Amount = r.dec(amounts[0], bt)
	}
	if len(amounts) > 1 {
		r.finding(amounts[1], invoice.Fatal, "CII-SR-473", []string{bt},
			"ActualAmount ne doit apparaître qu'une fois ; les suivants sont ignorés",
			"ActualAmount should exist maximum once; the others are ignored")
	}
	if withTax {
		if t := child(e, "CategoryTradeTax"); t != nil {
			ac.VATCategory = textOf(t, "CategoryCode")
			ac.VATRate = r.dec(child(t, "RateApplicablePercent"), "BT-96")
		}
	}
	return ac, charge
}

// indicator reads a ram:…Indicator holding udt:Indicator (or udt:IndicatorString).
func (r *reader) indicator(e *schematron.Node) (v, ok bool) {
	ind := child(e, "Indicator")
	if ind == nil {
		ind = child(e, "IndicatorString")
	}
	switch s := strings.ToLower(value(ind)); s {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	case "":
		return false, false
	default:
		r.finding(ind, invoice.Fatal, "", nil,
			fmt.Sprintf("indicateur %q invalide (true ou false attendu)", s),
			fmt.Sprintf("indicator %q is invalid (true or false expected)", s))
		return false, false
	}
}
