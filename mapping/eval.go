package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
)

// assign is one evaluated term: where its value came from, and where it went in the
// invoice.
type assign struct {
	line   int // BG-25 index, -1 for the document
	inst   int // 1-based index of the group instance, 0 outside groups
	t      *term
	rec    *record  // the record the scope read
	el     *xmlNode // xml: the scope's element
	org    origin
	hasOrg bool
	has    bool // the term got a value
	x      *explained
}

// explained is what Options.Explain keeps of an assignment.
type explained struct {
	val   string
	steps []string
}

// build maps the records of one invoice.
func (rn *run) build(b *bucket) *Result {
	m := rn.m
	inv := &invoice.Invoice{}
	res := &Result{Invoice: inv, Key: b.key, Lines: [2]int{b.recs[0].line, b.last}, m: m, rn: rn, file: rn.file, Problems: b.problems}
	head := b.recs[0]
	if head.kind != m.headKind {
		head = nil
		for _, r := range b.recs {
			if r.kind == m.headKind {
				head = r
				break
			}
		}
		if head == nil {
			head = b.recs[0]
			k := m.src.kinds[m.headKind]
			res.Problems = append(res.Problems, Problem{Position: Position{File: rn.file, Line: head.line, MappingLine: m.invLine}, Rule: RuleRecord,
				FR: fmt.Sprintf("la facture n'a pas d'enregistrement « %s » (type %s) : ses données d'en-tête manquent", k.name, k.code),
				EN: fmt.Sprintf("the invoice has no %q record (type %s): its header data is missing", k.name, k.code)})
		}
	}
	res.first = head
	lines := rn.lineSources(b.recs)
	// Records other than lines' may give the invoice group instances: a record of each
	// kind is counted as a line's worth.
	res.assigns = make([]assign, 0, rn.m.headTerms+max(len(lines), len(b.recs))*rn.m.lineTerms)
	rn.evalScope(m.head, inv, -1, head, head.el, res, b.recs)
	if m.key == nil {
		res.Key = inv.Number
	}
	inv.Lines = make([]invoice.Line, len(lines))
	res.rows = make([]*record, len(lines))
	for i, src := range lines {
		l := &inv.Lines[i]
		rn.evalScope(m.line, l, i, src.rec, src.el, res, nil)
		if m.autoID {
			l.ID = strconv.Itoa(i + 1)
		}
		res.rows[i] = src.rec
	}
	if len(lines) == 0 {
		inv.Lines, res.rows = nil, nil // as they were before any line was mapped
	}
	slices.SortStableFunc(res.Problems, func(a, b Problem) int { return a.Position.Line - b.Position.Line })
	res.Problems = dedupe(res.Problems)
	rn.finish(res)
	return res
}

// lineSource is what an invoice line is read from: a record, and for XML the element
// <line select=> chose in it.
type lineSource struct {
	rec *record
	el  *xmlNode
}

// lineSources are the invoice's lines, in order, in a slice reused from invoice to invoice.
func (rn *run) lineSources(recs []*record) []lineSource {
	m := rn.m
	lines := rn.lines[:0]
	for _, rec := range recs {
		if m.line.kind >= 0 && rec.kind != m.line.kind {
			continue
		}
		if m.line.sel == nil || rec.el == nil {
			lines = append(lines, lineSource{rec, rec.el})
			continue
		}
		els := m.line.sel.appendAll(rn.sel[:0], rec.x, rec.el)
		rn.sel = els
		if w := rn.paths; w != nil && !w.done {
			if !w.lineUsed {
				w.lineUsed, w.lineHint = true, pathHint(rec.x, rec.el, m.line.selTxt)
			}
			w.lineHit = w.lineHit || len(els) > 0
		}
		for _, el := range els {
			lines = append(lines, lineSource{rec, el})
		}
	}
	clear(lines[len(lines):cap(lines)]) // keep no record of an earlier invoice alive
	clear(rn.sel)
	rn.lines = lines
	return lines
}

