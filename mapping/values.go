package mapping

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
)

// numFmt says how a number is written: decimal separator, thousands separator (0: spaces
// only), a tolerated trailing "%" (pct), both separators accepted (literal: numbers written
// in the mapping itself), implied decimals when no separator is written.
type numFmt struct {
	dec     byte
	thou    byte
	pct     bool
	literal bool
	implied int
}

// parseNumber reads a number written with the decimal separator dec (',' or '.'). Spaces,
// no-break spaces and narrow no-break spaces are thousands separators and are ignored; a
// leading sign is allowed; pct tolerates a trailing "%". With literal (numbers written in the
// mapping itself) both ',' and '.' are decimal separators. It returns ok=false with why:
// "sep" when the other separator was used, "" otherwise.
func parseNumber(s string, dec byte, pct, literal bool) (d decimal.Decimal, ok bool, why string) {
	return parseNumberFmt(s, numFmt{dec: dec, pct: pct, literal: literal})
}

// parseNumberFmt reads a number written as f says. Besides a leading sign, a trailing one
// (123,45-, as COBOL programs write) is accepted.
func parseNumberFmt(s string, f numFmt) (d decimal.Decimal, ok bool, why string) {
	var b [64]byte
	out := b[:0]
	seenSep, digits, neg := false, 0, false
	if f.pct {
		s = strings.TrimSpace(s)
		s = strings.TrimSuffix(s, "%")
	}
	if t := strings.TrimRight(s, " "); len(t) > 1 && (t[len(t)-1] == '-' || t[len(t)-1] == '+') {
		neg = t[len(t)-1] == '-'
		s = t[:len(t)-1]
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			out = append(out, byte(r))
			digits++
		case r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009' || r == '\t':
			// thousands separator or padding
		case (r == '-' || r == '+') && len(out) == 0 && digits == 0 && !seenSep && !neg:
			if r == '-' {
				out = append(out, '-')
			}
		case f.thou != 0 && r == rune(f.thou) && !seenSep && digits > 0:
			// thousands separator
		case r == rune(f.dec) || (f.literal && (r == ',' || r == '.')):
			if seenSep {
				return d, false, ""
			}
			seenSep = true
			out = append(out, '.')
		case r == ',' || r == '.':
			return d, false, "sep"
		default:
			return d, false, ""
		}
		if len(out) >= len(b)-1 {
			return d, false, ""
		}
	}
	if digits == 0 {
		return d, false, ""
	}
	d, err := decimal.NewFromString(string(out))
	if err != nil {
		return d, false, ""
	}
	if f.implied > 0 && !seenSep {
		d = d.Shift(int32(-f.implied))
	}
	if neg {
		d = d.Neg()
	}
	return d, true, ""
}

// dateLayout is a compiled date layout such as dd/mm/yyyy, yyyymmdd or yyyy-mm-dd.
type dateLayout struct {
	text string
	toks []dateTok
}

type dateTok struct {
	kind byte // 'd' day, 'm' month, 'Y' four-digit year, 'y' two-digit year, 0 literal
	lit  string
}

