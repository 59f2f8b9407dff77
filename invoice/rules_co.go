package invoice

import (
	"strings"

	"github.com/shopspring/decimal"
)

// consistencyRules are BR-CO-*: calculations and consistency between terms. Sums are
// compared after rounding to two decimals, as the official schematron does.
func consistencyRules() []Rule {
	return []Rule{
		docRule("BR-CO-03", []string{"BT-7", "BT-8"},
			"La date d'exigibilité de la TVA (BT-7) et son code (BT-8) s'excluent : n'indiquez que l'un des deux.",
			"The VAT point date (BT-7) and the VAT point date code (BT-8) are mutually exclusive.",
			func(inv *Invoice) bool { return !inv.TaxPointDate.IsZero() && !blank(inv.TaxPointDateCode) }),
		lineRule("BR-CO-04", []string{"BT-151"},
			"La ligne {line} doit indiquer sa catégorie de TVA (BT-151), par exemple S (taux normal).",
			"Invoice line {line} must have an invoiced item VAT category code (BT-151), e.g. S (standard rate).",
			func(l *Line) bool { return blank(l.VATCategory) }),
		// BR-CO-05…08 ask that a reason code and a reason text mean the same thing, which no
		// program can decide: the official artefacts assert true() for them. They are listed
		// so that the profile names every rule, and never fire.
		agreeRule("BR-CO-05", []string{"BT-97", "BT-98"},
			"Le code motif de la remise (BT-98) et son motif (BT-97) doivent indiquer le même type de remise.",
			"Document level allowance reason code (BT-98) and allowance reason (BT-97) shall indicate the same type of allowance."),
		agreeRule("BR-CO-06", []string{"BT-104", "BT-105"},
			"Le code motif des frais (BT-105) et leur motif (BT-104) doivent indiquer le même type de frais.",
			"Document level charge reason code (BT-105) and charge reason (BT-104) shall indicate the same type of charge."),
		agreeRule("BR-CO-07", []string{"BT-139", "BT-140"},
			"Le code motif de la remise de ligne (BT-140) et son motif (BT-139) doivent indiquer le même type de remise.",
			"Invoice line allowance reason code (BT-140) and allowance reason (BT-139) shall indicate the same type of allowance."),
		agreeRule("BR-CO-08", []string{"BT-144", "BT-145"},
			"Le code motif des frais de ligne (BT-145) et leur motif (BT-144) doivent indiquer le même type de frais.",
			"Invoice line charge reason code (BT-145) and charge reason (BT-144) shall indicate the same type of charge."),
		{ID: "BR-CO-09", Severity: Fatal, BT: []string{"BT-31", "BT-48", "BT-63"},
			FR: "Le numéro de TVA {id} ({bt}) doit commencer par le code pays ISO 3166-1 (par exemple FR ; EL pour la Grèce).",
			EN: "VAT identifier {id} ({bt}) must start with an ISO 3166-1 alpha-2 country prefix (EL for Greece).",
			Check: func(inv *Invoice, report Report) {
				check := func(id, bt string) {
					id = strings.TrimSpace(id)
					if id != "" && !vatPrefixOK(id) {
						report("", "id", id, "bt", bt)
					}
				}
				check(inv.Seller.VATID, "BT-31")
				check(inv.Buyer.VATID, "BT-48")
				if inv.TaxRepresentative != nil {
					check(inv.TaxRepresentative.VATID, "BT-63")
				}
			}},
		{ID: "BR-CO-10", Severity: Fatal, BT: []string{"BT-106", "BT-131"},
			FR: "La somme des montants nets des lignes (BT-106 = {bt106}) ne correspond pas au total des lignes ({sum}).",
			EN: "The sum of invoice line net amounts (BT-106 = {bt106}) does not match the total of the lines ({sum}).",
			Check: func(inv *Invoice, report Report) {
				t := inv.Totals.LineTotal
				if t == nil {
					return
				}
				sum := decimal.Zero
				for _, l := range inv.Lines {
					sum = sum.Add(or0(l.NetAmount))
				}
				if sum = round2(sum); !t.Equal(sum) {
					report("", "bt106", t, "sum", sum)
				}
			}},
		{ID: "BR-CO-11", Severity: Fatal, BT: []string{"BT-107", "BT-92"},
			FR: "Le total des remises de pied de facture (BT-107 = {total}) ne correspond pas à la somme des remises ({sum}).",
			EN: "The sum of allowances on document level (BT-107 = {total}) does not match the allowances ({sum}).",
			Check: func(inv *Invoice, report Report) {
				checkACTotal(inv.Totals.AllowanceTotal, inv.Allowances, report)
			}},
		{ID: "BR-CO-12", Severity: Fatal, BT: []string{"BT-108", "BT-99"},
			FR: "Le total des frais de pied de facture (BT-108 = {total}) ne correspond pas à la somme des frais ({sum}).",
			EN: "The sum of charges on document level (BT-108 = {total}) does not match the charges ({sum}).",
			Check: func(inv *Invoice, report Report) {
				checkACTotal(inv.Totals.ChargeTotal, inv.Charges, report)
			}},
		{ID: "BR-CO-13", Severity: Fatal, BT: []string{"BT-109", "BT-106", "BT-107", "BT-108"},
			FR: "Le total hors TVA (BT-109 = {bt109}) doit valoir total des lignes {bt106} − remises {bt107} + frais {bt108} = {want}.",
			EN: "The total without VAT (BT-109 = {bt109}) must equal line total {bt106} − allowances {bt107} + charges {bt108} = {want}.",
			Check: func(inv *Invoice, report Report) {
				t := &inv.Totals
				if t.TaxExclusive == nil || t.LineTotal == nil {
					return
				}
				want := round2(t.LineTotal.Sub(or0(t.AllowanceTotal)).Add(or0(t.ChargeTotal)))
				if !t.TaxExclusive.Equal(want) {
					report("", "bt109", t.TaxExclusive, "bt106", t.LineTotal,
						"bt107", or0(t.AllowanceTotal), "bt108", or0(t.ChargeTotal), "want", want)
				}
			}},
		{ID: "BR-CO-14", Severity: Fatal, BT: []string{"BT-110", "BT-117"},
			FR: "Le montant total de TVA (BT-110 = {bt110}) ne correspond pas à la somme des montants de TVA par taux ({sum}).",
			EN: "The invoice total VAT amount (BT-110 = {bt110}) does not match the sum of the VAT category tax amounts ({sum}).",
			Check: func(inv *Invoice, report Report) {
				t := inv.Totals.TaxTotal
				if t == nil || len(inv.VAT) == 0 {
					return
				}
				sum := decimal.Zero
				for _, v := range inv.VAT {
					sum = sum.Add(or0(v.TaxAmount))
				}
				if sum = round2(sum); !t.Equal(sum) {
					report("", "bt110", t, "sum", sum)
				}
			}},
		{ID: "BR-CO-15", Severity: Fatal, BT: []string{"BT-112", "BT-109", "BT-110"},
			FR: "Le total TTC (BT-112 = {bt112}) doit valoir total HT {bt109} + TVA {bt110} = {want}.",
			EN: "The total with VAT (BT-112 = {bt112}) must equal total without VAT {bt109} + VAT {bt110} = {want}.",
			Check: func(inv *Invoice, report Report) {
				t := &inv.Totals
				if t.TaxInclusive == nil || t.TaxExclusive == nil {
					return
				}
				want := round2(t.TaxExclusive.Add(or0(t.TaxTotal)))
				if !t.TaxInclusive.Equal(want) {
					report("", "bt112", t.TaxInclusive, "bt109", t.TaxExclusive, "bt110", or0(t.TaxTotal), "want", want)
				}
			}},
		{ID: "BR-CO-16", Severity: Fatal, BT: []string{"BT-115", "BT-112", "BT-113", "BT-114"},
			FR: "Le net à payer (BT-115 = {bt115}) doit valoir total TTC {bt112} − acompte versé {bt113} + arrondi {bt114} = {want}.",
			EN: "The amount due (BT-115 = {bt115}) must equal total with VAT {bt112} − paid amount {bt113} + rounding {bt114} = {want}.",
			Check: func(inv *Invoice, report Report) {
				t := &inv.Totals
				if t.Payable == nil || t.TaxInclusive == nil {
					return
				}
				want := round2(t.TaxInclusive.Sub(or0(t.Paid)).Add(or0(t.Rounding)))
				if !t.Payable.Equal(want) {
					report("", "bt115", t.Payable, "bt112", t.TaxInclusive, "bt113", or0(t.Paid),
						"bt114", or0(t.Rounding), "want", want)
				}
			}},
		// BR-CO-17 follows the official 1.3.16 schematrons rather than the letter of the
		// statement: with a rate that rounds to a non-zero integer, |BT-117| may differ from
		// |BT-116| × BT-119 / 100 rounded half up to two decimals by less than one currency
		// unit (UBL) or by at most one (CII); without a rate, or with one that rounds to 0,
		// BT-117 must round to 0.
		{ID: "BR-CO-17", Severity: Fatal, BT: []string{"BT-117", "BT-116", "BT-119"},
			FR:          "TVA {cat} à {rate} % : le montant de TVA (BT-117 = {tax}) doit valoir base {taxable} × {rate} % arrondi au centime = {want}.",
			EN:          "VAT {cat} at {rate} %: the tax amount (BT-117 = {tax}) must equal taxable amount {taxable} × {rate} % rounded to two decimals = {want}.",
			Check:       func(inv *Invoice, report Report) { checkCO17(inv, "", report) },
			CheckSyntax: checkCO17},
		docRule("BR-CO-18", []string{"BG-23"},
			"La facture doit comporter au moins un récapitulatif de TVA (BG-23).",
			"The invoice must have at least one VAT breakdown (BG-23).",
			func(inv *Invoice) bool { return len(inv.VAT) == 0 }),
		docRule("BR-CO-19", []string{"BG-14", "BT-73", "BT-74"},
			"La période de facturation (BG-14) doit indiquer une date de début (BT-73), de fin (BT-74), ou les deux.",
			"The invoicing period (BG-14) must have a start date (BT-73), an end date (BT-74), or both.",
			func(inv *Invoice) bool {
				p := inv.InvoicingPeriod
				return p != nil && p.Start.IsZero() && p.End.IsZero()
			}),
		{ID: "BR-CO-20", Severity: Fatal, BT: []string{"BG-26", "BT-134", "BT-135"},
			FR: "Ligne {line} : la période (BG-26) doit indiquer une date de début (BT-134), de fin (BT-135), ou les deux.",
			EN: "Line {line}: the line period (BG-26) must have a start date (BT-134), an end date (BT-135), or both.",
			Check: func(inv *Invoice, report Report) {
				for i := range inv.Lines {
					l := &inv.Lines[i]
					if p := l.Period; p != nil && p.Start.IsZero() && p.End.IsZero() {
						report(linePeriodPath(i), "line", lineID(l, i))
					}
				}
			}},
		acRule("BR-CO-21", false, []string{"BT-97", "BT-98"},
			"La remise de pied de facture n°{n} doit indiquer un motif (BT-97), un code motif (BT-98), ou les deux.",
			"Document level allowance {n} must have a reason (BT-97), a reason code (BT-98), or both.",
			noReason),
		acRule("BR-CO-22", true, []string{"BT-104", "BT-105"},
			"Les frais de pied de facture n°{n} doivent indiquer un motif (BT-104), un code motif (BT-105), ou les deux.",
			"Document level charge {n} must have a reason (BT-104), a reason code (BT-105), or both.",
			noReason),
		lineACRule("BR-CO-23", false, []string{"BT-139", "BT-140"},
			"Ligne {line} : la remise n°{n} doit indiquer un motif (BT-139), un code motif (BT-140), ou les deux.",
			"Line {line}: allowance {n} must have a reason (BT-139), a reason code (BT-140), or both.",
			noReason),
		lineACRule("BR-CO-24", true, []string{"BT-144", "BT-145"},
			"Ligne {line} : les frais n°{n} doivent indiquer un motif (BT-144), un code motif (BT-145), ou les deux.",
			"Line {line}: charge {n} must have a reason (BT-144), a reason code (BT-145), or both.",
			noReason),
		// BR-CO-25 is in the official schematron though not in en16931-rules.tsv; like the
		// schematron, it does not apply to credit notes. Without a type code (BR-04) the
		// document may be a credit note (a UBL CreditNote says so by its root alone), so
		// the rule does not apply either.
		{ID: "BR-CO-25", Severity: Fatal, BT: []string{"BT-115", "BT-9", "BT-20"},
			FR: "Le net à payer est positif ({bt115}) : indiquez la date d'échéance (BT-9) ou les conditions de paiement (BT-20).",
			EN: "The amount due for payment is positive ({bt115}): the payment due date (BT-9) or the payment terms (BT-20) must be given.",
			Check: func(inv *Invoice, report Report) {
				p := inv.Totals.Payable
				if p == nil || p.Sign() <= 0 || inv.IsCreditNote() || blank(inv.TypeCode) {
					return
				}
				if inv.DueDate.IsZero() && blank(inv.PaymentTerms) {
					report("", "bt115", p)
				}
			}},
		docRule("BR-CO-26", []string{"BT-29", "BT-30", "BT-31"},
			"Pour que l'acheteur puisse identifier le vendeur, indiquez son identifiant (BT-29), son numéro d'immatriculation légale (BT-30, SIREN) ou son numéro de TVA (BT-31).",
			"The seller identifier (BT-29), the seller legal registration identifier (BT-30) or the seller VAT identifier (BT-31) must be present.",
			func(inv *Invoice) bool {
				s := &inv.Seller
				for _, id := range s.IDs {
					if !blank(id.Value) {
						return false
					}
				}
				return blank(s.LegalID.Value) && blank(s.VATID)
			}),
	}
}

