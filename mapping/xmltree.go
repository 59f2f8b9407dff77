package mapping

import (
	"math"
	"strconv"
)

// xmlNode is an element or a text of an XML record. A record's nodes are one slice in
// document order: an element's descendants follow it up to its end. An element holds its
// first text itself (most hold one, or none); a text after it, or after a child element,
// is a node of its own. The mapping's paths are walked on them; etree, whose syntax
// the paths use, gets a copy of the record only for the paths the walk does not do
// (xmldoc.go). An etree per record, however carefully built, was most of the XML
// source's cost.
//
// Nodes hold no pointer (their record names their tags, holds their text): a record's
// nodes are one allocation the garbage collector neither scans nor guards writes to. A node
// is read with the record it belongs to, the record's methods taking it.
type xmlNode struct {
	line     int   // elements: the line its start tag is on
	name     int32 // elements: in rec.tags; -1 for a text
	idx      int32 // in rec.nodes
	parent   int32 // -1 for the record's own element
	end      int32 // elements: past its last descendant
	alo, ahi int32 // elements: attributes in rec.attrs
	tlo, thi int32 // in rec.data: an element's first text (if before any child), a text
}

func (n *xmlNode) isText() bool { return n.name < 0 }

// tagName is the mapping's name for an element or attribute (written), split at its
// first colon as etree splits it, and joined again as etree's FullTag joins it (full). The
// reader makes one per name and namespace.
type tagName struct{ written, space, local, full string }

func newTagName(written string) *tagName {
	t := &tagName{written: written, full: written}
	t.space, t.local = splitTag(written)
	if t.space == "" {
		t.full = t.local
	}
	return t
}

// nodeAttr is an attribute of an element; its value is rec.data[lo:hi].
type nodeAttr struct {
	name   int32 // in rec.tags
	lo, hi int32
}

// xmlRec is a record's element tree: its nodes, their attributes, the tag names and the
// text they refer to, and its own path in the document.
type xmlRec struct {
	nodes []xmlNode
	attrs []nodeAttr
	tags  []*tagName // the reader's, as they were when the record was read
	masks []uint64   // per tag, the steps it matches
	steps *xmlSteps  // the mapping's steps the masks are of; nil: none
	known int        // how many of those the masks have
	data  string     // the texts and attribute values, end to end: one string per record
	above string     // its path without its rank (/Export/Invoice), shared by records
	rank  int        // among the records of its kind
	doc   *xmlDoc
}

// path is the record's own path in the document: /Export/Invoice[3]. Made when a message
// asks, not for every record.
func (r *xmlRec) path() string {
	return r.above + "[" + strconv.Itoa(r.rank) + "]"
}

// owns reports whether n is one of the record's nodes.
func (r *xmlRec) owns(n *xmlNode) bool {
	return n != nil && int(n.idx) < len(r.nodes) && &r.nodes[n.idx] == n
}

func (r *xmlRec) tag(n *xmlNode) *tagName { return r.tags[n.name] }

func (r *xmlRec) parent(n *xmlNode) *xmlNode {
	if n.parent < 0 {
		return nil
	}
	return &r.nodes[n.parent]
}

// children calls f with each child element of n, in order, until f returns false.
func (r *xmlRec) children(n *xmlNode, f func(c *xmlNode) bool) {
	for j := n.idx + 1; j < n.end; {
		c := &r.nodes[j]
		if c.isText() {
			j++
			continue
		}
		if !f(c) {
			return
		}
		j = c.end
	}
}

// text is n's text as etree's Text gives it: its texts before its first child element,
// which follow each other in the record's data.
func (r *xmlRec) text(n *xmlNode) string {
	if n.tlo == n.thi {
		return ""
	}
	hi := n.thi
	for j := n.idx + 1; j < n.end && r.nodes[j].isText(); j++ {
		hi = r.nodes[j].thi
	}
	return r.data[n.tlo:hi]
}

// attr is the value of n's attribute key names ("code", "x:lang"), as etree's SelectAttr
// finds it: a key without prefix matches the attribute in any namespace.
func (r *xmlRec) attr(n *xmlNode, key string) (string, bool) {
	return r.attrKey(n, newXMLTag(key), false)
}

// attrOf is the value of the attribute the reference ends with on n, as attr finds it.
func (ref *fieldRef) attrOf(r *xmlRec, n *xmlNode) (string, bool) {
	k := &ref.key
	return r.attrKey(n, *k, k.bit != 0 && ref.path.steps != nil && ref.path.steps == r.steps && k.idx < r.known)
}

// attrKey is attr with the key as a step, matched by bit when bits says r's masks have it.
func (r *xmlRec) attrKey(n *xmlNode, key xmlTag, bits bool) (string, bool) {
	for _, a := range r.attrs[n.alo:n.ahi] {
		if key.matches(r, a.name, bits) {
			return r.data[a.lo:a.hi], true
		}
	}
	return "", false
}

// treeBuilder makes the element tree of an XML record with few allocations: a slice of
// nodes, one of attributes and one string for all the record's text.
type treeBuilder struct {
	limit int        // of a record's text bytes, nodes and attributes (their offsets are int32); 0: math.MaxInt32
	tags  []*tagName // numbered for the nodes (a record keeps the slice as it was)
	masks []uint64   // per tag, the steps of the mapping it matches
	steps *xmlSteps  // the mapping's
	known int        // how many steps all masks of the table have
	gen   int        // of tags: a qname's tag number is tags' if it was made in this one
	rec   *xmlRec
	data  []byte  // the record's text so far, reused from record to record
	open  []int32 // the record's elements not ended yet, its own first
	nodes slab[xmlNode]
	attrs slab[nodeAttr]
}

