// Package cii reads and writes UN/CEFACT Cross Industry Invoice D16B documents
// (rsm:CrossIndustryInvoice) following the EN 16931 CII binding (CEN/TS 16931-3-3).
//
// Each part of the document has its own file holding both directions, so a binding is read
// and fixed in one place: header.go (document, context, references, notes), parties.go,
// lines.go, allowances.go, totals.go (totals and VAT breakdown), payment.go and
// attachments.go. The writer emits the elements in the order the D16B schema's sequences
// require; the reader is lenient and reports what it cannot understand as violations.
package cii

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"

	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
)

// Syntax names this binding in reports and configuration.
const Syntax = "cii"

// Namespaces of the D16B CrossIndustryInvoice schema modules.
const (
	NamespaceRSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	NamespaceRAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
	NamespaceQDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
	NamespaceUDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
)

// RuleRead is the rule id of reader findings that no official syntax rule names.
const RuleRead = "CII-READ"

// Write returns inv as an indented, UTF-8 CrossIndustryInvoice document. It fails when the
// model holds a term that CII D16B cannot carry (for example a second preceding invoice
// reference), rather than dropping it silently.
func Write(inv *invoice.Invoice) ([]byte, error) {
	if inv == nil {
		return nil, errors.New("cii: nil invoice")
	}
	w := &writer{inv: inv}
	doc := xmlw.NewDocument()
	defer doc.Release() // its elements serve the next invoice
	root := doc.CreateElement("rsm:CrossIndustryInvoice")
	root.CreateAttr("xmlns:rsm", NamespaceRSM)
	root.CreateAttr("xmlns:qdt", NamespaceQDT)
	root.CreateAttr("xmlns:ram", NamespaceRAM)
	root.CreateAttr("xmlns:udt", NamespaceUDT)

	w.context(root)
	w.document(root)
	tx := root.CreateElement("rsm:SupplyChainTradeTransaction")
	for i := range inv.Lines {
		w.line(tx, i, &inv.Lines[i])
	}
	w.agreement(tx.CreateElement("ram:ApplicableHeaderTradeAgreement"))
	w.delivery(tx.CreateElement("ram:ApplicableHeaderTradeDelivery"))
	w.settlement(tx.CreateElement("ram:ApplicableHeaderTradeSettlement"))

	if len(w.errs) > 0 {
		return nil, fmt.Errorf("cii: cannot write invoice %q: %s", inv.Number, strings.Join(w.errs, "; "))
	}
	return doc.Bytes(2), nil
}

// Read parses a CrossIndustryInvoice. It fails only when data is not XML or not a
// CrossIndustryInvoice; anything else it cannot understand (a malformed amount or date, a
// term repeated beyond what the model holds) is returned as a violation next to the model.
func Read(data []byte) (*invoice.Invoice, []invoice.Violation, error) {
	inv, vs, doc, err := ReadTree(data)
	if doc != nil {
		doc.Release() // nothing read keeps a node
	}
	return inv, vs, err
}

// ReadTree is Read that also returns the parsed document the official rules were evaluated
// on, so that a caller evaluating more rules on it (the French document rules) does not
// parse the same bytes again.
func ReadTree(data []byte) (*invoice.Invoice, []invoice.Violation, *schematron.Document, error) {
	sdoc, err := schematron.Read(data)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cii: not an XML document: %w", err)
	}
	inv, vs, err := ReadDocument(sdoc)
	if err != nil {
		sdoc.Release()
		return nil, nil, nil, err
	}
	return inv, vs, sdoc, nil
}

// ReadDocument is Read of a parsed document.
func ReadDocument(sdoc *schematron.Document) (*invoice.Invoice, []invoice.Violation, error) {
	root := sdoc.Element()
	if root == nil {
		return nil, nil, errors.New("cii: not an XML document: no root element")
	}
	if root.Local != "CrossIndustryInvoice" || root.Space != NamespaceRSM {
		return nil, nil, fmt.Errorf("cii: root element is {%s}%s, not a CrossIndustryInvoice", root.Space, root.Local)
	}
	r := &reader{viol: syntaxViolations(sdoc)}
	inv := &invoice.Invoice{}
	r.context(root, inv)
	r.document(root, inv)
	if tx := child(root, "SupplyChainTradeTransaction"); tx != nil {
		r.agreement(child(tx, "ApplicableHeaderTradeAgreement"), inv)
		r.delivery(child(tx, "ApplicableHeaderTradeDelivery"), inv)
		r.settlement(child(tx, "ApplicableHeaderTradeSettlement"), inv)
		items := children(tx, "IncludedSupplyChainTradeLineItem")
		inv.Lines = make([]invoice.Line, 0, len(items))
		for i, le := range items {
			inv.Lines = append(inv.Lines, r.line(le, i))
		}
	} else {
		r.finding(root, invoice.Fatal, "", nil, "SupplyChainTradeTransaction est absent", "SupplyChainTradeTransaction is missing")
	}
	r.currencies(root)
	return inv, r.viol, nil
}

