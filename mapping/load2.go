package mapping

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

func (l *loader) mapping(root *node) {
	if root.name.Local != "mapping" || root.name.Space != Namespace {
		l.errorf(root.line, "the root element must be <mapping xmlns=%q>, found <%s> in namespace %q", Namespace, root.name.Local, root.name.Space)
		return
	}
	a := l.attrs(root, "name")
	l.m.Name = a["name"]
	l.noText(root)
	var src, inv *node
	var lookups []*node
	for _, k := range root.kids {
		if k.name.Space != Namespace {
			l.errorf(k.line, "unknown element <%s> (namespace %q)", k.name.Local, k.name.Space)
			continue
		}
		switch k.name.Local {
		case "source":
			if src != nil {
				l.errorf(k.line, "a second <source> (the first is at line %d)", src.line)
				continue
			}
			src = k
		case "constants":
			l.constants(k)
		case "lookup":
			lookups = append(lookups, k)
		case "invoice":
			if inv != nil {
				l.errorf(k.line, "a second <invoice> (the first is at line %d)", inv.line)
				continue
			}
			inv = k
		default:
			l.errorf(k.line, "unknown element <%s> in <mapping> (expected source, constants, lookup, invoice)", k.name.Local)
		}
	}
	for _, k := range lookups {
		l.lookup(k)
	}
	if src == nil {
		l.errorf(root.line, "missing <source> (e.g. <source format=\"csv\" encoding=\"windows-1252\" delimiter=\";\" decimal=\",\"/>)")
		return
	}
	if !l.source(src) {
		return
	}
	if inv == nil {
		l.errorf(root.line, "missing <invoice>")
		return
	}
	l.invoice(inv)
}

func (l *loader) invoice(n *node) {
	a := l.attrs(n, "group-by", "grouping", "record", "negative", "credit-note-type")
	l.noText(n)
	m := l.m
	m.invLine = n.line
	if r, ok := a["record"]; ok {
		m.headKind = l.kindByName(n.line, r)
		if m.headKind < 0 {
			return
		}
	}
	if g, ok := a["group-by"]; ok {
		m.key = l.ref(n.line, g, -2)
		m.keyLine = n.line
	}
	switch g := a["grouping"]; g {
	case "", "consecutive":
	case "any":
		m.anyOrder = true
	default:
		l.errorf(n.line, "grouping=%q must be \"consecutive\" (rows of an invoice follow each other; the default) or \"any\"", g)
	}
	if m.key == nil && m.anyOrder {
		l.errorf(n.line, "grouping=\"any\" needs group-by")
	}
	switch v := a["negative"]; v {
	case "", "keep":
	case "credit-note":
		m.credit = true
	default:
		l.errorf(n.line, "negative=%q must be \"keep\" (the default) or \"credit-note\" (a negative invoice becomes a credit note with positive amounts)", v)
	}
	m.creditCode = "381"
	if v, ok := a["credit-note-type"]; ok {
		if !m.credit {
			l.errorf(n.line, "credit-note-type applies with negative=\"credit-note\"")
		}
		m.creditCode = strings.TrimSpace(v)
	}
	var lineNode *node
	var kids []*node
	for _, k := range n.kids {
		if k.name.Space == Namespace && k.name.Local == "exemption" {
			ea := l.attrs(k, "category", "code")
			e := exemption{category: strings.TrimSpace(ea["category"]), code: strings.TrimSpace(ea["code"]), reason: strings.TrimSpace(k.text.String()), line: k.line}
			if e.category == "" || e.code == "" && e.reason == "" {
				l.errorf(k.line, "<exemption> needs category=\"…\" and a code=\"VATEX-…\" or a reason as its text")
				continue
			}
			m.exemptions = append(m.exemptions, e)
			continue
		}
		if k.name.Space == Namespace && k.name.Local == "line" {
			if lineNode != nil {
				l.errorf(k.line, "a second <line> (the first is at line %d)", lineNode.line)
				continue
			}
			lineNode = k
			continue
		}
		kids = append(kids, k)
	}
	m.head = &scope{line: n.line, kind: m.headKind}
	l.scope(m.head, lvlInvoice, kids, m.headKind)
	if lineNode == nil {
		l.errorf(n.line, "<invoice> needs a <line> element: each row gives one invoice line (BG-25)")
		return
	}
	la := l.attrs(lineNode, "record", "select")
	l.noText(lineNode)
	m.line = &scope{line: lineNode.line, kind: -1}
	if r, ok := la["record"]; ok {
		m.line.kind = l.kindByName(lineNode.line, r)
	} else if len(m.src.kinds) > 1 {
		l.errorf(lineNode.line, "<line> needs record=\"…\": which kind of record gives an invoice line")
	} else {
		m.line.kind = 0
	}
	if s, ok := la["select"]; ok {
		m.line.sel, m.line.selTxt = l.selectPath(lineNode.line, s)
	}
	lk := m.line.kind
	if lk < 0 {
		lk = 0
	}
	l.scope(m.line, lvlLine, lineNode.kids, lk)
	for _, sc := range []*scope{m.head, m.line} {
		for _, in := range sc.insts {
			in.static = !slices.ContainsFunc(in.terms, func(t *term) bool { return t.static == nil })
			if in.g.id == "BG-20" || in.g.id == "BG-21" {
				m.docPct = true
			}
		}
	}
	for _, sc := range []*scope{m.head, m.line} {
		n := len(sc.direct)
		for _, in := range sc.insts {
			n += len(in.terms)
		}
		if sc == m.head {
			m.headTerms = n
		} else {
			m.lineTerms = n
		}
	}
	m.autoID = true
	for _, t := range m.line.direct {
		if t.bt.id == "BT-126" {
			m.autoID = false
		}
	}
}

