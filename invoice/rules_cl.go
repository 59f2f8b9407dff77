package invoice

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed codelists.txt
var codeListsText string

var codeLists = sync.OnceValue(func() map[string]map[string]bool {
	lists := map[string]map[string]bool{}
	for line := range strings.Lines(codeListsText) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, codes, _ := strings.Cut(line, "\t")
		set := map[string]bool{}
		for _, c := range strings.Fields(codes) {
			set[c] = true
		}
		lists[name] = set
	}
	return lists
})

// codeList returns the named code list of codelists.txt as a set; it panics on an unknown
// name, which is a programming error caught by the tests.
func codeList(name string) map[string]bool {
	l, ok := codeLists()[name]
	if !ok {
		panic("invoice: unknown code list " + name)
	}
	return l
}

// InCodeList reports whether code (trimmed) belongs to the named code list behind the BR-CL
// rules (ISO4217, ISO3166, UNECERec20, UNTDID1001, …); it is false for an unknown list. The
// readers use it for the codes the model does not hold, such as each amount's currencyID
// (BR-CL-03).
func InCodeList(list, code string) bool {
	return codeLists()[list][strings.TrimSpace(code)]
}

// clRule is a BR-CL rule: every value that collect finds must belong to the list. Values
// are compared after trimming spaces; empty values are not checked.
func clRule(id, list string, bt []string, fr, en string, collect func(inv *Invoice, add func(path, bt, code string))) Rule {
	return Rule{ID: id, Severity: Fatal, BT: bt, FR: fr, EN: en,
		Check: func(inv *Invoice, report Report) {
			set := codeList(list)
			collect(inv, func(path, bt, code string) {
				code = strings.TrimSpace(code)
				if code == "" || set[code] {
					return
				}
				fr, en := codeHint(list, code)
				report(path, "code", code, "bt", bt, "hintfr", fr, "hinten", en)
			})
		}}
}

