package syntax

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/officialxslt"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// fired returns the ids of the rules that fired on doc (reader and EN 16931 profile), with
// their severity: "BR-03 fatal".
func fired(t *testing.T, doc string) []string {
	t.Helper()
	s, inv, vs, err := Read([]byte(doc))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var out []string
	for _, v := range CheckRead(s, inv, vs, nil) {
		out = append(out, v.Rule+" "+string(v.Severity))
	}
	return out
}

const ublHead = `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">`

const ciiHead = `<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">`

// TestUnreadableIssueDate: an issue date that is present but not a date is reported as
// badly formed by the reader, not as missing (BR-03), as the official rule (which tests the
// element's presence) does.
func TestUnreadableIssueDate(t *testing.T) {
	got := fired(t, ublHead+`<cbc:IssueDate>123</cbc:IssueDate></Invoice>`)
	if slices.Contains(got, "BR-03 fatal") {
		t.Errorf("BR-03 fired on a present but unreadable issue date: %v", got)
	}
	if !slices.Contains(got, RuleReadUBL+" fatal") {
		t.Errorf("the unreadable issue date is not reported: %v", got)
	}
	if got := fired(t, ublHead+`</Invoice>`); !slices.Contains(got, "BR-03 fatal") {
		t.Errorf("BR-03 did not fire on a missing issue date: %v", got)
	}
	got = fired(t, ciiHead+`<rsm:ExchangedDocument><ram:IssueDateTime><udt:DateTimeString format="102">2026-01-01</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument></rsm:CrossIndustryInvoice>`)
	if slices.Contains(got, "BR-03 fatal") || !slices.Contains(got, "CII-DT-097 fatal") {
		t.Errorf("CII issue date not in format 102: want CII-DT-097 and no BR-03, got %v", got)
	}
}

// TestSecondBuyerVATScheme: a second VAT PartyTaxScheme of the buyer breaks UBL-SR-18.
func TestSecondBuyerVATScheme(t *testing.T) {
	scheme := `<cac:PartyTaxScheme><cbc:CompanyID>%s</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>`
	one := strings.Replace(scheme, "%s", "FR11552100554", 1)
	two := one + strings.Replace(scheme, "%s", "FR11552100555", 1)
	doc := func(schemes string) string {
		return ublHead + `<cac:AccountingCustomerParty><cac:Party>` + schemes + `</cac:Party></cac:AccountingCustomerParty></Invoice>`
	}
	if got := fired(t, doc(two)); !slices.Contains(got, "UBL-SR-18 fatal") {
		t.Errorf("two buyer VAT identifiers: UBL-SR-18 did not fire: %v", got)
	}
	if got := fired(t, doc(one)); slices.Contains(got, "UBL-SR-18 fatal") {
		t.Errorf("one buyer VAT identifier: UBL-SR-18 fired: %v", got)
	}
}