// slab holds the records' nodes or attributes: a record is built in work, reused from
// record to record, then copied in one move to the end of buf, which consecutive records
// share until it is full. Building each record in fresh memory of its own cost more: an
// allocation for its nodes and one for its attributes, written element by element. A slab
// lives as long as one of its records does.
type slab[T any] struct{ work, buf []T }

const slabLen = 1024

// keep copies the record built in work to the slab, and takes work back.
func (s *slab[T]) keep(work []T) []T {
	n := len(work)
	if cap(s.buf)-len(s.buf) < n {
		s.buf = make([]T, 0, max(slabLen, n))
	}
	at := len(s.buf)
	s.buf = append(s.buf, work...)
	s.work = work[:0]
	if cap(work) > 1<<16 {
		s.work = nil // an exceptional record: its work space is not kept
	}
	return s.buf[at : at+n : at+n]
}

// start opens an element under the open one, if any (else it starts rec).
func (b *treeBuilder) start(rec *xmlRec, name int32, line int) {
	if len(b.open) == 0 {
		b.rec, b.data = rec, b.data[:0]
		rec.nodes, rec.attrs = b.nodes.work[:0], b.attrs.work[:0]
	}
	parent := int32(-1)
	if len(b.open) > 0 {
		parent = b.open[len(b.open)-1]
	}
	r := b.rec
	i := int32(len(r.nodes))
	at := int32(len(r.attrs))
	r.nodes = append(r.nodes, xmlNode{name: name, line: line, idx: i, parent: parent, alo: at, ahi: at})
	b.open = append(b.open, i)
}

// attr gives the element just opened an attribute; a second one of the same name (as the
// mapping names them: same tag) replaces the first's value, as etree's CreateAttr does.
func (b *treeBuilder) attr(name int32, value []byte) {
	r := b.rec
	e := &r.nodes[len(r.nodes)-1]
	lo := int32(len(b.data))
	b.data = append(b.data, value...)
	hi := int32(len(b.data))
	for i := e.alo; i < e.ahi; i++ {
		if a := &r.attrs[i]; a.name == name || b.sameTag(a.name, name) {
			a.lo, a.hi = lo, hi
			return
		}
	}
	r.attrs = append(r.attrs, nodeAttr{name: name, lo: lo, hi: hi})
	e.ahi++
}

// text adds text to the open element: its first text, when it has nothing yet, is its own.
func (b *treeBuilder) text(s []byte) {
	r := b.rec
	lo := int32(len(b.data))
	b.data = append(b.data, s...)
	hi := int32(len(b.data))
	open := b.open[len(b.open)-1]
	if e := &r.nodes[open]; int(open) == len(r.nodes)-1 && e.tlo == e.thi {
		e.tlo, e.thi = lo, hi
		return
	}
	r.nodes = append(r.nodes, xmlNode{name: -1, idx: int32(len(r.nodes)), parent: open, tlo: lo, thi: hi})
}

// end closes the innermost open element; done is true when it is the record's own, whose
// text is then made the record's.
func (b *treeBuilder) end() (done bool) {
	r := b.rec
	last := len(b.open) - 1
	r.nodes[b.open[last]].end = int32(len(r.nodes))
	b.open = b.open[:last]
	if last > 0 {
		return false
	}
	r.data, r.tags, r.masks, r.steps, r.known = string(b.data), b.tags, b.masks, b.steps, b.known
	r.nodes, r.attrs = b.nodes.keep(r.nodes), b.attrs.keep(r.attrs)
	b.rec = nil
	return true
}

// tooBig reports whether the record being built holds more than the limit, past which
// its offsets would overflow.
func (b *treeBuilder) tooBig() bool {
	limit := b.limit
	if limit == 0 {
		limit = math.MaxInt32
	}
	return len(b.data) > limit || len(b.rec.nodes) > limit || len(b.rec.attrs) > limit
}

func (b *treeBuilder) sameTag(i, j int32) bool {
	return b.tags[i].space == b.tags[j].space && b.tags[i].local == b.tags[j].local
}

// tagID numbers a new tag name.
func (b *treeBuilder) tagID(t *tagName) int32 {
	var mask uint64
	if b.steps != nil {
		mask = b.steps.mask(t)
		b.known = min(b.known, len(b.steps.tags))
	}
	b.tags, b.masks = append(b.tags, t), append(b.masks, mask)
	return int32(len(b.tags) - 1)
}

// maxTags is how many tag names a table numbers before records start a new one: an
// export of ever new names must not grow memory.
const maxTags = 2 * maxInterned

// newRecord starts a new table of tags if the last is full: the records read keep theirs.
func (b *treeBuilder) newRecord() {
	if b.gen == 0 || len(b.tags) >= maxTags {
		b.tags, b.masks, b.gen, b.known = nil, nil, b.gen+1, math.MaxInt
	}
}

// splitTag splits a tag at its first colon, as etree's CreateElement does.
func splitTag(tag string) (space, local string) {
	for i := 0; i < len(tag); i++ {
		if tag[i] == ':' {
			return tag[:i], tag[i+1:]
		}
	}
	return "", tag
}
