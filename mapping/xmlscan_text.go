package mapping

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"
)

// readText reads text into s.text: up to < (quote < 0), in a CDATA section up to ]]>, or in
// an attribute value up to the quote. Entities and character references are replaced, line
// ends made \n.
func (s *xmlScanner) readText(quote int, cdata bool) bool {
	stop := uint8(notPlain)
	if quote >= 0 {
		stop |= isQuote
	}
	run, seen := s.plainRun(stop)
	valid := seen&toCheck == 0
	if !cdata && s.pos < s.end {
		// Most text is plain and buffered to its end: it is read where it is, not copied.
		if c := s.buf[s.pos]; quote < 0 && c == '<' || quote >= 0 && c == byte(quote) {
			s.inBuf, s.textLo, s.textHi, s.textSeen = true, s.pos-len(run), s.pos, seen
			if quote >= 0 {
				s.pos++
			}
			return valid || s.checkChars(run)
		}
	}
	var b0, b1 byte
	trunc := 0
	s.inBuf = false
	s.text = append(s.textBuf[:0], run...)
	defer func() { s.textBuf = s.text[:0] }()
	if len(run) > 0 {
		b1 = run[len(run)-1]
		if len(run) > 1 {
			b0 = run[len(run)-2]
		}
	}
	for {
		if b1 != '\r' { // else a \n next is dropped: byte by byte
			if run, _ := s.plainRun(stop); len(run) > 0 {
				s.text = append(s.text, run...)
				b0, b1 = b1, run[len(run)-1]
				if len(run) > 1 {
					b0 = run[len(run)-2]
				}
			}
		}
		b, ok := s.getc()
		if !ok {
			if cdata {
				if s.err == io.EOF {
					s.err = s.syntaxError("unexpected EOF in CDATA section")
				}
				return false
			}
			break
		}
		if quote < 0 && b0 == ']' && b1 == ']' && b == '>' {
			if cdata {
				trunc = 2
				break
			}
			s.fail("unescaped ]]> not in CDATA section")
			return false
		}
		if b == '<' && !cdata {
			if quote >= 0 {
				s.fail("unescaped < inside quoted string")
				return false
			}
			s.ungetc()
			break
		}
		if quote >= 0 && b == byte(quote) {
			break
		}
		if b == '&' && !cdata {
			if !s.reference() {
				return false
			}
			b0, b1 = 0, 0
			continue
		}
		switch {
		case b == '\r':
			s.text = append(s.text, '\n')
		case b1 == '\r' && b == '\n':
		default:
			s.text = append(s.text, b)
		}
		b0, b1 = b1, b
	}
	s.text = s.text[:len(s.text)-trunc]
	return s.checkChars(s.text)
}

// blankText reports whether the text token just read is white space only, as
// bytes.TrimSpace sees it; the classes of its bytes tell most often.
func (s *xmlScanner) blankText() bool {
	switch {
	case s.inBuf && s.textSeen&notSpace == 0:
		return true
	case s.inBuf && s.textSeen&toCheck == 0:
		return false // ASCII, and not all of it space
	}
	return len(bytes.TrimSpace(s.textBytes())) == 0
}

// textBytes is the text token or attribute value just read, valid until the next read:
// most often straight in the buffer (kept as offsets, which the garbage collector does not
// guard as it guards a slice).
func (s *xmlScanner) textBytes() []byte {
	if s.inBuf {
		return s.buf[s.textLo:s.textHi]
	}
	return s.text
}

// textClass tells how readText reads a byte: one by one (notPlain, and a quote in an
// attribute value), with the characters to check (checkChars: controls, non-ASCII), as a
// line end.
const (
	notPlain = 1 << iota
	isQuote
	toCheck
	lineEnd
	notSpace // not ' ', '\t' or '\n' ('\r' is notPlain)
)

