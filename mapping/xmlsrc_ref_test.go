package mapping

// The XML source's reader as it was on encoding/xml, kept as the reference the scanner
// (xmlscan.go) is held to: same records, element lines and paths, same errors, same lines.

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// oldMatchSteps reports whether the element stack (root first) is matched by the steps.
func oldMatchSteps(steps []xmlStep, stack []xml.Name) bool {
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

// oldXMLReader streams an XML export and returns each element that a record path matches,
// with its subtree, as a record. Only one record's tree is in memory at a time.
type oldXMLReader struct {
	file  string
	dec   *xml.Decoder
	in    *readErr
	src   *source
	stack []xml.Name
	count []int               // per kind, records seen
	trees map[*xmlRec]refTree // the tree each record was read into
}

// refTree is a record's element tree as the reader built it: in etree, with the line each
// element starts on.
type refTree struct {
	root  *etree.Element
	lines map[*etree.Element]int
}

func newOldXMLReader(r io.Reader, file string, src *source) *oldXMLReader {
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
	return &oldXMLReader{file: file, dec: d, in: in, src: src, count: make([]int, len(src.kinds)), trees: map[*xmlRec]refTree{}}
}

func (x *oldXMLReader) fail(err error) error {
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

func (x *oldXMLReader) name(n xml.Name) (space, local string) {
	if n.Space == "" {
		return "", n.Local
	}
	if p, ok := x.src.nsPrefix[n.Space]; ok {
		return p, n.Local
	}
	return "", n.Local
}

func (x *oldXMLReader) next() (*record, error) {
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
				if oldMatchSteps(k.path, x.stack) {
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
func (x *oldXMLReader) subtree(start xml.StartElement, line int, k *recKind) (*record, error) {
	xr := &xmlRec{}
	tree := refTree{lines: map[*etree.Element]int{}}
	var b strings.Builder
	for _, n := range x.stack {
		sp, l := x.name(n)
		b.WriteByte('/')
		if sp != "" {
			b.WriteString(sp + ":")
		}
		b.WriteString(l)
	}
	xr.above, xr.rank = b.String(), x.count[k.idx]
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
		tree.lines[e] = line
		return e
	}
	root := mk(start, nil, line)
	tree.root = root
	x.trees[xr] = tree
	rec := &record{kind: k.idx, line: line, x: xr}
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
