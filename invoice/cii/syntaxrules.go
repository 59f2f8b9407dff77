package cii

import (
	_ "embed"
	"fmt"
	"slices"

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

var syntaxRules = docrules.MustLoad("cii", syntaxRulesData)

// SyntaxRules lists the ids of the official rules that Read reports itself, because they
// concern the CII document rather than the model: every CII syntax rule of the official
// artefacts (CII-SR, CII-DT), BR-CO-15 for a repeated tax total, and BR-CL-03 (the
// currencyID of every amount, which the model does not hold).
func SyntaxRules() []string {
	return docrules.RuleIDs(syntaxRules(), "BR-CL-03", "BR-CO-15")
}

// syntaxViolations evaluates the official CII syntax rules on the document.
func syntaxViolations(doc *schematron.Document) []invoice.Violation {
	return docrules.Violations(syntaxRules().Run(doc), ModelPath, (*schematron.Node).Path)
}

// currencies reports BR-CL-03 for every currencyID attribute that is not an ISO 4217 code.
func (r *reader) currencies(e *schematron.Node) {
	if cur := e.Attr("currencyID"); cur != nil && !invoice.InCodeList("ISO4217", cur.Value) {
		r.finding(e, invoice.Fatal, "BR-CL-03", []string{"BT-5", "BT-6"},
			fmt.Sprintf("la devise « %s » d'un montant (attribut currencyID) n'est pas un code ISO 4217 alpha-3", cur.Value),
			fmt.Sprintf("the currency %q of an amount (currencyID attribute) is not an ISO 4217 alpha-3 code", cur.Value))
	}
	for _, c := range e.Children {
		if c.Kind == schematron.ElementNode {
			r.currencies(c)
		}
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
		return fmt.Sprintf("BG-1[%d]", docrules.Index(chain[2], named("IncludedNote")))
	}
	if chain[1].Local != "SupplyChainTradeTransaction" {
		return ""
	}
	part := chain[2]
	if part.Local == "IncludedSupplyChainTradeLineItem" {
		path := fmt.Sprintf("BG-25[%d]", docrules.Index(part, named(part.Local)))
		if len(chain) > 4 && chain[3].Local == "SpecifiedLineTradeSettlement" && chain[4].Local == "SpecifiedTradeAllowanceCharge" {
			path += "/" + docrules.AllowanceGroup(chain[4], "BG-28", "BG-27")
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
		return fmt.Sprintf("BG-24[%d]", docrules.Index(g, named(g.Local)))
	case "ApplicableHeaderTradeDelivery/ShipToTradeParty", "ApplicableHeaderTradeDelivery/ActualDeliverySupplyChainEvent":
		return "BG-13"
	case "ApplicableHeaderTradeSettlement/PayeeTradeParty":
		return "BG-10"
	case "ApplicableHeaderTradeSettlement/ApplicableTradeTax":
		return fmt.Sprintf("BG-23[%d]", docrules.Index(g, named(g.Local)))
	case "ApplicableHeaderTradeSettlement/SpecifiedTradeAllowanceCharge":
		return docrules.AllowanceGroup(g, "BG-21", "BG-20")
	case "ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementHeaderMonetarySummation":
		return "BG-22"
	case "ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementPaymentMeans":
		return "BG-16"
	case "ApplicableHeaderTradeSettlement/BillingSpecifiedPeriod":
		return "BG-14"
	case "ApplicableHeaderTradeSettlement/InvoiceReferencedDocument":
		return fmt.Sprintf("BG-3[%d]", docrules.Index(g, named(g.Local)))
	}
	return ""
}
