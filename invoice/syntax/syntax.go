// Package syntax recognises which XML syntax an invoice document uses (UBL 2.1 Invoice, UBL
// 2.1 CreditNote, CII D16B) and dispatches reading and writing to invoice/ubl or
// invoice/cii, so that callers (the check and convert commands, the gateway) name a syntax
// once instead of knowing every binding.
package syntax

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/cii"
	"github.com/fluxgate/fluxgate/invoice/facturx"
	"github.com/fluxgate/fluxgate/invoice/ubl"
)

// Syntax is a concrete document syntax, as reports name it.
type Syntax string

// The syntaxes Detect recognises.
const (
	UBLInvoice    Syntax = ubl.SyntaxInvoice    // "ubl-invoice"
	UBLCreditNote Syntax = ubl.SyntaxCreditNote // "ubl-creditnote"
	CII           Syntax = cii.Syntax           // "cii"
)

// Rule ids of the readers' own findings (a value they cannot understand or keep).
const (
	RuleReadUBL = ubl.RuleRead
	RuleReadCII = cii.RuleRead
)

// Output names of the bindings (what --to, outputs: and Write take): a Factur-X is a PDF/A-3
// carrying the CII.
const (
	OutputUBL     = "ubl"
	OutputCII     = "cii"
	OutputFacturX = "facturx"
)

// Extension is the file extension of an output: ".pdf" for Factur-X, ".xml" otherwise.
func Extension(output string) string {
	if output == OutputFacturX {
		return ".pdf"
	}
	return ".xml"
}

// WithExtension gives a flux name the extension of its output: a Factur-X named after an
// ".xml" template ends in ".pdf".
func WithExtension(name, output string) string {
	if ext := Extension(output); ext != ".xml" && strings.HasSuffix(strings.ToLower(name), ".xml") {
		return name[:len(name)-len(".xml")] + ext
	}
	return name
}

// Errors Detect and Read wrap: the data is not well-formed XML, or it is XML but not an
// invoice in a known syntax.
var (
	ErrNotXML     = errors.New("not XML")
	ErrNotInvoice = errors.New("not a UBL 2.1 Invoice or CreditNote, nor a CII D16B CrossIndustryInvoice")
)

// Output is the binding family of s: "ubl" or "cii".
func (s Syntax) Output() string {
	if s == CII {
		return OutputCII
	}
	return OutputUBL
}

// Detect returns the syntax of data from its root element (local name and namespace). It
// looks no further than the root: a document that breaks later is found by Read.
func Detect(data []byte) (Syntax, error) {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	// Any declared encoding: the root element's name and namespace are ASCII.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return "", fmt.Errorf("%w: no root element", ErrNotXML)
		}
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrNotXML, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			if cd, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(cd)) > 0 {
				return "", fmt.Errorf("%w: text before the root element", ErrNotXML)
			}
			continue
		}
		ns := ""
		for _, a := range se.Attr {
			if (se.Name.Space == "" && a.Name.Space == "" && a.Name.Local == "xmlns") ||
				(se.Name.Space != "" && a.Name.Space == "xmlns" && a.Name.Local == se.Name.Space) {
				ns = a.Value
			}
		}
		switch {
		case se.Name.Local == "Invoice" && ns == ubl.NSInvoice:
			return UBLInvoice, nil
		case se.Name.Local == "CreditNote" && ns == ubl.NSCreditNote:
			return UBLCreditNote, nil
		case se.Name.Local == "CrossIndustryInvoice" && ns == cii.NamespaceRSM:
			return CII, nil
		}
		name := se.Name.Local
		if ns != "" {
			name = "{" + ns + "}" + name
		}
		return "", fmt.Errorf("%w: root element %s", ErrNotInvoice, name)
	}
}

// Read detects the syntax of data and reads it into the model with the binding's lenient
// reader; the violations are the reader's findings (each located by an XPath). The error
// wraps ErrNotXML or ErrNotInvoice.
func Read(data []byte) (Syntax, *invoice.Invoice, []invoice.Violation, error) {
	s, inv, vs, doc, err := readTree(data)
	if doc != nil {
		doc.Release() // nothing read keeps a node
	}
	return s, inv, vs, err
}

