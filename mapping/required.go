package mapping

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/syntax"
)

// Terms a mapping can never supply. A mapping without BT-24, or without a buyer name, would
// reject every invoice it maps; it is refused when it loads, with the list of what is
// missing. What a profile requires is read from the profile itself, not listed here: the
// mapping is run on probe invoices (every term it maps given a plausible value, every other
// term absent, then completed as Map completes an invoice) and checked with the profile; a
// rule broken by every probe, about terms the mapping never maps, names a requirement the
// mapping cannot meet. Probes differ in what the data decides (VAT category, type code,
// which entry of a lookup), so that a rule that holds only for some invoices (an exemption
// reason for category E) is not taken for one that holds for all.

// probe is what one probe invoice assumes of the data.
type probe struct {
	category, rate, typeCode, means string
	last                            bool // lookups give their last entry (else their first)
}

var probes = []probe{
	{category: "S", rate: "20", typeCode: "380", means: "30"},
	{category: "E", rate: "0", typeCode: "381", means: "58", last: true},
}

// computedTerms are filled by invoice.Complete or by Map when the mapping leaves them out:
// a rule about them breaks because of what they are computed from, which the rule's other
// terms (or another rule) name.
var computedTerms = map[string]bool{
	"BT-106": true, "BT-107": true, "BT-108": true, "BT-109": true, "BT-110": true, "BT-112": true, "BT-115": true,
	"BT-116": true, "BT-117": true, "BT-118": true, "BT-119": true, "BG-22": true, "BG-23": true,
	"BT-131": true, "BT-92": true, "BT-93": true, "BT-99": true, "BT-100": true,
	"BT-136": true, "BT-137": true, "BT-141": true, "BT-142": true, "BT-146": true,
}

// hints suggest a term for the requirements every mapping meets the same way.
var hints = map[string]string{
	"BG-5":  `map the seller's address, e.g. <term bt="BT-37" const="vendeur.ville"/> and <term bt="BT-40" value="FR"/>`,
	"BG-8":  `map the buyer's address, e.g. <term bt="BT-52" column="Ville"/> and <term bt="BT-55" value="FR"/>`,
	"BT-3":  `map it, e.g. <term bt="BT-3" value="380"/>`,
	"BT-5":  `map it, e.g. <term bt="BT-5" value="EUR"/>`,
	"BT-23": `map it, e.g. <term bt="BT-23" value="B1"/> (goods; S1 services, M1 mixed)`,
	"BT-24": `map it, e.g. <term bt="BT-24" value="urn:cen.eu:en16931:2017"/>`,
	"BT-27": `map it, e.g. <term bt="BT-27" const="vendeur.nom"/>`,
	"BT-40": `map it, e.g. <term bt="BT-40" value="FR"/>`,
	"BT-55": `map it, e.g. <term bt="BT-55" value="FR"/>`,
}

// Checker checks an invoice with a profile: invoice.Check for the rules on the model; a
// caller whose profile also judges the written document passes the check that runs those.
type Checker func(*invoice.Invoice, *invoice.Profile) []invoice.Violation

