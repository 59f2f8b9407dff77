package invoice

import (
	"strings"

	"github.com/shopspring/decimal"
)

// The VAT category rules: one block of ten rules per VAT category (UNCL 5305 code), with
// the same shape for each category:
//
//	-01 a category used by a line, allowance or charge has its VAT breakdown
//	-02…-04 the parties' identifiers a line, allowance or charge of the category requires
//	-05…-07 the VAT rate of lines, allowances and charges of the category
//	-08 the breakdown's taxable amount is the sum of the category's items
//	-09 the breakdown's tax amount
//	-10 the exemption reason, required or forbidden
//
// plus BR-IC-11/12, BR-O-11…14 and BR-B-01/02.

type rateKind int

const (
	ratePositive    rateKind = iota // > 0
	rateZero                        // = 0
	rateNonNegative                 // >= 0
	rateNone                        // absent
)

type idsKind int

const (
	idsSeller         idsKind = iota // BT-31, BT-32 or BT-63
	idsSellerAndBuyer                // (BT-31, BT-32 or BT-63) and (BT-48 or BT-47)
	idsSellerVATBuyer                // (BT-31 or BT-63) and BT-48
	idsSellerVAT                     // BT-31 or BT-63
	idsNone                          // none of BT-31, BT-63, BT-48
)

type vatCategory struct {
	code, prefix string
	fr, en       string // the category as messages name it
	atLeastOne   bool   // -01: at least one breakdown (else exactly one)
	rate         rateKind
	perRate      bool // -08 per rate, -09 tax = taxable × rate (else tax = 0)
	exemption    bool // -10: an exemption reason is required (else forbidden)
	ids          idsKind
}

var vatCategories = []vatCategory{
	{"S", "BR-S", "S (taux normal)", "S (standard rated)", true, ratePositive, true, false, idsSeller},
	{"Z", "BR-Z", "Z (taux zéro)", "Z (zero rated)", false, rateZero, false, false, idsSeller},
	{"E", "BR-E", "E (exonéré de TVA)", "E (exempt from VAT)", false, rateZero, false, true, idsSeller},
	{"AE", "BR-AE", "AE (autoliquidation)", "AE (VAT reverse charge)", false, rateZero, false, true, idsSellerAndBuyer},
	{"K", "BR-IC", "K (livraison intracommunautaire)", "K (intra-community supply)", false, rateZero, false, true, idsSellerVATBuyer},
	{"G", "BR-G", "G (exportation hors UE)", "G (export outside the EU)", false, rateZero, false, true, idsSellerVAT},
	{"O", "BR-O", "O (hors champ de la TVA)", "O (not subject to VAT)", false, rateNone, false, true, idsNone},
	{"L", "BR-AF", "L (IGIC, Canaries)", "L (IGIC, Canary Islands)", true, rateNonNegative, true, false, idsSeller},
	{"M", "BR-AG", "M (IPSI, Ceuta et Melilla)", "M (IPSI, Ceuta and Melilla)", true, rateNonNegative, true, false, idsSeller},
}

type itemKind int

const (
	itemLine itemKind = iota
	itemAllowance
	itemCharge
)

// eachVATItem calls f for every line, document allowance and document charge with its VAT
// category, rate and amount (an allowance's amount counts negatively in sums).
func eachVATItem(inv *Invoice, f func(kind itemKind, i int, cat string, rate, amount *decimal.Decimal)) {
	for i := range inv.Lines {
		l := &inv.Lines[i]
		f(itemLine, i, strings.TrimSpace(l.VATCategory), l.VATRate, l.NetAmount)
	}
	for i := range inv.Allowances {
		a := &inv.Allowances[i]
		f(itemAllowance, i, strings.TrimSpace(a.VATCategory), a.VATRate, a.Amount)
	}
	for i := range inv.Charges {
		c := &inv.Charges[i]
		f(itemCharge, i, strings.TrimSpace(c.VATCategory), c.VATRate, c.Amount)
	}
}

func usesCategory(inv *Invoice, kind itemKind, code string) bool {
	found := false
	eachVATItem(inv, func(k itemKind, _ int, cat string, _, _ *decimal.Decimal) {
		if k == kind && cat == code {
			found = true
		}
	})
	return found
}

func usesCategoryAnywhere(inv *Invoice, code string) bool {
	return usesCategory(inv, itemLine, code) || usesCategory(inv, itemAllowance, code) ||
		usesCategory(inv, itemCharge, code)
}

