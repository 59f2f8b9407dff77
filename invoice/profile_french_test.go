package invoice

import (
	"slices"
	"strings"
	"testing"
)

// findings returns the ids of the violations whose id starts with prefix.
func findings(vs []Violation, prefix string) []string {
	var ids []string
	for _, v := range vs {
		if strings.HasPrefix(v.Rule, prefix) {
			ids = append(ids, v.Rule)
		}
	}
	return ids
}

func TestFrenchProfilesRegistered(t *testing.T) {
	core := len(EN16931().Rules)
	for _, name := range []string{"chorus-pro", "fr-ctc", "fr-ctc-warning", " Chorus-Pro "} {
		p, err := ProfileByName(name)
		if err != nil {
			t.Fatalf("ProfileByName(%q): %v", name, err)
		}
		if len(p.Rules) <= core {
			t.Errorf("%s: %d rules, want more than the %d core ones", p.Name, len(p.Rules), core)
		}
		if _, ok := p.Rule("BR-16"); !ok {
			t.Errorf("%s lacks the core rule BR-16", p.Name)
		}
		seen := map[string]bool{}
		for _, r := range p.Rules {
			if seen[r.ID] {
				t.Errorf("%s: rule %s declared twice", p.Name, r.ID)
			}
			seen[r.ID] = true
			if r.FR == "" || r.EN == "" || len(r.BT) == 0 || r.Check == nil && r.CheckSyntax == nil && !r.Document {
				t.Errorf("%s: rule %s incomplete", p.Name, r.ID)
			}
		}
		if !strings.Contains(p.Version, ArtefactsVersion) {
			t.Errorf("%s: version %q does not name the core artefacts", p.Name, p.Version)
		}
	}
	if !slices.Contains(ProfileNames(), "chorus-pro") || !slices.Contains(ProfileNames(), "fr-ctc") {
		t.Errorf("ProfileNames() = %v", ProfileNames())
	}
}

// b2gInvoice is a valid invoice to a public buyer.
func b2gInvoice() *Invoice {
	inv := completed()
	inv.Number = "FA-2026-0042"
	inv.Seller.IDs = []ID{{Value: "73282932000074", Scheme: "0009"}}
	inv.Buyer.IDs = []ID{{Value: "55210055400013", Scheme: "0009"}}
	inv.BusinessProcess = "A1"
	return inv
}

func TestChorusProValid(t *testing.T) {
	if !ValidSIRET("73282932000074") || !ValidSIRET("55210055400013") || ValidSIRET("73282932000075") || ValidSIRET("7328293200007") {
		t.Fatal("ValidSIRET disagrees with the Luhn key")
	}
	if !ValidSIRET("35600000000060") { // La Poste: sum of digits multiple of 5
		t.Error("La Poste SIRET refused")
	}
	vs := Check(b2gInvoice(), ChorusPro(ChorusOptions{}))
	if got := findings(vs, "FG-CPRO"); len(got) > 0 {
		t.Fatalf("valid B2G invoice: %v", vs)
	}
}