func codeListRules() []Rule {
	return []Rule{
		clRule("BR-CL-01", "UNTDID1001", []string{"BT-3"},
			"Le code de type de document « {code} » ({bt}) n'existe pas dans la liste UNTDID 1001 (380 facture, 381 avoir, 384 facture rectificative, 389 autofacture…).",
			"Invoice type code \"{code}\" ({bt}) is not in the UNTDID 1001 list.",
			func(inv *Invoice, add func(path, bt, code string)) { add("", "BT-3", inv.TypeCode) }),
		// BR-CL-03 concerns the currencyID attribute of every amount, which the model does
		// not hold (amounts are in BT-5, BT-111 in BT-6): the UBL and CII readers report it
		// with this id and these messages, so the rule has no model check.
		{ID: "BR-CL-03", Severity: Fatal, BT: []string{"BT-5", "BT-6"},
			FR:    "La devise « {code} » d'un montant (attribut currencyID) n'est pas un code ISO 4217 alpha-3.",
			EN:    "The currency \"{code}\" of an amount (currencyID attribute) is not an ISO 4217 alpha-3 code.",
			Check: func(*Invoice, Report) {}},
		clRule("BR-CL-04", "ISO4217", []string{"BT-5"},
			"Le code devise « {code} » ({bt}) n'est pas un code ISO 4217 (par exemple EUR).",
			"Invoice currency code \"{code}\" ({bt}) is not an ISO 4217 code.",
			func(inv *Invoice, add func(path, bt, code string)) { add("", "BT-5", inv.Currency) }),
		clRule("BR-CL-05", "ISO4217", []string{"BT-6"},
			"Le code devise de comptabilisation de la TVA « {code} » ({bt}) n'est pas un code ISO 4217.",
			"VAT accounting currency code \"{code}\" ({bt}) is not an ISO 4217 code.",
			func(inv *Invoice, add func(path, bt, code string)) { add("", "BT-6", inv.TaxCurrency) }),
		clRule("BR-CL-06", "UNTDID2005", []string{"BT-8"},
			"Le code de date d'exigibilité de la TVA « {code} » ({bt}) doit être 3 (date de facture), 35 (date de livraison) ou 432 (date de paiement).",
			"VAT point date code \"{code}\" ({bt}) must be 3, 35 or 432 (UNTDID 2005).",
			func(inv *Invoice, add func(path, bt, code string)) { add("", "BT-8", inv.TaxPointDateCode) }),
		clRule("BR-CL-07", "UNTDID1153", []string{"BT-18-1", "BT-128-1"},
			"Le schéma « {code} » de l'objet facturé ({bt}) n'existe pas dans la liste UNTDID 1153.",
			"Object identifier scheme \"{code}\" ({bt}) is not in the UNTDID 1153 list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				add("", "BT-18-1", inv.InvoicedObject.Scheme)
				for i := range inv.Lines {
					add(LinePath(i), "BT-128-1", inv.Lines[i].ObjectID.Scheme)
				}
			}),
		clRule("BR-CL-08", "UNCL4451", []string{"BT-21"},
			"Le code sujet de note « {code} » ({bt}) n'existe pas dans la liste UNCL 4451 (par exemple AAI, PMT, PMD, AAB).",
			"Invoice note subject code \"{code}\" ({bt}) is not in the UNCL 4451 list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				for i, n := range inv.Notes {
					add(notePath(i), "BT-21", n.SubjectCode)
				}
			}),
		clRule("BR-CL-10", "ICD", []string{"BT-29-1", "BT-46-1", "BT-60-1"},
			"Le schéma d'identifiant « {code} » ({bt}) n'existe pas dans la liste ISO 6523 ICD (par exemple 0009 pour un SIRET, 0002 pour un SIREN).",
			"Identifier scheme \"{code}\" ({bt}) is not in the ISO 6523 ICD list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				// The seller and the payee may also use "SEPA" (a SEPA creditor identifier).
				sepa := func(scheme string) bool { return strings.TrimSpace(scheme) == "SEPA" }
				for _, id := range inv.Seller.IDs {
					if !sepa(id.Scheme) {
						add("", "BT-29-1", id.Scheme)
					}
				}
				for _, id := range inv.Buyer.IDs {
					add("", "BT-46-1", id.Scheme)
				}
				if inv.Payee != nil && !sepa(inv.Payee.ID.Scheme) {
					add("", "BT-60-1", inv.Payee.ID.Scheme)
				}
			}),
		clRule("BR-CL-11", "ICD", []string{"BT-30-1", "BT-47-1", "BT-61-1"},
			"Le schéma d'immatriculation « {code} » ({bt}) n'existe pas dans la liste ISO 6523 ICD (par exemple 0002 pour un SIREN).",
			"Legal registration identifier scheme \"{code}\" ({bt}) is not in the ISO 6523 ICD list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				add("", "BT-30-1", inv.Seller.LegalID.Scheme)
				add("", "BT-47-1", inv.Buyer.LegalID.Scheme)
				if inv.Payee != nil {
					add("", "BT-61-1", inv.Payee.LegalID.Scheme)
				}
			}),
		clRule("BR-CL-13", "UNTDID7143", []string{"BT-158-1"},
			"Le schéma de classification d'article « {code} » ({bt}) n'existe pas dans la liste UNTDID 7143.",
			"Item classification scheme \"{code}\" ({bt}) is not in the UNTDID 7143 list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				for l := range inv.Lines {
					for i, c := range inv.Lines[l].Item.Classifications {
						add(classificationPath(l, i), "BT-158-1", c.Scheme)
					}
				}
			}),
		clRule("BR-CL-14", "ISO3166", []string{"BT-40", "BT-55", "BT-69", "BT-80"},
			"Le code pays « {code} » ({bt}) n'est pas un code ISO 3166-1 alpha-2 (par exemple FR).",
			"Country code \"{code}\" ({bt}) is not an ISO 3166-1 alpha-2 code.",
			func(inv *Invoice, add func(path, bt, code string)) {
				add("", "BT-40", inv.Seller.Address.CountryOf())
				add("", "BT-55", inv.Buyer.Address.CountryOf())
				if inv.TaxRepresentative != nil {
					add("", "BT-69", inv.TaxRepresentative.Address.CountryOf())
				}
				if inv.Delivery != nil {
					add("", "BT-80", inv.Delivery.Address.CountryOf())
				}
			}),
		clRule("BR-CL-15", "ISO3166", []string{"BT-159"},
			"Le pays d'origine « {code} » de l'article ({bt}) n'est pas un code ISO 3166-1 alpha-2.",
			"Item country of origin \"{code}\" ({bt}) is not an ISO 3166-1 alpha-2 code.",
			func(inv *Invoice, add func(path, bt, code string)) {
				for i := range inv.Lines {
					add(LinePath(i), "BT-159", inv.Lines[i].Item.OriginCountry)
				}
			}),
		clRule("BR-CL-16", "UNTDID4461", []string{"BT-81"},
			"Le code de moyen de paiement « {code} » ({bt}) n'existe pas dans la liste UNTDID 4461 (30 virement, 58 virement SEPA, 49 prélèvement…).",
			"Payment means code \"{code}\" ({bt}) is not in the UNTDID 4461 list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				if inv.Payment != nil {
					add("", "BT-81", inv.Payment.MeansCode)
				}
			}),
		clRule("BR-CL-17", "UNCL5305", []string{"BT-95", "BT-102", "BT-118"},
			"La catégorie de TVA « {code} » ({bt}) n'existe pas (S, Z, E, AE, K, G, O, L, M ou B).",
			"VAT category code \"{code}\" ({bt}) is not in the UNCL 5305 list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				for i := range inv.Allowances {
					add(allowancePath(i), "BT-95", inv.Allowances[i].VATCategory)
				}
				for i := range inv.Charges {
					add(chargePath(i), "BT-102", inv.Charges[i].VATCategory)
				}
				for i := range inv.VAT {
					add(vatPath(i), "BT-118", inv.VAT[i].Category)
				}
			}),
		clRule("BR-CL-18", "UNCL5305", []string{"BT-151"},
			"La catégorie de TVA « {code} » de la ligne ({bt}) n'existe pas (S, Z, E, AE, K, G, O, L, M ou B).",
			"Line VAT category code \"{code}\" ({bt}) is not in the UNCL 5305 list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				for i := range inv.Lines {
					add(LinePath(i), "BT-151", inv.Lines[i].VATCategory)
				}
			}),
		clRule("BR-CL-19", "UNCL5189", []string{"BT-98", "BT-140"},
			"Le code motif de remise « {code} » ({bt}) n'existe pas dans la liste UNCL 5189 (par exemple 95 remise, 100 remise spéciale).",
			"Allowance reason code \"{code}\" ({bt}) is not in the UNCL 5189 list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				for i := range inv.Allowances {
					add(allowancePath(i), "BT-98", inv.Allowances[i].ReasonCode)
				}
				for l := range inv.Lines {
					for i := range inv.Lines[l].Allowances {
						add(lineAllowancePath(l, i), "BT-140", inv.Lines[l].Allowances[i].ReasonCode)
					}
				}
			}),
		clRule("BR-CL-20", "UNCL7161", []string{"BT-105", "BT-145"},
			"Le code motif de frais « {code} » ({bt}) n'existe pas dans la liste UNCL 7161 (par exemple FC frais de transport, ABL emballage).",
			"Charge reason code \"{code}\" ({bt}) is not in the UNCL 7161 list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				for i := range inv.Charges {
					add(chargePath(i), "BT-105", inv.Charges[i].ReasonCode)
				}
				for l := range inv.Lines {
					for i := range inv.Lines[l].Charges {
						add(lineChargePath(l, i), "BT-145", inv.Lines[l].Charges[i].ReasonCode)
					}
				}
			}),
		clRule("BR-CL-21", "ICD", []string{"BT-157-1"},
			"Le schéma d'identifiant normalisé d'article « {code} » ({bt}) n'existe pas dans la liste ISO 6523 ICD (0160 pour un GTIN).",
			"Item standard identifier scheme \"{code}\" ({bt}) is not in the ISO 6523 ICD list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				for i := range inv.Lines {
					add(LinePath(i), "BT-157-1", inv.Lines[i].Item.StandardID.Scheme)
				}
			}),
		clRule("BR-CL-22", "VATEX", []string{"BT-121"},
			"Le code de motif d'exonération « {code} » ({bt}) n'existe pas dans la liste VATEX (par exemple VATEX-EU-AE, VATEX-FR-FRANCHISE).",
			"VAT exemption reason code \"{code}\" ({bt}) is not in the VATEX list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				for i := range inv.VAT {
					add(vatPath(i), "BT-121", strings.ToUpper(inv.VAT[i].ExemptionReasonCode))
				}
			}),
		clRule("BR-CL-23", "REC20", []string{"BT-130", "BT-150"},
			"Le code d'unité « {code} » ({bt}) n'existe pas dans les recommandations UN/ECE 20 et 21 (par exemple C62 unité, HUR heure, KGM kilogramme).{hintfr}",
			"Unit code \"{code}\" ({bt}) is not in UN/ECE Recommendation 20 or 21.{hinten}",
			func(inv *Invoice, add func(path, bt, code string)) {
				for i := range inv.Lines {
					add(LinePath(i), "BT-130", inv.Lines[i].UnitCode)
					add(LinePath(i), "BT-150", inv.Lines[i].Price.BaseUnitCode)
				}
			}),
		clRule("BR-CL-24", "MIME", []string{"BT-125-1"},
			"Le type de pièce jointe « {code} » ({bt}) n'est pas admis : PDF, PNG, JPEG, CSV, XLSX ou ODS.",
			"Attachment MIME code \"{code}\" ({bt}) is not allowed (PDF, PNG, JPEG, CSV, XLSX or ODS).",
			func(inv *Invoice, add func(path, bt, code string)) {
				for i, d := range inv.Documents {
					if d.Attachment != nil {
						add(documentPath(i), "BT-125-1", d.Attachment.MIMEType)
					}
				}
			}),
		clRule("BR-CL-25", "EAS", []string{"BT-34-1", "BT-49-1"},
			"Le schéma d'adresse électronique « {code} » ({bt}) n'existe pas dans la liste EAS (par exemple 0009 SIRET, 0225 SIREN, EM courriel).",
			"Electronic address scheme \"{code}\" ({bt}) is not in the EAS list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				add("", "BT-34-1", inv.Seller.ElectronicAddress.Scheme)
				add("", "BT-49-1", inv.Buyer.ElectronicAddress.Scheme)
			}),
		clRule("BR-CL-26", "ICD", []string{"BT-71-1"},
			"Le schéma d'identifiant du lieu de livraison « {code} » ({bt}) n'existe pas dans la liste ISO 6523 ICD.",
			"Deliver-to location identifier scheme \"{code}\" ({bt}) is not in the ISO 6523 ICD list.",
			func(inv *Invoice, add func(path, bt, code string)) {
				if inv.Delivery != nil {
					add("", "BT-71-1", inv.Delivery.LocationID.Scheme)
				}
			}),
	}
}
