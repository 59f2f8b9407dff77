// Package xmlw builds and writes XML documents fast. The UBL and CII writers build a small
// tree (elements, attributes, text) and serialise it indented; etree, which the readers
// use, spends most of a write in allocation, so this tree takes its elements from slabs,
// which a released document hands to the next one, and writes straight into one buffer
// of the size it needs. It supports only what the writers need: no namespaces beyond
// prefixed names and xmlns attributes, no comments, no mixed content.
package xmlw

import (
	"sync"
	"unicode/utf8"
)

// Attr is an attribute of an element.
type Attr struct{ Key, Value string }

// Element is an element: a tag (with its prefix), attributes, text and child elements.
// An element has text or children; when given both, the text is written first.
type Element struct {
	Tag         string
	text        string
	attr0       Attr // the first attribute, kept inline
	attrs       []Attr
	nattr       int
	first, last *Element
	next        *Element
	doc         *Document
}

// Document is a tree of elements with one root and an XML declaration.
type Document struct {
	root  *Element
	slabs [][]Element // every slab taken, reused in order after Release
	slab  int         // the slab elements are taken from
	used  int         // how many of it are taken
	count int
}

// slabSize is how many elements a slab holds: an invoice of a few lines fits in one or two.
const slabSize = 256

// documents are released documents, with their slabs: a write then allocates nothing but
// its output.
var documents = sync.Pool{New: func() any { return &Document{} }}

// NewDocument returns an empty document. Release gives its memory to the next one.
func NewDocument() *Document { return documents.Get().(*Document) }

// Release ends the document: neither it nor any of its elements may be used after, and its
// slabs go to a later NewDocument.
func (d *Document) Release() {
	d.reset()
	documents.Put(d)
}

// reset empties the document, keeping its slabs for the elements to come.
func (d *Document) reset() {
	// Cleared, so that no element is handed out with another's children, and no string of
	// the last invoice is kept alive.
	for i := range d.slabs[:min(d.slab, len(d.slabs))] {
		clear(d.slabs[i])
	}
	if d.slab < len(d.slabs) {
		clear(d.slabs[d.slab][:d.used])
	}
	d.root, d.slab, d.used, d.count = nil, 0, 0, 0
}

func (d *Document) newElement(tag string) *Element {
	if d.slab < len(d.slabs) && d.used == len(d.slabs[d.slab]) {
		d.slab, d.used = d.slab+1, 0
	}
	if d.slab == len(d.slabs) {
		d.slabs = append(d.slabs, make([]Element, slabSize))
	}
	e := &d.slabs[d.slab][d.used]
	d.used++
	d.count++
	e.Tag, e.doc = tag, d
	return e
}

// CreateElement creates the root element (replacing any previous one).
func (d *Document) CreateElement(tag string) *Element {
	d.root = d.newElement(tag)
	return d.root
}

// Root is the root element, or nil.
func (d *Document) Root() *Element { return d.root }

// CreateElement appends a child element and returns it.
func (e *Element) CreateElement(tag string) *Element {
	c := e.doc.newElement(tag)
	if e.last == nil {
		e.first = c
	} else {
		e.last.next = c
	}
	e.last = c
	return c
}

// CreateAttr appends an attribute (no check for duplicates).
func (e *Element) CreateAttr(key, value string) {
	if e.nattr == 0 {
		e.attr0 = Attr{key, value}
	} else {
		e.attrs = append(e.attrs, Attr{key, value})
	}
	e.nattr++
}

// SetText sets the text content.
func (e *Element) SetText(s string) { e.text = s }

// Text is the text content.
func (e *Element) Text() string { return e.text }

// ChildElements returns the child elements (for tests and inspection; it allocates).
func (e *Element) ChildElements() []*Element {
	var out []*Element
	for c := e.first; c != nil; c = c.next {
		out = append(out, c)
	}
	return out
}

// Attr returns the value of attribute key and whether it exists.
func (e *Element) Attr(key string) (string, bool) {
	for i := range e.nattr {
		a := e.attr(i)
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

func (e *Element) attr(i int) Attr {
	if i == 0 {
		return e.attr0
	}
	return e.attrs[i-1]
}

// Bytes writes the document: the XML declaration (version 1.0, UTF-8), then the tree with
// each element on its own line, indented by indent spaces per level, and a final newline.
func (d *Document) Bytes(indent int) []byte {
	const decl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	size := len(decl)
	if d.root != nil {
		size += sizeOf(d.root, 0, indent)
	}
	b := make([]byte, 0, size) // grows only for escapes
	b = append(b, decl...)
	if d.root != nil {
		b = writeElement(b, d.root, 0, indent)
	}
	return b
}

// sizeOf is the length of e written by writeElement, its characters unescaped.
func sizeOf(e *Element, depth, indent int) int {
	n := depth*indent + 1 + len(e.Tag) + len(e.text)
	for i := range e.nattr {
		a := e.attr(i)
		n += len(a.Key) + len(a.Value) + 4
	}
	switch {
	case e.first == nil && e.text == "":
		return n + 3
	case e.first != nil: // a line break after the text, the closing tag indented
		n += 1 + depth*indent
		for c := e.first; c != nil; c = c.next {
			n += sizeOf(c, depth+1, indent)
		}
	}
	return n + len(">") + len("</>\n") + len(e.Tag)
}

func writeElement(b []byte, e *Element, depth, indent int) []byte {
	b = spaces(b, depth*indent)
	b = append(b, '<')
	b = append(b, e.Tag...)
	for i := range e.nattr {
		a := e.attr(i)
		b = append(b, ' ')
		b = append(b, a.Key...)
		b = append(b, `="`...)
		b = escape(b, a.Value, true)
		b = append(b, '"')
	}
	switch {
	case e.first == nil && e.text == "":
		return append(b, "/>\n"...)
	case e.first == nil:
		b = append(b, '>')
		b = escape(b, e.text, false)
	default:
		b = append(b, '>')
		b = escape(b, e.text, false)
		b = append(b, '\n')
		for c := e.first; c != nil; c = c.next {
			b = writeElement(b, c, depth+1, indent)
		}
		b = spaces(b, depth*indent)
	}
	b = append(b, "</"...)
	b = append(b, e.Tag...)
	return append(b, ">\n"...)
}

func spaces(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

// escape writes s with the characters XML reserves escaped; in attribute values also
// quotes and white space that attribute normalisation would change. Characters XML 1.0
// does not allow become U+FFFD, so that the output is always well-formed.
func escape(b []byte, s string, attr bool) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var rep string
		size := 1
		switch {
		case c == '&':
			rep = "&amp;"
		case c == '<':
			rep = "&lt;"
		case c == '>':
			rep = "&gt;"
		case c == '"' && attr:
			rep = "&quot;"
		case c == '\t' && attr:
			rep = "&#x9;"
		case c == '\n' && attr:
			rep = "&#xA;"
		case c == '\r':
			rep = "&#xD;"
		case c < 0x20 && c != '\t' && c != '\n':
			rep = "\uFFFD"
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			size = n
			if (r == utf8.RuneError && n == 1) || r == 0xFFFE || r == 0xFFFF {
				rep = "\uFFFD"
			}
		}
		if rep == "" {
			i += size
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, rep...)
		i += size
		last = i
	}
	return append(b, s[last:]...)
}
