package mapping

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// What happens to the bytes of an export before a reader parses them: its byte-order mark is
// checked against the declared encoding, UTF-16 and UTF-32 are decoded into UTF-8, and a
// trailing Ctrl-Z (the end-of-file mark DOS software writes) ends the data.

// bomKind is an encoding told by a byte-order mark.
type bomKind struct {
	name  string // utf-8, utf-16le, utf-16be, utf-32le, utf-32be
	bytes []byte
}

// The longest marks first: FF FE 00 00 (UTF-32LE) begins like FF FE (UTF-16LE).
var boms = []bomKind{
	{"utf-32le", []byte{0xFF, 0xFE, 0x00, 0x00}},
	{"utf-32be", []byte{0x00, 0x00, 0xFE, 0xFF}},
	{"utf-8", []byte{0xEF, 0xBB, 0xBF}},
	{"utf-16le", []byte{0xFF, 0xFE}},
	{"utf-16be", []byte{0xFE, 0xFF}},
}

// sniffBOM returns the encoding whose byte-order mark head starts with, nil for none.
func sniffBOM(head []byte) *bomKind {
	for i := range boms {
		if bytes.HasPrefix(head, boms[i].bytes) {
			return &boms[i]
		}
	}
	return nil
}

// wide reports whether enc is one of the UTF-16 or UTF-32 encodings a source may declare.
func wide(enc string) bool {
	switch enc {
	case "utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be":
		return true
	}
	return false
}

func hexBytes(b []byte) string {
	s := ""
	for i, x := range b {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%02X", x)
	}
	return s
}

// prepare returns what the reader of the source reads from r: UTF-8 when the file is UTF-16
// or UTF-32 (as the mapping declares, or for XML as its byte-order mark says), the declared
// 8-bit encoding otherwise, with a trailing Ctrl-Z removed. A byte-order mark that
// contradicts the declared encoding is a *FileError naming both.
func (m *Mapping) prepare(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("%s: reading line 1: %w", name, err)
	}
	bom := sniffBOM(head)
	declared := m.src.encoding
	isWideBOM := bom != nil && bom.name != "utf-8"
	switch {
	case m.src.format == "xml":
		// An XML file says its own encoding; XML processors must read UTF-16 with its mark.
		if isWideBOM {
			return &ctrlZReader{r: newWideReader(br, name, bom.name, true)}, nil
		}
	case wide(declared):
		if bom != nil && !sameFamily(bom.name, declared) {
			return nil, &FileError{File: name, Line: 1,
				FR: fmt.Sprintf("le fichier est en %s (marque d'ordre des octets %s) alors que le mapping déclare encoding=%q : déclarez encoding=%q", upperEnc(bom.name), hexBytes(bom.bytes), declared, familyOf(bom.name)),
				EN: fmt.Sprintf("the file is %s (byte-order mark %s) but the mapping declares encoding=%q: declare encoding=%q", upperEnc(bom.name), hexBytes(bom.bytes), declared, familyOf(bom.name))}
		}
		enc := declared
		if bom != nil {
			enc = bom.name
		} else if enc == "utf-16" || enc == "utf-32" {
			// Without a mark, the order Windows writes ("Unicode" text files).
			enc += "le"
			if !looksWide(head) {
				return nil, &FileError{File: name, Line: 1,
					FR: fmt.Sprintf("le mapping déclare encoding=%q mais le fichier n'a pas de marque d'ordre des octets et ne ressemble pas à du %s : c'est sans doute un fichier 8 bits (windows-1252, utf-8) ; déclarez son encodage", declared, upperEnc(declared)),
					EN: fmt.Sprintf("the mapping declares encoding=%q but the file has no byte-order mark and does not look like %s: it is probably an 8-bit file (windows-1252, utf-8); declare its encoding", declared, upperEnc(declared))}
			}
		}
		return &ctrlZReader{r: newWideReader(br, name, enc, bom != nil)}, nil
	case isWideBOM:
		return nil, &FileError{File: name, Line: 1,
			FR: fmt.Sprintf("le fichier est en %s (marque d'ordre des octets %s) alors que le mapping attend %s : déclarez encoding=%q dans le mapping, ou exportez le fichier en %s", upperEnc(bom.name), hexBytes(bom.bytes), declared, familyOf(bom.name), declared),
			EN: fmt.Sprintf("the file is %s (byte-order mark %s) but the mapping expects %s: declare encoding=%q in the mapping, or export the file as %s", upperEnc(bom.name), hexBytes(bom.bytes), declared, familyOf(bom.name), declared)}
	}
	return &ctrlZReader{r: br}, nil
}

