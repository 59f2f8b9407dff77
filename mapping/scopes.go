package mapping

import (
	"slices"
	"strings"
)

// The <invoice> template and its scopes: how records group into invoices (group-by,
// grouping, record, negative), <exemption>, the terms and <group> instances of <invoice>
// and of its <line>. The <term> element itself is read in terms.go.

// exemption is an <exemption category="K" code="VATEX-EU-IC">reason</exemption>: the VAT
// exemption reason (BT-120) and code (BT-121) of a computed VAT breakdown of that category.
type exemption struct {
	category, code, reason string
	line                   int
}

// scope holds the terms of the invoice or of a line: direct terms, then instances of
// repeatable groups.
type scope struct {
	line   int
	kind   int      // lines: the record kind giving one line each (-1: every record)
	sel    *xmlPath // xml: one line per element matching, within the record
	selTxt string
	direct []*term
	insts  []*instDef
}

// instDef is one instance of a repeatable group: an explicit <group bg="…"> element, or the
// implicit instance that gathers the group's terms written directly in <invoice> or <line>.
// With record= or select=, it gives one instance per record of that kind, or per element.
type instDef struct {
	g      *groupDef
	terms  []*term
	line   int
	static bool // all terms are value= or const=: the instance always exists
	kind   int  // -1: read from the parent's record
	sel    *xmlPath
	selTxt string
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
		switch t.bt.id {
		case "BT-126":
			m.autoID = false
		case "BT-131":
			m.mapsLineNet = true
		}
	}
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

func (l *loader) selectPath(line int, s string) (*xmlPath, string) {
	if l.m.src.format != "xml" {
		l.errorf(line, "select=%q applies to an XML source", s)
		return nil, ""
	}
	p, err := compileXMLTermPath(l.nsPath(s), l.m.src.steps)
	if err != nil {
		l.errorf(line, "select=%q: %v", s, err)
		return nil, ""
	}
	return p, s
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