// evalScope fills dst (the invoice, or line li) from rec (and el); recs are the invoice's
// records, for groups and terms that read another kind of record.
func (rn *run) evalScope(sc *scope, dst any, li int, rec *record, el *xmlNode, res *Result, recs []*record) {
	for _, t := range sc.direct {
		r, e := rec, el
		if t.kind >= 0 && t.kind != rec.kind {
			r, e = nil, nil
			for _, x := range recs {
				if x.kind == t.kind {
					r, e = x, x.el
					break
				}
			}
		}
		if v := rn.eval(t, r, e, res, li, 0); v != nil {
			t.bt.set(dst, v)
		}
	}
	for _, in := range sc.insts {
		type ctx struct {
			rec *record
			el  *xmlNode
		}
		var ctxs []ctx
		if in.kind >= 0 {
			for _, x := range recs {
				if x.kind == in.kind {
					ctxs = append(ctxs, ctx{x, x.el})
				}
			}
		} else {
			ctxs = []ctx{{rec, el}}
		}
		if in.sel != nil {
			var sub []ctx
			for _, c := range ctxs {
				if c.el != nil {
					for _, e := range in.sel.all(c.rec.x, c.el) {
						sub = append(sub, ctx{c.rec, e})
					}
				}
			}
			ctxs = sub
		}
		for _, c := range ctxs {
			inst, has := in.g.new(), in.static
			mark := len(res.assigns)
			for _, t := range in.terms {
				if v := rn.eval(t, c.rec, c.el, res, li, 0); v != nil {
					t.bt.set(inst, v)
					has = has || t.static == nil
				}
			}
			if !has {
				res.assigns = res.assigns[:mark]
				continue
			}
			in.g.add(dst, inst)
			n := groupCount(in.g.id, dst)
			for i := mark; i < len(res.assigns); i++ {
				res.assigns[i].inst = n
			}
		}
	}
}

// eval returns the value of t on rec (nil: absent, or not mappable, a problem then being
// recorded) and records where it came from.
func (rn *run) eval(t *term, rec *record, el *xmlNode, res *Result, li, inst int) *value {
	a := assign{line: li, inst: inst, t: t, rec: rec, el: el}
	if t.static != nil {
		a.has = true
		if rn.explain {
			a.x = &explained{val: t.static.text(t.bt)}
			if le, ok := t.x.(*litExpr); ok && le.name != "" {
				a.x.steps = []string{fmt.Sprintf("constant %s", le.name)}
			} else {
				a.x.steps = []string{"value written in the mapping"}
			}
			if t.lookup != nil {
				a.x.steps = append(a.x.steps, "lookup "+t.lookup.name)
			}
		}
		res.assigns = append(res.assigns, a)
		return t.static
	}
	if rec == nil {
		res.assigns = append(res.assigns, a)
		return nil
	}
	c := &rn.c
	c.reset(rn, res, t, rec, el)
	v := rn.evalTerm(t, c)
	a.org, a.hasOrg, a.has = c.org, c.hasOrg, v != nil
	if rn.explain {
		a.x = &explained{steps: c.steps}
		if v != nil {
			a.x.val = v.text(t.bt)
		}
	}
	res.assigns = append(res.assigns, a)
	return v
}

func (rn *run) evalTerm(t *term, c *evalCtx) *value {
	v := rn.evalValue(t, c)
	if v == nil || t.schemeOf == nil {
		return v
	}
	s, _ := (&fieldExpr{ref: t.schemeOf}).eval(c)
	if s = strings.TrimSpace(s); s == "" {
		return v // scheme= (if any) stands in for an empty scheme column
	}
	if i := controlAt(s); i >= 0 {
		rn.controlProblem(c, s, i)
		return nil
	}
	cp := *v // lookup results are shared: never change them
	cp.scheme = s
	return &cp
}

