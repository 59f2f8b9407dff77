package ubl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/beevik/etree"
	"github.com/fluxgate/fluxgate/invoice"
)

// SyntaxRules lists the ids of the official rules that Read reports itself, because they
// concern the UBL document rather than the model: the UBL syntax rules it can see, and
// BR-CL-03 (the currencyID of every amount, which the model does not hold).
func SyntaxRules() []string {
	rules := []string{"BR-CL-03", "BR-CO-15", "UBL-DT-01", "UBL-DT-06", "UBL-DT-07", "UBL-SR-12", "UBL-SR-42",
		"UBL-SR-43", "UBL-SR-44", "UBL-SR-47"}
	for _, r := range maxOnceRules {
		rules = append(rules, r)
	}
	slices.Sort(rules)
	return slices.Compact(rules)
}

// ruleFinding records a finding under an official rule id.
func (r *reader) ruleFinding(rule string, sev invoice.Severity, e *etree.Element, path, en, fr string, bt ...string) {
	r.vs = append(r.vs, invoice.Violation{
		Rule: rule, Severity: sev, BT: bt, Path: path, Location: xpath(e), EN: en, FR: fr,
	})
}

// readSyntaxRules checks the UBL syntax rules of the official artefacts that the model
// cannot express, on the canonicalised document.
func (r *reader) readSyntaxRules(root *etree.Element) {
	var paymentIDs, meansCodes []string
	var walk func(e *etree.Element, inPriceAC bool)
	walk = func(e *etree.Element, inPriceAC bool) {
		if cur := e.SelectAttr("currencyID"); cur != nil && !invoice.InCodeList("ISO4217", cur.Value) {
			r.ruleFinding("BR-CL-03", invoice.Fatal, e, "",
				fmt.Sprintf("the currency %q of an amount (currencyID attribute) is not an ISO 4217 alpha-3 code", cur.Value),
				fmt.Sprintf("la devise « %s » d'un montant (attribut currencyID) n'est pas un code ISO 4217 alpha-3", cur.Value),
				"BT-5", "BT-6")
		}
		if e.Space == "cbc" {
			switch {
			// UBL-DT-01: amounts, except prices and the price allowance (BT-147, BT-148).
			case strings.HasSuffix(e.Tag, "Amount") && !strings.HasSuffix(e.Tag, "PriceAmount") && !inPriceAC:
				if _, frac, ok := strings.Cut(textOf(e), "."); ok && len(frac) > 2 {
					r.ruleFinding("UBL-DT-01", invoice.Fatal, e, "",
						fmt.Sprintf("%s %q has more than two fraction digits", e.Tag, textOf(e)),
						fmt.Sprintf("%s « %s » a plus de deux décimales", e.Tag, textOf(e)))
				}
			case strings.HasSuffix(e.Tag, "BinaryObject"):
				if e.SelectAttr("mimeCode") == nil {
					r.ruleFinding("UBL-DT-06", invoice.Fatal, e, "",
						"a binary object has no mimeCode attribute",
						"un objet binaire n'a pas d'attribut mimeCode", "BT-125-1")
				}
				if e.SelectAttr("filename") == nil {
					r.ruleFinding("UBL-DT-07", invoice.Fatal, e, "",
						"a binary object has no filename attribute",
						"un objet binaire n'a pas d'attribut filename", "BT-125-2")
				}
			case e.Tag == "PaymentID" && e.Parent() != nil && e.Parent().Tag == "PaymentMeans":
				paymentIDs = append(paymentIDs, textOf(e))
			case e.Tag == "PaymentMeansCode":
				meansCodes = append(meansCodes, textOf(e))
			}
		}
		for _, c := range e.ChildElements() {
			walk(c, inPriceAC || (e.Space == "cac" && e.Tag == "Price" && c.Space == "cac" && c.Tag == "AllowanceCharge"))
		}
	}
	walk(root, false)

	if n := distinct(paymentIDs); n > 1 {
		r.ruleFinding("UBL-SR-44", invoice.Fatal, root, "BG-16",
			fmt.Sprintf("%d different PaymentID (BT-83) are given; an invoice has one remittance information", n),
			fmt.Sprintf("%d PaymentID (BT-83) différents sont indiqués ; une facture n'a qu'une référence de paiement", n), "BT-83")
	}
	if n := distinct(meansCodes); n > 1 {
		r.ruleFinding("UBL-SR-47", invoice.Fatal, root, "BG-16",
			fmt.Sprintf("%d different payment means codes (BT-81) are given; they shall be equal", n),
			fmt.Sprintf("%d codes de moyen de paiement (BT-81) différents sont indiqués ; ils doivent être égaux", n), "BT-81")
	}

	if p := child(root, "cac:AccountingSupplierParty", "cac:Party"); p != nil {
		schemes := p.SelectElements("cac:PartyTaxScheme")
		if len(schemes) > 2 {
			r.ruleFinding("UBL-SR-42", invoice.Fatal, schemes[2], "BG-4",
				"the seller has more than two PartyTaxScheme", "le vendeur a plus de deux PartyTaxScheme", "BT-31", "BT-32")
		}
		vat := 0
		for _, s := range schemes {
			if strings.EqualFold(textOf(child(s, "cac:TaxScheme", "cbc:ID")), schemeVAT) && child(s, "cbc:CompanyID") != nil {
				vat++
				if vat == 2 {
					r.ruleFinding("UBL-SR-12", invoice.Fatal, s, "BG-4",
						"the seller VAT identifier (BT-31) occurs more than once; only the first is kept",
						"le numéro de TVA du vendeur (BT-31) apparaît plusieurs fois ; seul le premier est conservé", "BT-31")
				}
			}
		}
	}

	for _, d := range root.SelectElements("cac:AdditionalDocumentReference") {
		id := child(d, "cbc:ID")
		code := textOf(child(d, "cbc:DocumentTypeCode"))
		if id != nil && id.SelectAttr("schemeID") != nil && code != docTypeInvoicedObject && code != docTypeProject {
			r.ruleFinding("UBL-SR-43", invoice.Fatal, id, "BG-24",
				"a scheme identifier (schemeID) is only allowed on the invoiced object identifier (DocumentTypeCode 130 or 50)",
				"un identifiant de schéma (schemeID) n'est admis que sur l'identifiant d'objet facturé (DocumentTypeCode 130 ou 50)", "BT-18-1")
		}
	}
}

// distinct counts the different non-empty values of vs.
func distinct(vs []string) int {
	seen := map[string]bool{}
	for _, v := range vs {
		if v != "" {
			seen[v] = true
		}
	}
	return len(seen)
}
