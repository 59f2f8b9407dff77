package mapping

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// The draft of an XML export: the repeated element that is an invoice, the elements and
// attributes under it, the repeated element that is a line, and the lists that are groups
// (charges, notes).

// groupVocab tells, by the name of a repeated element, the group its instances form, and
// its leaves' terms by name.
var groupVocab = []struct {
	bg    string
	names []string
	leaf  map[string]string
}{
	{"BG-21", []string{"charge", "charges", "frais", "fee", "fees"}, map[string]string{"amount": "BT-99", "montant": "BT-99", "reason": "BT-104", "motif": "BT-104", "libelle": "BT-104", "tax": "BT-102", "categorie": "BT-102", "code": "BT-102", "rate": "BT-103", "taux": "BT-103", "percent": "BT-101", "base": "BT-100"}},
	{"BG-20", []string{"allowance", "allowances", "remisepied", "discountdoc"}, map[string]string{"amount": "BT-92", "montant": "BT-92", "reason": "BT-97", "motif": "BT-97", "libelle": "BT-97", "tax": "BT-95", "code": "BT-95", "rate": "BT-96", "taux": "BT-96", "percent": "BT-94", "base": "BT-93"}},
	{"BG-1", []string{"note", "notes", "commentaire", "mention", "remark"}, map[string]string{"": "BT-22", "text": "BT-22", "texte": "BT-22", "subject": "BT-21", "code": "BT-21", "sujet": "BT-21"}},
	{"BG-3", []string{"corrects", "preceding", "precedinginvoice", "factureorigine", "origine", "reference", "correctedinvoice"}, map[string]string{"number": "BT-25", "numero": "BT-25", "invoice": "BT-25", "date": "BT-26"}},
}

// xleaf is a value under a record (or a line): an element's text or an attribute.
type xleaf struct {
	path    string // relative, with the mapping's prefixes; a final /@name for an attribute
	keys    []string
	context []string // local names of the elements above it, inside the record
	vals    []string
}

