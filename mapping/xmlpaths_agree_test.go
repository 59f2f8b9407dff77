package mapping

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"slices"
	"testing"
)

// The paths walked on a record's own tree (xmlpath.go) must find what etree finds on the
// record's etree copy, and texts and attributes must read alike: on every shipped XML
// mapping's paths, on paths of every shape, from every element of every record.

// pathCheck is a path to check, with the attribute read at its end, if any (its key
// numbered with the path's steps).
type pathCheck struct {
	path *xmlPath
	attr string
	key  xmlTag
}

// mappingPaths are m's XML paths: its terms', its lines' and groups' select=.
func mappingPaths(m *Mapping) []pathCheck {
	var out []pathCheck
	for _, r := range m.refs {
		if r.path != nil {
			out = append(out, pathCheck{r.path, r.attr, r.key})
		}
	}
	for _, sc := range []*scope{m.head, m.line} {
		if sc == nil {
			continue
		}
		if sc.sel != nil {
			out = append(out, pathCheck{path: sc.sel})
		}
		for _, in := range sc.insts {
			if in.sel != nil {
				out = append(out, pathCheck{path: in.sel})
			}
		}
	}
	return out
}

// shapePaths are paths of every shape the walk does and does not do, with attributes,
// their steps numbered in steps (a mapping's: its source's records then match them by bit).
func shapePaths(t testing.TB, steps *xmlSteps) []pathCheck {
	var out []pathCheck
	for _, p := range []string{".", "e:Header/e:Number", "Qty", "e:Lines/e:Line", "a/b", "b", "x:b", "*/b", "//b", "b[1]", "b[@k='v']", "..", "a//c", ":a", "a:"} {
		xp, err := compileXMLTermPath(p, steps)
		if err != nil {
			t.Fatal(err)
		}
		for _, attr := range []string{"", "a", "k", "x:lang", "e:k"} {
			out = append(out, pathCheck{xp, attr, steps.number(newXMLTag(attr))})
		}
	}
	return out
}

// checkPathsAsEtree checks paths from every element of rec.
func checkPathsAsEtree(t testing.TB, rec *record, paths []pathCheck) int {
	t.Helper()
	xr := rec.x
	checked := 0
	for i := range xr.nodes {
		n := &xr.nodes[i]
		if n.isText() {
			continue
		}
		if got, want := xr.text(n), xr.etreeOf(n).Text(); got != want {
			t.Fatalf("%s: text %q, etree %q", xr.elemPath(rec.el, n), got, want)
		}
		for _, p := range paths {
			e := xr.etreeOf(n)
			first := p.path.first(xr, n)
			if want := xr.node(e.FindElementPath(p.path.Path)); first != want {
				t.Fatalf("%s from %s: found %v, etree %v", p.path.Path, xr.elemPath(rec.el, n), first, want)
			}
			var want []*xmlNode
			for _, w := range e.FindElementsPath(p.path.Path) {
				want = append(want, xr.node(w))
			}
			if got := p.path.all(xr, n); !slices.Equal(got, want) {
				t.Fatalf("%s from %s: all %v, etree %v", p.path.Path, xr.elemPath(rec.el, n), got, want)
			}
			if first != nil && p.attr != "" {
				v, ok := xr.attr(first, p.attr)
				a := xr.etreeOf(first).SelectAttr(p.attr)
				if ok != (a != nil) || ok && v != a.Value {
					t.Fatalf("%s/@%s from %s: %q %v, etree %v", p.path.Path, p.attr, xr.elemPath(rec.el, n), v, ok, a)
				}
				ref := &fieldRef{path: p.path, attr: p.attr, key: p.key}
				if v2, ok2 := ref.attrOf(xr, first); v2 != v || ok2 != ok {
					t.Fatalf("%s/@%s from %s: by key %q %v, by name %q %v", p.path.Path, p.attr, xr.elemPath(rec.el, n), v2, ok2, v, ok)
				}
			}
			checked++
		}
	}
	return checked
}

// pathsAgreeWithEtree reads data with src and checks paths on each record read.
func pathsAgreeWithEtree(t testing.TB, m *Mapping, src *source, data []byte, paths []pathCheck) int {
	t.Helper()
	r, err := m.prepare(bytes.NewReader(data), "f.xml")
	if err != nil {
		return 0
	}
	rd := newXMLReader(r, "f.xml", src)
	checked := 0
	for {
		rec, err := rd.next()
		if err != nil {
			return checked
		}
		checked += checkPathsAsEtree(t, rec, paths)
	}
}

func TestXMLPathsAgreeWithEtree(t *testing.T) {
	m, err := Load(xmlMapping)
	if err != nil {
		t.Fatal(err)
	}
	export, err := os.ReadFile(xmlExport)
	if err != nil {
		t.Fatal(err)
	}
	gen, _ := io.ReadAll(&genReader{n: 20, format: "xml"})
	paths := append(mappingPaths(m), shapePaths(t, m.src.steps)...)
	for _, data := range [][]byte{export, gen} {
		if n := pathsAgreeWithEtree(t, m, &m.src, data, paths); n == 0 {
			t.Fatal("no path checked")
		}
	}
	src := diffSource(t)
	src.steps = m.src.steps // the records of another source match the mapping's steps by bit too
	for _, c := range xmlCases {
		pathsAgreeWithEtree(t, &Mapping{src: *src}, src, []byte(c), paths)
	}
}

// The shipped XML mapping maps the same invoices when every term's path is one only etree
// evaluates (e:Header/e:Number[1] finds what e:Header/e:Number finds): the walk and the
// etree copy agree end to end, and the copy serves the paths the walk does not do.
func TestMapWithEtreePathsGivesSameInvoices(t *testing.T) {
	src, err := os.ReadFile(xmlMapping)
	if err != nil {
		t.Fatal(err)
	}
	termPath := regexp.MustCompile(`path="([^"@./][^"@]*?)(/@[^"]+)?"`)
	viaEtree := termPath.ReplaceAll(src, []byte(`path="$1[1]$2"`))
	if n := bytes.Count(viaEtree, []byte("[1]")); n < 30 {
		t.Fatalf("only %d paths rewritten", n)
	}
	export, err := os.ReadFile(xmlExport)
	if err != nil {
		t.Fatal(err)
	}
	gen, _ := io.ReadAll(&genReader{n: 30, format: "xml"})
	walked := map[string]int{} // paths walked, per mapping
	mapAll := func(mapping []byte, data []byte) (invoices []string, problems int) {
		m, err := Parse(xmlMapping, mapping)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range mappingPaths(m) {
			if p.path.plain {
				walked[string(mapping)]++
			}
		}
		err = m.Map(context.Background(), bytes.NewReader(data), "f.xml", func(r *Result) error {
			j, err := json.Marshal(r.Invoice)
			if err != nil {
				return err
			}
			invoices = append(invoices, string(j))
			problems += len(r.Problems)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return invoices, problems
	}
	for _, data := range [][]byte{export, gen} {
		want, wantProblems := mapAll(src, data)
		got, gotProblems := mapAll(viaEtree, data)
		if len(want) == 0 || !slices.Equal(got, want) || gotProblems != wantProblems {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Fatalf("via etree: %d invoices, %d problems; walked: %d invoices, %d problems; first differing invoice %d", len(got), gotProblems, len(want), wantProblems, i)
		}
	}
	if w, e := walked[string(src)], walked[string(viaEtree)]; w-e < 30 {
		t.Errorf("paths walked: %d in the mapping, %d rewritten: too few left to etree", w, e)
	}
}
