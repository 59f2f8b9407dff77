package schematron

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// etreeTrees parses data as Read did before the scanner: etree, then FromEtree.
func etreeTrees(data []byte) (*etree.Document, *Document, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, nil, err
	}
	return doc, FromEtree(doc), nil
}

// dumpEtree writes every token of an etree tree with what the readers see of it: names,
// attributes in order, text with its whitespace flag, comments, processing instructions.
func dumpEtree(b *strings.Builder, e *etree.Element, depth int) {
	for i, t := range e.Child {
		if t.Parent() != e || t.Index() != i {
			fmt.Fprintf(b, "%d: token %d badly linked\n", depth, i)
		}
		switch c := t.(type) {
		case *etree.Element:
			fmt.Fprintf(b, "%d <%q|%q", depth, c.Space, c.Tag)
			for _, a := range c.Attr {
				fmt.Fprintf(b, " %q|%q=%q(%v)", a.Space, a.Key, a.Value, a.Element() == c)
			}
			b.WriteString(">\n")
			dumpEtree(b, c, depth+1)
		case *etree.CharData:
			fmt.Fprintf(b, "%d text %q ws=%v cdata=%v\n", depth, c.Data, c.IsWhitespace(), c.IsCData())
		case *etree.Comment:
			fmt.Fprintf(b, "%d comment %q\n", depth, c.Data)
		case *etree.ProcInst:
			fmt.Fprintf(b, "%d pi %q %q\n", depth, c.Target, c.Inst)
		default:
			fmt.Fprintf(b, "%d %T\n", depth, c)
		}
	}
}

