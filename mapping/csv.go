package mapping

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// record is one row of the source with where it came from. Readers for other formats
// (fixed-width, XML) produce the same thing, so evaluation does not depend on the format.
type record struct {
	kind      int      // index of its kind in source.kinds, -1 for a type code the mapping does not declare
	line, end int      // first and last physical line, 1-based (a quoted field may span lines)
	fields    []string // decoded values, not trimmed
	el        *xmlNode
	x         *xmlRec // xml: element lines and the record's path
}

// recordReader streams the rows of a source. next returns io.EOF after the last record and
// a *FileError when the file cannot be read.
type recordReader interface {
	next() (*record, error)
}

const maxLine = 1 << 20 // a physical line or a record longer than this is not an export

// csvReader reads RFC 4180-style CSV: delimiter chosen by the mapping, fields optionally
// quoted with ", quotes doubled inside, quoted fields may hold delimiters and newlines. It
// is lenient where legacy exports are sloppy: a quote inside an unquoted field is kept as is,
// CRLF and LF are both line ends, the last line may lack its newline.
type csvReader struct {
	file   string
	br     *bufio.Reader
	src    *source
	table  *[256]rune // single-byte charset, nil for UTF-8
	lineNo int
	eof    bool
	raw    []byte
	out    []byte
	width  int // fields in the previous record, to size the next
}

func newCSVReader(r io.Reader, file string, src *source) *csvReader {
	c := &csvReader{file: file, br: bufio.NewReaderSize(r, 64<<10), src: src}
	if src.charmap != nil {
		var t [256]rune
		for i := range t {
			t[i] = src.charmap.DecodeByte(byte(i))
		}
		c.table = &t
	}
	return c
}

// readLine returns the next physical line, decoded, without its line end; ok is false at
// the end of the file.
func (c *csvReader) readLine() (s string, ok bool, err error) {
	if c.eof {
		return "", false, nil
	}
	c.raw = c.raw[:0]
	for {
		chunk, err := c.br.ReadSlice('\n')
		c.raw = append(c.raw, chunk...)
		if err == bufio.ErrBufferFull {
			if len(c.raw) > maxLine {
				return "", false, c.fileErr(c.lineNo+1, nil,
					"ligne de plus de 1 Mo : ce n'est pas un export texte, ou les fins de ligne sont absentes",
					"line longer than 1 MB: this is not a text export, or its line ends are missing")
			}
			continue
		}
		if err == io.EOF {
			c.eof = true
			if len(c.raw) == 0 {
				return "", false, nil
			}
			break
		}
		if err != nil {
			var fe *FileError
			if errors.As(err, &fe) { // the decoding of UTF-16 or UTF-32 failed: the content's fault
				return "", false, fe
			}
			// Not a *FileError: the file may be fine and a retry may succeed.
			return "", false, fmt.Errorf("%s: reading line %d: %w", c.file, c.lineNo+1, err)
		}
		break
	}
	c.lineNo++
	b := c.raw
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	bom := c.lineNo == 1 && len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF
	if c.table == nil {
		if bom {
			b = b[3:]
		}
		if !utf8.Valid(b) {
			return "", false, c.fileErr(c.lineNo, nil,
				fmt.Sprintf("le fichier n'est pas en UTF-8 (ligne %d) : s'il vient d'un logiciel Windows, déclarez encoding=\"windows-1252\" dans le mapping", c.lineNo),
				fmt.Sprintf("the file is not UTF-8 (line %d): if it comes from Windows software, declare encoding=\"windows-1252\" in the mapping", c.lineNo))
		}
		return string(b), true, nil
	}
	ascii := true
	for _, x := range b {
		if x >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b), true, nil
	}
	// Bytes that form valid UTF-8 sequences ("Ã©" in Windows-1252) do not occur in French
	// text: the file is UTF-8 and the mapping says otherwise; say so rather than garble names.
	if bom || utf8.Valid(b) {
		return "", false, c.fileErr(c.lineNo, nil,
			fmt.Sprintf("le fichier semble être en UTF-8 (ligne %d) alors que le mapping déclare encoding=%q : déclarez encoding=\"utf-8\" dans le mapping", c.lineNo, c.src.encoding),
			fmt.Sprintf("the file looks like UTF-8 (line %d) but the mapping declares encoding=%q: declare encoding=\"utf-8\" in the mapping", c.lineNo, c.src.encoding))
	}
	c.out = c.out[:0]
	for _, x := range b {
		r := c.table[x]
		if r == utf8.RuneError {
			return "", false, c.fileErr(c.lineNo, nil,
				fmt.Sprintf("le fichier contient l'octet 0x%02X, qui n'existe pas en %s (ligne %d) : vérifiez l'encodage déclaré dans le mapping", x, c.src.encoding, c.lineNo),
				fmt.Sprintf("the file holds byte 0x%02X, which does not exist in %s (line %d): check the encoding declared in the mapping", x, c.src.encoding, c.lineNo))
		}
		c.out = utf8.AppendRune(c.out, r)
	}
	return string(c.out), true, nil
}

