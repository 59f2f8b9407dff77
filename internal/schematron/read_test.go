package schematron

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// etreeDocument parses data as Read did before the scanner: etree, then FromEtree.
func etreeDocument(data []byte) (*Document, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, err
	}
	return FromEtree(doc), nil
}

// dumpDocument writes every node of d with all its fields, what the readers see of it
// (Text, Element), and its name index.
func dumpDocument(d *Document) string {
	var b strings.Builder
	root := int32(-1)
	if e := d.Element(); e != nil {
		root = e.order
	}
	fmt.Fprintf(&b, "root element %d\n", root)
	for _, n := range d.all {
		parent := int32(-1)
		if n.Parent != nil {
			parent = n.Parent.order
		}
		fmt.Fprintf(&b, "%d k%d {%q}%q:%q name=%q v=%q text=%q parent=%d at=%d end=%d children=%d\n",
			n.order, n.Kind, n.Space, n.Prefix(), n.Local, n.Name(), n.Value, n.Text(), parent, n.at, n.end, len(n.Children))
		if d.all[n.at] != n {
			b.WriteString("  misplaced in all\n")
		}
		for _, c := range n.Children {
			fmt.Fprintf(&b, "  child %d\n", c.order)
		}
		for _, a := range n.Attrs {
			fmt.Fprintf(&b, "  @%d {%q}%q:%q name=%q v=%q parent=%d\n", a.order, a.Space, a.Prefix(), a.Local, a.Name(), a.Value, a.Parent.order)
		}
	}
	for i, k := range d.byName.names {
		list := d.byName.lists[i]
		fmt.Fprintf(&b, "name {%q}%q:", k.space, k.local)
		for _, n := range list {
			fmt.Fprintf(&b, " %d", n.order)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// sameAsEtree checks that Read gives data the tree and the error etree and FromEtree give
// it, and reports whether the scanner read it (rather than etree).
func sameAsEtree(t *testing.T, name string, data []byte) bool {
	t.Helper()
	want, wantErr := etreeDocument(data)
	// The scanner reads the bytes in place: the tree must keep none of them, whatever the
	// caller does with them afterwards.
	read := bytes.Clone(data)
	got, err := Read(read)
	for i := range read {
		read[i] = 'x'
	}
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%s: error %v, etree's %v", name, err, wantErr)
	}
	if err != nil {
		return false
	}
	// The name index is a map: its lines may come in any order.
	if got, want := dumpDocument(got), dumpDocument(want); !sameLines(got, want) {
		t.Fatalf("%s: trees differ from etree's:\n%s", name, firstDiff(got, want))
	}
	doc := etree.NewDocument()
	if doc.ReadFromBytes(data) == nil && doc.Root() != nil {
		sameTexts(t, name, doc.Root(), got.Element())
	}
	// Released, the document's memory serves the next reads: every later comparison
	// checks that nothing of this one shows through.
	got.Release()
	scannedDoc, scanned := Scan(data)
	if scanned {
		scannedDoc.Release()
	}
	return scanned
}

// sameTexts checks that every element's Text is etree's, what the readers took before they
// walked Nodes. A processing instruction or a directive (`<!x>`, only legal before the
// root) ends etree's text and is no node: such elements are left out.
func sameTexts(t *testing.T, name string, e *etree.Element, n *Node) {
	t.Helper()
	noNode := slices.ContainsFunc(e.Child, func(t etree.Token) bool {
		switch t.(type) {
		case *etree.ProcInst, *etree.Directive:
			return true
		}
		return false
	})
	if got, want := n.Text(), e.Text(); got != want && !noNode {
		t.Fatalf("%s: %s has text %q, etree's %q", name, n.Path(), got, want)
	}
	children := n.Elements()
	for i, c := range e.ChildElements() {
		sameTexts(t, name, c, children[i])
	}
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
		if _, ok := Scan(data); !ok {
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
	`<a xmlns:p="u"><p:b/><p:b xmlns:p="v"/><p:b/><c xmlns:p="v"><p:b/></c><p:b/></a>`,
	`<b xmlns="u"><b/><b xmlns="v"><b/></b><b/></b>`,
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
	"<a></a\n\t>",
	`<a:1b/>`,
	`<a._-1:b.2/>`,
	`<a:b></a:b:c>`,
	`<a:b></a:bc>`,
	`<ab></a>`,
	`<a></ab>`,
	`<a></a:>`,
	`<a></a/>`,
	`<a></a`,
	"<a></a\xc3\xa9>",
	"<a>x]y]]z</a>",
	"<a>\t\n\r</a>",
	"<a>\x7f\x1f</a>",
}

func TestReadAsEtree(t *testing.T) {
	for _, c := range readCases {
		sameAsEtree(t, fmt.Sprintf("%q", c), []byte(c))
	}
	if _, ok := Scan([]byte(plainDocument)); !ok {
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
