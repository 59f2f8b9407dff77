package invoice

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// ruleCase breaks (fail) or keeps (pass) one rule on a valid, completed invoice.
type ruleCase struct {
	rule     string
	fail     func(inv *Invoice)
	wantPath string
	wantFR   string // a substring of the French message, when it matters
	pass     func(inv *Invoice)
}

func fired(vs []Violation, rule string) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.Rule == rule {
			out = append(out, v)
		}
	}
	return out
}

var mustCases = []ruleCase{
	{rule: "BR-01", fail: func(inv *Invoice) { inv.Specification = "" },
		pass: func(inv *Invoice) {
			inv.Specification = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
		}},
	{rule: "BR-02", fail: func(inv *Invoice) { inv.Number = "  " },
		pass: func(inv *Invoice) { inv.Number = "1" }},
	{rule: "BR-03", fail: func(inv *Invoice) { inv.IssueDate = Date{} },
		pass: func(inv *Invoice) { inv.IssueDate = NewDate(2025, time.December, 31) }},
	{rule: "BR-04", fail: func(inv *Invoice) { inv.TypeCode = "" },
		pass: func(inv *Invoice) { inv.TypeCode = TypeCreditNote }},
	{rule: "BR-05", fail: func(inv *Invoice) { inv.Currency = "" },
		pass: func(inv *Invoice) { inv.Currency = "USD" }},
	{rule: "BR-06", fail: func(inv *Invoice) { inv.Seller.Name = "" },
		pass: func(inv *Invoice) { inv.Seller.TradingName = "" }},
	{rule: "BR-07", fail: func(inv *Invoice) { inv.Buyer.Name = "" },
		pass: func(inv *Invoice) { inv.Buyer.Name = "X" }},
	{rule: "BR-08", fail: func(inv *Invoice) { inv.Seller.Address = nil },
		pass: func(inv *Invoice) { inv.Seller.Address = &Address{Country: "FR"} }},
	{rule: "BR-09", fail: func(inv *Invoice) { inv.Seller.Address = &Address{} }, // present, but empty
		pass: func(inv *Invoice) { inv.Seller.Address.Country = "BE" }},
	{rule: "BR-10", fail: func(inv *Invoice) { inv.Buyer.Address = nil },
		pass: func(inv *Invoice) { inv.Buyer.Address = &Address{Country: "FR"} }},
	{rule: "BR-11", fail: func(inv *Invoice) { inv.Buyer.Address.Country = "" },
		pass: func(inv *Invoice) { inv.Buyer.Address.Line1 = "" }},
	{rule: "BR-12", fail: func(inv *Invoice) { inv.Totals.LineTotal = nil }},
	{rule: "BR-13", fail: func(inv *Invoice) { inv.Totals.TaxExclusive = nil }},
	{rule: "BR-14", fail: func(inv *Invoice) { inv.Totals.TaxInclusive = nil }},
	{rule: "BR-15", fail: func(inv *Invoice) { inv.Totals.Payable = nil }},
	{rule: "BR-16", fail: func(inv *Invoice) { inv.Lines = nil },
		wantFR: "La facture doit comporter au moins une ligne.",
		pass:   func(inv *Invoice) { inv.Lines = inv.Lines[:1] }},
	{rule: "BR-CO-10", fail: func(inv *Invoice) { inv.Totals.LineTotal = Dec("301.53") },
		wantFR: "La somme des montants nets des lignes (BT-106 = 301,53) ne correspond pas au total des lignes (311,53).",
		pass:   func(inv *Invoice) { inv.Totals.LineTotal = Dec("311.530") }},
	{rule: "BR-CO-11", fail: func(inv *Invoice) { inv.Totals.AllowanceTotal = nil },
		wantFR: "(BT-107 = absent) ne correspond pas à la somme des remises (5,00)",
		pass: func(inv *Invoice) {
			inv.Allowances = nil
			inv.Totals.AllowanceTotal = nil
			inv.Totals.TaxExclusive = Dec("326.53")
			inv.VAT[0].TaxableAmount = Dec("318.33")
			inv.VAT[0].TaxAmount = Dec("63.67")
			inv.Totals.TaxTotal = Dec("64.12")
			inv.Totals.TaxInclusive = Dec("390.65")
			inv.Totals.Payable = Dec("290.65")
		}},
	{rule: "BR-CO-12", fail: func(inv *Invoice) { inv.Totals.ChargeTotal = Dec("14.99") },
		pass: func(inv *Invoice) { inv.Totals.ChargeTotal = Dec("15") }},
	{rule: "BR-CO-13", fail: func(inv *Invoice) { inv.Totals.TaxExclusive = Dec("311.53") },
		wantFR: "Le total hors TVA (BT-109 = 311,53) doit valoir total des lignes 311,53 − remises 5,00 + frais 15,00 = 321,53.",
		pass:   func(inv *Invoice) { inv.Totals.TaxExclusive = Dec("321.530") }},
	{rule: "BR-CO-14", fail: func(inv *Invoice) { inv.Totals.TaxTotal = Dec("63.13") },
		pass: func(inv *Invoice) { inv.VAT = append([]VATBreakdown(nil), inv.VAT[1], inv.VAT[0]) }},
	{rule: "BR-CO-15", fail: func(inv *Invoice) { inv.Totals.TaxInclusive = Dec("384.66") },
		pass: func(inv *Invoice) { inv.Totals.TaxInclusive = Dec("384.650") }},
	{rule: "BR-CO-16", fail: func(inv *Invoice) { inv.Totals.Payable = Dec("384.65") },
		wantFR: "Le net à payer (BT-115 = 384,65) doit valoir total TTC 384,65 − acompte versé 100,00 + arrondi 0,00 = 284,65.",
		pass: func(inv *Invoice) {
			inv.Totals.Rounding = Dec("0.35")
			inv.Totals.Payable = Dec("285.00")
		}},
	{rule: "BR-CO-17", wantPath: "BG-23[2]",
		// round(8.20 × 5.5 %) = 0.45; the official UBL schematron tolerates less than one
		// currency unit of difference, so 1.45 is the first amount that fails.
		fail: func(inv *Invoice) {
			inv.VAT[1].TaxAmount = Dec("1.45")
			inv.Totals.TaxTotal = Dec("64.12")
			inv.Totals.TaxInclusive = Dec("385.65")
			inv.Totals.Payable = Dec("285.65")
		},
		wantFR: "TVA S à 5,5 % : le montant de TVA (BT-117 = 1,45) doit valoir base 8,20 × 5,5 % arrondi au centime = 0,45.",
		// Half away from zero on a negative base: −2141.19 × 5.5 % = −117.76545 → −117.77.
		pass: func(inv *Invoice) {
			inv.VAT = []VATBreakdown{{TaxableAmount: Dec("-2141.19"), TaxAmount: Dec("-117.77"), Category: "S", Rate: Dec("5.5")}}
		}},
	{rule: "BR-S-08", wantPath: "BG-23[1]",
		fail: func(inv *Invoice) { inv.VAT[0].TaxableAmount = Dec("308.33"); inv.VAT[0].TaxAmount = Dec("61.67") },
		// The same rate written differently (20 and 20.00) is one rate.
		pass: func(inv *Invoice) { inv.VAT[0].Rate = Dec("20.000") }},
	{rule: "BR-S-09", wantPath: "BG-23[1]",
		fail: func(inv *Invoice) { inv.VAT[0].TaxAmount = Dec("61.67") }, // 62.67 − 1: at the tolerance
		pass: func(inv *Invoice) {
			inv.Lines[1].NetAmount = Dec("979.15")
			inv.Lines[2].NetAmount = Dec("0")
			inv.Lines[1].VATRate, inv.Lines[2].VATRate = Dec("4.8"), Dec("4.8")
			inv.VAT[1] = VATBreakdown{TaxableAmount: Dec("979.15"), TaxAmount: Dec("47"), Category: "S", Rate: Dec("4.8")}
		}},
}

