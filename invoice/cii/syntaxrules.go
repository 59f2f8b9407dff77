package cii

import (
	"fmt"

	"github.com/beevik/etree"

	"github.com/fluxgate/fluxgate/invoice"
)

// SyntaxRules lists the ids of the official rules that Read reports itself, because they
// concern the CII document rather than the model: the CII syntax rules it can see, BR-CO-15
// for a repeated tax total, and BR-CL-03 (the currencyID of every amount, which the model
// does not hold).
func SyntaxRules() []string {
	return []string{"BR-CL-03", "BR-CO-15", "CII-DT-037", "CII-DT-068", "CII-DT-097", "CII-SR-003", "CII-SR-009", "CII-SR-030", "CII-SR-039", "CII-SR-040", "CII-SR-046", "CII-SR-069", "CII-SR-072", "CII-SR-119", "CII-SR-439", "CII-SR-440", "CII-SR-441", "CII-SR-449", "CII-SR-450", "CII-SR-451", "CII-SR-452", "CII-SR-454", "CII-SR-455", "CII-SR-456", "CII-SR-457", "CII-SR-458", "CII-SR-459", "CII-SR-460", "CII-SR-461", "CII-SR-462", "CII-SR-463", "CII-SR-467", "CII-SR-468", "CII-SR-469", "CII-SR-470", "CII-SR-473", "CII-SR-474", "CII-SR-475", "CII-SR-476", "CII-SR-477", "CII-SR-478", "CII-SR-479", "CII-SR-480", "CII-SR-481", "CII-SR-482", "CII-SR-484", "CII-SR-487"}
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
