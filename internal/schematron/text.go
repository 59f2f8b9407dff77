package schematron

import "strings"

// docText holds the strings of a scanned document's tree. Scan reads the bytes it is given
// in place, and copies here only what the tree keeps: each name once, each distinct run of
// whitespace between elements once, and the values. That is a tenth of an invoice's
// bytes, the rest being markup and indentation, and copying the whole document was the
// larger part of what a read allocated.
type docText struct {
	b        strings.Builder // the chunk being filled: what it holds is never written again
	chunk    int             // the size of a new chunk
	interned map[string]string
	recent   [64]string // a direct-mapped cache in front of interned
	blanks   [32]string // the runs of whitespace by length: indentation has one a length
}

// reset readies t for a document, its chunks of that size.
func (t *docText) reset(chunk int) {
	t.b = strings.Builder{}
	t.chunk = chunk
	t.recent, t.blanks = [len(t.recent)]string{}, [len(t.blanks)]string{}
	if t.interned == nil {
		t.interned = map[string]string{}
	}
	clear(t.interned)
}

// keep is v copied into the document's text.
func (t *docText) keep(v string) string {
	if v == "" {
		return ""
	}
	if t.b.Cap()-t.b.Len() < len(v) {
		// A new chunk rather than a grown one: the strings given out keep the last.
		t.b = strings.Builder{}
		t.b.Grow(max(len(v), t.chunk))
	}
	at := t.b.Len()
	t.b.WriteString(v)
	return t.b.String()[at:]
}

// intern is v copied into the document's text once, for a string that repeats (a name,
// the indentation between elements).
func (t *docText) intern(v string) string {
	if v == "" {
		return ""
	}
	slot := &t.recent[shortHash(v)%len(t.recent)]
	if *slot == v {
		return *slot
	}
	k, ok := t.interned[v]
	if !ok {
		k = t.keep(v)
		t.interned[k] = k
	}
	*slot = k
	return k
}

// blank is intern for a run of whitespace.
func (t *docText) blank(v string) string {
	if len(v) >= len(t.blanks) {
		return t.intern(v)
	}
	if t.blanks[len(v)] != v {
		t.blanks[len(v)] = t.intern(v)
	}
	return t.blanks[len(v)]
}
