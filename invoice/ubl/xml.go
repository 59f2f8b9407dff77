package ubl

import (
	"fmt"
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
	"slices"
	"strconv"
	"strings"

	"github.com/fluxgate/fluxgate/invoice"
	"github.com/shopspring/decimal"
)

// writer carries what every part of the output needs to know.
type writer struct {
	inv    *invoice.Invoice
	credit bool // a CreditNote document
}

// el appends an empty child element.
func el(parent *xmlw.Element, tag string) *xmlw.Element { return parent.CreateElement(tag) }

// text appends <tag>value</tag> unless value is empty; it returns the element or nil.
func text(parent *xmlw.Element, tag, value string) *xmlw.Element {
	if value == "" {
		return nil
	}
	e := parent.CreateElement(tag)
	e.SetText(value)
	return e
}

// id appends <tag schemeID="...">value</tag> unless the identifier is absent.
func id(parent *xmlw.Element, tag string, v invoice.ID) *xmlw.Element {
	if v.Value == "" && v.Scheme == "" {
		return nil
	}
	e := parent.CreateElement(tag)
	if v.Scheme != "" {
		e.CreateAttr("schemeID", v.Scheme)
	}
	e.SetText(v.Value)
	return e
}

// date appends <tag>YYYY-MM-DD</tag> unless the date is absent.
func date(parent *xmlw.Element, tag string, d invoice.Date) {
	if !d.IsZero() {
		text(parent, tag, d.ISO())
	}
}

// amount appends an amount in the invoice currency (BT-5).
func (w *writer) amount(parent *xmlw.Element, tag string, d *decimal.Decimal) *xmlw.Element {
	return amountIn(parent, tag, d, w.inv.Currency, formatAmount)
}

// price appends a price (written as given) in the invoice currency.
func (w *writer) price(parent *xmlw.Element, tag string, d *decimal.Decimal) *xmlw.Element {
	return amountIn(parent, tag, d, w.inv.Currency, decimal.Decimal.String)
}

func amountIn(parent *xmlw.Element, tag string, d *decimal.Decimal, currency string, format func(decimal.Decimal) string) *xmlw.Element {
	if d == nil {
		return nil
	}
	e := parent.CreateElement(tag)
	if currency != "" {
		e.CreateAttr("currencyID", currency)
	}
	e.SetText(format(*d))
	return e
}

// number appends a quantity, rate or percentage written as given.
func number(parent *xmlw.Element, tag string, d *decimal.Decimal) *xmlw.Element {
	if d == nil {
		return nil
	}
	e := parent.CreateElement(tag)
	e.SetText(d.String())
	return e
}

// quantity appends a quantity with its unit code.
func quantity(parent *xmlw.Element, tag string, d *decimal.Decimal, unit string) {
	if d == nil && unit == "" {
		return
	}
	e := parent.CreateElement(tag)
	if unit != "" {
		e.CreateAttr("unitCode", unit)
	}
	if d != nil {
		e.SetText(d.String())
	}
}

// formatAmount writes an amount with exactly two decimals when its value has at most two,
// and with all its significant decimals otherwise (which BR-DEC rules then report).
func formatAmount(d decimal.Decimal) string {
	if d.Exponent() >= -2 || d.Equal(d.Round(2)) {
		return d.StringFixed(2)
	}
	return d.String()
}

// taxScheme appends <cac:TaxScheme><cbc:ID>id</cbc:ID></cac:TaxScheme>.
func taxScheme(parent *xmlw.Element, id string) {
	text(el(parent, "cac:TaxScheme"), "cbc:ID", id)
}

// reader accumulates the model and the findings of one Read.
type reader struct {
	inv    *invoice.Invoice
	credit bool
	vs     []invoice.Violation
}

// finding records a reader violation at e.
func (r *reader) finding(sev invoice.Severity, e *schematron.Node, path, en, fr string, bt ...string) {
	r.vs = append(r.vs, invoice.Violation{
		Rule: RuleRead, Severity: sev, BT: bt, Path: path, Location: xpath(e), EN: en, FR: fr,
	})
}

