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
}

// xmlTag matches a child element as etree does: by tag, and by prefix when one is given.
type xmlTag struct{ space, tag string }

func compileXMLTermPath(p string) (*xmlPath, error) {
	cp, err := etree.CompilePath(p)
	if err != nil {
		return nil, err
	}
	x := &xmlPath{Path: cp}
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
			space, tag, found := strings.Cut(seg, ":")
			if !found {
				space, tag = "", seg
			}
			chain = append(chain, xmlTag{space, tag})
		}
	}
	x.chain, x.plain = chain, true
	return x, nil
}

func (t xmlTag) matches(e *tagName) bool {
	return t.tag == e.local && (t.space == "" || t.space == e.space)
}

// first is the first element the path finds from e, an element of r, in document order;
// nil for none.
func (p *xmlPath) first(r *xmlRec, e *xmlNode) *xmlNode {
	if !p.plain {
		return r.node(r.etreeOf(e).FindElementPath(p.Path))
	}
	return firstInChain(r, e, p.chain)
}

func firstInChain(r *xmlRec, e *xmlNode, chain []xmlTag) *xmlNode {
	if len(chain) == 0 {
		return e
	}
	var found *xmlNode
	r.children(e, func(c *xmlNode) bool {
		if chain[0].matches(r.tags[c.name]) {
			found = firstInChain(r, c, chain[1:])
		}
		return found == nil
	})
	return found
}

// all is every element the path finds from e, an element of r, in document order.
func (p *xmlPath) all(r *xmlRec, e *xmlNode) []*xmlNode {
	if !p.plain {
		var out []*xmlNode
		for _, f := range r.etreeOf(e).FindElementsPath(p.Path) {
			out = append(out, r.node(f))
		}
		return out
	}
	return appendChain(nil, r, e, p.chain)
}

func appendChain(out []*xmlNode, r *xmlRec, e *xmlNode, chain []xmlTag) []*xmlNode {
	if len(chain) == 0 {
		return append(out, e)
	}
	r.children(e, func(c *xmlNode) bool {
		if chain[0].matches(r.tags[c.name]) {
			out = appendChain(out, r, c, chain[1:])
		}
		return true
	})
	return out
}
