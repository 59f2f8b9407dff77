package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
)

// Locate returns where the value behind a finding came from. path is an
// invoice.Violation.Path ("" for the document, "BG-25[2]" for the second line,
// "BG-25[2]/BG-27[1]", "BG-20[1]", …) and bt its business terms ("BT-29-1" counts as BT-29).
// The position is the source record of that line (the invoice's first record otherwise),
// with the column (or XML path) and the mapping line of the first term that maps one of bt
// there; for a computed term, of a term it is computed from.
func (r *Result) Locate(path string, bt []string) Position {
	li, grp, inst := -1, "", 0
	segs := strings.Split(path, "/")
	if g, n, ok := parseSeg(segs[0]); ok {
		if g == "BG-25" {
			li = n - 1
			if len(segs) > 1 {
				if g2, k, ok := parseSeg(segs[1]); ok {
					grp, inst = g2, k
				}
			}
		} else {
			grp, inst = g, n
		}
	}
	pos := Position{File: r.file}
	if r.first != nil {
		pos.Line = r.first.line
	}
	if li >= 0 && li < len(r.rows) {
		pos.Line = r.rows[li].line
	}
	if r.rn == nil {
		return pos
	}
	matchers := []func(a *assign) bool{}
	if grp != "" {
		matchers = append(matchers, func(a *assign) bool { return a.line == li && a.t.bt.group == grp && a.inst == inst })
	}
	if li >= 0 {
		matchers = append(matchers, func(a *assign) bool { return a.line == li }, func(a *assign) bool { return a.line == -1 })
	} else {
		matchers = append(matchers, func(a *assign) bool { return a.line == -1 }, func(a *assign) bool { return a.line >= 0 })
	}
	find := func(id string) (Position, bool) {
		for _, match := range matchers {
			for i := range r.assigns {
				a := &r.assigns[i]
				if a.t.bt.id == id && match(a) {
					p := r.rn.position(a.org, a.hasOrg, a.rec, a.el)
					if !a.hasOrg && a.t.ref != nil && a.rec != nil && a.rec.x == nil {
						p.Column = a.t.ref.name
					}
					p.MappingLine = a.t.line
					return p, true
				}
			}
		}
		return Position{}, false
	}
	for _, id := range bt {
		if p, ok := find(baseID(id)); ok {
			return p
		}
	}
	// Computed terms: point at the source values they are computed from.
	for _, id := range bt {
		for _, src := range derivedFrom[baseID(id)] {
			if p, ok := find(src); ok {
				return p
			}
		}
	}
	return pos
}

var derivedFrom = map[string][]string{
	"BT-118": {"BT-151"}, "BT-119": {"BT-152"},
	"BT-131": {"BT-129", "BT-146"}, "BT-136": {"BT-138"}, "BT-141": {"BT-143"},
	"BT-92": {"BT-94"}, "BT-99": {"BT-101"},
}

// baseID turns a scheme id (BT-29-1) into its term's id (BT-29).
func baseID(id string) string {
	if i := strings.LastIndexByte(id, '-'); i > 3 && strings.Count(id, "-") == 2 {
		return id[:i]
	}
	return id
}

// parseSeg reads "BG-25[2]".
func parseSeg(s string) (g string, n int, ok bool) {
	i := strings.IndexByte(s, '[')
	if i < 0 || !strings.HasSuffix(s, "]") {
		return "", 0, false
	}
	n, err := strconv.Atoi(s[i+1 : len(s)-1])
	if err != nil {
		return "", 0, false
	}
	return s[:i], n, true
}

// Lineage is the story of one business term of a mapped invoice: its value, where it was
// read, which mapping rule read it and what was done to it — or, for a computed term, the
// EN 16931 rule that computed it.
type Lineage struct {
	Path     string   // "" for the document, "BG-25[2]", "BG-25[2]/BG-27[1]", "BG-23[1]", …
	BT       string   // BT-n
	Name     string   // the term's English name
	Value    string   // as mapped (numbers and dates normalised)
	Source   Position // where the value was read; MappingLine is its <term>
	Steps    []string // the transformations, in order
	Computed string   // for a computed term: how (Source then names what it is computed from)
}