// evalValue is the value of t before its scheme is read from the source.
func (rn *run) evalValue(t *term, c *evalCtx) *value {
	var raw string
	var computed *decimal.Decimal // a number term given by a computation: no text to read back
	if nx, ok := t.x.(numExpr); ok && t.bt.kind == kNumber && t.lookedUp == nil {
		d, has, ok := nx.num(c)
		if !ok {
			return nil
		}
		if has {
			computed, raw = &d, d.String()
		}
	} else {
		s, ok := t.x.eval(c)
		if !ok {
			return nil
		}
		raw = s
	}
	raw = strings.TrimSpace(raw)
	if i := controlAt(raw); i >= 0 {
		rn.controlProblem(c, raw, i)
		return nil
	}
	literal := false
	if raw == "" && t.def != nil {
		raw, literal = *t.def, true
		if c.explain {
			c.step("empty → default %q", raw)
		}
	}
	if raw == "" {
		if t.required {
			label := ""
			if t.ref != nil {
				label = t.ref.text
			}
			switch {
			case rn.m.src.format == "xml" && c.absent:
				rn.problem(c, RuleRequired,
					fmt.Sprintf("le chemin %s ne trouve aucun élément dans cet enregistrement, alors que la valeur est obligatoire (%s) : l'élément manque, ou le chemin du mapping est faux", label, termFR(t.bt)),
					fmt.Sprintf("the path %s matches no element in this record, but %s is required: the element is missing, or the mapping's path is wrong", label, nameEN(t.bt)))
			case rn.m.src.format == "xml":
				rn.problem(c, RuleRequired,
					fmt.Sprintf("l'élément %s est vide, alors que la valeur est obligatoire (%s)", label, termFR(t.bt)),
					fmt.Sprintf("element %s is empty, but %s is required", label, nameEN(t.bt)))
			default:
				rn.problem(c, RuleRequired,
					fmt.Sprintf("la colonne « %s » est vide, alors que la valeur est obligatoire (%s)", label, termFR(t.bt)),
					fmt.Sprintf("column %q is empty, but %s is required", label, nameEN(t.bt)))
			}
		}
		return nil
	}
	if t.lookedUp != nil {
		var v *value
		f := numFmt{dec: rn.m.src.decimal, thou: rn.m.src.thousands}
		if literal {
			f = literalNumbers
		}
		key, ok := t.lookup.match(raw, f)
		if ok {
			v = t.lookedUp[key]
		}
		if !ok && t.lookup.otherwise != nil {
			v, _ = t.read(*t.lookup.otherwise, true)
			ok = v != nil
		}
		if !ok {
			c.unknownKey(t.lookup, raw)
			return nil
		}
		if c.explain {
			c.step("lookup %s: %q → %q", t.lookup.name, raw, v.s)
		}
		return v
	}
	v := &value{s: raw, scheme: t.scheme}
	if t.attach != nil {
		att, en, fr := t.attach.read(raw)
		if att == nil {
			rn.problem(c, RuleAttachment,
				fmt.Sprintf("le document ne peut pas être joint (%s) : %s", termFR(t.bt), fr),
				fmt.Sprintf("%s cannot be attached: %s", nameEN(t.bt), en))
			return nil
		}
		v.att = att
		if c.explain {
			c.step("attached %s (%s, %d bytes)", att.Filename, att.MIMEType, len(att.Content))
		}
	}
	switch t.bt.kind {
	case kNumber:
		if computed != nil {
			v.d = *computed
			break
		}
		f := t.num
		f.literal = literal
		d, ok, why := parseNumberFmt(raw, f)
		if !ok {
			fr, en := "un nombre est attendu, par exemple 1 234,56", "a number is expected, for example 1 234,56"
			if f.dec == '.' {
				fr, en = "un nombre est attendu, par exemple 1234.56", "a number is expected, for example 1234.56"
			}
			if why == "sep" {
				if f.dec == ',' {
					fr, en = "le séparateur décimal attendu est la virgule (1234,56)", "the decimal separator expected is a comma (1234,56)"
				} else {
					fr, en = "le séparateur décimal attendu est le point (1234.56)", "the decimal separator expected is a dot (1234.56)"
				}
			}
			rn.problem(c, RuleNumber,
				fmt.Sprintf("« %s » n'est pas un nombre valide (%s) : %s", raw, termFR(t.bt), fr),
				fmt.Sprintf("%q is not a valid number for %s: %s", raw, nameEN(t.bt), en))
			return nil
		}
		v.d = d
		if c.explain {
			c.step("number (decimal %q) → %s", string(f.dec), d.String())
		}
	case kDate:
		d, ok := t.date.parse(raw)
		if e := t.date.why(raw); e != nil {
			rn.problem(c, RuleDate,
				fmt.Sprintf("la date « %s » n'existe pas : %s (%s)", raw, e.fr, termFR(t.bt)),
				fmt.Sprintf("the date %q does not exist: %s (%s, %s)", raw, e.en, t.bt.en, t.bt.id))
			return nil
		}
		if !ok {
			rn.problem(c, RuleDate,
				fmt.Sprintf("« %s » n'est pas une date au format attendu, %s (%s)", raw, layoutFR(t.date.text), termFR(t.bt)),
				fmt.Sprintf("%q is not a valid date for %s: expected format %s", raw, nameEN(t.bt), t.date.text))
			return nil
		}
		v.date = d
		if c.explain {
			c.step("date %s → %s", t.date.text, d.ISO())
		}
	}
	return v
}

