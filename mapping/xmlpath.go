package mapping

import (
	"strings"

	"github.com/beevik/etree"
)

// xmlPath is a term's or a select='s etree path, compiled. Most are a plain chain of child
// tags ("e:Header/e:Number", "e:Lines/e:Line", "."): those are walked directly, which finds
// the same elements in the same order as etree without its per-query queue and map, the
// larger part of evaluating an XML term. Other paths (filters, //, .., *) go to etree.
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

func (t xmlTag) matches(e *etree.Element) bool {
	return t.tag == e.Tag && (t.space == "" || t.space == e.Space)
}

// first is the first element the path finds from e in document order, nil for none.
func (p *xmlPath) first(e *etree.Element) *etree.Element {
	if !p.plain {
		return e.FindElementPath(p.Path)
	}
	return firstInChain(e, p.chain)
}

func firstInChain(e *etree.Element, chain []xmlTag) *etree.Element {
	if len(chain) == 0 {
		return e
	}
	for _, t := range e.Child {
		if c, ok := t.(*etree.Element); ok && chain[0].matches(c) {
			if found := firstInChain(c, chain[1:]); found != nil {
				return found
			}
		}
	}
	return nil
}

// all is every element the path finds from e, in document order.
func (p *xmlPath) all(e *etree.Element) []*etree.Element {
	if !p.plain {
		return e.FindElementsPath(p.Path)
	}
	return appendChain(nil, e, p.chain)
}

func appendChain(out []*etree.Element, e *etree.Element, chain []xmlTag) []*etree.Element {
	if len(chain) == 0 {
		return append(out, e)
	}
	for _, t := range e.Child {
		if c, ok := t.(*etree.Element); ok && chain[0].matches(c) {
			out = appendChain(out, c, chain[1:])
		}
	}
	return out
}