// writer accumulates the terms it cannot write.
type writer struct {
	inv  *invoice.Invoice
	errs []string
}

func (w *writer) cannot(format string, args ...any) {
	w.errs = append(w.errs, fmt.Sprintf(format, args...))
}

// reader accumulates findings.
type reader struct {
	viol []invoice.Violation
}

// --- writing helpers -------------------------------------------------------------------

// text adds <tag>s</tag> when s is not empty.
func text(parent *xmlw.Element, tag, s string) *xmlw.Element {
	if s == "" {
		return nil
	}
	e := parent.CreateElement(tag)
	e.SetText(s)
	return e
}

// idElem adds <tag schemeID="…">value</tag> when the identifier is present.
func idElem(parent *xmlw.Element, tag string, id invoice.ID) *xmlw.Element {
	if id.Value == "" {
		return nil
	}
	e := text(parent, tag, id.Value)
	if id.Scheme != "" {
		e.CreateAttr("schemeID", id.Scheme)
	}
	return e
}

// amount adds an amount: exactly two decimals when its scale is at most 2, as is otherwise.
func amount(parent *xmlw.Element, tag string, d *decimal.Decimal) *xmlw.Element {
	if d == nil {
		return nil
	}
	return text(parent, tag, formatAmount(*d))
}

func formatAmount(d decimal.Decimal) string {
	if d.Exponent() >= -2 {
		return d.StringFixed(2)
	}
	return d.String()
}

// number adds a quantity, price, rate or percentage as given (trailing zeros kept).
func number(parent *xmlw.Element, tag string, d *decimal.Decimal) *xmlw.Element {
	if d == nil {
		return nil
	}
	return text(parent, tag, formatNumber(*d))
}

func formatNumber(d decimal.Decimal) string {
	if d.Exponent() < 0 {
		return d.StringFixed(-d.Exponent())
	}
	return d.String()
}

// dateTime adds <tag><udt:DateTimeString format="102">YYYYMMDD</udt:DateTimeString></tag>.
func dateTime(parent *xmlw.Element, tag string, d invoice.Date) {
	dateIn(parent, tag, "udt:DateTimeString", d)
}

func dateIn(parent *xmlw.Element, tag, inner string, d invoice.Date) {
	if d.IsZero() {
		return
	}
	e := parent.CreateElement(tag).CreateElement(inner)
	e.CreateAttr("format", "102")
	e.SetText(d.Compact())
}

// indicator adds <tag><udt:Indicator>true|false</udt:Indicator></tag>.
func indicator(parent *xmlw.Element, tag string, v bool) {
	e := parent.CreateElement(tag).CreateElement("udt:Indicator")
	if v {
		e.SetText("true")
	} else {
		e.SetText("false")
	}
}

// --- reading helpers -------------------------------------------------------------------

// child returns the first child element with the local name, or nil (also for a nil parent).
// Namespace prefixes are ignored so that documents with unusual prefixes still read.
func child(e *schematron.Node, local string) *schematron.Node {
	if e == nil {
		return nil
	}
	for _, c := range e.Children {
		if c.Kind == schematron.ElementNode && c.Local == local {
			return c
		}
	}
	return nil
}

// children returns the child elements with the local name.
func children(e *schematron.Node, local string) []*schematron.Node {
	if e == nil {
		return nil
	}
	var out []*schematron.Node
	for _, c := range e.Children {
		if c.Kind == schematron.ElementNode && c.Local == local {
			out = append(out, c)
		}
	}
	return out
}

// firstOf returns the first child of e with the local name, or nil. It is for an element
// the schema allows once: a repetition is reported at the second one (sev, rule, bt, fr,
// en as for finding) and ignored, so that the reader goes on with the first.
func (r *reader) firstOf(e *schematron.Node, local string, sev invoice.Severity, rule string, bt []string, fr, en string) *schematron.Node {
	first, second := firstTwo(e, local)
	if second != nil {
		r.finding(second, sev, rule, bt, fr, en)
	}
	return first
}

// firstTwo returns the first and second child elements of e with the local name, nil for
// those it lacks, without collecting them all.
func firstTwo(e *schematron.Node, local string) (first, second *schematron.Node) {
	if e == nil {
		return nil, nil
	}
	for _, c := range e.Children {
		if c.Kind == schematron.ElementNode && c.Local == local {
			if first != nil {
				return first, c
			}
			first = c
		}
	}
	return first, nil
}

// at follows a path of local names from e.
func at(e *schematron.Node, path ...string) *schematron.Node {
	for _, p := range path {
		e = child(e, p)
	}
	return e
}

