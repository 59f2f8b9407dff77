package invoice

import (
	"strings"

	"github.com/shopspring/decimal"
)

// Helpers that build the common shapes of rule.

// docRule is a rule about the whole document, reported once at path "".
func docRule(id string, bt []string, fr, en string, fails func(inv *Invoice) bool) Rule {
	return Rule{ID: id, Severity: Fatal, BT: bt, FR: fr, EN: en,
		Check: func(inv *Invoice, report Report) {
			if fails(inv) {
				report("")
			}
		}}
}

// lineRule is a rule checked on each invoice line.
func lineRule(id string, bt []string, fr, en string, fails func(l *Line) bool) Rule {
	return Rule{ID: id, Severity: Fatal, BT: bt, FR: fr, EN: en,
		Check: func(inv *Invoice, report Report) {
			for i := range inv.Lines {
				if fails(&inv.Lines[i]) {
					report(LinePath(i), "line", lineID(&inv.Lines[i], i))
				}
			}
		}}
}

// acRule is a rule checked on each document allowance (charge false) or charge (true).
func acRule(id string, charge bool, bt []string, fr, en string, fails func(ac *AllowanceCharge) bool) Rule {
	return Rule{ID: id, Severity: Fatal, BT: bt, FR: fr, EN: en,
		Check: func(inv *Invoice, report Report) {
			acs, path := inv.Allowances, allowancePath
			if charge {
				acs, path = inv.Charges, chargePath
			}
			for i := range acs {
				if fails(&acs[i]) {
					report(path(i), "n", i+1)
				}
			}
		}}
}

// lineACRule is a rule checked on each line allowance (charge false) or line charge (true).
func lineACRule(id string, charge bool, bt []string, fr, en string, fails func(ac *AllowanceCharge) bool) Rule {
	return Rule{ID: id, Severity: Fatal, BT: bt, FR: fr, EN: en,
		Check: func(inv *Invoice, report Report) {
			for l := range inv.Lines {
				line := &inv.Lines[l]
				acs, path := line.Allowances, lineAllowancePath
				if charge {
					acs, path = line.Charges, lineChargePath
				}
				for i := range acs {
					if fails(&acs[i]) {
						report(path(l, i), "line", lineID(line, l), "n", i+1)
					}
				}
			}
		}}
}

// vatRule is a rule checked on each VAT breakdown.
func vatRule(id string, bt []string, fr, en string, fails func(v *VATBreakdown) bool) Rule {
	return Rule{ID: id, Severity: Fatal, BT: bt, FR: fr, EN: en,
		Check: func(inv *Invoice, report Report) {
			for i := range inv.VAT {
				if fails(&inv.VAT[i]) {
					report(vatPath(i), vatArgs(&inv.VAT[i])...)
				}
			}
		}}
}

// lineID names a line in messages: its identifier (BT-126), or its position.
func lineID(l *Line, i int) string {
	if id := strings.TrimSpace(l.ID); id != "" {
		return id
	}
	return "n°" + itoa(i+1)
}

