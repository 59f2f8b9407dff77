package mapping

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// xmlScanner tokenizes an XML export for the XML source: start and end tags with their
// attributes and namespaces resolved, and text (CDATA included). Comments, processing
// instructions and DOCTYPE are read and skipped. It accepts and refuses exactly what
// encoding/xml's strict Decoder does, with the same messages and line numbers (a
// differential fuzz test holds it to that), but it reads from its own buffer, keeps its
// names interned and its text in a reused buffer: encoding/xml allocates per token and per
// name, which made the XML source several times slower than the CSV one.
type xmlScanner struct {
	r        io.Reader
	buf      []byte
	pos, end int // buf[pos:end] is read, not yet scanned
	line     int
	err      error // sticky: an *xml.SyntaxError, a read error or io.EOF
	readErr  error // returned by the read that filled buf
	charset  func(label string, r io.Reader) (io.Reader, error)

	open     []openElem  // the elements not closed yet, root first
	ns       []nsBinding // the namespace declarations in scope, innermost last
	nsGen    int         // counts the changes of ns: a name's namespace is kept for one
	attrs    []scanAttr  // of the start tag just read
	attrData []byte      // their values, end to end
	text     []byte      // of the text token just read, when read in pieces (see textBytes)
	textBuf  []byte
	inBuf    bool // the text just read is buf[textLo:textHi]
	textLo   int
	textHi   int
	textSeen uint8 // the byte classes of the text in the buffer
	scratch  []byte
	names    map[string]*qname // interned names, so that reading a name does not allocate
	recent   [64]*qname        // of those, the last read per hash of a few of its bytes
	byID     []*qname          // the interned names, by id
	lastName int32             // id of the last element or attribute name read, -1 for none
	closing  bool              // the start tag just read was empty (<a/>): its end comes next
	startRow int               // line of the token just read
}

// xmlName is a name as written, with its namespace as encoding/xml translated it: the
// prefix itself when no declaration binds it.
type xmlName struct {
	*qname
	uri string
}

// qname is a name as written (full), split into prefix (empty for none) and local part.
// Interned, it also keeps the tag the reader last made of it (split as etree splits it),
// and for which namespace.
type qname struct {
	full, prefix, local string
	colons              int
	id, next            int32 // interned: its id, and that of the element or attribute name read after it last time; -1: none
	tagURI              string
	tagGen              int // of the reader's tag table the number is in; 0: none
	tagID               int32
	uri                 string // its namespace as an element's name, while nsGen is the scanner's
	nsGen               int    // 0: none
}

func newQName(full string) *qname {
	q := &qname{full: full, local: full, colons: strings.Count(full, ":"), id: -1, next: -1}
	if prefix, local, cut := strings.Cut(full, ":"); cut && prefix != "" && local != "" {
		q.prefix, q.local = prefix, local
	}
	return q
}

// scanAttr is an attribute of the start tag just read; its value is
// xmlScanner.attrData[lo:hi].
type scanAttr struct {
	name   xmlName
	lo, hi int
}

type openElem struct {
	name   xmlName
	nsMark int // len(ns) before its own declarations
}

type nsBinding struct{ prefix, uri string }

type xmlTok int

const (
	tokStart xmlTok = iota + 1
	tokEnd
	tokText
)

const (
	xmlURL      = "http://www.w3.org/XML/1998/namespace"
	maxInterned = 4096 // names kept interned: a file of ever new names must not grow memory
)

func newXMLScanner(r io.Reader, charset func(string, io.Reader) (io.Reader, error)) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, 64<<10), line: 1, charset: charset, names: map[string]*qname{}, lastName: -1}
}

// next reads the next start tag, end tag or text. It returns io.EOF at the end of a file
// whose elements are all closed.
func (s *xmlScanner) next() (xmlTok, error) {
	if s.closing {
		s.closing = false
		s.popElem()
		return tokEnd, nil
	}
	for {
		s.startRow = s.line
		tok, err := s.token()
		if err == io.EOF && len(s.open) > 0 {
			s.err = s.syntaxError("unexpected EOF")
			return 0, s.err
		}
		if err != nil || tok != 0 {
			return tok, err
		}
	}
}