// value is the trimmed text of e ("" for nil).
func value(e *schematron.Node) string {
	if e == nil {
		return ""
	}
	return strings.TrimSpace(e.Text())
}

// textOf is the trimmed text of the first child with the local name.
func textOf(e *schematron.Node, local string) string { return value(child(e, local)) }

// attr is the trimmed value of an attribute ("" when e is nil or has none).
func attr(e *schematron.Node, key string) string {
	if e == nil {
		return ""
	}
	return strings.TrimSpace(e.AttrValue(key))
}

// idOf reads an identifier with its schemeID; an empty identifier is absent, scheme and all.
func idOf(e *schematron.Node) invoice.ID {
	if value(e) == "" {
		return invoice.ID{}
	}
	return invoice.ID{Value: value(e), Scheme: attr(e, "schemeID")}
}

// dec reads a decimal; a malformed one is a finding and reads as absent.
func (r *reader) dec(e *schematron.Node, bt string) *decimal.Decimal {
	if e == nil {
		return nil
	}
	s := value(e)
	d, err := decimal.NewFromString(s)
	if err != nil || strings.ContainsAny(s, "eE") {
		r.finding(e, invoice.Fatal, "", []string{bt},
			fmt.Sprintf("%s : %q n'est pas un nombre décimal", bt, s),
			fmt.Sprintf("%s: %q is not a decimal number", bt, s))
		return nil
	}
	return &d
}

// date reads the date held by the container e (udt:DateTimeString, udt:DateString or
// qdt:DateTimeString, format 102).
func (r *reader) date(e *schematron.Node, bt string) invoice.Date {
	if e == nil {
		return invoice.Date{}
	}
	s := child(e, "DateTimeString")
	if s == nil {
		s = child(e, "DateString")
	}
	if s == nil {
		if dt := child(e, "DateTime"); dt != nil {
			r.finding(dt, invoice.Warning, "", []string{bt},
				bt+" : DateTime n'est pas la forme EN 16931 (DateTimeString au format 102) ; la date est lue",
				bt+": DateTime is not the EN 16931 form (DateTimeString, format 102); the date is read")
			if v := value(dt); len(v) >= 10 {
				if d, err := invoice.ParseDate("2006-01-02", v[:10]); err == nil {
					return d
				}
			}
			return invoice.Date{}
		}
		r.finding(e, invoice.Fatal, "", []string{bt}, bt+" : date absente", bt+": the date is missing")
		return invoice.Date{}
	}
	v := value(s)
	format := attr(s, "format")
	if format == "" {
		r.finding(s, invoice.Warning, "", []string{bt}, bt+" : attribut format absent, 102 supposé", bt+": format attribute missing, 102 assumed")
	} else if format != "102" {
		r.finding(s, invoice.Fatal, "", []string{bt},
			fmt.Sprintf("%s : format de date %q non pris en charge (102 attendu)", bt, format),
			fmt.Sprintf("%s: date format %q is not supported (102 expected)", bt, format))
		return invoice.Date{}
	}
	d, err := invoice.ParseDate("20060102", v)
	if err != nil || len(v) != 8 {
		// The official CII-DT-097 reports a value that is not YYYYMMDD (syntaxrules.go); this
		// says which term is lost, also for an impossible date of that form (20260231).
		r.finding(s, invoice.Fatal, "", []string{bt},
			fmt.Sprintf("%s : %q n'est pas une date AAAAMMJJ", bt, v),
			fmt.Sprintf("%s: %q is not a YYYYMMDD date", bt, v))
		return invoice.Date{}
	}
	return d
}

// finding records a violation located at e; rule "" means RuleRead. The official syntax
// rules (CII-SR, CII-DT) are evaluated on the document as the official artefacts state them
// (syntaxrules.go), so the reader leaves them out here and goes on reading.
func (r *reader) finding(e *schematron.Node, sev invoice.Severity, rule string, bt []string, fr, en string) {
	if strings.HasPrefix(rule, "CII-") {
		return
	}
	if rule == "" {
		rule = RuleRead
	}
	r.viol = append(r.viol, invoice.Violation{Rule: rule, Severity: sev, BT: bt, Location: xpath(e), FR: fr, EN: en})
}

// xpath locates e as /prefix:Name[n]/… (indices only where siblings share the name).
func xpath(e *schematron.Node) string {
	var parts []string
	for ; e != nil && e.Kind == schematron.ElementNode; e = e.Parent {
		seg := e.Name()
		if p := e.Parent; p != nil {
			same, idx := 0, 0
			for _, s := range p.Children {
				if s.Kind == schematron.ElementNode && s.Name() == e.Name() {
					same++
					if s == e {
						idx = same
					}
				}
			}
			if same > 1 {
				seg = fmt.Sprintf("%s[%d]", seg, idx)
			}
		}
		parts = append(parts, seg)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return "/" + strings.Join(parts, "/")
}
