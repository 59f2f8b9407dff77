// Package ubl reads and writes EN 16931 invoices in the UBL 2.1 syntax (Invoice and
// CreditNote documents), following the EN 16931 UBL binding (CEN/TS 16931-3-2).
//
// Each file holds one part of the document in both directions: header.go (document head and
// references), parties.go (seller, buyer, payee, tax representative, delivery), payment.go,
// allowances.go, totals.go (totals and VAT breakdown), attachments.go and lines.go.
//
// Binding choices the EN 16931 model leaves open:
//   - BT-21 (note subject) is written as "#CODE#text" in cbc:Note, as the UBL binding says.
//   - BT-32 (seller tax registration) is a PartyTaxScheme whose TaxScheme/ID is "TAX"; any
//     TaxScheme/ID other than VAT is read as BT-32.
//   - BT-90 (creditor id) is a seller PartyIdentification/ID with schemeID "SEPA"; it is read
//     from the seller or the payee.
//   - BT-9 in a CreditNote goes to the first cac:PaymentMeans/cbc:PaymentDueDate (UBL 2.1
//     CreditNote has no cbc:DueDate); without payment means, to cac:PaymentTerms/cbc:PaymentDueDate.
//   - BT-11 in a CreditNote is an AdditionalDocumentReference with DocumentTypeCode 50; BT-18
//     is one with DocumentTypeCode 130 (both documents).
package ubl

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fluxgate/fluxgate/internal/xmlw"

	"github.com/beevik/etree"
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/invoice"
)

// Syntax names of the two UBL documents this package reads and writes.
const (
	SyntaxInvoice    = "ubl-invoice"
	SyntaxCreditNote = "ubl-creditnote"
)

// Namespaces of UBL 2.1.
const (
	NSInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	NSCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	NSCAC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	NSCBC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
)

// RuleRead is the rule id of findings about values the reader cannot understand (a malformed
// amount, date or binary object) or cannot keep (a term repeated more often than the model
// allows).
const RuleRead = "UBL-READ"

// Write encodes inv as a UBL 2.1 document: a CreditNote when inv.IsCreditNote(), an Invoice
// otherwise. It writes only the terms the model holds, in the order the UBL 2.1 schemas
// require; a model that passes the EN 16931 rules yields a schema-valid document.
func Write(inv *invoice.Invoice) ([]byte, error) {
	if inv == nil {
		return nil, errors.New("ubl: nil invoice")
	}
	w := &writer{inv: inv, credit: inv.IsCreditNote()}
	doc := xmlw.NewDocument()
	defer doc.Release() // its elements serve the next invoice
	root := doc.CreateElement("Invoice")
	ns := NSInvoice
	if w.credit {
		root.Tag, ns = "CreditNote", NSCreditNote
	}
	root.CreateAttr("xmlns", ns)
	root.CreateAttr("xmlns:cac", NSCAC)
	root.CreateAttr("xmlns:cbc", NSCBC)

	w.header(root)
	w.references(root)
	w.parties(root)
	w.delivery(root)
	w.payment(root)
	w.allowancesCharges(root, inv.Allowances, inv.Charges, true)
	w.totals(root)
	for i := range inv.Lines {
		w.line(root, &inv.Lines[i])
	}
	return doc.Bytes(2), nil
}

// Read decodes a UBL 2.1 Invoice (root Invoice in namespace NSInvoice) or CreditNote (root
// CreditNote in namespace NSCreditNote). It is lenient: a malformed value or a term repeated
// more often than the model holds becomes a Violation (rule RuleRead, Location an XPath) and
// reading goes on. It returns an error only when data is not XML or its root is neither.
func Read(data []byte) (*invoice.Invoice, []invoice.Violation, error) {
	inv, vs, _, err := ReadTree(data)
	return inv, vs, err
}