func (c *csvReader) fileErr(line int, err error, fr, en string) *FileError {
	return &FileError{File: c.file, Line: line, FR: fr, EN: en, Err: err}
}

// skip reads n physical lines without parsing them.
func (c *csvReader) skip(n int) error {
	for range n {
		if _, ok, err := c.readLine(); err != nil || !ok {
			return err
		}
	}
	return nil
}

// next reads one record (a new one on each call).
func (c *csvReader) next() (*record, error) {
	s, ok, err := c.readLine()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, io.EOF
	}
	rec := &record{line: c.lineNo, fields: make([]string, 0, c.width)}
	delim, quote := c.src.delim, c.src.quote
	if quote == 0 {
		for {
			k := strings.IndexByte(s, delim)
			if k < 0 {
				rec.fields = append(rec.fields, s)
				break
			}
			rec.fields = append(rec.fields, s[:k])
			s = s[k+1:]
		}
		rec.end = c.lineNo
		c.kindOf(rec)
		return rec, nil
	}
	size := len(s)
	for i := 0; ; {
		if i < len(s) && s[i] == quote {
			var sb strings.Builder
			i++
			for {
				j := strings.IndexByte(s[i:], quote)
				if j < 0 {
					// The quoted field goes on on the next physical line.
					sb.WriteString(s[i:])
					sb.WriteByte('\n')
					next, ok, err := c.readLine()
					if err != nil {
						return nil, err
					}
					size += len(next)
					if !ok || size > maxLine {
						return nil, c.fileErr(rec.line, nil,
							fmt.Sprintf("le guillemet ouvert ligne %d n'est jamais refermé : le fichier est peut-être tronqué, ou une désignation contient un guillemet isolé", rec.line),
							fmt.Sprintf("the quote opened on line %d is never closed: the file may be truncated, or a description holds a lone quote", rec.line))
					}
					s, i = next, 0
					continue
				}
				sb.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i] == quote {
					sb.WriteByte(quote)
					i++
					continue
				}
				break
			}
			// Anything between the closing quote and the delimiter is kept (lenient).
			k := strings.IndexByte(s[i:], delim)
			if k < 0 {
				sb.WriteString(s[i:])
				rec.fields = append(rec.fields, sb.String())
				break
			}
			sb.WriteString(s[i : i+k])
			rec.fields = append(rec.fields, sb.String())
			i += k + 1
			continue
		}
		k := strings.IndexByte(s[i:], delim)
		if k < 0 {
			rec.fields = append(rec.fields, s[i:])
			break
		}
		rec.fields = append(rec.fields, s[i:i+k])
		i += k + 1
	}
	rec.end = c.lineNo
	c.kindOf(rec)
	return rec, nil
}

// kindOf sets the record's kind from its type column (kind 0 without one).
func (c *csvReader) kindOf(rec *record) {
	c.width = len(rec.fields)
	if c.src.typeCol == 0 {
		return
	}
	code := field(rec, c.src.typeCol-1)
	rec.kind = -1
	for _, k := range c.src.kinds {
		if k.code == code {
			rec.kind = k.idx
			return
		}
	}
}