func breakdownCount(inv *Invoice, code string) int {
	n := 0
	for i := range inv.VAT {
		if strings.TrimSpace(inv.VAT[i].Category) == code {
			n++
		}
	}
	return n
}

func (c vatCategory) idsOK(inv *Invoice) bool {
	rep := ""
	if inv.TaxRepresentative != nil {
		rep = inv.TaxRepresentative.VATID
	}
	sellerVAT := !blank(inv.Seller.VATID) || !blank(rep)
	sellerAny := sellerVAT || !blank(inv.Seller.TaxRegistrationID)
	switch c.ids {
	case idsSeller:
		return sellerAny
	case idsSellerAndBuyer:
		return sellerAny && (!blank(inv.Buyer.VATID) || !blank(inv.Buyer.LegalID.Value))
	case idsSellerVATBuyer:
		return sellerVAT && !blank(inv.Buyer.VATID)
	case idsSellerVAT:
		return sellerVAT
	default: // idsNone
		return !sellerVAT && blank(inv.Buyer.VATID)
	}
}

func (c vatCategory) rateOK(rate *decimal.Decimal) bool {
	switch c.rate {
	case ratePositive:
		return rate != nil && rate.Sign() > 0
	case rateZero:
		return rate != nil && rate.Sign() == 0
	case rateNonNegative:
		return rate != nil && rate.Sign() >= 0
	default: // rateNone
		return rate == nil
	}
}

