package schematron

// One pass over the bytes of a document building the one tree both the rules and the
// bindings' readers walk. encoding/xml, under etree, costs more than the rest of reading an
// invoice; the documents the product reads are plain (UTF-8, no DTD, ASCII names), and this
// scanner reads exactly those. It gives up on anything else, a malformed document included,
// and Read then parses with etree, so that every document gets the tree and the error it
// always had.

import (
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/beevik/etree"
)

// Read parses data into a Document, as FromEtree builds it from etree's tree; the error is
// etree's. The Document may have no root element (see Element).
func Read(data []byte) (*Document, error) {
	if d, ok := Scan(data); ok {
		return d, nil
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, err
	}
	return FromEtree(doc), nil
}

const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// maxScanDepth stays under etree's own limit (1024), which the fallback then reports.
const maxScanDepth = 1000

// scanner holds the state of one scan. src is the bytes being read, not copied: no string
// of the tree is a substring of it, they are all copied into strs (or decoded afresh).
type scanner struct {
	src   string
	strs  docText
	i     int
	sdoc  *Document
	open  []openElement
	scope []binding // namespace declarations in scope, innermost last
	order int32
	slab  slabs
	attrs []scannedAttr // the attributes of the start tag being read
	// The elements with the number of their expanded name, from which link builds the
	// document's name index, and the numbers: by qualified name as written (a short key,
	// right while the prefix keeps its namespace), by expanded name.
	elems   []numberedElement
	byQName map[string]nameNumber
	recent  [128]recentName
	// scopeGen numbers the states of scope: it changes whenever a declaration comes into
	// or goes out of scope.
	scopeGen int
	// The arrays of the scanned document, kept from scan to scan with the scanner (see
	// scanPool): all, the elements of the name index and the children of every node.
	all, indexed, children []*Node
	kids                   []*Node // the children of the open elements, by element
	counts                 []int32 // by name (see link)
	lists                  [][]*Node
	names                  []elemName
	number                 map[elemName]int32
}

type numberedElement struct {
	n    *Node
	name int32
}

type nameNumber struct {
	space  string
	number int32
}

// recentName caches what elementName makes of a name while the namespace declarations in
// scope are those of generation scope: a direct-mapped cache in front of byQName, whose
// hashing cost more than the rest of reading a start tag.
type recentName struct {
	qname, space string
	number       int32
	scope        int
}

type openElement struct {
	qname string
	n     *Node
	scope int // len(scope) before the element's declarations
	kids  int // len(kids) before the element's children
}

type binding struct{ prefix, uri string }

type scannedAttr struct{ qname, prefix, local, value string }

// declaration tells a namespace declaration (xmlns or xmlns:p), which is no attribute node.
func (a scannedAttr) declaration() bool {
	return (a.prefix == "" && a.local == "xmlns") || a.prefix == "xmlns"
}

// Scan reads data when it is a document of the plain kind (UTF-8, no DTD, ASCII names,
// nothing but spaces and comments around the root element, well-formed), giving the tree
// Read gives; ok is false for anything else.
func Scan(data []byte) (*Document, bool) {
	s := scanPool.Get().(*scanner)
	s.start(data)
	if !s.byteOrderMark() || !s.declaration() || !s.content() {
		s.release()
		return nil, false
	}
	s.sdoc.Root.end = int32(len(s.sdoc.all))
	s.adopt(s.sdoc.Root, 0)
	s.link()
	return s.sdoc, true
}