// readTree is Read that also returns the parsed document, for rules evaluated after
// reading.
func readTree(data []byte) (Syntax, *invoice.Invoice, []invoice.Violation, *schematron.Document, error) {
	if doc, plain := schematron.Scan(data); plain {
		// Its root element says what Detect would, without parsing the prologue again.
		if s, known := syntaxOf(doc.Element()); known {
			read := ubl.ReadDocument
			if s == CII {
				read = cii.ReadDocument
			}
			if inv, vs, err := read(doc); err == nil {
				return s, inv, vs, doc, nil
			}
		}
		doc.Release()
	}
	s, err := Detect(data)
	if err != nil {
		return "", nil, nil, nil, err
	}
	read := ubl.ReadTree
	if s == CII {
		read = cii.ReadTree
	}
	inv, vs, doc, err := read(data)
	if err != nil {
		// The root was right, so the rest of the document is not well-formed.
		return s, nil, nil, nil, fmt.Errorf("%w: %v", ErrNotXML, err)
	}
	return s, inv, vs, doc, nil
}

// syntaxOf is the syntax whose root element root is, as Detect tells it.
func syntaxOf(root *schematron.Node) (Syntax, bool) {
	switch {
	case root == nil:
	case root.Local == "Invoice" && root.Space == ubl.NSInvoice:
		return UBLInvoice, true
	case root.Local == "CreditNote" && root.Space == ubl.NSCreditNote:
		return UBLCreditNote, true
	case root.Local == "CrossIndustryInvoice" && root.Space == cii.NamespaceRSM:
		return CII, true
	}
	return "", false
}

// Writer returns the writer of the output syntax name ("ubl", "cii" or "facturx"; UBL
// writes a CreditNote when the type code BT-3 says so), or nil for any other name.
func Writer(name string) func(*invoice.Invoice) ([]byte, error) {
	switch name {
	case OutputUBL:
		return ubl.Write
	case OutputCII:
		return cii.Write
	case OutputFacturX:
		return facturx.Write
	}
	return nil
}

// Write encodes inv in the output syntax name (see Writer).
func Write(name string, inv *invoice.Invoice) ([]byte, error) {
	w := Writer(name)
	if w == nil {
		return nil, fmt.Errorf("unknown output syntax %q: write ubl, cii or facturx", name)
	}
	return w(inv)
}

// Check runs the rules of profile p (nil: EN 16931) on inv, read from a document in syntax
// s (the rules whose official UBL and CII schematrons differ follow that syntax), and returns them with each violation's Location set to the XPath of the element its
// model Path names in that syntax.
func Check(s Syntax, inv *invoice.Invoice, p *invoice.Profile) []invoice.Violation {
	vs := invoice.CheckFor(inv, p, s.Output())
	for i := range vs {
		if vs[i].Location == "" {
			vs[i].Location = XPath(s, vs[i].Path)
		}
	}
	return vs
}

