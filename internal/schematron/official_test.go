package schematron

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/officialxslt"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// saxonPath writes the location of n as the compiled stylesheets do:
// /*:Invoice[namespace-uri()='…'][1]/*:ID[namespace-uri()='…'][1].
func saxonPath(n *Node) string {
	var parts []string
	for m := n; m != nil && m.Kind != DocumentNode; m = m.Parent {
		if m.Kind == AttributeNode {
			if m.Space == "" {
				parts = append(parts, "@"+m.Local)
			} else {
				parts = append(parts, fmt.Sprintf("@*[local-name()='%s' and namespace-uri()='%s']", m.Local, m.Space))
			}
			continue
		}
		at := 1
		if m.Parent != nil {
			for _, s := range m.Parent.Children {
				if s == m {
					break
				}
				if s.Kind == ElementNode && s.Local == m.Local && s.Space == m.Space {
					at++
				}
			}
		}
		parts = append(parts, fmt.Sprintf("*:%s[namespace-uri()='%s'][%d]", m.Local, m.Space, at))
	}
	slices.Reverse(parts)
	return "/" + strings.Join(parts, "/")
}

type officialCase struct {
	name    string
	sch     string // schematron source, relative to the bundle
	xslt    string // its official compilation
	saxonJS bool   // Saxon-HE 9.9 cannot compile it
	docs    []string
}

func exampleFiles(t *testing.T, syntax string) []string {
	shared := testutil.Shared(t)
	var files []string
	ex, _ := filepath.Glob(filepath.Join(shared, "examples", "invoices", syntax, "*"))
	files = append(files, ex...)
	if syntax == "ubl" {
		for _, d := range []string{"Invoice-unit-UBL", "CreditNote-unit-UBL"} {
			fs, _ := filepath.Glob(filepath.Join(shared, "examples", "rule-tests", d, "*.xml"))
			files = append(files, fs...)
		}
	} else {
		fs, _ := filepath.Glob(filepath.Join(shared, "examples", "rule-tests", "cii", "*.xml"))
		files = append(files, fs...)
	}
	return files
}

// TestOfficialAgreement runs the official schematrons with this package and their
// official compiled stylesheets with Saxon on the official examples and rule tests, and
// requires the same failed asserts (id, flag, location) per document.
func TestOfficialAgreement(t *testing.T) {
	bundle := testutil.Shared(t, "reference", "fnfe-ctc-1.4.0")
	ubl, cii := exampleFiles(t, "ubl"), exampleFiles(t, "cii")
	cases := []officialCase{
		{"EN16931 CII", "CII/EN16931/schematron/EN16931-CII-validation-preprocessed.sch", "CII/EN16931/2xslt/EN16931-CII-validation.xslt", false, cii},
		{"BR-FR CII", "CII/EN16931/schematron/BR-FR-Flux2-Schematron-CII.sch", "CII/EN16931/2xslt/BR-FR-Flux2-Schematron-CII.xslt", false, cii},
		{"BR-FR CII warning", "CII/EN16931/schematron/BR-FR-Flux2-Schematron-CII_WARNING.sch", "CII/EN16931/2xslt/BR-FR-Flux2-Schematron-CII_WARNING.xslt", false, cii},
		{"EN16931 UBL", "UBL/EN16931/schematron/EN16931-UBL-validation-preprocessed.sch", "UBL/EN16931/2xslt/EN16931-UBL-validation.xslt", false, ubl},
		{"BR-FR UBL", "UBL/EN16931/schematron/BR-FR-Flux2-Schematron-UBL.sch", "UBL/EN16931/2xslt/BR-FR-Flux2-Schematron-UBL.xslt", true, ubl},
	}
	if testing.Short() {
		t.Skip("runs the official stylesheets on every example")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(bundle, c.sch))
			if err != nil {
				t.Fatal(err)
			}
			s, err := Load(data)
			if err != nil {
				t.Fatal(err)
			}
			var want map[string][]officialxslt.Finding
			if c.saxonJS {
				want = officialxslt.SaxonJS(t, filepath.Join(bundle, c.xslt), c.docs)
			} else {
				want = officialxslt.Saxon(t, filepath.Join(bundle, c.xslt), c.docs)
			}
			agree := 0
			for _, f := range c.docs {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				doc, err := Parse(data)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				var got, exp []string
				for _, fl := range s.Run(doc) {
					if fl.Err != nil {
						t.Errorf("%s: %s: %v", filepath.Base(f), fl.Assert.ID, fl.Err)
						continue
					}
					got = append(got, fl.Assert.ID+" "+fl.Assert.Flag+" "+saxonPath(fl.Node))
				}
				for _, fl := range want[f] {
					exp = append(exp, fl.ID+" "+fl.Flag+" "+fl.Location)
				}
				slices.Sort(got)
				slices.Sort(exp)
				if slices.Equal(got, exp) {
					agree++
					continue
				}
				t.Errorf("%s:\n  only here:     %v\n  only official: %v", filepath.Base(f), minus(got, exp), minus(exp, got))
			}
			t.Logf("%d/%d documents agree", agree, len(c.docs))
		})
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if i := slices.Index(b, x); i >= 0 {
			b = slices.Delete(slices.Clone(b), i, i+1)
			continue
		}
		out = append(out, x)
	}
	return out
}