func (w *draftWriter) xml(data []byte) error {
	if bom := sniffBOM(data); bom != nil && bom.name != "utf-8" {
		var b bytes.Buffer
		if _, err := b.ReadFrom(newWideReader(bufio.NewReader(bytes.NewReader(data)), w.export, bom.name, true)); err != nil {
			return err
		}
		data = regexp.MustCompile(`encoding="[^"]*"`).ReplaceAll(b.Bytes(), []byte(`encoding="UTF-8"`))
	}
	doc := etree.NewDocument()
	doc.ReadSettings.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if cm := charmapFor(label); cm != nil {
			return cm.NewDecoder().Reader(r), nil
		}
		return r, nil
	}
	if err := doc.ReadFromBytes(data); err != nil {
		return fmt.Errorf("%s: not well-formed XML: %w", w.export, err)
	}
	root := doc.Root()
	if root == nil {
		return fmt.Errorf("%s: no root element", w.export)
	}
	// Namespaces: the document's own prefixes, "e" for a default namespace.
	prefixes := map[string]string{}
	var nsDecl []string
	tag := func(e *etree.Element) string {
		uri := e.NamespaceURI()
		if uri == "" {
			return e.Tag
		}
		p, ok := prefixes[uri]
		if !ok {
			p = e.Space
			if p == "" || slices.Contains(mapValues(prefixes), p) {
				p = fmt.Sprintf("e%d", len(prefixes)+1)
				if len(prefixes) == 0 {
					p = "e"
				}
			}
			prefixes[uri] = p
			nsDecl = append(nsDecl, fmt.Sprintf(`<namespace prefix="%s" uri="%s"/>`, p, xmlAttr(uri)))
		}
		return p + ":" + e.Tag
	}
	recPath, recs, why := findRecords(root, tag)
	w.date, w.dec = "yyyy-mm-dd", '.'
	w.notes = append(w.notes,
		"Format XML: its encoding is its own declaration's.",
		fmt.Sprintf("Records: %s (%d found): %s.", recPath, len(recs), why))
	// Repeated elements under a record: the line, and the groups.
	lists := repeatedPaths(recs, tag)
	linePath, lineScore := "", 0
	for _, p := range lists {
		if s := lineLike(p, recs, tag); s > lineScore {
			linePath, lineScore = p, s
		}
	}
	skipPaths := append(append([]string{}, lists...), singleGroups(recs, tag)...)
	invLeaves := leavesOf(recs, skipPaths, tag)
	var lineLeaves []*xleaf
	if linePath != "" {
		var lines []*etree.Element
		for _, r := range recs {
			lines = append(lines, findAll(r, linePath, tag)...)
		}
		lineLeaves = leavesOf(lines, nil, tag)
		w.lineAttrs = fmt.Sprintf(` select="%s"`, xmlAttr(linePath))
		w.notes = append(w.notes, fmt.Sprintf("Lines: %s, the repeated element whose children name quantities and prices.", linePath))
	} else {
		w.notes = append(w.notes, "Lines: no repeated element names quantities and prices: one line per record (TODO).")
	}
	w.source = append(w.source, fmt.Sprintf(`<source format="xml" decimal="." date="yyyy-mm-dd">`))
	for _, n := range nsDecl {
		w.source = append(w.source, "  "+n)
	}
	w.source = append(w.source, fmt.Sprintf(`  <record name="facture" path="%s"/>`, xmlAttr(recPath)), "</source>")

	toCols := func(ls []*xleaf, line bool) []*dcol {
		var cols []*dcol
		for _, l := range ls {
			if party(l.context) == "seller" {
				continue // the seller's terms are the constants
			}
			c := &dcol{name: l.path, vals: l.vals, f: factsOf(l.vals), keys: l.keys, line: line}
			cols = append(cols, c)
		}
		return cols
	}
	icols, lcols := toCols(invLeaves, false), toCols(lineLeaves, true)
	ch := assignCols(append(icols, lcols...), func(v vocab, c *dcol) bool { return v.line == c.line })
	for _, c := range append(icols, lcols...) {
		w.negative = w.negative || c.line && c.f.negative
	}
	ref := func(c *dcol) string { return `path="` + xmlAttr(c.name) + `"` }
	w.common(ch, ref)
	// Groups: charges, allowances, notes, preceding invoices.
	for _, p := range append(lists, singleGroups(recs, tag)...) {
		if p == linePath {
			continue
		}
		w.group(p, recs, tag)
	}
	w.unmapped(append(icols, lcols...))
	return nil
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// findRecords finds the invoices: the element repeated under the root (or under its only
// child), else the root's child that holds the most.
func findRecords(root *etree.Element, tag func(*etree.Element) string) (string, []*etree.Element, string) {
	path := "/" + tag(root)
	cur := root
	for depth := 0; depth < 4; depth++ {
		kids := cur.ChildElements()
		if len(kids) == 0 {
			break
		}
		count := map[string][]*etree.Element{}
		var order []string
		for _, k := range kids {
			t := tag(k)
			if count[t] == nil {
				order = append(order, t)
			}
			count[t] = append(count[t], k)
		}
		best := order[0]
		for _, t := range order {
			if len(count[t]) > len(count[best]) {
				best = t
			}
		}
		if len(count[best]) >= 2 {
			return path + "/" + best, count[best], fmt.Sprintf("the element repeated under %s", path)
		}
		if len(order) >= 3 && depth > 0 {
			// cur holds many kinds of element: it is the only invoice.
			return path, []*etree.Element{cur}, "the only element holding invoice data"
		}
		// Descend into the child holding the most.
		big := kids[0]
		for _, k := range kids {
			if len(k.FindElements(".//*")) > len(big.FindElements(".//*")) {
				big = k
			}
		}
		cur, path = big, path+"/"+tag(big)
	}
	return path, []*etree.Element{cur}, "the element holding the most"
}

// relPath is e's path under top, with the mapping's prefixes.
func relPath(top, e *etree.Element, tag func(*etree.Element) string) string {
	var segs []string
	for c := e; c != nil && c != top; c = c.Parent() {
		segs = append(segs, tag(c))
	}
	slices.Reverse(segs)
	return strings.Join(segs, "/")
}

// repeatedPaths lists the paths under the records that repeat: twice under one parent, or
// an element inside a list named as its plural (Charges/Charge).
func repeatedPaths(recs []*etree.Element, tag func(*etree.Element) string) []string {
	var out []string
	for _, r := range recs {
		for _, e := range r.FindElements(".//*") {
			p := relPath(r, e, tag)
			if slices.Contains(out, p) {
				continue
			}
			parent := e.Parent()
			n := 0
			for _, s := range parent.ChildElements() {
				if s.Tag == e.Tag && s.Space == e.Space {
					n++
				}
			}
			pl := strings.ToLower(parent.Tag)
			if n >= 2 || parent != r && (pl == strings.ToLower(e.Tag)+"s" || pl == strings.ToLower(e.Tag)+"es") {
				out = append(out, p)
			}
		}
	}
	// Keep the outermost of nested lists.
	var keep []string
	for _, p := range out {
		inner := false
		for _, q := range out {
			if q != p && strings.HasPrefix(p, q+"/") {
				inner = true
			}
		}
		if !inner {
			keep = append(keep, p)
		}
	}
	return keep
}

// lineLike scores a repeated path as the invoice lines: how many line terms its leaves name.
func lineLike(p string, recs []*etree.Element, tag func(*etree.Element) string) int {
	var els []*etree.Element
	for _, r := range recs {
		els = append(els, findAll(r, p, tag)...)
	}
	n := 0
	for _, l := range leavesOf(els, nil, tag) {
		for _, k := range l.keys {
			if vs := matchVocab(k); len(vs) > 0 && vs[0].line {
				n++
				break
			}
		}
	}
	return n
}