// compileDate compiles a layout made of the tokens dd, mm, yyyy, yy and literal characters.
func compileDate(layout string) (*dateLayout, error) {
	l := &dateLayout{text: layout}
	var seen [256]bool
	for s := layout; s != ""; {
		var t dateTok
		switch {
		case strings.HasPrefix(s, "yyyy"):
			t.kind, s = 'Y', s[4:]
		case strings.HasPrefix(s, "yy"):
			t.kind, s = 'y', s[2:]
		case strings.HasPrefix(s, "mm"):
			t.kind, s = 'm', s[2:]
		case strings.HasPrefix(s, "dd"):
			t.kind, s = 'd', s[2:]
		default:
			c := s[0]
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
				return nil, fmt.Errorf("date layout %q: unexpected %q (use the tokens dd, mm, yyyy or yy and separators, e.g. dd/mm/yyyy, yyyymmdd, yyyy-mm-dd)", layout, s[:1])
			}
			if n := len(l.toks); n > 0 && l.toks[n-1].kind == 0 {
				l.toks[n-1].lit += s[:1]
			} else {
				l.toks = append(l.toks, dateTok{lit: s[:1]})
			}
			s = s[1:]
			continue
		}
		k := t.kind
		if k == 'y' {
			k = 'Y'
		}
		if seen[k] {
			return nil, fmt.Errorf("date layout %q names the %s twice", layout, map[byte]string{'d': "day", 'm': "month", 'Y': "year"}[k])
		}
		seen[k] = true
		l.toks = append(l.toks, t)
	}
	if !seen['d'] || !seen['m'] || !seen['Y'] {
		return nil, fmt.Errorf("date layout %q needs a day (dd), a month (mm) and a year (yyyy or yy)", layout)
	}
	return l, nil
}

// parse reads s. Day and month take one or two digits when separators or the ends of the
// value surround them (5/11/2026 is read like 05/11/2026), exactly two otherwise (yyyymmdd).
func (l *dateLayout) parse(s string) (invoice.Date, bool) {
	d, err := l.readDate(s)
	return d, err == nil && d != (invoice.Date{})
}

// Months, for messages about a day that does not exist.
var (
	monthsFR = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	monthsEN = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// dateError is why a value written in the layout is no date: its day or month does not
// exist ("31/11/2026").
type dateError struct{ fr, en string }

// why explains a value written in the layout that is no date, nil when s is not written in
// the layout or is a date.
func (l *dateLayout) why(s string) *dateError {
	_, err := l.readDate(s)
	return err
}

// readDate reads s: the zero Date without error when s is not written in the layout, a
// *dateError when its day or month does not exist.
func (l *dateLayout) readDate(s string) (invoice.Date, *dateError) {
	var y, m, d int
	for i, t := range l.toks {
		if t.kind == 0 {
			if !strings.HasPrefix(s, t.lit) {
				return invoice.Date{}, nil
			}
			s = s[len(t.lit):]
			continue
		}
		min, max := 2, 2
		switch {
		case t.kind == 'Y':
			min, max = 4, 4
		case t.kind == 'y':
		case (i == 0 || l.toks[i-1].kind == 0) && (i == len(l.toks)-1 || l.toks[i+1].kind == 0):
			min = 1 // not glued to another number
		}
		n := 0
		for n < max && n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n < min {
			return invoice.Date{}, nil
		}
		v := 0
		for _, c := range s[:n] {
			v = v*10 + int(c-'0')
		}
		s = s[n:]
		switch t.kind {
		case 'd':
			d = v
		case 'm':
			m = v
		case 'Y':
			y = v
		case 'y':
			y = 2000 + v
		}
	}
	if s != "" || y < 1 {
		return invoice.Date{}, nil
	}
	if m < 1 || m > 12 {
		return invoice.Date{}, &dateError{fmt.Sprintf("le mois %d n'existe pas", m), fmt.Sprintf("month %d does not exist", m)}
	}
	if d < 1 {
		return invoice.Date{}, &dateError{"le jour 0 n'existe pas", "day 0 does not exist"}
	}
	if t := time.Date(y, time.Month(m), d, 12, 0, 0, 0, time.UTC); t.Day() != d {
		// 31/11, 29/02 of a common year: the day does not exist in that month.
		days := time.Date(y, time.Month(m)+1, 0, 12, 0, 0, 0, time.UTC).Day()
		return invoice.Date{}, &dateError{
			fmt.Sprintf("%s %d n'a que %d jours", monthsFR[m-1], y, days),
			fmt.Sprintf("%s %d has only %d days", monthsEN[m-1], y, days)}
	}
	return invoice.NewDate(y, time.Month(m), d), nil
}
