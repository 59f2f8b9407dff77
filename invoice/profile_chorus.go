package invoice

import (
	"regexp"
	"strings"
)

// ChorusProVersion stamps the chorus-pro rules: Chorus Pro has not published its own
// schematron (BR-FR-CPRO is announced, not released), so these rules follow the Chorus Pro
// external specifications as the gateway reads them, on top of EN 16931 1.3.16.
const ChorusProVersion = ArtefactsVersion + "+cpro.1"

// BuyerRequirement is what a public buyer requires on its invoices besides its SIRET: the
// values of the Chorus Pro structure parameter gestionNumeroEJOuCodeService.
type BuyerRequirement string

const (
	RequireNone                 BuyerRequirement = "none"
	RequireService              BuyerRequirement = "service"                // service code (BT-10)
	RequireCommitment           BuyerRequirement = "engagement"             // legal commitment number (BT-13)
	RequireServiceOrCommitment  BuyerRequirement = "service_or_engagement"  // at least one of them
	RequireServiceAndCommitment BuyerRequirement = "service_and_engagement" // both
)

// Valid reports whether r is one of the known requirements ("" means none).
func (r BuyerRequirement) Valid() bool {
	switch r {
	case "", RequireNone, RequireService, RequireCommitment, RequireServiceOrCommitment, RequireServiceAndCommitment:
		return true
	}
	return false
}

// ChorusOptions configures the chorus-pro profile.
type ChorusOptions struct {
	// Buyers maps a public buyer's SIRET (14 digits) to what it requires, as its Chorus Pro
	// structure says. Buyers not listed get Default.
	Buyers map[string]BuyerRequirement
	// Default applies to buyers not in Buyers; "" means RequireNone.
	Default BuyerRequirement
}

// requirement returns what the buyer with SIRET siret requires.
func (o ChorusOptions) requirement(siret string) BuyerRequirement {
	if r, ok := o.Buyers[siret]; ok && r != "" {
		return r
	}
	if o.Default == "" {
		return RequireNone
	}
	return o.Default
}

// ChorusPro returns the chorus-pro profile: the EN 16931 rules plus what Chorus Pro requires
// of an invoice to a public buyer (B2G). Its findings have Fluxgate ids (FG-CPRO-*), since
// the official BR-FR-CPRO rules are not published yet.
func ChorusPro(opts ChorusOptions) *Profile {
	p := EN16931()
	p.Name = "chorus-pro"
	p.Version = ChorusProVersion
	p.Rules = append(p.Rules, chorusRules(opts)...)
	return p
}

var (
	siretRe      = regexp.MustCompile(`^[0-9]{14}$`)
	chorusFrames = regexp.MustCompile(`^A([1-9]|1[0-9]|2[0-5])$`)
)

// ValidSIRET reports whether s is 14 digits with a valid Luhn key (La Poste's
// establishments, SIREN 356000000, use a sum of digits multiple of 5 instead).
func ValidSIRET(s string) bool {
	if !siretRe.MatchString(s) {
		return false
	}
	if strings.HasPrefix(s, "356000000") {
		sum := 0
		for _, c := range s {
			sum += int(c - '0')
		}
		return sum%5 == 0
	}
	return luhnValid(s)
}