// findAll returns the elements at the relative path p under r.
func findAll(r *etree.Element, p string, tag func(*etree.Element) string) []*etree.Element {
	var out []*etree.Element
	for _, e := range r.FindElements(".//*") {
		if relPath(r, e, tag) == p {
			out = append(out, e)
		}
	}
	return out
}

// leavesOf gathers the values under tops: element texts and attributes, by relative path,
// leaving out the paths under skip.
func leavesOf(tops []*etree.Element, skip []string, tag func(*etree.Element) string) []*xleaf {
	byPath := map[string]*xleaf{}
	var order []*xleaf
	add := func(path string, context []string, local string, v string, i int) {
		l := byPath[path]
		if l == nil {
			parent := ""
			if len(context) > 0 {
				parent = context[len(context)-1]
			}
			l = &xleaf{path: path, context: context, keys: []string{parent + local, local, strings.Join(context, "") + local}}
			byPath[path] = l
			order = append(order, l)
		}
		for len(l.vals) < i {
			l.vals = append(l.vals, "")
		}
		l.vals = append(l.vals, strings.TrimSpace(v))
	}
	for i, top := range tops {
		var walk func(e *etree.Element, ctx []string)
		walk = func(e *etree.Element, ctx []string) {
			p := relPath(top, e, tag)
			for _, s := range skip {
				if p == s || strings.HasPrefix(p, s+"/") {
					return
				}
			}
			for _, a := range e.Attr {
				if a.Space == "xmlns" || a.Key == "xmlns" {
					continue
				}
				ap := "@" + a.Key
				if p != "" {
					ap = p + "/@" + a.Key
				}
				add(ap, ctx, a.Key, a.Value, i)
			}
			kids := e.ChildElements()
			if len(kids) == 0 && e != top && strings.TrimSpace(e.Text()) != "" {
				add(p, ctx[:len(ctx)-1], e.Tag, e.Text(), i)
			}
			for _, k := range kids {
				walk(k, append(slices.Clip(ctx), k.Tag))
			}
		}
		walk(top, nil)
	}
	for _, l := range order {
		for len(l.vals) < len(tops) {
			l.vals = append(l.vals, "")
		}
	}
	return order
}

// party tells whose a value is by the elements above it.
func party(context []string) string {
	for _, c := range context {
		switch foldName(c) {
		case "customer", "client", "buyer", "acheteur", "billto", "invoicee", "destinataire":
			return "buyer"
		case "supplier", "seller", "vendor", "vendeur", "fournisseur", "emetteur", "company", "societe":
			return "seller"
		}
	}
	return ""
}

// singleGroups lists the elements that are groups by their name though they do not repeat
// (the invoice a credit note corrects).
func singleGroups(recs []*etree.Element, tag func(*etree.Element) string) []string {
	var out []string
	for _, r := range recs {
		for _, e := range r.FindElements(".//*") {
			p := relPath(r, e, tag)
			if slices.Contains(out, p) {
				continue
			}
			for _, g := range groupVocab {
				if g.bg == "BG-3" && slices.Contains(g.names, foldName(e.Tag)) {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// group writes a <group select> for a list whose name says a repeatable group.
func (w *draftWriter) group(p string, recs []*etree.Element, tag func(*etree.Element) string) {
	local := p[strings.LastIndexByte(p, '/')+1:]
	local = local[strings.IndexByte(local, ':')+1:]
	for _, g := range groupVocab {
		if !slices.Contains(g.names, foldName(local)) {
			continue
		}
		var els []*etree.Element
		for _, r := range recs {
			els = append(els, findAll(r, p, tag)...)
		}
		var ts []string
		seen := map[string]bool{}
		for _, l := range leavesOf(els, nil, tag) {
			name := l.path
			if i := strings.LastIndexAny(name, "/@:"); i >= 0 {
				name = name[i+1:]
			}
			bt, ok := g.leaf[foldName(name)]
			if !ok || seen[bt] {
				continue
			}
			seen[bt] = true
			ts = append(ts, fmt.Sprintf(`  <term bt="%s" path="%s"/>`, bt, xmlAttr(l.path)))
		}
		// The element's own text (a note).
		if bt, ok := g.leaf[""]; ok && !seen[bt] {
			for _, e := range els {
				if strings.TrimSpace(e.Text()) != "" {
					ts = append(ts, fmt.Sprintf(`  <term bt="%s" path="."/>`, bt))
					break
				}
			}
		}
		if len(ts) == 0 {
			return
		}
		w.inv = append(w.inv, fmt.Sprintf(`<group bg="%s" select="%s">  <!-- one %s per %s -->`, g.bg, xmlAttr(p), groups[g.bg].en, xmlAttr(p)))
		w.inv = append(w.inv, ts...)
		w.inv = append(w.inv, "</group>")
		return
	}
}
