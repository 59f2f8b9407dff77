package syntax

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/cii"
	"github.com/fluxgate/fluxgate/invoice/internal/docrules"
	"github.com/fluxgate/fluxgate/invoice/ubl"
)

// The French CTC rules (BR-FR) as the official FNFE-MPE schematrons v1.4.0 state them, for
// UBL and for CII: their contexts and tests, trimmed from the official "FATAL" files (the
// "_WARNING" files differ only by the flags, which the profiles hold). TestFrenchRulesData
// regenerates and checks them.
var (
	//go:embed frctc-ubl.sch
	frUBLData []byte
	//go:embed frctc-cii.sch
	frCIIData []byte
)

var frSchemas = sync.OnceValue(func() map[string]*schematron.Schema {
	out := map[string]*schematron.Schema{}
	for name, data := range map[string][]byte{OutputUBL: frUBLData, OutputCII: frCIIData} {
		s, err := schematron.Load(data)
		if err != nil {
			panic(fmt.Sprintf("syntax: embedded French rules (%s): %v", name, err))
		}
		out[name] = s
	}
	return out
})

// CheckDocument reads an invoice document and checks it against p: the reader's findings,
// then the profile's rules on the model (located in the document, see CheckRead), then its
// rules that judge the document itself (Rule.Document: the French BR-FR rules), evaluated on
// data as the official schematrons do. The error wraps ErrNotXML or ErrNotInvoice.
func CheckDocument(data []byte, p *invoice.Profile) (Syntax, *invoice.Invoice, []invoice.Violation, error) {
	s, inv, readVs, doc, err := readTree(data)
	if err != nil {
		return s, nil, nil, err
	}
	vs := CheckRead(s, inv, readVs, p)
	if p.HasDocumentRules() {
		// The tree the reader parsed: the document rules do not change it.
		vs = append(vs, documentViolations(s, doc, p)...)
	}
	doc.Release() // the findings keep no node
	return s, inv, vs, nil
}

// CheckInvoice checks inv against p as it will be written in the output syntaxes outputs
// ("ubl", "cii", "facturx" which carries CII; none means CII, the reform's syntax): the rules
// on the model (following the
// output syntax, or the stricter reading for several), then, when p has Document rules, those
// rules on each written document, a finding reported once when both documents have it. An
// output the writer cannot produce is left out: writing it fails later with its reason.
func CheckInvoice(inv *invoice.Invoice, p *invoice.Profile, outputs ...string) []invoice.Violation {
	syn := ""
	if len(outputs) == 1 {
		syn = outputs[0]
	}
	vs := invoice.CheckFor(inv, p, syn)
	if !p.HasDocumentRules() || inv == nil {
		return vs
	}
	if len(outputs) == 0 {
		outputs = []string{OutputCII}
	}
	seen := map[string]bool{}
	for _, out := range outputs {
		if out == OutputFacturX {
			out = OutputCII // a Factur-X carries CII
		}
		data, err := Write(out, inv)
		if err != nil {
			continue
		}
		doc, err := schematron.Parse(data)
		if err != nil {
			continue
		}
		s := CII
		if out == OutputUBL {
			s = UBLInvoice
			if inv.IsCreditNote() {
				s = UBLCreditNote
			}
		}
		for _, v := range documentViolations(s, doc, p) {
			if key := v.Rule + "\x00" + v.Path + "\x00" + v.EN; !seen[key] {
				seen[key] = true
				vs = append(vs, v)
			}
		}
		doc.Release()
	}
	return vs
}

// documentViolations evaluates the Document rules of p on doc, written in syntax s: one
// finding per rule and element, with the rule's severity and messages in p.
func documentViolations(s Syntax, doc *schematron.Document, p *invoice.Profile) []invoice.Violation {
	rules := map[string]*invoice.Rule{}
	for i := range p.Rules {
		if p.Rules[i].Document {
			rules[p.Rules[i].ID] = &p.Rules[i]
		}
	}
	if len(rules) == 0 {
		return nil
	}
	schema := frSchemas()[s.Output()]
	path, location := cii.ModelPath, (*schematron.Node).Path
	if s != CII {
		path, location = ubl.ModelPath, ubl.Location
	}
	var out []invoice.Violation
	seen := map[string]bool{}
	for _, f := range schema.Run(doc) {
		id := docrules.RuleID(f.Assert.ID)
		r := rules[id]
		if r == nil {
			continue // the profile leaves this rule out
		}
		loc := location(f.Node)
		key := id + "\x00" + loc
		if seen[key] {
			continue // another assert of the same rule at the same place
		}
		seen[key] = true
		fr, en := invoice.DocumentMessage(r, f.Assert.ID, judged(f))
		sev := r.Severity
		if f.Err != nil {
			sev = invoice.Fatal
			fr = fmt.Sprintf("la règle %s ne peut pas être évaluée sur ce document : %v", id, f.Err)
			en = fmt.Sprintf("rule %s cannot be evaluated on this document: %v", id, f.Err)
		}
		out = append(out, invoice.Violation{
			Rule: id, Severity: sev, BT: r.BT, Path: path(f.Node), Location: loc, FR: fr, EN: en,
		})
	}
	return out
}

// judged is the value the rule judged, for its message: the text of the element it fired
// on when that has no child elements, or else the first of the rule's variables that holds
// one short value (a rate, a SIRET, an amount), or "".
func judged(f schematron.Failure) string {
	if n := f.Node; n != nil && n.Kind == schematron.ElementNode && len(n.Elements()) == 0 {
		return n.StringValue()
	}
	for _, b := range f.Lets {
		if len(b.Values) == 1 && b.Values[0] != "" && len(b.Values[0]) <= 80 {
			return b.Values[0]
		}
	}
	return ""
}