func TestMustRules(t *testing.T) {
	p, err := ProfileByName("en16931")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range mustCases {
		t.Run(c.rule, func(t *testing.T) {
			rule, ok := p.Rule(c.rule)
			if !ok {
				t.Fatalf("rule %s is not in the profile", c.rule)
			}
			inv := completed()
			c.fail(inv)
			got := fired(Check(inv, p), c.rule)
			if len(got) == 0 {
				t.Fatalf("%s did not fire", c.rule)
			}
			v := got[0]
			if v.Severity != rule.Severity || v.Severity != Fatal {
				t.Errorf("severity %s", v.Severity)
			}
			if v.Path != c.wantPath {
				t.Errorf("path %q, want %q", v.Path, c.wantPath)
			}
			if !slices.Equal(v.BT, rule.BT) || len(v.BT) == 0 {
				t.Errorf("BT %v", v.BT)
			}
			if v.FR == "" || v.EN == "" || strings.Contains(v.FR+v.EN, "{") {
				t.Errorf("messages not filled: %q / %q", v.FR, v.EN)
			}
			if c.wantFR != "" && !strings.Contains(v.FR, c.wantFR) {
				t.Errorf("FR message %q, want it to contain %q", v.FR, c.wantFR)
			}

			inv = completed()
			if c.pass != nil {
				c.pass(inv)
			}
			if got := fired(Check(inv, p), c.rule); len(got) != 0 {
				t.Errorf("%s fired on the passing case: %v", c.rule, got)
			}
		})
	}
}