// ValidSIREN reports whether s is 9 digits with a valid Luhn key.
func ValidSIREN(s string) bool {
	return len(s) == 9 && allDigits(s) && luhnValid(s)
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func luhnValid(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// partySIRET returns the SIRET the party carries with scheme 0009: in its identifiers
// (BT-29 / BT-46), its legal registration (BT-30 / BT-47) or its electronic address
// (BT-34 / BT-49), in that order, and whether one was found.
func partySIRET(p *Party) (string, bool) {
	for _, id := range p.IDs {
		if id.Scheme == "0009" {
			return strings.TrimSpace(id.Value), true
		}
	}
	if p.LegalID.Scheme == "0009" {
		return strings.TrimSpace(p.LegalID.Value), true
	}
	if p.ElectronicAddress.Scheme == "0009" {
		return strings.TrimSpace(p.ElectronicAddress.Value), true
	}
	return "", false
}

// frenchParty reports whether the party is established in France (or says no country).
func frenchParty(p *Party) bool {
	c := strings.ToUpper(strings.TrimSpace(p.Address.CountryOf()))
	return c == "" || c == "FR"
}

func chorusRules(opts ChorusOptions) []Rule {
	must := func(id string, bt []string, fr, en string, check func(inv *Invoice, report Report)) Rule {
		return Rule{ID: id, Severity: Fatal, BT: bt, FR: fr, EN: en, Check: check}
	}
	return []Rule{
		must("FG-CPRO-SELLER-SIRET", []string{"BT-29", "BT-29-1"},
			"Chorus Pro identifie le fournisseur par son SIRET : indiquez les 14 chiffres du SIRET du vendeur en BT-29 avec le schéma 0009.",
			"Chorus Pro identifies the supplier by its SIRET: give the seller's 14-digit SIRET in BT-29 with scheme 0009.",
			func(inv *Invoice, report Report) {
				if _, ok := partySIRET(&inv.Seller); !ok && frenchParty(&inv.Seller) {
					report("") // foreign suppliers use their VAT number or another identifier type
				}
			}),
		must("FG-CPRO-SELLER-SIRET-INVALID", []string{"BT-29"},
			"Le SIRET du vendeur « {siret} » n'est pas valide (14 chiffres, clé de contrôle) : vérifiez-le sur l'avis de situation INSEE.",
			"The seller's SIRET \"{siret}\" is not valid (14 digits with a check key): check it against the INSEE registration.",
			func(inv *Invoice, report Report) {
				if siret, ok := partySIRET(&inv.Seller); ok && !ValidSIRET(siret) {
					report("", "siret", siret)
				}
			}),
		must("FG-CPRO-BUYER-SIRET", []string{"BT-46", "BT-46-1"},
			"Chorus Pro achemine la facture d'après le SIRET de la structure publique destinataire : indiquez ses 14 chiffres en BT-46 avec le schéma 0009.",
			"Chorus Pro routes the invoice by the public buyer's SIRET: give its 14 digits in BT-46 with scheme 0009.",
			func(inv *Invoice, report Report) {
				if _, ok := partySIRET(&inv.Buyer); !ok {
					report("")
				}
			}),
		must("FG-CPRO-BUYER-SIRET-INVALID", []string{"BT-46"},
			"Le SIRET de l'acheteur public « {siret} » n'est pas valide (14 chiffres, clé de contrôle) : reprenez celui de la structure dans l'annuaire Chorus Pro.",
			"The public buyer's SIRET \"{siret}\" is not valid (14 digits with a check key): copy the structure's SIRET from the Chorus Pro directory.",
			func(inv *Invoice, report Report) {
				if siret, ok := partySIRET(&inv.Buyer); ok && !ValidSIRET(siret) {
					report("", "siret", siret)
				}
			}),
		must("FG-CPRO-SERVICE", []string{"BT-10"},
			"La structure publique {siret} exige un code service : indiquez-le en BT-10 (référence acheteur), tel que l'acheteur vous l'a communiqué.",
			"The public buyer {siret} requires a service code: give it in BT-10 (buyer reference), as the buyer gave it to you.",
			func(inv *Invoice, report Report) {
				siret, _ := partySIRET(&inv.Buyer)
				switch opts.requirement(siret) {
				case RequireService, RequireServiceAndCommitment:
					if blank(inv.BuyerReference) {
						report("", "siret", siret)
					}
				}
			}),
		must("FG-CPRO-COMMITMENT", []string{"BT-13"},
			"La structure publique {siret} exige le numéro d'engagement juridique (bon de commande) : indiquez-le en BT-13.",
			"The public buyer {siret} requires the legal commitment number (purchase order): give it in BT-13.",
			func(inv *Invoice, report Report) {
				siret, _ := partySIRET(&inv.Buyer)
				switch opts.requirement(siret) {
				case RequireCommitment, RequireServiceAndCommitment:
					if blank(inv.PurchaseOrderReference) {
						report("", "siret", siret)
					}
				}
			}),
		must("FG-CPRO-SERVICE-OR-COMMITMENT", []string{"BT-10", "BT-13"},
			"La structure publique {siret} exige un code service (BT-10) ou un numéro d'engagement juridique (BT-13) : indiquez au moins l'un des deux.",
			"The public buyer {siret} requires a service code (BT-10) or a legal commitment number (BT-13): give at least one.",
			func(inv *Invoice, report Report) {
				siret, _ := partySIRET(&inv.Buyer)
				if opts.requirement(siret) == RequireServiceOrCommitment && blank(inv.BuyerReference) && blank(inv.PurchaseOrderReference) {
					report("", "siret", siret)
				}
			}),
		must("FG-CPRO-FRAME", []string{"BT-23"},
			"Le cadre de facturation « {frame} » (BT-23) n'existe pas dans Chorus Pro : écrivez A1 (facture fournisseur), A2 (facture déjà payée), A9 (sous-traitant), A12 (cotraitant)… ou laissez BT-23 vide pour A1.",
			"Billing frame \"{frame}\" (BT-23) does not exist in Chorus Pro: write A1 (supplier invoice), A2 (invoice already paid), A9 (subcontractor), A12 (co-contractor)… or leave BT-23 empty for A1.",
			func(inv *Invoice, report Report) {
				f := strings.TrimSpace(inv.BusinessProcess)
				if f != "" && !chorusFrames.MatchString(f) {
					report("", "frame", f)
				}
			}),
		must("FG-CPRO-A2-PAID", []string{"BT-23", "BT-113", "BT-115"},
			"Cadre A2 (facture déjà payée) : la facture doit être entièrement payée, le montant payé (BT-113) égal au total TTC (BT-112) et le net à payer (BT-115) à zéro ; il reste {due} à payer. Utilisez A1 si elle n'est pas réglée.",
			"Billing frame A2 (invoice already paid): the invoice must be paid in full, the paid amount (BT-113) equal to the total with VAT (BT-112) and the amount due (BT-115) zero; {due} is still due. Use A1 if it is not paid.",
			func(inv *Invoice, report Report) {
				if strings.TrimSpace(inv.BusinessProcess) != "A2" {
					return
				}
				t := inv.Totals
				paidInFull := t.Paid != nil && t.TaxInclusive != nil && t.Paid.Equal(*t.TaxInclusive)
				if !paidInFull || (t.Payable != nil && !t.Payable.IsZero()) {
					report("", "due", t.Payable)
				}
			}),
		must("FG-CPRO-NUMBER", []string{"BT-1"},
			"Chorus Pro limite le numéro de facture à 20 caractères ; « {number} » en a {n}. Raccourcissez la numérotation de vos factures publiques.",
			"Chorus Pro limits the invoice number to 20 characters; \"{number}\" has {n}. Shorten the numbering of your public-sector invoices.",
			func(inv *Invoice, report Report) {
				if n := len([]rune(inv.Number)); n > 20 {
					report("", "number", inv.Number, "n", n)
				}
			}),
		must("FG-CPRO-CURRENCY", []string{"BT-5", "BT-6", "BT-111"},
			"La facture est en {cur} : Chorus Pro demande la contre-valeur en euros, soit la devise de TVA EUR (BT-6) et le total de TVA en euros (BT-111).",
			"The invoice is in {cur}: Chorus Pro needs the euro counter-value, that is the VAT accounting currency EUR (BT-6) and the VAT total in euros (BT-111).",
			checkEuroVAT),
		must("FG-CPRO-IBAN", []string{"BT-81", "BT-84"},
			"Paiement par virement (code {code}) : Chorus Pro exige l'IBAN du compte à créditer (BT-84).",
			"Payment by credit transfer (code {code}): Chorus Pro requires the IBAN of the account to credit (BT-84).",
			func(inv *Invoice, report Report) {
				if inv.IsCreditNote() || inv.Payment == nil {
					return
				}
				switch code := strings.TrimSpace(inv.Payment.MeansCode); code {
				case "30", "31", "42":
					for _, ct := range inv.Payment.CreditTransfer {
						if !blank(ct.AccountID) {
							return
						}
					}
					report("", "code", code)
				}
			}),
	}
}
