package invoice

import (
	"fmt"
	"time"
)

// frInvoice is what a French legacy export typically gives: lines with gross prices and
// discounts, a line allowance by percentage, a document allowance and charge, but no line net
// amounts, no VAT breakdown and no totals.
//
// Expected after Complete:
//
//	line 1: 3 × (120.00 − 20.00) − 10 % of 300.00  = 270.00  S 20
//	line 2: 1 × 4.10                                =   4.10  S 5.5
//	line 3: 1 × 4.10                                =   4.10  S 5.5
//	line 4: 2.5 × 13.33 = 33.325                    =  33.33  S 20 (half away from zero)
//	allowance 5 % of 100.00 = 5.00 S 20; charge 15.00 S 20
//	S 20:  taxable 270.00 + 33.33 − 5.00 + 15.00 = 313.33, tax 62.666 → 62.67
//	S 5.5: taxable 8.20, tax 0.451 → 0.45 (per line 0.2255 → 0.23, twice 0.46)
//	BT-106 311.53, BT-107 5.00, BT-108 15.00, BT-109 321.53, BT-110 63.12,
//	BT-112 384.65, BT-113 100.00, BT-115 284.65
func frInvoice() *Invoice {
	return &Invoice{
		Number:        "FA-2026-0042",
		IssueDate:     NewDate(2026, time.March, 14),
		TypeCode:      TypeCommercialInvoice,
		Currency:      "EUR",
		DueDate:       NewDate(2026, time.April, 13),
		Specification: SpecEN16931,
		Seller: Party{
			Name:              "Atelier Dupont SARL",
			LegalID:           ID{Value: "732829320", Scheme: "0002"},
			VATID:             "FR44732829320",
			ElectronicAddress: ID{Value: "732829320", Scheme: "0225"},
			Address:           &Address{Line1: "12 rue des Lilas", City: "Lyon", PostCode: "69003", Country: "FR"},
		},
		Buyer: Party{
			Name:              "Librairie Martin",
			VATID:             "FR11552100554",
			ElectronicAddress: ID{Value: "552100554", Scheme: "0225"},
			Address:           &Address{Line1: "3 place Bellecour", City: "Lyon", PostCode: "69002", Country: "FR"},
		},
		Payment: &PaymentInstructions{
			MeansCode:      "58",
			CreditTransfer: []CreditTransfer{{AccountID: "FR7630006000011234567890189"}},
		},
		Allowances: []AllowanceCharge{{
			BaseAmount: Dec("100.00"), Percentage: Dec("5"),
			VATCategory: "S", VATRate: Dec("20"), Reason: "Remise commerciale", ReasonCode: "95",
		}},
		Charges: []AllowanceCharge{{
			Amount: Dec("15.00"), VATCategory: "S", VATRate: Dec("20"), Reason: "Frais de port", ReasonCode: "FC",
		}},
		Totals: Totals{Paid: Dec("100.00")},
		Lines: []Line{
			{
				ID: "1", Quantity: Dec("3"), UnitCode: "HUR",
				Price:       Price{Gross: Dec("120.00"), Discount: Dec("20.00")},
				Allowances:  []AllowanceCharge{{BaseAmount: Dec("300.00"), Percentage: Dec("10"), Reason: "Remise fidélité", ReasonCode: "95"}},
				VATCategory: "S", VATRate: Dec("20"),
				Item: Item{Name: "Conseil"},
			},
			{ID: "2", Quantity: Dec("1"), UnitCode: "C62", Price: Price{Net: Dec("4.10")},
				VATCategory: "S", VATRate: Dec("5.5"), Item: Item{Name: "Livre A"}},
			{ID: "3", Quantity: Dec("1"), UnitCode: "C62", Price: Price{Net: Dec("4.10")},
				VATCategory: "S", VATRate: Dec("5.50"), Item: Item{Name: "Livre B"}},
			{ID: "4", Quantity: Dec("2.5"), UnitCode: "KGM", Price: Price{Net: Dec("13.33")},
				VATCategory: "S", VATRate: Dec("20.00"), Item: Item{Name: "Papier"}},
		},
	}
}

// completed is frInvoice after Complete: a valid invoice.
func completed() *Invoice {
	inv := frInvoice()
	Complete(inv)
	return inv
}

// benchInvoice is an invoice of n lines, alternating 20 % and 5.5 %.
func benchInvoice(n int) *Invoice {
	inv := frInvoice()
	inv.Lines = nil
	for i := range n {
		rate := "20"
		if i%2 == 1 {
			rate = "5.5"
		}
		inv.Lines = append(inv.Lines, Line{
			ID: fmt.Sprint(i + 1), Quantity: Dec(fmt.Sprintf("%d.5", i+1)), UnitCode: "C62",
			Price:       Price{Gross: Dec("19.99"), Discount: Dec("1.50")},
			Allowances:  []AllowanceCharge{{BaseAmount: Dec("10.00"), Percentage: Dec("2.5"), ReasonCode: "95"}},
			VATCategory: "S", VATRate: Dec(rate), Item: Item{Name: fmt.Sprintf("Article %d", i+1)},
		})
	}
	return inv
}
