package mapping

import (
	"fmt"
	"io"
	"strings"
)

// The draft of a CSV export with a header row.

// maxDraftRows bounds the rows a draft studies.
const maxDraftRows = 20000

func (w *draftWriter) csv(_ []byte, lines []string) error {
	src := &source{format: "csv", delim: w.delim, quote: '"', encoding: "utf-8"}
	rd := newCSVReader(strings.NewReader(strings.Join(lines, "\n")), w.export, src)
	head, err := rd.next()
	if err != nil {
		return fmt.Errorf("%s: no header row: %w", w.export, err)
	}
	var rows []*record
	for len(rows) < maxDraftRows {
		r, err := rd.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if !blank(r) {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s: the export has a header row and no data", w.export)
	}
	cols := make([]*dcol, len(head.fields))
	for i, h := range head.fields {
		name := strings.TrimSpace(h)
		if name == "" {
			name = fmt.Sprint(i + 1)
		}
		c := &dcol{name: name}
		for _, r := range rows {
			c.vals = append(c.vals, field(r, i))
		}
		cols[i] = c
	}
	// The last rows may be no invoice's (a totals row, a trailer): judge the columns on the
	// others first.
	body := len(rows)
	if body > 6 {
		body -= 3
	}
	for _, c := range cols {
		c.f = factsOf(c.vals[:body])
	}
	key, keyWhy := keyColumn(cols)
	dateCol := bestDate(cols, key)
	var dl *dateLayout
	if dateCol != nil {
		dl, _ = compileDate(dateCol.f.date)
	}
	// From the end: a trailer has a key but no date; a totals row has no key.
	skipEmpty, skipLast := 0, 0
	for i := len(rows) - 1; i >= body-3 && i >= 0; i-- {
		k := key.vals[i]
		if k == "" {
			skipEmpty++
			continue
		}
		if dl != nil && !dateAt(dl, dateCol, i) && skipEmpty == 0 && skipLast == len(rows)-1-i {
			skipLast++
			continue
		}
		break
	}
	n := len(rows) - skipLast
	for _, c := range cols {
		c.vals = c.vals[:n]
		var kept []string
		for i, v := range c.vals {
			if key.vals[i] != "" {
				kept = append(kept, v)
			}
		}
		c.f = factsOf(kept)
	}
	if skipEmpty > 0 { // the totals rows out of the columns' values, their place kept
		var idx []int
		for i := 0; i < n; i++ {
			if key.vals[i] != "" {
				idx = append(idx, i)
			}
		}
		for _, c := range cols {
			vals := make([]string, len(idx))
			for j, i := range idx {
				vals[j] = c.vals[i]
			}
			c.vals = vals
		}
		n = len(idx)
	}
	// A column is a line's when it varies within an invoice.
	for _, c := range cols {
		for i := 1; i < n; i++ {
			if key.vals[i] == key.vals[i-1] && c.vals[i] != c.vals[i-1] {
				c.line = true
				break
			}
		}
	}
	w.decideFormats(cols)
	srcAttrs := fmt.Sprintf(`<source format="csv" encoding="%s" delimiter="%s" header="true" decimal="%c" date="%s"`, w.encoding, delimName(w.delim), w.dec, w.date)
	w.notes = append(w.notes,
		fmt.Sprintf("Format CSV with a header row (%d columns, %d rows studied).", len(cols), len(rows)),
		fmt.Sprintf("Encoding %s: %s.", w.encoding, w.encWhy),
		fmt.Sprintf("Delimiter %q: %s.", delimName(w.delim), w.delimWhy),
		fmt.Sprintf("Decimal separator %q and dates %s: what the numbers and dates of the columns are written with.", string(w.dec), w.date),
		fmt.Sprintf("Invoices: rows with the same %q, one after the other (%s).", key.name, keyWhy))
	if skipLast > 0 {
		srcAttrs += fmt.Sprintf(` skip-last="%d"`, skipLast)
	}
	if skipEmpty > 0 {
		w.source = append(w.source, srcAttrs+">",
			fmt.Sprintf(`  <skip column="%s" empty="true"/>  <!-- %d row(s) without %s: a totals row -->`, xmlAttr(key.name), skipEmpty, comment(key.name)),
			"</source>")
	} else {
		w.source = append(w.source, srcAttrs+"/>")
	}
	if skipLast > 0 {
		w.notes = append(w.notes, fmt.Sprintf("The last %d line(s) have a %s but no date in %s: a trailer, skipped (skip-last).", skipLast, key.name, dateCol.name))
	}
	key.used = true
	ch := assignCols(cols, func(v vocab, c *dcol) bool { return v.line == c.line || v.line && !c.line || v.bt == "BT-44" })
	ch["BT-1"] = &choice{bt: "BT-1", col: key, why: keyWhy}
	w.invoiceAttrs = fmt.Sprintf(` group-by="%s"`, xmlAttr(key.name))
	for _, c := range cols {
		w.negative = w.negative || c.line && c.f.negative
	}
	ref := func(c *dcol) string { return `column="` + xmlAttr(c.name) + `"` }
	w.common(ch, ref)
	w.unmapped(cols)
	return nil
}

func delimName(d byte) string {
	if d == '\t' {
		return "tab"
	}
	return string(d)
}

// keyColumn is the column of invoice numbers: by name, else the first whose values repeat on
// consecutive rows; why is the evidence.
func keyColumn(cols []*dcol) (*dcol, string) {
	ch := assignCols(cols, func(v vocab, c *dcol) bool { return v.bt == "BT-1" })
	for _, c := range cols {
		c.used = false
	}
	if ch["BT-1"] != nil {
		return ch["BT-1"].col, ch["BT-1"].why
	}
	for _, c := range cols {
		if c.f.date != "" || c.f.filled == 0 {
			continue
		}
		for i := 1; i < len(c.vals); i++ {
			if c.vals[i] != "" && c.vals[i] == c.vals[i-1] {
				return c, fmt.Sprintf("%q is the first column whose values repeat on consecutive rows, as an invoice's number does; %s", c.name, c.f.sample())
			}
		}
	}
	return cols[0], fmt.Sprintf("no column is named as an invoice number, nor repeats: %q, the first, is a guess (TODO)", cols[0].name)
}

// bestDate is the column of the invoice date: by name, else the first column of dates.
func bestDate(cols []*dcol, key *dcol) *dcol {
	for _, c := range cols {
		if c != key && c.f.date != "" {
			for _, v := range matchVocab(c.name) {
				if v.bt == "BT-2" {
					return c
				}
			}
		}
	}
	for _, c := range cols {
		if c != key && c.f.date != "" {
			return c
		}
	}
	return nil
}

// decideFormats sets the source's decimal separator and date layout: those of most
// columns.
func (w *draftWriter) decideFormats(cols []*dcol) {
	decs, dates := map[byte]int{}, map[string]int{}
	for _, c := range cols {
		if c.f.number && !c.f.integer {
			decs[c.f.dec]++
		}
		if c.f.date != "" {
			dates[c.f.date]++
		}
	}
	w.dec, w.date = ',', "dd/mm/yyyy"
	if decs['.'] > decs[','] {
		w.dec = '.'
	}
	n := 0
	for l, k := range dates {
		if k > n || k == n && l < w.date {
			w.date, n = l, k
		}
	}
}

// unmapped lists, as a comment, the columns no term reads.
func (w *draftWriter) unmapped(cols []*dcol) {
	var names []string
	for _, c := range cols {
		if !c.used && c.f.filled > 0 {
			names = append(names, fmt.Sprintf("%q (%s)", c.name, c.f.sample()))
		}
	}
	if len(names) > 0 {
		w.notes = append(w.notes, "Not mapped (map them if they are business terms): "+strings.Join(names, "; ")+".")
	}
}

// dateAt reports whether row i of c holds a date in the layout l.
func dateAt(l *dateLayout, c *dcol, i int) bool {
	_, ok := l.parse(strings.TrimSpace(c.vals[i]))
	return ok
}