// TestCIITaxTotalCurrency follows the official CII tests of BR-CO-15: exactly one tax total
// in the invoice currency counts.
func TestCIITaxTotalCurrency(t *testing.T) {
	doc := func(taxCurrency, totals string) string {
		tc := ""
		if taxCurrency != "" {
			tc = `<ram:TaxCurrencyCode>` + taxCurrency + `</ram:TaxCurrencyCode>`
		}
		return ciiHead + `<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeSettlement>` + tc +
			`<ram:InvoiceCurrencyCode>DKK</ram:InvoiceCurrencyCode><ram:SpecifiedTradeSettlementHeaderMonetarySummation>` +
			`<ram:TaxBasisTotalAmount currencyID="DKK">4000.00</ram:TaxBasisTotalAmount>` + totals +
			`<ram:GrandTotalAmount currencyID="DKK">4675.00</ram:GrandTotalAmount><ram:DuePayableAmount currencyID="DKK">4675.00</ram:DuePayableAmount>` +
			`</ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>`
	}
	for _, tc := range []struct {
		name, taxCurrency, totals string
		fires                     bool
	}{
		{"with an accounting currency", "EUR", `<ram:TaxTotalAmount currencyID="DKK">675.00</ram:TaxTotalAmount><ram:TaxTotalAmount currencyID="EUR">628.62</ram:TaxTotalAmount>`, false},
		{"wrong sum", "EUR", `<ram:TaxTotalAmount currencyID="DKK">1675.00</ram:TaxTotalAmount><ram:TaxTotalAmount currencyID="EUR">628.62</ram:TaxTotalAmount>`, true},
		{"tax total in another currency", "", `<ram:TaxTotalAmount currencyID="EUR">675.00</ram:TaxTotalAmount>`, true},
		{"tax total twice in the invoice currency", "", `<ram:TaxTotalAmount currencyID="DKK">675.00</ram:TaxTotalAmount><ram:TaxTotalAmount currencyID="DKK">679.00</ram:TaxTotalAmount>`, true},
	} {
		got := fired(t, doc(tc.taxCurrency, tc.totals))
		if slices.Contains(got, "BR-CO-15 fatal") != tc.fires {
			t.Errorf("%s: BR-CO-15 fired = %v, want %v (%v)", tc.name, !tc.fires, tc.fires, got)
		}
	}
}

// TestSyntaxWarnings: the UBL-CR and CII-SR/CII-DT warnings of the official artefacts are
// reported.
func TestSyntaxWarnings(t *testing.T) {
	if got := fired(t, ublHead+`<cbc:UUID>x</cbc:UUID></Invoice>`); !slices.Contains(got, "UBL-CR-005 warning") {
		t.Errorf("UBL with a UUID: UBL-CR-005 not reported: %v", got)
	}
	got := fired(t, ciiHead+`<rsm:ExchangedDocument><ram:Name>x</ram:Name></rsm:ExchangedDocument></rsm:CrossIndustryInvoice>`)
	if !slices.Contains(got, "CII-SR-013 warning") {
		t.Errorf("CII with a document name: CII-SR-013 not reported: %v", got)
	}
}

// TestConvertedExamplesPassOfficialRules converts every official example to the other
// syntax and runs the official EN 16931 stylesheets (Saxon-HE) on the result: no fatal
// finding (a UBL with BT-6 = BT-5 once gave a CII breaking BR-53; a CII with two payment
// means, a UBL breaking UBL-SR-46).
func TestConvertedExamplesPassOfficialRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the official stylesheets")
	}
	bundle := testutil.Shared(t, "reference", "fnfe-ctc-1.4.0")
	dir := t.TempDir()
	var toUBL, toCII []string
	for _, from := range []string{"ubl", "cii"} {
		files, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "examples", "invoices", from), "*"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, inv, _, err := Read(data)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			to := OutputCII
			if s == CII {
				to = OutputUBL
			}
			out, err := Write(to, inv)
			if err != nil {
				t.Errorf("%s → %s: %v", filepath.Base(f), to, err)
				continue
			}
			name := filepath.Join(dir, filepath.Base(f)+"."+to+".xml")
			if err := os.WriteFile(name, out, 0o644); err != nil {
				t.Fatal(err)
			}
			if to == OutputUBL {
				toUBL = append(toUBL, name)
			} else {
				toCII = append(toCII, name)
			}
		}
	}
	for _, c := range []struct {
		xslt  string
		files []string
	}{
		{"UBL/EN16931/2xslt/EN16931-UBL-validation.xslt", toUBL},
		{"CII/EN16931/2xslt/EN16931-CII-validation.xslt", toCII},
	} {
		for f, fs := range officialxslt.Saxon(t, filepath.Join(bundle, c.xslt), c.files) {
			for _, x := range fs {
				if x.Flag == "fatal" {
					t.Errorf("%s: the official artefacts report %s: %s", filepath.Base(f), x.ID, x.Text)
				}
			}
		}
	}
}
