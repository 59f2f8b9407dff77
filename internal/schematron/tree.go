// Package schematron evaluates ISO Schematron rule sets (queryBinding xslt2) on XML
// documents in pure Go: an XPath 2.0 evaluator covering what the official EN 16931 and
// French CTC (BR-FR) artefacts use, and the schematron processing model of their compiled
// stylesheets (each pattern visits every element in document order; within a pattern the
// first rule whose context matches an element fires; lets are evaluated before asserts).
//
// It lets the product judge a document as the official stylesheets do without a JVM: the
// rules stay data (a schematron document, trimmed to contexts, lets and tests), and the
// tests compare the result with Saxon's on every example.
package schematron

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Kind is the kind of a node.
type Kind uint8

// Node kinds.
const (
	DocumentNode Kind = iota
	ElementNode
	AttributeNode
	TextNode
)

// Node is a node of a parsed document: the document itself, an element, an attribute or a
// text node. Names are resolved: Space is the namespace URI.
type Node struct {
	Space    string // namespace URI of an element or attribute
	Local    string
	Value    string // text of a text node, value of an attribute
	Parent   *Node
	Children []*Node // elements and text, in document order
	Attrs    []*Node
	name     string // the name as the document wrote it, made once (name() is called per node)
	Kind     Kind
	// Positions, 32 bits so that the fields above stay with Kind in one word: a read makes
	// a node every 20 bytes of the document, most of them the text between elements.
	order   int32 // position in document order
	at, end int32 // the node is all[at] of its document, its descendants all[at+1:end]
}

// Name is the node's name as the document wrote it (prefix:local), "" for text and
// document nodes.
func (n *Node) Name() string { return n.name }

// Prefix is the prefix of the node's name as the document wrote it, "" for none.
func (n *Node) Prefix() string {
	if len(n.name) > len(n.Local) {
		return n.name[:len(n.name)-len(n.Local)-1]
	}
	return ""
}

