package schematron

// The bytes and characters of the plain documents the scanner reads: which bytes make
// names and plain text, and text decoded as encoding/xml decodes it.

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Classes of bytes, so that names and text are read with one table lookup a byte.
const (
	nameStart = 1 << iota // a letter or "_"
	nameChar              // a letter, "_", a digit, "." or "-"
	// textSpecial is a byte that plain text does not have or that decode changes: a
	// control character but tab and line feed, "&", "]" (of "]]>"), anything not ASCII.
	textSpecial
	textOther // a byte of text but a space
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		b := byte(c)
		if isNameStart(b) {
			t[c] |= nameStart | nameChar
		}
		if b >= '0' && b <= '9' || b == '.' || b == '-' {
			t[c] |= nameChar
		}
		if b < 0x20 && b != '\t' && b != '\n' || b == '&' || b == ']' || b >= utf8.RuneSelf {
			t[c] |= textSpecial
		}
		if !isSpace(b) {
			t[c] |= textOther
		}
	}
	return t
}()

func isNameStart(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' }

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// isBlank reports whether v is only whitespace.
func isBlank(v string) bool { return strings.TrimLeft(v, " \t\r\n") == "" }

// decode is raw text as encoding/xml gives it: line ends made "\n", the five predefined
// entities and character references expanded; ok is false for any other reference and for
// a character XML does not allow.
func decode(raw string) (string, bool) {
	if strings.IndexByte(raw, '&') < 0 && strings.IndexByte(raw, '\r') < 0 {
		return raw, allowed(raw)
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '\r':
			b.WriteByte('\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		case '&':
			end := strings.IndexByte(raw[i:], ';')
			if end < 0 {
				return "", false
			}
			r, ok := reference(raw[i+1 : i+end])
			if !ok {
				return "", false
			}
			b.WriteRune(r)
			i += end
		default:
			b.WriteByte(c)
		}
	}
	v := b.String()
	return v, allowed(v)
}

// reference is the character an entity or character reference (between & and ;) stands for.
func reference(ref string) (rune, bool) {
	switch ref {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	digits, base := strings.CutPrefix(ref, "#x")
	if !base {
		var isChar bool
		if digits, isChar = strings.CutPrefix(ref, "#"); !isChar {
			return 0, false
		}
	}
	if digits == "" || strings.ContainsAny(digits, "+-_") {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, map[bool]int{true: 16, false: 10}[base], 32)
	if err != nil || !isXMLChar(rune(n)) || n != uint64(rune(n)) {
		return 0, false
	}
	return rune(n), true
}

// allowed reports whether every character of v is valid UTF-8 that XML allows.
func allowed(v string) bool {
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 || !isXMLChar(r) {
			return false
		}
		i += size
	}
	return true
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