func (c vatCategory) rules() []Rule {
	name := func(s string) string { return strings.ReplaceAll(s, "{catname}", c.fr) }
	nameEN := func(s string) string { return strings.ReplaceAll(s, "{catname}", c.en) }
	var rules []Rule

	// -01
	fr01 := "La facture utilise la catégorie de TVA {catname} : elle doit comporter exactement un récapitulatif de TVA (BG-23) de cette catégorie (elle en a {count})."
	en01 := "The invoice uses VAT category {catname}: it must have exactly one VAT breakdown (BG-23) of that category (it has {count})."
	if c.atLeastOne {
		fr01 = "La catégorie de TVA {catname} doit figurer à la fois dans les lignes, remises ou frais et dans le récapitulatif de TVA (BG-23), ou dans aucun des deux."
		en01 = "VAT category {catname} must appear both in the lines, allowances or charges and in the VAT breakdown (BG-23), or in neither."
	}
	rules = append(rules, Rule{ID: c.prefix + "-01", Severity: Fatal, BT: []string{"BT-151", "BT-95", "BT-102", "BT-118"},
		FR: name(fr01), EN: nameEN(en01),
		Check: func(inv *Invoice, report Report) {
			used, n := usesCategoryAnywhere(inv, c.code), breakdownCount(inv, c.code)
			if c.atLeastOne {
				if used != (n > 0) {
					report("", "count", n)
				}
			} else if (used || n > 0) && n != 1 {
				report("", "count", n)
			}
		}})

	// -02…-04
	var idsFR, idsEN string
	var idsBT []string
	switch c.ids {
	case idsSeller:
		idsFR = "le numéro de TVA du vendeur (BT-31), son identifiant fiscal (BT-32) ou le numéro de TVA de son représentant fiscal (BT-63) doit être indiqué"
		idsEN = "the seller VAT identifier (BT-31), the seller tax registration identifier (BT-32) or the tax representative VAT identifier (BT-63) must be given"
		idsBT = []string{"BT-31", "BT-32", "BT-63"}
	case idsSellerAndBuyer:
		idsFR = "le numéro de TVA du vendeur (BT-31, ou BT-32, ou BT-63 de son représentant fiscal) et le numéro de TVA (BT-48) ou d'immatriculation (BT-47) de l'acheteur doivent être indiqués"
		idsEN = "the seller VAT identifier (BT-31, or BT-32, or the tax representative's BT-63) and the buyer VAT identifier (BT-48) or legal registration identifier (BT-47) must be given"
		idsBT = []string{"BT-31", "BT-32", "BT-63", "BT-48", "BT-47"}
	case idsSellerVATBuyer:
		idsFR = "le numéro de TVA du vendeur (BT-31, ou BT-63 de son représentant fiscal) et celui de l'acheteur (BT-48) doivent être indiqués"
		idsEN = "the seller VAT identifier (BT-31, or the tax representative's BT-63) and the buyer VAT identifier (BT-48) must be given"
		idsBT = []string{"BT-31", "BT-63", "BT-48"}
	case idsSellerVAT:
		idsFR = "le numéro de TVA du vendeur (BT-31) ou de son représentant fiscal (BT-63) doit être indiqué"
		idsEN = "the seller VAT identifier (BT-31) or the tax representative VAT identifier (BT-63) must be given"
		idsBT = []string{"BT-31", "BT-63"}
	case idsNone:
		idsFR = "la facture ne doit comporter ni le numéro de TVA du vendeur (BT-31), ni celui de son représentant fiscal (BT-63), ni celui de l'acheteur (BT-48)"
		idsEN = "the invoice must not contain the seller VAT identifier (BT-31), the tax representative VAT identifier (BT-63) or the buyer VAT identifier (BT-48)"
		idsBT = []string{"BT-31", "BT-63", "BT-48"}
	}
	for n, it := range []struct {
		kind   itemKind
		fr, en string
		bt     string
	}{
		{itemLine, "une ligne", "an invoice line", "BT-151"},
		{itemAllowance, "une remise de pied de facture", "a document level allowance", "BT-95"},
		{itemCharge, "des frais de pied de facture", "a document level charge", "BT-102"},
	} {
		rules = append(rules, Rule{ID: c.prefix + "-0" + itoa(n+2), Severity: Fatal, BT: append([]string{it.bt}, idsBT...),
			FR: "La facture comporte " + it.fr + " en catégorie de TVA " + c.fr + " : " + idsFR + ".",
			EN: "The invoice has " + it.en + " in VAT category " + c.en + ": " + idsEN + ".",
			Check: func(inv *Invoice, report Report) {
				if usesCategory(inv, it.kind, c.code) && !c.idsOK(inv) {
					report("")
				}
			}})
	}

	// -05…-07
	var rateFR, rateEN string
	switch c.rate {
	case ratePositive:
		rateFR, rateEN = "doit être supérieur à zéro", "must be greater than zero"
	case rateZero:
		rateFR, rateEN = "doit être 0", "must be 0"
	case rateNonNegative:
		rateFR, rateEN = "doit être 0 ou plus", "must be 0 or more"
	case rateNone:
		rateFR, rateEN = "ne doit pas être indiqué", "must not be given"
	}
	for n, it := range []struct {
		kind   itemKind
		fr, en string
		bt     string
		path   func(int) string
	}{
		{itemLine, "Ligne {item}", "Line {item}", "BT-152", LinePath},
		{itemAllowance, "Remise de pied de facture n°{item}", "Document level allowance {item}", "BT-96", allowancePath},
		{itemCharge, "Frais de pied de facture n°{item}", "Document level charge {item}", "BT-103", chargePath},
	} {
		rules = append(rules, Rule{ID: c.prefix + "-0" + itoa(n+5), Severity: Fatal, BT: []string{it.bt},
			FR: it.fr + " : en catégorie de TVA " + c.fr + ", le taux de TVA (" + it.bt + " = {rate}) " + rateFR + ".",
			EN: it.en + ": in VAT category " + c.en + ", the VAT rate (" + it.bt + " = {rate}) " + rateEN + ".",
			Check: func(inv *Invoice, report Report) {
				eachVATItem(inv, func(k itemKind, i int, cat string, rate, _ *decimal.Decimal) {
					if k != it.kind || cat != c.code || c.rateOK(rate) {
						return
					}
					item := itoa(i + 1)
					if k == itemLine {
						item = lineID(&inv.Lines[i], i)
					}
					report(it.path(i), "item", item, "rate", rateArg(rate))
				})
			}})
	}

	// -08
	fr08 := "Récapitulatif de TVA {catname} : la base imposable (BT-116 = {taxable}) doit être la somme des lignes, moins les remises, plus les frais de cette catégorie ({sum})."
	en08 := "VAT breakdown {catname}: the taxable amount (BT-116 = {taxable}) must equal the line net amounts minus allowances plus charges of that category ({sum})."
	if c.perRate {
		fr08 = "Récapitulatif de TVA {catname} à {rate} % : la base imposable (BT-116 = {taxable}) doit être la somme des lignes, moins les remises, plus les frais de cette catégorie à ce taux ({sum})."
		en08 = "VAT breakdown {catname} at {rate} %: the taxable amount (BT-116 = {taxable}) must equal the line net amounts minus allowances plus charges of that category and rate ({sum})."
	}
	rules = append(rules, Rule{ID: c.prefix + "-08", Severity: Fatal, BT: []string{"BT-116", "BT-131", "BT-92", "BT-99"},
		FR: name(fr08), EN: nameEN(en08),
		Check: func(inv *Invoice, report Report) {
			for i := range inv.VAT {
				v := &inv.VAT[i]
				if strings.TrimSpace(v.Category) != c.code || v.TaxableAmount == nil {
					continue
				}
				if c.perRate && v.Rate == nil {
					continue // BR-48 reports the missing rate
				}
				sum, items := decimal.Zero, 0
				eachVATItem(inv, func(k itemKind, _ int, cat string, rate, amount *decimal.Decimal) {
					if cat != c.code || (c.perRate && (rate == nil || !rate.Equal(*v.Rate))) {
						return
					}
					items++
					if k == itemAllowance {
						sum = sum.Sub(or0(amount))
					} else {
						sum = sum.Add(or0(amount))
					}
				})
				// As the official schematrons: the sum rounded (half up) to two decimals.
				if !v.TaxableAmount.Equal(xpathRound(sum, 2)) || (c.perRate && items == 0) {
					report(vatPath(i), "rate", rateArg(v.Rate), "taxable", v.TaxableAmount, "sum", sum)
				}
			}
		}})

	// -09
	fr09 := "Récapitulatif de TVA {catname} : le montant de TVA (BT-117 = {tax}) doit être 0."
	en09 := "VAT breakdown {catname}: the VAT amount (BT-117 = {tax}) must be 0."
	if c.perRate {
		fr09 = "Récapitulatif de TVA {catname} à {rate} % : le montant de TVA (BT-117 = {tax}) doit valoir base {taxable} × {rate} % arrondi au centime = {want}."
		en09 = "VAT breakdown {catname} at {rate} %: the VAT amount (BT-117 = {tax}) must equal taxable amount {taxable} × {rate} % rounded to two decimals = {want}."
	}
	rules = append(rules, Rule{ID: c.prefix + "-09", Severity: Fatal, BT: []string{"BT-117", "BT-116", "BT-119"},
		FR: name(fr09), EN: nameEN(en09),
		Check: func(inv *Invoice, report Report) {
			for i := range inv.VAT {
				v := &inv.VAT[i]
				if strings.TrimSpace(v.Category) != c.code || v.TaxAmount == nil {
					continue
				}
				want := zero2
				if c.perRate {
					if v.Rate == nil || v.TaxableAmount == nil {
						continue
					}
					// The official schematrons accept a difference of less than one
					// currency unit (see withinOneUnit).
					if withinOneUnit(*v.TaxAmount, *v.TaxableAmount, *v.Rate, false) {
						continue
					}
					want = percentOf(*v.TaxableAmount, *v.Rate)
				} else if v.TaxAmount.Equal(want) {
					continue
				}
				{
					report(vatPath(i), "rate", rateArg(v.Rate), "tax", v.TaxAmount, "taxable", v.TaxableAmount, "want", want)
				}
			}
		}})

	// -10
	fr10 := "Récapitulatif de TVA {catname} : un motif d'exonération (BT-120) ou son code (BT-121) doit être indiqué."
	en10 := "VAT breakdown {catname}: an exemption reason (BT-120) or exemption reason code (BT-121) must be given."
	if !c.exemption {
		fr10 = "Récapitulatif de TVA {catname} : aucun motif d'exonération (BT-120) ni code d'exonération (BT-121) ne doit être indiqué."
		en10 = "VAT breakdown {catname}: no exemption reason (BT-120) or exemption reason code (BT-121) may be given."
	}
	rules = append(rules, Rule{ID: c.prefix + "-10", Severity: Fatal, BT: []string{"BT-120", "BT-121"},
		FR: name(fr10), EN: nameEN(en10),
		Check: func(inv *Invoice, report Report) {
			for i := range inv.VAT {
				v := &inv.VAT[i]
				if strings.TrimSpace(v.Category) != c.code {
					continue
				}
				has := !blank(v.ExemptionReason) || !blank(v.ExemptionReasonCode)
				if has != c.exemption {
					report(vatPath(i))
				}
			}
		}})
	return rules
}

