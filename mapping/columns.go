package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// bindStatic resolves field names of sources whose fields the mapping declares (or numbers).
func (rn *run) bindStatic() {
	m := rn.m
	rn.slots = make([]slot, len(m.src.kinds)*len(m.refs))
	for _, k := range m.src.kinds {
		for _, r := range m.refs {
			s := slot{idx: -1}
			if i, ok := k.byName[r.name]; ok {
				s = slot{idx: i, decimals: k.fields[i].decimals}
				if m.src.format == "csv" {
					s.idx = k.fields[i].col - 1
				}
			} else if m.src.format == "csv" && len(k.fields) == 0 {
				if n, err := strconv.Atoi(r.name); err == nil {
					s.idx = n - 1
				}
			}
			rn.slots[k.idx*len(m.refs)+r.id] = s
		}
	}
}

// bind resolves column names against the header row.
func (rn *run) bind(rec *record) error {
	m := rn.m
	index := make(map[string]int, len(rec.fields))
	names := make([]string, 0, len(rec.fields))
	for i, f := range rec.fields {
		f = strings.TrimSpace(f)
		names = append(names, visible(f))
		if _, dup := index[f]; !dup {
			index[f] = i
		}
	}
	rn.width = len(rec.fields)
	rn.slots = make([]slot, len(m.refs))
	var missing []string
	lines := map[string][]int{} // mapping lines using each missing column
	for _, r := range m.refs {
		i, ok := index[r.name]
		if !ok {
			i = -1
			if !slices.Contains(missing, r.name) {
				missing = append(missing, r.name)
			}
			if !slices.Contains(lines[r.name], r.line) {
				lines[r.name] = append(lines[r.name], r.line)
			}
		}
		rn.slots[r.id] = slot{idx: i}
	}
	if len(missing) == 0 {
		return nil
	}
	var fr, en, nearFR, nearEN []string
	for _, col := range missing {
		ls := make([]string, len(lines[col]))
		for i, l := range lines[col] {
			ls[i] = strconv.Itoa(l)
		}
		word := "line"
		if len(ls) > 1 {
			word = "lines"
		}
		f := fmt.Sprintf("« %s » (ligne%s %s du mapping)", col, strings.TrimPrefix(word, "line"), strings.Join(ls, ", "))
		e := fmt.Sprintf("%q (mapping %s %s)", col, word, strings.Join(ls, ", "))
		nf, ne := "", ""
		if near := nearest(col, names); near != "" {
			nf, ne = fmt.Sprintf(" : vouliez-vous dire « %s » ?", near), fmt.Sprintf(": did you mean %q?", near)
		}
		fr, en = append(fr, f+nf), append(en, e+ne)
		nearFR, nearEN = append(nearFR, nf), append(nearEN, ne)
	}
	present := strings.Join(names, ", ")
	fe := &FileError{File: rn.file, Line: rec.line, Column: missing[0], MappingLine: lines[missing[0]][0]}
	if len(missing) == 1 {
		f, e := strings.TrimSuffix(fr[0], nearFR[0]), strings.TrimSuffix(en[0], nearEN[0])
		end := "."
		if nearEN[0] != "" {
			end = ""
		}
		fe.FR = fmt.Sprintf("la colonne %s est absente de la ligne d'en-tête%s%s Colonnes présentes : %s", f, nearFR[0], end, present)
		fe.EN = fmt.Sprintf("column %s is missing from the header row%s%s Columns present: %s", e, nearEN[0], end, present)
		return fe
	}
	fe.FR = fmt.Sprintf("des colonnes utilisées par le mapping sont absentes de la ligne d'en-tête : %s. Colonnes présentes : %s", strings.Join(fr, " ; "), present)
	fe.EN = fmt.Sprintf("columns the mapping uses are missing from the header row: %s. Columns present: %s", strings.Join(en, "; "), present)
	return fe
}

// nearest returns the name among names that col most likely means (the same letters
// without accents, case or punctuation, or one or two letters apart), "" for none.
func nearest(col string, names []string) string {
	key := foldName(col)
	best, bestD := "", 3
	for _, n := range names {
		k := foldName(n)
		if k == "" {
			continue
		}
		d := editDistance(key, k)
		if limit := max(1, min(len(key), len(k))/4); d <= limit && d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// foldName is a column name without accents, case, spaces or punctuation: "N° pièce" and
// "no piece" fold alike.
func foldName(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'œ':
			b.WriteString("oe")
		case r == 'æ':
			b.WriteString("ae")
		case r == '°' || r == 'º':
			b.WriteByte('o')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// editDistance is the Levenshtein distance between a and b, in characters.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := prev[j-1]
			if ra[i-1] != rb[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