// start readies s, new or released, to scan data.
func (s *scanner) start(data []byte) {
	// The caller's bytes, read in place: nothing keeps src past the scan (see strs).
	s.src, s.i, s.order = unsafe.String(unsafe.SliceData(data), len(data)), 0, 0
	s.strs.reset(len(data)/8 + 64)
	s.open, s.attrs = s.open[:0], s.attrs[:0]
	s.scope = append(s.scope[:0], binding{"xml", xmlNamespace})
	s.recent, s.scopeGen = [len(s.recent)]recentName{}, 0
	// Tags are about two markups an element, with one text node between markups, and an
	// invoice has a distinct name every three or four elements.
	markups := strings.Count(s.src, "<")
	if s.byQName == nil {
		s.byQName = make(map[string]nameNumber, markups/8)
		s.number = make(map[elemName]int32, markups/8)
	}
	s.all = slices.Grow(s.all[:0], markups*3/2+2)
	s.children = slices.Grow(s.children[:0], markups*3/2+2)
	s.kids = s.kids[:0]
	s.elems = slices.Grow(s.elems[:0], markups/2+1)
	root := s.slab.node()
	*root = Node{Kind: DocumentNode}
	s.sdoc = &Document{Root: root, all: append(s.all, root), scan: s}
	s.sdoc.byName = elementIndex{number: s.number, names: s.names[:0]}
}

// adopt gives n the children read since kids had length from, in one array for the
// document (appending to per-node lists made most of the garbage of a read).
func (s *scanner) adopt(n *Node, from int) {
	kids := s.kids[from:]
	if len(kids) == 0 {
		return
	}
	if cap(s.children)-len(s.children) < len(kids) {
		s.children = make([]*Node, 0, max(len(kids), 2*cap(s.children)))
	}
	at := len(s.children)
	s.children = append(s.children, kids...)
	n.Children = s.children[at:len(s.children):len(s.children)]
	s.kids = s.kids[:from]
}

// link builds the document's name index, its lists in one array too.
func (s *scanner) link() {
	s.all = s.sdoc.all // grown while reading, kept for the next scan
	x := &s.sdoc.byName
	s.names = x.names
	counts := resize(s.counts, len(x.names))
	s.counts = counts
	for _, e := range s.elems {
		counts[e.name]++
	}
	x.lists = resize(s.lists, len(x.names))
	s.lists = x.lists
	elems := slices.Grow(s.indexed[:0], len(s.elems))
	s.indexed = elems
	for i, c := range counts {
		x.lists[i] = elems[len(elems) : len(elems) : len(elems)+int(c)]
		elems = elems[:len(elems)+int(c)]
	}
	for _, e := range s.elems {
		x.lists[e.name] = append(x.lists[e.name], e.n)
	}
}

// resize is l with length n, zeroed, reusing its array when it has room.
func resize[T any](l []T, n int) []T {
	if cap(l) < n {
		return make([]T, n)
	}
	l = l[:n]
	clear(l)
	return l
}

// elementName is what the name of a start tag, as read, makes of its element: the name as
// the tree keeps it, its namespace URI and the number of its expanded name. The recent
// names answer most tags without resolving the prefix or hashing the name.
func (s *scanner) elementName(raw, prefix, local string) (qname, space string, number int32) {
	recent := &s.recent[shortHash(raw)%len(s.recent)]
	if recent.qname == raw && recent.scope == s.scopeGen {
		return recent.qname, recent.space, recent.number
	}
	space = s.lookup(prefix)
	qname = s.strs.intern(raw)
	number = s.nameNumber(qname, space, qname[len(qname)-len(local):])
	*recent = recentName{qname, space, number, s.scopeGen}
	return qname, space, number
}

// nameNumber numbers the expanded names of the elements in the order they first occur.
func (s *scanner) nameNumber(qname, space, local string) int32 {
	n, ok := s.byQName[qname]
	if !ok || n.space != space {
		x := &s.sdoc.byName
		name := elemName{space, local}
		number, known := x.number[name]
		if !known {
			number = int32(len(x.names))
			x.number[name] = number
			x.names = append(x.names, name)
		}
		n = nameNumber{space, number}
		s.byQName[qname] = n
	}
	return n.number
}

// shortHash is a hash of a name or a run of whitespace for the direct-mapped caches, from
// a few of its bytes: names that share a prefix differ in their length and last bytes.
func shortHash(v string) int {
	return len(v)*31 + int(v[len(v)-1])*7 + int(v[len(v)/2])*3 + int(v[len(v)*3/4])
}

const byteOrderMark = "\ufeff"

