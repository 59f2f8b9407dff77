package mapping

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Namespace is the XML namespace of mapping documents.
const Namespace = "urn:fluxgate:mapping:1"

// Mapping is a loaded, checked mapping. It is immutable: one Mapping may serve several Map
// calls at once.
type Mapping struct {
	Name string // the name attribute, or the file name without extension

	file     string // for messages
	src      source
	consts   map[string]string
	lookups  map[string]*lookupDef
	key      *colRef // group-by; nil: one invoice per row
	keyLine  int
	anyOrder bool // grouping="any"
	invLine  int  // mapping line of <invoice>
	head     scope
	line     scope
	autoID   bool // no BT-126 term: lines are numbered 1, 2, …
	terms    []*term
}

type source struct {
	format   string
	encoding string
	charmap  *charmap.Charmap // nil for UTF-8
	delim    byte
	header   bool
	decimal  byte
	date     *dateLayout
	line     int
}

type lookupDef struct {
	name    string
	line    int
	entries map[string]string
	keys    []string // in declaration order, for messages
}

// colRef names a source column: by header name, or by 1-based number when header="false".
type colRef struct {
	name string
	num  int
}

func (c *colRef) label() string {
	if c.name != "" {
		return c.name
	}
	return strconv.Itoa(c.num)
}

// term is one <term>: a business term, where its value comes from, and how it is read.
type term struct {
	idx      int
	bt       *btDef
	line     int // in the mapping file
	col      *colRef
	static   *value // value= or const=, already read; nil for a column
	lookup   *lookupDef
	lookedUp map[string]*value // the lookup's results, read for this term's kind
	def      *string           // default= (stands for an empty column, before lookup)
	date     *dateLayout
	scheme   string
	required bool
}

// scope holds the terms of the invoice header or of a line: direct terms, then instances
// of repeatable groups.
type scope struct {
	direct []*term
	insts  []*instDef
}

// instDef is one instance of a repeatable group: an explicit <group bg="…"> element, or the
// implicit instance that gathers the group's terms written directly in <invoice> or <line>.
type instDef struct {
	g      *groupDef
	terms  []*term
	line   int
	static bool // all terms are value= or const=: the instance always exists
}

// LoadError lists everything wrong in a mapping file, each with its line.
type LoadError struct {
	File     string
	Problems []LoadProblem
}

// LoadProblem is one mistake in a mapping file.
type LoadProblem struct {
	Line int
	Msg  string
}

func (e *LoadError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s:%d: %s", e.File, p.Line, p.Msg)
	}
	return b.String()
}

// Load reads and checks the mapping file at path.
func Load(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse reads and checks a mapping; name (usually the file path) is used in messages.
func Parse(name string, data []byte) (*Mapping, error) {
	root, err := parseTree(data)
	if err != nil {
		var se *xml.SyntaxError
		line := 1
		msg := err.Error()
		if errors.As(err, &se) {
			line, msg = se.Line, "malformed XML: "+se.Msg
		} else if le, ok := err.(lineErr); ok {
			line, msg = le.line, le.msg
		}
		return nil, &LoadError{File: name, Problems: []LoadProblem{{line, msg}}}
	}
	l := &loader{file: name, m: &Mapping{file: name, consts: map[string]string{}, lookups: map[string]*lookupDef{}}}
	l.mapping(root)
	if len(l.errs) > 0 {
		slices.SortStableFunc(l.errs, func(a, b LoadProblem) int { return a.Line - b.Line })
		return nil, &LoadError{File: name, Problems: l.errs}
	}
	if l.m.Name == "" {
		l.m.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	return l.m, nil
}

// node is an element of the mapping document with the line it starts on.
type node struct {
	name  xml.Name
	attrs []xml.Attr
	kids  []*node
	text  strings.Builder
	line  int
}

type lineErr struct {
	line int
	msg  string
}

func (e lineErr) Error() string { return e.msg }

const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

func parseTree(data []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if cm := charmapFor(label); cm != nil {
			return cm.NewDecoder().Reader(r), nil
		}
		return nil, fmt.Errorf("unsupported encoding %q (write the mapping in UTF-8)", label)
	}
	var root *node
	var stack []*node
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) && len(stack) > 0 {
				top := stack[len(stack)-1]
				se.Msg += fmt.Sprintf(" (<%s> opened at line %d)", top.name.Local, top.line)
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			// The position before the token is where "<" starts (character data before it
			// is a token of its own).
			n := &node{name: t.Name, line: line}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") || a.Name.Space == xsiNS {
					continue
				}
				n.attrs = append(n.attrs, a)
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, lineErr{line, "a second root element"}
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, lineErr{1, "no <mapping> element"}
	}
	return root, nil
}

