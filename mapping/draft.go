package mapping

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/charmap"
)

// Draft writes a first mapping for an export: fluxgate mapping draft. It reads the export
// (a CSV with a header row, a fixed-width file, or XML), detects its encoding, separators,
// number and date layouts, matches its columns (fields, elements) with business terms by
// their names in French and English accounting vocabulary and by their values (dates,
// SIRET/SIREN keys, VAT ids, IBANs, amounts), guesses the grouping key, and writes every
// guess with its evidence as a comment. The seller's own terms, in no export, are named
// constants with TODO values, so that the draft loads and maps at once; the result loads
// with Parse (it passes xsd/mapping.xsd too).
func Draft(data []byte, name string) ([]byte, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the export is empty")
	}
	base := strings.TrimSuffix(name, "."+lastExt(name))
	w := &draftWriter{name: mappingName(base), export: name}
	if looksXML(data) {
		if err := w.xml(data); err != nil {
			return nil, err
		}
		return w.bytes(), nil
	}
	text, enc, evidence, err := decodeExport(data)
	if err != nil {
		return nil, err
	}
	w.encoding, w.encWhy = enc, evidence
	lines := splitLines(text)
	if d, why := detectDelimiter(lines); d != 0 {
		w.delim, w.delimWhy = d, why
		if err := w.csv(data, lines); err != nil {
			return nil, err
		}
		return w.bytes(), nil
	}
	if err := w.fixed(lines); err != nil {
		return nil, err
	}
	return w.bytes(), nil
}

func lastExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && i > strings.LastIndexAny(name, `/\`) {
		return name[i+1:]
	}
	return ""
}

// mappingName turns an export's file name into a mapping name: letters, digits and dashes.
func mappingName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	var b strings.Builder
	for _, r := range foldKeepDash(s) {
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "draft"
	}
	return b.String()
}

func foldKeepDash(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		case r == '-' || r == '_' || r == '.' || r == ' ':
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

func looksXML(data []byte) bool {
	d := bytes.TrimLeft(data, "\xef\xbb\xbf \t\r\n")
	if len(d) > 1 && (d[0] == 0xFF || d[0] == 0xFE || d[0] == 0) {
		return bytes.Contains(data, []byte{'<', 0}) || bytes.Contains(data, []byte{0, '<'})
	}
	return len(d) > 0 && d[0] == '<'
}

// decodeExport decodes a text export: its byte-order mark, else UTF-8 when the bytes are
// valid UTF-8, else the 8-bit encoding whose letters read as French.
func decodeExport(data []byte) (text, enc, why string, err error) {
	if bom := sniffBOM(data); bom != nil {
		if bom.name == "utf-8" {
			return string(data[3:]), "utf-8", "the file starts with the UTF-8 byte-order mark", nil
		}
		wr := newWideReader(bufio.NewReader(bytes.NewReader(data)), "export", bom.name, true)
		var b bytes.Buffer
		if _, err := b.ReadFrom(wr); err != nil {
			return "", "", "", err
		}
		return b.String(), familyOf(bom.name), fmt.Sprintf("the file starts with the %s byte-order mark %s", upperEnc(bom.name), hexBytes(bom.bytes)), nil
	}
	ascii := true
	for _, c := range data {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(data), "utf-8", "the file holds ASCII only (UTF-8 reads it; declare the encoding of the software if accented letters may come)", nil
	}
	if utf8.Valid(data) {
		return string(data), "utf-8", "its accented letters are valid UTF-8", nil
	}
	best, bestScore := "", -1<<30
	var bestText string
	for _, c := range []struct {
		name string
		cm   *charmap.Charmap
	}{{"windows-1252", charmap.Windows1252}, {"cp850", charmap.CodePage850}, {"iso-8859-15", charmap.ISO8859_15}} {
		t, err := c.cm.NewDecoder().String(string(data))
		if err != nil {
			continue
		}
		if s := frenchScore(t); s > bestScore {
			best, bestScore, bestText = c.name, s, t
		}
	}
	if best == "" {
		return "", "", "", errors.New("the export is neither UTF-8 nor a known 8-bit encoding")
	}
	return bestText, best, fmt.Sprintf("its bytes above 0x7F read as French letters in %s (é, è, à, ç…)", best), nil
}

// frenchScore counts the accented letters of French text in t, less the signs a wrong
// code page gives (box drawing, controls, rare symbols).
func frenchScore(t string) int {
	n := 0
	for _, r := range t {
		switch {
		case r < 0x80:
		case strings.ContainsRune("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŒÆ«»°€’½", r):
			n += 2
		case r >= 0x2500 && r <= 0x259F, r < 0xA0, r == 0xFFFD:
			n -= 3
		default:
			n--
		}
	}
	return n
}

func splitLines(text string) []string {
	text = strings.TrimRight(text, "\x1a\r\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// detectDelimiter returns the CSV delimiter that splits the first lines into the same number
// of fields (at least 3), 0 when none does (a fixed-width file).
func detectDelimiter(lines []string) (byte, string) {
	sample := lines[:min(len(lines), 50)]
	best, bestScore, why := byte(0), 0, ""
	for _, d := range []byte{';', '\t', ',', '|'} {
		counts := map[int]int{}
		for _, l := range sample {
			if strings.TrimSpace(l) != "" {
				counts[strings.Count(l, string(d))]++
			}
		}
		mode, n := 0, 0
		for c, k := range counts {
			if k > n || k == n && c > mode {
				mode, n = c, k
			}
		}
		if mode < 2 {
			continue
		}
		if score := n*100 + mode; n*10 >= len(sample)*8 && score > bestScore {
			name := string(d)
			if d == '\t' {
				name = "tab"
			}
			best, bestScore, why = d, score, fmt.Sprintf("%d of the first %d lines have %d %q", n, len(sample), mode, name)
		}
	}
	return best, why
}

// facts is what the values of a column look like.
type facts struct {
	n, filled int
	values    []string // distinct, up to 40
	date      string   // a layout every value is written in
	number    bool     // every value is a number (with dec)
	dec       byte
	thou      bool // a space groups thousands
	negative  bool
	integer   bool
	digits    bool // digits only
	siret     int  // values with a valid SIRET key
	siren     int
	vat       int
	iban      int
	email     int
	postcode  int
	country   int // ISO codes or names the table knows
	unit      int
	payment   int
	typeCode  int
	category  int
	rate      int // numbers that are VAT rates
	currency  int
	maxLen    int
}

var (
	vatRe       = regexp.MustCompile(`^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI|CH|GB)[0-9A-Z]{2}[0-9]{6,10}$`)
	emailRe     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[a-zA-Z]{2,}$`)
	currencyRe  = regexp.MustCompile(`^[A-Z]{3}$`)
	dateLayouts = []string{"dd/mm/yyyy", "yyyy-mm-dd", "yyyymmdd", "dd.mm.yyyy", "dd-mm-yyyy", "dd/mm/yy", "ddmmyyyy"}
	vatRates    = map[string]bool{"0": true, "2.1": true, "5.5": true, "10": true, "20": true, "8.5": true, "13": true, "7": true, "19.6": true, "21": true, "6": true, "12": true}
)

