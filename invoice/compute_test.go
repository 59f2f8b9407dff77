package invoice

import (
	"testing"

	"github.com/shopspring/decimal"
)

func str(d *decimal.Decimal) string {
	if d == nil {
		return "<nil>"
	}
	return d.String()
}

func eqDec(t *testing.T, what string, got *decimal.Decimal, want string) {
	t.Helper()
	if want == "" {
		if got != nil {
			t.Errorf("%s = %s, want absent", what, got)
		}
		return
	}
	if got == nil || !got.Equal(decimal.RequireFromString(want)) {
		t.Errorf("%s = %s, want %s", what, str(got), want)
	}
}

type wantVAT struct{ cat, rate, taxable, tax string }

func TestComplete(t *testing.T) {
	tests := []struct {
		name   string
		inv    func() *Invoice
		lines  []string // BT-131 per line
		vat    []wantVAT
		totals [10]string // BT-106, 107, 108, 109, 110, 111, 112, 113, 114, 115
	}{
		{
			name:   "french invoice 20 % and 5.5 %",
			inv:    frInvoice,
			lines:  []string{"270.00", "4.10", "4.10", "33.33"},
			vat:    []wantVAT{{"S", "20", "313.33", "62.67"}, {"S", "5.5", "8.20", "0.45"}},
			totals: [10]string{"311.53", "5.00", "15.00", "321.53", "63.12", "", "384.65", "100.00", "", "284.65"},
		},
		{
			name: "present values are kept",
			inv: func() *Invoice {
				inv := frInvoice()
				inv.Lines[1].NetAmount = Dec("4.20") // inconsistent with 1 × 4.10, left for the checks
				inv.Totals.LineTotal = Dec("999.99")
				return inv
			},
			lines:  []string{"270.00", "4.20", "4.10", "33.33"},
			vat:    []wantVAT{{"S", "20", "313.33", "62.67"}, {"S", "5.5", "8.30", "0.46"}},
			totals: [10]string{"999.99", "5.00", "15.00", "1009.99", "63.13", "", "1073.12", "100.00", "", "973.12"},
		},
		{
			name: "base quantity, line charge, no document allowances",
			inv: func() *Invoice {
				inv := frInvoice()
				inv.Allowances, inv.Charges, inv.Totals.Paid = nil, nil, nil
				inv.Totals.Rounding = Dec("0.01")
				inv.Lines = []Line{{
					ID: "1", Quantity: Dec("250"), UnitCode: "C62",
					Price:       Price{Net: Dec("12.34"), BaseQuantity: Dec("100")}, // 30.85
					Charges:     []AllowanceCharge{{Amount: Dec("2.00"), ReasonCode: "ABL"}},
					VATCategory: "S", VATRate: Dec("20"), Item: Item{Name: "Vis"},
				}}
				return inv
			},
			lines:  []string{"32.85"},
			vat:    []wantVAT{{"S", "20", "32.85", "6.57"}},
			totals: [10]string{"32.85", "", "", "32.85", "6.57", "", "39.42", "", "0.01", "39.43"},
		},
		{
			name: "exempt and not subject: no tax, no invented reason",
			inv: func() *Invoice {
				inv := frInvoice()
				inv.Allowances, inv.Charges, inv.Totals.Paid = nil, nil, nil
				inv.Lines = []Line{
					{ID: "1", Quantity: Dec("1"), UnitCode: "C62", Price: Price{Net: Dec("100")},
						VATCategory: "E", VATRate: Dec("0"), Item: Item{Name: "Formation"}},
					{ID: "2", Quantity: Dec("-1"), UnitCode: "C62", Price: Price{Net: Dec("10.005")},
						VATCategory: "O", Item: Item{Name: "Débours"}},
				}
				return inv
			},
			lines:  []string{"100.00", "-10.01"}, // −10.005 rounds away from zero
			vat:    []wantVAT{{"E", "0", "100.00", "0.00"}, {"O", "", "-10.01", "0.00"}},
			totals: [10]string{"89.99", "", "", "89.99", "0.00", "", "89.99", "", "", "89.99"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := tt.inv()
			Complete(inv)
			for i, want := range tt.lines {
				eqDec(t, "BT-131 of "+LinePath(i), inv.Lines[i].NetAmount, want)
			}
			if len(inv.VAT) != len(tt.vat) {
				t.Fatalf("VAT breakdown has %d entries, want %d: %+v", len(inv.VAT), len(tt.vat), inv.VAT)
			}
			for i, w := range tt.vat {
				v := inv.VAT[i]
				if v.Category != w.cat {
					t.Errorf("%s category = %q, want %q", vatPath(i), v.Category, w.cat)
				}
				eqDec(t, vatPath(i)+" BT-119", v.Rate, w.rate)
				eqDec(t, vatPath(i)+" BT-116", v.TaxableAmount, w.taxable)
				eqDec(t, vatPath(i)+" BT-117", v.TaxAmount, w.tax)
				if v.ExemptionReason != "" || v.ExemptionReasonCode != "" {
					t.Errorf("%s: exemption reason invented: %q %q", vatPath(i), v.ExemptionReason, v.ExemptionReasonCode)
				}
			}
			tot := inv.Totals
			got := []*decimal.Decimal{tot.LineTotal, tot.AllowanceTotal, tot.ChargeTotal, tot.TaxExclusive, tot.TaxTotal,
				tot.TaxTotalAcctCurr, tot.TaxInclusive, tot.Paid, tot.Rounding, tot.Payable}
			names := []string{"BT-106", "BT-107", "BT-108", "BT-109", "BT-110", "BT-111", "BT-112", "BT-113", "BT-114", "BT-115"}
			for i := range got {
				eqDec(t, names[i], got[i], tt.totals[i])
			}
		})
	}
}

