package ubl

import (
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
	"strings"

	"github.com/fluxgate/fluxgate/invoice"
)

// allowancesCharges writes cac:AllowanceCharge elements: the document level ones (BG-20,
// BG-21, with their VAT category) when doc is true, the line level ones (BG-27, BG-28)
// otherwise.
func (w *writer) allowancesCharges(parent *xmlw.Element, allowances, charges []invoice.AllowanceCharge, doc bool) {
	for i := range allowances {
		w.allowanceCharge(parent, &allowances[i], false, doc)
	}
	for i := range charges {
		w.allowanceCharge(parent, &charges[i], true, doc)
	}
}

func (w *writer) allowanceCharge(parent *xmlw.Element, ac *invoice.AllowanceCharge, charge, doc bool) {
	e := el(parent, "cac:AllowanceCharge")
	text(e, "cbc:ChargeIndicator", boolText(charge))
	text(e, "cbc:AllowanceChargeReasonCode", ac.ReasonCode)
	text(e, "cbc:AllowanceChargeReason", ac.Reason)
	number(e, "cbc:MultiplierFactorNumeric", ac.Percentage)
	w.amount(e, "cbc:Amount", ac.Amount)
	w.amount(e, "cbc:BaseAmount", ac.BaseAmount)
	if doc && (ac.VATCategory != "" || ac.VATRate != nil) {
		tc := el(e, "cac:TaxCategory")
		text(tc, "cbc:ID", ac.VATCategory)
		number(tc, "cbc:Percent", ac.VATRate)
		taxScheme(tc, schemeVAT)
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// allowanceTerms names, per group, the BT ids of the amount, base amount, percentage, VAT
// rate and reason.
func allowanceTerms(group string) [5]string {
	switch group {
	case "BG-20":
		return [5]string{"BT-92", "BT-93", "BT-94", "BT-96", "BT-97"}
	case "BG-21":
		return [5]string{"BT-99", "BT-100", "BT-101", "BT-103", "BT-104"}
	case "BG-27":
		return [5]string{"BT-136", "BT-137", "BT-138", "", "BT-139"}
	default: // BG-28
		return [5]string{"BT-141", "BT-142", "BT-143", "", "BT-144"}
	}
}

// readAllowancesCharges reads the document level allowances and charges.
func (r *reader) readAllowancesCharges(root *schematron.Node) {
	r.inv.Allowances, r.inv.Charges = r.readAllowanceCharges(root, "", "BG-20", "BG-21", true)
}

// readAllowanceCharges reads the cac:AllowanceCharge children of parent into allowances and
// charges; prefix ("" or "BG-25[n]/") and the group ids build the finding paths.
func (r *reader) readAllowanceCharges(parent *schematron.Node, prefix, allowanceGroup, chargeGroup string, doc bool) (allowances, charges []invoice.AllowanceCharge) {
	for _, e := range elements(parent, "cac:AllowanceCharge") {
		ind := child(e, "cbc:ChargeIndicator")
		charge, ok := parseBool(textOf(ind))
		group, n := allowanceGroup, len(allowances)+1
		if charge {
			group, n = chargeGroup, len(charges)+1
		}
		path := prefix + group + "[" + itoa(n) + "]"
		if !ok {
			where := ind
			if where == nil {
				where = e
			}
			r.finding(invoice.Fatal, where, path,
				"the charge indicator is missing or not a boolean; read as an allowance",
				"l'indicateur de charge est absent ou n'est pas un booléen ; lu comme une remise", group)
		}
		bt := allowanceTerms(group)
		ac := invoice.AllowanceCharge{
			ReasonCode: textOf(child(e, "cbc:AllowanceChargeReasonCode")),
			Reason:     textOf(r.one(e, "cbc:AllowanceChargeReason", path, bt[4])),
			Percentage: r.dec(child(e, "cbc:MultiplierFactorNumeric"), path, bt[2]),
			Amount:     r.amount(child(e, "cbc:Amount"), path, bt[0], r.inv.Currency),
			BaseAmount: r.amount(child(e, "cbc:BaseAmount"), path, bt[1], r.inv.Currency),
		}
		if tc := child(e, "cac:TaxCategory"); tc != nil && doc {
			ac.VATCategory = textOf(child(tc, "cbc:ID"))
			ac.VATRate = r.dec(child(tc, "cbc:Percent"), path, bt[3])
		}
		if charge {
			charges = append(charges, ac)
		} else {
			allowances = append(allowances, ac)
		}
	}
	return allowances, charges
}

// parseBool reads an xsd:boolean.
func parseBool(s string) (v, ok bool) {
	switch strings.TrimSpace(s) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}