// one returns the first child element tag of e (nil if none, or e is nil) and records a
// warning when the child occurs more often than the model can hold.
func (r *reader) one(e *schematron.Node, tag, path string, bt ...string) *schematron.Node {
	if e == nil {
		return nil
	}
	space, local := splitTag(tag)
	var first *schematron.Node
	n := 0
	for _, c := range e.Children {
		if isElement(c, space, local) {
			if n == 0 {
				first = c
			}
			n++
		}
	}
	// A repetition an official syntax rule forbids is reported by that rule.
	if n > 1 && maxOnceRule(tag, path, bt) == "" {
		// A copy, so that bt does not escape and callers' lists stay on their stacks.
		r.finding(invoice.Warning, first, path,
			fmt.Sprintf("%s occurs %d times; only the first is kept", tag, n),
			fmt.Sprintf("%s apparaît %d fois ; seule la première occurrence est conservée", tag, n), slices.Clone(bt)...)
	}
	return first
}

// maxOnceRules are the official UBL syntax rules "… shall occur maximum once", by the
// repeated child and the business term it holds (and the party, for party terms); the
// reader leaves those repetitions to them.
var maxOnceRules = map[string]string{
	"cac:ContractDocumentReference BT-12":   "UBL-SR-01",
	"cac:ReceiptDocumentReference BT-15":    "UBL-SR-02",
	"cac:DespatchDocumentReference BT-16":   "UBL-SR-03",
	"cbc:Note BT-20":                        "UBL-SR-05",
	"cac:InvoicePeriod BG-14":               "UBL-SR-08",
	"cac:PartyName BT-28 BG-4":              "UBL-SR-10",
	"cac:PartyName BT-28 BG-7":              "UBL-SR-40",
	"cac:PartyName BT-59":                   "UBL-SR-19",
	"cac:PartyName BT-62":                   "UBL-SR-22",
	"cac:Delivery BG-13":                    "UBL-SR-24",
	"cbc:PaymentID BT-83":                   "UBL-SR-26",
	"cbc:AllowanceChargeReason BT-97":       "UBL-SR-30",
	"cbc:AllowanceChargeReason BT-104":      "UBL-SR-31",
	"cbc:TaxExemptionReason BT-120":         "UBL-SR-32",
	"cbc:DocumentDescription BT-123":        "UBL-SR-33",
	"cbc:Note BT-127":                       "UBL-SR-34",
	"cac:OrderLineReference BT-132":         "UBL-SR-35",
	"cac:InvoicePeriod BG-26":               "UBL-SR-36",
	"cac:AllowanceCharge BT-147":            "UBL-SR-37",
	"cac:ProjectReference BT-11":            "UBL-SR-39",
	"cbc:DueDate BT-9":                      "UBL-SR-45",
	"cac:ClassifiedTaxCategory BG-30":       "UBL-SR-48",
	"cbc:TaxPointDate BT-7":                 "UBL-SR-49",
	"cbc:Description BT-154":                "UBL-SR-50",
	"cac:AddressLine BT-162":                "UBL-SR-51",
	"cac:OriginatorDocumentReference BT-17": "UBL-SR-56",
}

// maxOnceRule is the official rule a repetition of tag breaks, or "".
func maxOnceRule(tag, path string, bt []string) string {
	if len(bt) == 0 {
		return ""
	}
	if rule, ok := maxOnceRules[tag+" "+bt[0]+" "+path]; ok {
		return rule
	}
	return maxOnceRules[tag+" "+bt[0]]
}

// child follows a path of child tags ("cbc:ID", with a canonical prefix) from e, taking the
// first match at each step; nil when any step is missing.
func child(e *schematron.Node, tags ...string) *schematron.Node {
	for _, t := range tags {
		if e == nil {
			return nil
		}
		space, local := splitTag(t)
		var found *schematron.Node
		for _, c := range e.Children {
			if isElement(c, space, local) {
				found = c
				break
			}
		}
		e = found
	}
	return e
}