// byteOrderMark reads a byte order mark and the spaces after it: encoding/xml gives them as
// one text token before the declaration.
func (s *scanner) byteOrderMark() bool {
	if !strings.HasPrefix(s.src, byteOrderMark) {
		return true
	}
	end := strings.IndexByte(s.src, '<')
	if end < 0 {
		end = len(s.src)
	}
	lead := s.src[:end]
	if strings.TrimLeft(lead[len(byteOrderMark):], " \t\r\n") != "" {
		return false
	}
	s.i = end
	return true
}

// declaration reads an XML declaration at the start: version 1.0, UTF-8 if any encoding is
// declared.
func (s *scanner) declaration() bool {
	src := s.src[s.i:]
	if !strings.HasPrefix(src, "<?xml") || len(src) < 6 || !isSpace(src[5]) {
		return !strings.HasPrefix(src, "<?")
	}
	end := strings.Index(src, "?>")
	if end < 0 {
		return false
	}
	inst := strings.TrimLeft(src[5:end], " \t\r\n")
	for rest := inst; strings.TrimSpace(rest) != ""; {
		name, value, tail, ok := pseudoAttr(rest)
		if !ok {
			return false
		}
		switch name {
		case "version":
			ok = value == "1.0"
		case "encoding":
			ok = strings.EqualFold(value, "utf-8")
		case "standalone":
		default:
			ok = false
		}
		if !ok {
			return false
		}
		rest = tail
	}
	s.i += end + 2
	return true
}

// pseudoAttr reads name="value" (or 'value') after optional spaces.
func pseudoAttr(s string) (name, value, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\r\n")
	eq := strings.IndexByte(s, '=')
	if eq <= 0 || len(s) < eq+2 {
		return "", "", "", false
	}
	name, q := s[:eq], s[eq+1]
	if q != '"' && q != '\'' {
		return "", "", "", false
	}
	end := strings.IndexByte(s[eq+2:], q)
	if end < 0 {
		return "", "", "", false
	}
	return name, s[eq+2 : eq+2+end], s[eq+2+end+1:], true
}

// content reads the rest of the document: one root element, with whitespace and comments
// around it.
func (s *scanner) content() bool {
	rooted := false
	for s.i < len(s.src) {
		var ok bool
		switch {
		case s.src[s.i] != '<':
			ok = s.text()
		case strings.HasPrefix(s.src[s.i:], "<!--"):
			ok = s.comment()
		case strings.HasPrefix(s.src[s.i:], "<![CDATA["):
			ok = len(s.open) > 0 && s.cdata()
		case strings.HasPrefix(s.src[s.i:], "</"):
			ok = len(s.open) > 0 && s.endTag()
		case s.i+1 < len(s.src) && s.src[s.i+1] != '!' && s.src[s.i+1] != '?':
			ok = (len(s.open) > 0 || !rooted) && s.startTag()
			rooted = true
		}
		if !ok {
			return false
		}
	}
	return rooted && len(s.open) == 0
}

func (s *scanner) parentNode() *Node {
	if len(s.open) == 0 {
		return s.sdoc.Root
	}
	return s.open[len(s.open)-1].n
}

// text reads character data up to the next markup. Outside the root only whitespace is
// plain.
func (s *scanner) text() bool {
	src, start := s.src, s.i
	special := uint8(0)
	end := start
	for ; end < len(src) && src[end] != '<'; end++ {
		special |= byteClass[src[end]]
	}
	raw := src[start:end]
	s.i = end
	if len(s.open) == 0 && strings.TrimLeft(raw, " \t\r\n") != "" {
		return false
	}
	if special&textSpecial == 0 {
		// Nothing to decode, every character allowed.
		s.charData(raw, special&textOther == 0)
		return true
	}
	if strings.Contains(raw, "]]>") {
		return false
	}
	v, ok := decode(raw)
	if ok {
		s.charData(v, isBlank(v))
	}
	return ok
}

