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
}

// xmlTag matches a child element as etree does: by tag, and by prefix when one is given.
// Numbered in a table of steps (bit), it is matched by the bit the element's tag has for it.
type xmlTag struct {
	space, tag string
	idx        int    // in the table
	bit        uint64 // 1<<idx for the table's first 64 steps; 0: compare names
}

// xmlSteps numbers the distinct steps of a mapping's plain paths. The XML source works out
// once per tag which of them the tag matches (tagName.mask): a path is then walked testing
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

// setMask works out the steps of s that n matches.
func (n *tagName) setMask(s *xmlSteps) {
	n.mask, n.maskOf, n.maskLen = 0, s, 0
	if s == nil {
		return
	}
	for _, t := range s.tags {
		if t.matchesName(n) {
			n.mask |= t.bit
		}
	}
	n.maskLen = len(s.tags)
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
	x.chain, x.plain = chain, true
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

// matches reports whether t matches e, a tag of a record whose steps are steps: by e's mask
// when t is numbered in them before e's mask was made, else by name.
func (t *xmlTag) matches(e *tagName, steps *xmlSteps) bool {
	if t.bit != 0 && e.maskOf == steps && t.idx < e.maskLen {
		return e.mask&t.bit != 0
	}
	return t.matchesName(e)
}

// first is the first element the path finds from e, an element of r, in document order;
// nil for none.
func (p *xmlPath) first(r *xmlRec, e *xmlNode) *xmlNode {
	if !p.plain {
		return r.node(r.etreeOf(e).FindElementPath(p.Path))
	}
	return firstInChain(r, e, p.chain, p.stepsFor(r))
}

// stepsFor is the table p's steps are numbered in if r's tags know it, else nil.
func (p *xmlPath) stepsFor(r *xmlRec) *xmlSteps {
	if p.steps != nil && p.steps == r.steps {
		return p.steps
	}
	return nil
}

// firstInChain is the first element under e, depth first, that the chain leads to. It
// walks the children itself, without children's callback: it is the XML source's most
// frequent walk (a term's path).
func firstInChain(r *xmlRec, e *xmlNode, chain []xmlTag, steps *xmlSteps) *xmlNode {
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
		if t.matches(r.tags[c.name], steps) {
			if found := firstInChain(r, c, chain[1:], steps); found != nil {
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
	return appendChain(out, r, e, p.chain, p.stepsFor(r))
}

func appendChain(out []*xmlNode, r *xmlRec, e *xmlNode, chain []xmlTag, steps *xmlSteps) []*xmlNode {
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
		if t.matches(r.tags[c.name], steps) {
			out = appendChain(out, r, c, chain[1:], steps)
		}
		j = c.end
	}
	return out
}
