package invoice

import (
	"strings"
)

// FRCTCVersion is the version of the French CTC validation artefacts (FNFE-MPE, BR-FR rules
// of the XP Z12-012 standard) the fr-ctc profiles follow.
const FRCTCVersion = "1.4.0"

// FRCTC returns the fr-ctc profile: the EN 16931 rules, then every French CTC rule (BR-FR)
// of the official artefacts v1.4.0 with its official id and the severity of their "FATAL"
// schematrons, applicable since 1 September 2026.
//
// The French rules judge the document itself (UBL or CII), as the official schematrons do:
// they are Document rules, which invoice/syntax evaluates on a document (CheckDocument) or
// on the document an invoice will be written as (CheckInvoice). Check and CheckFor leave
// them out.
func FRCTC() *Profile { return frProfile("fr-ctc", false) }

// FRCTCWarning returns the fr-ctc-warning profile: fr-ctc with the severities of the official
// "_WARNING" schematrons (the transition before 1 September 2026): most French rules warn,
// the multi-vendor and two-way (BR-FR-MV, BR-FR-BD) ones stay fatal.
func FRCTCWarning() *Profile { return frProfile("fr-ctc-warning", true) }

func frProfile(name string, transition bool) *Profile {
	p := EN16931()
	p.Name = name
	p.Version = ArtefactsVersion + "+br-fr." + FRCTCVersion
	for _, r := range frRules {
		sev := Fatal
		if transition && !r.stillFatal {
			sev = Warning
		}
		p.Rules = append(p.Rules, Rule{ID: r.id, Severity: sev, BT: r.bt, FR: r.fr, EN: r.en, Document: true})
	}
	return p
}

// frRule is a French rule: its official id (the part of the official assert ids before the
// first "_"), the business terms it concerns, its messages, and whether the transition
// ("_WARNING") schematrons keep it fatal. "{value}" in a message is the value the official
// rule judged, when that is a single element's text.
type frRule struct {
	id         string
	bt         []string
	stillFatal bool
	fr, en     string
}