func checkACTotal(total *decimal.Decimal, acs []AllowanceCharge, report Report) {
	if total == nil {
		if len(acs) > 0 {
			report("", "total", total, "sum", round2(sumAmounts(acs)))
		}
		return
	}
	if sum := round2(sumAmounts(acs)); !total.Equal(sum) {
		report("", "total", total, "sum", sum)
	}
}

// vatPrefixOK reports whether a VAT identifier starts with a country prefix BR-CO-09 accepts.
func vatPrefixOK(id string) bool {
	if len(id) < 2 {
		return false
	}
	p := id[:2]
	return p == "EL" || codeList("ISO3166")[p]
}

// decimals is the number of decimals a value is written with (trailing zeros count, as in
// the schematron's string test).
func decimals(d *decimal.Decimal) int {
	if d == nil || d.Exponent() >= 0 {
		return 0
	}
	return int(-d.Exponent())
}

// decimalRules are BR-DEC-*: amounts have at most two decimals.
func decimalRules() []Rule {
	const fr, en = "Le montant {what} ({bt} = {value}) a plus de deux décimales.", "The {what} ({bt} = {value}) has more than two decimals."
	totalRule := func(id, bt, whatFR, whatEN string, get func(t *Totals) *decimal.Decimal) Rule {
		return Rule{ID: id, Severity: Fatal, BT: []string{bt},
			FR: strings.ReplaceAll(fr, "{what}", whatFR), EN: strings.ReplaceAll(en, "{what}", whatEN),
			Check: func(inv *Invoice, report Report) {
				if d := get(&inv.Totals); decimals(d) > 2 {
					report("", "bt", bt, "value", d)
				}
			}}
	}
	acAmountRule := func(id, bt string, charge, base bool, whatFR, whatEN string) Rule {
		return Rule{ID: id, Severity: Fatal, BT: []string{bt},
			FR: strings.ReplaceAll(fr, "{what}", whatFR), EN: strings.ReplaceAll(en, "{what}", whatEN),
			Check: func(inv *Invoice, report Report) {
				acs, path := inv.Allowances, allowancePath
				if charge {
					acs, path = inv.Charges, chargePath
				}
				for i := range acs {
					d := acs[i].Amount
					if base {
						d = acs[i].BaseAmount
					}
					if decimals(d) > 2 {
						report(path(i), "bt", bt, "value", d)
					}
				}
			}}
	}
	lineACAmountRule := func(id, bt string, charge, base bool, whatFR, whatEN string) Rule {
		return Rule{ID: id, Severity: Fatal, BT: []string{bt},
			FR: strings.ReplaceAll(fr, "{what}", whatFR), EN: strings.ReplaceAll(en, "{what}", whatEN),
			Check: func(inv *Invoice, report Report) {
				for l := range inv.Lines {
					acs, path := inv.Lines[l].Allowances, lineAllowancePath
					if charge {
						acs, path = inv.Lines[l].Charges, lineChargePath
					}
					for i := range acs {
						d := acs[i].Amount
						if base {
							d = acs[i].BaseAmount
						}
						if decimals(d) > 2 {
							report(path(l, i), "bt", bt, "value", d)
						}
					}
				}
			}}
	}
	vatAmountRule := func(id, bt string, tax bool, whatFR, whatEN string) Rule {
		return Rule{ID: id, Severity: Fatal, BT: []string{bt},
			FR: strings.ReplaceAll(fr, "{what}", whatFR), EN: strings.ReplaceAll(en, "{what}", whatEN),
			Check: func(inv *Invoice, report Report) {
				for i := range inv.VAT {
					d := inv.VAT[i].TaxableAmount
					if tax {
						d = inv.VAT[i].TaxAmount
					}
					if decimals(d) > 2 {
						report(vatPath(i), "bt", bt, "value", d)
					}
				}
			}}
	}
	return []Rule{
		acAmountRule("BR-DEC-01", "BT-92", false, false, "de la remise de pied de facture", "document level allowance amount"),
		acAmountRule("BR-DEC-02", "BT-93", false, true, "de base de la remise de pied de facture", "document level allowance base amount"),
		acAmountRule("BR-DEC-05", "BT-99", true, false, "des frais de pied de facture", "document level charge amount"),
		acAmountRule("BR-DEC-06", "BT-100", true, true, "de base des frais de pied de facture", "document level charge base amount"),
		totalRule("BR-DEC-09", "BT-106", "total des lignes", "sum of invoice line net amounts", func(t *Totals) *decimal.Decimal { return t.LineTotal }),
		totalRule("BR-DEC-10", "BT-107", "total des remises", "sum of allowances on document level", func(t *Totals) *decimal.Decimal { return t.AllowanceTotal }),
		totalRule("BR-DEC-11", "BT-108", "total des frais", "sum of charges on document level", func(t *Totals) *decimal.Decimal { return t.ChargeTotal }),
		totalRule("BR-DEC-12", "BT-109", "total hors TVA", "invoice total amount without VAT", func(t *Totals) *decimal.Decimal { return t.TaxExclusive }),
		totalRule("BR-DEC-13", "BT-110", "total de TVA", "invoice total VAT amount", func(t *Totals) *decimal.Decimal { return t.TaxTotal }),
		totalRule("BR-DEC-14", "BT-112", "total TTC", "invoice total amount with VAT", func(t *Totals) *decimal.Decimal { return t.TaxInclusive }),
		totalRule("BR-DEC-15", "BT-111", "total de TVA en devise de comptabilisation", "invoice total VAT amount in accounting currency", func(t *Totals) *decimal.Decimal { return t.TaxTotalAcctCurr }),
		totalRule("BR-DEC-16", "BT-113", "déjà payé", "paid amount", func(t *Totals) *decimal.Decimal { return t.Paid }),
		totalRule("BR-DEC-17", "BT-114", "d'arrondi", "rounding amount", func(t *Totals) *decimal.Decimal { return t.Rounding }),
		totalRule("BR-DEC-18", "BT-115", "net à payer", "amount due for payment", func(t *Totals) *decimal.Decimal { return t.Payable }),
		vatAmountRule("BR-DEC-19", "BT-116", false, "de base imposable", "VAT category taxable amount"),
		vatAmountRule("BR-DEC-20", "BT-117", true, "de TVA par taux", "VAT category tax amount"),
		{ID: "BR-DEC-23", Severity: Fatal, BT: []string{"BT-131"},
			FR: "Ligne {line} : le montant net ({bt} = {value}) a plus de deux décimales.",
			EN: "Line {line}: the line net amount ({bt} = {value}) has more than two decimals.",
			Check: func(inv *Invoice, report Report) {
				for i := range inv.Lines {
					if d := inv.Lines[i].NetAmount; decimals(d) > 2 {
						report(LinePath(i), "line", lineID(&inv.Lines[i], i), "bt", "BT-131", "value", d)
					}
				}
			}},
		lineACAmountRule("BR-DEC-24", "BT-136", false, false, "de la remise de ligne", "invoice line allowance amount"),
		lineACAmountRule("BR-DEC-25", "BT-137", false, true, "de base de la remise de ligne", "invoice line allowance base amount"),
		lineACAmountRule("BR-DEC-27", "BT-141", true, false, "des frais de ligne", "invoice line charge amount"),
		lineACAmountRule("BR-DEC-28", "BT-142", true, true, "de base des frais de ligne", "invoice line charge base amount"),
	}
}