// token reads one token; 0 with no error for a comment, a processing instruction or a
// directive, skipped.
func (s *xmlScanner) token() (xmlTok, error) {
	if s.err != nil {
		return 0, s.err
	}
	b, ok := s.getc()
	if !ok {
		return 0, s.err
	}
	if b != '<' {
		s.ungetc()
		if !s.readText(-1, false) {
			return 0, s.err
		}
		return tokText, nil
	}
	if b, ok = s.mustgetc(); !ok {
		return 0, s.err
	}
	switch b {
	case '/':
		return s.endTag()
	case '?':
		return 0, s.procInst()
	case '!':
		return s.bang()
	}
	s.ungetc()
	return s.startTag()
}

func (s *xmlScanner) endTag() (xmlTok, error) {
	var closes *qname
	if len(s.open) > 0 {
		closes = s.open[len(s.open)-1].name.qname
	}
	name, ok := s.nsname(closes)
	if !ok {
		return 0, s.expected("element name after </")
	}
	s.space()
	b, ok := s.mustgetc()
	if !ok {
		return 0, s.err
	}
	if b != '>' {
		return 0, s.fail("invalid characters between </" + name.local + " and >")
	}
	if len(s.open) == 0 {
		return 0, s.fail("unexpected end element </" + name.local + ">")
	}
	top := s.open[len(s.open)-1].name
	switch {
	case top.qname == name.qname: // interned: the same name
	case top.local != name.local:
		return 0, s.fail("element <" + top.local + "> closed by </" + name.local + ">")
	case top.prefix != name.prefix:
		ns := name.prefix
		if ns == "" {
			ns = `""`
		}
		return 0, s.fail("element <" + top.local + "> in space " + top.prefix + " closed by </" + name.local + "> in space " + ns)
	}
	s.popElem()
	return tokEnd, nil
}

func (s *xmlScanner) startTag() (xmlTok, error) {
	name, ok := s.nsname(nil)
	if !ok {
		return 0, s.expected("element name after <")
	}
	s.attrs, s.attrData = s.attrs[:0], s.attrData[:0]
	for {
		s.space()
		b, ok := s.mustgetc()
		if !ok {
			return 0, s.err
		}
		if b == '/' {
			if b, ok = s.mustgetc(); !ok {
				return 0, s.err
			}
			if b != '>' {
				return 0, s.fail("expected /> in element")
			}
			s.closing = true
			break
		}
		if b == '>' {
			break
		}
		s.ungetc()
		var a scanAttr
		if a.name, ok = s.nsname(nil); !ok {
			return 0, s.expected("attribute name in element")
		}
		s.space()
		if b, ok = s.mustgetc(); !ok {
			return 0, s.err
		}
		if b != '=' {
			return 0, s.fail("attribute name without = in element")
		}
		s.space()
		if b, ok = s.mustgetc(); !ok {
			return 0, s.err
		}
		if b != '"' && b != '\'' {
			return 0, s.fail("unquoted or missing attribute value in element")
		}
		if !s.readText(int(b), false) {
			return 0, s.err
		}
		lo := len(s.attrData)
		s.attrData = append(s.attrData, s.textBytes()...)
		s.addAttr(a.name.qname, lo, len(s.attrData))
	}
	s.pushElem(name)
	return tokStart, nil
}

// pushElem opens the element just read: its namespace declarations first, as they apply
// to its own name and attributes.
func (s *xmlScanner) pushElem(name xmlName) {
	mark := len(s.ns)
	for i, a := range s.attrs {
		switch {
		case a.name.prefix == "xmlns":
			s.ns = append(s.ns, nsBinding{a.name.local, string(s.attrValue(i))})
		case a.name.prefix == "" && a.name.local == "xmlns":
			s.ns = append(s.ns, nsBinding{"", string(s.attrValue(i))})
		}
	}
	if len(s.ns) != mark {
		s.nsGen++
	}
	name.uri = s.translate(name, true)
	for i := range s.attrs {
		if a := &s.attrs[i]; a.name.uri != s.translate(a.name, false) {
			a.name.uri = s.translate(a.name, false)
		}
	}
	s.open = grow(s.open)
	o := &s.open[len(s.open)-1]
	setName(&o.name, name)
	o.nsMark = mark
}

// addAttr adds an attribute to the start tag just read (its namespace comes with pushElem).
func (s *xmlScanner) addAttr(q *qname, lo, hi int) {
	s.attrs = grow(s.attrs)
	a := &s.attrs[len(s.attrs)-1]
	setName(&a.name, xmlName{qname: q, uri: a.name.uri})
	a.lo, a.hi = lo, hi
}