// TestMoreRules gives a failing case for rules beyond the first set.
func TestMoreRules(t *testing.T) {
	cases := []ruleCase{
		{rule: "BR-17", fail: func(inv *Invoice) { inv.Payee = &Payee{ID: ID{Value: "X"}} }},
		{rule: "BR-18", fail: func(inv *Invoice) { inv.TaxRepresentative = &TaxRepresentative{} }},
		{rule: "BR-20", fail: func(inv *Invoice) { inv.TaxRepresentative = &TaxRepresentative{Address: &Address{City: "Paris"}} }},
		{rule: "BR-21", wantPath: "BG-25[2]", fail: func(inv *Invoice) { inv.Lines[1].ID = "" }},
		{rule: "BR-23", wantPath: "BG-25[1]", fail: func(inv *Invoice) { inv.Lines[0].UnitCode = "" }},
		{rule: "BR-27", wantPath: "BG-25[1]", fail: func(inv *Invoice) { inv.Lines[0].Price.Net = Dec("-1") }},
		{rule: "BR-29", wantPath: "BG-14", fail: func(inv *Invoice) {
			inv.InvoicingPeriod = &Period{Start: NewDate(2026, 3, 2), End: NewDate(2026, 3, 1)}
		}},
		{rule: "BR-33", wantPath: "BG-20[1]", fail: func(inv *Invoice) { inv.Allowances[0].Reason, inv.Allowances[0].ReasonCode = "", "" }},
		{rule: "BR-42", wantPath: "BG-25[1]/BG-27[1]", fail: func(inv *Invoice) {
			inv.Lines[0].Allowances[0].Reason, inv.Lines[0].Allowances[0].ReasonCode = "", ""
		}},
		{rule: "BR-48", wantPath: "BG-23[1]", fail: func(inv *Invoice) { inv.VAT[0].Rate = nil }},
		{rule: "BR-51", fail: func(inv *Invoice) { inv.Payment.Card = &Card{PAN: "4970 1000 0000 0063"} }, wantPath: "BG-18"},
		{rule: "BR-61", fail: func(inv *Invoice) { inv.Payment.CreditTransfer = nil }},
		{rule: "BR-CO-03", fail: func(inv *Invoice) { inv.TaxPointDate, inv.TaxPointDateCode = inv.IssueDate, "3" }},
		{rule: "BR-CO-09", fail: func(inv *Invoice) { inv.Buyer.VATID = "11552100554" }},
		{rule: "BR-CO-18", fail: func(inv *Invoice) { inv.VAT = nil }},
		{rule: "BR-CO-25", fail: func(inv *Invoice) { inv.DueDate = Date{} }},
		{rule: "BR-CO-26", fail: func(inv *Invoice) { inv.Seller.LegalID, inv.Seller.VATID = ID{}, "" }},
		{rule: "BR-DEC-12", fail: func(inv *Invoice) { inv.Totals.TaxExclusive = Dec("321.530") }},
		{rule: "BR-DEC-23", wantPath: "BG-25[2]", fail: func(inv *Invoice) { inv.Lines[1].NetAmount = Dec("4.100") }},
		{rule: "BR-S-01", fail: func(inv *Invoice) { inv.VAT[0].Category, inv.VAT[1].Category = "Z", "Z" }},
		{rule: "BR-S-02", fail: func(inv *Invoice) { inv.Seller.VATID = "" }},
		{rule: "BR-S-05", wantPath: "BG-25[4]", fail: func(inv *Invoice) { inv.Lines[3].VATRate = Dec("0") }},
		{rule: "BR-S-10", wantPath: "BG-23[2]", fail: func(inv *Invoice) { inv.VAT[1].ExemptionReasonCode = "VATEX-EU-132" }},
		{rule: "BR-E-10", wantPath: "BG-23[1]", fail: func(inv *Invoice) {
			for i := range inv.Lines {
				inv.Lines[i].VATCategory, inv.Lines[i].VATRate = "E", Dec("0")
			}
			inv.Allowances, inv.Charges = nil, nil
			inv.VAT, inv.Totals = nil, Totals{}
			Complete(inv)
		}},
		{rule: "BR-O-02", fail: func(inv *Invoice) {
			for i := range inv.Lines {
				inv.Lines[i].VATCategory, inv.Lines[i].VATRate = "O", nil
			}
		}},
		{rule: "BR-IC-12", fail: func(inv *Invoice) { inv.VAT[0].Category = "K" }},
		{rule: "BR-CL-01", fail: func(inv *Invoice) { inv.TypeCode = "999" }},
		{rule: "BR-CL-10", fail: func(inv *Invoice) { inv.Buyer.IDs = []ID{{Value: "X", Scheme: "SEPA"}} }},
		{rule: "BR-CL-14", fail: func(inv *Invoice) { inv.Buyer.Address.Country = "France" }},
		{rule: "BR-CL-23", wantPath: "BG-25[1]", fail: func(inv *Invoice) { inv.Lines[0].UnitCode = "H" }},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			inv := completed()
			c.fail(inv)
			got := fired(Check(inv, nil), c.rule)
			if len(got) == 0 {
				t.Fatalf("%s did not fire", c.rule)
			}
			if got[0].Path != c.wantPath {
				t.Errorf("path %q, want %q", got[0].Path, c.wantPath)
			}
			if strings.Contains(got[0].FR+got[0].EN, "{") {
				t.Errorf("messages not filled: %q / %q", got[0].FR, got[0].EN)
			}
		})
	}
	// A seller identified by a SEPA creditor identifier is fine.
	inv := completed()
	inv.Seller.IDs = []ID{{Value: "FR12ZZZ123456", Scheme: "SEPA"}}
	if got := fired(Check(inv, nil), "BR-CL-10"); len(got) != 0 {
		t.Errorf("BR-CL-10 fired on a seller SEPA identifier: %v", got)
	}
}

