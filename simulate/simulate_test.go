package simulate

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestInvoiceNumber(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="c"><cbc:ID>FA-1</cbc:ID></Invoice>`, "FA-1"},
		{`<CreditNote xmlns:cbc="c"><cac:X xmlns:cac="a"><cbc:ID>no</cbc:ID></cac:X><cbc:ID>AV-2</cbc:ID></CreditNote>`, "AV-2"},
		{`<rsm:CrossIndustryInvoice xmlns:rsm="r" xmlns:ram="m"><rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext><rsm:ExchangedDocument><ram:ID>FA-3</ram:ID></rsm:ExchangedDocument></rsm:CrossIndustryInvoice>`, "FA-3"},
	} {
		if got, err := InvoiceNumber([]byte(c.doc)); err != nil || got != c.want {
			t.Errorf("InvoiceNumber = %q, %v; want %q", got, err, c.want)
		}
	}
	if _, err := InvoiceNumber([]byte(`<Order/>`)); err == nil {
		t.Error("no number found, no error")
	}
}

func TestChorusAuth(t *testing.T) {
	c := NewChorus()
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	tokenResp, err := http.PostForm(srv.URL+ChorusTokenPath, url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID}, "client_secret": {"wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	tokenResp.Body.Close()
	if tokenResp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong secret: HTTP %d", tokenResp.StatusCode)
	}
	resp, err := http.Post(srv.URL+"/cpro/factures/v1/deposer/flux", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: HTTP %d", resp.StatusCode)
	}
}