// ReadTree is Read that also returns the parsed document as the official rules saw it, so
// that a caller evaluating more rules on it (the French document rules) does not parse the
// same bytes again.
func ReadTree(data []byte) (*invoice.Invoice, []invoice.Violation, *schematron.Document, error) {
	// The official rules read the prefixes as written: sdoc is built before canonical.
	doc, sdoc, err := schematron.Read(data)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ubl: not XML: %w", err)
	}
	root := doc.Root()
	if root == nil {
		return nil, nil, nil, errors.New("ubl: not XML: no root element")
	}
	canonical(root, nil)
	r := &reader{inv: &invoice.Invoice{}}
	switch {
	case root.Tag == "Invoice" && root.Space == spaceInvoice:
	case root.Tag == "CreditNote" && root.Space == spaceCreditNote:
		r.credit = true
	default:
		return nil, nil, nil, fmt.Errorf("ubl: root element %s is not a UBL 2.1 Invoice or CreditNote", root.FullTag())
	}
	r.readHeader(root)
	r.readReferences(root)
	r.readPayment(root) // before parties: the SEPA creditor id needs the payment instructions
	r.readParties(root)
	r.readDelivery(root)
	r.readAllowancesCharges(root)
	r.readTotals(root)
	lineTag := "cac:InvoiceLine"
	if r.credit {
		lineTag = "cac:CreditNoteLine"
	}
	for i, e := range root.SelectElements(lineTag) {
		r.inv.Lines = append(r.inv.Lines, r.readLine(e, i))
	}
	if r.credit {
		// Lenient: an InvoiceLine inside a CreditNote is still a line.
		for _, e := range root.SelectElements("cac:InvoiceLine") {
			r.inv.Lines = append(r.inv.Lines, r.readLine(e, len(r.inv.Lines)))
		}
	}
	r.readSyntaxRules(sdoc, root)
	return r.inv, r.vs, sdoc, nil
}

// Canonical prefixes the reader gives every element, whatever prefixes the document used.
const (
	spaceInvoice    = "inv"
	spaceCreditNote = "cn"
	spaceOther      = "?"
)

// canonical rewrites the namespace prefix of e and its descendants to cbc, cac, inv or cn
// according to their namespace URI (anything else becomes "?"), so that lookups by "cbc:ID"
// match whatever prefixes the document used.
func canonical(e *etree.Element, scope map[string]string) {
	copied := false
	for _, a := range e.Attr {
		prefix, ok := "", false
		switch {
		case a.Space == "" && a.Key == "xmlns":
			ok = true
		case a.Space == "xmlns":
			prefix, ok = a.Key, true
		}
		if !ok {
			continue
		}
		if !copied {
			next := make(map[string]string, len(scope)+4)
			for k, v := range scope {
				next[k] = v
			}
			scope, copied = next, true
		}
		scope[prefix] = a.Value
	}
	switch scope[e.Space] {
	case NSCBC:
		e.Space = "cbc"
	case NSCAC:
		e.Space = "cac"
	case NSInvoice:
		e.Space = spaceInvoice
	case NSCreditNote:
		e.Space = spaceCreditNote
	default:
		e.Space = spaceOther
	}
	for _, c := range e.ChildElements() {
		canonical(c, scope)
	}
}

// xpath locates e for a finding: "/Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount".
func xpath(e *etree.Element) string {
	var parts []string
	for ; e != nil; e = e.Parent() {
		name := e.Tag
		if e.Space == "cbc" || e.Space == "cac" {
			name = e.Space + ":" + e.Tag
		}
		if p := e.Parent(); p != nil {
			n, at := 0, 0
			for _, s := range p.ChildElements() {
				if s.Space == e.Space && s.Tag == e.Tag {
					n++
					if s == e {
						at = n
					}
				}
			}
			if n > 1 {
				name = fmt.Sprintf("%s[%d]", name, at)
			}
		} else if e.Tag == "" {
			break // the document node
		}
		parts = append(parts, name)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return "/" + strings.Join(parts, "/")
}