func TestProfile(t *testing.T) {
	p, err := ProfileByName("EN16931")
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != "1.3.16" || p.Name != "en16931" {
		t.Errorf("profile %s %s", p.Name, p.Version)
	}
	if _, err := ProfileByName("nope"); err == nil {
		t.Error("unknown profile accepted")
	}
	seen := map[string]bool{}
	for _, r := range p.Rules {
		if seen[r.ID] {
			t.Errorf("rule %s declared twice", r.ID)
		}
		seen[r.ID] = true
		if (r.Check == nil && r.CheckSyntax == nil) || r.FR == "" || r.EN == "" || len(r.BT) == 0 || (r.Severity != Fatal && r.Severity != Warning) {
			t.Errorf("rule %s is incomplete", r.ID)
		}
	}
	// Every code list the rules use exists (codeList panics otherwise).
	inv := completed()
	inv.Documents = []Document{{ID: "1", Attachment: &Attachment{MIMEType: "application/pdf"}}}
	inv.Notes = []Note{{SubjectCode: "AAI", Text: "x"}}
	Check(inv, p)
}

func TestCheckOrdering(t *testing.T) {
	inv := completed()
	for range 11 {
		inv.Lines = append(inv.Lines, inv.Lines[1])
		inv.Lines[len(inv.Lines)-1].ID = ""
	}
	inv.Lines[0].ID = ""
	inv.Number = ""
	vs := Check(inv, nil)
	if vs[0].Rule != "BR-02" {
		t.Errorf("first violation %s, want BR-02", vs[0].Rule)
	}
	var paths []string
	for _, v := range fired(vs, "BR-21") {
		paths = append(paths, v.Path)
	}
	want := []string{"BG-25[1]", "BG-25[5]", "BG-25[6]", "BG-25[7]", "BG-25[8]", "BG-25[9]", "BG-25[10]",
		"BG-25[11]", "BG-25[12]", "BG-25[13]", "BG-25[14]", "BG-25[15]"}
	if !slices.Equal(paths, want) {
		t.Errorf("BR-21 paths %v", paths)
	}
	if !HasFatal(vs) {
		t.Error("no fatal violation")
	}
	if c := comparePaths("BG-25[2]/BG-27[1]", "BG-25[2]"); c <= 0 {
		t.Errorf("comparePaths sub-path first")
	}
}