func familyOf(enc string) string {
	if len(enc) > 6 {
		return enc[:6] // utf-16le → utf-16
	}
	return enc
}

func sameFamily(bom, declared string) bool {
	return declared == bom || declared == familyOf(bom)
}

func upperEnc(enc string) string {
	switch enc {
	case "utf-16le":
		return "UTF-16 little-endian"
	case "utf-16be":
		return "UTF-16 big-endian"
	case "utf-32le":
		return "UTF-32 little-endian"
	case "utf-32be":
		return "UTF-32 big-endian"
	case "utf-16":
		return "UTF-16"
	case "utf-32":
		return "UTF-32"
	}
	return "UTF-8"
}

// looksWide reports whether the first bytes of a file without byte-order mark may be UTF-16
// or UTF-32: ASCII text in those has zero bytes beside each character.
func looksWide(head []byte) bool {
	return bytes.IndexByte(head, 0) >= 0 || len(head) == 0
}

// wideReader decodes UTF-16 or UTF-32 into UTF-8, strictly: a lone surrogate, a code point
// out of range or a truncated unit is a *FileError with its line, never a silent U+FFFD.
type wideReader struct {
	r       *bufio.Reader
	file    string
	enc     string
	skipBOM bool
	line    int // lines decoded so far, for messages
	out     []byte
	err     error
}

func newWideReader(r *bufio.Reader, file, enc string, bom bool) *wideReader {
	return &wideReader{r: r, file: file, enc: enc, skipBOM: bom, line: 1}
}

func (w *wideReader) Read(p []byte) (int, error) {
	for len(w.out) == 0 {
		if w.err != nil {
			return 0, w.err
		}
		w.fill()
	}
	n := copy(p, w.out)
	w.out = w.out[n:]
	return n, nil
}

// fill decodes the next chunk of characters into out, or sets err.
func (w *wideReader) fill() {
	size := 2
	if w.enc == "utf-32le" || w.enc == "utf-32be" {
		size = 4
	}
	if w.skipBOM {
		w.skipBOM = false
		if _, err := w.r.Discard(size); err != nil {
			w.err = io.EOF
			return
		}
	}
	w.out = w.out[:0]
	for len(w.out) < 32<<10 {
		b, err := w.r.Peek(size)
		if len(b) < size {
			if len(b) == 0 && (err == io.EOF || err == nil) {
				w.err = io.EOF
			} else if err != nil && err != io.EOF {
				w.err = fmt.Errorf("%s: reading line %d: %w", w.file, w.line, err)
			} else {
				w.err = w.bad(fmt.Sprintf("the file ends in the middle of a character (%d of its %d bytes)", len(b), size),
					fmt.Sprintf("le fichier s'arrête au milieu d'un caractère (%d octets sur %d)", len(b), size))
			}
			return
		}
		var c rune
		switch w.enc {
		case "utf-16le", "utf-16be":
			u := unit16(b, w.enc == "utf-16be")
			w.r.Discard(2)
			switch {
			case u >= 0xD800 && u < 0xDC00:
				b2, _ := w.r.Peek(2)
				if len(b2) < 2 {
					w.err = w.bad("the file ends in the middle of a character (a surrogate pair)", "le fichier s'arrête au milieu d'un caractère (paire de substitution)")
					return
				}
				u2 := unit16(b2, w.enc == "utf-16be")
				if u2 < 0xDC00 || u2 > 0xDFFF {
					w.err = w.bad(fmt.Sprintf("invalid UTF-16: the surrogate %04X is not followed by its pair", u), fmt.Sprintf("UTF-16 invalide : le demi-caractère %04X n'est pas suivi de sa paire", u))
					return
				}
				w.r.Discard(2)
				c = 0x10000 + (rune(u)-0xD800)<<10 + (rune(u2) - 0xDC00)
			case u >= 0xDC00 && u <= 0xDFFF:
				w.err = w.bad(fmt.Sprintf("invalid UTF-16: a lone surrogate %04X", u), fmt.Sprintf("UTF-16 invalide : demi-caractère %04X isolé", u))
				return
			default:
				c = rune(u)
			}
		default:
			if w.enc == "utf-32be" {
				c = rune(b[0])<<24 | rune(b[1])<<16 | rune(b[2])<<8 | rune(b[3])
			} else {
				c = rune(b[3])<<24 | rune(b[2])<<16 | rune(b[1])<<8 | rune(b[0])
			}
			w.r.Discard(4)
			if c < 0 || c > utf8.MaxRune || c >= 0xD800 && c <= 0xDFFF {
				w.err = w.bad(fmt.Sprintf("invalid UTF-32: %08X is not a character", uint32(c)), fmt.Sprintf("UTF-32 invalide : %08X n'est pas un caractère", uint32(c)))
				return
			}
		}
		if c == '\n' {
			w.line++
		}
		w.out = utf8.AppendRune(w.out, c)
	}
}

