package mapping

import (
	"fmt"
	"strconv"
	"strings"
)

// The <term> element: the business term it fills, where its value comes from (column,
// field, path, value, const or an expression, see expr.go) and how the value is read
// (lookup, default, date layout, number format, scheme, required).

// term is one <term>: a business term, the expression giving its value, and how it is read.
type term struct {
	idx      int
	bt       *btDef
	line     int
	x        expr
	static   *value // a value without source field, already read; nil otherwise
	lookup   *lookupDef
	lookedUp map[string]*value // the lookup's results, read for this term's kind
	def      *string           // default= (stands for an empty value, before lookup)
	date     *dateLayout
	num      numFmt
	scheme   string
	required bool
	kind     int       // invoice terms: the record kind read (-1: the invoice's header record)
	ref      *fieldRef // the first field the expression reads, for messages
	schemeOf *fieldRef // scheme-column: the scheme is read from the source (scheme= when empty)
	attach   *attachDef
}

var termAttrs = []string{"bt", "column", "field", "path", "value", "const", "lookup", "default", "date", "decimal", "thousands", "decimals", "scheme", "scheme-column", "required", "record",
	"attachment", "folder", "mime", "filename"}

// term reads one <term>; group is the explicit group it is in ("" for none); kind the
// record kind it reads.
func (l *loader) term(n *node, lv level, group string, kind int) *term {
	a := l.attrs(n, termAttrs...)
	l.noText(n)
	id := strings.TrimSpace(a["bt"])
	bt := terms[id]
	switch {
	case id == "":
		l.errorf(n.line, "<term> needs bt=\"BT-…\", the business term it fills")
		return nil
	case bt == nil:
		base, _, cut := strings.Cut(strings.TrimPrefix(id, "BT-"), "-")
		if b := terms["BT-"+base]; cut && b != nil && b.scheme {
			l.errorf(n.line, "%s is the scheme of %s: write it as scheme=\"…\" on the %s term", id, b.id, b.id)
		} else if strings.HasPrefix(id, "BG-") {
			l.errorf(n.line, "%s is a group, not a term: map its terms (for repeatable groups, inside <group bg=%q>)", id, id)
		} else {
			l.errorf(n.line, "unknown business term %q (expected an EN 16931 id such as BT-1)", id)
		}
		return nil
	case bt.level != lv:
		l.errorf(n.line, "%s (%s) is %s term: put it in %s", id, bt.en, map[level]string{lvlInvoice: "an invoice", lvlLine: "a line"}[bt.level], levelName(bt.level))
		return nil
	case group != "" && bt.group != group:
		l.errorf(n.line, "%s (%s) is not part of %s (%s)", id, bt.en, group, groups[group].en)
		return nil
	}
	t := &term{idx: len(l.m.terms), bt: bt, line: n.line, kind: -1}
	bad := false
	fail := func(format string, args ...any) {
		l.errorf(n.line, format, args...)
		bad = true
	}
	if r, ok := a["record"]; ok {
		if lv != lvlInvoice || group != "" {
			fail("record=\"…\" on a term applies to the direct terms of <invoice>")
		} else if t.kind = l.kindByName(n.line, r); t.kind < 0 {
			return nil
		} else {
			kind = t.kind
		}
	}
	var sources []string
	for _, s := range []string{"column", "field", "path", "value", "const"} {
		if _, ok := a[s]; ok {
			sources = append(sources, s)
		}
	}
	var kids []*node
	for _, k := range n.kids {
		if k.name.Space != Namespace {
			fail("unknown element <%s> (namespace %q)", k.name.Local, k.name.Space)
			continue
		}
		kids = append(kids, k)
	}
	switch {
	case len(sources)+len(kids) == 0:
		fail("%s: say where the value comes from with column=\"…\", value=\"…\" or const=\"…\" (or an expression element such as <concat>)", id)
	case len(sources) > 1:
		fail("%s: give only one of column, value and const", id)
	case len(sources) == 1 && len(kids) > 0:
		fail("%s: give either %s=\"…\" or an expression element, not both", id, sources[0])
	case len(kids) > 1:
		fail("%s: a term holds one expression; join several with <concat> or <first>", id)
	}
	if d, ok := a["date"]; ok {
		if bt.kind != kDate {
			fail("%s (%s) is not a date: remove date=%q", id, bt.en, d)
		} else if dl, err := compileDate(d); err != nil {
			fail("%v", err)
		} else {
			t.date = dl
		}
	}
	if t.date == nil && bt.kind == kDate {
		t.date = l.m.src.date
	}
	t.num = numFmt{dec: l.m.src.decimal, thou: l.m.src.thousands, pct: percentLike(bt.id)}
	for _, x := range []string{"decimal", "thousands", "decimals"} {
		if _, ok := a[x]; ok && bt.kind != kNumber {
			fail("%s (%s) is not a number: remove %s=\"…\"", id, bt.en, x)
		}
	}
	if d, ok := a["decimal"]; ok {
		if d != "," && d != "." {
			fail("decimal=%q must be \",\" or \".\"", d)
		} else {
			t.num.dec = d[0]
		}
	}
	if v, ok := a["thousands"]; ok {
		t.num.thou = l.thousands(n.line, v, t.num.dec)
	}
	if v, ok := a["decimals"]; ok {
		t.num.implied = l.posInt(n.line, "decimals", v, 0)
	}
	if s, ok := a["scheme"]; ok {
		if !bt.scheme {
			fail("%s (%s) has no scheme: remove scheme=%q", id, bt.en, s)
		}
		t.scheme = strings.TrimSpace(s)
	}
	if id == "BT-125" {
		if t.attach = l.attachment(n.line, a); t.attach == nil {
			bad = true
		}
	} else {
		for _, x := range []string{"attachment", "folder", "mime", "filename"} {
			if _, ok := a[x]; ok {
				fail("%s=\"…\" applies to BT-125 (attached document)", x)
			}
		}
	}
	if name, ok := a["lookup"]; ok {
		t.lookup = l.m.lookups[name]
		if t.lookup == nil {
			fail("unknown lookup %q%s", name, known(l.m.lookups))
		}
	}
	if r, ok := a["required"]; ok {
		b, err := strconv.ParseBool(r)
		if err != nil {
			fail("required=%q must be true or false", r)
		}
		t.required = b
	}
	if d, ok := a["default"]; ok {
		d = strings.TrimSpace(d)
		t.def = &d
	}
	if bad {
		return nil
	}
	if len(kids) == 1 {
		t.x = l.expr(kids[0], kind)
	} else {
		switch sources[0] {
		case "column", "field", "path":
			if sources[0] == "path" && l.m.src.format != "xml" {
				l.errorf(n.line, "path=\"…\" reads an XML source; this source is %s: use column=\"…\"", l.m.src.format)
				return nil
			}
			if r := l.ref(n.line, a[sources[0]], kind); r != nil {
				t.x = &fieldExpr{ref: r}
			}
		case "value":
			t.x = &litExpr{s: strings.TrimSpace(a["value"]), what: "value"}
		case "const":
			c, ok := l.m.consts[a["const"]]
			if !ok {
				l.errorf(n.line, "unknown constant %q%s", a["const"], known(l.m.consts))
				return nil
			}
			t.x = &litExpr{s: c, what: fmt.Sprintf("constant %q", a["const"]), name: a["const"]}
		}
	}
	if t.x == nil {
		return nil
	}
	t.ref = firstRef(t.x)
	if sc, ok := a["scheme-column"]; ok {
		switch {
		case !bt.scheme:
			l.errorf(n.line, "%s (%s) has no scheme: remove scheme-column=%q", id, bt.en, sc)
			return nil
		case t.ref == nil:
			l.errorf(n.line, "scheme-column applies to a value read from the source; a constant value takes scheme=\"…\"")
			return nil
		}
		if t.schemeOf = l.ref(n.line, sc, kind); t.schemeOf == nil {
			return nil
		}
	}
	if t.required && t.ref == nil {
		l.errorf(n.line, "required applies to a value read from the source")
		return nil
	}
	if t.def != nil && t.ref == nil {
		l.errorf(n.line, "default applies to a value read from the source (it stands in for an empty value)")
		return nil
	}
	if t.ref != nil {
		if t.lookup != nil {
			t.lookedUp = map[string]*value{}
			for k, out := range t.lookup.entries {
				v, err := t.read(out, true)
				if err != "" {
					l.errorf(n.line, "lookup %q (line %d), key %q: %s", t.lookup.name, t.lookup.line, k, err)
					return nil
				}
				t.lookedUp[k] = v
			}
			if o := t.lookup.otherwise; o != nil && *o != "" {
				if _, err := t.read(*o, true); err != "" {
					l.errorf(n.line, "lookup %q, otherwise: %s", t.lookup.name, err)
					return nil
				}
			}
			if t.def != nil && *t.def != "" {
				if _, ok := t.lookup.get(*t.def, literalNumbers); !ok {
					l.errorf(n.line, "default %q is not a key of lookup %q", *t.def, t.lookup.name)
					return nil
				}
			}
		} else if t.def != nil && *t.def != "" {
			if _, err := t.read(*t.def, true); err != "" {
				l.errorf(n.line, "default: %s", err)
				return nil
			}
		}
	} else {
		// No source field: the value is the same on every invoice, read it once now.
		c := &evalCtx{}
		s, ok := t.x.eval(c)
		what := "value"
		if le, isLit := t.x.(*litExpr); isLit {
			what = le.what
		}
		if !ok {
			why := c.loadErr
			if why == "" {
				why = "the expression cannot be evaluated"
			}
			l.errorf(n.line, "%s: %s", id, why)
			return nil
		}
		s = strings.TrimSpace(s)
		if t.lookup != nil {
			r, ok := t.lookup.get(s, literalNumbers)
			if !ok {
				l.errorf(n.line, "%s %q is not a key of lookup %q", what, s, t.lookup.name)
				return nil
			}
			s = r
		}
		if s == "" {
			l.errorf(n.line, "%s: the %s is empty", id, what)
			return nil
		}
		v, err := t.read(s, true)
		if err != "" {
			l.errorf(n.line, "%s: %s", what, err)
			return nil
		}
		t.static = v
	}
	l.m.terms = append(l.m.terms, t)
	return t
}

// read parses s for the term's kind. literal: s is written in the mapping (',' and '.' are
// both decimal separators). It returns an English reason when s cannot be read.
func (t *term) read(s string, literal bool) (*value, string) {
	v := &value{s: s, scheme: t.scheme}
	if t.attach != nil {
		att, en, _ := t.attach.read(s)
		if att == nil {
			return nil, en
		}
		v.att = att
	}
	switch t.bt.kind {
	case kNumber:
		f := t.num
		f.literal, f.implied = true, 0
		d, ok, _ := parseNumberFmt(s, f)
		if !ok {
			return nil, fmt.Sprintf("%q is not a number, and %s (%s) needs one", s, t.bt.id, t.bt.en)
		}
		v.d = d
	case kDate:
		d, ok := t.date.parse(s)
		if !ok {
			return nil, fmt.Sprintf("%q is not a date written %s, as %s (%s) needs", s, t.date.text, t.bt.id, t.bt.en)
		}
		v.date = d
	}
	return v, ""
}
