package invoice

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Rule is one business rule as data: its official id, severity, the business terms it
// involves, its message in French and English, and its check.
//
// The messages are templates: "{name}" is replaced by the value the check reports under that
// name, formatted for the language (amounts as "1234,50" in French, "1234.50" in English).
type Rule struct {
	ID       string   // official id: BR-16, BR-CO-10, BR-S-08, …
	Severity Severity // as the official artefacts flag it
	BT       []string // business terms and groups involved
	FR, EN   string   // message templates
	// Check reports each place where inv breaks the rule. It must not change inv.
	Check func(inv *Invoice, report Report)
	// CheckSyntax, when set, is used instead of Check by CheckFor: the few rules whose
	// official UBL and CII schematrons differ follow those of syntax ("ubl" or "cii"; ""
	// means the stricter reading, which Check uses).
	CheckSyntax func(inv *Invoice, syntax string, report Report)
	// Document marks a rule that judges the document itself, as its official schematron
	// states it (the French BR-FR rules): it has no Check; invoice/syntax evaluates it on a
	// document, or on the document an invoice will be written as. CheckFor leaves it out.
	Document bool
}

// Report records one finding of a rule at path (see Violation.Path). args are name/value
// pairs that fill the "{name}" placeholders of the rule's messages; values may be strings,
// numbers, decimal.Decimal or *decimal.Decimal (written as amounts), Rate (a percentage) or
// Date.
type Report func(path string, args ...any)

// Rate is a percentage argument of a report: written as given ("20", "5,5"), not as an
// amount with two decimals.
type Rate decimal.Decimal

// Check runs every rule of the profile p against inv and returns the violations ordered by
// the order in which the profile declares its rules, then by path. A nil profile means the
// core EN 16931 profile. Where the official UBL and CII schematrons differ (BR-CO-17 accepts
// a tax amount exactly one currency unit off in CII, not in UBL), Check follows the
// stricter; CheckFor follows the syntax of the document.
func Check(inv *Invoice, p *Profile) []Violation { return CheckFor(inv, p, "") }

// CheckFor is Check for an invoice read from, or to be written in, syntax ("ubl" or "cii"):
// the rules whose official schematrons differ between the two follow that syntax's. Neither
// runs the profile's Document rules, which need the document (see invoice/syntax and
// Profile.HasDocumentRules).
func CheckFor(inv *Invoice, p *Profile, syntax string) []Violation {
	if inv == nil {
		return nil
	}
	if p == nil {
		p = EN16931()
	}
	type finding struct {
		rule int
		v    Violation
	}
	var found []finding
	cur := 0 // the rule being run; one report function serves them all
	report := func(path string, args ...any) {
		r := &p.Rules[cur]
		found = append(found, finding{cur, Violation{
			Rule:     r.ID,
			Severity: r.Severity,
			BT:       slices.Clip(r.BT),
			Path:     path,
			FR:       fill(r.FR, "fr", args),
			EN:       fill(r.EN, "en", args),
		}})
	}
	for i := range p.Rules {
		cur = i
		switch r := &p.Rules[i]; {
		case r.CheckSyntax != nil:
			r.CheckSyntax(inv, syntax, report)
		case r.Check != nil:
			r.Check(inv, report)
		}
	}
	slices.SortStableFunc(found, func(a, b finding) int {
		if c := cmp.Compare(a.rule, b.rule); c != 0 {
			return c
		}
		return comparePaths(a.v.Path, b.v.Path)
	})
	out := make([]Violation, len(found))
	for i, f := range found {
		out[i] = f.v
	}
	return out
}

// fill replaces the {name} placeholders of tmpl with the named args formatted for lang.
func fill(tmpl, lang string, args []any) string {
	if len(args) == 0 || !strings.Contains(tmpl, "{") {
		return tmpl
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		pairs = append(pairs, "{"+name+"}", formatArg(args[i+1], lang))
	}
	return strings.NewReplacer(pairs...).Replace(tmpl)
}

func formatArg(v any, lang string) string {
	var s string
	switch x := v.(type) {
	case string:
		return x
	case decimal.Decimal:
		s = amountString(x)
	case *decimal.Decimal:
		if x == nil {
			if lang == "fr" {
				return "absent"
			}
			return "missing"
		}
		s = amountString(*x)
	case Rate:
		s = decimal.Decimal(x).String()
	case Date:
		if lang == "fr" && !x.IsZero() {
			return fmt.Sprintf("%02d/%02d/%04d", x.Day, int(x.Month), x.Year)
		}
		return x.String()
	case int:
		return strconv.Itoa(x)
	default:
		return fmt.Sprint(v)
	}
	if lang == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// amountString writes d with at least two decimals, and more when d has them.
func amountString(d decimal.Decimal) string {
	places := max(int32(2), -d.Exponent())
	return d.StringFixed(places)
}

// comparePaths orders model paths such as "BG-25[2]/BG-27[10]" segment by segment, with
// numeric indexes compared as numbers.
func comparePaths(a, b string) int {
	for a != "" || b != "" {
		if a == "" {
			return -1
		}
		if b == "" {
			return 1
		}
		var sa, sb string
		sa, a, _ = strings.Cut(a, "/")
		sb, b, _ = strings.Cut(b, "/")
		na, ia := splitIndex(sa)
		nb, ib := splitIndex(sb)
		if c := cmp.Compare(na, nb); c != 0 {
			return c
		}
		if c := cmp.Compare(ia, ib); c != 0 {
			return c
		}
	}
	return 0
}

func splitIndex(seg string) (string, int) {
	open := strings.IndexByte(seg, '[')
	if open < 0 || !strings.HasSuffix(seg, "]") {
		return seg, 0
	}
	n, err := strconv.Atoi(seg[open+1 : len(seg)-1])
	if err != nil {
		return seg, 0
	}
	return seg[:open], n
}

// Paths of the groups the rules report on (1-based in the path, 0-based arguments).

func allowancePath(i int) string         { return fmt.Sprintf("BG-20[%d]", i+1) }
func chargePath(i int) string            { return fmt.Sprintf("BG-21[%d]", i+1) }
func vatPath(i int) string               { return fmt.Sprintf("BG-23[%d]", i+1) }
func lineAllowancePath(l, i int) string  { return fmt.Sprintf("BG-25[%d]/BG-27[%d]", l+1, i+1) }
func lineChargePath(l, i int) string     { return fmt.Sprintf("BG-25[%d]/BG-28[%d]", l+1, i+1) }
func creditTransferPath(i int) string    { return fmt.Sprintf("BG-17[%d]", i+1) }
func documentPath(i int) string          { return fmt.Sprintf("BG-24[%d]", i+1) }
func precedingPath(i int) string         { return fmt.Sprintf("BG-3[%d]", i+1) }
func notePath(i int) string              { return fmt.Sprintf("BG-1[%d]", i+1) }
func attributePath(l, i int) string      { return fmt.Sprintf("BG-25[%d]/BG-32[%d]", l+1, i+1) }
func linePeriodPath(l int) string        { return LinePath(l) + "/BG-26" }
func classificationPath(l, i int) string { return fmt.Sprintf("BG-25[%d]/BT-158[%d]", l+1, i+1) }
