package mapping

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// xmlStep is one step of a record path: an element name (with its namespace URI when the
// path gave a prefix), after any number of ancestors when desc (//).
type xmlStep struct {
	uri, local string
	anyNS      bool
	desc       bool
}

// compileXMLPath reads a record path: /Export/Invoices/Invoice, //Invoice or
// /e:Export/e:Invoice with declared prefixes. Records are found while streaming, so the
// path is a plain chain of element names.
func compileXMLPath(p string, ns map[string]string) ([]xmlStep, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, errors.New("a record path starts at the root: /Export/Invoice, or //Invoice for such elements anywhere")
	}
	var steps []xmlStep
	desc := false
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" {
			if desc {
				return nil, errors.New("/// is not a path")
			}
			desc = true
			continue
		}
		if strings.ContainsAny(seg, "[]@*()=.") {
			return nil, fmt.Errorf("%q: a record path is made of element names only (filters go in the terms' paths)", seg)
		}
		st := xmlStep{local: seg, anyNS: true, desc: desc}
		if pre, local, ok := strings.Cut(seg, ":"); ok {
			uri, known := ns[pre]
			if !known {
				return nil, fmt.Errorf("prefix %q is not declared (add <namespace prefix=%q uri=\"…\"/> to <source>)", pre, pre)
			}
			st = xmlStep{uri: uri, local: local, desc: desc}
		}
		steps = append(steps, st)
		desc = false
	}
	if len(steps) == 0 {
		return nil, errors.New("empty path")
	}
	return steps, nil
}

// matches reports whether the element stack (root first) is matched by the steps.
func matchSteps(steps []xmlStep, stack []xml.Name) bool {
	var rec func(si, ei int) bool
	rec = func(si, ei int) bool {
		if si == len(steps) {
			return ei == len(stack)
		}
		if ei == len(stack) {
			return false
		}
		st := steps[si]
		ok := st.local == stack[ei].Local && (st.anyNS || st.uri == stack[ei].Space)
		if ok && rec(si+1, ei+1) {
			return true
		}
		if st.desc && si > 0 || st.desc && si == 0 {
			return rec(si, ei+1) // skip an ancestor
		}
		return false
	}
	return rec(0, 0)
}

// xmlRec is what an XML record knows of its element tree: the line each element starts on,
// and its own path in the document.
type xmlRec struct {
	lines map[*etree.Element]int
	path  string // /Export/Invoice[3]
}

// xmlReader streams an XML export and returns each element that a record path matches,
// with its subtree, as a record. Only one record's tree is in memory at a time.
type xmlReader struct {
	file  string
	dec   *xml.Decoder
	in    *readErr
	src   *source
	stack []xml.Name
	count []int // per kind, records seen
}

// readErr remembers the last error of the reader under the XML decoder, so that a failure
// to read (a dropped connection: try again later) is told from bad content (reject).
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

func newXMLReader(r io.Reader, file string, src *source) *xmlReader {
	in := &readErr{r: r}
	d := xml.NewDecoder(in)
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if cm := charmapFor(label); cm != nil {
			return cm.NewDecoder().Reader(r), nil
		}
		if l := strings.ToLower(label); strings.HasPrefix(l, "utf-16") || strings.HasPrefix(l, "utf-32") {
			return r, nil // decoded into UTF-8 already, as its byte-order mark said (input.go)
		}
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	return &xmlReader{file: file, dec: d, in: in, src: src, count: make([]int, len(src.kinds))}
}

func (x *xmlReader) fail(err error) error {
	line, _ := x.dec.InputPos()
	var fe *FileError
	if errors.As(x.in.err, &fe) { // UTF-16 or UTF-32 that does not decode: the content's fault
		return fe
	}
	if x.in.err != nil { // the reader failed, not the content: not the file's fault
		return fmt.Errorf("%s: reading line %d: %w", x.file, line, x.in.err)
	}
	var se *xml.SyntaxError
	msg := err.Error()
	if errors.As(err, &se) {
		line, msg = se.Line, se.Msg
	}
	return &FileError{File: x.file, Line: line, Err: err,
		FR: fmt.Sprintf("le fichier n'est pas un XML bien formé (ligne %d) : %s", line, msg),
		EN: fmt.Sprintf("the file is not well-formed XML (line %d): %s", line, msg)}
}