type loader struct {
	file string
	m    *Mapping
	errs []LoadProblem
}

func (l *loader) errorf(line int, format string, args ...any) {
	l.errs = append(l.errs, LoadProblem{line, fmt.Sprintf(format, args...)})
}

// attrs returns the element's attributes after checking that each is one of allowed.
func (l *loader) attrs(n *node, allowed ...string) map[string]string {
	out := map[string]string{}
	for _, a := range n.attrs {
		if a.Name.Space != "" || !slices.Contains(allowed, a.Name.Local) {
			if len(allowed) == 0 {
				l.errorf(n.line, "<%s> takes no attribute %q", n.name.Local, a.Name.Local)
			} else {
				l.errorf(n.line, "<%s> has no attribute %q (allowed: %s)", n.name.Local, a.Name.Local, strings.Join(allowed, ", "))
			}
			continue
		}
		out[a.Name.Local] = a.Value
	}
	return out
}

func (l *loader) noText(n *node) {
	if s := strings.TrimSpace(n.text.String()); s != "" {
		l.errorf(n.line, "<%s> contains text %q where only elements are expected", n.name.Local, short(s))
	}
}

func short(s string) string {
	if len(s) > 30 {
		return s[:30] + "…"
	}
	return s
}

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

func charmapFor(label string) *charmap.Charmap {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "windows-1252", "cp1252", "win1252":
		return charmap.Windows1252
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		return charmap.ISO8859_1
	case "iso-8859-15", "latin9", "latin-9", "iso8859-15":
		return charmap.ISO8859_15
	}
	return nil
}

func (l *loader) source(n *node) bool {
	a := l.attrs(n, "format", "encoding", "delimiter", "header", "decimal", "date")
	l.noText(n)
	s := &l.m.src
	s.line = n.line
	ok := true
	switch f := a["format"]; f {
	case "csv":
		s.format = f
	case "":
		l.errorf(n.line, "<source> needs format=\"csv\"")
		ok = false
	case "fixed", "xml":
		l.errorf(n.line, "format=%q is not supported yet (this version reads csv)", f)
		ok = false
	default:
		l.errorf(n.line, "unknown format %q (expected csv)", f)
		ok = false
	}
	s.encoding = "utf-8"
	if e, set := a["encoding"]; set {
		switch strings.ToLower(e) {
		case "utf-8", "utf8":
		default:
			s.charmap = charmapFor(e)
			if s.charmap == nil {
				l.errorf(n.line, "unknown encoding %q (expected utf-8, windows-1252, iso-8859-1 or iso-8859-15)", e)
			}
			s.encoding = strings.ToLower(e)
		}
	}
	s.delim = ';'
	if d, set := a["delimiter"]; set {
		switch {
		case d == "tab" || d == `\t` || d == "\t":
			s.delim = '\t'
		case len(d) == 1 && d[0] > ' ' && d[0] < 0x7f && d[0] != '"' && !isAlnum(d[0]):
			s.delim = d[0]
		default:
			l.errorf(n.line, "delimiter %q must be one ASCII character such as \";\", \",\", \"|\" or \"tab\"", d)
		}
	}
	s.header = true
	if h, set := a["header"]; set {
		b, err := strconv.ParseBool(h)
		if err != nil {
			l.errorf(n.line, "header=%q must be true or false", h)
		}
		s.header = b
	}
	s.decimal = ','
	if d, set := a["decimal"]; set {
		if d != "," && d != "." {
			l.errorf(n.line, "decimal=%q must be \",\" or \".\"", d)
		} else {
			s.decimal = d[0]
		}
	}
	if s.decimal == s.delim {
		l.errorf(n.line, "the decimal separator and the delimiter are both %q", string(s.delim))
	}
	layout := "dd/mm/yyyy"
	if d, set := a["date"]; set {
		layout = d
	}
	dl, err := compileDate(layout)
	if err != nil {
		l.errorf(n.line, "%v", err)
		dl, _ = compileDate("dd/mm/yyyy")
	}
	s.date = dl
	return ok
}

