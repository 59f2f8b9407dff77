package mapping

import (
	"strings"

	"github.com/beevik/etree"
)

// xmlPath is a term's or a select='s etree path, compiled. Most are a plain chain of child
// tags ("e:Header/e:Number", "e:Lines/e:Line", "."): those are walked on the record's own
// tree, which finds the same elements in the same order as etree would. Other paths
// (filters, //, .., *) go to etree, on a copy of the record made for them (xmldoc.go).
type xmlPath struct {
	etree.Path
	chain []xmlTag // the plain chain; nil when plain is false (or the path is ".")
	plain bool
	steps *xmlSteps // the table its chain's steps are numbered in; nil: none
	bits  bool      // its steps all have a bit
	below int       // how many steps of the table its chain's are among
}

// xmlTag matches a child element as etree does: by tag, and by prefix when one is given.
// Numbered in a table of steps (bit), it is matched by the bit the element's tag has for it.
type xmlTag struct {
	space, tag string
	idx        int    // in the table
	bit        uint64 // 1<<idx for the table's first 64 steps; 0: compare names
}

// xmlSteps numbers the distinct steps of a mapping's plain paths. The XML source works out
// once per tag which of them the tag matches (xmlRec.masks): a path is then walked testing
// a bit per child instead of comparing names.
type xmlSteps struct{ tags []xmlTag }

// number returns t numbered in the table.
func (s *xmlSteps) number(t xmlTag) xmlTag {
	if s == nil {
		return t
	}
	for _, o := range s.tags {
		if o.space == t.space && o.tag == t.tag {
			return o
		}
	}
	t.idx = len(s.tags)
	if t.idx < 64 {
		t.bit = 1 << t.idx
	}
	s.tags = append(s.tags, t)
	return t
}

// mask is the steps of s that n matches.
func (s *xmlSteps) mask(n *tagName) uint64 {
	var m uint64
	for _, t := range s.tags {
		if t.matchesName(n) {
			m |= t.bit
		}
	}
	return m
}

// compileXMLTermPath compiles p, numbering its steps in steps (nil: none).
func compileXMLTermPath(p string, steps *xmlSteps) (*xmlPath, error) {
	cp, err := etree.CompilePath(p)
	if err != nil {
		return nil, err
	}
	x := &xmlPath{Path: cp, steps: steps}
	if strings.HasPrefix(p, "/") || strings.ContainsAny(p, `[]*'"`) {
		return x, nil
	}
	var chain []xmlTag
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case ".":
		case "", "..":
			return x, nil
		default:
			t := newXMLTag(seg)
			if steps != nil {
				t = steps.number(t)
			}
			chain = append(chain, t)
		}
	}
	x.chain, x.plain, x.bits = chain, true, steps != nil
	for _, t := range chain {
		x.bits = x.bits && t.bit != 0
		x.below = max(x.below, t.idx+1)
	}
	return x, nil
}

// newXMLTag is the step or attribute key written s, split at its first colon as etree
// splits it.
func newXMLTag(s string) xmlTag {
	space, tag, found := strings.Cut(s, ":")
	if !found {
		space, tag = "", s
	}
	return xmlTag{space: space, tag: tag}
}

func (t xmlTag) matchesName(e *tagName) bool {
	return t.tag == e.local && (t.space == "" || t.space == e.space)
}

// matches reports whether t matches the tag numbered tag in r: by the tag's mask when
// bits says the masks have t's bit, else by name.
func (t *xmlTag) matches(r *xmlRec, tag int32, bits bool) bool {
	if bits {
		return r.masks[tag]&t.bit != 0
	}
	return t.matchesName(r.tags[tag])
}

// first is the first element the path finds from e, an element of r, in document order;
// nil for none.
func (p *xmlPath) first(r *xmlRec, e *xmlNode) *xmlNode {
	if !p.plain {
		return r.node(r.etreeOf(e).FindElementPath(p.Path))
	}
	return firstInChain(r, e, p.chain, p.byBits(r))
}

// byBits reports whether r's tag masks have the bits of p's steps: its source numbered
// them before reading it.
func (p *xmlPath) byBits(r *xmlRec) bool {
	return p.bits && p.steps == r.steps && p.below <= r.known
}

// firstInChain is the first element under e, depth first, that the chain leads to. It
// walks the children itself, without children's callback: it is the XML source's most
// frequent walk (a term's path).
func firstInChain(r *xmlRec, e *xmlNode, chain []xmlTag, bits bool) *xmlNode {
	if len(chain) == 0 {
		return e
	}
	t := &chain[0]
	for j := e.idx + 1; j < e.end; {
		c := &r.nodes[j]
		if c.isText() {
			j++
			continue
		}
		if t.matches(r, c.name, bits) {
			if found := firstInChain(r, c, chain[1:], bits); found != nil {
				return found
			}
		}
		j = c.end
	}
	return nil
}

// all is every element the path finds from e, an element of r, in document order.
func (p *xmlPath) all(r *xmlRec, e *xmlNode) []*xmlNode { return p.appendAll(nil, r, e) }

// appendAll appends to out every element the path finds from e, in document order.
func (p *xmlPath) appendAll(out []*xmlNode, r *xmlRec, e *xmlNode) []*xmlNode {
	if !p.plain {
		for _, f := range r.etreeOf(e).FindElementsPath(p.Path) {
			out = append(out, r.node(f))
		}
		return out
	}
	return appendChain(out, r, e, p.chain, p.byBits(r))
}

func appendChain(out []*xmlNode, r *xmlRec, e *xmlNode, chain []xmlTag, bits bool) []*xmlNode {
	if len(chain) == 0 {
		return append(out, e)
	}
	t := &chain[0]
	for j := e.idx + 1; j < e.end; {
		c := &r.nodes[j]
		if c.isText() {
			j++
			continue
		}
		if t.matches(r, c.name, bits) {
			out = appendChain(out, r, c, chain[1:], bits)
		}
		j = c.end
	}
	return out
}