// cdata reads a CDATA section: character data of its own, as encoding/xml gives it.
func (s *scanner) cdata() bool {
	start := s.i + len("<![CDATA[")
	end := strings.Index(s.src[start:], "]]>")
	if end < 0 {
		return false
	}
	raw := s.src[start : start+end]
	s.i = start + end + len("]]>")
	if strings.IndexByte(raw, '&') >= 0 {
		// References are not expanded in a CDATA section: keep them out of decode.
		return false
	}
	v, ok := decode(raw)
	if ok {
		s.charData(v, isBlank(v))
	}
	return ok
}

// charData adds a text node inside the root (text outside it is only whitespace, which
// no node holds); blank tells that v is only whitespace, which repeats.
func (s *scanner) charData(v string, blank bool) {
	if len(s.open) == 0 {
		return
	}
	s.order++
	if blank {
		v = s.strs.blank(v)
	} else {
		v = s.strs.keep(v)
	}
	n := s.slab.node()
	*n = Node{Kind: TextNode, Value: v, Parent: s.parentNode(), order: s.order}
	s.add(n)
}

// comment reads a comment: no node (neither the rules nor the readers see comments).
func (s *scanner) comment() bool {
	start := s.i + len("<!--")
	end := strings.Index(s.src[start:], "--")
	if end < 0 || start+end+2 >= len(s.src) || s.src[start+end+2] != '>' {
		return false
	}
	s.i = start + end + len("-->")
	return true
}

// add appends a node that is not an attribute to the document order (link gives it to its
// parent).
func (s *scanner) add(n *Node) {
	n.at = int32(len(s.sdoc.all))
	n.end = n.at + 1
	s.sdoc.all = append(s.sdoc.all, n)
	s.kids = append(s.kids, n)
}

// startTag reads a start tag or an empty element.
func (s *scanner) startTag() bool {
	s.i++
	qname, prefix, local, ok := s.name()
	if !ok || len(s.open) >= maxScanDepth {
		return false
	}
	empty, ok := s.attributes()
	if !ok {
		return false
	}
	o := openElement{scope: len(s.scope)}
	for _, a := range s.attrs {
		switch {
		case a.prefix == "" && a.local == "xmlns":
			s.scope = append(s.scope, binding{"", s.strs.intern(a.value)})
		case a.prefix == "xmlns":
			s.scope = append(s.scope, binding{a.local, s.strs.intern(a.value)})
		}
	}
	if len(s.scope) != o.scope {
		s.scopeGen++
	}
	qname, space, number := s.elementName(qname, prefix, local)
	o.qname = qname
	s.order++
	o.n = s.slab.node()
	*o.n = Node{Kind: ElementNode, Space: space, Local: qname[len(qname)-len(local):], name: qname, Parent: s.parentNode(), order: s.order}
	s.add(o.n)
	s.elems = append(s.elems, numberedElement{o.n, number})
	s.attributeNodes(o)
	o.kids = len(s.kids)
	if empty {
		s.closeScope(o)
		return true
	}
	s.open = append(s.open, o)
	return true
}

// closeScope ends the scope of the declarations of o.
func (s *scanner) closeScope(o openElement) {
	if len(s.scope) != o.scope {
		s.scope = s.scope[:o.scope]
		s.scopeGen++
	}
}

// attributeNodes adds the attributes of the start tag just read, but for namespace
// declarations, to its node.
func (s *scanner) attributeNodes(o openElement) {
	count := 0
	for _, a := range s.attrs {
		if !a.declaration() {
			count++
		}
	}
	if count == 0 {
		return
	}
	o.n.Attrs = s.slab.pointers(count)
	for _, a := range s.attrs {
		if a.declaration() {
			continue
		}
		space := ""
		if a.prefix != "" {
			space = s.lookup(a.prefix)
			if a.prefix == "xml" {
				space = xmlNamespace
			}
		}
		s.order++
		qname := s.strs.intern(a.qname)
		n := s.slab.node()
		*n = Node{Kind: AttributeNode, Space: space, Local: qname[len(qname)-len(a.local):], name: qname,
			Value: s.strs.keep(a.value), Parent: o.n, order: s.order}
		o.n.Attrs = append(o.n.Attrs, n)
	}
}