// missing returns one load problem per rule of p that no invoice mapped by m can meet;
// skip lists the rules already reported (those of EN 16931, for a profile that extends it).
func (m *Mapping) missing(p *invoice.Profile, check Checker, skip map[string]bool) []LoadProblem {
	var common map[string]invoice.Violation
	for i, pr := range probes {
		found := map[string]invoice.Violation{}
		for _, v := range check(m.probeInvoice(pr), p) {
			if skip[v.Rule] {
				continue
			}
			if _, seen := found[v.Rule]; !seen {
				found[v.Rule] = v
			}
		}
		if i == 0 {
			common = found
			continue
		}
		for id := range common {
			if _, ok := found[id]; !ok {
				delete(common, id)
			}
		}
	}
	mapped := m.mappedTerms()
	var out []LoadProblem
	for _, r := range p.Rules { // in the profile's order
		v, ok := common[r.ID]
		if !ok {
			continue
		}
		var absent []string
		for _, bt := range v.BT {
			if base := baseID(bt); base != bt && !mapped[base] {
				continue // the scheme of a term the mapping does not map: not wanted
			}
			if !mapped[bt] && !computedTerms[bt] && !slices.Contains(absent, bt) {
				absent = append(absent, bt)
			}
		}
		if len(absent) == 0 {
			continue // a knock-on of another rule, or of a value the probe made up
		}
		which := "EN 16931 requires"
		if p.Name != "en16931" {
			which = "the " + p.Name + " profile requires"
		}
		var msg string
		partial, fromData := m.mappedGroups(absent)
		if fromData {
			continue // the group reads the export: its values may meet the rule
		}
		if partial != "" {
			// The group is mapped, never as the rule wants (a PMD note among the notes).
			msg = fmt.Sprintf("the mapping's %s never meets what %s (%s: %s)", partial, which, v.Rule, strings.TrimSpace(v.EN))
		} else {
			names := make([]string, len(absent))
			for i, bt := range absent {
				names[i] = termLabel(bt)
			}
			what := names[0]
			if len(names) > 1 {
				what = "any of " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
			}
			msg = fmt.Sprintf("the mapping never supplies %s, which %s (%s: %s)", what, which, v.Rule, strings.TrimSpace(v.EN))
			if h, ok := hints[absent[0]]; ok {
				msg += "; " + h
			}
		}
		out = append(out, LoadProblem{Line: m.invLine, Msg: msg})
	}
	return out
}

// groupNames names the groups that are not repeatable, for messages.
var groupNames = map[string]string{
	"BG-2": "process control", "BG-4": "seller", "BG-5": "seller postal address", "BG-6": "seller contact",
	"BG-7": "buyer", "BG-8": "buyer postal address", "BG-9": "buyer contact", "BG-10": "payee",
	"BG-11": "seller tax representative", "BG-12": "tax representative postal address", "BG-13": "delivery information",
	"BG-14": "invoicing period", "BG-15": "deliver to address", "BG-16": "payment instructions", "BG-18": "payment card",
	"BG-19": "direct debit", "BG-22": "document totals", "BG-25": "invoice line", "BG-26": "invoice line period",
	"BG-29": "price details", "BG-30": "line VAT information", "BG-31": "item information",
}

// mappedGroups returns the repeatable groups among ids that the mapping maps with constant
// values only ("" when one of ids is not such a group); fromData reports that one of them
// reads the export, whose values the probes cannot know.
func (m *Mapping) mappedGroups(ids []string) (labels string, fromData bool) {
	var out []string
	for _, id := range ids {
		var in []*term
		for _, t := range m.terms {
			if t.bt.group == id {
				in = append(in, t)
			}
		}
		if groups[id] == nil || len(in) == 0 {
			return "", false
		}
		if slices.ContainsFunc(in, func(t *term) bool { return t.static == nil }) {
			return "", true
		}
		out = append(out, termLabel(id))
	}
	return strings.Join(out, ", "), false
}

// termLabel is "BT-24 (specification identifier)".
func termLabel(bt string) string {
	if t := terms[bt]; t != nil {
		return bt + " (" + t.en + ")"
	}
	if g := groups[bt]; g != nil {
		return bt + " (" + g.en + ")"
	}
	if n, ok := groupNames[bt]; ok {
		return bt + " (" + n + ")"
	}
	if base := baseID(bt); base != bt && terms[base] != nil {
		return bt + " (the scheme of " + base + ")"
	}
	return bt
}

// mappedTerms lists the business terms the mapping maps (with the scheme ids of those that
// state a scheme, and BT-125-1/2 with BT-125).
func (m *Mapping) mappedTerms() map[string]bool {
	out := map[string]bool{}
	for _, t := range m.terms {
		out[t.bt.id] = true
		if t.scheme != "" || t.schemeOf != nil {
			out[t.bt.id+"-1"] = true
		}
		if t.attach != nil {
			out["BT-125-1"], out["BT-125-2"] = true, true
		}
	}
	if m.autoID {
		out["BT-126"] = true
	}
	return out
}

