package invoicetest

import (
	"testing"

	"github.com/fluxgate/fluxgate/invoice"
)

func TestDiff(t *testing.T) {
	a := &invoice.Invoice{Totals: invoice.Totals{Payable: invoice.Dec("100")}, Notes: nil}
	b := &invoice.Invoice{Totals: invoice.Totals{Payable: invoice.Dec("100.00")}, Notes: []invoice.Note{}}
	if d := Diff(a, b); len(d) != 0 {
		t.Errorf("equal models differ: %v", d)
	}
	b.Totals.Payable = invoice.Dec("100.01")
	b.Totals.Paid = invoice.Dec("0")
	b.Number = "X"
	if d := Diff(a, b); len(d) != 3 {
		t.Errorf("want 3 differences, got %v", d)
	}
}