func (l *loader) selectPath(line int, s string) (*etree.Path, string) {
	if l.m.src.format != "xml" {
		l.errorf(line, "select=%q applies to an XML source", s)
		return nil, ""
	}
	p, err := etree.CompilePath(l.nsPath(s))
	if err != nil {
		l.errorf(line, "select=%q: %v", s, err)
		return nil, ""
	}
	return &p, s
}

// nsPath checks the prefixes of an etree path against the declared namespaces.
func (l *loader) nsPath(s string) string {
	return s
}

func levelName(lv level) string {
	if lv == lvlLine {
		return "<line>"
	}
	return "<invoice>"
}

// scope reads the terms and groups of <invoice> (without its <line>) or of <line>; kind is
// the record kind their values are read from.
func (l *loader) scope(sc *scope, lv level, kids []*node, kind int) {
	seen := map[string]int{} // bt → mapping line, for direct terms and implicit instances
	implicit := map[string]*instDef{}
	for _, k := range kids {
		if k.name.Space != Namespace {
			l.errorf(k.line, "unknown element <%s> (namespace %q)", k.name.Local, k.name.Space)
			continue
		}
		switch k.name.Local {
		case "term":
			t := l.term(k, lv, "", kind)
			if t == nil {
				continue
			}
			if prev, dup := seen[t.bt.id]; dup && !t.bt.multi {
				if t.bt.group != "" {
					l.errorf(k.line, "%s is already mapped at line %d; to map several %s, wrap each in <group bg=%q>", t.bt.id, prev, groups[t.bt.group].en+"s", t.bt.group)
				} else {
					l.errorf(k.line, "%s is already mapped at line %d", t.bt.id, prev)
				}
				continue
			}
			seen[t.bt.id] = k.line
			if g := t.bt.group; g != "" {
				in := implicit[g]
				if in == nil {
					in = &instDef{g: groups[g], line: k.line, kind: -1}
					implicit[g] = in
					sc.insts = append(sc.insts, in)
				}
				in.terms = append(in.terms, t)
			} else {
				sc.direct = append(sc.direct, t)
			}
		case "group":
			a := l.attrs(k, "bg", "record", "select")
			l.noText(k)
			g := groups[a["bg"]]
			switch {
			case a["bg"] == "":
				l.errorf(k.line, "<group> needs bg=\"BG-…\", the repeatable group it builds")
				continue
			case g == nil:
				l.errorf(k.line, "%s is not a repeatable group (those are BG-1, BG-3, BG-17, BG-20, BG-21, BG-23, BG-24 in <invoice>; BG-27, BG-28, BG-32 in <line>)", a["bg"])
				continue
			case g.level != lv:
				l.errorf(k.line, "%s (%s) belongs in %s", g.id, g.en, levelName(g.level))
				continue
			}
			in := &instDef{g: g, line: k.line, kind: -1}
			ik := kind
			if r, ok := a["record"]; ok {
				if lv == lvlLine {
					l.errorf(k.line, "record=\"…\" applies to the groups of <invoice>; in <line>, use select=\"…\" (XML) or the line's own record")
				} else if in.kind = l.kindByName(k.line, r); in.kind < 0 {
					continue
				}
				ik = in.kind
			}
			if s, ok := a["select"]; ok {
				in.sel, in.selTxt = l.selectPath(k.line, s)
			}
			inSeen := map[string]int{}
			for _, tk := range k.kids {
				if tk.name.Space != Namespace || tk.name.Local != "term" {
					l.errorf(tk.line, "unknown element <%s> in <group> (expected <term>)", tk.name.Local)
					continue
				}
				t := l.term(tk, lv, g.id, ik)
				if t == nil {
					continue
				}
				if prev, dup := inSeen[t.bt.id]; dup {
					l.errorf(tk.line, "%s is already mapped in this group at line %d", t.bt.id, prev)
					continue
				}
				inSeen[t.bt.id] = tk.line
				in.terms = append(in.terms, t)
			}
			if len(in.terms) == 0 {
				l.errorf(k.line, "<group bg=%q> has no term", g.id)
				continue
			}
			sc.insts = append(sc.insts, in)
		case "line":
			l.errorf(k.line, "<line> belongs directly in <invoice>")
		default:
			l.errorf(k.line, "unknown element <%s> in %s (expected term or group)", k.name.Local, levelName(lv))
		}
	}
}