func rateArg(rate *decimal.Decimal) any {
	if rate == nil {
		return "—"
	}
	return Rate(*rate)
}

func vatCategoryRules() []Rule {
	var rules []Rule
	for _, c := range vatCategories {
		rules = append(rules, c.rules()...)
		switch c.code {
		case "K":
			rules = append(rules, intraCommunityRules()...)
		case "O":
			rules = append(rules, notSubjectRules()...)
		}
	}
	return append(rules, splitPaymentRules()...)
}

func intraCommunityRules() []Rule {
	return []Rule{
		docRule("BR-IC-11", []string{"BT-72", "BG-14"},
			"Livraison intracommunautaire (TVA K) : la date de livraison effective (BT-72) ou la période de facturation (BG-14) doit être indiquée.",
			"Intra-community supply (VAT K): the actual delivery date (BT-72) or the invoicing period (BG-14) must be given.",
			func(inv *Invoice) bool {
				if breakdownCount(inv, "K") == 0 {
					return false
				}
				if inv.Delivery != nil && !inv.Delivery.Date.IsZero() {
					return false
				}
				p := inv.InvoicingPeriod
				return p == nil || (p.Start.IsZero() && p.End.IsZero())
			}),
		docRule("BR-IC-12", []string{"BT-80"},
			"Livraison intracommunautaire (TVA K) : le code pays de l'adresse de livraison (BT-80) doit être indiqué.",
			"Intra-community supply (VAT K): the deliver-to country code (BT-80) must be given.",
			func(inv *Invoice) bool {
				if breakdownCount(inv, "K") == 0 {
					return false
				}
				d := inv.Delivery
				return d == nil || d.Address == nil || blank(d.Address.Country)
			}),
	}
}

