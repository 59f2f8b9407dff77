package mapping

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// The draft of a fixed-width export. Its fields are not named: they are found in the lines
// of each record type, by what all the lines of that type agree on (a run of spaces that
// pads a text, a change from digits to letters), by the invoice number every record repeats
// at the same place, and by values (dates, VAT rates, amounts zero-padded to one width); the
// implied decimals of quantities and prices are those that make the lines add up to an
// amount of the invoice's other records. Each field is then taken for a business term by its
// values and its place, and says so in a comment.

// fkind is one record type of a fixed-width export.
type fkind struct {
	code   string
	name   string
	lines  [][]rune // padded to the longest
	rows   []int    // index of each line in the file
	fields []*dcol
}

// fclass is the class of a character, for finding fields.
func fclass(r rune) byte {
	switch {
	case r == ' ':
		return ' '
	case r >= '0' && r <= '9':
		return 'd'
	case unicode.IsLetter(r):
		return 'a'
	}
	return 'p'
}

func (w *draftWriter) fixed(lines []string) error {
	var text []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			text = append(text, l)
		}
	}
	if len(text) > maxDraftRows {
		text = text[:maxDraftRows]
	}
	if len(text) < 2 {
		return fmt.Errorf("%s: too few lines to tell fixed-width fields apart", w.export)
	}
	// The record type: the run of digits (or letters) every line starts with.
	tl := 3
	for _, l := range text {
		r := []rune(l)
		n := 0
		for n < len(r) && n < 3 && fclass(r[n]) == fclass(r[0]) && fclass(r[0]) != ' ' {
			n++
		}
		tl = min(tl, n)
	}
	kinds := map[string]*fkind{}
	var order []*fkind
	for i, l := range text {
		code := ""
		if tl > 0 {
			code = string([]rune(l)[:tl])
		}
		k := kinds[code]
		if k == nil {
			k = &fkind{code: code}
			kinds[code] = k
			order = append(order, k)
		}
		k.lines = append(k.lines, []rune(l))
		k.rows = append(k.rows, i)
	}
	if len(order) > 12 || tl == 0 {
		order = []*fkind{{lines: runesOf(text), rows: seq(len(text))}}
		tl = 0
	}
	for _, k := range order {
		width := 0
		for _, l := range k.lines {
			width = max(width, len(l))
		}
		for i, l := range k.lines {
			for len(l) < width {
				l = append(l, ' ')
			}
			k.lines[i] = l
		}
	}
	head := order[0] // the type of the first line starts each invoice
	// The invoice number: the field right after the type code in the header, repeated at the
	// same place by the records that follow it.
	keyStart, keyEnd := tl, tl
	for _, s := range segments(head, tl, nil) {
		keyStart, keyEnd = s[0], s[1]
		break
	}
	cuts := map[*fkind][]int{}
	for _, k := range order {
		if k == head {
			continue
		}
		same := true
		for j, l := range k.lines {
			h := headOf(head, k.rows[j])
			if h == nil || len(l) < keyEnd || string(l[keyStart:keyEnd]) != string(h[keyStart:keyEnd]) {
				same = false
				break
			}
		}
		if same {
			cuts[k] = []int{keyStart, keyEnd}
		}
	}
	for _, k := range order {
		for _, s := range segments(k, tl, cuts[k]) {
			c := &dcol{start: s[0] + 1, length: s[1] - s[0]}
			for _, l := range k.lines {
				c.vals = append(c.vals, strings.TrimSpace(string(l[s[0]:s[1]])))
			}
			c.f = factsOf(c.vals)
			k.fields = append(k.fields, c)
		}
	}
	return w.fixedPlan(order, head, tl, keyStart)
}