// XPath translates a model path of a violation (see invoice.Violation.Path: "",
// "BG-25[2]", "BG-23[1]", "BG-25[2]/BG-27[1]", …) into an XPath of the element of syntax s
// that holds it. Groups it does not know locate at the nearest known ancestor.
func XPath(s Syntax, path string) string {
	var b strings.Builder
	switch s {
	case CII:
		b.WriteString("/rsm:CrossIndustryInvoice")
	case UBLCreditNote:
		b.WriteString("/CreditNote")
	default:
		b.WriteString("/Invoice")
	}
	const (
		tx       = "/rsm:SupplyChainTradeTransaction"
		agree    = tx + "/ram:ApplicableHeaderTradeAgreement"
		settle   = tx + "/ram:ApplicableHeaderTradeSettlement"
		delivery = tx + "/ram:ApplicableHeaderTradeDelivery"
	)
	lineTag := "cac:InvoiceLine"
	if s == UBLCreditNote {
		lineTag = "cac:CreditNoteLine"
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "" {
			continue
		}
		group, n := seg, 0
		if open := strings.IndexByte(seg, '['); open > 0 && strings.HasSuffix(seg, "]") {
			if v, err := strconv.Atoi(seg[open+1 : len(seg)-1]); err == nil {
				group, n = seg[:open], v
			}
		}
		idx := func(step string) string {
			if n > 0 {
				return fmt.Sprintf("%s[%d]", step, n)
			}
			return step
		}
		var step string
		if s == CII {
			switch group {
			case "BG-25":
				step = idx(tx + "/ram:IncludedSupplyChainTradeLineItem")
			case "BG-27", "BG-28":
				ind := map[string]string{"BG-27": "false", "BG-28": "true"}[group]
				step = idx("/ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='" + ind + "']")
			case "BG-26":
				step = "/ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod"
			case "BG-32":
				step = idx("/ram:SpecifiedTradeProduct/ram:ApplicableProductCharacteristic")
			case "BT-158":
				step = idx("/ram:SpecifiedTradeProduct/ram:DesignatedProductClassification")
			case "BG-20", "BG-21":
				ind := map[string]string{"BG-20": "false", "BG-21": "true"}[group]
				step = idx(settle + "/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='" + ind + "']")
			case "BG-23":
				step = idx(settle + "/ram:ApplicableTradeTax")
			case "BG-22":
				step = settle + "/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
			case "BG-16":
				step = settle
			case "BG-17":
				step = idx(settle + "/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount")
			case "BG-18":
				step = settle + "/ram:SpecifiedTradeSettlementPaymentMeans/ram:ApplicableTradeSettlementFinancialCard"
			case "BG-19":
				step = settle + "/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayerPartyDebtorFinancialAccount"
			case "BG-14":
				step = settle + "/ram:BillingSpecifiedPeriod"
			case "BG-3":
				step = idx(settle + "/ram:InvoiceReferencedDocument")
			case "BG-1":
				step = idx("/rsm:ExchangedDocument/ram:IncludedNote")
			case "BG-24":
				step = idx(agree + "/ram:AdditionalReferencedDocument")
			case "BG-4":
				step = agree + "/ram:SellerTradeParty"
			case "BG-5":
				step = agree + "/ram:SellerTradeParty/ram:PostalTradeAddress"
			case "BG-7":
				step = agree + "/ram:BuyerTradeParty"
			case "BG-8":
				step = agree + "/ram:BuyerTradeParty/ram:PostalTradeAddress"
			case "BG-10":
				step = settle + "/ram:PayeeTradeParty"
			case "BG-11":
				step = agree + "/ram:SellerTaxRepresentativeTradeParty"
			case "BG-13":
				step = delivery
			}
		} else {
			switch group {
			case "BG-25":
				step = idx("/" + lineTag)
			case "BG-27", "BG-28":
				ind := map[string]string{"BG-27": "false", "BG-28": "true"}[group]
				step = idx("/cac:AllowanceCharge[cbc:ChargeIndicator='" + ind + "']")
			case "BG-26":
				step = "/cac:InvoicePeriod"
			case "BG-32":
				step = idx("/cac:Item/cac:AdditionalItemProperty")
			case "BT-158":
				step = idx("/cac:Item/cac:CommodityClassification")
			case "BG-20", "BG-21":
				ind := map[string]string{"BG-20": "false", "BG-21": "true"}[group]
				step = idx("/cac:AllowanceCharge[cbc:ChargeIndicator='" + ind + "']")
			case "BG-23":
				step = idx("/cac:TaxTotal/cac:TaxSubtotal")
			case "BG-22":
				step = "/cac:LegalMonetaryTotal"
			case "BG-16":
				step = "/cac:PaymentMeans"
			case "BG-17":
				step = idx("/cac:PaymentMeans/cac:PayeeFinancialAccount")
			case "BG-18":
				step = "/cac:PaymentMeans/cac:CardAccount"
			case "BG-19":
				step = "/cac:PaymentMeans/cac:PaymentMandate"
			case "BG-14":
				step = "/cac:InvoicePeriod"
			case "BG-3":
				step = idx("/cac:BillingReference")
			case "BG-1":
				step = idx("/cbc:Note")
			case "BG-24":
				step = idx("/cac:AdditionalDocumentReference")
			case "BG-4":
				step = "/cac:AccountingSupplierParty"
			case "BG-5":
				step = "/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress"
			case "BG-7":
				step = "/cac:AccountingCustomerParty"
			case "BG-8":
				step = "/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress"
			case "BG-10":
				step = "/cac:PayeeParty"
			case "BG-11":
				step = "/cac:TaxRepresentativeParty"
			case "BG-13":
				step = "/cac:Delivery"
			}
		}
		if step == "" {
			break
		}
		b.WriteString(step)
	}
	return b.String()
}
