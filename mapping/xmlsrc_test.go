package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/beevik/etree"
	"golang.org/x/text/encoding/charmap"
)

// The XML source's scanner is held to the encoding/xml reader it replaced
// (xmlsrc_ref_test.go): for any input, the same records (kind, lines, path, element tree
// with each element's line) or the same error (line and message).

// diffSource reads the records of the XML example, rows anywhere, and <b> under <a>; it
// gives a prefix to the namespace xml: attributes are in.
func diffSource(t testing.TB) *source {
	src := &source{format: "xml", nsPrefix: map[string]string{}, nsURI: map[string]string{}}
	for p, u := range map[string]string{"e": "urn:example:erp:export:2", "x": xmlURL} {
		src.nsPrefix[u], src.nsURI[p] = p, u
	}
	for i, p := range []string{"/e:Export/e:Invoice", "//Row", "/a//b"} {
		steps, err := compileXMLPath(p, src.nsURI)
		if err != nil {
			t.Fatal(err)
		}
		src.kinds = append(src.kinds, &recKind{idx: i, name: p, path: steps, text: p})
	}
	return src
}

// dumpRecords reads records to the end or the first error and writes down all they hold.
func dumpRecords(src *source, data []byte, newReader func(io.Reader, string, *source) recordReader) string {
	m := &Mapping{src: *src}
	r, err := m.prepare(bytes.NewReader(data), "f.xml")
	if err != nil {
		return "prepare: " + err.Error()
	}
	rd := newReader(r, "f.xml", src)
	var b strings.Builder
	for {
		rec, err := rd.next()
		if err == io.EOF {
			return b.String()
		}
		if err != nil {
			var fe *FileError
			if errors.As(err, &fe) {
				fmt.Fprintf(&b, "FileError line %d: %s", fe.Line, fe.EN)
			} else {
				b.WriteString("error: " + err.Error())
			}
			return b.String()
		}
		fmt.Fprintf(&b, "record kind %d lines %d-%d %s\n", rec.kind, rec.line, rec.end, rec.x.path())
		dumpTree(&b, rd, rec, "  ")
	}
}

// dumpTree writes down a record's tree: the reference reader's etree; the scanner's own
// tree, and its etree copy when that differs (which it should not).
func dumpTree(b *strings.Builder, rd recordReader, rec *record, indent string) {
	if ref, ok := rd.(*oldXMLReader); ok {
		tree := ref.trees[rec.x]
		dumpElement(b, tree.root, func(e *etree.Element) int { return tree.lines[e] }, indent)
		return
	}
	var own, copied strings.Builder
	dumpNode(&own, rec.x, rec.el, indent)
	dumpElement(&copied, rec.x.etreeOf(rec.el), func(e *etree.Element) int { return rec.x.node(e).line }, indent)
	b.WriteString(own.String())
	if own.String() != copied.String() {
		b.WriteString("etree copy differs:\n" + copied.String())
	}
}

func dumpElement(b *strings.Builder, e *etree.Element, lineOf func(*etree.Element) int, indent string) {
	fmt.Fprintf(b, "%s<%s> line %d", indent, e.FullTag(), lineOf(e))
	for _, a := range e.Attr {
		fmt.Fprintf(b, " %s=%q", a.FullKey(), a.Value)
	}
	b.WriteByte('\n')
	for _, c := range e.Child {
		switch c := c.(type) {
		case *etree.Element:
			dumpElement(b, c, lineOf, indent+"  ")
		case *etree.CharData:
			fmt.Fprintf(b, "%s  %q\n", indent, c.Data)
		default:
			fmt.Fprintf(b, "%s  %T\n", indent, c)
		}
	}
}

// dumpNode writes down n as dumpElement writes down an etree element.
func dumpNode(b *strings.Builder, xr *xmlRec, n *xmlNode, indent string) {
	l, _ := xr.lineOf(n)
	fmt.Fprintf(b, "%s<%s> line %d", indent, xr.tag(n).full, l)
	for _, a := range xr.attrs[n.alo:n.ahi] {
		fmt.Fprintf(b, " %s=%q", xr.tags[a.name].full, xr.data[a.lo:a.hi])
	}
	b.WriteByte('\n')
	if n.tlo < n.thi {
		fmt.Fprintf(b, "%s  %q\n", indent, xr.data[n.tlo:n.thi])
	}
	for j := n.idx + 1; j < n.end; {
		c := &xr.nodes[j]
		if c.isText() {
			fmt.Fprintf(b, "%s  %q\n", indent, xr.data[c.tlo:c.thi])
			j++
			continue
		}
		dumpNode(b, xr, c, indent+"  ")
		j = c.end
	}
}

func newScanReader(r io.Reader, file string, src *source) recordReader {
	return newXMLReader(r, file, src)
}

func newRefReader(r io.Reader, file string, src *source) recordReader {
	return newOldXMLReader(r, file, src)
}