func runesOf(ls []string) [][]rune {
	out := make([][]rune, len(ls))
	for i, l := range ls {
		out[i] = []rune(l)
	}
	return out
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// headOf is the header line in force at row: the last header line before it.
func headOf(head *fkind, row int) []rune {
	var h []rune
	for j, r := range head.rows {
		if r > row {
			break
		}
		h = head.lines[j]
	}
	return h
}

// segments splits the lines of k (after the type code, tl characters) into fields: at a run
// of at least two spaces that pads a text in every line, at a change of class every line
// agrees on, at the given cuts; then splits glued digits (dates, VAT rates, amounts of one
// width) and joins a constant letter prefix to the digits after it (F000004512), unless the
// digits are a SIRET.
func segments(k *fkind, tl int, cuts []int) [][2]int {
	width := len(k.lines[0])
	starts := map[int]bool{}
	for _, c := range cuts {
		if c > tl && c < width {
			starts[c] = true
		}
	}
	col := func(i int) []rune {
		out := make([]rune, len(k.lines))
		for j, l := range k.lines {
			out[j] = l[i]
		}
		return out
	}
	allSpace := func(i int) bool {
		for _, r := range col(i) {
			if r != ' ' {
				return false
			}
		}
		return true
	}
	for i := tl + 1; i < width; i++ {
		if allSpace(i) {
			continue
		}
		if i >= tl+2 && allSpace(i-1) && (allSpace(i-2) || i-2 < tl || fullCol(k, i)) {
			starts[i] = true // after the padding of a text
			continue
		}
		// A change of class all lines agree on (digits then letters, letters then digits).
		agree, change := true, false
		for _, l := range k.lines {
			a, b := fclass(l[i-1]), fclass(l[i])
			if a == ' ' || b == ' ' {
				continue
			}
			if a == b || a == 'p' || b == 'p' {
				agree = false
				break
			}
			change = true
		}
		if agree && change && !allSpace(i-1) {
			starts[i] = true
		}
	}
	var segs [][2]int
	prev := tl
	for i := tl + 1; i <= width; i++ {
		if i == width || starts[i] {
			if seg := trimSeg(k, prev, i); seg[1] > seg[0] {
				segs = append(segs, [2]int{prev, i})
			}
			prev = i
		}
	}
	var split [][2]int
	for _, s := range segs {
		split = append(split, splitDigits(k, s)...)
	}
	// Join a constant letter prefix to the digits after it (F000004512), but not to a SIRET
	// nor across a cut.
	var out [][2]int
	for i := 0; i < len(split); i++ {
		s := split[i]
		if i+1 < len(split) && split[i+1][0] == s[1] && constLetters(k, s) && digitsOnly(k, split[i+1]) &&
			split[i+1][1]-split[i+1][0] != 14 && !cutAt(cuts, s[1]) && !cutAt(cuts, split[i+1][1]) == !cutAt(cuts, split[i+1][1]) {
			out = append(out, [2]int{s[0], split[i+1][1]})
			i++
			continue
		}
		out = append(out, s)
	}
	return out
}

// fullCol reports whether every line has a character at column i.
func fullCol(k *fkind, i int) bool {
	for _, l := range k.lines {
		if l[i] == ' ' {
			return false
		}
	}
	return true
}

func cutAt(cuts []int, i int) bool { return slices.Contains(cuts, i) }

// trimSeg is s without its columns that are spaces in every line.
func trimSeg(k *fkind, a, b int) [2]int {
	for a < b && colBlank(k, a) {
		a++
	}
	for b > a && colBlank(k, b-1) {
		b--
	}
	return [2]int{a, b}
}

func colBlank(k *fkind, i int) bool {
	for _, l := range k.lines {
		if l[i] != ' ' {
			return false
		}
	}
	return true
}

func constLetters(k *fkind, s [2]int) bool {
	v := string(k.lines[0][s[0]:s[1]])
	for _, l := range k.lines {
		if string(l[s[0]:s[1]]) != v {
			return false
		}
	}
	for _, r := range v {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// digitsOnly reports whether s holds digits (and a sign) in every line.
func digitsOnly(k *fkind, s [2]int) bool {
	for _, l := range k.lines {
		v := strings.TrimSpace(string(l[s[0]:s[1]]))
		v = strings.Trim(v, "+-")
		if !allDigits(v) {
			return false
		}
	}
	return true
}

// numeric reports whether s holds digits and signs only in every line (glued signed
// amounts: 0550-00000008730).
func numeric(k *fkind, s [2]int) bool {
	for _, l := range k.lines {
		for _, r := range l[s[0]:s[1]] {
			if !(r >= '0' && r <= '9' || r == '-' || r == '+') {
				return false
			}
		}
	}
	return true
}

// splitDigits splits a run of glued digits into dates, VAT rates and amounts of one width.
func splitDigits(k *fkind, s [2]int) [][2]int {
	if !numeric(k, s) || s[1]-s[0] < 8 {
		return [][2]int{s}
	}
	val := func(l []rune, a, b int) string { return string(l[a:b]) }
	isDateAt := func(a int) bool {
		dl, _ := compileDate("yyyymmdd")
		for _, l := range k.lines {
			d, ok := dl.parse(val(l, a, a+8))
			if !ok || d.Year < 1990 || d.Year > 2100 {
				return false
			}
		}
		return true
	}
	// Dates first, where every line has one.
	for a := s[0]; a+8 <= s[1]; a++ {
		if isDateAt(a) {
			var out [][2]int
			if a > s[0] {
				out = append(out, splitDigits(k, [2]int{s[0], a})...)
			}
			out = append(out, [2]int{a, a + 8})
			if a+8 < s[1] {
				out = append(out, splitDigits(k, [2]int{a + 8, s[1]})...)
			}
			return out
		}
	}
	// A VAT rate of 4 digits (2 decimals) at either end.
	isRate := func(a, b int) bool {
		positive := false
		for _, l := range k.lines {
			d, ok := numberOf(val(l, a, b), ',')
			if !ok || !vatRates[d.Shift(-2).String()] {
				return false
			}
			positive = positive || d.Sign() > 0
		}
		return positive
	}
	n := s[1] - s[0]
	if n > 4 && isRate(s[1]-4, s[1]) {
		return append(splitDigits(k, [2]int{s[0], s[1] - 4}), [2]int{s[1] - 4, s[1]})
	}
	if n > 4 && isRate(s[0], s[0]+4) {
		return append([][2]int{{s[0], s[0] + 4}}, splitDigits(k, [2]int{s[0] + 4, s[1]})...)
	}
	// Amounts of one width, each zero-padded (or signed) in every line.
	for wd := 6; wd <= n/2; wd++ {
		if n%wd != 0 {
			continue
		}
		ok := true
		for a := s[0]; a < s[1] && ok; a += wd {
			for _, l := range k.lines {
				signed := l[a] == '-' || l[a] == '+'
				if !signed && (l[a] != '0' || l[a+1] != '0') {
					ok = false // an amount zero-padded to its width starts with zeros
					break
				}
			}
		}
		if ok {
			var out [][2]int
			for a := s[0]; a < s[1]; a += wd {
				out = append(out, [2]int{a, a + wd})
			}
			return out
		}
	}
	return [][2]int{s}
}

// fixedPlan takes the fields of each record type for business terms and writes the draft.
func (w *draftWriter) fixedPlan(order []*fkind, head *fkind, tl, keyStart int) error {
	w.dec, w.date = ',', "yyyymmdd"
	// The line type: the one with most lines per invoice that has a text and numbers.
	var line *fkind
	for _, k := range order {
		if k == head {
			continue
		}
		if line == nil || len(k.lines) > len(line.lines) && hasText(k) {
			if hasText(k) {
				line = k
			}
		}
	}
	if line == nil {
		line = head
	}
	key := head.fields[0]
	names := map[*fkind]map[string]bool{}
	name := func(k *fkind, c *dcol, n string) {
		if names[k] == nil {
			names[k] = map[string]bool{}
		}
		base, i := n, 2
		for names[k][n] {
			n = fmt.Sprintf("%s%d", base, i)
			i++
		}
		names[k][n] = true
		c.name = n
	}
	for _, k := range order {
		switch k {
		case head:
			k.name = "entete"
		case line:
			k.name = "ligne"
		default:
			k.name = "type" + k.code
		}
		for i, c := range k.fields {
			if i == 0 && (k == head || c.start == key.start && c.length == key.length) {
				name(k, c, "Numero")
				continue
			}
			name(k, c, fmt.Sprintf("Champ%d", c.start))
		}
	}
	ch := map[string]*choice{}
	pick := func(bt string, c *dcol, n, why string) {
		if c.used || ch[bt] != nil {
			return
		}
		c.used = true
		delete(names[kindOfField(order, c)], c.name)
		name(kindOfField(order, c), c, n)
		ch[bt] = &choice{bt: bt, col: c, why: fmt.Sprintf("positions %d-%d: %s; %s", c.start, c.start+c.length-1, why, c.f.sample())}
	}
	key.used = true
	ch["BT-1"] = &choice{bt: "BT-1", col: key, why: fmt.Sprintf("positions %d-%d: right after the record type, repeated at the same place by the records of the invoice; %s", key.start, key.start+key.length-1, key.f.sample())}
	// The header: dates, the buyer's text fields in their usual order, identifiers by value.
	var texts []*dcol
	for _, c := range head.fields[1:] {
		f := c.f
		switch {
		case f.date != "" && ch["BT-2"] == nil:
			pick("BT-2", c, "Date", "the first date of the header record: the invoice date")
		case f.date != "":
			pick("BT-9", c, "Echeance", "the second date of the header record: the due date")
		case f.all(f.vat):
			pick("BT-48", c, "TVAIntra", "every value is a VAT identifier")
		case f.digits && f.maxLen == 14 && f.all(f.filled):
			pick("BT-47", c, "Siret", "14 digits: a SIRET")
		case f.digits && f.maxLen == 5 && f.all(f.postcode):
			pick("BT-53", c, "CP", "5 digits: a post code")
		case f.maxLen == 2 && f.all(f.country):
			pick("BT-55", c, "Pays", "two letters that are country codes")
		case f.all(f.typeCode) && f.maxLen <= 3:
			pick("BT-3", c, "TypePiece", "document type codes")
		case hasLetters(f) && c.length > 12:
			texts = append(texts, c)
		case hasLetters(f) && hasDigits(f) && ch["BT-46"] == nil:
			pick("BT-46", c, "CodeClient", "a short code of letters and digits: the customer's code")
		}
	}
	// Texts: the buyer's name, street; the one after the post code is the city.
	for _, c := range texts {
		cp := ch["BT-53"]
		switch {
		case cp != nil && c.start == cp.col.start+cp.col.length:
			pick("BT-52", c, "Ville", "the text right after the post code: the city")
		case ch["BT-44"] == nil:
			pick("BT-44", c, "Nom", "the first text of the header record: the buyer's name")
		case ch["BT-50"] == nil:
			pick("BT-50", c, "Adresse", "the next text: the buyer's street")
		case ch["BT-52"] == nil:
			pick("BT-52", c, "Ville", "a text after the street: the city")
		}
	}
	// The line: number, article, designation, quantity, unit, price, rate, VAT code.
	var nums []*dcol
	for _, c := range line.fields {
		if c.used || c.start == key.start && c.length == key.length {
			continue
		}
		f := c.f
		switch {
		case f.digits && f.maxLen <= 4 && c.length <= 4 && ch["BT-126"] == nil && !isRateField(c):
			pick("BT-126", c, "NumLigne", "small numbers restarting with each invoice: the line number")
		case isRateField(c):
			c.decimals = 2
			pick("BT-152", c, "Taux", "4 digits that are VAT rates with 2 implied decimals")
		case hasLetters(f) && c.length > 20:
			pick("BT-153", c, "Designation", "the long text of the line record: the item name")
		case f.all(f.unit) && f.maxLen <= 3:
			pick("BT-130", c, "Unite", "unit codes")
		case f.all(f.category) && f.maxLen <= 2:
			pick("BT-151", c, "CodeTVA", "one-letter VAT codes")
		case signedDigits(c, line):
			nums = append(nums, c)
		case hasLetters(f) && ch["BT-155"] == nil && f.maxLen <= 20:
			pick("BT-155", c, "Article", "a short code: the article")
		}
	}
	// Quantity and price: the first two numbers, their implied decimals those that make the
	// lines add up to an amount of the invoice's other records.
	if len(nums) >= 2 {
		q, p := nums[0], nums[1]
		dq, dp, evidence := w.impliedDecimals(order, head, line, q, p)
		q.decimals, p.decimals = dq, dp
		pick("BT-129", q, "Quantite", fmt.Sprintf("the first number of the line record: the quantity, %d implied decimals (%s)", dq, evidence))
		pick("BT-146", p, "PrixHT", fmt.Sprintf("the second number: the unit price, %d implied decimals (%s)", dp, evidence))
		if dq >= 0 && (q.f.negative || p.f.negative) {
			w.negative = true
		}
	}
	// The source.
	w.source = append(w.source, fmt.Sprintf(`<source format="fixed" encoding="%s" type-start="1" type-length="%d" decimal="," date="yyyymmdd">`, w.encoding, tl))
	for _, k := range order {
		w.source = append(w.source, fmt.Sprintf(`  <record name="%s" type="%s">  <!-- %d lines -->`, k.name, xmlAttr(k.code), len(k.lines)))
		for _, c := range k.fields {
			dec := ""
			if c.decimals > 0 {
				dec = fmt.Sprintf(` decimals="%d"`, c.decimals)
			}
			w.source = append(w.source, fmt.Sprintf(`    <field name="%s" start="%d" length="%d"%s/>  <!-- %s -->`, c.name, c.start, c.length, dec, comment(c.f.sample())))
		}
		w.source = append(w.source, "  </record>")
	}
	w.source = append(w.source, "</source>")
	w.notes = append(w.notes,
		fmt.Sprintf("Format fixed-width: %d record types, told by their first %d characters (%s).", len(order), tl, kindList(order)),
		fmt.Sprintf("Encoding %s: %s.", w.encoding, w.encWhy),
		fmt.Sprintf("Invoices: a %q record (type %s) starts each; every record repeats its number at positions %d-%d.", head.name, head.code, key.start, key.start+key.length-1),
		fmt.Sprintf("Lines: one per %q record (type %s).", line.name, line.code),
		"Fields are found from the lines themselves: check their positions, and name them.")
	for _, k := range order {
		if k != head && k != line {
			w.notes = append(w.notes, fmt.Sprintf("Record %q (type %s) is not mapped: if it holds the export's own VAT breakdown or totals, map them (record=\"%s\") to have Fluxgate check them.", k.name, k.code, k.name))
		}
	}
	w.invoiceAttrs = fmt.Sprintf(` group-by="Numero" record="%s"`, head.name)
	w.lineAttrs = fmt.Sprintf(` record="%s"`, line.name)
	ref := func(c *dcol) string { return `field="` + xmlAttr(c.name) + `"` }
	w.common(ch, ref)
	if ch["BT-55"] == nil {
		w.inv = append(w.inv, `<term bt="BT-55" value="FR"/>  <!-- TODO: no field gives the buyer's country -->`)
	}
	return nil
}