// text is the value as explain shows it.
func (v *value) text(bt *btDef) string {
	switch bt.kind {
	case kNumber:
		return v.d.String()
	case kDate:
		return v.date.ISO()
	}
	if v.scheme != "" {
		return v.s + " (scheme " + v.scheme + ")"
	}
	return v.s
}

// termFR names a term in a parenthesis of a French sentence ("quantité facturée, BT-129"):
// a name without its article cannot stand in the sentence itself.
func termFR(bt *btDef) string { return bt.fr + ", " + bt.id }
func nameEN(bt *btDef) string { return bt.en + " (" + bt.id + ")" }

func layoutFR(l string) string {
	return strings.NewReplacer("dd", "jj", "yyyy", "aaaa", "yy", "aa").Replace(l)
}

// position is where origin o was read; rec and el are the scope's record and element when
// no field was read.
func (rn *run) position(o origin, has bool, rec *record, el *xmlNode) Position {
	p := Position{File: rn.file}
	if has && o.rec != nil {
		rec = o.rec
	}
	if rec == nil {
		return p
	}
	p.Line = rec.line
	if rec.x != nil {
		at := el
		if has && o.el != nil {
			at = o.el
		}
		if at != nil {
			if l, ok := rec.x.lineOf(at); ok {
				p.Line = l
			}
			p.Column = rec.x.elemPath(rec.el, at)
		} else {
			p.Column = rec.x.path()
		}
		if has && o.ref != nil {
			switch {
			case o.el == nil:
				p.Column += "/" + o.ref.text
			case o.ref.attr != "":
				p.Column += "/@" + o.ref.attr
			}
		}
		return p
	}
	if !has || o.ref == nil {
		return p
	}
	p.Column = o.ref.name
	if rn.m.src.format == "fixed" && rec.kind >= 0 {
		k := rn.m.src.kinds[rec.kind]
		if i, ok := k.byName[o.ref.name]; ok {
			f := k.fields[i]
			p.Column = fmt.Sprintf("%s (%d-%d)", f.name, f.start, f.start+f.length-1)
		}
	}
	return p
}

func (rn *run) problem(c *evalCtx, rule, fr, en string) {
	pos := rn.position(c.org, c.hasOrg, c.rec, c.el)
	pos.MappingLine = c.t.line
	if !c.hasOrg && c.t.ref != nil && pos.Column == "" {
		pos.Column = c.t.ref.text
	}
	c.res.Problems = append(c.res.Problems, Problem{Position: pos, BT: c.t.bt.id, Rule: rule, FR: fr, EN: en})
}

func (rn *run) rowProblem(rec *record, ref *fieldRef, mline int, rule, fr, en string) Problem {
	pos := Position{File: rn.file, Line: rec.line, MappingLine: mline}
	if ref != nil {
		pos = rn.position(origin{rec: rec, ref: ref}, true, rec, rec.el)
		pos.MappingLine = mline
		if rec.x != nil {
			pos.Column = rec.x.path() + "/" + ref.text
		}
	}
	return Problem{Position: pos, Rule: rule, FR: fr, EN: en}
}
