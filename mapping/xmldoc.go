package mapping

import "github.com/beevik/etree"

// xmlDoc is an etree copy of a record, made the first time a path that only etree
// evaluates (a filter, //, .., *) is asked of it: the same tree the XML source built for
// every record before it had its own.
type xmlDoc struct {
	elems []*etree.Element // per node; nil for texts
	nodes map[*etree.Element]int32
}

// etreeDoc is the record's etree copy, made on first use.
func (r *xmlRec) etreeDoc() *xmlDoc {
	if r.doc != nil {
		return r.doc
	}
	d := &xmlDoc{elems: make([]*etree.Element, len(r.nodes)), nodes: make(map[*etree.Element]int32, len(r.nodes))}
	for i := range r.nodes {
		n := &r.nodes[i]
		if n.isText() {
			d.elems[n.parent].AddChild(etree.NewText(r.data[n.tlo:n.thi]))
			continue
		}
		e := etree.NewElement(r.tags[n.name].written)
		for _, a := range r.attrs[n.alo:n.ahi] {
			e.CreateAttr(r.tags[a.name].written, r.data[a.lo:a.hi])
		}
		if n.tlo < n.thi {
			e.AddChild(etree.NewText(r.data[n.tlo:n.thi]))
		}
		if n.parent >= 0 {
			d.elems[n.parent].AddChild(e)
		}
		d.elems[i], d.nodes[e] = e, int32(i)
	}
	r.doc = d
	return d
}

// etreeOf is n's element in the record's etree copy.
func (r *xmlRec) etreeOf(n *xmlNode) *etree.Element { return r.etreeDoc().elems[n.idx] }

// node is the node of e, an element of r's copy; nil for nil.
func (r *xmlRec) node(e *etree.Element) *xmlNode {
	if e == nil {
		return nil
	}
	return &r.nodes[r.etreeDoc().nodes[e]]
}
