// Package xmlw builds and writes XML documents fast. The UBL and CII writers build a small
// tree (elements, attributes, text) and serialise it indented; etree, which the readers
// use, spends most of a write in allocation, so this tree takes its elements from slabs and
// writes straight into one buffer. It supports only what the writers need: no namespaces
// beyond prefixed names and xmlns attributes, no comments, no mixed content.
package xmlw

import (
	"bytes"
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
	slab  []Element
	count int
}

// NewDocument returns an empty document.
func NewDocument() *Document { return &Document{} }

func (d *Document) newElement(tag string) *Element {
	if len(d.slab) == 0 {
		d.slab = make([]Element, 64+d.count/2)
	}
	e := &d.slab[0]
	d.slab = d.slab[1:]
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
	var b bytes.Buffer
	b.Grow(64 + d.count*72)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if d.root != nil {
		writeElement(&b, d.root, 0, indent)
	}
	return b.Bytes()
}

func writeElement(b *bytes.Buffer, e *Element, depth, indent int) {
	for range depth * indent {
		b.WriteByte(' ')
	}
	b.WriteByte('<')
	b.WriteString(e.Tag)
	for i := range e.nattr {
		a := e.attr(i)
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteString(`="`)
		escape(b, a.Value, true)
		b.WriteByte('"')
	}
	switch {
	case e.first == nil && e.text == "":
		b.WriteString("/>\n")
		return
	case e.first == nil:
		b.WriteByte('>')
		escape(b, e.text, false)
	default:
		b.WriteByte('>')
		escape(b, e.text, false)
		b.WriteByte('\n')
		for c := e.first; c != nil; c = c.next {
			writeElement(b, c, depth+1, indent)
		}
		for range depth * indent {
			b.WriteByte(' ')
		}
	}
	b.WriteString("</")
	b.WriteString(e.Tag)
	b.WriteString(">\n")
}

// escape writes s with the characters XML reserves escaped; in attribute values also
// quotes and white space that attribute normalisation would change. Characters XML 1.0
// does not allow become U+FFFD, so that the output is always well-formed.
func escape(b *bytes.Buffer, s string, attr bool) {
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
		b.WriteString(s[last:i])
		b.WriteString(rep)
		i += size
		last = i
	}
	b.WriteString(s[last:])
}