func vatArgs(v *VATBreakdown) []any {
	return []any{"cat", v.Category, "rate", rateArg(v.Rate)}
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func negative(d *decimal.Decimal) bool { return d != nil && d.Sign() < 0 }

func coreRules() []Rule {
	return []Rule{
		docRule("BR-01", []string{"BT-24"},
			"La facture doit indiquer l'identifiant de spécification (BT-24), par exemple « urn:cen.eu:en16931:2017 ».",
			"The invoice must have a specification identifier (BT-24), e.g. \"urn:cen.eu:en16931:2017\".",
			func(inv *Invoice) bool { return blank(inv.Specification) }),
		docRule("BR-02", []string{"BT-1"},
			"La facture doit avoir un numéro (BT-1).",
			"The invoice must have an invoice number (BT-1).",
			func(inv *Invoice) bool { return blank(inv.Number) }),
		docRule("BR-03", []string{"BT-2"},
			"La facture doit avoir une date d'émission (BT-2).",
			"The invoice must have an issue date (BT-2).",
			func(inv *Invoice) bool { return inv.IssueDate.IsZero() }),
		docRule("BR-04", []string{"BT-3"},
			"La facture doit avoir un code de type de document (BT-3), par exemple 380 pour une facture ou 381 pour un avoir.",
			"The invoice must have an invoice type code (BT-3), e.g. 380 for an invoice or 381 for a credit note.",
			func(inv *Invoice) bool { return blank(inv.TypeCode) }),
		docRule("BR-05", []string{"BT-5"},
			"La facture doit indiquer sa devise (BT-5), par exemple EUR.",
			"The invoice must have an invoice currency code (BT-5), e.g. EUR.",
			func(inv *Invoice) bool { return blank(inv.Currency) }),
		docRule("BR-06", []string{"BT-27"},
			"La facture doit indiquer la raison sociale du vendeur (BT-27).",
			"The invoice must contain the seller name (BT-27).",
			func(inv *Invoice) bool { return blank(inv.Seller.Name) }),
		docRule("BR-07", []string{"BT-44"},
			"La facture doit indiquer le nom de l'acheteur (BT-44).",
			"The invoice must contain the buyer name (BT-44).",
			func(inv *Invoice) bool { return blank(inv.Buyer.Name) }),
		docRule("BR-08", []string{"BG-5"},
			"La facture doit comporter l'adresse postale du vendeur (BG-5).",
			"The invoice must contain the seller postal address (BG-5).",
			func(inv *Invoice) bool { return inv.Seller.Address == nil }),
		docRule("BR-09", []string{"BT-40"},
			"L'adresse du vendeur doit comporter un code pays (BT-40), par exemple FR.",
			"The seller postal address must contain a country code (BT-40), e.g. FR.",
			func(inv *Invoice) bool { return inv.Seller.Address != nil && blank(inv.Seller.Address.Country) }),
		docRule("BR-10", []string{"BG-8"},
			"La facture doit comporter l'adresse postale de l'acheteur (BG-8).",
			"The invoice must contain the buyer postal address (BG-8).",
			func(inv *Invoice) bool { return inv.Buyer.Address == nil }),
		docRule("BR-11", []string{"BT-55"},
			"L'adresse de l'acheteur doit comporter un code pays (BT-55), par exemple FR.",
			"The buyer postal address must contain a country code (BT-55), e.g. FR.",
			func(inv *Invoice) bool { return inv.Buyer.Address != nil && blank(inv.Buyer.Address.Country) }),
		docRule("BR-12", []string{"BT-106"},
			"La facture doit indiquer la somme des montants nets des lignes (BT-106).",
			"The invoice must have the sum of invoice line net amounts (BT-106).",
			func(inv *Invoice) bool { return inv.Totals.LineTotal == nil }),
		docRule("BR-13", []string{"BT-109"},
			"La facture doit indiquer le montant total hors TVA (BT-109).",
			"The invoice must have the total amount without VAT (BT-109).",
			func(inv *Invoice) bool { return inv.Totals.TaxExclusive == nil }),
		docRule("BR-14", []string{"BT-112"},
			"La facture doit indiquer le montant total TVA comprise (BT-112).",
			"The invoice must have the total amount with VAT (BT-112).",
			func(inv *Invoice) bool { return inv.Totals.TaxInclusive == nil }),
		docRule("BR-15", []string{"BT-115"},
			"La facture doit indiquer le montant net à payer (BT-115).",
			"The invoice must have the amount due for payment (BT-115).",
			func(inv *Invoice) bool { return inv.Totals.Payable == nil }),
		docRule("BR-16", []string{"BG-25"},
			"La facture doit comporter au moins une ligne.",
			"The invoice must have at least one invoice line (BG-25).",
			func(inv *Invoice) bool { return len(inv.Lines) == 0 }),
		docRule("BR-17", []string{"BT-59", "BG-10"},
			"Le bénéficiaire du paiement (BG-10) est différent du vendeur : son nom (BT-59) doit être indiqué.",
			"The payee (BG-10) differs from the seller: the payee name (BT-59) must be given.",
			func(inv *Invoice) bool { return inv.Payee != nil && blank(inv.Payee.Name) }),
		docRule("BR-18", []string{"BT-62", "BG-11"},
			"Le représentant fiscal du vendeur (BG-11) doit avoir un nom (BT-62).",
			"The seller tax representative (BG-11) must have a name (BT-62).",
			func(inv *Invoice) bool { return inv.TaxRepresentative != nil && blank(inv.TaxRepresentative.Name) }),
		docRule("BR-19", []string{"BG-12", "BG-11"},
			"Le représentant fiscal du vendeur (BG-11) doit avoir une adresse postale (BG-12).",
			"The seller tax representative (BG-11) must have a postal address (BG-12).",
			func(inv *Invoice) bool {
				return inv.TaxRepresentative != nil && inv.TaxRepresentative.Address == nil
			}),
		docRule("BR-20", []string{"BT-69", "BG-12"},
			"L'adresse du représentant fiscal doit comporter un code pays (BT-69).",
			"The tax representative postal address must contain a country code (BT-69).",
			func(inv *Invoice) bool {
				tr := inv.TaxRepresentative
				return tr != nil && tr.Address != nil && blank(tr.Address.Country)
			}),
		lineRule("BR-21", []string{"BT-126"},
			"La ligne {line} doit avoir un identifiant de ligne (BT-126).",
			"Invoice line {line} must have a line identifier (BT-126).",
			func(l *Line) bool { return blank(l.ID) }),
		lineRule("BR-22", []string{"BT-129"},
			"La ligne {line} doit indiquer une quantité facturée (BT-129).",
			"Invoice line {line} must have an invoiced quantity (BT-129).",
			func(l *Line) bool { return l.Quantity == nil }),
		lineRule("BR-23", []string{"BT-130"},
			"La ligne {line} doit indiquer l'unité de la quantité facturée (BT-130), par exemple C62 (unité) ou HUR (heure).",
			"Invoice line {line} must have a unit of measure code for the quantity (BT-130), e.g. C62 (one) or HUR (hour).",
			func(l *Line) bool { return blank(l.UnitCode) }),
		lineRule("BR-24", []string{"BT-131"},
			"La ligne {line} doit indiquer son montant net (BT-131).",
			"Invoice line {line} must have a line net amount (BT-131).",
			func(l *Line) bool { return l.NetAmount == nil }),
		lineRule("BR-25", []string{"BT-153"},
			"La ligne {line} doit indiquer le nom de l'article (BT-153).",
			"Invoice line {line} must contain the item name (BT-153).",
			func(l *Line) bool { return blank(l.Item.Name) }),
		lineRule("BR-26", []string{"BT-146"},
			"La ligne {line} doit indiquer le prix unitaire net de l'article (BT-146).",
			"Invoice line {line} must contain the item net price (BT-146).",
			func(l *Line) bool { return l.Price.Net == nil }),
		{ID: "BR-27", Severity: Fatal, BT: []string{"BT-146"},
			FR: "Le prix unitaire net de la ligne {line} (BT-146 = {price}) ne doit pas être négatif ; une réduction se porte en remise, un retour en avoir.",
			EN: "The item net price of line {line} (BT-146 = {price}) must not be negative.",
			Check: func(inv *Invoice, report Report) {
				for i := range inv.Lines {
					if l := &inv.Lines[i]; negative(l.Price.Net) {
						report(LinePath(i), "line", lineID(l, i), "price", l.Price.Net)
					}
				}
			}},
		{ID: "BR-28", Severity: Fatal, BT: []string{"BT-148"},
			FR: "Le prix unitaire brut de la ligne {line} (BT-148 = {price}) ne doit pas être négatif.",
			EN: "The item gross price of line {line} (BT-148 = {price}) must not be negative.",
			Check: func(inv *Invoice, report Report) {
				for i := range inv.Lines {
					if l := &inv.Lines[i]; negative(l.Price.Gross) {
						report(LinePath(i), "line", lineID(l, i), "price", l.Price.Gross)
					}
				}
			}},
		{ID: "BR-29", Severity: Fatal, BT: []string{"BT-73", "BT-74"},
			FR: "La fin de la période de facturation (BT-74 = {end}) est antérieure à son début (BT-73 = {start}).",
			EN: "The invoicing period end date (BT-74 = {end}) is before its start date (BT-73 = {start}).",
			Check: func(inv *Invoice, report Report) {
				if p := inv.InvoicingPeriod; p != nil && periodReversed(p) {
					report("BG-14", "start", p.Start, "end", p.End)
				}
			}},
		{ID: "BR-30", Severity: Fatal, BT: []string{"BT-134", "BT-135"},
			FR: "Ligne {line} : la fin de la période (BT-135 = {end}) est antérieure à son début (BT-134 = {start}).",
			EN: "Line {line}: the line period end date (BT-135 = {end}) is before its start date (BT-134 = {start}).",
			Check: func(inv *Invoice, report Report) {
				for i := range inv.Lines {
					l := &inv.Lines[i]
					if p := l.Period; p != nil && periodReversed(p) {
						report(linePeriodPath(i), "line", lineID(l, i), "start", p.Start, "end", p.End)
					}
				}
			}},
		acRule("BR-31", false, []string{"BT-92"},
			"La remise de pied de facture n°{n} doit avoir un montant (BT-92).",
			"Document level allowance {n} must have an amount (BT-92).",
			func(ac *AllowanceCharge) bool { return ac.Amount == nil }),
		acRule("BR-32", false, []string{"BT-95"},
			"La remise de pied de facture n°{n} doit indiquer sa catégorie de TVA (BT-95).",
			"Document level allowance {n} must have a VAT category code (BT-95).",
			func(ac *AllowanceCharge) bool { return blank(ac.VATCategory) }),
		acRule("BR-33", false, []string{"BT-97", "BT-98"},
			"La remise de pied de facture n°{n} doit indiquer un motif (BT-97) ou un code motif (BT-98).",
			"Document level allowance {n} must have a reason (BT-97) or a reason code (BT-98).",
			noReason),
		acRule("BR-36", true, []string{"BT-99"},
			"Les frais de pied de facture n°{n} doivent avoir un montant (BT-99).",
			"Document level charge {n} must have an amount (BT-99).",
			func(ac *AllowanceCharge) bool { return ac.Amount == nil }),
		acRule("BR-37", true, []string{"BT-102"},
			"Les frais de pied de facture n°{n} doivent indiquer leur catégorie de TVA (BT-102).",
			"Document level charge {n} must have a VAT category code (BT-102).",
			func(ac *AllowanceCharge) bool { return blank(ac.VATCategory) }),
		acRule("BR-38", true, []string{"BT-104", "BT-105"},
			"Les frais de pied de facture n°{n} doivent indiquer un motif (BT-104) ou un code motif (BT-105).",
			"Document level charge {n} must have a reason (BT-104) or a reason code (BT-105).",
			noReason),
		lineACRule("BR-41", false, []string{"BT-136"},
			"Ligne {line} : la remise n°{n} doit avoir un montant (BT-136).",
			"Line {line}: allowance {n} must have an amount (BT-136).",
			func(ac *AllowanceCharge) bool { return ac.Amount == nil }),
		lineACRule("BR-42", false, []string{"BT-139", "BT-140"},
			"Ligne {line} : la remise n°{n} doit indiquer un motif (BT-139) ou un code motif (BT-140).",
			"Line {line}: allowance {n} must have a reason (BT-139) or a reason code (BT-140).",
			noReason),
		lineACRule("BR-43", true, []string{"BT-141"},
			"Ligne {line} : les frais n°{n} doivent avoir un montant (BT-141).",
			"Line {line}: charge {n} must have an amount (BT-141).",
			func(ac *AllowanceCharge) bool { return ac.Amount == nil }),
		lineACRule("BR-44", true, []string{"BT-144", "BT-145"},
			"Ligne {line} : les frais n°{n} doivent indiquer un motif (BT-144) ou un code motif (BT-145).",
			"Line {line}: charge {n} must have a reason (BT-144) or a reason code (BT-145).",
			noReason),
		vatRule("BR-45", []string{"BT-116"},
			"Le récapitulatif de TVA {cat} à {rate} % doit indiquer la base imposable (BT-116).",
			"VAT breakdown {cat} at {rate} % must have a taxable amount (BT-116).",
			func(v *VATBreakdown) bool { return v.TaxableAmount == nil }),
		vatRule("BR-46", []string{"BT-117"},
			"Le récapitulatif de TVA {cat} à {rate} % doit indiquer le montant de TVA (BT-117).",
			"VAT breakdown {cat} at {rate} % must have a tax amount (BT-117).",
			func(v *VATBreakdown) bool { return v.TaxAmount == nil }),
		vatRule("BR-47", []string{"BT-118"},
			"Chaque récapitulatif de TVA doit indiquer sa catégorie de TVA (BT-118).",
			"Each VAT breakdown must have a VAT category code (BT-118).",
			func(v *VATBreakdown) bool { return blank(v.Category) }),
		vatRule("BR-48", []string{"BT-119"},
			"Le récapitulatif de TVA de catégorie {cat} doit indiquer un taux (BT-119) ; seule la catégorie O (hors champ de la TVA) n'en a pas.",
			"VAT breakdown of category {cat} must have a VAT rate (BT-119); only category O (not subject to VAT) has none.",
			func(v *VATBreakdown) bool { return v.Rate == nil && strings.TrimSpace(v.Category) != "O" }),
		docRule("BR-49", []string{"BT-81", "BG-16"},
			"Les instructions de paiement (BG-16) doivent indiquer le code du moyen de paiement (BT-81), par exemple 30 (virement) ou 58 (virement SEPA).",
			"Payment instructions (BG-16) must have a payment means type code (BT-81), e.g. 30 (credit transfer) or 58 (SEPA credit transfer).",
			func(inv *Invoice) bool { return inv.Payment != nil && blank(inv.Payment.MeansCode) }),
		{ID: "BR-50", Severity: Fatal, BT: []string{"BT-84", "BG-17"},
			FR: "Le virement n°{n} (BG-17) doit indiquer le compte à créditer (BT-84, IBAN).",
			EN: "Credit transfer {n} (BG-17) must have a payment account identifier (BT-84, IBAN).",
			Check: func(inv *Invoice, report Report) {
				if inv.Payment == nil {
					return
				}
				for i, ct := range inv.Payment.CreditTransfer {
					if blank(ct.AccountID) {
						report(creditTransferPath(i), "n", i+1)
					}
				}
			}},
		{ID: "BR-51", Severity: Warning, BT: []string{"BT-87"},
			FR: "Le numéro de carte de paiement (BT-87) ne doit pas figurer en entier : au plus les 6 premiers et les 4 derniers chiffres.",
			EN: "The card primary account number (BT-87) must not be given in full: at most the first 6 and last 4 digits.",
			Check: func(inv *Invoice, report Report) {
				if p := inv.Payment; p != nil && p.Card != nil && countDigits(p.Card.PAN) > 10 {
					report("BG-18")
				}
			}},
		{ID: "BR-52", Severity: Fatal, BT: []string{"BT-122", "BG-24"},
			FR: "Le justificatif n°{n} (BG-24) doit avoir une référence (BT-122).",
			EN: "Additional supporting document {n} (BG-24) must have a reference (BT-122).",
			Check: func(inv *Invoice, report Report) {
				for i, d := range inv.Documents {
					if blank(d.ID) {
						report(documentPath(i), "n", i+1)
					}
				}
			}},
		{ID: "BR-53", Severity: Fatal, BT: []string{"BT-6", "BT-111"},
			FR: "La devise de comptabilisation de la TVA (BT-6) est indiquée : le montant total de TVA dans cette devise (BT-111) doit l'être aussi, et en CII cette devise doit différer de celle de la facture (BT-5).",
			EN: "The VAT accounting currency (BT-6) is given: the total VAT amount in that currency (BT-111) must be given too, and in CII that currency must differ from the invoice currency (BT-5).",
			// As the official schematrons read it. UBL: a tax total in the currency BT-6 must
			// exist, so when BT-6 equals BT-5 the total VAT amount BT-110 is that total. CII: BT-6
			// must also differ from BT-5 (the CII writer leaves out a BT-6 equal to BT-5). The
			// model alone follows UBL: a model with BT-6 = BT-5 is written validly in both.
			CheckSyntax: func(inv *Invoice, syntax string, report Report) {
				if blank(inv.TaxCurrency) {
					return
				}
				same := inv.TaxCurrency == inv.Currency
				if syntax == "cii" && (same || inv.Totals.TaxTotalAcctCurr == nil) ||
					syntax != "cii" && inv.Totals.TaxTotalAcctCurr == nil && !(same && inv.Totals.TaxTotal != nil) {
					report("")
				}
			}},
		{ID: "BR-54", Severity: Fatal, BT: []string{"BT-160", "BT-161", "BG-32"},
			FR: "Ligne {line} : chaque attribut d'article (BG-32) doit avoir un nom (BT-160) et une valeur (BT-161).",
			EN: "Line {line}: each item attribute (BG-32) must have a name (BT-160) and a value (BT-161).",
			Check: func(inv *Invoice, report Report) {
				for l := range inv.Lines {
					line := &inv.Lines[l]
					for i, a := range line.Item.Attributes {
						if blank(a.Name) || blank(a.Value) {
							report(attributePath(l, i), "line", lineID(line, l))
						}
					}
				}
			}},
		{ID: "BR-55", Severity: Fatal, BT: []string{"BT-25", "BG-3"},
			FR: "La référence à une facture antérieure n°{n} (BG-3) doit indiquer le numéro de cette facture (BT-25).",
			EN: "Preceding invoice reference {n} (BG-3) must contain the preceding invoice number (BT-25).",
			Check: func(inv *Invoice, report Report) {
				for i, p := range inv.PrecedingInvoices {
					if blank(p.Number) {
						report(precedingPath(i), "n", i+1)
					}
				}
			}},
		docRule("BR-56", []string{"BT-63", "BG-11"},
			"Le représentant fiscal du vendeur (BG-11) doit avoir un numéro de TVA (BT-63).",
			"The seller tax representative (BG-11) must have a VAT identifier (BT-63).",
			func(inv *Invoice) bool { return inv.TaxRepresentative != nil && blank(inv.TaxRepresentative.VATID) }),
		docRule("BR-57", []string{"BT-80", "BG-15"},
			"L'adresse de livraison (BG-15) doit comporter un code pays (BT-80).",
			"The deliver-to address (BG-15) must contain a country code (BT-80).",
			func(inv *Invoice) bool {
				d := inv.Delivery
				return d != nil && d.Address != nil && blank(d.Address.Country)
			}),
		docRule("BR-61", []string{"BT-81", "BT-84"},
			"Le moyen de paiement est un virement (BT-81 = 30 ou 58) : le compte à créditer (BT-84, IBAN) doit être indiqué.",
			"The payment means is a credit transfer (BT-81 = 30 or 58): the payment account identifier (BT-84) must be given.",
			func(inv *Invoice) bool {
				p := inv.Payment
				if p == nil {
					return false
				}
				if code := strings.TrimSpace(p.MeansCode); code != "30" && code != "58" {
					return false
				}
				for _, ct := range p.CreditTransfer {
					if !blank(ct.AccountID) {
						return false
					}
				}
				return true
			}),
		docRule("BR-62", []string{"BT-34", "BT-34-1"},
			"L'adresse électronique du vendeur (BT-34) doit indiquer son schéma d'identification (BT-34-1), par exemple 0009 pour un SIRET ou 0225 pour un SIREN.",
			"The seller electronic address (BT-34) must have a scheme identifier (BT-34-1).",
			func(inv *Invoice) bool {
				return !blank(inv.Seller.ElectronicAddress.Value) && blank(inv.Seller.ElectronicAddress.Scheme)
			}),
		docRule("BR-63", []string{"BT-49", "BT-49-1"},
			"L'adresse électronique de l'acheteur (BT-49) doit indiquer son schéma d'identification (BT-49-1), par exemple 0009 pour un SIRET ou 0225 pour un SIREN.",
			"The buyer electronic address (BT-49) must have a scheme identifier (BT-49-1).",
			func(inv *Invoice) bool {
				return !blank(inv.Buyer.ElectronicAddress.Value) && blank(inv.Buyer.ElectronicAddress.Scheme)
			}),
		lineRule("BR-64", []string{"BT-157", "BT-157-1"},
			"Ligne {line} : l'identifiant normalisé de l'article (BT-157) doit indiquer son schéma (BT-157-1), par exemple 0160 pour un GTIN.",
			"Line {line}: the item standard identifier (BT-157) must have a scheme identifier (BT-157-1), e.g. 0160 for a GTIN.",
			func(l *Line) bool { return !blank(l.Item.StandardID.Value) && blank(l.Item.StandardID.Scheme) }),
		{ID: "BR-65", Severity: Fatal, BT: []string{"BT-158", "BT-158-1"},
			FR: "Ligne {line} : le code de classification de l'article {code} (BT-158) doit indiquer son schéma (BT-158-1).",
			EN: "Line {line}: the item classification identifier {code} (BT-158) must have a scheme identifier (BT-158-1).",
			Check: func(inv *Invoice, report Report) {
				for l := range inv.Lines {
					line := &inv.Lines[l]
					for i, c := range line.Item.Classifications {
						if !blank(c.Code) && blank(c.Scheme) {
							report(classificationPath(l, i), "line", lineID(line, l), "code", c.Code)
						}
					}
				}
			}},
	}
}

func noReason(ac *AllowanceCharge) bool { return blank(ac.Reason) && blank(ac.ReasonCode) }

func periodReversed(p *Period) bool {
	return !p.Start.IsZero() && !p.End.IsZero() && p.End.Before(p.Start)
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

func itoa(i int) string { return formatArg(i, "en") }
