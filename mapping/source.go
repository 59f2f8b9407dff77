package mapping

import (
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// The <source> element: the export's format (csv, fixed, xml), encoding, separators, date
// layout and record type codes. Its <record> elements are read in records.go.

// source is what <source> says: how to read the export.
type source struct {
	format    string // csv, fixed, xml
	encoding  string
	charmap   *charmap.Charmap // nil for UTF-8
	delim     byte
	quote     byte // 0: fields are never quoted
	header    bool
	skip      int // lines skipped before the header (or the first record)
	decimal   byte
	thousands byte // 0: only spaces group thousands
	date      *dateLayout
	line      int
	typeCol   int // csv: 1-based column holding the record type, 0 for none
	typeStart int // fixed: 1-based position of the record type code, 0 for none
	typeLen   int
	kinds     []*recKind
	skips     []*skipDef        // rows that are not invoices (<skip>)
	skipLast  int               // the last records of the file that are not invoices (skip-last)
	nsPrefix  map[string]string // xml: namespace URI → the mapping's prefix
	nsURI     map[string]string // xml: prefix → URI
	steps     *xmlSteps         // xml: the steps of the terms' and select='s plain paths
}

func (l *loader) source(n *node) bool {
	s := &l.m.src
	s.line = n.line
	format := ""
	for _, a := range n.attrs {
		if a.Name.Local == "format" && a.Name.Space == "" {
			format = a.Value
		}
	}
	var a map[string]string
	switch format {
	case "csv":
		a = l.attrs(n, "format", "encoding", "delimiter", "quote", "header", "skip", "skip-last", "decimal", "thousands", "date", "type-column")
	case "fixed":
		a = l.attrs(n, "format", "encoding", "skip", "skip-last", "decimal", "thousands", "date", "type-start", "type-length")
	case "xml":
		a = l.attrs(n, "format", "decimal", "thousands", "date")
	case "":
		l.errorf(n.line, "<source> needs format=\"csv\", \"fixed\" or \"xml\"")
		return false
	default:
		l.errorf(n.line, "unknown format %q (expected csv, fixed or xml)", format)
		return false
	}
	l.noText(n)
	s.format = format
	s.encoding = "utf-8"
	if e, set := a["encoding"]; set {
		switch enc := strings.ToLower(strings.TrimSpace(e)); enc {
		case "utf-8", "utf8":
		case "utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be":
			// Decoded into UTF-8 before the reader sees it (input.go).
			s.encoding = enc
		default:
			s.charmap = charmapFor(e)
			if s.charmap == nil {
				l.errorf(n.line, "unknown encoding %q (expected utf-8, windows-1252, iso-8859-1, iso-8859-15, cp850, utf-16 or utf-32)", e)
			}
			s.encoding = enc
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
	s.quote = '"'
	if q, set := a["quote"]; set {
		switch {
		case q == "none" || q == "":
			s.quote = 0
		case q == `"` || q == "'":
			s.quote = q[0]
		default:
			l.errorf(n.line, "quote=%q must be '\"', \"'\" or \"none\"", q)
		}
	}
	s.header = format == "csv"
	if h, set := a["header"]; set {
		b, err := strconv.ParseBool(h)
		if err != nil {
			l.errorf(n.line, "header=%q must be true or false", h)
		}
		s.header = b
	}
	if v, set := a["skip"]; set {
		s.skip = l.posInt(n.line, "skip", v, 0)
	}
	if v, set := a["skip-last"]; set {
		s.skipLast = l.posInt(n.line, "skip-last", v, 0)
	}
	s.decimal = ','
	if d, set := a["decimal"]; set {
		if d != "," && d != "." {
			l.errorf(n.line, "decimal=%q must be \",\" or \".\"", d)
		} else {
			s.decimal = d[0]
		}
	}
	if t, set := a["thousands"]; set {
		s.thousands = l.thousands(n.line, t, s.decimal)
	}
	if format == "csv" && s.decimal == s.delim {
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
	if v, set := a["type-column"]; set {
		s.typeCol = l.posInt(n.line, "type-column", v, 1)
		if s.header {
			l.errorf(n.line, "type-column: a CSV with several record types has no header row; add header=\"false\" and declare the fields of each <record>")
		}
	}
	if v, set := a["type-start"]; set {
		s.typeStart = l.posInt(n.line, "type-start", v, 1)
		s.typeLen = 1
		if w, set := a["type-length"]; set {
			s.typeLen = l.posInt(n.line, "type-length", w, 1)
		}
	} else if _, set := a["type-length"]; set {
		l.errorf(n.line, "type-length needs type-start, the position of the record type code")
	}
	if format == "xml" {
		s.nsPrefix, s.nsURI, s.steps = map[string]string{}, map[string]string{}, &xmlSteps{}
	}
	var skips []*node
	for _, k := range n.kids {
		switch {
		case k.name.Space == Namespace && k.name.Local == "record":
			l.record(k)
		case k.name.Space == Namespace && k.name.Local == "skip":
			skips = append(skips, k) // read once every record is declared
		case k.name.Space == Namespace && k.name.Local == "namespace" && format == "xml":
			ka := l.attrs(k, "prefix", "uri")
			p, u := ka["prefix"], ka["uri"]
			if p == "" || u == "" || strings.Contains(p, ":") {
				l.errorf(k.line, "<namespace> needs prefix=\"…\" (without colon) and uri=\"…\"")
				continue
			}
			if _, dup := s.nsURI[p]; dup {
				l.errorf(k.line, "namespace prefix %q is declared twice", p)
				continue
			}
			s.nsURI[p], s.nsPrefix[u] = u, p
		default:
			want := "record, skip"
			if format == "xml" {
				want = "namespace, record, skip"
			}
			l.errorf(k.line, "unknown element <%s> in <source format=%q> (expected %s)", k.name.Local, format, want)
		}
	}
	multi := len(s.kinds) > 1
	switch format {
	case "csv":
		if s.typeCol > 0 && len(s.kinds) == 0 {
			l.errorf(n.line, "type-column needs a <record type=\"…\"> per record type")
		}
		if s.typeCol == 0 && len(s.kinds) > 1 {
			l.errorf(n.line, "several <record> elements need type-column, the column holding the record type")
		}
		if s.header && len(s.kinds) > 0 {
			l.errorf(n.line, "<record> declares the fields of a CSV without header row: add header=\"false\"")
		}
		if len(s.kinds) == 0 {
			s.kinds = []*recKind{{name: "row", byName: map[string]int{}}}
		}
	case "fixed":
		if len(s.kinds) == 0 {
			l.errorf(n.line, "<source format=\"fixed\"> needs <record> elements declaring the fields by position")
			return false
		}
		if multi && s.typeStart == 0 {
			l.errorf(n.line, "several <record> elements need type-start (and type-length), the position of the record type code")
		}
	case "xml":
		if len(s.kinds) == 0 {
			l.errorf(n.line, "<source format=\"xml\"> needs a <record path=\"/Export/Invoice\"/> saying which elements are the records")
			return false
		}
	}
	if s.typeCol > 0 || s.typeStart > 0 {
		for _, k := range s.kinds {
			if k.code == "" {
				l.errorf(k.line, "<record name=%q> needs type=\"…\", the code of its records", k.name)
			}
		}
	}
	for _, k := range skips {
		l.skip(k)
	}
	return true
}

func charmapFor(label string) *charmap.Charmap {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "windows-1252", "cp1252", "win1252":
		return charmap.Windows1252
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		return charmap.ISO8859_1
	case "iso-8859-15", "latin9", "latin-9", "iso8859-15":
		return charmap.ISO8859_15
	case "cp850", "ibm850", "ibm-850", "cp-850", "dos":
		return charmap.CodePage850
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
