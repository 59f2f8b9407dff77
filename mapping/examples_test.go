package mapping

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
)

const (
	caisseMapping = "../examples/mappings/caisse-csv.xml"
	caisseExport  = "../examples/exports/caisse-2026-11.csv"
)

// The example with a totals row, a trailer record and discounts in % rounded by the
// software: every invoice valid, nothing phantom, the lines equal to the export's.
func TestCaisseExample(t *testing.T) {
	m, err := Load(caisseMapping)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(caisseExport)
	if err != nil {
		t.Fatal(err)
	}
	res, notes := mapNotices(t, m, data)
	if len(res) != 3 || len(notes) != 2 || notes[0].Position.Line != 9 || notes[1].Position.Line != 10 {
		t.Fatalf("%d invoices, notices %v", len(res), notes)
	}
	checkValid(t, res)
	sum := decimal.Zero
	for _, r := range res {
		if len(r.Warnings) > 0 {
			t.Errorf("%s: %v", r.Key, r.Warnings)
		}
		sum = sum.Add(*r.Invoice.Totals.TaxExclusive)
	}
	// The export's totals row says 1 776,14.
	if !sum.Equal(decimal.RequireFromString("1776.14")) {
		t.Errorf("total without VAT %s, the export says 1776.14", sum)
	}
	l := res[0].Invoice.Lines[0]
	dec(t, l.NetAmount, "258.88")
	dec(t, l.Allowances[0].Amount, "13.62")
	if len(res[0].Invoice.Lines[1].Allowances) != 0 {
		t.Errorf("a line without discount got an allowance: %+v", res[0].Invoice.Lines[1].Allowances)
	}

	// Following the percentage alone, two lines would be a cent away from the export: warned.
	src, _ := os.ReadFile(caisseMapping)
	naive := string(src)
	i, j := strings.Index(naive, `        <term bt="BT-137">`), strings.Index(naive, `        <term bt="BT-139"`)
	naive = naive[:i] + naive[j:]
	nm, err := Parse(caisseMapping, []byte(naive))
	if err != nil {
		t.Fatal(err)
	}
	res, _ = mapNotices(t, nm, data)
	var warned []int
	for _, r := range res {
		for _, w := range r.Warnings {
			warned = append(warned, w.Position.Line)
		}
		for _, v := range invoice.Check(r.Invoice, nil) {
			if v.Severity == invoice.Fatal {
				t.Errorf("%s: %v", r.Key, v)
			}
		}
	}
	// Comté (272,50 − 13,63 = 258,87), plateau (0,50 − 0,08 = 0,42), Morbier (55,625 −
	// 1,39 = 54,235 → 54,24): each a cent from the export's 258,88, 0,43 and 54,23.
	if fmt.Sprint(warned) != "[2 6 7]" {
		t.Errorf("warnings on lines %v, want [2 6 7]", warned)
	}
}
