package syntax

import (
	"slices"

	"github.com/fluxgate/fluxgate/invoice"
)

// presence maps the rules that report a business term as missing to that term. When the
// document holds the term but the reader could not understand its value, the reader's own
// finding says so ("123" is not a date), as the official artefacts do: their rule tests the
// element's presence, not its value, and stays silent.
var presence = map[string]string{
	"BR-03": "BT-2", "BR-12": "BT-106", "BR-13": "BT-109", "BR-14": "BT-112", "BR-15": "BT-115",
	"BR-22": "BT-129", "BR-24": "BT-131", "BR-26": "BT-146", "BR-31": "BT-92", "BR-36": "BT-99",
	"BR-41": "BT-136", "BR-43": "BT-141", "BR-45": "BT-116", "BR-46": "BT-117",
}

// CheckRead is Check for an invoice that Read returned with the reader's findings readVs: it
// returns those findings followed by the rules' (located in the document), leaving out a
// rule that calls a term missing when the reader found it present but unreadable.
func CheckRead(s Syntax, inv *invoice.Invoice, readVs []invoice.Violation, p *invoice.Profile) []invoice.Violation {
	out := slices.Clone(readVs)
	for _, v := range Check(s, inv, p) {
		if bt, ok := presence[v.Rule]; ok && unreadable(readVs, bt, v.Path) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// unreadable reports whether the reader found term bt at path (or, when the reader does not
// say where, anywhere) but could not read it.
func unreadable(readVs []invoice.Violation, bt, path string) bool {
	for _, r := range readVs {
		if r.Severity != invoice.Fatal || (r.Rule != RuleReadUBL && r.Rule != RuleReadCII) || !slices.Contains(r.BT, bt) {
			continue
		}
		if r.Path == path || (r.Path == "" && path == "") {
			return true
		}
	}
	return false
}
