package mapping

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
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

// matchSteps reports whether the open elements (root first) are matched by the steps.
func matchSteps(steps []xmlStep, open []openElem) bool {
	if len(steps) == 0 {
		return len(open) == 0
	}
	if len(open) == 0 {
		return false
	}
	st, n := steps[0], open[0].name
	if st.local == n.local && (st.anyNS || st.uri == n.uri) && matchSteps(steps[1:], open[1:]) {
		return true
	}
	return st.desc && matchSteps(steps, open[1:]) // skip an ancestor
}

// lineOf is the line e starts on, when it is an element of this record.
func (xr *xmlRec) lineOf(e *xmlNode) (int, bool) {
	if !xr.owns(e) {
		return 0, false
	}
	return e.line, true
}

// xmlReader streams an XML export and returns each element that a record path matches,
// with its subtree, as a record. Only one record's tree is in memory at a time.
type xmlReader struct {
	file    string
	sc      *xmlScanner
	in      *readErr
	src     *source
	count   []int // per kind, records seen
	tree    treeBuilder
	pathBuf []byte // a record's path being written
	above   string // the last record's path, without its rank
}

// readErr remembers the last error of the reader under the XML scanner, so that a failure
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
	charset := func(label string, r io.Reader) (io.Reader, error) {
		if cm := charmapFor(label); cm != nil {
			return cm.NewDecoder().Reader(r), nil
		}
		if l := strings.ToLower(label); strings.HasPrefix(l, "utf-16") || strings.HasPrefix(l, "utf-32") {
			return r, nil // decoded into UTF-8 already, as its byte-order mark said (input.go)
		}
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	return &xmlReader{file: file, sc: newXMLScanner(in, charset), in: in, src: src,
		count: make([]int, len(src.kinds)), tree: treeBuilder{steps: src.steps}}
}

func (x *xmlReader) fail(err error) error {
	line := x.sc.line
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

// tag is the number in the tree's table of how the mapping's paths name n: with the
// mapping's prefix for its namespace, bare when the mapping declares none for it.
func (x *xmlReader) tag(n xmlName) int32 {
	if n.tagGen == x.tree.gen && n.tagURI == n.uri {
		return n.tagID
	}
	t := n.local
	if p, ok := x.src.nsPrefix[n.uri]; ok && n.uri != "" {
		t = p + ":" + n.local
	}
	n.tagURI, n.tagGen, n.tagID = n.uri, x.tree.gen, x.tree.tagID(newTagName(t))
	return n.tagID
}

func (x *xmlReader) next() (*record, error) {
	for {
		tok, err := x.sc.next()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, x.fail(err) // malformed, an unknown encoding or version, or a read error
		}
		if tok != tokStart {
			continue
		}
		for _, k := range x.src.kinds {
			if matchSteps(k.path, x.sc.open) {
				x.count[k.idx]++
				return x.subtree(k)
			}
		}
	}
}

// subtree reads the element just opened to its end into a record.
func (x *xmlReader) subtree(k *recKind) (*record, error) {
	line := x.sc.startRow
	x.tree.newRecord()
	both := &struct { // one allocation for the two
		rec record
		xr  xmlRec
	}{}
	rec, xr := &both.rec, &both.xr
	*rec = record{kind: k.idx, line: line, x: xr}
	xr.above, xr.rank = x.recordPath(), x.count[k.idx]
	x.element(xr, line)
	for {
		tok, err := x.sc.next()
		if err != nil { // io.EOF included: the scanner tells an unclosed element
			return nil, x.fail(err)
		}
		switch tok {
		case tokStart:
			x.element(xr, x.sc.startRow)
		case tokText:
			if !x.sc.blankText() {
				x.tree.text(x.sc.textBytes())
			}
		case tokEnd:
			if x.tree.end() {
				rec.end, rec.el = x.sc.line, &xr.nodes[0]
				return rec, nil
			}
			continue
		}
		if x.tree.tooBig() {
			tag := x.tree.tags[xr.nodes[0].name].written
			return nil, &FileError{File: x.file, Line: line,
				FR: fmt.Sprintf("l'élément <%s> ligne %d est trop grand pour être lu comme un enregistrement (2 Go de texte ou plus) : ce n'est pas un export", tag, line),
				EN: fmt.Sprintf("element <%s> at line %d is too large to be read as one record (2 GB of text or more): this is not an export", tag, line)}
		}
	}
}

// recordPath is the path of the record just opened, without its rank: /e:Export/e:Invoice,
// the same string as the last record's when it is the same path.
func (x *xmlReader) recordPath() string {
	b := x.pathBuf[:0]
	for _, o := range x.sc.open {
		b = append(b, '/')
		b = append(b, x.tree.tags[x.tag(o.name)].written...)
	}
	x.pathBuf = b
	if string(b) != x.above {
		x.above = string(b)
	}
	return x.above
}

// element opens the element whose start tag was just read, without the namespace
// declarations.
func (x *xmlReader) element(xr *xmlRec, line int) {
	x.tree.start(xr, x.tag(x.sc.top()), line)
	for i, a := range x.sc.attrs {
		if a.name.uri == "xmlns" || a.name.uri == "" && a.name.local == "xmlns" {
			continue // a namespace declaration
		}
		x.tree.attr(x.tag(a.name), x.sc.attrValue(i))
	}
}

// elemPath is the path of e in the document: the record's path, then e's steps under it
// (with a position when e has same-named siblings).
func (xr *xmlRec) elemPath(root, e *xmlNode) string {
	if !xr.owns(e) {
		return xr.path()
	}
	var segs []string
	for c := e; c != nil && c != root; c = xr.parent(c) {
		seg := xr.tag(c).full
		if p := xr.parent(c); p != nil {
			n, at := 0, 0
			xr.children(p, func(s *xmlNode) bool {
				if xr.tag(s).full == seg {
					n++
					if s == c {
						at = n
					}
				}
				return true
			})
			if n > 1 {
				seg += "[" + strconv.Itoa(at) + "]"
			}
		}
		segs = append(segs, seg)
	}
	var b strings.Builder
	b.WriteString(xr.path())
	for i := len(segs) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(segs[i])
	}
	return b.String()
}
