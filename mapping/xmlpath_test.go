package mapping

import (
	"slices"
	"testing"

	"github.com/beevik/etree"
)

// A path walked as a plain chain finds what etree finds, in the same order, from any
// element; paths that are not plain chains are left to etree.
func TestXMLPathFindsAsEtree(t *testing.T) {
	doc := etree.NewDocument()
	err := doc.ReadFromString(`<r>
  <a><b>1</b><e:b>2</e:b><b><c>3</c></b></a>
  <e:a><b>4</b><c/></e:a>
  <a/>
  <a><b><c>5</c><c>6</c></b><f:b><c>7</c></f:b></a>
  <x><a><b>8</b></a></x>
</r>`)
	if err != nil {
		t.Fatal(err)
	}
	plain := []string{".", "a", "e:a", "a/b", "a/e:b", "e:a/b", "a/b/c", "a/./b", "./a/b/c", "x/a/b", "b", "a/f:b/c", "q:a", ":a", "a:"}
	others := []string{"a[2]/b", "a/b[c]", "//b", "a//c", "a/b/..", "*/b", "/r/a", "a[@k='v']"}
	var els []*etree.Element
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		els = append(els, e)
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(doc.Root())
	for _, p := range append(plain, others...) {
		xp, err := compileXMLTermPath(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if want := slices.Contains(plain, p); xp.plain != want {
			t.Errorf("%s: plain %v, want %v", p, xp.plain, want)
		}
		for _, e := range els {
			if got, want := xp.first(e), e.FindElementPath(xp.Path); got != want {
				t.Errorf("%s from <%s>: first %v, etree %v", p, e.FullTag(), got, want)
			}
			if got, want := xp.all(e), e.FindElementsPath(xp.Path); !slices.Equal(got, want) {
				t.Errorf("%s from <%s>: all %v, etree %v", p, e.FullTag(), got, want)
			}
		}
	}
}
