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

func (t xmlTag) matches(e *xmlNode) bool {
	return t.tag == e.name.local && (t.space == "" || t.space == e.name.space)
}

// first is the first element the path finds from e in document order, nil for none.
func (p *xmlPath) first(e *xmlNode) *xmlNode {
	if !p.plain {
		d := e.rec.etreeDoc()
		return d.node(e.rec, e.etree().FindElementPath(p.Path))
	}
	return firstInChain(e, p.chain)
}

func firstInChain(e *xmlNode, chain []xmlTag) *xmlNode {
	if len(chain) == 0 {
		return e
	}
	var found *xmlNode
	e.children(func(c *xmlNode) bool {
		if chain[0].matches(c) {
			found = firstInChain(c, chain[1:])
		}
		return found == nil
	})
	return found
}

// all is every element the path finds from e, in document order.
func (p *xmlPath) all(e *xmlNode) []*xmlNode {
	if !p.plain {
		d := e.rec.etreeDoc()
		var out []*xmlNode
		for _, f := range e.etree().FindElementsPath(p.Path) {
			out = append(out, d.node(e.rec, f))
		}
		return out
	}
	return appendChain(nil, e, p.chain)
}

func appendChain(out []*xmlNode, e *xmlNode, chain []xmlTag) []*xmlNode {
	if len(chain) == 0 {
		return append(out, e)
	}
	e.children(func(c *xmlNode) bool {
		if chain[0].matches(c) {
			out = appendChain(out, c, chain[1:])
		}
		return true
	})
	return out
}