// frRules lists every rule of the official BR-FR schematrons v1.4.0 (UBL and CII), in the
// order of the specification. TestFRCTCRulesFollowOfficial checks the list against them.
var frRules = []frRule{
	{id: "BR-FR-01", bt: []string{"BT-1", "BT-25", "EXT-FR-FE-136"},
		fr: "Le numéro de facture « {value} » dépasse 35 caractères ou contient des caractères non admis : au plus 35 lettres sans accent, chiffres et + - _ /, sans espace.",
		en: "Invoice number \"{value}\" is longer than 35 characters or holds characters that are not allowed: at most 35 unaccented letters, digits and + - _ /, no space."},
	{id: "BR-FR-02", bt: []string{"BT-1", "BT-25", "EXT-FR-FE-136"},
		fr: "Le numéro de facture « {value} » ne peut contenir que des lettres sans accent, des chiffres et + - _ / (pas d'espace).",
		en: "Invoice number \"{value}\" may only hold unaccented letters, digits and + - _ / (no space)."},
	{id: "BR-FR-03", bt: []string{"BT-2", "BT-7", "BT-9", "BT-26", "BT-72", "BT-73", "BT-74", "BT-134", "BT-135"},
		fr: "La date « {value} » n'est pas une date valide comprise entre 2000 et 2099 : vérifiez le format de date de l'export.",
		en: "Date \"{value}\" is not a valid date between 2000 and 2099: check the date layout of the export."},
	{id: "BR-FR-04", bt: []string{"BT-3", "EXT-FR-FE-02", "EXT-FR-FE-137"},
		fr: "Le type de document « {value} » n'est pas admis en France : utilisez 380 (facture), 381 (avoir), 384 (facture rectificative), 386 (acompte), 389 (autofacture)…",
		en: "Document type \"{value}\" is not allowed in France: use 380 (invoice), 381 (credit note), 384 (corrective invoice), 386 (prepayment), 389 (self-billed)…"},
	{id: "BR-FR-05", bt: []string{"BG-1", "BT-21", "BT-22"},
		fr: "Une mention obligatoire manque : une note (BG-1) de code sujet PMT (indemnité forfaitaire de recouvrement de 40 €), PMD (pénalités de retard) et AAB (escompte ou son absence) doit figurer.",
		en: "A mandatory statement is missing: a note (BG-1) with subject code PMT (EUR 40 flat-rate recovery costs), PMD (late-payment penalties) and AAB (early-payment discount or its absence) must each be given."},
	{id: "BR-FR-06", bt: []string{"BT-21"},
		fr: "Un code sujet de note (PMT, PMD, AAB ou TXD) apparaît plusieurs fois : regroupez ces notes en une seule.",
		en: "A note subject code (PMT, PMD, AAB or TXD) appears more than once: merge those notes into one."},
	{id: "BR-FR-08", bt: []string{"BT-23"},
		fr: "Le cadre de facturation (BT-23) est absent ou non admis : B1 (biens), S1 (services), M1 (mixte), B2/S2/M2 (déjà payée), B4/S4/M4 (définitive après acompte)…",
		en: "The billing frame (BT-23) is missing or not allowed: B1 (goods), S1 (services), M1 (mixed), B2/S2/M2 (already paid), B4/S4/M4 (final after a down payment)…"},
	{id: "BR-FR-09", bt: []string{"BT-29", "BT-46", "BT-60", "BT-71"},
		fr: "Le SIRET « {value} » doit compter 14 chiffres et commencer par le SIREN de la même entreprise.",
		en: "SIRET \"{value}\" must have 14 digits and start with the SIREN of the same company."},
	{id: "BR-FR-10", bt: []string{"BT-30", "BT-30-1"},
		fr: "Le SIREN du vendeur est obligatoire : indiquez ses 9 chiffres en BT-30 avec le schéma 0002.",
		en: "The seller's SIREN is mandatory: give its 9 digits in BT-30 with scheme 0002."},
	{id: "BR-FR-11", bt: []string{"BT-47", "BT-47-1"},
		fr: "Facture B2B (note BAR) : le SIREN de l'acheteur est obligatoire ; indiquez ses 9 chiffres en BT-47 avec le schéma 0002.",
		en: "B2B invoice (BAR note): the buyer's SIREN is mandatory; give its 9 digits in BT-47 with scheme 0002."},
	{id: "BR-FR-12", bt: []string{"BT-49"},
		fr: "L'adresse électronique de facturation de l'acheteur (BT-49) est obligatoire : reprenez-la de l'annuaire (schéma 0225 : SIREN, éventuellement suivi d'un suffixe).",
		en: "The buyer's electronic invoicing address (BT-49) is mandatory: take it from the directory (scheme 0225: the SIREN, possibly with a suffix)."},
	{id: "BR-FR-13", bt: []string{"BT-34"},
		fr: "L'adresse électronique de facturation du vendeur (BT-34) est obligatoire (schéma 0225 : votre SIREN, éventuellement suivi d'un suffixe).",
		en: "The seller's electronic invoicing address (BT-34) is mandatory (scheme 0225: your SIREN, possibly with a suffix)."},
	{id: "BR-FR-15", bt: []string{"BT-95", "BT-102", "BT-118", "BT-151"},
		fr: "La catégorie de TVA « {value} » n'est pas admise en France : utilisez S, E, AE, K, G, O ou Z (L et M sont réservées aux Canaries, Ceuta et Melilla).",
		en: "VAT category \"{value}\" is not allowed in France: use S, E, AE, K, G, O or Z (L and M are for the Canaries, Ceuta and Melilla)."},
	{id: "BR-FR-16", bt: []string{"BT-96", "BT-103", "BT-119", "BT-152"},
		fr: "Le taux de TVA « {value} » n'existe pas en France (Corse et outre-mer compris), ou n'est pas écrit comme la liste officielle l'attend (20, 20.0 ou 20.00) : vérifiez la colonne de taux de l'export.",
		en: "VAT rate \"{value}\" does not exist in France (Corsica and overseas included), or is not written as the official list expects (20, 20.0 or 20.00): check the rate column of the export."},
	{id: "BR-FR-17", bt: []string{"BT-123"},
		fr: "La description « {value} » de la pièce jointe (BT-123) n'est pas un code admis : RIB, LISIBLE, BON_LIVRAISON, BON_COMMANDE, DOCUMENT_ANNEXE, PJA…",
		en: "Attachment description \"{value}\" (BT-123) is not an allowed code: RIB, LISIBLE, BON_LIVRAISON, BON_COMMANDE, DOCUMENT_ANNEXE, PJA…"},
	{id: "BR-FR-18", bt: []string{"BT-123"},
		fr: "Une seule pièce jointe peut être décrite LISIBLE (la représentation lisible de la facture).",
		en: "Only one attachment may be described LISIBLE (the readable copy of the invoice)."},
	{id: "BR-FR-20", bt: []string{"BT-21", "BT-22"},
		fr: "Le type de traitement de la note BAR n'est pas admis : écrivez B2B, B2BINT, B2C, OUTOFSCOPE ou ARCHIVEONLY.",
		en: "The processing type of the BAR note is not allowed: write B2B, B2BINT, B2C, OUTOFSCOPE or ARCHIVEONLY."},
	{id: "BR-FR-21", bt: []string{"BT-49", "BT-49-1"},
		fr: "Facture B2B : l'adresse électronique de l'acheteur (BT-49) doit avoir le schéma 0225 et commencer par son SIREN (BT-47).",
		en: "B2B invoice: the buyer's electronic address (BT-49) must use scheme 0225 and start with its SIREN (BT-47)."},
	{id: "BR-FR-22", bt: []string{"BT-34", "BT-34-1"},
		fr: "Autofacture avec une note BAR : l'adresse électronique du vendeur (BT-34) doit avoir le schéma 0225 et commencer par son SIREN (BT-30).",
		en: "Self-billed invoice with a BAR note: the seller's electronic address (BT-34) must use scheme 0225 and start with its SIREN (BT-30)."},
	{id: "BR-FR-23", bt: []string{"BT-34", "BT-49"},
		fr: "L'adresse électronique « {value} » (schéma 0225) ne peut contenir que des lettres sans accent, des chiffres et - _ . (ni espace ni @).",
		en: "Electronic address \"{value}\" (scheme 0225) may only hold unaccented letters, digits and - _ . (no space, no @)."},
	{id: "BR-FR-24", bt: []string{"BT-29", "BT-46"},
		fr: "L'identifiant privé « {value} » (schéma 0224) ne peut contenir que des lettres sans accent, des chiffres et + - _ .",
		en: "Private identifier \"{value}\" (scheme 0224) may only hold unaccented letters, digits and + - _ ."},
	{id: "BR-FR-25", bt: []string{"BT-34", "BT-49"},
		fr: "L'adresse électronique « {value} » dépasse 125 caractères.",
		en: "Electronic address \"{value}\" is longer than 125 characters."},
	{id: "BR-FR-26", bt: []string{"BT-29", "BT-46"},
		fr: "L'identifiant privé « {value} » (schéma 0224) dépasse 100 caractères.",
		en: "Private identifier \"{value}\" (scheme 0224) is longer than 100 characters."},
	{id: "BR-FR-27", bt: []string{"BG-32", "BT-160"},
		fr: "Un attribut d'article (BG-32) doit avoir un nom (BT-160) ou un code non vide.",
		en: "An item attribute (BG-32) must have a non-empty name (BT-160) or code."},
	{id: "BR-FR-28-Value", bt: []string{"BG-32", "BT-161"},
		fr: "Un attribut d'article (BG-32) doit avoir soit une valeur (BT-161), soit une quantité avec son unité, mais pas les deux.",
		en: "An item attribute (BG-32) must have either a value (BT-161) or a quantity with its unit, not both."},
	{id: "BR-FR-29", bt: []string{"BT-18", "BT-18-1"},
		fr: "Parmi les objets facturés (BT-18), les schémas AFL et AVV ne peuvent apparaître qu'une fois chacun, et jamais vides.",
		en: "Among the invoiced objects (BT-18), schemes AFL and AVV may appear once each, never empty."},
	{id: "BR-FR-30", bt: []string{"BT-128", "BT-128-1"},
		fr: "Parmi les objets facturés d'une ligne (BT-128), les schémas AFL et AVV ne peuvent apparaître qu'une fois chacun, et jamais vides.",
		en: "Among a line's invoiced objects (BT-128), schemes AFL and AVV may appear once each, never empty."},
	{id: "BR-FR-31", bt: []string{"BT-21", "BT-22"},
		fr: "Il ne peut y avoir qu'un type de traitement (note BAR) : B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE ou ARCHIVEONLY.",
		en: "There may be only one processing type (BAR note): B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE or ARCHIVEONLY."},
	{id: "BR-FR-32-LEGALID", bt: []string{"BT-30", "BT-47", "BT-61"},
		fr: "Le SIREN « {value} » (identifiant légal de schéma 0002) doit compter exactement 9 chiffres, sans espace.",
		en: "SIREN \"{value}\" (legal identifier with scheme 0002) must be exactly 9 digits, without spaces."},
	{id: "BR-FR-32-ID", bt: []string{"BT-29", "BT-46", "BT-60"},
		fr: "L'identifiant « {value} » de schéma 0002 ou 0231 doit compter exactement 9 chiffres, sans espace.",
		en: "Identifier \"{value}\" with scheme 0002 or 0231 must be exactly 9 digits, without spaces."},
	{id: "BR-FR-32-GLOBALID", bt: []string{"BT-29", "BT-46", "BT-60"},
		fr: "L'identifiant global « {value} » de schéma 0002 ou 0231 doit compter exactement 9 chiffres, sans espace.",
		en: "Global identifier \"{value}\" with scheme 0002 or 0231 must be exactly 9 digits, without spaces."},
	{id: "BR-FR-CO-03", bt: []string{"BT-3", "BT-12", "BG-14"},
		fr: "Un avoir de remise globale (type 262) doit indiquer le contrat (BT-12) et la période de facturation complète (BG-14).",
		en: "A global discount credit note (type 262) must give the contract (BT-12) and the whole invoicing period (BG-14)."},
	{id: "BR-FR-CO-04", bt: []string{"BT-3", "BG-3"},
		fr: "Une facture rectificative (384, 471, 472, 473) doit citer exactement une facture antérieure (BG-3).",
		en: "A corrective invoice (384, 471, 472, 473) must reference exactly one preceding invoice (BG-3)."},
	{id: "BR-FR-CO-05", bt: []string{"BT-3", "BG-3"},
		fr: "Un avoir (261, 381, 396, 502, 503) doit citer la facture qu'il corrige, numéro (BT-25) et date (BT-26), en en-tête ou sur chaque ligne.",
		en: "A credit note (261, 381, 396, 502, 503) must reference the invoice it corrects, number (BT-25) and date (BT-26), in the header or on every line."},
	{id: "BR-FR-CO-07", bt: []string{"BT-9", "BT-2"},
		fr: "La date d'échéance (BT-9) précède la date de facture (BT-2) : admis seulement pour un acompte (386, 500, 503) ou une facture déjà payée (B2, S2, M2).",
		en: "The due date (BT-9) is before the invoice date (BT-2): allowed only for a prepayment (386, 500, 503) or an invoice already paid (B2, S2, M2)."},
	{id: "BR-FR-CO-08", bt: []string{"BT-23", "BT-3"},
		fr: "Une facture d'acompte (386, 500, 503) ne peut pas avoir le cadre B4, S4 ou M4 (facture définitive après acompte).",
		en: "A prepayment invoice (386, 500, 503) cannot have billing frame B4, S4 or M4 (final invoice after a down payment)."},
	{id: "BR-FR-CO-09", bt: []string{"BT-23", "BT-113", "BT-115", "BT-9"},
		fr: "Cadre B2, S2 ou M2 (facture déjà payée) : le montant payé (BT-113) doit égaler le total TTC (BT-112), le net à payer (BT-115) être nul et la date de paiement figurer en BT-9.",
		en: "Billing frame B2, S2 or M2 (already paid): the paid amount (BT-113) must equal the total with VAT (BT-112), the amount due (BT-115) be zero and the payment date be given in BT-9."},
	{id: "BR-FR-CO-10", bt: []string{"BT-29-1", "BT-46-1", "BT-60-1", "BT-71-1"},
		fr: "Chaque identifiant d'une partie (BT-29, BT-46, BT-60, BT-71) doit indiquer son schéma, et un même schéma ne peut y figurer qu'une fois.",
		en: "Each identifier of a party (BT-29, BT-46, BT-60, BT-71) must give its scheme, and a scheme may appear only once."},
	{id: "BR-FR-CO-12", bt: []string{"BT-5", "BT-6", "BT-111"},
		fr: "La facture n'est pas en euros : la devise de comptabilisation de la TVA (BT-6) doit être EUR et le total de TVA en euros (BT-111) doit figurer.",
		en: "The invoice is not in euros: the VAT accounting currency (BT-6) must be EUR and the VAT total in euros (BT-111) must be given."},
	{id: "BR-FR-CO-14", bt: []string{"BT-29-1", "BT-21", "BT-22"},
		fr: "Vendeur membre d'un assujetti unique (schéma 0231) : une note TXD de texte MEMBRE_ASSUJETTI_UNIQUE doit figurer.",
		en: "Seller member of a single VAT-taxable group (scheme 0231): a TXD note with the text MEMBRE_ASSUJETTI_UNIQUE must be given."},
	{id: "BR-FR-CO-15", bt: []string{"BT-29-1", "BG-11", "BT-63"},
		fr: "Vendeur membre d'un assujetti unique (schéma 0231) : le représentant fiscal (BG-11) avec le numéro de TVA de l'assujetti unique (BT-63) doit figurer.",
		en: "Seller member of a single VAT-taxable group (scheme 0231): the tax representative (BG-11) with the group's VAT number (BT-63) must be given."},
	{id: "BR-FR-DEC-01", bt: []string{"BT-92", "BT-106", "BT-109", "BT-112", "BT-115", "BT-116", "BT-117", "BT-131"},
		fr: "Le montant « {value} » doit avoir au plus 2 décimales, un point comme séparateur et au plus 19 chiffres.",
		en: "Amount \"{value}\" must have at most 2 decimals, a point as separator and at most 19 digits."},
	{id: "BR-FR-DEC-02", bt: []string{"BT-129", "BT-149"},
		fr: "La quantité « {value} » doit avoir au plus 4 décimales, un point comme séparateur et au plus 19 chiffres.",
		en: "Quantity \"{value}\" must have at most 4 decimals, a point as separator and at most 19 digits."},
	{id: "BR-FR-DEC-03", bt: []string{"BT-146", "BT-147", "BT-148"},
		fr: "Le prix « {value} » doit être positif, avec au plus 6 décimales, un point comme séparateur et au plus 19 chiffres.",
		en: "Price \"{value}\" must be positive, with at most 6 decimals, a point as separator and at most 19 digits."},
	{id: "BR-FR-DEC-04", bt: []string{"BT-96", "BT-103", "BT-119", "BT-152"},
		fr: "Le taux de TVA « {value} » doit être positif, avec au plus 2 décimales et 4 chiffres.",
		en: "VAT rate \"{value}\" must be positive, with at most 2 decimals and 4 digits."},
	{id: "BR-FR-MV-01", bt: []string{"BT-23", "EXT-FR-FE-163"}, stillFatal: true,
		fr: "Cadre multi-vendeurs ou bidirectionnel (S8, B8, M8, S9, B9, M9) : chaque ligne doit référencer la facture et indiquer son sous-type (GROUP, DETAIL, INFORMATION).",
		en: "Multi-vendor or two-way frame (S8, B8, M8, S9, B9, M9): each line must reference the invoice and give its sub-type (GROUP, DETAIL, INFORMATION)."},
	{id: "BR-FR-MV-02", bt: []string{"BT-23", "EXT-FR-FE-163"}, stillFatal: true,
		fr: "Cadre multi-vendeurs (S8, B8, M8) : au moins une ligne GROUP sans ligne parente doit figurer.",
		en: "Multi-vendor frame (S8, B8, M8): at least one GROUP line without a parent line must be given."},
	{id: "BR-FR-BD-02", bt: []string{"BT-23", "EXT-FR-FE-163", "BT-30", "BT-47"}, stillFatal: true,
		fr: "Cadre bidirectionnel (S9, B9, M9) : exactement deux lignes GROUP sans parent, l'une au SIREN du vendeur (BT-30), l'autre à celui de l'acheteur (BT-47).",
		en: "Two-way frame (S9, B9, M9): exactly two GROUP lines without a parent, one with the seller's SIREN (BT-30), the other with the buyer's (BT-47)."},
	{id: "BR-FR-MV-03", bt: []string{"BT-23", "BT-128"}, stillFatal: true,
		fr: "Cadre multi-vendeurs ou bidirectionnel : une ligne GROUP sans parent doit donner le nom, l'identifiant légal et le pays de son vendeur, son total de TVA, et ses objets facturés AFL et AVV.",
		en: "Multi-vendor or two-way frame: a GROUP line without a parent must give its seller's name, legal identifier and country, its VAT total, and its AFL and AVV invoiced objects."},
	{id: "BR-FR-MV-05", bt: []string{"BT-23", "BT-131"}, stillFatal: true,
		fr: "Cadre multi-vendeurs ou bidirectionnel : le montant net d'une ligne GROUP doit égaler la somme de ses lignes filles (à 0,01 près par ligne).",
		en: "Multi-vendor or two-way frame: a GROUP line's net amount must equal the sum of its child lines (within 0.01 per line)."},
	{id: "BR-FR-MV-06", bt: []string{"BT-23"}, stillFatal: true,
		fr: "Cadre multi-vendeurs ou bidirectionnel : chaque ligne doit donner l'identifiant légal de son vendeur, le même que sa ligne parente.",
		en: "Multi-vendor or two-way frame: each line must give its seller's legal identifier, the same as its parent line's."},
	{id: "BR-FR-MV-07", bt: []string{"BT-23", "BT-128"}, stillFatal: true,
		fr: "Cadre multi-vendeurs ou bidirectionnel : chaque ligne doit donner son numéro de facture (objet facturé AFL), le même que sa ligne parente.",
		en: "Multi-vendor or two-way frame: each line must give its invoice number (AFL invoiced object), the same as its parent line's."},
	{id: "BR-FR-MV-08", bt: []string{"BT-23", "BT-128"}, stillFatal: true,
		fr: "Cadre multi-vendeurs ou bidirectionnel : chaque ligne DETAIL doit avoir une raison d'exonération de TVA commençant par #numéro de sous-facture#.",
		en: "Multi-vendor or two-way frame: each DETAIL line must have a VAT exemption reason starting with #sub-invoice number#."},
	{id: "BR-FR-MV-09", bt: []string{"BT-23", "BT-117"}, stillFatal: true,
		fr: "Cadre multi-vendeurs ou bidirectionnel : le total de TVA d'une ligne GROUP doit égaler la somme des ventilations de TVA de sa sous-facture.",
		en: "Multi-vendor or two-way frame: a GROUP line's VAT total must equal the sum of its sub-invoice's VAT breakdowns."},
	{id: "BR-FR-MV-10", bt: []string{"BT-23", "BT-131"}, stillFatal: true,
		fr: "Cadre multi-vendeurs ou bidirectionnel : le montant TTC d'une ligne GROUP doit égaler son montant net plus sa TVA.",
		en: "Multi-vendor or two-way frame: a GROUP line's amount with VAT must equal its net amount plus its VAT."},
	{id: "BR-FR-MV-11", bt: []string{"BT-23", "BT-128", "BT-1"}, stillFatal: true,
		fr: "Cadre multi-vendeurs ou bidirectionnel : le numéro de facture (AFL) de la ligne GROUP du vendeur principal ne correspond pas au numéro de facture (BT-1).",
		en: "Multi-vendor or two-way frame: the invoice number (AFL) of the main seller's GROUP line does not match the invoice number (BT-1)."},
	{id: "BR-FR-MV-12", bt: []string{"BT-23", "BT-128"}, stillFatal: true,
		fr: "Cadre multi-vendeurs ou bidirectionnel : les numéros de facture (AFL) des lignes GROUP sans parent doivent être distincts.",
		en: "Multi-vendor or two-way frame: the invoice numbers (AFL) of the GROUP lines without a parent must differ."},
	{id: "BR-FR-MV-13", bt: []string{"BT-23", "BT-3"}, stillFatal: true,
		fr: "Cadre multi-vendeurs (S8, B8, M8) : le type « {value} » est une autofacture, non admise dans ce cadre.",
		en: "Multi-vendor frame (S8, B8, M8): type \"{value}\" is a self-billed type, not allowed in this frame."},
	{id: "BR-FR-MV-BD", bt: []string{"BT-23", "BT-3"}, stillFatal: true,
		fr: "Cadre bidirectionnel (S9, B9, M9) : le type « {value} » doit être une autofacture (389, 261, 501, 500, 502, 471, 473).",
		en: "Two-way frame (S9, B9, M9): type \"{value}\" must be a self-billed type (389, 261, 501, 500, 502, 471, 473)."},
	{id: "BR-FR-BD-13", bt: []string{"BT-23", "BT-3"}, stillFatal: true,
		fr: "Cadre bidirectionnel (S9, B9, M9) : le type « {value} » doit être une autofacture (389, 261, 501, 500, 502, 471, 473).",
		en: "Two-way frame (S9, B9, M9): type \"{value}\" must be a self-billed type (389, 261, 501, 500, 502, 471, 473)."},
	{id: "BR-FR-MV-14-EXT-FR-FE-136", bt: []string{"BT-23", "BT-3"}, stillFatal: true,
		fr: "Facture rectificative ou avoir multi-vendeurs : chaque ligne GROUP sans parent doit citer le numéro de la facture antérieure.",
		en: "Multi-vendor corrective invoice or credit note: each GROUP line without a parent must give the preceding invoice's number."},
	{id: "BR-FR-MV-14-EXT-FR-FE-138", bt: []string{"BT-23", "BT-3"}, stillFatal: true,
		fr: "Facture rectificative ou avoir multi-vendeurs : chaque ligne GROUP sans parent doit citer la date de la facture antérieure.",
		en: "Multi-vendor corrective invoice or credit note: each GROUP line without a parent must give the preceding invoice's date."},
	{id: "BR-FR-BD-14-EXT-FR-FE-136", bt: []string{"BT-23", "BT-3"}, stillFatal: true,
		fr: "Facture rectificative ou avoir bidirectionnel : chaque ligne GROUP sans parent doit citer le numéro de la facture antérieure.",
		en: "Two-way corrective invoice or credit note: each GROUP line without a parent must give the preceding invoice's number."},
	{id: "BR-FR-BD-14-EXT-FR-FE-138", bt: []string{"BT-23", "BT-3"}, stillFatal: true,
		fr: "Facture rectificative ou avoir bidirectionnel : chaque ligne GROUP sans parent doit citer la date de la facture antérieure.",
		en: "Two-way corrective invoice or credit note: each GROUP line without a parent must give the preceding invoice's date."},
}

