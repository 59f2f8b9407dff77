package xmlw

import (
	"encoding/xml"
	"testing"
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
	}
}