// xpathRound rounds d to places decimals as XPath's round does: half towards positive
// infinity.
func xpathRound(d decimal.Decimal, places int32) decimal.Decimal {
	return d.Shift(places).Add(decimal.New(5, -1)).Floor().Shift(-places)
}

// withinOneUnit is the official schematrons' tolerance for a VAT amount (BR-CO-17, BR-S-09):
// |tax| − 1 < round(|taxable| × rate / 100, 2) < |tax| + 1, with ≤ instead of < when
// inclusive.
func withinOneUnit(tax, taxable, rate decimal.Decimal, inclusive bool) bool {
	want := xpathRound(taxable.Abs().Mul(rate).Shift(-2), 2)
	diff := tax.Abs().Sub(want).Abs()
	if inclusive {
		return diff.LessThanOrEqual(decimal.NewFromInt(1))
	}
	return diff.LessThan(decimal.NewFromInt(1))
}

func checkCO17(inv *Invoice, syntax string, report Report) {
	for i := range inv.VAT {
		v := &inv.VAT[i]
		if v.TaxAmount == nil || v.TaxableAmount == nil {
			continue
		}
		if v.Rate == nil || xpathRound(*v.Rate, 0).IsZero() {
			if !xpathRound(*v.TaxAmount, 0).IsZero() {
				report(vatPath(i), append(vatArgs(v), "tax", v.TaxAmount, "taxable", v.TaxableAmount, "want", zero2)...)
			}
			continue
		}
		if !withinOneUnit(*v.TaxAmount, *v.TaxableAmount, *v.Rate, syntax == "cii") {
			want := percentOf(*v.TaxableAmount, *v.Rate)
			report(vatPath(i), append(vatArgs(v), "tax", v.TaxAmount, "taxable", v.TaxableAmount, "want", want)...)
		}
	}
}

// agreeRule is a rule that no program can check (BR-CO-05…08): it never reports.
func agreeRule(id string, bt []string, fr, en string) Rule {
	return Rule{ID: id, Severity: Fatal, BT: bt, FR: fr, EN: en, Check: func(*Invoice, Report) {}}
}
