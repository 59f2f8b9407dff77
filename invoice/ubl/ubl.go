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

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
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
	inv, vs, doc, err := ReadTree(data)
	if doc != nil {
		doc.Release() // nothing read keeps a node
	}
	return inv, vs, err
}

// ReadTree is Read that also returns the parsed document as the official rules saw it, so
// that a caller evaluating more rules on it (the French document rules) does not parse the
// same bytes again. The reader walks the same tree, by namespace URI, whatever prefixes the
// document used.
func ReadTree(data []byte) (*invoice.Invoice, []invoice.Violation, *schematron.Document, error) {
	doc, err := schematron.Read(data)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ubl: not XML: %w", err)
	}
	inv, vs, err := ReadDocument(doc)
	if err != nil {
		doc.Release()
		return nil, nil, nil, err
	}
	return inv, vs, doc, nil
}

// ReadDocument is Read of a parsed document.
func ReadDocument(doc *schematron.Document) (*invoice.Invoice, []invoice.Violation, error) {
	root := doc.Element()
	if root == nil {
		return nil, nil, errors.New("ubl: not XML: no root element")
	}
	r := &reader{inv: &invoice.Invoice{}}
	switch {
	case root.Local == "Invoice" && root.Space == NSInvoice:
	case root.Local == "CreditNote" && root.Space == NSCreditNote:
		r.credit = true
	default:
		return nil, nil, fmt.Errorf("ubl: root element %s:%s is not a UBL 2.1 Invoice or CreditNote", canonicalPrefix(root.Space), root.Local)
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
	lines := elements(root, lineTag)
	r.inv.Lines = make([]invoice.Line, 0, len(lines))
	for i, e := range lines {
		r.inv.Lines = append(r.inv.Lines, r.readLine(e, i))
	}
	if r.credit {
		// Lenient: an InvoiceLine inside a CreditNote is still a line.
		for _, e := range elements(root, "cac:InvoiceLine") {
			r.inv.Lines = append(r.inv.Lines, r.readLine(e, len(r.inv.Lines)))
		}
	}
	r.readSyntaxRules(doc, root)
	return r.inv, r.vs, nil
}

// canonicalPrefix is the prefix the reader names a namespace by, whatever prefix the
// document bound it to: cbc, cac, inv or cn, and "?" for any other namespace.
func canonicalPrefix(uri string) string {
	switch uri {
	case NSCBC:
		return "cbc"
	case NSCAC:
		return "cac"
	case NSInvoice:
		return "inv"
	case NSCreditNote:
		return "cn"
	}
	return "?"
}

// namespaceOf is the namespace URI of a canonical prefix (see canonicalPrefix); "" for no
// prefix, which matches any namespace.
func namespaceOf(prefix string) string {
	switch prefix {
	case "cbc":
		return NSCBC
	case "cac":
		return NSCAC
	case "inv":
		return NSInvoice
	case "cn":
		return NSCreditNote
	case "":
		return ""
	}
	return "?"
}

// sameName reports whether two elements have the same local name and canonical prefix.
func sameName(a, b *schematron.Node) bool {
	return a.Local == b.Local && (a.Space == b.Space || canonicalPrefix(a.Space) == canonicalPrefix(b.Space))
}

// xpath locates e for a finding: "/Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount".
func xpath(e *schematron.Node) string {
	var parts []string
	for ; e != nil && e.Kind == schematron.ElementNode; e = e.Parent {
		name := e.Local
		if p := canonicalPrefix(e.Space); p == "cbc" || p == "cac" {
			name = p + ":" + e.Local
		}
		if p := e.Parent; p != nil {
			n, at := 0, 0
			for _, s := range p.Children {
				if s.Kind == schematron.ElementNode && sameName(s, e) {
					n++
					if s == e {
						at = n
					}
				}
			}
			if n > 1 {
				name = fmt.Sprintf("%s[%d]", name, at)
			}
		}
		parts = append(parts, name)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return "/" + strings.Join(parts, "/")
}