func TestChorusProFindings(t *testing.T) {
	const buyer = "55210055400013"
	cases := []struct {
		name   string
		opts   ChorusOptions
		change func(inv *Invoice)
		want   []string
	}{
		{"no SIRETs", ChorusOptions{}, func(inv *Invoice) { inv.Seller.IDs, inv.Buyer.IDs = nil, nil },
			[]string{"FG-CPRO-SELLER-SIRET", "FG-CPRO-BUYER-SIRET"}},
		{"foreign seller without SIRET", ChorusOptions{}, func(inv *Invoice) { inv.Seller.IDs = nil; inv.Seller.Address.Country = "BE" }, nil},
		{"SIRET in the electronic address", ChorusOptions{}, func(inv *Invoice) {
			inv.Buyer.IDs = nil
			inv.Buyer.ElectronicAddress = ID{Value: buyer, Scheme: "0009"}
		}, nil},
		{"bad keys", ChorusOptions{}, func(inv *Invoice) {
			inv.Seller.IDs[0].Value = "73282932000075"
			inv.Buyer.IDs[0].Value = "5521005540001"
		}, []string{"FG-CPRO-SELLER-SIRET-INVALID", "FG-CPRO-BUYER-SIRET-INVALID"}},
		{"service required", ChorusOptions{Buyers: map[string]BuyerRequirement{buyer: RequireService}}, nil,
			[]string{"FG-CPRO-SERVICE"}},
		{"service given", ChorusOptions{Buyers: map[string]BuyerRequirement{buyer: RequireService}},
			func(inv *Invoice) { inv.BuyerReference = "SERV-ACHAT" }, nil},
		{"both required by default", ChorusOptions{Default: RequireServiceAndCommitment}, nil,
			[]string{"FG-CPRO-SERVICE", "FG-CPRO-COMMITMENT"}},
		{"other buyer listed", ChorusOptions{Buyers: map[string]BuyerRequirement{"11000201100044": RequireService}}, nil, nil},
		{"one of them", ChorusOptions{Default: RequireServiceOrCommitment}, nil, []string{"FG-CPRO-SERVICE-OR-COMMITMENT"}},
		{"one of them given", ChorusOptions{Default: RequireServiceOrCommitment},
			func(inv *Invoice) { inv.PurchaseOrderReference = "EJ1234567890" }, nil},
		{"unknown frame", ChorusOptions{}, func(inv *Invoice) { inv.BusinessProcess = "S1" }, []string{"FG-CPRO-FRAME"}},
		{"no frame is A1", ChorusOptions{}, func(inv *Invoice) { inv.BusinessProcess = "" }, nil},
		{"A2 not paid", ChorusOptions{}, func(inv *Invoice) { inv.BusinessProcess = "A2" }, []string{"FG-CPRO-A2-PAID"}},
		{"A2 paid", ChorusOptions{}, func(inv *Invoice) {
			inv.BusinessProcess = "A2"
			inv.Totals.Paid = inv.Totals.TaxInclusive
			inv.Totals.Payable = Dec("0.00")
		}, nil},
		{"long number", ChorusOptions{}, func(inv *Invoice) { inv.Number = "FA-2026-000000000042" + "1" }, []string{"FG-CPRO-NUMBER"}},
		{"20 characters", ChorusOptions{}, func(inv *Invoice) { inv.Number = "FA-2026-000000000042" }, nil},
		{"dollars", ChorusOptions{}, func(inv *Invoice) { inv.Currency = "USD" }, []string{"FG-CPRO-CURRENCY"}},
		{"dollars with euro VAT", ChorusOptions{}, func(inv *Invoice) {
			inv.Currency, inv.TaxCurrency, inv.Totals.TaxTotalAcctCurr = "USD", "EUR", Dec("58.00")
		}, nil},
		{"transfer without IBAN", ChorusOptions{}, func(inv *Invoice) {
			inv.Payment = &PaymentInstructions{MeansCode: "42"}
		}, []string{"FG-CPRO-IBAN"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := b2gInvoice()
			if c.change != nil {
				c.change(inv)
			}
			vs := Check(inv, ChorusPro(c.opts))
			if got := findings(vs, "FG-CPRO"); !slices.Equal(got, c.want) {
				t.Errorf("findings %v, want %v (%v)", got, c.want, vs)
			}
		})
	}
}

func TestChorusMessagesActionable(t *testing.T) {
	inv := b2gInvoice()
	inv.Buyer.IDs = []ID{{Value: "5521005540001", Scheme: "0009"}}
	vs := Check(inv, ChorusPro(ChorusOptions{}))
	i := slices.IndexFunc(vs, func(v Violation) bool { return v.Rule == "FG-CPRO-BUYER-SIRET-INVALID" })
	if i < 0 || !strings.Contains(vs[i].FR, "« 5521005540001 »") || !strings.Contains(vs[i].EN, `"5521005540001"`) {
		t.Fatalf("message does not quote the value: %v", vs)
	}
}