// frAssertMessages are the messages of the official asserts whose id names another rule than
// the one they check (BR-FR-08_BT-151-2 checks a line's VAT category; BR-FR-30_BT-21 the
// processing type of BR-FR-31): the rule id stays the official one.
var frAssertMessages = map[string][2]string{
	"BR-FR-08_BT-151-2": {
		"La catégorie de TVA « {value} » d'une ligne (BT-151) n'est pas admise en France : L et M sont réservées aux Canaries, Ceuta et Melilla.",
		"Line VAT category \"{value}\" (BT-151) is not allowed in France: L and M are for the Canaries, Ceuta and Melilla."},
	"BR-FR-30_BT-21": {
		"Il ne peut y avoir qu'un type de traitement (note BAR) : B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE ou ARCHIVEONLY.",
		"There may be only one processing type (BAR note): B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE or ARCHIVEONLY."},
}

// DocumentMessage returns the messages of the document rule r for the official assert
// assertID, with "{value}" replaced by value (the text the rule judged, "" when it is not a
// single element's).
func DocumentMessage(r *Rule, assertID, value string) (fr, en string) {
	fr, en = r.FR, r.EN
	if m, ok := frAssertMessages[assertID]; ok {
		fr, en = m[0], m[1]
	}
	value = strings.TrimSpace(value)
	if len([]rune(value)) > 80 {
		value = string([]rune(value)[:77]) + "…"
	}
	if value == "" {
		// Without a value, drop the quotes around it: « {value} » / "{value}".
		fr = strings.NewReplacer("« {value} » ", "", " « {value} »", "").Replace(fr)
		en = strings.NewReplacer("\"{value}\" ", "", " \"{value}\"", "").Replace(en)
	}
	return strings.ReplaceAll(fr, "{value}", value), strings.ReplaceAll(en, "{value}", value)
}

// checkEuroVAT reports an invoice in another currency than the euro whose VAT is not also
// accounted in euros (BT-6 = EUR with BT-111), as Chorus Pro asks (FG-CPRO-CURRENCY).
func checkEuroVAT(inv *Invoice, report Report) {
	cur := strings.ToUpper(strings.TrimSpace(inv.Currency))
	if cur == "" || cur == "EUR" {
		return
	}
	if strings.ToUpper(strings.TrimSpace(inv.TaxCurrency)) != "EUR" || inv.Totals.TaxTotalAcctCurr == nil {
		report("", "cur", cur)
	}
}
