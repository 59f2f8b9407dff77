package mapping

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/fluxgate/fluxgate/invoice"
)

// TestExtendedLinePrecedingInvoice: a mapping supplies the EXTENDED-CTC-FR terms of a line's
// preceding invoice (EXT-FR-FE-136, EXT-FR-FE-138), so that a credit note for several
// invoices names each one on its lines.
func TestExtendedLinePrecedingInvoice(t *testing.T) {
	src, err := os.ReadFile(exampleMapping)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), `<term bt="BT-126" column="NumLigne"/>`,
		`<term bt="BT-126" column="NumLigne"/>
      <term bt="EXT-FR-FE-136" column="FactureOrigine"/>
      <term bt="EXT-FR-FE-138" column="DateOrigine"/>`, 1)
	text = strings.Replace(text, `encoding="windows-1252"`, `encoding="utf-8"`, 1)
	text = strings.Replace(text, `<term bt="BT-24" value="urn:cen.eu:en16931:2017"/>`,
		`<term bt="BT-24" value="`+invoice.SpecExtendedCTCFR+`"/>`, 1)
	dir := t.TempDir()
	file := filepath.Join(dir, "extended.xml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	// The example export with the date of the invoice a credit note corrects (here: its own),
	// in UTF-8.
	export, err := os.ReadFile("../examples/exports/ventes-2026-11.csv")
	if err != nil {
		t.Fatal(err)
	}
	utf8, err := charmap.Windows1252.NewDecoder().Bytes(export)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(utf8))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		switch {
		case i == 0:
			rows[i] = append(row, "DateOrigine")
		case row[20] != "": // FactureOrigine
			rows[i] = append(row, row[2]) // DateFacture
		default:
			rows[i] = append(row, "")
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = ';'
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	credits := 0
	err = m.Map(context.Background(), &buf, "ventes.csv", func(res *Result) error {
		inv := res.Invoice
		if inv == nil || inv.Specification != invoice.SpecExtendedCTCFR {
			t.Errorf("%s: the profile is not declared", res.Key)
			return nil
		}
		for i, l := range inv.Lines {
			switch {
			case len(inv.PrecedingInvoices) == 0 && l.PrecedingInvoice != nil:
				t.Errorf("%s line %d: a preceding invoice from an empty column: %+v", res.Key, i+1, l.PrecedingInvoice)
			case len(inv.PrecedingInvoices) > 0:
				p := l.PrecedingInvoice
				if p == nil || p.Number != inv.PrecedingInvoices[0].Number || p.IssueDate != inv.IssueDate {
					t.Errorf("%s line %d: preceding invoice %+v", res.Key, i+1, p)
				}
			}
		}
		if len(inv.PrecedingInvoices) > 0 {
			credits++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if credits == 0 {
		t.Fatal("the example export has no credit note")
	}
}