func TestMessagesEnglish(t *testing.T) {
	inv := completed()
	inv.Totals.LineTotal = Dec("100")
	v := fired(Check(inv, nil), "BR-CO-10")
	if len(v) != 1 || v[0].Message("en") != "The sum of invoice line net amounts (BT-106 = 100.00) does not match the total of the lines (311.53)." {
		t.Errorf("got %v", v)
	}
}

func BenchmarkCompleteAndCheck(b *testing.B) {
	p := EN16931()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		inv := benchInvoice(20) // Complete changes the invoice: a fresh one each time
		b.StartTimer()
		Complete(inv)
		if vs := Check(inv, p); len(vs) != 0 {
			b.Fatalf("violations: %v", vs)
		}
	}
}

// TestVATTolerance follows the official schematrons: less than one currency unit of
// difference passes BR-CO-17 and BR-S-09; exactly one passes BR-CO-17 in CII only.
func TestVATTolerance(t *testing.T) {
	fired := func(vs []Violation, id string) bool {
		return slices.ContainsFunc(vs, func(v Violation) bool { return v.Rule == id })
	}
	for _, tc := range []struct {
		tax               string
		syntax            string
		co17, s09, strict bool
	}{
		{"62.67", "", false, false, false},
		{"63.66", "ubl", false, false, false},
		{"61.68", "cii", false, false, false},
		{"63.67", "ubl", true, true, true},
		{"63.67", "cii", false, true, true},
		{"61.67", "cii", false, true, true},
	} {
		inv := completed()
		inv.VAT[0].TaxAmount = Dec(tc.tax)
		vs := CheckFor(inv, nil, tc.syntax)
		if fired(vs, "BR-CO-17") != tc.co17 || fired(vs, "BR-S-09") != tc.s09 {
			t.Errorf("tax %s in %q: BR-CO-17 %v BR-S-09 %v, want %v %v", tc.tax, tc.syntax,
				fired(vs, "BR-CO-17"), fired(vs, "BR-S-09"), tc.co17, tc.s09)
		}
		if got := fired(Check(inv, nil), "BR-CO-17"); got != tc.strict {
			t.Errorf("tax %s: Check fires BR-CO-17 %v, want %v", tc.tax, got, tc.strict)
		}
	}
}