// CheckProfile reports, as a *LoadError, the terms the profile p requires that the mapping
// can never supply (beyond EN 16931's, which Load checks). The gateway calls it when it pairs
// a mapping with its source's profile. check runs p's rules on a probe invoice: nil means
// syntax.CheckInvoice, the rules on the model and, for a profile whose rules judge the
// document (fr-ctc), those on the invoice written in CII.
func (m *Mapping) CheckProfile(p *invoice.Profile, check Checker) error {
	if p == nil || p.Name == "en16931" {
		return nil
	}
	if check == nil {
		check = func(inv *invoice.Invoice, p *invoice.Profile) []invoice.Violation { return syntax.CheckInvoice(inv, p) }
	}
	core := map[string]bool{}
	for _, r := range invoice.EN16931().Rules {
		core[r.ID] = true
	}
	if ps := m.missing(p, check, core); len(ps) > 0 {
		return &LoadError{File: m.file, Problems: ps}
	}
	return nil
}

// probeInvoice maps one made-up record: each term of the mapping gets its constant value, a
// lookup's entry, or a plausible value for its business term; the invoice is then completed
// as Map completes one.
func (m *Mapping) probeInvoice(pr probe) *invoice.Invoice {
	rn := &run{m: m, file: "probe"}
	inv := &invoice.Invoice{}
	res := &Result{Invoice: inv, m: m, rn: rn}
	m.probeScope(m.head, inv, -1, res, pr)
	inv.Lines = []invoice.Line{{}}
	m.probeScope(m.line, &inv.Lines[0], 0, res, pr)
	if m.autoID {
		inv.Lines[0].ID = "1"
	}
	rn.finish(res)
	return inv
}

func (m *Mapping) probeScope(sc *scope, dst any, li int, res *Result, pr probe) {
	for _, t := range sc.direct {
		t.bt.set(dst, probeValue(t, pr))
		res.assigns = append(res.assigns, assign{line: li, t: t, has: true})
	}
	for _, in := range sc.insts {
		inst := in.g.new()
		for _, t := range in.terms {
			t.bt.set(inst, probeValue(t, pr))
		}
		in.g.add(dst, inst)
		n := groupCount(in.g.id, dst)
		for _, t := range in.terms {
			res.assigns = append(res.assigns, assign{line: li, inst: n, t: t, has: true})
		}
	}
}

// probeValue is the value a probe gives t.
func probeValue(t *term, pr probe) *value {
	if t.static != nil {
		return t.static
	}
	if t.lookedUp != nil && len(t.lookup.keys) > 0 {
		k := t.lookup.keys[0]
		if pr.last {
			k = t.lookup.keys[len(t.lookup.keys)-1]
		}
		if v := t.lookedUp[k]; v != nil {
			return v
		}
	}
	v := &value{scheme: t.scheme}
	if t.schemeOf != nil && v.scheme == "" {
		v.scheme = "0009"
	}
	id := t.bt.id
	switch t.bt.kind {
	case kDate:
		v.date = invoice.NewDate(2026, time.January, 15)
		return v
	case kNumber:
		n := "10"
		switch id {
		case "BT-129", "BT-149":
			n = "1"
		case "BT-147":
			n = "0"
		case "BT-96", "BT-103", "BT-119", "BT-152":
			n = pr.rate
		}
		v.d = decimal.RequireFromString(n)
		return v
	}
	switch id {
	case "BT-3":
		v.s = pr.typeCode
	case "BT-5", "BT-6":
		v.s = "EUR"
	case "BT-40", "BT-55", "BT-69", "BT-80", "BT-159":
		v.s = "FR"
	case "BT-130", "BT-150":
		v.s = "C62"
	case "BT-95", "BT-102", "BT-118", "BT-151":
		v.s = pr.category
	case "BT-81":
		v.s = pr.means
	case "BT-29", "BT-30", "BT-46", "BT-47", "BT-60", "BT-61":
		v.s = "48239175200011"
	case "BT-31", "BT-48", "BT-63":
		v.s = "FR64482391752"
	case "BT-84":
		v.s = "FR7630004013280001234567810"
	case "BT-125":
		v.s = "document.pdf"
		v.att = &invoice.Attachment{Content: []byte("%PDF-1.4\n"), MIMEType: "application/pdf", Filename: "document.pdf"}
	default:
		v.s = "X1"
	}
	return v
}

