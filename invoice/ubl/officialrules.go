package ubl

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/invoice/internal/docrules"
)

// syntaxRulesData holds the UBL syntax rules (UBL-CR, UBL-SR, UBL-DT) of the official
// EN 16931 validation artefacts as data: their contexts and tests, trimmed from the
// official schematron (see TestSyntaxRulesData, which regenerates it and checks it).
//
//go:embed en16931-syntax.sch
var syntaxRulesData []byte

var syntaxRules = docrules.MustLoad("ubl", syntaxRulesData)

// SyntaxRules lists the ids of the official rules that Read reports itself, because they
// concern the UBL document rather than the model: every UBL syntax rule of the official
// artefacts (UBL-CR, UBL-SR, UBL-DT), BR-CL-03 (the currencyID of every amount, which the
// model does not hold) and BR-CO-15 for a repeated tax total.
func SyntaxRules() []string {
	return docrules.RuleIDs(syntaxRules(), "BR-CL-03", "BR-CO-15")
}

// ModelPath is the model path (see invoice.Violation.Path) of the group holding n in a
// UBL document: the invoice line, allowance, charge, VAT breakdown, … it belongs to.
func ModelPath(n *schematron.Node) string {
	var chain []*schematron.Node
	for m := n; m != nil && m.Kind != schematron.DocumentNode; m = m.Parent {
		if m.Kind == schematron.ElementNode {
			chain = append(chain, m)
		}
	}
	slices.Reverse(chain)
	if len(chain) < 2 {
		return ""
	}
	path := ""
	top := chain[1]
	switch top.Local {
	case "InvoiceLine", "CreditNoteLine":
		path = fmt.Sprintf("BG-25[%d]", docrules.Index(top, func(e *schematron.Node) bool { return e.Local == top.Local }))
		if len(chain) > 2 && chain[2].Local == "AllowanceCharge" {
			path += "/" + docrules.AllowanceGroup(chain[2], "BG-28", "BG-27")
		}
	case "AllowanceCharge":
		path = docrules.AllowanceGroup(top, "BG-21", "BG-20")
	case "TaxTotal":
		if len(chain) > 2 && chain[2].Local == "TaxSubtotal" {
			n := 0
			for _, tt := range top.Parent.Elements() {
				if tt.Local != "TaxTotal" {
					continue
				}
				for _, st := range tt.Elements() {
					if st.Local == "TaxSubtotal" {
						n++
						if st == chain[2] {
							path = fmt.Sprintf("BG-23[%d]", n)
						}
					}
				}
			}
		}
	default:
		path = map[string]string{
			"AccountingSupplierParty": "BG-4", "AccountingCustomerParty": "BG-7", "PayeeParty": "BG-10",
			"TaxRepresentativeParty": "BG-11", "Delivery": "BG-13", "InvoicePeriod": "BG-14", "PaymentMeans": "BG-16",
			"LegalMonetaryTotal": "BG-22",
		}[top.Local]
		switch top.Local {
		case "BillingReference":
			path = fmt.Sprintf("BG-3[%d]", docrules.Index(top, func(e *schematron.Node) bool { return e.Local == "BillingReference" }))
		case "AdditionalDocumentReference":
			path = fmt.Sprintf("BG-24[%d]", docrules.Index(top, func(e *schematron.Node) bool { return e.Local == "AdditionalDocumentReference" }))
		case "Note":
			path = fmt.Sprintf("BG-1[%d]", docrules.Index(top, func(e *schematron.Node) bool { return e.Local == "Note" }))
		}
	}
	return path
}

// Location is the XPath of n as the reader's findings write it: the root element by its
// local name, UBL components with the cbc and cac prefixes, whatever prefixes the document
// used: /Invoice/cac:InvoiceLine[2]/cbc:Note.
func Location(n *schematron.Node) string {
	var parts []string
	for m := n; m != nil && m.Kind != schematron.DocumentNode; m = m.Parent {
		name := m.Local
		switch m.Space {
		case NSCBC:
			name = "cbc:" + name
		case NSCAC:
			name = "cac:" + name
		}
		switch {
		case m.Kind == schematron.AttributeNode:
			name = "@" + name
		case m.Parent != nil && m.Parent.Kind == schematron.ElementNode:
			same := func(s *schematron.Node) bool { return s.Local == m.Local && s.Space == m.Space }
			if count(m.Parent, same) > 1 {
				name = fmt.Sprintf("%s[%d]", name, docrules.Index(m, same))
			}
		}
		parts = append(parts, name)
	}
	slices.Reverse(parts)
	return "/" + strings.Join(parts, "/")
}

func count(parent *schematron.Node, same func(*schematron.Node) bool) int {
	n := 0
	for _, s := range parent.Elements() {
		if same(s) {
			n++
		}
	}
	return n
}