// StringValue is the node's string value: the concatenated text of an element or
// document, an attribute's value.
func (n *Node) StringValue() string {
	switch n.Kind {
	case AttributeNode, TextNode:
		return n.Value
	}
	var b strings.Builder
	var walk func(*Node)
	walk = func(m *Node) {
		for _, c := range m.Children {
			if c.Kind == TextNode {
				b.WriteString(c.Value)
			} else {
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// Text is the text before n's first child element, as etree's Element.Text gives it: what
// the readers take as an element's value.
func (n *Node) Text() string {
	first := ""
	var b []byte
	for i, c := range n.Children {
		if c.Kind != TextNode {
			break
		}
		if i == 0 {
			first = c.Value
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, 64), first...)
		}
		b = append(b, c.Value...)
	}
	if b != nil {
		return string(b)
	}
	return first
}

// AttrValue is the value of n's first attribute of that local name, whatever its namespace
// (as etree's SelectAttrValue without a prefix), "" when it has none.
func (n *Node) AttrValue(local string) string {
	if a := n.Attr(local); a != nil {
		return a.Value
	}
	return ""
}

// Attr is n's first attribute of that local name, whatever its namespace, or nil.
func (n *Node) Attr(local string) *Node {
	for _, a := range n.Attrs {
		if a.Local == local {
			return a
		}
	}
	return nil
}

// Elements returns the child elements of n.
func (n *Node) Elements() []*Node {
	var out []*Node
	for _, c := range n.Children {
		if c.Kind == ElementNode {
			out = append(out, c)
		}
	}
	return out
}

// Path is an XPath to n with prefixes as the document wrote them and positions where a
// name repeats: /Invoice/cac:InvoiceLine[2]/cbc:ID, /Invoice/cbc:Note/@languageID.
func (n *Node) Path() string {
	var parts []string
	for m := n; m != nil && m.Kind != DocumentNode; m = m.Parent {
		switch m.Kind {
		case AttributeNode:
			parts = append(parts, "@"+m.Name())
			continue
		case TextNode:
			parts = append(parts, "text()")
			continue
		}
		step := m.Name()
		if p := m.Parent; p != nil {
			count, at := 0, 0
			for _, s := range p.Children {
				if s.Kind == ElementNode && s.Space == m.Space && s.Local == m.Local {
					count++
					if s == m {
						at = count
					}
				}
			}
			if count > 1 {
				step = fmt.Sprintf("%s[%d]", step, at)
			}
		}
		parts = append(parts, step)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return "/" + strings.Join(parts, "/")
}

// Document is a parsed document ready for evaluation.
type Document struct {
	Root *Node // the document node
	all  []*Node
	// The elements by namespace URI and local name, each list in document order, so that
	// //cac:X finds its elements without testing every node of the document.
	byName elementIndex
	scan   *scanner // the scanner whose memory a scanned document is (see Release)
}

// elemName is an element's expanded name: namespace URI and local name.
type elemName struct{ space, local string }

// elementIndex lists a document's elements by expanded name, each list in document order.
// The names are numbered in the order they first occur.
type elementIndex struct {
	number map[elemName]int32
	names  []elemName // by number
	lists  [][]*Node  // by number
}

// elements is the list of the elements of that name, nil when there are none.
func (x *elementIndex) elements(name elemName) []*Node {
	if i, ok := x.number[name]; ok {
		return x.lists[i]
	}
	return nil
}

// add appends an element of that name.
func (x *elementIndex) add(name elemName, n *Node) {
	i, ok := x.number[name]
	if !ok {
		if x.number == nil {
			x.number = map[elemName]int32{}
		}
		i = int32(len(x.names))
		x.number[name] = i
		x.names = append(x.names, name)
		x.lists = append(x.lists, nil)
	}
	x.lists[i] = append(x.lists[i], n)
}

// Parse reads an XML document that has a root element.
func Parse(data []byte) (*Document, error) {
	d, err := Read(data)
	if err != nil {
		return nil, err
	}
	if d.Element() == nil {
		return nil, fmt.Errorf("no root element")
	}
	return d, nil
}

// Element is the root element of d, nil when it has none.
func (d *Document) Element() *Node {
	for _, c := range d.Root.Children {
		if c.Kind == ElementNode {
			return c
		}
	}
	return nil
}

// FromEtree builds a Document from an etree document, resolving namespace prefixes. It
// must be called before anything rewrites the elements' prefixes.
func FromEtree(doc *etree.Document) *Document {
	root := &Node{Kind: DocumentNode}
	var order int32
	var build func(parent *Node, e *etree.Element, scope map[string]string)
	build = func(parent *Node, e *etree.Element, scope map[string]string) {
		copied := false
		for _, a := range e.Attr {
			if (a.Space == "" && a.Key == "xmlns") || a.Space == "xmlns" {
				if !copied {
					next := make(map[string]string, len(scope)+4)
					for k, v := range scope {
						next[k] = v
					}
					scope, copied = next, true
				}
				if a.Space == "" {
					scope[""] = a.Value
				} else {
					scope[a.Key] = a.Value
				}
			}
		}
		order++
		n := &Node{Kind: ElementNode, Space: scope[e.Space], Local: e.Tag, name: e.FullTag(), Parent: parent, order: order}
		parent.Children = append(parent.Children, n)
		for _, a := range e.Attr {
			if (a.Space == "" && a.Key == "xmlns") || a.Space == "xmlns" {
				continue
			}
			order++
			space := ""
			if a.Space != "" {
				space = scope[a.Space]
				if a.Space == "xml" {
					space = "http://www.w3.org/XML/1998/namespace"
				}
			}
			n.Attrs = append(n.Attrs, &Node{Kind: AttributeNode, Space: space, Local: a.Key, name: a.FullKey(), Value: a.Value, Parent: n, order: order})
		}
		for _, t := range e.Child {
			switch c := t.(type) {
			case *etree.Element:
				build(n, c, scope)
			case *etree.CharData:
				order++
				n.Children = append(n.Children, &Node{Kind: TextNode, Value: c.Data, Parent: n, order: order})
			}
		}
	}
	for _, t := range doc.Child {
		if e, ok := t.(*etree.Element); ok {
			build(root, e, map[string]string{"xml": "http://www.w3.org/XML/1998/namespace"})
		}
	}
	d := &Document{Root: root}
	// Every node but attributes in document order, so that descendant, preceding and
	// following are slices of it.
	var index func(n *Node)
	index = func(n *Node) {
		n.at = int32(len(d.all))
		d.all = append(d.all, n)
		if n.Kind == ElementNode {
			k := elemName{n.Space, n.Local}
			d.byName.add(k, n)
		}
		for _, c := range n.Children {
			index(c)
		}
		n.end = int32(len(d.all))
	}
	index(root)
	return d
}