// luhn checks the key of a SIRET or a SIREN (La Poste's SIRETs use a sum multiple of 5).
func luhn(s string) bool {
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-1-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ibanOK checks an IBAN's key (ISO 13616, mod 97).
func ibanOK(s string) bool {
	s = strings.ReplaceAll(strings.ToUpper(s), " ", "")
	if len(s) < 15 || len(s) > 34 || !unicode.IsLetter(rune(s[0])) || !unicode.IsLetter(rune(s[1])) {
		return false
	}
	var b strings.Builder
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteString(strconv.Itoa(int(r-'A') + 10))
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// numberOf reads a value as a number with the decimal separator dec, spaces grouping
// thousands, a sign on either side and a trailing %.
func numberOf(v string, dec byte) (decimal.Decimal, bool) {
	d, ok, _ := parseNumberFmt(v, numFmt{dec: dec, pct: true})
	return d, ok
}

// factsOf describes the values of a column.
func factsOf(vals []string) *facts {
	f := &facts{n: len(vals)}
	var filled []string
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			filled = append(filled, v)
			if !slices.Contains(f.values, v) && len(f.values) < 40 {
				f.values = append(f.values, v)
			}
			f.maxLen = max(f.maxLen, utf8.RuneCountInString(v))
		}
	}
	f.filled = len(filled)
	if f.filled == 0 {
		return f
	}
	for _, l := range dateLayouts {
		dl, _ := compileDate(l)
		ok := true
		for _, v := range filled {
			if _, good := dl.parse(v); !good {
				ok = false
				break
			}
		}
		if ok {
			f.date = l
			break
		}
	}
	for _, dec := range []byte{',', '.'} {
		ok, integer, neg := true, true, false
		for _, v := range filled {
			d, good := numberOf(v, dec)
			if !good {
				ok = false
				break
			}
			integer = integer && d.IsInteger() && !strings.ContainsAny(v, ",.")
			neg = neg || d.Sign() < 0
		}
		if ok {
			f.number, f.dec, f.integer, f.negative = true, dec, integer, neg
			break
		}
	}
	f.digits = true
	for _, v := range filled {
		up := strings.ToUpper(strings.ReplaceAll(v, " ", ""))
		f.digits = f.digits && allDigits(v)
		k := foldName(v)
		switch {
		case len(up) == 14 && allDigits(up) && luhn(up):
			f.siret++
		case len(up) == 9 && allDigits(up) && luhn(up):
			f.siren++
		}
		if vatRe.MatchString(up) && strings.ContainsAny(up[2:], "0123456789") {
			f.vat++
		}
		if ibanOK(up) {
			f.iban++
		}
		if emailRe.MatchString(v) {
			f.email++
		}
		if len(v) == 5 && allDigits(v) {
			f.postcode++
		}
		if _, ok := countries[k]; ok {
			f.country++
		}
		if _, ok := units[k]; ok {
			f.unit++
		}
		if _, ok := paymentMeans[k]; ok {
			f.payment++
		}
		if _, ok := typeCodes[k]; ok {
			f.typeCode++
		}
		if _, ok := vatCategories[k]; ok {
			f.category++
		}
		if currencyRe.MatchString(v) && (v == "EUR" || v == "USD" || v == "GBP" || v == "CHF") {
			f.currency++
		}
		if d, ok := numberOf(v, ','); ok && vatRates[d.String()] {
			f.rate++
		} else if d, ok := numberOf(v, '.'); ok && vatRates[d.String()] {
			f.rate++
		}
	}
	return f
}

// all reports whether every filled value has the count n of a property.
func (f *facts) all(n int) bool { return f.filled > 0 && n == f.filled }

// fits reports whether values with these facts can be the term v.
func (f *facts) fits(kind string) bool {
	if f.filled == 0 {
		return true // an empty column: its name decides
	}
	switch kind {
	case "date":
		return f.date != ""
	case "number":
		return f.number
	case "int":
		return f.number && f.integer && !f.negative
	case "rate":
		return f.number && f.all(f.rate)
	case "siret":
		return f.digits && (f.maxLen == 14 || f.maxLen == 9) // the key may be wrong: the name says it
	case "vat":
		return f.vat > 0
	case "iban":
		return f.iban > 0
	case "email":
		return f.email > 0
	case "postcode":
		return f.maxLen <= 10
	case "country":
		return f.maxLen <= 30
	case "currency":
		return f.all(f.currency)
	case "unit", "code", "category":
		return f.maxLen <= 20
	case "id":
		return f.date == "" && f.maxLen <= 40
	}
	return true
}

// sample writes a few values for a comment.
func (f *facts) sample() string {
	vs := f.values
	if len(vs) > 3 {
		vs = vs[:3]
	}
	if len(vs) == 0 {
		return "always empty"
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		v = strings.ReplaceAll(v, "--", "- -")
		if utf8.RuneCountInString(v) > 30 {
			v = string([]rune(v)[:30]) + "…"
		}
		q[i] = `"` + v + `"`
	}
	s := "values " + strings.Join(q, ", ")
	if len(f.values) > 3 {
		s += ", …"
	}
	return s
}
