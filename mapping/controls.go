package mapping

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Control characters in values. An invoice is text for people: a NUL, an escape or a form
// feed in a buyer's name is a defect of the export (XML cannot even hold most of them, and
// writers would replace them silently), so the invoice is rejected with the line, the
// column and the character. Tab, line feed and carriage return stay allowed: a quoted CSV
// field may hold a description on several lines, and XML holds them as they are.

// RuleControl is the rule id of a value holding a control character.
const RuleControl = "FG-CONTROL-CHAR"

// controlAt returns the byte offset of the first control character of s (C0 other than tab,
// line feed and carriage return; DEL; C1; the non-characters U+FFFE and U+FFFF), -1 for none.
func controlAt(s string) int {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20:
			if c != '\t' && c != '\n' && c != '\r' {
				return i
			}
		case c == 0x7F:
			return i
		case c == 0xC2:
			if i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9F {
				return i
			}
		case c == 0xEF:
			if i+2 < len(s) && s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF) {
				return i
			}
		}
	}
	return -1
}

var c0Names = [...]string{"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
	"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"}

// controlName is "U+0000 (NUL)".
func controlName(r rune) string {
	switch {
	case r < 0x20:
		return fmt.Sprintf("U+%04X (%s)", r, c0Names[r])
	case r == 0x7F:
		return "U+007F (DEL)"
	}
	return fmt.Sprintf("U+%04X", r)
}

// visible writes s with its control characters shown (␀ for NUL, ␛ for ESC, \u0085…), so
// that a message shows where the character is.
func visible(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			b.WriteRune(0x2400 + r)
		case r == 0x7F:
			b.WriteRune(0x2421)
		case r >= 0x80 && r <= 0x9F || r == 0xFFFE || r == 0xFFFF:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// controlProblem records the problem of a value holding a control character at byte i.
func (rn *run) controlProblem(c *evalCtx, raw string, i int) {
	r, _ := utf8.DecodeRuneInString(raw[i:])
	pos := rn.position(c.org, c.hasOrg, c.rec, c.el)
	if !c.hasOrg && c.t.ref != nil && pos.Column == "" {
		pos.Column = c.t.ref.text
	}
	whereFR, whereEN := fmt.Sprintf("ligne %d", pos.Line), fmt.Sprintf("line %d", pos.Line)
	if pos.Column != "" {
		if rn.m.src.format == "xml" {
			whereFR += ", élément " + pos.Column
			whereEN += ", element " + pos.Column
		} else {
			whereFR += ", colonne " + pos.Column
			whereEN += ", column " + pos.Column
		}
	}
	at := utf8.RuneCountInString(raw[:i]) + 1
	rs := []rune(raw)
	from, to := max(0, at-16), min(len(rs), at+15)
	v := visible(string(rs[from:to]))
	if from > 0 {
		v = "…" + v
	}
	if to < len(rs) {
		v += "…"
	}
	hintFR, hintEN := "retirez-le de l'export", "remove it from the export"
	if r >= 0x80 && r <= 0x9F && rn.m.src.encoding == "iso-8859-1" {
		// In Windows-1252 these bytes are letters and signs (’ € œ …).
		hintFR, hintEN = "le fichier est sans doute en windows-1252 : déclarez encoding=\"windows-1252\" dans le mapping", "the file is probably windows-1252: declare encoding=\"windows-1252\" in the mapping"
	}
	rn.problem(c, RuleControl,
		fmt.Sprintf("%s : le caractère de contrôle %s ne peut pas figurer dans une facture (caractère %d de « %s », %s) ; %s", whereFR, controlName(r), at, v, termFR(c.t.bt), hintFR),
		fmt.Sprintf("%s: the control character %s cannot appear in an invoice (character %d of %q, %s); %s", whereEN, controlName(r), at, v, nameEN(c.t.bt), hintEN))
}