func notSubjectRules() []Rule {
	other := func(kind itemKind) func(inv *Invoice) bool {
		return func(inv *Invoice) bool {
			if breakdownCount(inv, "O") == 0 {
				return false
			}
			found := false
			eachVATItem(inv, func(k itemKind, _ int, cat string, _, _ *decimal.Decimal) {
				if k == kind && cat != "O" {
					found = true
				}
			})
			return found
		}
	}
	return []Rule{
		docRule("BR-O-11", []string{"BT-118"},
			"Une facture hors champ de la TVA (catégorie O) ne doit comporter aucun autre récapitulatif de TVA.",
			"An invoice with a VAT breakdown of category O (not subject to VAT) must not have other VAT breakdowns.",
			func(inv *Invoice) bool {
				n := breakdownCount(inv, "O")
				return n > 0 && n != len(inv.VAT)
			}),
		docRule("BR-O-12", []string{"BT-118", "BT-151"},
			"Une facture hors champ de la TVA (catégorie O) ne doit comporter que des lignes de catégorie O.",
			"An invoice with a VAT breakdown of category O must not have lines of another VAT category.",
			other(itemLine)),
		docRule("BR-O-13", []string{"BT-118", "BT-95"},
			"Une facture hors champ de la TVA (catégorie O) ne doit comporter que des remises de pied de facture de catégorie O.",
			"An invoice with a VAT breakdown of category O must not have document level allowances of another VAT category.",
			other(itemAllowance)),
		docRule("BR-O-14", []string{"BT-118", "BT-102"},
			"Une facture hors champ de la TVA (catégorie O) ne doit comporter que des frais de pied de facture de catégorie O.",
			"An invoice with a VAT breakdown of category O must not have document level charges of another VAT category.",
			other(itemCharge)),
	}
}

func splitPaymentRules() []Rule {
	usesB := func(inv *Invoice) bool { return usesCategoryAnywhere(inv, "B") || breakdownCount(inv, "B") > 0 }
	return []Rule{
		docRule("BR-B-01", []string{"BT-151", "BT-95", "BT-102"},
			"La catégorie de TVA B (scissione dei pagamenti) n'est admise que sur une facture domestique italienne.",
			"VAT category B (split payment) is only allowed on a domestic Italian invoice.",
			func(inv *Invoice) bool {
				if !usesB(inv) {
					return false
				}
				countries := []string{inv.Seller.Address.CountryOf(), inv.Buyer.Address.CountryOf()}
				if inv.TaxRepresentative != nil {
					countries = append(countries, inv.TaxRepresentative.Address.CountryOf())
				}
				if inv.Delivery != nil {
					countries = append(countries, inv.Delivery.Address.CountryOf())
				}
				for _, c := range countries {
					if c = strings.TrimSpace(c); c != "" && c != "IT" {
						return true
					}
				}
				return false
			}),
		docRule("BR-B-02", []string{"BT-151", "BT-95", "BT-102"},
			"Une facture en catégorie de TVA B (scissione dei pagamenti) ne doit comporter aucune ligne, remise ou frais en catégorie S (taux normal).",
			"An invoice with VAT category B (split payment) must not have lines, allowances or charges of category S.",
			func(inv *Invoice) bool {
				return usesB(inv) && (usesCategoryAnywhere(inv, "S") || breakdownCount(inv, "S") > 0)
			}),
	}
}
