package mapping

import (
	"io"
	"slices"
	"strings"
	"testing"
)

// pathDoc is read as one record <r>, its elements in the namespaces e and f.
const pathDoc = `<r xmlns:e="urn:e" xmlns:f="urn:f">
  <a><b>1</b><e:b>2</e:b><b><c>3</c></b></a>
  <e:a><b>4</b><c/></e:a>
  <a/>
  <a><b><c>5</c><c>6</c></b><f:b><c>7</c></f:b></a>
  <x><a><b>8</b></a></x>
  <a k="v"><b k="w">9</b></a>
</r>`

// readOneRecord reads data's element <r> as a record with the prefixes e and f, its tags
// matching steps (nil: none) by bit.
func readOneRecord(t testing.TB, data string, steps *xmlSteps) *record {
	t.Helper()
	src := &source{format: "xml", nsPrefix: map[string]string{}, nsURI: map[string]string{}, steps: steps}
	for p, u := range map[string]string{"e": "urn:e", "f": "urn:f"} {
		src.nsPrefix[u], src.nsURI[p] = p, u
	}
	recPath, err := compileXMLPath("//r", src.nsURI)
	if err != nil {
		t.Fatal(err)
	}
	src.kinds = []*recKind{{idx: 0, name: "r", path: recPath, text: "//r"}}
	rec, err := newXMLReader(strings.NewReader(data), "f.xml", src).next()
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	return rec
}

// A path walked as a plain chain on the record's own tree finds what etree finds on its
// etree copy, in the same order, from any element; paths that are not plain chains are
// left to etree. Plain chains are walked comparing names, and testing the bits of steps
// numbered before the record was read.
func TestXMLPathFindsAsEtree(t *testing.T) {
	plain := []string{".", "a", "e:a", "a/b", "a/e:b", "e:a/b", "a/b/c", "a/./b", "./a/b/c", "x/a/b", "b", "a/f:b/c", "q:a", ":a", "a:"}
	others := []string{"a[2]/b", "a/b[c]", "//b", "a//c", "a/b/..", "*/b", "/r/a", "a[@k='v']", "a/b[@k='w']", "a[b='9']"}
	steps := &xmlSteps{}
	type compiled struct {
		p  string
		xp *xmlPath
	}
	var paths []compiled
	for _, p := range append(plain, others...) {
		for _, st := range []*xmlSteps{nil, steps} {
			xp, err := compileXMLTermPath(p, st)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			paths = append(paths, compiled{p, xp})
		}
	}
	if len(steps.tags) < 8 {
		t.Fatalf("%d steps numbered", len(steps.tags))
	}
	rec := readOneRecord(t, pathDoc, steps)
	xr := rec.x
	var els []*xmlNode
	for i := range rec.x.nodes {
		if n := &rec.x.nodes[i]; !n.isText() {
			els = append(els, n)
		}
	}
	if len(els) != 21 {
		t.Fatalf("%d elements", len(els))
	}
	for _, c := range paths {
		p, xp := c.p, c.xp
		if want := slices.Contains(plain, p); xp.plain != want {
			t.Errorf("%s: plain %v, want %v", p, xp.plain, want)
		}
		found := 0
		for _, e := range els {
			if got, want := xp.first(xr, e), xr.node(xr.etreeOf(e).FindElementPath(xp.Path)); got != want {
				t.Errorf("%s from <%s>: first %v, etree %v", p, xr.tag(e).full, got, want)
			}
			var want []*xmlNode
			for _, w := range xr.etreeOf(e).FindElementsPath(xp.Path) {
				want = append(want, xr.node(w))
			}
			got := xp.all(xr, e)
			if !slices.Equal(got, want) {
				t.Errorf("%s from <%s>: all %v, etree %v", p, xr.tag(e).full, got, want)
			}
			found += len(got)
		}
		// A record's element has no document above it: an absolute path finds nothing.
		if found == 0 && !slices.Contains([]string{"q:a", ":a", "a:", "/r/a"}, p) {
			t.Errorf("%s finds nothing from any element: the test does not test it", p)
		}
	}
}

// An element's text and attributes read on the record's own tree are what etree reads on
// its copy.
func TestXMLNodeTextAndAttrsAsEtree(t *testing.T) {
	rec := readOneRecord(t, `<r xmlns:e="urn:e" xmlns:g="urn:g"><a k="1" e:k="2" g:k="3">x<![CDATA[y]]>z<b/>t</a><a> </a><a e:k="4" k="5"/><a k="6" k="7"/></r>`, nil)
	for i := range rec.x.nodes {
		n := &rec.x.nodes[i]
		if n.isText() {
			continue
		}
		xr := rec.x
		e := xr.etreeOf(n)
		if got, want := xr.text(n), e.Text(); got != want {
			t.Errorf("<%s>: text %q, etree %q", xr.tag(n).full, got, want)
		}
		for _, key := range []string{"k", "e:k", "g:k", "x:k", "q"} {
			v, ok := xr.attr(n, key)
			a := e.SelectAttr(key)
			if ok != (a != nil) || ok && v != a.Value {
				t.Errorf("<%s> @%s: %q %v, etree %v", xr.tag(n).full, key, v, ok, a)
			}
		}
	}
	if got := rec.x.text(&rec.x.nodes[1]); got != "xyz" {
		t.Errorf("text %q, want xyz", got)
	}
}
