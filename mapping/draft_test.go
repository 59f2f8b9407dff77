package mapping

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
)

// fluxgate mapping draft (issue 13 point 7): on the shipped exports, a draft needs only the
// seller's constants to give valid invoices, the same as the hand-written mappings give.

// seller is what the integrator fills in: the example seller's own terms.
var seller = map[string]string{
	"vendeur.nom": "Les Fromageries du Val de Saône", "vendeur.siret": "48239175200011", "vendeur.siren": "482391752",
	"vendeur.tva": "FR64482391752", "vendeur.adresse": "12 rue des Tanneurs", "vendeur.cp": "21000", "vendeur.ville": "Dijon",
	"vendeur.iban": "FR7630004013280001234567810", "vendeur.bic": "BNPAFRPPXXX",
}

var (
	todoConst = regexp.MustCompile(`<constant name="([^"]+)">TODO[^<]*</constant>`)
	comments  = regexp.MustCompile(`(?s)<!--.*?-->`)
)

// fillSeller replaces the TODO constants of a draft with the seller's values.
func fillSeller(t *testing.T, draft []byte) []byte {
	t.Helper()
	n := 0
	out := todoConst.ReplaceAllFunc(draft, func(m []byte) []byte {
		name := string(todoConst.FindSubmatch(m)[1])
		v, ok := seller[name]
		if !ok {
			t.Errorf("a TODO constant that is not the seller's: %s", m)
		}
		n++
		return []byte(`<constant name="` + name + `">` + v + `</constant>`)
	})
	if n != len(seller) {
		t.Errorf("%d TODO constants filled, want the %d of the seller", n, len(seller))
	}
	// Nothing else needs the integrator: the TODO left are in comments.
	if bare := comments.ReplaceAll(out, nil); bytes.Contains(bare, []byte("TODO")) {
		t.Errorf("TODO outside a comment:\n%s", bare)
	}
	return out
}

func TestDraftsOfTheShippedExports(t *testing.T) {
	for _, c := range []struct{ export, mapping, want string }{
		{exampleExport, exampleMapping, `encoding="windows-1252" delimiter=";" header="true" decimal="," date="dd/mm/yyyy"`},
		{fixedExport, fixedMapping, `<source format="fixed" encoding="cp850" type-start="1" type-length="2"`},
		{xmlExport, xmlMapping, `<record name="facture" path="/erp:Export/erp:Invoice"/>`},
		{caisseExport, caisseMapping, `skip-last="1">`},
	} {
		t.Run(filepath.Base(c.export), func(t *testing.T) {
			data, err := os.ReadFile(c.export)
			if err != nil {
				t.Fatal(err)
			}
			draft, err := Draft(data, filepath.Base(c.export))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(draft, []byte(c.want)) {
				t.Errorf("the draft lacks %s", c.want)
			}
			dir := t.TempDir()
			p := filepath.Join(dir, "draft.xml")
			os.WriteFile(p, draft, 0o644)
			testutil.ValidateXSD(t, "../xsd/mapping.xsd", p)
			// As written, with its TODO constants, the draft loads and maps at once.
			m, err := Parse(p, draft)
			if err != nil {
				t.Fatalf("the draft does not load:\n%v\n%s", err, draft)
			}
			raw, _ := mapNotices(t, m, data)
			for _, r := range raw {
				if len(r.Problems) > 0 {
					t.Errorf("%s: %v", r.Key, r.Problems)
				}
			}
			// With the seller's constants, every invoice is valid, and the same as the
			// hand-written mapping's.
			m, err = Parse(p, fillSeller(t, draft))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := mapNotices(t, m, data)
			hand, err := Load(c.mapping)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := mapNotices(t, hand, data)
			if len(got) != len(want) {
				t.Fatalf("%d invoices, the hand-written mapping gives %d", len(got), len(want))
			}
			for i, r := range got {
				if len(r.Problems) > 0 || len(r.Warnings) > 0 {
					t.Errorf("%s: %v %v", r.Key, r.Problems, r.Warnings)
				}
				for _, v := range invoice.Check(r.Invoice, nil) {
					if v.Severity == invoice.Fatal {
						t.Errorf("%s: %s %s", r.Key, v.Rule, v.EN)
					}
				}
				g, h := r.Invoice, want[i].Invoice
				if !g.Totals.TaxInclusive.Equal(*h.Totals.TaxInclusive) || g.TypeCode != h.TypeCode || len(g.Lines) != len(h.Lines) || g.Buyer.Name != h.Buyer.Name || g.IssueDate != h.IssueDate {
					t.Errorf("%s: total %s type %s, %d lines, buyer %q, %v; the hand-written mapping: %s %s, %d lines, %q, %v",
						r.Key, g.Totals.TaxInclusive, g.TypeCode, len(g.Lines), g.Buyer.Name, g.IssueDate, h.Totals.TaxInclusive, h.TypeCode, len(h.Lines), h.Buyer.Name, h.IssueDate)
				}
			}
		})
	}
}

func TestDraftDetects(t *testing.T) {
	data, _ := os.ReadFile(exampleExport)
	utf8, err := decodeCP1252(data)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		data []byte
		want []string
	}{
		"utf-16": {utf16Bytes(string(utf8), false, true), []string{`encoding="utf-16"`, "UTF-16 little-endian byte-order mark FF FE"}},
		"utf-8":  {utf8, []string{`encoding="utf-8"`, "valid UTF-8"}},
		"comma":  {[]byte(strings.ReplaceAll(strings.ReplaceAll(string(utf8), ",", "."), ";", ",")), []string{`delimiter=","`, `decimal="."`}},
	} {
		draft, err := Draft(c.data, "ventes.csv")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, w := range c.want {
			if !bytes.Contains(draft, []byte(w)) {
				t.Errorf("%s: lacks %q", name, w)
			}
		}
		if _, err := Parse("d.xml", draft); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Draft([]byte("  \n"), "vide.csv"); err == nil {
		t.Error("an empty export gave a draft")
	}
}

func decodeCP1252(b []byte) ([]byte, error) { return charmap.Windows1252.NewDecoder().Bytes(b) }
