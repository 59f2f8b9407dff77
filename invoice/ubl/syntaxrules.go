package ubl

import (
	"fmt"
	"strings"

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/internal/docrules"
)

// ruleFinding records a finding under an official rule id.
func (r *reader) ruleFinding(rule string, sev invoice.Severity, e *schematron.Node, path, en, fr string, bt ...string) {
	r.vs = append(r.vs, invoice.Violation{
		Rule: rule, Severity: sev, BT: bt, Path: path, Location: xpath(e), EN: en, FR: fr,
	})
}

// readSyntaxRules reports the official UBL syntax rules, evaluated on the document as read
// (before its prefixes were made canonical), and BR-CL-03 on every currencyID.
func (r *reader) readSyntaxRules(doc *schematron.Document, root *schematron.Node) {
	for _, v := range docrules.Violations(syntaxRules().Run(doc), ModelPath, Location) {
		if len(v.BT) == 0 {
			v.BT = syntaxRuleBT(v.Rule)
		}
		r.vs = append(r.vs, v)
	}
	var walk func(e *schematron.Node)
	walk = func(e *schematron.Node) {
		if cur := e.Attr("currencyID"); cur != nil && !invoice.InCodeList("ISO4217", cur.Value) {
			r.ruleFinding("BR-CL-03", invoice.Fatal, e, "",
				fmt.Sprintf("the currency %q of an amount (currencyID attribute) is not an ISO 4217 alpha-3 code", cur.Value),
				fmt.Sprintf("la devise « %s » d'un montant (attribut currencyID) n'est pas un code ISO 4217 alpha-3", cur.Value),
				"BT-5", "BT-6")
		}
		for _, c := range e.Children {
			if c.Kind == schematron.ElementNode {
				walk(c)
			}
		}
	}
	walk(root)
}

// syntaxRuleBT is the business term a "maximum once" syntax rule is about (its official
// statement does not name it), nil for the others.
func syntaxRuleBT(rule string) []string {
	for key, id := range maxOnceRules {
		if id == rule {
			f := strings.Fields(key)
			return f[1:2]
		}
	}
	return nil
}
