// Package docrules turns the findings of official rules evaluated on a document (package
// internal/schematron) into invoice violations, for the UBL and CII readers (the EN 16931
// syntax rules) and for invoice/syntax (the French BR-FR rules).
package docrules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/invoice"
)

// RuleID is the rule an assert id names: the part before the first "_" (the French
// artefacts suffix their ids with the business term: BR-FR-05_BT-22-1 is BR-FR-05).
func RuleID(assertID string) string {
	id, _, _ := strings.Cut(assertID, "_")
	return id
}

// Severity maps a schematron flag to a severity (anything but "fatal" is a warning).
func Severity(flag string) invoice.Severity {
	if flag == "fatal" {
		return invoice.Fatal
	}
	return invoice.Warning
}

var btRe = regexp.MustCompile(`\b(B[TG]-\d+(?:-\d+)?)\b`)

// Violations converts the failed asserts of a rule set whose messages are the official
// English statements (the EN 16931 syntax rules): the rule is the assert id, the message
// its statement (with a French rendering), the business terms those the statement names.
// path gives the model path of a node (see invoice.Violation.Path), location its XPath as
// the syntax's findings write it.
func Violations(fs []schematron.Failure, path, location func(*schematron.Node) string) []invoice.Violation {
	out := make([]invoice.Violation, 0, len(fs))
	for _, f := range fs {
		id := RuleID(f.Assert.ID)
		en := Statement(f.Assert.Message, f.Assert.ID)
		fr := French(en)
		sev := Severity(f.Assert.Flag)
		if f.Err != nil {
			// The official stylesheet would stop on this document: say so rather than pass it.
			sev = invoice.Fatal
			en = fmt.Sprintf("rule %s cannot be evaluated on this document: %v", id, f.Err)
			fr = fmt.Sprintf("la règle %s ne peut pas être évaluée sur ce document : %v", id, f.Err)
		}
		var bt []string
		for _, m := range btRe.FindAllString(f.Assert.Message, -1) {
			bt = append(bt, m)
		}
		out = append(out, invoice.Violation{
			Rule: id, Severity: sev, BT: bt, Path: path(f.Node), Location: location(f.Node), EN: en, FR: fr,
		})
	}
	return out
}

// Statement is the message of an official assert without its "[ID]-" prefix.
func Statement(msg, id string) string {
	s := strings.TrimSpace(msg)
	if rest, ok := strings.CutPrefix(s, "["+id+"]"); ok {
		s = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(rest), "-–:"))
	}
	if s == "" {
		return "rule " + id + " is broken"
	}
	return s
}

// french renders the common forms of the EN 16931 syntax statements in French.
var french = []struct {
	re  *regexp.Regexp
	out string
}{
	{regexp.MustCompile(`^A UBL invoice should not include (?:the |a |an )?(.+?)\.?$`), "Une facture UBL ne devrait pas contenir $1."},
	{regexp.MustCompile(`^A UBL invoice shall not include (?:the |a |an )?(.+?)\.?$`), "Une facture UBL ne doit pas contenir $1."},
	{regexp.MustCompile(`^(.+?) should not be present\.?$`), "$1 ne devrait pas être présent."},
	{regexp.MustCompile(`^(.+?) shall not be (?:used|present)\.?$`), "$1 ne doit pas être utilisé."},
	{regexp.MustCompile(`^(.+?) (?:shall|should) (?:occur|exist) (?:maximum once|at most once) in (.+?)\.?$`), "$1 ne doit apparaître qu'une fois au plus dans $2."},
	{regexp.MustCompile(`^(.+?) (?:shall|should) (?:occur|exist) (?:maximum once|at most once)\.?$`), "$1 ne doit apparaître qu'une fois au plus."},
	{regexp.MustCompile(`^Only one (.+?) (?:shall|should) be present\.?$`), "Un seul $1 doit être présent."},
}

// French renders an official English statement in French where its form is known; other
// statements keep their English wording after a French introduction.
func French(en string) string {
	for _, f := range french {
		if f.re.MatchString(en) {
			return f.re.ReplaceAllString(en, f.out)
		}
	}
	return "Règle syntaxique de la norme EN 16931 non respectée : " + en
}

// MustLoad loads an embedded rule set; a broken one is a build defect, so it panics.
func MustLoad(pkg string, data []byte) func() *schematron.Schema {
	return sync.OnceValue(func() *schematron.Schema {
		s, err := schematron.Load(data)
		if err != nil {
			panic(fmt.Sprintf("%s: embedded syntax rules: %v", pkg, err))
		}
		return s
	})
}

// RuleIDs lists, sorted and once each, the extra ids and those of every assert of s.
func RuleIDs(s *schematron.Schema, extra ...string) []string {
	rules := slices.Clone(extra)
	for _, a := range s.Asserts() {
		rules = append(rules, a.ID)
	}
	slices.Sort(rules)
	return slices.Compact(rules)
}

// Index is the 1-based position of e among its siblings that same accepts.
func Index(e *schematron.Node, same func(*schematron.Node) bool) int {
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

// AllowanceGroup names an allowance/charge element (UBL AllowanceCharge, CII
// SpecifiedTradeAllowanceCharge) as an allowance or a charge with its position among the
// siblings of its kind.
func AllowanceGroup(e *schematron.Node, charge, allowance string) string {
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
	n := Index(e, func(s *schematron.Node) bool { return s.Local == e.Local && isCharge(s) == isCharge(e) })
	return fmt.Sprintf("%s[%d]", group, n)
}