// Explain returns the lineage of every business term of the invoice, in invoice order
// (document terms, document groups, then each line). It is empty unless the mapping ran with
// Options.Explain.
func (r *Result) Explain() []Lineage {
	if r.rn == nil || !r.rn.explain {
		return nil
	}
	var out []Lineage
	for i := range r.assigns {
		a := &r.assigns[i]
		if !a.has || a.x == nil {
			continue
		}
		p := r.rn.position(a.org, a.hasOrg, a.rec, a.el)
		p.MappingLine = a.t.line
		out = append(out, Lineage{Path: modelPath(a.line, a.t.bt.group, a.inst), BT: a.t.bt.id, Name: a.t.bt.en, Value: a.x.val, Source: p, Steps: a.x.steps})
	}
	out = append(out, r.computed...)
	order := func(l Lineage) (int, string) {
		li := -1
		if g, n, ok := parseSeg(strings.Split(l.Path, "/")[0]); ok && g == "BG-25" {
			li = n - 1
		}
		return li, l.Path
	}
	// Stable: document first, then lines in order; within each, mapped then computed.
	sortStable(out, func(a, b Lineage) bool {
		la, _ := order(a)
		lb, _ := order(b)
		return la < lb
	})
	return out
}

func sortStable(s []Lineage, less func(a, b Lineage) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func modelPath(line int, grp string, inst int) string {
	var parts []string
	if line >= 0 {
		parts = append(parts, fmt.Sprintf("BG-25[%d]", line+1))
	}
	if grp != "" && inst > 0 {
		parts = append(parts, fmt.Sprintf("%s[%d]", grp, inst))
	}
	return strings.Join(parts, "/")
}

// mapped reports whether the mapping gave a value to bt at (line, group instance).
func (r *Result) mapped(line int, grp string, inst int, bt string) bool {
	for i := range r.assigns {
		a := &r.assigns[i]
		if a.has && a.line == line && a.t.bt.id == bt && (grp == "" || a.t.bt.group == grp && a.inst == inst) {
			return true
		}
	}
	return false
}

// computedLineage lists the terms that finish computed (those the mapping did not give).
func (r *Result) computedLineage() []Lineage {
	inv := r.Invoice
	var out []Lineage
	add := func(line int, grp string, inst int, bt string, d *decimal.Decimal, how string) {
		if d == nil || r.mapped(line, grp, inst, bt) {
			return
		}
		pos := Position{File: r.file}
		if line >= 0 && line < len(r.rows) {
			pos.Line = r.rows[line].line
		} else if r.first != nil {
			pos.Line = r.first.line
		}
		name := bt
		if t := terms[bt]; t != nil {
			name = t.en
		}
		out = append(out, Lineage{Path: modelPath(line, grp, inst), BT: bt, Name: name, Value: d.String(), Source: pos, Computed: how})
	}
	for i := range inv.Lines {
		l := &inv.Lines[i]
		for j := range l.Allowances {
			a := &l.Allowances[j]
			add(i, "BG-27", j+1, "BT-137", a.BaseAmount, "BT-129 × BT-146 / BT-149: the line's amount before allowances, rounded to the cent")
			add(i, "BG-27", j+1, "BT-136", a.Amount, "BT-137 × BT-138 / 100, rounded to the cent")
		}
		for j := range l.Charges {
			c := &l.Charges[j]
			add(i, "BG-28", j+1, "BT-142", c.BaseAmount, "BT-129 × BT-146 / BT-149: the line's amount before charges, rounded to the cent")
			add(i, "BG-28", j+1, "BT-141", c.Amount, "BT-142 × BT-143 / 100, rounded to the cent")
		}
		add(i, "", 0, "BT-146", l.Price.Net, "BT-148 − BT-147 (gross price minus price discount)")
		add(i, "", 0, "BT-131", l.NetAmount, "BT-129 × BT-146 / BT-149 − Σ BT-136 + Σ BT-141, rounded to the cent (EN 16931)")
	}
	for j := range inv.Allowances {
		a := &inv.Allowances[j]
		add(-1, "BG-20", j+1, "BT-93", a.BaseAmount, "Σ BT-131 of the lines with the allowance's VAT category and rate")
		add(-1, "BG-20", j+1, "BT-92", a.Amount, "BT-93 × BT-94 / 100, rounded to the cent")
	}
	for j := range inv.Charges {
		c := &inv.Charges[j]
		add(-1, "BG-21", j+1, "BT-100", c.BaseAmount, "Σ BT-131 of the lines with the charge's VAT category and rate")
		add(-1, "BG-21", j+1, "BT-99", c.Amount, "BT-100 × BT-101 / 100, rounded to the cent")
	}
	if !r.mappedGroup("BG-23") {
		for j := range inv.VAT {
			v := &inv.VAT[j]
			pos := Position{File: r.file}
			if r.first != nil {
				pos.Line = r.first.line
			}
			p := modelPath(-1, "BG-23", j+1)
			rate := ""
			if v.Rate != nil {
				rate = v.Rate.String()
			}
			out = append(out,
				Lineage{Path: p, BT: "BT-118", Name: terms["BT-118"].en, Value: v.Category, Source: pos, Computed: "one VAT breakdown per VAT category (BT-151, BT-95, BT-102) and rate"},
				Lineage{Path: p, BT: "BT-119", Name: terms["BT-119"].en, Value: rate, Source: pos, Computed: "the rate of the lines (BT-152) of this category"})
			add(-1, "BG-23", j+1, "BT-116", v.TaxableAmount, "Σ BT-131 of the lines + Σ BT-99 − Σ BT-92 with this category and rate, rounded to the cent")
			add(-1, "BG-23", j+1, "BT-117", v.TaxAmount, "BT-116 × BT-119 / 100, rounded to the cent (0 for categories E, Z, AE, K, G, O)")
		}
	}
	t := &inv.Totals
	add(-1, "", 0, "BT-106", t.LineTotal, "Σ BT-131 (sum of the line net amounts)")
	add(-1, "", 0, "BT-107", t.AllowanceTotal, "Σ BT-92")
	add(-1, "", 0, "BT-108", t.ChargeTotal, "Σ BT-99")
	add(-1, "", 0, "BT-109", t.TaxExclusive, "BT-106 − BT-107 + BT-108")
	add(-1, "", 0, "BT-110", t.TaxTotal, "Σ BT-117")
	add(-1, "", 0, "BT-112", t.TaxInclusive, "BT-109 + BT-110")
	add(-1, "", 0, "BT-115", t.Payable, "BT-112 − BT-113 + BT-114")
	for _, n := range r.notes {
		out = append(out, Lineage{BT: "BT-3", Name: "invoice type code", Value: inv.TypeCode, Computed: n, Source: Position{File: r.file, Line: r.Lines[0]}})
	}
	return out
}

func (r *Result) mappedGroup(g string) bool {
	for i := range r.assigns {
		if r.assigns[i].has && r.assigns[i].t.bt.group == g && r.assigns[i].line == -1 {
			return true
		}
	}
	return false
}

// dependents lists, for a business term, the terms computed from it: when its value cannot
// be read, the rules about those would only repeat the problem.
var dependents = map[string][]string{
	"BT-129": {"BT-131", "BT-136", "BT-137", "BT-141", "BT-142"},
	"BT-146": {"BT-131", "BT-136", "BT-137", "BT-141", "BT-142"},
	"BT-148": {"BT-146", "BT-131", "BT-136", "BT-137", "BT-141", "BT-142"},
	"BT-147": {"BT-146", "BT-131", "BT-136", "BT-137", "BT-141", "BT-142"},
	"BT-149": {"BT-131", "BT-136", "BT-137", "BT-141", "BT-142"},
	"BT-137": {"BT-136", "BT-131"}, "BT-138": {"BT-136", "BT-131"},
	"BT-142": {"BT-141", "BT-131"}, "BT-143": {"BT-141", "BT-131"},
	"BT-136": {"BT-131"}, "BT-141": {"BT-131"},
	"BT-93": {"BT-92"}, "BT-94": {"BT-92"}, "BT-100": {"BT-99"}, "BT-101": {"BT-99"},
}

// Repeats reports whether the violation v only repeats a problem of the mapping: a value that
// could not be read (an unparsable quantity) breaks the rules that want it (BR-22) and those
// about what is computed from it (BR-24, BR-41) on the same source line. Callers leave such
// violations out, so that each mistake is told once, by the mapping.
func (r *Result) Repeats(v invoice.Violation) bool {
	if len(r.Problems) == 0 {
		return false
	}
	pos := r.Locate(v.Path, v.BT)
	for _, p := range r.Problems {
		if p.BT == "" || p.Position.Line != pos.Line {
			continue
		}
		for _, bt := range v.BT {
			b := baseID(bt)
			if b == p.BT || slices.Contains(dependents[p.BT], b) {
				return true
			}
		}
	}
	return false
}

// dedupe drops the problems that repeat another about the same value (two terms reading one
// unreadable cell), keeping the one about the term the other is computed from.
func dedupe(ps []Problem) []Problem {
	var out []Problem
next:
	for _, p := range ps {
		for i, q := range out {
			if p.Position.Column != "" && q.Position.Line == p.Position.Line && q.Position.Column == p.Position.Column && q.Rule == p.Rule {
				if slices.Contains(dependents[p.BT], q.BT) {
					out[i] = p
				}
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}