func unit16(b []byte, be bool) uint16 {
	if be {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}

func (w *wideReader) bad(en, fr string) error {
	return &FileError{File: w.file, Line: w.line,
		FR: fmt.Sprintf("%s (ligne %d) : le fichier n'est pas du %s valide", fr, w.line, upperEnc(w.enc)),
		EN: fmt.Sprintf("%s (line %d): the file is not valid %s", en, w.line, upperEnc(w.enc))}
}

// ctrlZ is the end-of-file mark of DOS (SUB, 0x1A), which DOS software writes after the data.
const ctrlZ = 0x1A

// ctrlZReader ends the data at a Ctrl-Z followed by nothing but more Ctrl-Z, spaces and line
// ends: DOS software writes one after the last line, and it is no invoice. A Ctrl-Z with data
// after it is passed on: inside a value, it is reported as a control character.
type ctrlZReader struct {
	r     io.Reader
	buf   []byte // read, not yet passed on
	judge bool   // buf[0] is a Ctrl-Z already found to be data
	err   error  // the error of r once it failed or ended
}

// lookAhead bounds how far past a Ctrl-Z the reader looks for data.
const lookAhead = 1 << 20

func (z *ctrlZReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(z.buf) == 0 {
		if z.err != nil {
			return 0, z.err
		}
		n, err := z.r.Read(p)
		if err != nil {
			z.err = err
		}
		k := bytes.IndexByte(p[:n], ctrlZ)
		if k < 0 {
			return n, nil
		}
		z.buf = append(z.buf[:0], p[k:n]...)
		z.judge = false
		if k > 0 {
			return k, nil
		}
	}
	if z.buf[0] == ctrlZ && !z.judge {
		for z.err == nil && blankTail(z.buf) && len(z.buf) < lookAhead {
			var chunk [4096]byte
			n, err := z.r.Read(chunk[:])
			z.buf = append(z.buf, chunk[:n]...)
			if err != nil {
				z.err = err
			}
		}
		if blankTail(z.buf) && errors.Is(z.err, io.EOF) {
			z.buf = z.buf[:0]
			return 0, io.EOF
		}
		z.judge = true
	}
	// Pass on up to the next Ctrl-Z after the first byte, which the next call judges.
	end := len(z.buf)
	if k := bytes.IndexByte(z.buf[1:], ctrlZ); k >= 0 {
		end = k + 1
	}
	n := copy(p, z.buf[:end])
	z.buf = z.buf[n:]
	z.judge = false // what is left starts with a Ctrl-Z to judge, or with plain data
	return n, nil
}

// blankTail reports whether b holds only Ctrl-Z, spaces, tabs, line ends and NUL (the
// padding of fixed-size blocks some systems write after the mark).
func blankTail(b []byte) bool {
	for _, c := range b {
		if c != ctrlZ && c != '\r' && c != '\n' && c != ' ' && c != '\t' && c != 0 {
			return false
		}
	}
	return true
}