var textClass = func() (t [256]uint8) {
	for c := range t {
		if c != ' ' && c != '\t' && c != '\n' {
			t[c] |= notSpace
		}
		switch {
		case c == '<' || c == '>' || c == '&' || c == '\r':
			t[c] |= notPlain
		case c == '"' || c == '\'':
			t[c] |= isQuote
		case c == '\n':
			t[c] |= lineEnd
		case c < 0x20 && c != '\t' || c >= utf8.RuneSelf:
			t[c] |= toCheck
		}
	}
	return t
}()

// plainRun reads the bytes up to the next one of class stop or the end of the buffer;
// seen has the classes of their bytes (none toCheck: they need no checkChars).
func (s *xmlScanner) plainRun(stop uint8) (run []byte, seen uint8) {
	i := s.pos
	for ; i < s.end; i++ {
		c := textClass[s.buf[i]]
		if c&stop != 0 {
			break
		}
		seen |= c
		if c&lineEnd != 0 {
			s.line++
		}
	}
	run = s.buf[s.pos:i]
	s.pos = i
	return run, seen
}

// checkChars refuses invalid UTF-8 and the characters XML does not allow.
func (s *xmlScanner) checkChars(data []byte) bool {
	for len(data) > 0 {
		if c := data[0]; c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				s.fail(fmt.Sprintf("illegal character code %U", rune(c)))
				return false
			}
			data = data[1:]
			continue
		}
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size == 1 {
			s.fail("invalid UTF-8")
			return false
		}
		if !(r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			s.fail(fmt.Sprintf("illegal character code %U", r))
			return false
		}
		data = data[size:]
	}
	return true
}

// reference reads an entity or character reference after & and appends what it stands for
// to s.text.
func (s *xmlScanner) reference() bool {
	before := len(s.text)
	s.text = append(s.text, '&')
	var r rune
	known := false
	b, ok := s.mustgetc()
	if !ok {
		return false
	}
	if b == '#' {
		s.text = append(s.text, b)
		if b, ok = s.mustgetc(); !ok {
			return false
		}
		base := rune(10)
		if b == 'x' {
			base = 16
			s.text = append(s.text, b)
			if b, ok = s.mustgetc(); !ok {
				return false
			}
		}
		start := len(s.text)
		for digitOf(b, base) >= 0 {
			s.text = append(s.text, b)
			if b, ok = s.mustgetc(); !ok {
				return false
			}
		}
		if b != ';' {
			s.ungetc()
		} else {
			r, known = charRef(s.text[start:], base)
			s.text = append(s.text, ';')
		}
	} else {
		s.ungetc()
		if s.text, ok = s.readName(s.text); !ok && s.err != nil {
			return false
		}
		if b, ok = s.mustgetc(); !ok {
			return false
		}
		if b != ';' {
			s.ungetc()
		} else {
			r, known = predefined(s.text[before+1:])
			s.text = append(s.text, ';')
		}
	}
	if known {
		s.text = utf8.AppendRune(s.text[:before], r)
		return true
	}
	ent := string(s.text[before:])
	if ent[len(ent)-1] != ';' {
		ent += " (no semicolon)"
	}
	s.fail("invalid character entity " + ent)
	return false
}

// charRef is the character of the digits of &#…; in base, known false when they are none or
// name no Unicode code point.
func charRef(digits []byte, base rune) (r rune, known bool) {
	if len(digits) == 0 {
		return 0, false
	}
	for _, d := range digits {
		r = r*base + digitOf(d, base)
		if r > utf8.MaxRune {
			return 0, false
		}
	}
	return r, true
}

func digitOf(b byte, base rune) rune {
	switch {
	case '0' <= b && b <= '9':
		return rune(b - '0')
	case base == 16 && 'a' <= b && b <= 'f':
		return rune(b-'a') + 10
	case base == 16 && 'A' <= b && b <= 'F':
		return rune(b-'A') + 10
	}
	return -1
}

// predefined is the character of the five entities XML predefines; an export declares none
// of its own that a reader would honour.
func predefined(name []byte) (rune, bool) {
	switch string(name) {
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
	return 0, false
}
