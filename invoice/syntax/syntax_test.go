package syntax

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want Syntax
		err  error
	}{
		{`<?xml version="1.0" encoding="UTF-8"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`, UBLInvoice, nil},
		{`<!-- c --><ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`, UBLInvoice, nil},
		{`<?xml version="1.0" encoding="ISO-8859-1"?><CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>`, UBLCreditNote, nil},
		{"\ufeff<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\"/>", CII, nil},
		{`<Invoice/>`, "", ErrNotInvoice},
		{`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>`, "", ErrNotInvoice},
		{`<rsm:CrossIndustryInvoice xmlns:rsm="urn:other"/>`, "", ErrNotInvoice},
		{``, "", ErrNotXML},
		{`hello`, "", ErrNotXML},
		{`%PDF-1.7`, "", ErrNotXML},
		{`<?xml version="1.0"?>`, "", ErrNotXML},
	} {
		got, err := Detect([]byte(tc.doc))
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("Detect(%.60q) = %q, %v; want %q, %v", tc.doc, got, err, tc.want, tc.err)
		}
	}
	if s, _, _, err := Read([]byte("\ufeff<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"/>")); err != nil || s != UBLInvoice {
		t.Errorf("document with a byte order mark: %q, %v", s, err)
	}
	// The root is right but the document is broken: Read says it is not XML.
	if _, _, _, err := Read([]byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><cbc:ID>`)); !errors.Is(err, ErrNotXML) {
		t.Errorf("broken document: %v", err)
	}
}

func TestReadWriteExamples(t *testing.T) {
	for _, dir := range []string{"ubl", "cii"} {
		files, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "examples", "invoices", dir), "*.*"))
		if len(files) == 0 {
			testutil.Missing(t, "no examples in %s", dir)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, inv, _, err := Read(data)
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if s.Output() != dir {
				t.Errorf("%s: syntax %s", f, s)
			}
			if inv.IsCreditNote() != (s == UBLCreditNote) && s != CII {
				t.Errorf("%s: %s with type code %s", f, s, inv.TypeCode)
			}
			for _, to := range []string{"ubl", "cii"} {
				out, err := Write(to, inv)
				if err != nil {
					t.Errorf("%s: write %s: %v", f, to, err)
					continue
				}
				if got, err := Detect(out); err != nil || got.Output() != to {
					t.Errorf("%s: written %s detects as %q, %v", f, to, got, err)
				}
			}
		}
	}
	if _, err := Write("pdf", nil); err == nil {
		t.Error("Write to an unknown syntax")
	}
}

func TestXPath(t *testing.T) {
	for _, tc := range []struct {
		s          Syntax
		path, want string
	}{
		{UBLInvoice, "", "/Invoice"},
		{UBLCreditNote, "BG-25[2]", "/CreditNote/cac:CreditNoteLine[2]"},
		{UBLInvoice, "BG-25[3]/BG-27[1]", "/Invoice/cac:InvoiceLine[3]/cac:AllowanceCharge[cbc:ChargeIndicator='false'][1]"},
		{UBLInvoice, "BG-23[2]", "/Invoice/cac:TaxTotal/cac:TaxSubtotal[2]"},
		{UBLInvoice, "BG-21[1]", "/Invoice/cac:AllowanceCharge[cbc:ChargeIndicator='true'][1]"},
		{UBLInvoice, "BG-99[1]/BG-25[1]", "/Invoice"},
		{CII, "BG-25[1]/BG-26", "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem[1]/ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod"},
		{CII, "BG-23[1]", "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax[1]"},
		{CII, "BG-5", "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty/ram:PostalTradeAddress"},
	} {
		if got := XPath(tc.s, tc.path); got != tc.want {
			t.Errorf("XPath(%s, %q) = %s, want %s", tc.s, tc.path, got, tc.want)
		}
	}
}

// TestEmptyAddress: an address given without any term is present (BR-08 holds, BR-09
// fires), and both syntaxes keep it so, schema-valid, where an absent one stays absent.
func TestEmptyAddress(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testutil.Shared(t, "examples", "invoices", "ubl"), "ubl-tc434-example1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, to := range []string{OutputUBL, OutputCII} {
		_, inv, _, err := Read(data)
		if err != nil {
			t.Fatal(err)
		}
		inv.Seller.Address = &invoice.Address{}
		inv.Buyer.Address = nil
		out, err := Write(to, inv)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "empty-address-"+to+".xml")
		if err := os.WriteFile(file, out, 0o644); err != nil {
			t.Fatal(err)
		}
		testutil.CheckInvoice(t, file)
		s, again, _, err := Read(out)
		if err != nil {
			t.Fatal(err)
		}
		if again.Seller.Address == nil || !again.Seller.Address.IsZero() || again.Buyer.Address != nil {
			t.Errorf("%s: seller address %+v, buyer address %+v", to, again.Seller.Address, again.Buyer.Address)
		}
		fired := map[string]bool{}
		for _, v := range Check(s, again, nil) {
			fired[v.Rule] = true
		}
		if fired["BR-08"] || !fired["BR-09"] || !fired["BR-10"] || fired["BR-11"] {
			t.Errorf("%s: BR-08 %v BR-09 %v BR-10 %v BR-11 %v, want false true true false", to,
				fired["BR-08"], fired["BR-09"], fired["BR-10"], fired["BR-11"])
		}
	}
}

// TestReadKeepsNoReleasedNode reads every shared example twice: with Read, which releases
// each document's nodes to the next read, and with readTree, which keeps them. What Read
// returns must not change as the released nodes become other documents'.
func TestReadKeepsNoReleasedNode(t *testing.T) {
	var files []string
	for _, dir := range []string{"ubl", "cii"} {
		fs, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "examples", "invoices", dir), "*.xml"))
		files = append(files, fs...)
	}
	if len(files) < 10 {
		testutil.Missing(t, "only %d examples", len(files))
	}
	type read struct {
		inv *invoice.Invoice
		vs  []invoice.Violation
	}
	var released, kept []read
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, inv, vs, err := Read(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		released = append(released, read{inv, vs})
		_, inv, vs, _, _ = readTree(data)
		kept = append(kept, read{inv, vs})
	}
	for i := range files {
		if !reflect.DeepEqual(released[i], kept[i]) {
			t.Errorf("%s: what Read returned changed after its nodes were released", files[i])
		}
	}
}

// TestSyntaxOfAgreesWithDetect: on every shared document the scanner reads, the syntax Read
// takes from the root element is Detect's.
func TestSyntaxOfAgreesWithDetect(t *testing.T) {
	root, err := filepath.EvalSymlinks(testutil.Shared(t))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(strings.ToLower(path), ".xml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, plain := schematron.Scan(data)
		if !plain {
			return nil
		}
		defer doc.Release()
		if s, known := syntaxOf(doc.Element()); known {
			checked++
			if d, err := Detect(data); d != s || err != nil {
				t.Errorf("%s: root says %q, Detect %q (%v)", path, s, d, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		testutil.Missing(t, "only %d invoices under %s", checked, root)
	}
}