// checkSameAsRef fails when the scanner and the reference read data differently.
func checkSameAsRef(t *testing.T, src *source, data []byte) string {
	t.Helper()
	got, want := dumpRecords(src, data, newScanReader), dumpRecords(src, data, newRefReader)
	if got != want {
		t.Fatalf("input %q\nscanner:\n%s\nencoding/xml:\n%s", data, got, want)
	}
	return got
}

// xmlCases are inputs that exercise every branch of the scanner: each well-formedness error,
// namespaces, entities, CDATA, comments, PIs, DOCTYPE, line ends and encodings.
var xmlCases = []string{
	`<Export><Row a="1"><Qty>1</Qty></Row></Export>`,
	"<?xml version=\"1.0\"?>\r\n<!DOCTYPE x [<!ENTITY e \"v\"> <!-- c > --> <!ATTLIST a b CDATA '>'>]>\r\n<a>\r\n <b k='v'>x\r\ny</b><b/>\n<c><b>n</b></c></a>",
	"<a><b>1 &lt; 2 &amp;&gt;&apos;&quot; &#65;&#x42;&#x1F600; &#xD800;</b></a>",
	"<a><b><![CDATA[<x> & ]] > ]]><![CDATA[]]>t<!-- c -->u<?pi data?>v</b></a>",
	"<a><b>x<!--c--> <!--d-->y</b><b>\u00a0</b><b>  </b></a>",
	`<a><b t="l'eau">l'eau "x" d'Anjou</b><c t='"q"'>'</c><c t="a'b"c"/></a>`,
	`<e:Export xmlns:e="urn:example:erp:export:2"><e:Invoice id="1" xml:lang="fr" xmlns:f="urn:f" f:k="v"><e:N>1</e:N><N xmlns="urn:example:erp:export:2">2</N></e:Invoice></e:Export>`,
	`<Export xmlns="urn:example:erp:export:2"><Invoice><Row/></Invoice><e:Invoice xmlns:e="urn:other"/><Invoice xmlns="">3</Invoice></Export>`,
	`<Export><u:Row xmlns:u="urn:u"/><Row><z:b/></Row><p:Row/><Row xmlns:p="xmlns" p:q="1" a="1" a="2"/></Export>`,
	`<a:><:b/><c:/></a:>`,
	`<a><b é="1" _x.y-z="2"><naïve/></b></a>`,
	"<a>\n<b>\n<c>",
	"<a><b>x</a>",
	"<a><b></c></b></a>",
	`<a><p:b></q:b></a>`,
	"</a>",
	"<a></a></a>",
	"<a><b x=1/></a>",
	"<a><b x></b></a>",
	"<a><b x='<'/></a>",
	"<a><b/ ></a>",
	"<a><b></b ></a><a></b x></a>",
	"<a><b>]]></b></a>",
	"<a><b>&unknown;</b></a>",
	"<a><b>&amp</b></a>",
	"<a><b>& x</b></a>",
	"<a><b>&#;</b></a>",
	"<a><b>&#x110000;</b></a>",
	"<a><b>&#0;</b></a>",
	"<a><b>\x01</b></a>",
	"<a><b>\xff</b></a>",
	"<a><b>\uFFFE</b></a>",
	"<a><!- x --></a>",
	"<a><!-- x -- y --></a>",
	"<a><![CDAT[x]]></a>",
	"<a><![CDATA[x",
	"<a><? x?></a>",
	"<a><1b/></a>",
	"<a><b:c:d/></a>",
	"<a><b c:d:e='1'/></a>",
	"<a>\n\n<b",
	"<a b=\"x",
	"<!DOCTYPE a",
	`<?xml version="1.1"?><a/>`,
	`<?xml version="1.0" encoding="ebcdic"?><a/>`,
	"text before <a/> text after",
	"<a/><a/>",
	"<a/>\a",
	"",
	"\n\n",
}

func TestXMLScannerReadsAsEncodingXML(t *testing.T) {
	src := diffSource(t)
	for _, c := range xmlCases {
		checkSameAsRef(t, src, []byte(c))
	}
	for _, f := range []string{xmlExport} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkSameAsRef(t, src, data)
	}
	gen, _ := io.ReadAll(&genReader{n: 50, format: "xml"})
	checkSameAsRef(t, src, gen)
}

// Encodings: what the declaration names is decoded, even when the buffer holds bytes read
// before the declaration was; UTF-16 comes decoded by its byte-order mark.
func TestXMLScannerEncodings(t *testing.T) {
	src := diffSource(t)
	body := "<Export>" + strings.Repeat(" ", 70<<10) + "<Row n=\"Noël\">Comté € œ</Row></Export>"
	for _, enc := range []string{"windows-1252", "ISO-8859-15"} {
		cm := charmapFor(enc)
		data, err := cm.NewEncoder().Bytes([]byte(`<?xml version="1.0" encoding="` + enc + `"?>` + body))
		if err != nil {
			t.Fatal(err)
		}
		got := checkSameAsRef(t, src, data)
		if !strings.Contains(got, `"Comté € œ"`) {
			t.Errorf("%s: %s", enc, got[:min(len(got), 300)])
		}
	}
	latin1, _ := charmap.ISO8859_1.NewEncoder().Bytes([]byte(`<?xml version="1.0" encoding="iso-8859-1"?><Export><Row>Noël</Row></Export>`))
	if got := checkSameAsRef(t, src, latin1); !strings.Contains(got, `"Noël"`) {
		t.Errorf("iso-8859-1: %s", got)
	}
	u := utf16.Encode([]rune(`<?xml version="1.0" encoding="UTF-16"?><Export><Row>Noël</Row></Export>`))
	wide := []byte{0xFF, 0xFE}
	for _, c := range u {
		wide = append(wide, byte(c), byte(c>>8))
	}
	if got := checkSameAsRef(t, src, wide); !strings.Contains(got, `"Noël"`) {
		t.Errorf("utf-16: %s", got)
	}
}