// attributes reads the attributes of a start tag into s.attrs, up to its end; empty tells
// "/>".
func (s *scanner) attributes() (empty, ok bool) {
	s.attrs = s.attrs[:0]
	for {
		s.skipSpace()
		if s.i >= len(s.src) {
			return false, false
		}
		switch s.src[s.i] {
		case '>':
			s.i++
			return false, true
		case '/':
			if !strings.HasPrefix(s.src[s.i:], "/>") {
				return false, false
			}
			s.i += 2
			return true, true
		}
		qname, prefix, local, ok := s.name()
		if !ok {
			return false, false
		}
		s.skipSpace()
		if s.i >= len(s.src) || s.src[s.i] != '=' {
			return false, false
		}
		s.i++
		s.skipSpace()
		value, ok := s.attrValue()
		if !ok {
			return false, false
		}
		for _, a := range s.attrs {
			if a.qname == qname {
				return false, false // etree keeps the last value: leave it to etree
			}
		}
		s.attrs = append(s.attrs, scannedAttr{qname, prefix, local, value})
	}
}

func (s *scanner) attrValue() (string, bool) {
	if s.i >= len(s.src) || (s.src[s.i] != '"' && s.src[s.i] != '\'') {
		return "", false
	}
	q := s.src[s.i]
	end := strings.IndexByte(s.src[s.i+1:], q)
	if end < 0 {
		return "", false
	}
	raw := s.src[s.i+1 : s.i+1+end]
	s.i += end + 2
	if strings.IndexByte(raw, '<') >= 0 {
		return "", false
	}
	return decode(raw)
}

// endTag reads an end tag, which must close the innermost open element.
func (s *scanner) endTag() bool {
	o := s.open[len(s.open)-1]
	// The name must be the open element's, which is of the plain kind: it is, and ends
	// there, when the next byte can neither continue a name nor make it other than plain.
	at := s.i + 2
	if !strings.HasPrefix(s.src[at:], o.qname) {
		return false
	}
	s.i = at + len(o.qname)
	if s.i >= len(s.src) {
		return false
	}
	if c := s.src[s.i]; byteClass[c]&nameChar != 0 || c == ':' || c >= utf8.RuneSelf {
		return false
	}
	s.skipSpace()
	if s.i >= len(s.src) || s.src[s.i] != '>' {
		return false
	}
	s.i++
	o.n.end = int32(len(s.sdoc.all))
	s.adopt(o.n, o.kids)
	s.closeScope(o)
	s.open = s.open[:len(s.open)-1]
	return true
}

// name reads a name of the plain kind: ASCII, at most one colon between two parts that
// start with a letter or "_".
func (s *scanner) name() (qname, prefix, local string, ok bool) {
	src, start := s.src, s.i
	if start >= len(src) || byteClass[src[start]]&nameStart == 0 {
		return "", "", "", false
	}
	colon := -1
	i := start + 1
	for ; i < len(src); i++ {
		c := src[i]
		if byteClass[c]&nameChar != 0 {
			continue
		}
		if c == ':' {
			if colon >= 0 || i+1 >= len(src) || byteClass[src[i+1]]&nameStart == 0 {
				return "", "", "", false
			}
			colon = i
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			return "", "", "", false
		}
		break
	}
	if i >= len(src) {
		return "", "", "", false
	}
	s.i = i
	qname = src[start:i]
	if colon < 0 {
		return qname, "", qname, true
	}
	return qname, src[start:colon], src[colon+1 : i], true
}

func (s *scanner) skipSpace() {
	for s.i < len(s.src) && isSpace(s.src[s.i]) {
		s.i++
	}
}

// lookup is the namespace URI a prefix is bound to, "" when it is not.
func (s *scanner) lookup(prefix string) string {
	for i := len(s.scope) - 1; i >= 0; i-- {
		if s.scope[i].prefix == prefix {
			return s.scope[i].uri
		}
	}
	return ""
}
