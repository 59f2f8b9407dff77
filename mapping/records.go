package mapping

import (
	"fmt"
	"strconv"
	"strings"
)

// The <record> elements of <source> (the kinds of record of an export and their fields),
// and the references to their values that terms, expressions and group-by make.

// recKind is one kind of record of the source: the only row kind of a plain CSV, a record
// type of a fixed-width or typed CSV export (header, line, VAT, footer), or an element of an
// XML export.
type recKind struct {
	idx    int
	name   string
	code   string // type code; "" when the source has one kind only
	line   int
	fields []*fieldDef
	byName map[string]int
	path   []xmlStep // xml: where the records are
	text   string    // xml: the path as written
}

// fieldDef is a declared field: by position in a fixed-width record, by column number in a
// typed CSV.
type fieldDef struct {
	name     string
	line     int
	start    int // fixed: 1-based first character
	length   int
	col      int // csv: 1-based column
	decimals int // implied decimals: 000012345 with 2 is 123,45
}

func (l *loader) record(n *node) {
	s := &l.m.src
	var a map[string]string
	switch s.format {
	case "xml":
		a = l.attrs(n, "name", "path")
	default:
		a = l.attrs(n, "name", "type")
	}
	l.noText(n)
	k := &recKind{idx: len(s.kinds), name: a["name"], code: a["type"], line: n.line, byName: map[string]int{}}
	if k.name == "" {
		l.errorf(n.line, "<record> needs a name (header, line, vat, …), which <invoice>, <line> and <group> use in record=\"…\"")
		return
	}
	for _, o := range s.kinds {
		if o.name == k.name {
			l.errorf(n.line, "record %q is declared twice (first at line %d)", k.name, o.line)
			return
		}
		if k.code != "" && o.code == k.code {
			l.errorf(n.line, "records %q and %q have the same type %q", o.name, k.name, k.code)
		}
	}
	if s.typeStart > 0 && k.code != "" && len([]rune(k.code)) != s.typeLen {
		l.errorf(n.line, "type=%q is not %d characters long (type-length)", k.code, s.typeLen)
	}
	if s.format == "xml" {
		p, err := compileXMLPath(a["path"], s.nsURI)
		if err != nil {
			l.errorf(n.line, "path=%q: %v", a["path"], err)
		}
		k.path, k.text = p, a["path"]
		if len(n.kids) > 0 {
			l.errorf(n.line, "<record> of an XML source has no <field>: terms read paths relative to the record element")
		}
		s.kinds = append(s.kinds, k)
		return
	}
	for _, f := range n.kids {
		if f.name.Space != Namespace || f.name.Local != "field" {
			l.errorf(f.line, "unknown element <%s> in <record> (expected <field>)", f.name.Local)
			continue
		}
		var fa map[string]string
		fd := &fieldDef{line: f.line}
		if s.format == "fixed" {
			fa = l.attrs(f, "name", "start", "length", "decimals")
			fd.start = l.posInt(f.line, "start", fa["start"], 1)
			fd.length = l.posInt(f.line, "length", fa["length"], 1)
		} else {
			fa = l.attrs(f, "name", "column", "decimals")
			fd.col = l.posInt(f.line, "column", fa["column"], 1)
		}
		fd.name = strings.TrimSpace(fa["name"])
		if d, ok := fa["decimals"]; ok {
			fd.decimals = l.posInt(f.line, "decimals", d, 0)
		}
		if fd.name == "" {
			l.errorf(f.line, "<field> needs a name")
			continue
		}
		if _, dup := k.byName[fd.name]; dup {
			l.errorf(f.line, "field %q is declared twice in record %q", fd.name, k.name)
			continue
		}
		k.byName[fd.name] = len(k.fields)
		k.fields = append(k.fields, fd)
	}
	if s.format == "fixed" && len(k.fields) == 0 {
		l.errorf(n.line, "<record name=%q> declares no <field name=\"…\" start=\"…\" length=\"…\"/>", k.name)
	}
	s.kinds = append(s.kinds, k)
}

func (l *loader) kindByName(line int, name string) int {
	for _, k := range l.m.src.kinds {
		if k.name == name {
			return k.idx
		}
	}
	names := make([]string, len(l.m.src.kinds))
	for i, k := range l.m.src.kinds {
		names[i] = k.name
	}
	l.errorf(line, "unknown record %q (declared: %s)", name, strings.Join(names, ", "))
	return -1
}

func (m *Mapping) kindName(k int) string {
	if k < 0 || k >= len(m.src.kinds) {
		return ""
	}
	return m.src.kinds[k].name
}

// fieldRef is one reference to a source value: a column or field name, or an XML path.
type fieldRef struct {
	id   int
	name string   // csv column (header name or number) or field name
	path *xmlPath // xml, relative to the context element
	attr string   // xml: the attribute at the end of the path
	key  xmlTag   // xml: attr, numbered with the path's steps
	text string   // as written, for messages
	line int
}

// ref reads a field reference: a column or field name, or for an XML source a path
// (etree syntax, relative to the record or the element select= chose; a final /@name reads
// an attribute). kind is the record kind the value is read from (-1: any, -2: each kind
// that has it).
func (l *loader) ref(line int, s string, kind int) *fieldRef {
	s = strings.TrimSpace(s)
	if s == "" {
		l.errorf(line, "empty column name")
		return nil
	}
	r := &fieldRef{id: len(l.m.refs), text: s, line: line}
	src := &l.m.src
	switch {
	case src.format == "xml":
		p, attr := s, ""
		if i := strings.LastIndex(s, "@"); i >= 0 && (i == 0 || s[i-1] == '/') && !strings.ContainsAny(s[i:], "[]/") {
			p, attr = strings.TrimSuffix(s[:i], "/"), s[i+1:]
			if p == "" {
				p = "."
			}
		}
		for _, seg := range strings.Split(p, "/") {
			if pre, _, ok := strings.Cut(seg, ":"); ok && !strings.ContainsAny(pre, "[@") {
				if _, known := src.nsURI[pre]; !known {
					l.errorf(line, "path %q: prefix %q is not declared (add <namespace prefix=%q uri=\"…\"/> to <source>)", s, pre, pre)
					return nil
				}
			}
		}
		cp, err := compileXMLTermPath(p, src.steps)
		if err != nil {
			l.errorf(line, "path %q: %v", s, err)
			return nil
		}
		r.path, r.attr, r.name = cp, attr, s
		if attr != "" {
			r.key = src.steps.number(newXMLTag(attr))
		}
	case src.format == "csv" && src.header:
		r.name = s
	default:
		r.name = s
		found := false
		for _, k := range src.kinds {
			if kind >= 0 && k.idx != kind {
				continue
			}
			if _, ok := k.byName[s]; ok {
				found = true
			}
		}
		if !found && src.format == "csv" && len(src.kinds[0].fields) == 0 {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				l.errorf(line, "column=%q: the source has no header row (header=\"false\"), so columns are numbered from 1", s)
				return nil
			}
			found = true
		}
		if !found {
			where := "any record"
			if kind >= 0 {
				where = fmt.Sprintf("record %q", src.kinds[kind].name)
			}
			var names []string
			for _, k := range src.kinds {
				if kind >= 0 && k.idx != kind {
					continue
				}
				for _, f := range k.fields {
					names = append(names, f.name)
				}
			}
			l.errorf(line, "field %q is not declared in %s (fields: %s)", s, where, strings.Join(names, ", "))
			return nil
		}
	}
	l.m.refs = append(l.m.refs, r)
	return r
}