// The messages a rejected export gets name the line where the XML breaks.
func TestXMLScannerErrors(t *testing.T) {
	src := diffSource(t)
	for _, c := range []struct{ in, want string }{
		{"<Export>\n<Row>\n<Qty>1</Row>", "FileError line 3: the file is not well-formed XML (line 3): element <Qty> closed by </Row>"},
		{"<Export>\n<Row>&eacute;</Row>", "FileError line 2: the file is not well-formed XML (line 2): invalid character entity &eacute;"},
		{"<Export>\n<Row>\n", "FileError line 3: the file is not well-formed XML (line 3): unexpected EOF"},
		{"<Export>\n<Row a=1/>", "FileError line 2: the file is not well-formed XML (line 2): unquoted or missing attribute value in element"},
	} {
		if got := checkSameAsRef(t, src, []byte(c.in)); got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

// A read error, even with the last bytes read, is not a FileError and names the line.
func TestXMLScannerReadError(t *testing.T) {
	src := diffSource(t)
	data := []byte("<Export>\n<Row>1</Row>\n<Row>")
	rd := newXMLReader(&readErrAtEnd{data: data}, "f.xml", src)
	var err error
	for err == nil {
		_, err = rd.next()
	}
	var fe *FileError
	if errors.As(err, &fe) || err.Error() != "f.xml: reading line 3: connection reset" {
		t.Fatalf("got %v", err)
	}
}

// A reader may return its last bytes with io.EOF or an error: none of them is lost, even
// when the XML declaration switches encodings after they were read.
func TestXMLScannerLastBytesWithError(t *testing.T) {
	src := diffSource(t)
	data, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(`<?xml version="1.0" encoding="windows-1252"?><Export><Row>Noël</Row></Export>`))
	for _, last := range []error{io.EOF, errors.New("connection reset")} {
		dump := func(newReader func(io.Reader, string, *source) recordReader) string {
			rd := newReader(&lastWithError{data: data, err: last}, "f.xml", src)
			var b strings.Builder
			for {
				rec, err := rd.next()
				if err != nil {
					return b.String() + err.Error()
				}
				dumpTree(&b, rd, rec, "")
			}
		}
		got, want := dump(newScanReader), dump(newRefReader)
		if got != want || !strings.Contains(got, "Noël") {
			t.Errorf("last read with %v:\n got %s\nwant %s", last, got, want)
		}
	}
}

// lastWithError returns all its data in one read, with err.
type lastWithError struct {
	data []byte
	err  error
}

func (r *lastWithError) Read(p []byte) (int, error) {
	n := copy(p, r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 {
		return n, r.err
	}
	return n, nil
}

// readErrAtEnd returns its data and a read error with the last of it.
type readErrAtEnd struct{ data []byte }

func (r *readErrAtEnd) Read(p []byte) (int, error) {
	n := copy(p, r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 {
		return n, errors.New("connection reset")
	}
	return n, nil
}

func FuzzXMLScanner(f *testing.F) {
	for _, c := range xmlCases {
		f.Add([]byte(c))
	}
	if data, err := os.ReadFile(xmlExport); err == nil {
		f.Add(data)
	}
	src := diffSource(f)
	m, err := Load(xmlMapping)
	if err != nil {
		f.Fatal(err)
	}
	paths := append(mappingPaths(m), shapePaths(f, m.src.steps)...)
	src.steps = m.src.steps
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSameAsRef(t, src, data)
		pathsAgreeWithEtree(t, &Mapping{src: *src}, src, data, paths)
	})
}

// A record too large for its offsets is refused as a file error naming it, not read wrong.
func TestXMLRecordTooLarge(t *testing.T) {
	src := diffSource(t)
	data := "<Export>\n<Row n=\"1\">short</Row>\n<Row>" + strings.Repeat("x", 300) + "</Row></Export>"
	rd := newXMLReader(strings.NewReader(data), "f.xml", src)
	rd.tree.limit = 100
	if _, err := rd.next(); err != nil {
		t.Fatalf("first record: %v", err)
	}
	_, err := rd.next()
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 3 || !strings.Contains(fe.EN, "element <Row> at line 3 is too large") {
		t.Fatalf("got %v", err)
	}
}
