package xmlw

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestBytes(t *testing.T) {
	d := NewDocument()
	r := d.CreateElement("a:Root")
	r.CreateAttr("xmlns:a", "urn:x")
	r.CreateAttr("k", "a\"b<c>&\td\ne")
	r.CreateElement("a:Empty")
	c := r.CreateElement("a:Child")
	c.SetText("1 < 2 & 3 > 2\r\x01\xff é")
	g := r.CreateElement("a:Group")
	g.CreateElement("a:In").SetText("x")
	got := string(d.Bytes(2))
	want := `<?xml version="1.0" encoding="UTF-8"?>
<a:Root xmlns:a="urn:x" k="a&quot;b&lt;c&gt;&amp;&#x9;d&#xA;e">
  <a:Empty/>
  <a:Child>1 &lt; 2 &amp; 3 &gt; 2&#xD;` + "\uFFFD\uFFFD" + ` é</a:Child>
  <a:Group>
    <a:In>x</a:In>
  </a:Group>
</a:Root>
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var v any
	if err := xml.Unmarshal([]byte(got), &v); err != nil {
		t.Errorf("not well-formed: %v", err)
	}
	if v, ok := r.Attr("k"); !ok || v == "" {
		t.Error("Attr")
	}
	if n := len(r.ChildElements()); n != 3 {
		t.Errorf("%d children", n)
	}
}

func BenchmarkBuildAndWrite(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		d := NewDocument()
		r := d.CreateElement("Root")
		for range 200 {
			e := r.CreateElement("cbc:Amount")
			e.CreateAttr("currencyID", "EUR")
			e.SetText("123.45")
		}
		_ = d.Bytes(2)
		d.Release()
	}
}

// reference is the writer before slabs were reused and sizes computed: a bytes.Buffer,
// grown as it goes. Bytes must write what it writes, byte for byte.
func reference(d *Document, indent int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	var write func(e *Element, depth int)
	write = func(e *Element, depth int) {
		b.WriteString(strings.Repeat(" ", depth*indent) + "<" + e.Tag)
		for i := range e.nattr {
			a := e.attr(i)
			b.WriteString(" " + a.Key + `="`)
			b.WriteString(referenceEscape(a.Value, true))
			b.WriteByte('"')
		}
		switch {
		case e.first == nil && e.text == "":
			b.WriteString("/>\n")
			return
		case e.first == nil:
			b.WriteByte('>')
			b.WriteString(referenceEscape(e.text, false))
		default:
			b.WriteByte('>')
			b.WriteString(referenceEscape(e.text, false))
			b.WriteByte('\n')
			for c := e.first; c != nil; c = c.next {
				write(c, depth+1)
			}
			b.WriteString(strings.Repeat(" ", depth*indent))
		}
		b.WriteString("</" + e.Tag + ">\n")
	}
	if d.root != nil {
		write(d.root, 0)
	}
	return b.Bytes()
}

// referenceEscape is escape on its own: a switch on each character.
func referenceEscape(s string, attr bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"' && attr:
			b.WriteString("&quot;")
		case r == '\t' && attr:
			b.WriteString("&#x9;")
		case r == '\n' && attr:
			b.WriteString("&#xA;")
		case r == '\r':
			b.WriteString("&#xD;")
		case r < 0x20 && r != '\t' && r != '\n', r == utf8.RuneError, r == 0xFFFE, r == 0xFFFF:
			b.WriteString("\uFFFD")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// build makes a document from data: each byte says what comes next (a child, a sibling,
// back up, an attribute, a text), the strings cut from data itself.
func build(d *Document, data []byte) {
	root := d.CreateElement("r:Root")
	stack := []*Element{root}
	cur := root
	for i := 0; i < len(data); i++ {
		top := stack[len(stack)-1]
		str := string(data[i:min(len(data), i+int(data[i]%9))])
		switch data[i] % 5 {
		case 0:
			cur = top.CreateElement("c:E" + strconv.Itoa(i))
		case 1:
			cur = top.CreateElement("c:G")
			stack = append(stack, cur)
		case 2:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case 3:
			cur.CreateAttr("k"+strconv.Itoa(i), str)
		case 4:
			cur.SetText(str)
		}
	}
}

// Bytes writes what the plain writer writes, into a buffer sized for it when nothing is
// escaped; a document built after a Release, from the reused slabs, writes the same as a
// new one.
func TestBytesAsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		data := make([]byte, rng.IntN(2000))
		for i := range data {
			data[i] = byte(rng.IntN(256))
			if n%2 == 0 { // no character to escape: the size is exact
				data[i] = 'a' + data[i]%26
			}
		}
		checkAsReference(t, data, n%2 == 0)
	}
}

func checkAsReference(t *testing.T, data []byte, exact bool) {
	t.Helper()
	for _, indent := range []int{0, 2} {
		d := NewDocument()
		build(d, data)
		got, want := d.Bytes(indent), reference(d, indent)
		d.Release()
		if !bytes.Equal(got, want) {
			t.Fatalf("input %q, indent %d: got\n%s\nwant\n%s", data, indent, got, want)
		}
		if exact && cap(got) != len(got) {
			t.Fatalf("input %q: %d bytes in a buffer of %d", data, len(got), cap(got))
		}
		fresh := &Document{}
		build(fresh, data)
		if again := fresh.Bytes(indent); !bytes.Equal(again, want) {
			t.Fatalf("input %q: a new document writes\n%s\nafter a released one\n%s", data, again, want)
		}
	}
}

func FuzzBytes(f *testing.F) {
	f.Add([]byte("\x01\x03a<b\x04&c\x02\x00"))
	f.Add([]byte("\x06\xff\xfe\x09\x0d"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAsReference(t, data, false)
	})
}

// A released document's slabs serve the next one: building and writing an invoice-sized
// document again allocates its output only. (Release hands the document to a sync.Pool,
// which keeps it or not as it likes: reset is what it does to it.)
func TestResetDocumentAllocatesItsOutputOnly(t *testing.T) {
	d := &Document{}
	write := func() {
		r := d.CreateElement("Root")
		for range 600 {
			e := r.CreateElement("cbc:Amount")
			e.CreateAttr("currencyID", "EUR")
			e.SetText("123.45")
		}
		_ = d.Bytes(2)
		d.reset()
	}
	write()
	if n := testing.AllocsPerRun(20, write); n != 1 {
		t.Errorf("%.1f allocations per document, want 1 (its output)", n)
	}
}
