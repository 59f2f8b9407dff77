package mapping

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The <lookup> element: a table translating source codes into the codes EN 16931 wants,
// written inline as <entry> elements or read from a CSV file.

// lookupDef is one <lookup> table.
type lookupDef struct {
	name       string
	line       int
	entries    map[string]string
	keys       []string // in declaration order, for messages
	ignoreCase bool
	otherwise  *string // result for a key the table does not list
	// numbers maps the keys that are numbers, written canonically ("20", "5.5"), to the key
	// as written: a value "20,00" finds the key "20". Nil with match="text".
	numbers map[string]string
}

func (l *loader) lookup(n *node) {
	a := l.attrs(n, "name", "file", "key", "value", "delimiter", "encoding", "ignore-case", "otherwise", "match")
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
	if v, ok := a["ignore-case"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			l.errorf(n.line, "ignore-case=%q must be true or false", v)
		}
		lk.ignoreCase = b
	}
	if v, ok := a["otherwise"]; ok {
		v = strings.TrimSpace(v)
		lk.otherwise = &v
	}
	byNumber := true
	switch m := a["match"]; m {
	case "", "number":
	case "text":
		byNumber = false
	default:
		l.errorf(n.line, "match=%q must be \"number\" (the default: keys that are numbers match values equal as numbers, 20,00 finds 20) or \"text\"", m)
	}
	add := func(line int, key, val string) {
		key = strings.TrimSpace(key)
		if lk.ignoreCase {
			key = strings.ToUpper(key)
		}
		if _, dup := lk.entries[key]; dup {
			l.errorf(line, "lookup %q has key %q twice", name, key)
			return
		}
		lk.entries[key] = strings.TrimSpace(val)
		lk.keys = append(lk.keys, key)
	}
	if file, ok := a["file"]; ok {
		if len(n.kids) > 0 {
			l.errorf(n.line, "lookup %q: give its entries either in file=\"…\" or as <entry>, not both", name)
		}
		l.lookupFile(n.line, lk, file, a, add)
	} else {
		for _, x := range []string{"key", "value", "delimiter", "encoding"} {
			if _, ok := a[x]; ok {
				l.errorf(n.line, "%s=\"…\" applies to a lookup read from a file (file=\"…\")", x)
			}
		}
	}
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
		add(k.line, key, k.text.String())
	}
	if byNumber {
		l.numberKeys(n.line, lk)
	}
	l.m.lookups[name] = lk
}

// numberKeys indexes the keys of lk that are numbers by their value, so that a source value
// written another way (20,00; 20.0; 020) finds them. Two keys equal as numbers ("01" and
// "1") would make the match ambiguous: the lookup then needs match="text".
func (l *loader) numberKeys(line int, lk *lookupDef) {
	for _, k := range lk.keys {
		d, ok, _ := parseNumberFmt(k, numFmt{dec: '.', literal: true, pct: true})
		if !ok {
			continue
		}
		c := d.String()
		if lk.numbers == nil {
			lk.numbers = map[string]string{}
		}
		if prev, dup := lk.numbers[c]; dup {
			l.errorf(line, "lookup %q: keys %q and %q are the same number; add match=\"text\" to compare them as text", lk.name, prev, k)
			continue
		}
		lk.numbers[c] = k
	}
}

// lookupFile reads the entries of a lookup from a CSV file with a header row: key= names
// the key column, value= the result column.
func (l *loader) lookupFile(line int, lk *lookupDef, file string, a map[string]string, add func(int, string, string)) {
	if a["key"] == "" || a["value"] == "" {
		l.errorf(line, "lookup %q: a lookup file needs key=\"column\" and value=\"column\"", lk.name)
		return
	}
	path := file
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.m.dir, file)
	}
	f, err := os.Open(path)
	if err != nil {
		l.errorf(line, "lookup %q: %v", lk.name, err)
		return
	}
	defer f.Close()
	src := &source{format: "csv", delim: ';', quote: '"', encoding: "utf-8"}
	if d, ok := a["delimiter"]; ok {
		if d == "tab" {
			src.delim = '\t'
		} else if len(d) == 1 {
			src.delim = d[0]
		} else {
			l.errorf(line, "delimiter %q must be one character or \"tab\"", d)
		}
	}
	if e, ok := a["encoding"]; ok && !strings.EqualFold(e, "utf-8") {
		src.charmap = charmapFor(e)
		src.encoding = e
		if src.charmap == nil {
			l.errorf(line, "unknown encoding %q", e)
			return
		}
	}
	rd := newCSVReader(f, file, src)
	head, err := rd.next()
	if err != nil {
		l.errorf(line, "lookup %q: %s: no header row (%v)", lk.name, file, err)
		return
	}
	ki, vi := -1, -1
	for i, h := range head.fields {
		switch strings.TrimSpace(h) {
		case a["key"]:
			ki = i
		case a["value"]:
			vi = i
		}
	}
	if ki < 0 || vi < 0 {
		l.errorf(line, "lookup %q: %s has no column %q or %q (its header: %s)", lk.name, file, a["key"], a["value"], strings.Join(head.fields, ", "))
		return
	}
	for {
		rec, err := rd.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				l.errorf(line, "lookup %q: %v", lk.name, err)
			}
			return
		}
		if blank(rec) {
			continue
		}
		k, v := field(rec, ki), field(rec, vi)
		if _, dup := lk.entries[k]; dup {
			l.errorf(line, "lookup %q: %s line %d: key %q is already listed", lk.name, file, rec.line, k)
			continue
		}
		add(line, k, v)
	}
}

// match returns the key of the table that value matches: the same text (in any case with
// ignore-case), else, unless match="text", the same number read as f says.
func (lk *lookupDef) match(value string, f numFmt) (string, bool) {
	if lk.ignoreCase {
		value = strings.ToUpper(value)
	}
	if _, ok := lk.entries[value]; ok {
		return value, true
	}
	if lk.numbers != nil {
		f.pct, f.implied = true, 0
		if d, ok, _ := parseNumberFmt(value, f); ok {
			k, ok := lk.numbers[d.String()]
			return k, ok
		}
	}
	return "", false
}

// literalNumbers is how values written in the mapping itself are read as numbers.
var literalNumbers = numFmt{dec: '.', literal: true}

// get looks a value up (numbers read as f says), with the table's case rule and otherwise=
// result.
func (lk *lookupDef) get(value string, f numFmt) (string, bool) {
	if k, ok := lk.match(value, f); ok {
		return lk.entries[k], true
	}
	if lk.otherwise != nil {
		return *lk.otherwise, true
	}
	return "", false
}
