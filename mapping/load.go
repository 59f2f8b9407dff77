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

	"github.com/fluxgate/fluxgate/invoice"
)

// Namespace is the XML namespace of mapping documents.
const Namespace = "urn:fluxgate:mapping:1"

// Mapping is a loaded, checked mapping. It is immutable: one Mapping may serve several Map
// calls at once.
type Mapping struct {
	Name string // the name attribute, or the file name without extension

	file       string // for messages
	dir        string // folder of the mapping file, for lookup files
	src        source
	consts     map[string]string
	lookups    map[string]*lookupDef
	key        *fieldRef // group-by; nil: a record of the head kind starts an invoice
	keyLine    int
	anyOrder   bool // grouping="any"
	invLine    int  // mapping line of <invoice>
	headKind   int  // record kind of the invoice's header terms
	head       *scope
	line       *scope
	autoID     bool // no BT-126 term: lines are numbered 1, 2, …
	terms      []*term
	refs       []*fieldRef // every field reference, by id
	credit     bool        // negative="credit-note"
	creditCode string      // type code of such a credit note (381)
	docPct     bool        // a document allowance or charge may be a bare percentage
	exemptions []exemption // reasons for the computed VAT breakdown of exempt categories
	headTerms  int         // terms of <invoice> outside <line>, to size an invoice's assignments
	lineTerms  int
	// mapsLineNet: a term maps BT-131, whose lines are checked against quantity × price.
	mapsLineNet bool
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

// Parse reads and checks a mapping; name (usually the file path) is used in messages. A
// mapping that can never supply a term EN 16931 requires (BT-24, the buyer's name…) is
// refused with the list of what is missing (required.go).
func Parse(name string, data []byte) (*Mapping, error) { return parse(name, data, true) }

// parse is Parse; complete=false skips the check of required terms (tests of the readers
// use partial mappings).
func parse(name string, data []byte, complete bool) (*Mapping, error) {
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
	l := &loader{file: name, m: &Mapping{file: name, dir: filepath.Dir(name), consts: map[string]string{}, lookups: map[string]*lookupDef{}}}
	l.mapping(root)
	if len(l.errs) > 0 {
		slices.SortStableFunc(l.errs, func(a, b LoadProblem) int { return a.Line - b.Line })
		return nil, &LoadError{File: name, Problems: l.errs}
	}
	if l.m.Name == "" {
		l.m.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	if complete {
		if ps := l.m.missing(invoice.EN16931(), invoice.Check, nil); len(ps) > 0 {
			return nil, &LoadError{File: name, Problems: ps}
		}
	}
	return l.m, nil
}

// mapping reads the root <mapping> element and its parts, each read in a file of its own:
// <source> (source.go, records.go), <constants> (constants.go), <lookup> (lookups.go) and
// <invoice> (scopes.go, terms.go, expr.go).
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

func (l *loader) thousands(line int, t string, dec byte) byte {
	switch t {
	case "space", " ", "":
		return 0
	case ".", ",", "'":
		if t[0] == dec {
			l.errorf(line, "thousands=%q is also the decimal separator", t)
			return 0
		}
		return t[0]
	}
	l.errorf(line, "thousands=%q must be \".\", \",\", \"'\" or \"space\"", t)
	return 0
}

func (l *loader) posInt(line int, attr, v string, min int) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < min {
		l.errorf(line, "%s=%q must be a whole number of at least %d", attr, v, min)
		return min
	}
	return n
}

// known lists the names m defines, for a message about a name it does not define.
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
