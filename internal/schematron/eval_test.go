package schematron

import (
	"strings"
	"testing"
)

const evalDoc = `<r xmlns="urn:a" xmlns:b="urn:b">
  <b:x n="1">10.50</b:x><b:x n="2">2</b:x><b:y>a#PMT#b#PMD#c</b:y>
  <b:z><b:x n="3">7</b:x></b:z>
</r>`

// evalSchema is a schema of prefixes a and b only, and evalDoc parsed.
func evalSchema(t *testing.T) (*Schema, *Document) {
	t.Helper()
	s := &Schema{NS: [][2]string{{"a", "urn:a"}, {"b", "urn:b"}}}
	if err := s.compile(); err != nil {
		t.Fatal(err)
	}
	doc, err := Parse([]byte(evalDoc))
	if err != nil {
		t.Fatal(err)
	}
	return s, doc
}

func TestEval(t *testing.T) {
	s, doc := evalSchema(t)
	for _, tc := range []struct{ expr, want string }{
		{"count(//b:x)", "3"},
		{"count(/a:r/b:x)", "2"},
		{"string(/a:r/b:x[2]/@n)", "2"},
		{"(//b:x)[last()]/@n/string()", "3"},
		{"//b:x[@n = '3']/string()", "7"},
		{"sum(//b:x)", "19.5"},
		{"sum(//b:x/xs:decimal(.))", "19.5"},
		{"xs:decimal('0.1') + xs:decimal('0.2') = xs:decimal('0.3')", "true"},
		{"round(2.5)", "3"},
		{"round(-2.5)", "-2"},
		{"//b:x = 2", "true"},
		{"//b:x = '2'", "true"},
		{"//b:x != 2", "true"},
		{"count(tokenize(string(//b:y), '#PMT#')) - 1 le 1", "true"},
		{"substring-before(substring-after(string(//b:y), '#PMT#'), '#')", "b"},
		{"string-join(//b:x/@n, ',')", "1,2,3"},
		{"count(distinct-values(('a', 'b', 'a')))", "2"},
		{"if (count(//b:x) > 2) then 'many' else 'few'", "many"},
		{"every $x in //b:x satisfies number($x) > 1", "true"},
		{"some $x in //b:x satisfies $x = '7'", "true"},
		{"count(//b:z/b:x/preceding::b:x)", "2"},
		{"name((//b:x)[1])", "b:x"},
		{"count(//b:x[ancestor::b:z])", "1"},
		{"matches('12345678901234', '^\\d{14}$')", "true"},
		{"replace('1.234.5', '\\.', '')", "12345"},
		{"normalize-space('  a   b ')", "a b"},
		{"substring('20260131', 5, 2)", "01"},
		{"'A' = ('A', 'B')", "true"},
		{"5 div 2", "2.5"},
		{"'true' cast as xs:boolean", "true"},
		{"count((//b:x | //b:y))", "4"},
		{"exists(//b:x[3])", "false"},
		{"concat('a', 1, true())", "a1true"},
	} {
		got, err := s.Eval(doc, tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s = %q, want %q", tc.expr, g, tc.want)
		}
	}
	for _, bad := range []string{"count(", "//b:x[", "unknown:fn()", "$nope"} {
		if _, err := s.Eval(doc, bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestRunPatternOrder: within a pattern the first rule whose context matches an element
// claims it; lets are evaluated before asserts; reports fire when true.
func TestRunPatternOrder(t *testing.T) {
	sch := `<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <ns prefix="a" uri="urn:a"/><ns prefix="b" uri="urn:b"/>
  <let name="total" value="count(//b:x)"/>
  <pattern id="p">
    <rule context="b:z/b:x"><assert id="inner" flag="warning" test="false()"/></rule>
    <rule context="b:x"><let name="n" value="@n"/><assert id="outer" flag="fatal" test="$n != '2' and $total = 3"/></rule>
  </pattern>
  <pattern id="q"><rule context="/a:r"><report id="rep" flag="warning" test="b:y"/></rule></pattern>
</schema>`
	s, err := Load([]byte(sch))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := Parse([]byte(evalDoc))
	var got []string
	for _, f := range s.Run(doc) {
		if f.Err != nil {
			t.Fatal(f.Err)
		}
		got = append(got, f.Assert.ID+"@"+f.Node.Path())
	}
	want := "outer@/r/b:x[2] inner@/r/b:z/b:x rep@/r"
	if strings.Join(got, " ") != want {
		t.Errorf("Run = %v, want %s", got, want)
	}
}

// TestNameIndex compares the steps that find elements through the document's name index
// (child and descendant steps with a declared name) with the same steps written with a
// wildcard, which test every node: nested elements of the same name, a name in another
// namespace, contexts below the root and an undeclared namespace must agree.
func TestNameIndex(t *testing.T) {
	const doc = `<r xmlns="urn:a" xmlns:b="urn:b" xmlns:c="urn:c">
  <b:x n="1"><b:x n="2"><b:x n="3"/></b:x><c:x n="4"/></b:x>
  <b:p n="5"><b:x n="6"/><x n="7"/><b:x n="8"><b:p n="9"><b:x n="10"/></b:p></b:x></b:p>
  <b:x n="11"/><c:x n="12"/>
</r>`
	s := &Schema{NS: [][2]string{{"a", "urn:a"}, {"b", "urn:b"}, {"c", "urn:c"}}}
	if err := s.compile(); err != nil {
		t.Fatal(err)
	}
	d, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	any := func(ns, local string) string {
		return "*[namespace-uri() = '" + ns + "' and local-name() = '" + local + "']"
	}
	for _, ctx := range []string{"/a:r", "/a:r/b:p", "(//b:x)[1]", "(//b:x)[2]", "(//b:p)[2]", "/a:r/b:x[2]"} {
		for _, step := range [][2]string{
			{"b:x", any("urn:b", "x")}, {"c:x", any("urn:c", "x")}, {"a:x", any("urn:a", "x")},
			{"b:p", any("urn:b", "p")}, {"b:none", any("urn:b", "none")},
		} {
			for _, axis := range []string{"", "descendant::", "descendant-or-self::", ".//"} {
				indexed := "string-join((" + ctx + ")/" + axis + step[0] + "/@n, ',')"
				scanned := "string-join((" + ctx + ")/" + axis + step[1] + "/@n, ',')"
				if axis == ".//" {
					indexed = "string-join((" + ctx + ")//" + step[0] + "/@n, ',')"
					scanned = "string-join((" + ctx + ")//" + step[1] + "/@n, ',')"
				}
				got, err := s.Eval(d, indexed)
				if err != nil {
					t.Fatalf("%s: %v", indexed, err)
				}
				want, err := s.Eval(d, scanned)
				if err != nil {
					t.Fatalf("%s: %v", scanned, err)
				}
				if strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("%s = %q, want %q (%s)", indexed, got, want, scanned)
				}
			}
		}
	}
	// An undeclared prefix is still an error when a node gets that far, and only then.
	if _, err := s.Eval(d, "count(/a:r/z:x)"); err == nil {
		t.Error("count(/a:r/z:x): no error for the undeclared prefix z")
	}
}
