package mapping

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
)

// How a draft is written: the columns (fields, paths) found in the export, the business term
// each is taken for and why, the lookups built from their values, then the seller's
// constants, in the order of docs/mapping.md.

// dcol is one column of the export: a CSV column, a fixed-width field or an XML path.
type dcol struct {
	name  string   // header name, field name, or path
	vals  []string // one per record (lines: one per line)
	f     *facts
	line  bool // its values vary within an invoice (or it is under the line element)
	group string
	used  bool
	// fixed-width
	start, length, decimals int
	kind                    int
	// xml: the names vocabulary matching tries (parent+name, name)
	keys []string
}

// choice is a column taken for a business term, and why.
type choice struct {
	bt  string
	col *dcol
	why string
}

// assignCols matches columns with the vocabulary: by name first (exact, then a part), else by
// values for the terms their values alone tell (SIRET, VAT id, e-mail). Each column serves
// one term (a SIRET serves BT-47 and BT-49).
func assignCols(cols []*dcol, allow func(v vocab, c *dcol) bool) map[string]*choice {
	out := map[string]*choice{}
	take := func(v vocab, c *dcol, why string) {
		out[v.bt] = &choice{bt: v.bt, col: c, why: why}
		c.used = true
	}
	for pass := 0; pass < 3; pass++ {
		for _, v := range vocabulary {
			if out[v.bt] != nil {
				continue
			}
			for _, c := range cols {
				if c.used || !allow(v, c) || !c.f.fits(v.kind) {
					continue
				}
				keys := c.keys
				if len(keys) == 0 {
					keys = []string{c.name}
				}
				hit := ""
				for _, k := range keys {
					fk := foldName(k)
					switch pass {
					case 0:
						if slices.Contains(v.exact, fk) {
							hit = fmt.Sprintf("the name %q says %s", c.name, terms[v.bt].en)
						}
					case 1:
						for _, p := range v.parts {
							if strings.Contains(fk, p) {
								hit = fmt.Sprintf("the name %q holds %q: %s", c.name, p, terms[v.bt].en)
							}
						}
					}
					if hit != "" {
						break
					}
				}
				if pass == 2 {
					switch {
					case v.kind == "siret" && c.f.all(c.f.siret):
						hit = "every value is a SIRET (14 digits, valid key)"
					case v.kind == "vat" && c.f.all(c.f.vat):
						hit = "every value is a VAT identifier (country code and number)"
					case v.kind == "email" && c.f.all(c.f.email):
						hit = "every value is an e-mail address"
					}
				}
				if hit != "" {
					take(v, c, hit+"; "+c.f.sample())
					break
				}
			}
		}
	}
	return out
}

// draftWriter builds the draft's text.
type draftWriter struct {
	name, export     string
	encoding, encWhy string
	delim            byte
	delimWhy         string
	dec              byte
	date             string
	notes            []string // the draft's header comment
	source           []string
	lookups          []string
	invoiceAttrs     string
	inv              []string
	lineAttrs        string
	lines            []string
	exemptions       []string
	negative         bool
	hasMeans         bool
	hasTerms         bool // BT-20 is given by the export
}

func (w *draftWriter) bytes() []byte {
	var b bytes.Buffer
	w.write(&b)
	return b.Bytes()
}