// setName writes n to *p, each of its parts only if it changes: what is not written takes
// no GC write barrier, and exports repeat their names in the same places.
func setName(p *xmlName, n xmlName) {
	if p.qname != n.qname {
		p.qname = n.qname
	}
	if p.uri != n.uri {
		p.uri = n.uri
	}
}

// grow is s one longer, the new last element what it held before, if anything.
func grow[T any](s []T) []T {
	if len(s) < cap(s) {
		return s[:len(s)+1]
	}
	var zero T
	return append(s, zero)
}

func (s *xmlScanner) popElem() {
	top := s.open[len(s.open)-1]
	s.open = s.open[:len(s.open)-1]
	if len(s.ns) != top.nsMark {
		clear(s.ns[top.nsMark:])
		s.ns, s.nsGen = s.ns[:top.nsMark], s.nsGen+1
	}
}

// attrValue is the value of the i-th attribute of the start tag just read, valid until the
// next token.
func (s *xmlScanner) attrValue(i int) []byte { return s.attrData[s.attrs[i].lo:s.attrs[i].hi] }

// top is the element whose start tag was just read.
func (s *xmlScanner) top() xmlName { return s.open[len(s.open)-1].name }

// translate is the namespace of a name, as encoding/xml's Decoder.translate makes it: the
// default namespace applies to element names only, xmlns is left alone, and a prefix no
// declaration binds is kept as is. Declarations seldom change (most exports make them on
// their root): a name keeps its namespace until they do.
func (s *xmlScanner) translate(n xmlName, element bool) string {
	if n.prefix == "" && !element {
		return ""
	}
	if n.nsGen != s.nsGen+1 {
		n.qname.uri, n.nsGen = s.resolve(n, element), s.nsGen+1
	}
	return n.qname.uri
}

// resolve is translate's namespace, looked up.
func (s *xmlScanner) resolve(n xmlName, element bool) string {
	switch {
	case n.prefix == "xmlns":
		return n.prefix
	case n.prefix == "" && !element:
		return ""
	case n.prefix == "xml":
		return xmlURL
	case n.prefix == "" && n.local == "xmlns":
		return ""
	}
	for i := len(s.ns) - 1; i >= 0; i-- {
		if s.ns[i].prefix == n.prefix {
			return s.ns[i].uri
		}
	}
	return n.prefix
}