// dumpDocument writes every node of d with all its fields, and its name index.
func dumpDocument(d *Document) string {
	var b strings.Builder
	for _, n := range d.all {
		parent := -1
		if n.Parent != nil {
			parent = n.Parent.order
		}
		fmt.Fprintf(&b, "%d k%d {%q}%q:%q name=%q v=%q parent=%d at=%d end=%d children=%d\n",
			n.order, n.Kind, n.Space, n.Prefix, n.Local, n.Name(), n.Value, parent, n.at, n.end, len(n.Children))
		if d.all[n.at] != n {
			b.WriteString("  misplaced in all\n")
		}
		for _, c := range n.Children {
			fmt.Fprintf(&b, "  child %d\n", c.order)
		}
		for _, a := range n.Attrs {
			fmt.Fprintf(&b, "  @%d {%q}%q:%q name=%q v=%q parent=%d\n", a.order, a.Space, a.Prefix, a.Local, a.Name(), a.Value, a.Parent.order)
		}
	}
	for k, list := range d.byName {
		fmt.Fprintf(&b, "name {%q}%q:", k.space, k.local)
		for _, n := range list {
			fmt.Fprintf(&b, " %d", n.order)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func dumpTrees(doc *etree.Document, d *Document) string {
	var b strings.Builder
	dumpEtree(&b, &doc.Element, 0)
	b.WriteString(dumpDocument(d))
	return b.String()
}

// sameAsEtree checks that Read gives data the trees and the error etree gives it, and
// reports whether the scanner read it (rather than etree).
func sameAsEtree(t *testing.T, name string, data []byte) bool {
	t.Helper()
	wantDoc, wantD, wantErr := etreeTrees(data)
	doc, d, err := Read(data)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%s: error %v, etree's %v", name, err, wantErr)
	}
	if err != nil {
		return false
	}
	// Maps print in random order: compare the dumps line by line as sets is not enough
	// for order; sort the name index part by building it the same way on both sides.
	if got, want := dumpTrees(doc, d), dumpTrees(wantDoc, wantD); !sameLines(got, want) {
		t.Fatalf("%s: trees differ from etree's:\n%s", name, firstDiff(got, want))
	}
	_, _, scanned := scan(data)
	return scanned
}

// sameLines compares two dumps whose lines may come in different orders only where they
// list the name index (a map).
func sameLines(a, b string) bool {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(la) != len(lb) {
		return false
	}
	count := map[string]int{}
	for i := range la {
		if !strings.HasPrefix(la[i], "name {") && la[i] != lb[i] {
			return false
		}
		count[la[i]]++
		count[lb[i]]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, etree %d", len(g), len(w))
}

// TestReadAsEtreeOnExamples reads every official example and test document: the scanner
// must give the trees etree gives, and read the plain documents itself.
func TestReadAsEtreeOnExamples(t *testing.T) {
	root := testutil.Shared(t)
	// ../shared may be a symbolic link, which WalkDir does not follow.
	if resolved, err := filepath.EvalSymlinks(root); err == nil {
		root = resolved
	}
	files, scanned := 0, 0
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(strings.ToLower(path), ".xml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if sameAsEtree(t, path, data) {
			scanned++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 600 {
		testutil.Missing(t, "only %d XML documents under %s", files, root)
	}
	t.Logf("%d documents, %d read by the scanner", files, scanned)
	for _, f := range []string{"examples/invoices/ubl/ubl-tc434-example1.xml", "examples/invoices/cii/CII_example1.xml"} {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := scan(data); !ok {
			t.Errorf("%s is not read by the scanner", f)
		}
	}
}

// plainDocument has every form the scanner reads itself.
const plainDocument = "\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<!-- c -->" +
	`<a xmlns="u" xmlns:p="v" p:x="1" y='2' xml:lang="fr"><p:b>t&amp;&lt;&#65;&#x42;&gt;&quot;&apos;</p:b>` +
	"<c d=\"x\r\ny\"/> é <![CDATA[<x>]]><!----></a>\n"

// readCases are the forms the scanner reads and those it must leave to etree.
var readCases = []string{
	`<a/>`,
	`<?xml version="1.0" encoding="UTF-8"?>` + "\n<a>x</a>\n",
	`<?xml version='1.0' encoding='utf-8' standalone="yes"?><a/>`,
	`<?xml version="1.1"?><a/>`,
	`<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>`,
	`<?xml-stylesheet href="x"?><a/>`,
	"\ufeff<a/>",
	"\ufeff<?xml version=\"1.0\"?>\r\n<a/>\r\n",
	"\ufeff\ufeff<a/>",
	"<a/>\ufeff",
	`<!DOCTYPE a><a/>`,
	plainDocument,
	`<a xmlns:p="v"><b xmlns:p="w"><p:c/></b><p:d/></a>`,
	`<a><b xmlns=""><c/></b></a>`,
	"<a>\r\nx\ry\r\r\n<b c=\"1\r\n2\"/></a>",
	`<a><![CDATA[<x>&amp;]]>y<![CDATA[]]></a>`,
	`<a><![CDATA[x &amp; y]]></a>`,
	`<a>x<!-- c -->y<!----></a><!-- after -->`,
	`<a><!-- c -- d --></a>`,
	`<a>x]]>y</a>`,
	`<a x="1" x="2"/>`,
	`<a x="1"y="2"/>`,
	`<a x=1/>`,
	`<a x/>`,
	`<a x="<"/>`,
	`<a>&nbsp;</a>`,
	`<a>&#0;</a>`,
	`<a>&#xD800;</a>`,
	`<a>&#x110000;</a>`,
	`<a>&#X41;</a>`,
	`<a>&amp</a>`,
	"<a>\x01</a>",
	"<a>\xff</a>",
	`<a>é€😀</a>`,
	`<a></b>`,
	`<a><b></a></b>`,
	`<a>`,
	`<a/><b/>`,
	`x<a/>`,
	`<a/>x`,
	"  <a/>  ",
	`<a:b:c/>`,
	`<:a/>`,
	`<a:/>`,
	`<1a/>`,
	`<a-1.b_c/>`,
	`<é/>`,
	`<a b:c="1" xmlns:b="u"/>`,
	`<a><?pi x?></a>`,
	``,
	`<`,
	`<a `,
	`</a>`,
	`<a></a >`,
	`<a ></a>`,
}

func TestReadAsEtree(t *testing.T) {
	for _, c := range readCases {
		sameAsEtree(t, fmt.Sprintf("%q", c), []byte(c))
	}
	if _, _, ok := scan([]byte(plainDocument)); !ok {
		t.Errorf("%q: the scanner leaves a plain document to etree", plainDocument)
	}
}

// FuzzRead: on any input, Read gives the trees and the error etree gives.
func FuzzRead(f *testing.F) {
	for _, c := range readCases {
		f.Add([]byte(c))
	}
	if data, err := os.ReadFile("../../../shared/examples/invoices/cii/CII_example1.xml"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsEtree(t, "input", data)
	})
}