// elements lists the child elements of e of a tag ("cac:InvoiceLine", with a canonical
// prefix).
func elements(e *schematron.Node, tag string) []*schematron.Node {
	space, local := splitTag(tag)
	var out []*schematron.Node
	for _, c := range e.Children {
		if isElement(c, space, local) {
			out = append(out, c)
		}
	}
	return out
}

// splitTag is the namespace URI ("" for any) and local name of a tag with a canonical prefix.
func splitTag(tag string) (space, local string) {
	prefix, local, ok := strings.Cut(tag, ":")
	if !ok {
		return "", tag
	}
	return namespaceOf(prefix), local
}

// isElement reports whether n is an element of that namespace ("" for any) and local name.
func isElement(n *schematron.Node, space, local string) bool {
	return n.Kind == schematron.ElementNode && n.Local == local && (space == "" || n.Space == space)
}

// textOf is the trimmed text of e, or "" for a nil element.
func textOf(e *schematron.Node) string {
	if e == nil {
		return ""
	}
	return strings.TrimSpace(e.Text())
}

// attr is the trimmed value of attribute key of e, or "".
func attr(e *schematron.Node, key string) string {
	if e == nil {
		return ""
	}
	return strings.TrimSpace(e.AttrValue(key))
}

// idOf reads an identifier and its schemeID.
func idOf(e *schematron.Node) invoice.ID {
	return invoice.ID{Value: textOf(e), Scheme: attr(e, "schemeID")}
}

// dec parses the decimal content of e (nil when e is nil or empty); a malformed value
// becomes a fatal finding and nil.
func (r *reader) dec(e *schematron.Node, path, bt string) *decimal.Decimal {
	s := textOf(e)
	if s == "" {
		return nil
	}
	d, err := decimal.NewFromString(strings.TrimPrefix(s, "+"))
	if err != nil || strings.ContainsAny(s, "eE") {
		r.finding(invoice.Fatal, e, path,
			fmt.Sprintf("%q is not a decimal number", s),
			fmt.Sprintf("« %s » n'est pas un nombre décimal", s), bt)
		return nil
	}
	return &d
}

// amount parses an amount like dec; a currencyID other than want (BT-5, or BT-6 for BT-111)
// cannot be kept by the model and becomes a warning.
func (r *reader) amount(e *schematron.Node, path, bt, want string) *decimal.Decimal {
	d := r.dec(e, path, bt)
	if cur := attr(e, "currencyID"); d != nil && cur != want {
		r.finding(invoice.Warning, e, path,
			fmt.Sprintf("amount in currency %q where %q is expected; the currency is not kept", cur, want),
			fmt.Sprintf("montant en devise « %s » au lieu de « %s » ; la devise n'est pas conservée", cur, want), bt)
	}
	return d
}

// date parses the YYYY-MM-DD content of e (a time zone suffix is ignored); an empty element
// is an absent date, a malformed date becomes a fatal finding and the zero date.
func (r *reader) date(e *schematron.Node, path, bt string) invoice.Date {
	s := textOf(e)
	if s == "" {
		return invoice.Date{}
	}
	v := s
	if len(v) > 10 {
		v = v[:10]
	}
	d, err := invoice.ParseDate("2006-01-02", v)
	if err != nil || (len(s) > 10 && !validZone(s[10:])) {
		r.finding(invoice.Fatal, e, path,
			fmt.Sprintf("%q is not a date (YYYY-MM-DD)", s),
			fmt.Sprintf("« %s » n'est pas une date (AAAA-MM-JJ)", s), bt)
		return invoice.Date{}
	}
	return d
}

// validZone reports whether z is an xsd:date time zone suffix: Z, +hh:mm or -hh:mm.
func validZone(z string) bool {
	if z == "Z" {
		return true
	}
	return len(z) == 6 && (z[0] == '+' || z[0] == '-') && z[3] == ':'
}

func itoa(i int) string { return strconv.Itoa(i) }
