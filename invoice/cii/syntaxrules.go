package cii

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/beevik/etree"

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/internal/docrules"
)

// syntaxRulesData holds the CII syntax rules (CII-SR, CII-DT) of the official EN 16931
// validation artefacts as data: their contexts and tests, trimmed from the official
// schematron (see TestSyntaxRulesData, which regenerates it and checks it).
//
//go:embed en16931-syntax.sch
var syntaxRulesData []byte

var syntaxRules = sync.OnceValue(func() *schematron.Schema {
	s, err := schematron.Load(syntaxRulesData)
	if err != nil {
		panic(fmt.Sprintf("cii: embedded syntax rules: %v", err))
	}
	return s
})

// SyntaxRules lists the ids of the official rules that Read reports itself, because they
// concern the CII document rather than the model: every CII syntax rule of the official
// artefacts (CII-SR, CII-DT), BR-CO-15 for a repeated tax total, and BR-CL-03 (the
// currencyID of every amount, which the model does not hold).
func SyntaxRules() []string {
	rules := []string{"BR-CL-03", "BR-CO-15"}
	for _, a := range syntaxRules().Asserts() {
		rules = append(rules, a.ID)
	}
	slices.Sort(rules)
	return slices.Compact(rules)
}

// syntaxViolations evaluates the official CII syntax rules on the document.
func syntaxViolations(doc *schematron.Document) []invoice.Violation {
	return docrules.Violations(syntaxRules().Run(doc), ModelPath, (*schematron.Node).Path)
}

// currencies reports BR-CL-03 for every currencyID attribute that is not an ISO 4217 code.
func (r *reader) currencies(e *etree.Element) {
	if cur := e.SelectAttr("currencyID"); cur != nil && !invoice.InCodeList("ISO4217", cur.Value) {
		r.finding(e, invoice.Fatal, "BR-CL-03", []string{"BT-5", "BT-6"},
			fmt.Sprintf("la devise « %s » d'un montant (attribut currencyID) n'est pas un code ISO 4217 alpha-3", cur.Value),
			fmt.Sprintf("the currency %q of an amount (currencyID attribute) is not an ISO 4217 alpha-3 code", cur.Value))
	}
	for _, c := range e.ChildElements() {
		r.currencies(c)
	}
}

// ModelPath is the model path (see invoice.Violation.Path) of the group holding n in a CII
// document: the invoice line, allowance, charge, VAT breakdown, … it belongs to.
func ModelPath(n *schematron.Node) string {
	var chain []*schematron.Node
	for m := n; m != nil && m.Kind != schematron.DocumentNode; m = m.Parent {
		if m.Kind == schematron.ElementNode {
			chain = append(chain, m)
		}
	}
	slices.Reverse(chain)
	// chain[0] CrossIndustryInvoice, [1] ExchangedDocument or SupplyChainTradeTransaction, …
	if len(chain) < 3 {
		return ""
	}
	named := func(local string) func(*schematron.Node) bool {
		return func(e *schematron.Node) bool { return e.Local == local }
	}
	if chain[1].Local == "ExchangedDocument" && chain[2].Local == "IncludedNote" {
		return fmt.Sprintf("BG-1[%d]", index(chain[2], named("IncludedNote")))
	}
	if chain[1].Local != "SupplyChainTradeTransaction" {
		return ""
	}
	part := chain[2]
	if part.Local == "IncludedSupplyChainTradeLineItem" {
		path := fmt.Sprintf("BG-25[%d]", index(part, named(part.Local)))
		if len(chain) > 4 && chain[3].Local == "SpecifiedLineTradeSettlement" && chain[4].Local == "SpecifiedTradeAllowanceCharge" {
			path += "/" + allowanceGroup(chain[4], "BG-28", "BG-27")
		}
		return path
	}
	if len(chain) < 4 {
		return ""
	}
	g := chain[3]
	switch part.Local + "/" + g.Local {
	case "ApplicableHeaderTradeAgreement/SellerTradeParty":
		return "BG-4"
	case "ApplicableHeaderTradeAgreement/BuyerTradeParty":
		return "BG-7"
	case "ApplicableHeaderTradeAgreement/SellerTaxRepresentativeTradeParty":
		return "BG-11"
	case "ApplicableHeaderTradeAgreement/AdditionalReferencedDocument":
		return fmt.Sprintf("BG-24[%d]", index(g, named(g.Local)))
	case "ApplicableHeaderTradeDelivery/ShipToTradeParty", "ApplicableHeaderTradeDelivery/ActualDeliverySupplyChainEvent":
		return "BG-13"
	case "ApplicableHeaderTradeSettlement/PayeeTradeParty":
		return "BG-10"
	case "ApplicableHeaderTradeSettlement/ApplicableTradeTax":
		return fmt.Sprintf("BG-23[%d]", index(g, named(g.Local)))
	case "ApplicableHeaderTradeSettlement/SpecifiedTradeAllowanceCharge":
		return allowanceGroup(g, "BG-21", "BG-20")
	case "ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementHeaderMonetarySummation":
		return "BG-22"
	case "ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementPaymentMeans":
		return "BG-16"
	case "ApplicableHeaderTradeSettlement/BillingSpecifiedPeriod":
		return "BG-14"
	case "ApplicableHeaderTradeSettlement/InvoiceReferencedDocument":
		return fmt.Sprintf("BG-3[%d]", index(g, named(g.Local)))
	}
	return ""
}

// index is the 1-based position of e among its siblings that same accepts.
func index(e *schematron.Node, same func(*schematron.Node) bool) int {
	n := 0
	for _, s := range e.Parent.Elements() {
		if same(s) {
			n++
			if s == e {
				return n
			}
		}
	}
	return n
}

// allowanceGroup names a SpecifiedTradeAllowanceCharge as an allowance or a charge with its
// position among its kind.
func allowanceGroup(e *schematron.Node, charge, allowance string) string {
	isCharge := func(ac *schematron.Node) bool {
		for _, c := range ac.Elements() {
			if c.Local == "ChargeIndicator" {
				return strings.TrimSpace(c.StringValue()) == "true"
			}
		}
		return false
	}
	group := allowance
	if isCharge(e) {
		group = charge
	}
	n := index(e, func(s *schematron.Node) bool { return s.Local == e.Local && isCharge(s) == isCharge(e) })
	return fmt.Sprintf("%s[%d]", group, n)
}