func xmlAttr(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// comment makes text safe inside <!-- -->.
func comment(s string) string { return strings.ReplaceAll(s, "--", "- -") }

// draftTerm writes a term whose value comes from the export: attr is column="…" or path="…".
func draftTerm(bt, attr, extra, why string) string {
	s := fmt.Sprintf(`<term bt="%s" %s%s/>`, bt, attr, extra)
	if why != "" {
		s += "  <!-- " + comment(why) + " -->"
	}
	return s
}

// lookup writes a <lookup> from the distinct values of a column to codes; unknown values
// are entries marked TODO with a default code. It returns the lookup's name.
func (w *draftWriter) lookup(name, what string, values []string, table map[string]string, def string, ignoreCase bool) string {
	var b strings.Builder
	attrs := ""
	if ignoreCase {
		attrs = ` ignore-case="true"`
	}
	fmt.Fprintf(&b, `  <lookup name="%s"%s>  <!-- %s -->`+"\n", name, attrs, comment(what))
	seen := map[string]bool{}
	for _, v := range values {
		k := v
		if ignoreCase {
			k = strings.ToUpper(v)
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		code, ok := table[foldName(v)]
		note := ""
		if !ok {
			code, note = def, "  <!-- TODO: not recognised, check the code -->"
		}
		fmt.Fprintf(&b, `    <entry key="%s">%s</entry>%s`+"\n", xmlAttr(v), xmlText(code), note)
	}
	b.WriteString("  </lookup>")
	w.lookups = append(w.lookups, b.String())
	return name
}

// write writes the draft: the source, the seller's constants (terms in no export, declared
// once with TODO values so that the draft loads and maps at once), the lookups, the invoice
// and its line.
func (w *draftWriter) write(out io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(out, format, args...) }
	p("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--\n")
	p("  Draft mapping of %s, written by fluxgate mapping draft.\n\n", comment(w.export))
	for _, n := range w.notes {
		p("  %s\n", comment(n))
	}
	p(`
  Each guess says its evidence beside it: check them. Fill in the constants marked TODO (the
  seller's own terms, in no export), then try it:
    fluxgate map -m THIS-FILE %s
  Reference: docs/mapping.md; schema: xsd/mapping.xsd.
-->
<mapping xmlns="urn:fluxgate:mapping:1" name="%s">

`, comment(w.export), xmlAttr(w.name))
	for _, s := range w.source {
		p("  %s\n", s)
	}
	p(`
  <!-- The seller: the same on every invoice, in no export. TODO: your own values. -->
  <constants>
    <constant name="vendeur.nom">TODO raison sociale du vendeur</constant>
    <constant name="vendeur.siret">TODO SIRET du vendeur (14 chiffres)</constant>
    <constant name="vendeur.siren">TODO SIREN du vendeur (9 chiffres)</constant>
    <constant name="vendeur.tva">TODO numéro de TVA intracommunautaire du vendeur</constant>
    <constant name="vendeur.adresse">TODO adresse du vendeur</constant>
    <constant name="vendeur.cp">TODO code postal</constant>
    <constant name="vendeur.ville">TODO ville</constant>
    <constant name="vendeur.iban">TODO IBAN du vendeur</constant>
    <constant name="vendeur.bic">TODO BIC</constant>
    <constant name="conditions">Paiement à 30 jours date de facture.</constant>  <!-- TODO: your payment terms -->
    <constant name="mention.penalites">Pénalités de retard : trois fois le taux d'intérêt légal.</constant>
    <constant name="mention.indemnite">Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €.</constant>
    <constant name="mention.escompte">Pas d'escompte pour paiement anticipé.</constant>
  </constants>
`)
	if len(w.lookups) > 0 {
		p("\n")
		for _, l := range w.lookups {
			p("%s\n", l)
		}
	}
	neg := ""
	if w.negative {
		neg = ` negative="credit-note"`
	}
	p("\n  <invoice%s%s>\n", w.invoiceAttrs, neg)
	for _, s := range w.inv {
		p("    %s\n", s)
	}
	p(`    <term bt="BT-24" value="urn:cen.eu:en16931:2017"/>  <!-- EN 16931 itself; a CIUS has its own identifier -->
`)
	p(`
    <!-- Mandatory French mentions, one note (BG-1) each. -->
    <group bg="BG-1"><term bt="BT-21" value="PMD"/><term bt="BT-22" const="mention.penalites"/></group>
    <group bg="BG-1"><term bt="BT-21" value="PMT"/><term bt="BT-22" const="mention.indemnite"/></group>
    <group bg="BG-1"><term bt="BT-21" value="AAB"/><term bt="BT-22" const="mention.escompte"/></group>
`)
	if !w.hasTerms {
		p("    <term bt=\"BT-20\" const=\"conditions\"/>\n")
	}
	p(`
    <!-- The seller (BG-4, BG-5): the constants above. -->
    <term bt="BT-27" const="vendeur.nom"/>
    <term bt="BT-29" const="vendeur.siret" scheme="0009"/>
    <term bt="BT-30" const="vendeur.siren" scheme="0002"/>
    <term bt="BT-31" const="vendeur.tva"/>
    <term bt="BT-34" const="vendeur.siren" scheme="0225"/>
    <term bt="BT-35" const="vendeur.adresse"/>
    <term bt="BT-37" const="vendeur.ville"/>
    <term bt="BT-38" const="vendeur.cp"/>
    <term bt="BT-40" value="FR"/>  <!-- TODO: the seller's country -->
    <term bt="BT-84" const="vendeur.iban"/>
    <term bt="BT-86" const="vendeur.bic"/>
`)
	if !w.hasMeans {
		p("    <term bt=\"BT-81\" value=\"30\"/>  <!-- credit transfer: TODO if the customers pay otherwise -->\n")
	}
	for _, e := range w.exemptions {
		p("    %s\n", e)
	}
	p("\n    <line%s>\n", w.lineAttrs)
	for _, s := range w.lines {
		p("      %s\n", s)
	}
	p("    </line>\n  </invoice>\n</mapping>\n")
}

// common writes the terms every format gives the same way from chosen columns: codes
// through lookups, VAT category from rates, the discount. ref writes how the mapping names
// a column (column="…", field="…", path="…").
func (w *draftWriter) common(ch map[string]*choice, ref func(c *dcol) string) {
	inv := []string{"BT-1", "BT-2", "BT-3", "BT-5", "BT-9", "BT-10", "BT-13", "BT-72", "BT-73", "BT-74", "BT-80",
		"BT-44", "BT-46", "BT-47", "BT-48", "BT-50", "BT-51", "BT-52", "BT-53", "BT-55", "BT-56", "BT-58", "BT-81"}
	for _, bt := range inv {
		c := ch[bt]
		if c == nil {
			switch bt {
			case "BT-3":
				w.inv = append(w.inv, `<term bt="BT-3" value="380"/>  <!-- no column gives the document type: every invoice is 380 (negative ones become credit notes) -->`)
			case "BT-5":
				w.inv = append(w.inv, `<term bt="BT-5" value="EUR"/>  <!-- no column gives the currency -->`)
			}
			continue
		}
		attr, extra := ref(c.col), w.dateAttr(bt, c.col)
		switch bt {
		case "BT-3":
			name := w.lookup("type-piece", "document types → UNTDID 1001 (380 invoice, 381 credit note)", c.col.f.values, typeCodes, "380", false)
			extra += ` lookup="` + name + `"`
		case "BT-55", "BT-80":
			def := "FR" // an empty country: France, the default a French export leaves out
			if !isoCodes(c.col.f.values) {
				extra += ` lookup="` + w.lookup("pays", "country names → ISO 3166-1", c.col.f.values, countries, "FR", true) + `"`
				def = ""
				for _, v := range c.col.f.values {
					if countries[foldName(v)] == "FR" {
						def = v
						break
					}
				}
			}
			if bt == "BT-55" && def != "" {
				extra += ` default="` + xmlAttr(def) + `"`
			}
		case "BT-81":
			w.hasMeans = true
			extra += ` lookup="` + w.lookup("reglement", "payment means → UNTDID 4461 (30 credit transfer, 58 SEPA, 48 card…)", c.col.f.values, paymentMeans, "30", false) + `"`
		case "BT-44":
			extra += ` required="true"`
		case "BT-47":
			extra += ` scheme="0009"`
		}
		w.inv = append(w.inv, draftTerm(bt, attr, extra, c.why))
		switch bt {
		case "BT-1":
			w.inv = append(w.inv, draftTerm("BT-83", attr, "", "the remittance information repeats the invoice number"))
		case "BT-47":
			w.inv = append(w.inv, draftTerm("BT-49", attr, ` scheme="0009"`, "the buyer's electronic address: its SIRET"))
		}
	}
	if c := ch["BT-25"]; c != nil {
		w.inv = append(w.inv, draftTerm("BT-25", ref(c.col), "", c.why+"; a credit note names the invoice it corrects"))
	}
	// The line.
	for _, bt := range []string{"BT-126", "BT-155", "BT-153", "BT-129", "BT-130", "BT-146", "BT-148", "BT-152", "BT-151", "BT-131"} {
		c := ch[bt]
		if c == nil {
			switch bt {
			case "BT-130":
				w.lines = append(w.lines, `<term bt="BT-130" value="C62"/>  <!-- no column gives the unit: C62 (one); TODO -->`)
			case "BT-129":
				w.lines = append(w.lines, `<term bt="BT-129" value="1"/>  <!-- TODO: no column gives the quantity -->`)
			case "BT-151":
				if r := ch["BT-152"]; r != nil {
					name := w.lookup("categorie-tva", "VAT rates → category (UNTDID 5305): S for a positive rate; TODO for 0 (E exempt, Z zero-rated, K intra-EU…)", r.col.f.values, rateCategories(r.col.f), "E", false)
					w.lines = append(w.lines, draftTerm("BT-151", ref(r.col), ` lookup="`+name+`"`, "the category follows from the rate"))
					w.exempt(rateCategories(r.col.f), r.col.f.values)
				} else {
					w.lines = append(w.lines, `<term bt="BT-151" value="S"/>  <!-- TODO: no column gives the VAT category or rate -->`)
				}
			}
			continue
		}
		attr, extra := ref(c.col), ""
		switch bt {
		case "BT-130":
			if !recCodes(c.col.f.values) {
				extra = ` lookup="` + w.lookup("unite", "units → UN/ECE Recommendation 20", c.col.f.values, units, "C62", false) + `"`
			}
		case "BT-151":
			name := w.lookup("code-tva", "VAT codes → category (UNTDID 5305)", c.col.f.values, vatCategories, "S", false)
			extra = ` lookup="` + name + `"`
			cats := map[string]string{}
			for _, v := range c.col.f.values {
				if cat, ok := vatCategories[foldName(v)]; ok {
					cats[foldName(v)] = cat
				}
			}
			w.exempt(cats, c.col.f.values)
		}
		w.lines = append(w.lines, draftTerm(bt, attr, extra, c.why))
	}
	if pct := ch["BT-138"]; pct != nil {
		w.discount(pct, ch, ref)
	}
}

// discount writes the line allowance of a discount in %. With the export's own net amount,
// the allowance is derived from it, so that the line equals the export to the cent.
func (w *draftWriter) discount(pct *choice, ch map[string]*choice, ref func(c *dcol) string) {
	q, pr, net := ch["BT-129"], ch["BT-146"], ch["BT-131"]
	w.lines = append(w.lines, "<group bg=\"BG-27\">  <!-- the discount: "+comment(pct.why)+" -->")
	w.lines = append(w.lines, "  "+draftTerm("BT-138", ref(pct.col), "", ""))
	if q != nil && pr != nil && net != nil {
		when := `<when ` + ref(pct.col) + ` empty="false">`
		base := `<round scale="2"><multiply>` + fieldExpr2(q.col, ref) + fieldExpr2(pr.col, ref) + `</multiply></round>`
		w.lines = append(w.lines,
			"  <!-- The export has its own net amount: the allowance is derived from it (base − net), so the line adds up to it exactly. -->",
			"  <term bt=\"BT-137\"><choose>"+when+base+"</when></choose></term>",
			"  <term bt=\"BT-136\"><choose>"+when+"<subtract>"+base+fieldExpr2(net.col, ref)+"</subtract></when></choose></term>")
	}
	w.lines = append(w.lines, `  <term bt="BT-139" value="Remise"/>`, `  <term bt="BT-140" value="95"/>`, "</group>")
}

// fieldExpr2 writes an expression element reading c.
func fieldExpr2(c *dcol, ref func(c *dcol) string) string {
	r := ref(c)
	if strings.HasPrefix(r, "path=") {
		return `<path select=` + strings.TrimPrefix(r, "path=") + `/>`
	}
	return `<field name=` + r[strings.Index(r, "=")+1:] + `/>`
}

// exempt adds the exemption reason of each category that needs one.
func (w *draftWriter) exempt(cats map[string]string, values []string) {
	done := map[string]bool{}
	for _, v := range values {
		cat := cats[foldName(v)]
		if cat == "" {
			cat = cats[v]
		}
		e, ok := exemptions[cat]
		if !ok || done[cat] {
			continue
		}
		done[cat] = true
		code := ""
		if e[0] != "" {
			code = ` code="` + e[0] + `"`
		}
		w.exemptions = append(w.exemptions, fmt.Sprintf(`<exemption category="%s"%s>%s</exemption>  <!-- category %s needs an exemption reason: check it -->`, cat, code, xmlText(e[1]), cat))
	}
}

// dateAttr gives a date term whose layout differs from the source's its own.
func (w *draftWriter) dateAttr(bt string, c *dcol) string {
	if t := terms[bt]; t != nil && t.kind == kDate && c.f.date != "" && c.f.date != w.date {
		return ` date="` + c.f.date + `"`
	}
	return ""
}

// rateCategories gives each rate value its category: S for a positive rate, E for zero.
func rateCategories(f *facts) map[string]string {
	out := map[string]string{}
	for _, v := range f.values {
		d, ok := numberOf(v, f.dec)
		switch {
		case !ok:
		case d.Sign() > 0:
			out[foldName(v)] = "S"
		default:
			out[foldName(v)] = "E"
		}
	}
	return out
}

// isoCodes reports whether the values are ISO country codes already.
func isoCodes(vs []string) bool {
	for _, v := range vs {
		if len(v) != 2 || strings.ToUpper(v) != v {
			return false
		}
	}
	return true
}

// recCodes reports whether the values are Recommendation 20 codes already.
func recCodes(vs []string) bool {
	for _, v := range vs {
		if units[foldName(v)] != v {
			return false
		}
	}
	return true
}