// procInst reads a processing instruction after <?. The XML declaration may switch the
// reader to the encoding it declares.
func (s *xmlScanner) procInst() error {
	target, ok := s.name(nil)
	if !ok {
		return s.expected("target name after <?")
	}
	s.space()
	s.scratch = s.scratch[:0]
	var b0 byte
	for {
		b, ok := s.mustgetc()
		if !ok {
			return s.err
		}
		s.scratch = append(s.scratch, b)
		if b0 == '?' && b == '>' {
			break
		}
		b0 = b
	}
	if target.full != "xml" {
		return nil
	}
	content := string(s.scratch[:len(s.scratch)-2])
	if ver := procInstParam("version", content); ver != "" && ver != "1.0" {
		s.err = fmt.Errorf("xml: unsupported version %q; only version 1.0 is supported", ver)
		return s.err
	}
	if enc := procInstParam("encoding", content); enc != "" && !strings.EqualFold(enc, "utf-8") {
		// What is buffered is still in the old encoding: the new reader reads it first, and
		// then the error the read that filled the buffer returned, if any.
		after := s.r
		if s.readErr != nil {
			after = errReader{s.readErr}
		}
		rest := bytes.Clone(s.buf[s.pos:s.end])
		r, err := s.charset(enc, io.MultiReader(bytes.NewReader(rest), after))
		if err != nil {
			s.err = fmt.Errorf("xml: opening charset %q: %w", enc, err)
			return s.err
		}
		s.r, s.end, s.readErr = r, s.pos, nil
	}
	return nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// procInstParam is encoding/xml's reading of a parameter of the XML declaration.
func procInstParam(param, s string) string {
	param += "="
	lenp := len(param)
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || lenp+k >= len(sub) {
			return ""
		}
		i += lenp + k + 1
		if c := sub[lenp+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

// bang reads what follows <!: a comment, a CDATA section (text) or a directive.
func (s *xmlScanner) bang() (xmlTok, error) {
	b, ok := s.mustgetc()
	if !ok {
		return 0, s.err
	}
	switch b {
	case '-':
		return 0, s.comment()
	case '[':
		for i := range 6 {
			if b, ok = s.mustgetc(); !ok {
				return 0, s.err
			}
			if b != "CDATA["[i] {
				return 0, s.fail("invalid <![ sequence")
			}
		}
		if !s.readText(-1, true) {
			return 0, s.err
		}
		return tokText, nil
	}
	return 0, s.directive()
}

func (s *xmlScanner) comment() error {
	b, ok := s.mustgetc()
	if !ok {
		return s.err
	}
	if b != '-' {
		return s.fail("invalid sequence <!- not part of <!--")
	}
	var b0, b1 byte
	for {
		if b, ok = s.mustgetc(); !ok {
			return s.err
		}
		if b0 == '-' && b1 == '-' {
			if b != '>' {
				return s.fail(`invalid sequence "--" not allowed in comments`)
			}
			return nil
		}
		b0, b1 = b1, b
	}
}

// directive skips <!DOCTYPE …> and the like, as encoding/xml finds their end: quoted > and
// nested <…> do not end it, comments inside are skipped.
func (s *xmlScanner) directive() error {
	inquote := byte(0)
	depth := 0
	for {
		b, ok := s.mustgetc()
		if !ok {
			return s.err
		}
		if inquote == 0 && b == '>' && depth == 0 {
			return nil
		}
	handle:
		switch {
		case b == inquote:
			inquote = 0
		case inquote != 0:
		case b == '\'' || b == '"':
			inquote = b
		case b == '>':
			depth--
		case b == '<':
			for i := range 3 {
				if b, ok = s.mustgetc(); !ok {
					return s.err
				}
				if b != "!--"[i] {
					depth++
					goto handle
				}
			}
			var b0, b1 byte
			for {
				if b, ok = s.mustgetc(); !ok {
					return s.err
				}
				if b0 == '-' && b1 == '-' && b == '>' {
					break
				}
				b0, b1 = b1, b
			}
		}
	}
}

func (s *xmlScanner) space() {
	for {
		for ; s.pos < s.end; s.pos++ {
			switch s.buf[s.pos] {
			case ' ', '\r', '\t':
			case '\n':
				s.line++
			default:
				return
			}
		}
		if !s.fill() {
			return
		}
	}
}

// getc reads a byte, counting lines; ok is false at the end of the input or after an error
// (in s.err).
func (s *xmlScanner) getc() (b byte, ok bool) {
	if s.pos == s.end && !s.fill() {
		return 0, false
	}
	b = s.buf[s.pos]
	s.pos++
	if b == '\n' {
		s.line++
	}
	return b, true
}

// mustgetc is getc where the input may not end.
func (s *xmlScanner) mustgetc() (byte, bool) {
	b, ok := s.getc()
	if !ok && s.err == io.EOF {
		s.err = s.syntaxError("unexpected EOF")
	}
	return b, ok
}

// ungetc puts back the byte getc just returned.
func (s *xmlScanner) ungetc() {
	s.pos--
	if s.buf[s.pos] == '\n' {
		s.line--
	}
}

// fill reads more input.
func (s *xmlScanner) fill() bool {
	if s.err != nil {
		return false
	}
	if s.readErr != nil {
		s.err = s.readErr
		return false
	}
	for range 100 {
		n, err := s.r.Read(s.buf)
		s.pos, s.end = 0, n
		if n > 0 {
			s.readErr = err // told once the bytes read with it are scanned
			return true
		}
		if err != nil {
			s.err = err
			return false
		}
	}
	s.err = io.ErrNoProgress
	return false
}

func (s *xmlScanner) syntaxError(msg string) error {
	return &xml.SyntaxError{Msg: msg, Line: s.line}
}

func (s *xmlScanner) fail(msg string) error {
	s.err = s.syntaxError(msg)
	return s.err
}

// expected records that something expected is missing, unless reading it failed already
// (the input ends inside a name, say).
func (s *xmlScanner) expected(what string) error {
	if s.err == nil {
		s.err = s.syntaxError("expected " + what)
	}
	return s.err
}
