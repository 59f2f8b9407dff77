package mapping

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// mapNotices maps data and returns the invoices and the notices.
func mapNotices(t *testing.T, m *Mapping, data []byte) ([]*Result, []Notice) {
	t.Helper()
	var res []*Result
	var notes []Notice
	err := m.MapWith(t.Context(), bytes.NewReader(data), "export.csv", Options{Notice: func(n Notice) { notes = append(notes, n) }}, func(r *Result) error {
		res = append(res, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return res, notes
}

const totalsExport = "No;Date;Client;Article;Qte;Prix\r\n" +
	"F1;01/11/2026;Dupont;Vis;1;2\r\n" +
	"F2;01/11/2026;Martin;Clou;3;4\r\n" +
	";;;Total général;4;14\r\n" +
	"\r\n"

func TestSkipTotalsRow(t *testing.T) {
	// Without a filter, the totals row is a phantom invoice with an empty key.
	res, _ := mapNotices(t, mustParse(t, small), []byte(totalsExport))
	if len(res) != 3 || res[2].Problems[0].Rule != RuleKey {
		t.Fatalf("without <skip>: %d invoices", len(res))
	}
	for name, skip := range map[string]string{
		"empty key":   `<skip column="No" empty="true"/>`,
		"pattern":     `<skip column="Article" matches="^Total"/>`,
		"equals":      `<skip column="Article" equals="Total général"/>`,
		"in":          `<skip column="Article" in="Sous-total|Total général"/>`,
		"not-equals":  `<skip column="Date" not-equals="01/11/2026"/>`,
		"skip-last":   ``,
		"two filters": `<skip column="Article" equals="Report"/><skip column="No" empty="true"/>`,
	} {
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(small, `decimal=","/>`, `decimal=",">`+skip+`</source>`, 1)
			if name == "skip-last" {
				src = strings.Replace(small, `decimal=","/>`, `decimal="," skip-last="1"/>`, 1)
			}
			res, notes := mapNotices(t, mustParse(t, src), []byte(totalsExport))
			if len(res) != 2 || res[1].Key != "F2" {
				t.Fatalf("%d invoices", len(res))
			}
			for _, r := range res {
				if len(r.Problems) > 0 {
					t.Errorf("%s: %v", r.Key, r.Problems)
				}
			}
			if len(notes) != 1 || notes[0].Rule != RuleSkip || notes[0].Position.Line != 4 || !strings.Contains(notes[0].EN, "line 4 skipped") || !strings.Contains(notes[0].FR, "ligne 4 ignorée") {
				t.Fatalf("notices %v", notes)
			}
		})
	}
}

func TestSkipLastNeedsTheFileEnd(t *testing.T) {
	src := strings.Replace(small, `decimal=","/>`, `decimal="," skip-last="2"/>`, 1)
	res, notes := mapNotices(t, mustParse(t, src), []byte(totalsExport+"TOTAL;;;;;\r\n"))
	if len(res) != 2 || len(notes) != 2 || notes[0].Position.Line != 4 || notes[1].Position.Line != 6 {
		t.Fatalf("%d invoices, notices %v", len(res), notes)
	}
	// Fewer records than skip-last: nothing is mapped, everything is told.
	res, notes = mapNotices(t, mustParse(t, src), []byte("No;Date;Client;Article;Qte;Prix\nF1;01/11/2026;Dupont;Vis;1;2\n"))
	if len(res) != 0 || len(notes) != 1 {
		t.Fatalf("%d invoices, notices %v", len(res), notes)
	}
}

func TestSkipTrailerRecord(t *testing.T) {
	data, err := os.ReadFile(fixedExport)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte("99FIN DE FICHIER 000003\r\n")...)
	orig, err := os.ReadFile(fixedMapping)
	if err != nil {
		t.Fatal(err)
	}
	// Undeclared, the trailer is a record of unknown type: a problem of the last invoice.
	m, err := Parse(fixedMapping, orig)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := mapNotices(t, m, data)
	if p := res[2].Problems; len(p) != 1 || p[0].Rule != RuleRecord {
		t.Fatalf("without <skip>: %v", p)
	}
	for _, skip := range []string{`<skip type="99"/>`, `<skip record="fin"/>`} {
		src := strings.Replace(string(orig), "  </source>", `    <record name="fin" type="99"><field name="Texte" start="3" length="14"/></record>`+"\n    "+skip+"\n  </source>", 1)
		if skip == `<skip type="99"/>` {
			src = strings.Replace(string(orig), "  </source>", "    "+skip+"\n  </source>", 1)
		}
		m, err := Parse(fixedMapping, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		res, notes := mapNotices(t, m, data)
		if len(res) != 3 {
			t.Fatalf("%s: %d invoices", skip, len(res))
		}
		for _, r := range res {
			if len(r.Problems) > 0 {
				t.Errorf("%s: %s: %v", skip, r.Key, r.Problems)
			}
		}
		if len(notes) != 1 || notes[0].Position.Line != 19 || !strings.Contains(notes[0].EN, "skipped: record ") {
			t.Errorf("%s: notices %v", skip, notes)
		}
	}
}

func TestSkipFieldOfOneKind(t *testing.T) {
	// A test on a field applies to the kinds that have it: other records are not skipped.
	data, err := os.ReadFile(fixedExport)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(fixedMapping)
	src := strings.Replace(string(orig), "  </source>", `    <skip field="Article" equals="TRANSP"/>`+"\n  </source>", 1)
	m, err := Parse(fixedMapping, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, notes := mapNotices(t, m, data)
	if len(res) != 3 || len(res[0].Invoice.Lines) != 2 || len(notes) != 1 || notes[0].Position.Line != 4 {
		t.Fatalf("%d invoices, %d lines, notices %v", len(res), len(res[0].Invoice.Lines), notes)
	}
}

func TestSkipLoadErrors(t *testing.T) {
	for skip, want := range map[string]string{
		`<skip/>`:             "<skip> needs what it skips",
		`<skip column="No"/>`: "needs a test",
		`<skip equals="x"/>`:  "<skip> tests a value",
		`<skip column="No" field="No" empty="true"/>`: "tests one value",
		`<skip type="99"/>`:                           "needs records told apart by a type code",
		`<skip record="nope"/>`:                       `unknown record "nope"`,
		`<skip column="No" matches="(("/>`:            "not a regular expression",
		`<skip column="No" empty="perhaps"/>`:         "must be true or false",
	} {
		_, err := Parse("m.xml", []byte(strings.Replace(small, `decimal=","/>`, `decimal=",">`+skip+`</source>`, 1)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", skip, err, want)
		}
	}
}