func (l *loader) constants(n *node) {
	l.attrs(n)
	l.noText(n)
	for _, k := range n.kids {
		if k.name.Space != Namespace || k.name.Local != "constant" {
			l.errorf(k.line, "unknown element <%s> in <constants> (expected <constant name=\"…\">value</constant>)", k.name.Local)
			continue
		}
		a := l.attrs(k, "name")
		name := a["name"]
		if name == "" {
			l.errorf(k.line, "<constant> needs a name")
			continue
		}
		if len(k.kids) > 0 {
			l.errorf(k.line, "<constant name=%q> holds text only", name)
		}
		if _, dup := l.m.consts[name]; dup {
			l.errorf(k.line, "constant %q is defined twice", name)
			continue
		}
		l.m.consts[name] = strings.TrimSpace(k.text.String())
	}
}

func (l *loader) lookup(n *node) {
	a := l.attrs(n, "name")
	l.noText(n)
	name := a["name"]
	if name == "" {
		l.errorf(n.line, "<lookup> needs a name")
		return
	}
	if prev, dup := l.m.lookups[name]; dup {
		l.errorf(n.line, "lookup %q is defined twice (first at line %d)", name, prev.line)
		return
	}
	lk := &lookupDef{name: name, line: n.line, entries: map[string]string{}}
	for _, k := range n.kids {
		if k.name.Space != Namespace || k.name.Local != "entry" {
			l.errorf(k.line, "unknown element <%s> in <lookup> (expected <entry key=\"…\">result</entry>)", k.name.Local)
			continue
		}
		ka := l.attrs(k, "key")
		key, ok := ka["key"]
		if !ok {
			l.errorf(k.line, "<entry> needs a key")
			continue
		}
		key = strings.TrimSpace(key)
		if _, dup := lk.entries[key]; dup {
			l.errorf(k.line, "lookup %q has key %q twice", name, key)
			continue
		}
		lk.entries[key] = strings.TrimSpace(k.text.String())
		lk.keys = append(lk.keys, key)
	}
	l.m.lookups[name] = lk
}

