package invoice

import (
	"regexp"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// FRCTCVersion is the version of the French CIUS schematrons (XP Z12-012, BR-FR) the fr-ctc
// rules follow.
const FRCTCVersion = "1.4.0.03"

// FRCTC returns the fr-ctc profile: the EN 16931 rules plus the French CIUS rules (BR-FR) of
// the 2026 B2B reform that concern data a mapping supplies. Rules about the syntax only
// (XSD, UBL/CII specifics), multi-vendor invoices (BR-FR-MV, BR-FR-BD) and single
// VAT-taxable groups (BR-FR-CO-14/15) are not part of it.
func FRCTC() *Profile {
	p := EN16931()
	p.Name = "fr-ctc"
	p.Version = ArtefactsVersion + "+br-fr." + FRCTCVersion
	p.Rules = append(p.Rules, frRules()...)
	return p
}

var (
	frIDRe       = regexp.MustCompile(`^[A-Za-z0-9+\-_/]+$`)
	frAddressRe  = regexp.MustCompile(`^[A-Za-z0-9\-_.]+$`)
	frTypeCodes  = []string{"380", "389", "393", "501", "386", "500", "384", "471", "472", "473", "261", "262", "381", "396", "502", "503"}
	frFrames     = []string{"B1", "S1", "M1", "B2", "S2", "M2", "S3", "B4", "S4", "M4", "S5", "S6", "B7", "S7", "B8", "S8", "M8", "B9", "S9", "M9"}
	frCategories = []string{"S", "E", "AE", "K", "G", "O", "Z"}
	frRates      = []string{"0", "0.9", "1.05", "1.75", "2.1", "5.5", "7", "8.5", "9.2", "9.6", "10", "13", "19.6", "20", "20.6"}
	frDocDescr   = []string{"RIB", "LISIBLE", "FEUILLE_DE_STYLE", "PJA", "BON_LIVRAISON", "BON_COMMANDE", "DOCUMENT_ANNEXE",
		"BORDEREAU_SUIVI", "BORDEREAU_SUIVI_VALIDATION", "ETAT_ACOMPTE", "FACTURE_PAIEMENT_DIRECT", "RECAPITULATIF_COTRAITANCE"}
	frProcessing     = []string{"B2B", "B2BINT", "B2C", "OUTOFSCOPE", "ARCHIVEONLY"}
	frMandatoryNotes = []string{"PMT", "PMD", "AAB"}
)

// frProcessingType returns the processing type of the BAR note, "" when there is none.
func frProcessingType(inv *Invoice) string {
	for _, n := range inv.Notes {
		if strings.EqualFold(strings.TrimSpace(n.SubjectCode), "BAR") {
			return strings.ToUpper(strings.TrimSpace(n.Text))
		}
	}
	return ""
}

// frB2B reports whether the invoice is processed as domestic B2B (the default without a
// BAR note).
func frB2B(inv *Invoice) bool {
	t := frProcessingType(inv)
	return t == "" || t == "B2B"
}

// frSelfBilled reports whether the type code is a self-billed document (the buyer issues it).
func frSelfBilled(inv *Invoice) bool {
	return slices.Contains([]string{"389", "261", "500", "501", "502"}, strings.TrimSpace(inv.TypeCode))
}

// frSIREN returns the party's SIREN: its legal registration (BT-30 / BT-47) with scheme 0002.
func frSIREN(p *Party) string {
	if p.LegalID.Scheme == "0002" {
		return strings.TrimSpace(p.LegalID.Value)
	}
	return ""
}

// frDates lists the dates of an invoice a mapping fills, with their BT and path.
func frDates(inv *Invoice, f func(bt, path string, d Date)) {
	f("BT-2", "", inv.IssueDate)
	f("BT-7", "", inv.TaxPointDate)
	f("BT-9", "", inv.DueDate)
	for i, p := range inv.PrecedingInvoices {
		f("BT-26", precedingPath(i), p.IssueDate)
	}
	if inv.Delivery != nil {
		f("BT-72", "BG-13", inv.Delivery.Date)
	}
	if inv.InvoicingPeriod != nil {
		f("BT-73", "BG-14", inv.InvoicingPeriod.Start)
		f("BT-74", "BG-14", inv.InvoicingPeriod.End)
	}
	for i := range inv.Lines {
		if p := inv.Lines[i].Period; p != nil {
			f("BT-134", linePeriodPath(i), p.Start)
			f("BT-135", linePeriodPath(i), p.End)
		}
	}
}

// frVATItems calls f with each VAT category and rate the invoice states: lines, document
// allowances and charges, breakdowns.
func frVATItems(inv *Invoice, f func(bt, path, cat string, rate *decimal.Decimal)) {
	for i := range inv.Lines {
		f("BT-151", LinePath(i), inv.Lines[i].VATCategory, inv.Lines[i].VATRate)
	}
	for i := range inv.Allowances {
		f("BT-95", allowancePath(i), inv.Allowances[i].VATCategory, inv.Allowances[i].VATRate)
	}
	for i := range inv.Charges {
		f("BT-102", chargePath(i), inv.Charges[i].VATCategory, inv.Charges[i].VATRate)
	}
	for i := range inv.VAT {
		f("BT-118", vatPath(i), inv.VAT[i].Category, inv.VAT[i].Rate)
	}
}

// frDecimals returns the number of decimals d is written with, trailing zeros excluded.
func frDecimals(d *decimal.Decimal) int {
	if d == nil {
		return 0
	}
	s := d.String()
	if _, frac, ok := strings.Cut(s, "."); ok {
		return len(strings.TrimRight(frac, "0"))
	}
	return 0
}

func frRules() []Rule {
	must := func(id string, bt []string, fr, en string, check func(inv *Invoice, report Report)) Rule {
		return Rule{ID: id, Severity: Fatal, BT: bt, FR: fr, EN: en, Check: check}
	}
	invoiceNumbers := func(inv *Invoice, f func(path, bt, number string)) {
		f("", "BT-1", inv.Number)
		for i, p := range inv.PrecedingInvoices {
			f(precedingPath(i), "BT-25", p.Number)
		}
	}
	return []Rule{
		must("BR-FR-01", []string{"BT-1", "BT-25"},
			"Le numéro de facture {bt} « {number} » dépasse 35 caractères ({n}) : raccourcissez-le.",
			"Invoice number {bt} \"{number}\" is longer than 35 characters ({n}): shorten it.",
			func(inv *Invoice, report Report) {
				invoiceNumbers(inv, func(path, bt, n string) {
					if l := len([]rune(n)); l > 35 {
						report(path, "bt", bt, "number", n, "n", l)
					}
				})
			}),
		must("BR-FR-02", []string{"BT-1", "BT-25"},
			"Le numéro de facture {bt} « {number} » ne peut contenir que des lettres sans accent, des chiffres et + - _ / (pas d'espace).",
			"Invoice number {bt} \"{number}\" may only hold unaccented letters, digits and + - _ / (no space).",
			func(inv *Invoice, report Report) {
				invoiceNumbers(inv, func(path, bt, n string) {
					if n != "" && !frIDRe.MatchString(n) {
						report(path, "bt", bt, "number", n)
					}
				})
			}),
		must("BR-FR-03", []string{"BT-2", "BT-7", "BT-9", "BT-26", "BT-72", "BT-73", "BT-74", "BT-134", "BT-135"},
			"La date {bt} ({date}) doit être comprise entre 2000 et 2099 : vérifiez le format de date de l'export.",
			"Date {bt} ({date}) must fall between 2000 and 2099: check the date layout of the export.",
			func(inv *Invoice, report Report) {
				frDates(inv, func(bt, path string, d Date) {
					if !d.IsZero() && (d.Year < 2000 || d.Year > 2099) {
						report(path, "bt", bt, "date", d)
					}
				})
			}),
		must("BR-FR-04", []string{"BT-3"},
			"Le type de document {code} (BT-3) n'est pas admis en France : utilisez 380 (facture), 381 (avoir), 384 (facture rectificative), 386 (acompte), 389 (autofacture)…",
			"Document type {code} (BT-3) is not allowed in France: use 380 (invoice), 381 (credit note), 384 (corrective invoice), 386 (prepayment), 389 (self-billed)…",
			func(inv *Invoice, report Report) {
				if c := strings.TrimSpace(inv.TypeCode); c != "" && !slices.Contains(frTypeCodes, c) {
					report("", "code", c)
				}
			}),
		must("BR-FR-05", []string{"BG-1", "BT-21", "BT-22"},
			"Il manque la mention obligatoire {code} : ajoutez une note (BG-1) de code sujet {code} (BT-21) avec son texte (BT-22) ; PMT : indemnité forfaitaire pour frais de recouvrement (40 €), PMD : pénalités de retard, AAB : escompte pour paiement anticipé ou son absence.",
			"The mandatory statement {code} is missing: add a note (BG-1) with subject code {code} (BT-21) and its text (BT-22); PMT: flat-rate recovery costs (EUR 40), PMD: late-payment penalties, AAB: early-payment discount or that there is none.",
			func(inv *Invoice, report Report) {
				for _, m := range frMandatoryNotes {
					if !slices.ContainsFunc(inv.Notes, func(n Note) bool {
						return strings.EqualFold(strings.TrimSpace(n.SubjectCode), m) && !blank(n.Text)
					}) {
						report("", "code", m)
					}
				}
			}),
		must("BR-FR-06", []string{"BT-21"},
			"Le code sujet de note {code} (BT-21) apparaît plusieurs fois : regroupez ces notes en une seule.",
			"Note subject code {code} (BT-21) appears more than once: merge those notes into one.",
			func(inv *Invoice, report Report) {
				seen := map[string]bool{}
				for i, n := range inv.Notes {
					c := strings.ToUpper(strings.TrimSpace(n.SubjectCode))
					if c == "" {
						continue
					}
					if seen[c] {
						report(notePath(i), "code", c)
					}
					seen[c] = true
				}
			}),
		must("BR-FR-08", []string{"BT-23"},
			"Le cadre de facturation (BT-23) est obligatoire et doit valoir B1 (biens), S1 (services) ou M1 (mixte), ou B2/S2/M2 (déjà payée), B4/S4/M4 (facture définitive après acompte)… ; valeur lue : « {frame} ».",
			"The billing frame (BT-23) is mandatory and must be B1 (goods), S1 (services) or M1 (mixed), or B2/S2/M2 (already paid), B4/S4/M4 (final invoice after a down payment)…; found: \"{frame}\".",
			func(inv *Invoice, report Report) {
				if f := strings.TrimSpace(inv.BusinessProcess); !slices.Contains(frFrames, f) {
					report("", "frame", f)
				}
			}),
		must("BR-FR-09", []string{"BT-29", "BT-46", "BT-30", "BT-47"},
			"Le SIRET {siret} ({bt}) doit commencer par le SIREN {siren} de la même entreprise ({legal}).",
			"SIRET {siret} ({bt}) must start with SIREN {siren} of the same company ({legal}).",
			func(inv *Invoice, report Report) {
				for _, side := range []struct {
					p         *Party
					bt, legal string
				}{{&inv.Seller, "BT-29", "BT-30"}, {&inv.Buyer, "BT-46", "BT-47"}} {
					siren := frSIREN(side.p)
					if siren == "" {
						continue
					}
					for _, id := range side.p.IDs {
						if id.Scheme == "0009" && !strings.HasPrefix(strings.TrimSpace(id.Value), siren) {
							report("", "siret", id.Value, "siren", siren, "bt", side.bt, "legal", side.legal)
						}
					}
				}
			}),
		must("BR-FR-10", []string{"BT-30", "BT-30-1"},
			"Le SIREN du vendeur est obligatoire : indiquez ses 9 chiffres en BT-30 avec le schéma 0002.",
			"The seller's SIREN is mandatory: give its 9 digits in BT-30 with scheme 0002.",
			func(inv *Invoice, report Report) {
				if frSIREN(&inv.Seller) == "" {
					report("")
				}
			}),
		must("BR-FR-11", []string{"BT-47", "BT-47-1"},
			"Facture B2B : le SIREN de l'acheteur est obligatoire ; indiquez ses 9 chiffres en BT-47 avec le schéma 0002.",
			"B2B invoice: the buyer's SIREN is mandatory; give its 9 digits in BT-47 with scheme 0002.",
			func(inv *Invoice, report Report) {
				if frB2B(inv) && frSIREN(&inv.Buyer) == "" {
					report("")
				}
			}),
		must("BR-FR-12", []string{"BT-49"},
			"L'adresse électronique de facturation de l'acheteur (BT-49) est obligatoire : reprenez-la de l'annuaire (schéma 0225 : SIREN, éventuellement suivi d'un suffixe).",
			"The buyer's electronic invoicing address (BT-49) is mandatory: take it from the directory (scheme 0225: the SIREN, possibly with a suffix).",
			func(inv *Invoice, report Report) {
				if blank(inv.Buyer.ElectronicAddress.Value) {
					report("")
				}
			}),
		must("BR-FR-13", []string{"BT-34"},
			"L'adresse électronique de facturation du vendeur (BT-34) est obligatoire (schéma 0225 : votre SIREN, éventuellement suivi d'un suffixe).",
			"The seller's electronic invoicing address (BT-34) is mandatory (scheme 0225: your SIREN, possibly with a suffix).",
			func(inv *Invoice, report Report) {
				if blank(inv.Seller.ElectronicAddress.Value) {
					report("")
				}
			}),
		must("BR-FR-15", []string{"BT-95", "BT-102", "BT-118", "BT-151"},
			"La catégorie de TVA « {cat} » ({bt}) n'est pas admise en France : utilisez S, E, AE, K, G, O ou Z (L et M sont réservées aux Canaries, Ceuta et Melilla).",
			"VAT category \"{cat}\" ({bt}) is not allowed in France: use S, E, AE, K, G, O or Z (L and M are for the Canaries, Ceuta and Melilla).",
			func(inv *Invoice, report Report) {
				frVATItems(inv, func(bt, path, cat string, _ *decimal.Decimal) {
					if c := strings.TrimSpace(cat); c != "" && !slices.Contains(frCategories, c) {
						report(path, "cat", c, "bt", bt)
					}
				})
			}),
		must("BR-FR-16", []string{"BT-96", "BT-103", "BT-119", "BT-152"},
			"Le taux de TVA {rate} % n'existe pas en France (ni en Corse ni outre-mer) : vérifiez la colonne de taux de l'export.",
			"VAT rate {rate} % does not exist in France (Corsica and overseas included): check the rate column of the export.",
			func(inv *Invoice, report Report) {
				frVATItems(inv, func(bt, path, _ string, rate *decimal.Decimal) {
					if rate == nil {
						return
					}
					if !slices.ContainsFunc(frRates, func(r string) bool { return decimal.RequireFromString(r).Equal(*rate) }) {
						report(path, "rate", Rate(*rate))
					}
				})
			}),
		must("BR-FR-17", []string{"BT-123"},
			"La description « {descr} » de la pièce jointe (BT-123) n'est pas un code admis : RIB, LISIBLE, BON_LIVRAISON, BON_COMMANDE, DOCUMENT_ANNEXE, PJA…",
			"Attachment description \"{descr}\" (BT-123) is not an allowed code: RIB, LISIBLE, BON_LIVRAISON, BON_COMMANDE, DOCUMENT_ANNEXE, PJA…",
			func(inv *Invoice, report Report) {
				for i, d := range inv.Documents {
					if s := strings.TrimSpace(d.Description); s != "" && !slices.Contains(frDocDescr, s) {
						report(documentPath(i), "descr", s)
					}
				}
			}),
		must("BR-FR-18", []string{"BT-123"},
			"Une seule pièce jointe peut être décrite LISIBLE (la représentation lisible de la facture).",
			"Only one attachment may be described LISIBLE (the readable copy of the invoice).",
			func(inv *Invoice, report Report) {
				n := 0
				for i, d := range inv.Documents {
					if strings.TrimSpace(d.Description) == "LISIBLE" {
						if n++; n == 2 {
							report(documentPath(i))
						}
					}
				}
			}),
		must("BR-FR-20", []string{"BT-21", "BT-22"},
			"Le type de traitement « {value} » (note BAR) n'est pas admis : écrivez B2B, B2BINT, B2C, OUTOFSCOPE ou ARCHIVEONLY.",
			"Processing type \"{value}\" (BAR note) is not allowed: write B2B, B2BINT, B2C, OUTOFSCOPE or ARCHIVEONLY.",
			func(inv *Invoice, report Report) {
				for i, n := range inv.Notes {
					if strings.EqualFold(strings.TrimSpace(n.SubjectCode), "BAR") && !slices.Contains(frProcessing, strings.ToUpper(strings.TrimSpace(n.Text))) {
						report(notePath(i), "value", n.Text)
					}
				}
			}),
		must("BR-FR-21", []string{"BT-49", "BT-49-1"},
			"Facture B2B : l'adresse électronique de l'acheteur (BT-49) doit avoir le schéma 0225 et commencer par son SIREN {siren} ; valeur lue : « {addr} » (schéma « {scheme} »).",
			"B2B invoice: the buyer's electronic address (BT-49) must use scheme 0225 and start with its SIREN {siren}; found \"{addr}\" (scheme \"{scheme}\").",
			func(inv *Invoice, report Report) {
				if !frB2B(inv) || frSelfBilled(inv) {
					return
				}
				frCheck0225(&inv.Buyer, report)
			}),
		must("BR-FR-22", []string{"BT-34", "BT-34-1"},
			"Autofacture B2B : l'adresse électronique du vendeur (BT-34) doit avoir le schéma 0225 et commencer par son SIREN {siren} ; valeur lue : « {addr} » (schéma « {scheme} »).",
			"Self-billed B2B invoice: the seller's electronic address (BT-34) must use scheme 0225 and start with its SIREN {siren}; found \"{addr}\" (scheme \"{scheme}\").",
			func(inv *Invoice, report Report) {
				if !frB2B(inv) || !frSelfBilled(inv) {
					return
				}
				frCheck0225(&inv.Seller, report)
			}),
		must("BR-FR-23", []string{"BT-34", "BT-49"},
			"L'adresse électronique {bt} « {addr} » ne peut contenir que des lettres sans accent, des chiffres et - _ . (ni espace ni @).",
			"Electronic address {bt} \"{addr}\" may only hold unaccented letters, digits and - _ . (no space, no @).",
			func(inv *Invoice, report Report) {
				frAddresses(inv, func(bt string, id ID) {
					if id.Scheme != "EM" && id.Value != "" && !frAddressRe.MatchString(id.Value) {
						report("", "bt", bt, "addr", id.Value)
					}
				})
			}),
		must("BR-FR-25", []string{"BT-34", "BT-49"},
			"L'adresse électronique {bt} dépasse 125 caractères ({n}).",
			"Electronic address {bt} is longer than 125 characters ({n}).",
			func(inv *Invoice, report Report) {
				frAddresses(inv, func(bt string, id ID) {
					if n := len([]rune(id.Value)); n > 125 {
						report("", "bt", bt, "n", n)
					}
				})
			}),
		must("BR-FR-24", []string{"BT-29", "BT-46", "BT-60"},
			"L'identifiant privé {bt} « {value} » (schéma 0224) ne peut contenir que des lettres sans accent, des chiffres et + - _ /.",
			"Private identifier {bt} \"{value}\" (scheme 0224) may only hold unaccented letters, digits and + - _ /.",
			func(inv *Invoice, report Report) {
				frPrivateIDs(inv, func(path, bt, v string) {
					if !frIDRe.MatchString(v) {
						report(path, "bt", bt, "value", v)
					}
				})
			}),
		must("BR-FR-26", []string{"BT-29", "BT-46", "BT-60"},
			"L'identifiant privé {bt} (schéma 0224) dépasse 100 caractères ({n}).",
			"Private identifier {bt} (scheme 0224) is longer than 100 characters ({n}).",
			func(inv *Invoice, report Report) {
				frPrivateIDs(inv, func(path, bt, v string) {
					if n := len([]rune(v)); n > 100 {
						report(path, "bt", bt, "n", n)
					}
				})
			}),
		must("BR-FR-27", []string{"BT-160"},
			"Ligne {line} : un attribut d'article (BG-32) n'a pas de nom (BT-160).",
			"Line {line}: an item attribute (BG-32) has no name (BT-160).",
			func(inv *Invoice, report Report) {
				for l := range inv.Lines {
					for i, a := range inv.Lines[l].Item.Attributes {
						if blank(a.Name) {
							report(attributePath(l, i), "line", lineID(&inv.Lines[l], l))
						}
					}
				}
			}),
		must("BR-FR-28", []string{"BT-161"},
			"Ligne {line} : l'attribut d'article « {name} » (BG-32) n'a pas de valeur (BT-161).",
			"Line {line}: item attribute \"{name}\" (BG-32) has no value (BT-161).",
			func(inv *Invoice, report Report) {
				for l := range inv.Lines {
					for i, a := range inv.Lines[l].Item.Attributes {
						if !blank(a.Name) && blank(a.Value) {
							report(attributePath(l, i), "line", lineID(&inv.Lines[l], l), "name", a.Name)
						}
					}
				}
			}),
		must("BR-FR-31", []string{"BT-21"},
			"Il ne peut y avoir qu'une note de type de traitement (BAR).",
			"There may be only one processing-type note (BAR).",
			func(inv *Invoice, report Report) {
				n := 0
				for i, note := range inv.Notes {
					if strings.EqualFold(strings.TrimSpace(note.SubjectCode), "BAR") {
						if n++; n == 2 {
							report(notePath(i))
						}
					}
				}
			}),
		must("BR-FR-32", []string{"BT-30", "BT-47"},
			"Le SIREN {bt} « {siren} » doit compter exactement 9 chiffres, sans espace.",
			"SIREN {bt} \"{siren}\" must be exactly 9 digits, without spaces.",
			func(inv *Invoice, report Report) {
				for _, side := range []struct {
					p  *Party
					bt string
				}{{&inv.Seller, "BT-30"}, {&inv.Buyer, "BT-47"}} {
					if side.p.LegalID.Scheme == "0002" && !(len(side.p.LegalID.Value) == 9 && allDigits(side.p.LegalID.Value)) {
						report("", "bt", side.bt, "siren", side.p.LegalID.Value)
					}
				}
			}),
		must("BR-FR-CO-04", []string{"BT-3", "BG-3"},
			"Une facture rectificative (type {code}) doit citer exactement une facture antérieure (BG-3) ; elle en cite {n}.",
			"A corrective invoice (type {code}) must reference exactly one preceding invoice (BG-3); it references {n}.",
			func(inv *Invoice, report Report) {
				c := strings.TrimSpace(inv.TypeCode)
				if slices.Contains([]string{"384", "471", "472", "473"}, c) && len(inv.PrecedingInvoices) != 1 {
					report("", "code", c, "n", len(inv.PrecedingInvoices))
				}
			}),
		must("BR-FR-CO-05", []string{"BT-3", "BG-3"},
			"Un avoir (type {code}) doit citer la facture qu'il corrige (BG-3, numéro BT-25).",
			"A credit note (type {code}) must reference the invoice it corrects (BG-3, number BT-25).",
			func(inv *Invoice, report Report) {
				c := strings.TrimSpace(inv.TypeCode)
				if slices.Contains([]string{"261", "381", "396", "502", "503"}, c) && len(inv.PrecedingInvoices) == 0 {
					report("", "code", c)
				}
			}),
		must("BR-FR-CO-08", []string{"BT-3", "BT-23"},
			"Une facture d'acompte (type {code}) ne peut pas avoir le cadre {frame} (facture définitive après acompte).",
			"A prepayment invoice (type {code}) cannot have billing frame {frame} (final invoice after a down payment).",
			func(inv *Invoice, report Report) {
				c, f := strings.TrimSpace(inv.TypeCode), strings.TrimSpace(inv.BusinessProcess)
				if slices.Contains([]string{"386", "500", "503"}, c) && slices.Contains([]string{"B4", "S4", "M4"}, f) {
					report("", "code", c, "frame", f)
				}
			}),
		must("BR-FR-CO-09", []string{"BT-23", "BT-113", "BT-115", "BT-9"},
			"Cadre {frame} (facture déjà payée) : le montant payé (BT-113) doit égaler le total TTC (BT-112), le net à payer (BT-115) être nul ({due}) et la date de paiement figurer en BT-9.",
			"Billing frame {frame} (already paid): the paid amount (BT-113) must equal the total with VAT (BT-112), the amount due (BT-115) be zero ({due}) and the payment date be given in BT-9.",
			func(inv *Invoice, report Report) {
				f := strings.TrimSpace(inv.BusinessProcess)
				if !slices.Contains([]string{"B2", "S2", "M2"}, f) {
					return
				}
				t := inv.Totals
				ok := t.Paid != nil && t.TaxInclusive != nil && t.Paid.Equal(*t.TaxInclusive) &&
					t.Payable != nil && t.Payable.IsZero() && !inv.DueDate.IsZero()
				if !ok {
					report("", "frame", f, "due", t.Payable)
				}
			}),
		must("BR-FR-CO-12", []string{"BT-5", "BT-6", "BT-111"},
			"La facture est en {cur} : la devise de comptabilisation de la TVA (BT-6) doit être EUR et le total de TVA en euros (BT-111) doit figurer.",
			"The invoice is in {cur}: the VAT accounting currency (BT-6) must be EUR and the VAT total in euros (BT-111) must be given.",
			frCheckEuroVAT),
		must("BR-FR-DEC-02", []string{"BT-129", "BT-149"},
			"Ligne {line} : la quantité {qty} a plus de 4 décimales.",
			"Line {line}: quantity {qty} has more than 4 decimals.",
			func(inv *Invoice, report Report) {
				for i := range inv.Lines {
					l := &inv.Lines[i]
					for _, q := range []*decimal.Decimal{l.Quantity, l.Price.BaseQuantity} {
						if frDecimals(q) > 4 {
							report(LinePath(i), "line", lineID(l, i), "qty", q.String())
						}
					}
				}
			}),
		must("BR-FR-DEC-03", []string{"BT-146", "BT-147", "BT-148"},
			"Ligne {line} : le prix unitaire {price} a plus de 6 décimales.",
			"Line {line}: unit price {price} has more than 6 decimals.",
			func(inv *Invoice, report Report) {
				for i := range inv.Lines {
					l := &inv.Lines[i]
					for _, p := range []*decimal.Decimal{l.Price.Net, l.Price.Discount, l.Price.Gross} {
						if frDecimals(p) > 6 {
							report(LinePath(i), "line", lineID(l, i), "price", p.String())
						}
					}
				}
			}),
		must("BR-FR-DEC-04", []string{"BT-96", "BT-103", "BT-119", "BT-152"},
			"Le taux de TVA {rate} ({bt}) a plus de 2 décimales.",
			"VAT rate {rate} ({bt}) has more than 2 decimals.",
			func(inv *Invoice, report Report) {
				frVATItems(inv, func(bt, path, _ string, rate *decimal.Decimal) {
					if frDecimals(rate) > 2 {
						report(path, "rate", Rate(*rate), "bt", bt)
					}
				})
			}),
	}
}

// frCheck0225 reports when p's electronic address is not scheme 0225 starting with its SIREN.
func frCheck0225(p *Party, report Report) {
	ea := p.ElectronicAddress
	if blank(ea.Value) {
		return // BR-FR-12/13 say it is missing
	}
	siren := frSIREN(p)
	if ea.Scheme != "0225" || (siren != "" && !strings.HasPrefix(strings.TrimSpace(ea.Value), siren)) {
		report("", "siren", siren, "addr", ea.Value, "scheme", ea.Scheme)
	}
}

// frCheckEuroVAT reports an invoice in another currency than the euro whose VAT is not also
// accounted in euros (BT-6 = EUR with BT-111). FR-CTC (BR-FR-CO-12) and Chorus Pro
// (FG-CPRO-CURRENCY) ask the same of an invoice, so they share this check.
func frCheckEuroVAT(inv *Invoice, report Report) {
	cur := strings.ToUpper(strings.TrimSpace(inv.Currency))
	if cur == "" || cur == "EUR" {
		return
	}
	if strings.ToUpper(strings.TrimSpace(inv.TaxCurrency)) != "EUR" || inv.Totals.TaxTotalAcctCurr == nil {
		report("", "cur", cur)
	}
}

// frAddresses calls f with the seller's and the buyer's electronic addresses.
func frAddresses(inv *Invoice, f func(bt string, id ID)) {
	f("BT-34", inv.Seller.ElectronicAddress)
	f("BT-49", inv.Buyer.ElectronicAddress)
}

// frPrivateIDs calls f with each identifier of scheme 0224 (private identifiers).
func frPrivateIDs(inv *Invoice, f func(path, bt, value string)) {
	for _, id := range inv.Seller.IDs {
		if id.Scheme == "0224" {
			f("", "BT-29", id.Value)
		}
	}
	for _, id := range inv.Buyer.IDs {
		if id.Scheme == "0224" {
			f("", "BT-46", id.Value)
		}
	}
	if inv.Payee != nil && inv.Payee.ID.Scheme == "0224" {
		f("BG-10", "BT-60", inv.Payee.ID.Value)
	}
}
