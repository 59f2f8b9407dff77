package mapping

import "github.com/beevik/etree"

// treeBuilder makes the element tree of an XML record with few allocations: elements,
// texts, child lists and attribute lists are carved from slabs, and an element's children
// are given to it once it ends, in a list of the right size. etree's own constructors
// allocate every node and grow every list one append at a time: that was a third of the
// reader's time.
type treeBuilder struct {
	elems slab[etree.Element]
	texts slab[etree.CharData]
	toks  slab[etree.Token]
	attrs slab[etree.Attr]
	open  []*etree.Element // the record's elements not ended yet, its own first
	kids  []etree.Token    // their children so far, not given to them yet
	marks []int            // per open element, where its children start in kids
}

// start opens an element with room for nattr attributes, under the open one if any.
func (b *treeBuilder) start(tag string, nattr int) *etree.Element {
	var e *etree.Element
	if len(b.open) == 0 {
		b.elems.reset()
		b.texts.reset()
		b.toks.reset()
		b.attrs.reset()
		e = etree.NewElement(tag)
	} else {
		e = &b.elems.take(1)[0]
		e.Space, e.Tag = splitTag(tag)
		b.kids = append(b.kids, e)
	}
	if nattr > 0 {
		e.Attr = b.attrs.take(nattr)[:0]
	}
	b.open = append(b.open, e)
	b.marks = append(b.marks, len(b.kids))
	return e
}

// text adds text to the open element.
func (b *treeBuilder) text(s string) {
	t := &b.texts.take(1)[0]
	t.Data = s
	b.kids = append(b.kids, t)
}

// end closes the innermost open element; done is true when it is the record's own.
func (b *treeBuilder) end() (done bool) {
	last := len(b.open) - 1
	e, mark := b.open[last], b.marks[last]
	if kids := b.kids[mark:]; len(kids) > 0 {
		e.Child = b.toks.take(len(kids))[:0]
		for _, k := range kids {
			e.AddChild(k)
		}
	}
	clear(b.kids[mark:])
	b.kids, b.open, b.marks = b.kids[:mark], b.open[:last], b.marks[:last]
	return last == 0
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

// slab hands out values of T from chunks allocated together. A chunk is never grown in
// place, so what it handed out stays where it is. Each record has chunks of its own: a
// chunk lives as long as any of its values, and the tree of a record that shared one with
// the next would keep it alive, and that one the next: every tree read.
type slab[T any] struct {
	chunk      []T
	used, last int // values taken for this record, for the last one
}

// reset starts a record, whose first chunk is sized by the last record.
func (s *slab[T]) reset() { s.chunk, s.last, s.used = nil, s.used, 0 }

// take returns n zero values.
func (s *slab[T]) take(n int) []T {
	if cap(s.chunk)-len(s.chunk) < n {
		s.chunk = make([]T, 0, max(n, s.last-s.used, 16))
	}
	s.used += n
	l := len(s.chunk)
	s.chunk = s.chunk[:l+n]
	return s.chunk[l : l+n : l+n]
}