func (x *xmlReader) name(n xml.Name) (space, local string) {
	if n.Space == "" {
		return "", n.Local
	}
	if p, ok := x.src.nsPrefix[n.Space]; ok {
		return p, n.Local
	}
	return "", n.Local
}

func (x *xmlReader) next() (*record, error) {
	for {
		line, _ := x.dec.InputPos()
		tok, err := x.dec.Token()
		if err == io.EOF {
			if len(x.stack) > 0 {
				return nil, x.fail(fmt.Errorf("the file ends inside <%s>: it is truncated", x.stack[len(x.stack)-1].Local))
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, x.fail(err) // malformed, an unknown encoding or version, or a read error
		}
		switch t := tok.(type) {
		case xml.StartElement:
			x.stack = append(x.stack, t.Name)
			for _, k := range x.src.kinds {
				if matchSteps(k.path, x.stack) {
					x.count[k.idx]++
					return x.subtree(t, line, k)
				}
			}
		case xml.EndElement:
			x.stack = x.stack[:len(x.stack)-1]
		}
	}
}

// subtree reads the element just opened to its end into a record.
func (x *xmlReader) subtree(start xml.StartElement, line int, k *recKind) (*record, error) {
	xr := &xmlRec{lines: map[*etree.Element]int{}}
	var b strings.Builder
	for i, n := range x.stack {
		sp, l := x.name(n)
		b.WriteByte('/')
		if sp != "" {
			b.WriteString(sp + ":")
		}
		b.WriteString(l)
		if i == len(x.stack)-1 {
			b.WriteString("[" + strconv.Itoa(x.count[k.idx]) + "]")
		}
	}
	xr.path = b.String()
	mk := func(se xml.StartElement, parent *etree.Element, line int) *etree.Element {
		sp, l := x.name(se.Name)
		tag := l
		if sp != "" {
			tag = sp + ":" + l
		}
		var e *etree.Element
		if parent == nil {
			e = etree.NewElement(tag)
		} else {
			e = parent.CreateElement(tag)
		}
		for _, a := range se.Attr {
			if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" && a.Name.Space == "" {
				continue
			}
			asp, al := x.name(a.Name)
			if asp != "" {
				al = asp + ":" + al
			}
			e.CreateAttr(al, a.Value)
		}
		xr.lines[e] = line
		return e
	}
	root := mk(start, nil, line)
	rec := &record{kind: k.idx, line: line, el: root, x: xr}
	cur := root
	depth := 0
	for {
		l, _ := x.dec.InputPos()
		tok, err := x.dec.Token()
		if err == io.EOF {
			return nil, x.fail(fmt.Errorf("the file ends inside <%s>: it is truncated", start.Name.Local))
		}
		if err != nil {
			return nil, x.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			cur = mk(t, cur, l)
			depth++
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				cur.CreateText(string(t))
			}
		case xml.EndElement:
			if depth == 0 {
				x.stack = x.stack[:len(x.stack)-1]
				rec.end, _ = x.dec.InputPos()
				return rec, nil
			}
			cur = cur.Parent()
			depth--
		}
	}
}

// elemPath is the path of e in the document: the record's path, then e's steps under it
// (with a position when e has same-named siblings).
func (xr *xmlRec) elemPath(root, e *etree.Element) string {
	var segs []string
	for c := e; c != nil && c != root; c = c.Parent() {
		seg := c.FullTag()
		if p := c.Parent(); p != nil {
			n, at := 0, 0
			for _, s := range p.ChildElements() {
				if s.FullTag() == seg {
					n++
					if s == c {
						at = n
					}
				}
			}
			if n > 1 {
				seg += "[" + strconv.Itoa(at) + "]"
			}
		}
		segs = append(segs, seg)
	}
	var b strings.Builder
	b.WriteString(xr.path)
	for i := len(segs) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(segs[i])
	}
	return b.String()
}