func (l *loader) invoice(n *node) {
	a := l.attrs(n, "group-by", "grouping")
	l.noText(n)
	m := l.m
	m.invLine = n.line
	if g, ok := a["group-by"]; ok {
		m.key = l.colRef(n.line, g)
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
	var lineNode *node
	var kids []*node
	for _, k := range n.kids {
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
	l.scope(&m.head, lvlInvoice, kids)
	if lineNode == nil {
		l.errorf(n.line, "<invoice> needs a <line> element: each row gives one invoice line (BG-25)")
		return
	}
	l.attrs(lineNode)
	l.noText(lineNode)
	l.scope(&m.line, lvlLine, lineNode.kids)
	for _, sc := range []*scope{&m.head, &m.line} {
		for _, in := range sc.insts {
			in.static = !slices.ContainsFunc(in.terms, func(t *term) bool { return t.static == nil })
		}
	}
	m.autoID = true
	for _, t := range m.line.direct {
		if t.bt.id == "BT-126" {
			m.autoID = false
		}
	}
}

func levelName(lv level) string {
	if lv == lvlLine {
		return "<line>"
	}
	return "<invoice>"
}

// scope reads the terms and groups of <invoice> (without its <line>) or of <line>.
func (l *loader) scope(sc *scope, lv level, kids []*node) {
	seen := map[string]int{} // bt → mapping line, for direct terms and implicit instances
	implicit := map[string]*instDef{}
	for _, k := range kids {
		if k.name.Space != Namespace {
			l.errorf(k.line, "unknown element <%s> (namespace %q)", k.name.Local, k.name.Space)
			continue
		}
		switch k.name.Local {
		case "term":
			t := l.term(k, lv, "")
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
					in = &instDef{g: groups[g], line: k.line}
					implicit[g] = in
					sc.insts = append(sc.insts, in)
				}
				in.terms = append(in.terms, t)
			} else {
				sc.direct = append(sc.direct, t)
			}
		case "group":
			a := l.attrs(k, "bg")
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
			in := &instDef{g: g, line: k.line}
			inSeen := map[string]int{}
			for _, tk := range k.kids {
				if tk.name.Space != Namespace || tk.name.Local != "term" {
					l.errorf(tk.line, "unknown element <%s> in <group> (expected <term>)", tk.name.Local)
					continue
				}
				t := l.term(tk, lv, g.id)
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

func (l *loader) colRef(line int, s string) *colRef {
	if s == "" {
		l.errorf(line, "empty column name")
		return nil
	}
	if !l.m.src.header {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			l.errorf(line, "column=%q: the source has no header row (header=\"false\"), so columns are numbered from 1", s)
			return nil
		}
		return &colRef{num: n}
	}
	return &colRef{name: strings.TrimSpace(s)}
}

// term reads one <term>; group is the explicit group it is in ("" for none).
func (l *loader) term(n *node, lv level, group string) *term {
	a := l.attrs(n, "bt", "column", "value", "const", "lookup", "default", "date", "scheme", "required")
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
	t := &term{idx: len(l.m.terms), bt: bt, line: n.line}
	bad := false
	fail := func(format string, args ...any) {
		l.errorf(n.line, format, args...)
		bad = true
	}
	col, hasCol := a["column"]
	val, hasVal := a["value"]
	cst, hasConst := a["const"]
	switch cnt := btoi(hasCol) + btoi(hasVal) + btoi(hasConst); {
	case cnt == 0:
		fail("%s: say where the value comes from with column=\"…\", value=\"…\" or const=\"…\"", id)
	case cnt > 1:
		fail("%s: give only one of column, value and const", id)
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
		if b && !hasCol {
			fail("required applies to a column")
		}
	}
	if d, ok := a["default"]; ok {
		if !hasCol {
			fail("default applies to a column (it stands in for an empty value)")
		}
		d = strings.TrimSpace(d)
		t.def = &d
	}
	if bad {
		return nil
	}
	switch {
	case hasCol:
		t.col = l.colRef(n.line, col)
		if t.col == nil {
			return nil
		}
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
			if t.def != nil && *t.def != "" {
				if _, ok := t.lookup.entries[*t.def]; !ok {
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
	default:
		s := strings.TrimSpace(val)
		what := "value"
		if hasConst {
			c, ok := l.m.consts[cst]
			if !ok {
				l.errorf(n.line, "unknown constant %q%s", cst, known(l.m.consts))
				return nil
			}
			s, what = c, fmt.Sprintf("constant %q", cst)
		}
		if t.lookup != nil {
			r, ok := t.lookup.entries[s]
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
	switch t.bt.kind {
	case kNumber:
		d, ok, _ := parseNumber(s, '.', percentLike(t.bt.id), literal)
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

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
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