// pathProbeRecords is how many records of an XML export tell whether a path of the mapping
// matches anything: one that matched nothing in them is reported (RulePath).
const pathProbeRecords = 10

// pathWatch follows, over the first records of an XML export, which paths of the mapping
// matched an element.
type pathWatch struct {
	used, hit []bool
	hint      []string // what the records had where a path stopped matching
	lineUsed  bool     // <line select>: evaluated, and matched
	lineHit   bool
	lineHint  string
	records   int
	done      bool
}

// track records that ref was evaluated on ctx and whether it matched.
func (w *pathWatch) track(ref *fieldRef, xr *xmlRec, ctx *xmlNode, hit bool) {
	if hit {
		w.hit[ref.id] = true
		return
	}
	if !w.used[ref.id] {
		w.used[ref.id] = true
		w.hint[ref.id] = pathHint(xr, ctx, ref.text)
	}
}

// pathHint says what ctx holds where the path p stops matching: "under e:Header: e:Number,
// e:Kind, …".
func pathHint(xr *xmlRec, node *xmlNode, p string) string {
	if node == nil {
		return ""
	}
	ctx := xr.etreeOf(node) // asked of the first records only
	p = strings.TrimSuffix(p, "/")
	if i := strings.LastIndex(p, "/@"); i >= 0 {
		p = p[:i]
	} else if strings.HasPrefix(p, "@") {
		p = "."
	}
	cur, where := ctx, ""
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == "" {
			continue
		}
		path, err := etree.CompilePath(seg)
		if err != nil {
			break
		}
		next := cur.FindElementPath(path)
		if next == nil {
			break
		}
		cur = next
		if where != "" {
			where += "/"
		}
		where += seg
	}
	var names []string
	for _, k := range cur.ChildElements() {
		if !slices.Contains(names, k.FullTag()) {
			names = append(names, k.FullTag())
		}
	}
	for _, a := range cur.Attr {
		names = append(names, "@"+a.FullKey())
	}
	if len(names) > 8 {
		names = append(names[:8], "…")
	}
	if where == "" {
		where = "the record"
	}
	if len(names) == 0 {
		return where + " holds nothing"
	}
	return "under " + where + ": " + strings.Join(names, ", ")
}

// reportPaths gives a notice for each path that matched nothing in the records seen.
func (rn *run) reportPaths(notice func(Notice)) {
	w := rn.paths
	if w == nil || w.done {
		return
	}
	w.done = true
	tell := func(mline int, path, hint string) {
		if hint != "" {
			hint = " (" + hint + ")"
		}
		notice(Notice{Position: Position{File: rn.file, Column: path, MappingLine: mline}, Rule: RulePath,
			FR: fmt.Sprintf("le chemin %s (ligne %d du mapping) ne trouve rien dans les %d premiers enregistrements%s : vérifiez les noms des éléments et leurs préfixes ; si l'élément est facultatif et absent de ces enregistrements, ignorez ce message", path, mline, w.records, hint),
			EN: fmt.Sprintf("the path %s (mapping line %d) matched nothing in the first %d records%s: check its element names and prefixes; if the element is optional and absent from these records, ignore this notice", path, mline, w.records, hint)})
	}
	for _, r := range rn.m.refs {
		if w.used[r.id] && !w.hit[r.id] {
			tell(r.line, r.text, w.hint[r.id])
		}
	}
	if w.lineUsed && !w.lineHit {
		tell(rn.m.line.line, rn.m.line.selTxt, w.lineHint)
	}
}