func TestCompleteDetails(t *testing.T) {
	inv := frInvoice()
	Complete(inv)
	eqDec(t, "BT-146 from gross − discount", inv.Lines[0].Price.Net, "100.00")
	eqDec(t, "BT-136 from base × percentage", inv.Lines[0].Allowances[0].Amount, "30.00")
	eqDec(t, "BT-92 from base × percentage", inv.Allowances[0].Amount, "5.00")
	if inv.Specification != SpecEN16931 {
		t.Errorf("BT-24 changed to %q", inv.Specification)
	}
	// Amounts keep two decimals in their written form (BR-DEC-*).
	for _, d := range []*decimal.Decimal{inv.Lines[1].NetAmount, inv.VAT[1].TaxableAmount, inv.Totals.TaxInclusive} {
		if decimals(d) != 2 {
			t.Errorf("amount written %s, want two decimals", d)
		}
	}
	if got := Check(inv, nil); len(got) != 0 {
		t.Errorf("completed invoice has violations:\n%v", got)
	}

	// Complete is idempotent.
	before := inv.Totals.Payable.String()
	Complete(inv)
	if inv.Totals.Payable.String() != before || len(inv.VAT) != 2 {
		t.Errorf("second Complete changed the invoice")
	}

	// Nothing to compute from: a line without quantity stays without net amount.
	inv = frInvoice()
	inv.Lines[1].Quantity = nil
	Complete(inv)
	if inv.Lines[1].NetAmount != nil {
		t.Errorf("BT-131 computed without quantity: %s", inv.Lines[1].NetAmount)
	}
	Complete(nil) // must not panic
}

func TestRound2HalfAwayFromZero(t *testing.T) {
	for in, want := range map[string]string{
		"0.125": "0.13", "-0.125": "-0.13", "2.675": "2.68", "0.124999": "0.12", "1": "1.00", "-117.76545": "-117.77",
	} {
		if got := round2(decimal.RequireFromString(in)).StringFixed(2); got != want {
			t.Errorf("round2(%s) = %s, want %s", in, got, want)
		}
	}
}