var termAttrs = []string{"bt", "column", "field", "path", "value", "const", "lookup", "default", "date", "decimal", "thousands", "decimals", "scheme", "required", "record"}

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
		} else if id == "BT-125" {
			l.errorf(n.line, "BT-125 (attached document) cannot be mapped from a source value")
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
				if _, ok := t.lookup.get(*t.def); !ok {
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
		s, ok := t.x.eval(&evalCtx{})
		what := "value"
		if le, isLit := t.x.(*litExpr); isLit {
			what = le.what
		}
		if !ok {
			l.errorf(n.line, "%s: the expression cannot be evaluated", id)
			return nil
		}
		s = strings.TrimSpace(s)
		if t.lookup != nil {
			r, ok := t.lookup.get(s)
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

func (lk *lookupDef) get(key string) (string, bool) {
	if lk.ignoreCase {
		key = strings.ToUpper(key)
	}
	if v, ok := lk.entries[key]; ok {
		return v, true
	}
	if lk.otherwise != nil {
		return *lk.otherwise, true
	}
	return "", false
}

// read parses s for the term's kind. literal: s is written in the mapping (',' and '.' are
// both decimal separators). It returns an English reason when s cannot be read.
func (t *term) read(s string, literal bool) (*value, string) {
	v := &value{s: s, scheme: t.scheme}
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

// exprs loads the expressions in kids, in order. One that does not load is left out: its
// error is already recorded, and the load goes on to report the others.
func (l *loader) exprs(kids []*node, kind int) []expr {
	var xs []expr
	for _, k := range kids {
		if x := l.expr(k, kind); x != nil {
			xs = append(xs, x)
		}
	}
	return xs
}

// expr reads an expression element.
func (l *loader) expr(n *node, kind int) expr {
	bad := func(format string, args ...any) expr {
		l.errorf(n.line, format, args...)
		return nil
	}
	inner := func() expr {
		xs := l.exprs(n.kids, kind)
		switch len(xs) {
		case 0:
			if len(n.kids) == 0 {
				l.errorf(n.line, "<%s> needs the expression it transforms inside it, e.g. <%s><field name=\"…\"/></%s>", n.name.Local, n.name.Local, n.name.Local)
			}
			return nil
		case 1:
			return xs[0]
		}
		return &concatExpr{parts: xs}
	}
	if n.name.Space != Namespace {
		return bad("unknown element <%s> (namespace %q)", n.name.Local, n.name.Space)
	}
	switch name := n.name.Local; name {
	case "field", "column":
		a := l.attrs(n, "name", "path")
		l.noText(n)
		s, ok := a["name"]
		if p, isPath := a["path"]; isPath {
			s, ok = p, true
		}
		if !ok {
			return bad("<%s> needs name=\"…\" (or path=\"…\" for an XML source)", name)
		}
		if r := l.ref(n.line, s, kind); r != nil {
			return &fieldExpr{ref: r}
		}
		return nil
	case "path":
		a := l.attrs(n, "select")
		if r := l.ref(n.line, a["select"], kind); r != nil {
			return &fieldExpr{ref: r}
		}
		return nil
	case "text", "value":
		l.attrs(n)
		if len(n.kids) > 0 {
			return bad("<%s> holds text only", name)
		}
		return &litExpr{s: n.text.String(), what: "value"}
	case "const":
		a := l.attrs(n, "name")
		c, ok := l.m.consts[a["name"]]
		if !ok {
			return bad("unknown constant %q%s", a["name"], known(l.m.consts))
		}
		return &litExpr{s: c, what: fmt.Sprintf("constant %q", a["name"]), name: a["name"]}
	case "concat":
		a := l.attrs(n, "separator")
		l.noText(n)
		xs := l.exprs(n.kids, kind)
		if len(xs) == 0 {
			return bad("<concat> joins the expressions inside it; it has none")
		}
		sep, hasSep := a["separator"]
		return &concatExpr{parts: xs, sep: sep, skipEmpty: hasSep}
	case "first":
		l.attrs(n)
		l.noText(n)
		xs := l.exprs(n.kids, kind)
		if len(xs) == 0 {
			return bad("<first> needs expressions: it takes the first that is not empty")
		}
		return &firstExpr{parts: xs}
	case "substring":
		a := l.attrs(n, "start", "length")
		l.noText(n)
		x := inner()
		st := l.posInt(n.line, "start", a["start"], 1)
		ln := -1
		if v, ok := a["length"]; ok {
			ln = l.posInt(n.line, "length", v, 0)
		}
		if x == nil {
			return nil
		}
		return &substrExpr{x: x, start: st, length: ln}
	case "trim":
		a := l.attrs(n, "chars", "side")
		l.noText(n)
		x := inner()
		side := a["side"]
		switch side {
		case "", "both", "left", "right":
		default:
			return bad("side=%q must be both, left or right", side)
		}
		if x == nil {
			return nil
		}
		return &trimExpr{x: x, chars: a["chars"], side: side}
	case "pad":
		a := l.attrs(n, "width", "char", "side")
		l.noText(n)
		x := inner()
		w := l.posInt(n.line, "width", a["width"], 1)
		ch := ' '
		if c, ok := a["char"]; ok {
			if r := []rune(c); len(r) == 1 {
				ch = r[0]
			} else {
				return bad("char=%q must be one character", c)
			}
		}
		side := a["side"]
		if side != "" && side != "left" && side != "right" {
			return bad("side=%q must be left or right", side)
		}
		if x == nil {
			return nil
		}
		return &padExpr{x: x, width: w, char: ch, right: side == "right"}
	case "upper", "lower", "capitalize":
		l.attrs(n)
		l.noText(n)
		if x := inner(); x != nil {
			return &caseExpr{x: x, mode: name}
		}
		return nil
	case "replace":
		a := l.attrs(n, "pattern", "with")
		l.noText(n)
		x := inner()
		re, err := regexp.Compile(a["pattern"])
		if err != nil || a["pattern"] == "" {
			return bad("pattern=%q is not a regular expression (Go RE2 syntax): %v", a["pattern"], err)
		}
		if x == nil {
			return nil
		}
		return &replaceExpr{x: x, re: re, with: a["with"]}
	case "lookup":
		a := l.attrs(n, "table")
		l.noText(n)
		lk := l.m.lookups[a["table"]]
		if lk == nil {
			return bad("unknown lookup %q%s", a["table"], known(l.m.lookups))
		}
		if x := inner(); x != nil {
			return &lookupExpr{x: x, lk: lk}
		}
		return nil
	case "choose":
		l.attrs(n)
		l.noText(n)
		c := &chooseExpr{}
		for _, k := range n.kids {
			switch {
			case k.name.Space == Namespace && k.name.Local == "when":
				if w := l.when(k, kind); w != nil {
					c.whens = append(c.whens, w)
				}
			case k.name.Space == Namespace && k.name.Local == "otherwise":
				l.attrs(k)
				if c.otherwise != nil {
					l.errorf(k.line, "a second <otherwise>")
				}
				xs := l.exprs(k.kids, kind)
				if len(xs) == 0 {
					if s := k.text.String(); s != "" {
						xs = append(xs, &litExpr{s: s, what: "value"})
					} else {
						xs = append(xs, &litExpr{what: "value"})
					}
				}
				c.otherwise = xs[0]
				if len(xs) > 1 {
					c.otherwise = &concatExpr{parts: xs}
				}
			default:
				l.errorf(k.line, "unknown element <%s> in <choose> (expected when, otherwise)", k.name.Local)
			}
		}
		if len(c.whens) == 0 {
			return bad("<choose> needs at least one <when>")
		}
		return c
	}
	return bad("unknown element <%s> (expected a term's expression: field, text, const, concat, first, substring, trim, pad, upper, lower, capitalize, replace, lookup, choose)", n.name.Local)
}

// when reads <when field="…" equals="…">expression</when>.
func (l *loader) when(n *node, kind int) *whenExpr {
	a := l.attrs(n, "field", "column", "path", "const", "equals", "not-equals", "in", "matches", "empty", "negative")
	w := &whenExpr{line: n.line}
	var subj []string
	for _, s := range []string{"field", "column", "path", "const"} {
		if _, ok := a[s]; ok {
			subj = append(subj, s)
		}
	}
	if len(subj) != 1 {
		l.errorf(n.line, "<when> tests one value: give one of field, path or const")
		return nil
	}
	if subj[0] == "const" {
		c, ok := l.m.consts[a["const"]]
		if !ok {
			l.errorf(n.line, "unknown constant %q%s", a["const"], known(l.m.consts))
			return nil
		}
		w.subj = &litExpr{s: c, what: "constant", name: a["const"]}
	} else if r := l.ref(n.line, a[subj[0]], kind); r != nil {
		w.subj = &fieldExpr{ref: r}
	} else {
		return nil
	}
	for _, op := range []string{"equals", "not-equals", "in", "matches", "empty", "negative"} {
		v, ok := a[op]
		if !ok {
			continue
		}
		c := cond{op: op, arg: v}
		switch op {
		case "in":
			c.set = strings.Split(v, "|")
			for i := range c.set {
				c.set[i] = strings.TrimSpace(c.set[i])
			}
		case "matches":
			re, err := regexp.Compile(v)
			if err != nil {
				l.errorf(n.line, "matches=%q is not a regular expression: %v", v, err)
				return nil
			}
			c.re = re
		case "empty", "negative":
			b, err := strconv.ParseBool(v)
			if err != nil {
				l.errorf(n.line, "%s=%q must be true or false", op, v)
				return nil
			}
			c.want = b
		}
		w.conds = append(w.conds, c)
	}
	if len(w.conds) == 0 {
		l.errorf(n.line, "<when> needs a test: equals, not-equals, in, matches, empty or negative")
		return nil
	}
	xs := l.exprs(n.kids, kind)
	switch {
	case len(xs) == 0 && len(n.kids) == 0:
		w.x = &litExpr{s: n.text.String(), what: "value"}
	case len(xs) == 1:
		w.x = xs[0]
	case len(xs) > 1:
		w.x = &concatExpr{parts: xs}
	default:
		return nil
	}
	return w
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func known[V any](m map[string]V) string {
	if len(m) == 0 {
		return " (none is defined)"
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	if len(names) > 12 {
		names = append(names[:12], "…")
	}
	return " (defined: " + strings.Join(names, ", ") + ")"
}
