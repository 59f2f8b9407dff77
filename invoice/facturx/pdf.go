package facturx

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// pdf assembles a PDF file from numbered objects: a classic cross-reference table, as PDF/A
// readers expect of a small document.
type pdf struct {
	objs [][]byte // objs[n-1] is object n
}

// reserve allocates an object number, to be set later.
func (p *pdf) reserve() int {
	p.objs = append(p.objs, nil)
	return len(p.objs)
}

func (p *pdf) set(n int, body []byte) { p.objs[n-1] = body }

// add allocates and sets an object.
func (p *pdf) add(body string) int {
	n := p.reserve()
	p.set(n, []byte(body))
	return n
}

// stream is a stream object: its dictionary entries (without Length), its data, compressed
// with FlateDecode when flate.
func stream(dict string, data []byte, flate bool) []byte {
	if flate {
		var b bytes.Buffer
		z, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
		z.Write(data)
		z.Close()
		data = b.Bytes()
		dict += " /Filter /FlateDecode"
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "<< %s /Length %d >>\nstream\n", strings.TrimSpace(dict), len(data))
	out.Write(data)
	out.WriteString("\nendstream")
	return out.Bytes()
}

func ref(n int) string { return strconv.Itoa(n) + " 0 R" }

// text is a PDF text string: literal when it is ASCII, UTF-16BE with its byte order mark
// otherwise (as the document information dictionary needs for accents).
func text(s string) string {
	ascii := true
	for _, r := range s {
		if r < 32 || r > 126 {
			ascii = false
			break
		}
	}
	if ascii {
		return "(" + strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(s) + ")"
	}
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

// literal is a PDF literal string of raw bytes (page text in WinAnsi).
func literal(b []byte) string {
	var s strings.Builder
	s.WriteByte('(')
	for _, c := range b {
		switch c {
		case '(', ')', '\\':
			s.WriteByte('\\')
			s.WriteByte(c)
		default:
			if c < 32 || c > 126 {
				fmt.Fprintf(&s, "\\%03o", c)
			} else {
				s.WriteByte(c)
			}
		}
	}
	s.WriteByte(')')
	return s.String()
}

// bytes writes the file: header with a binary comment, objects, cross-reference table and a
// trailer with the document's identifier.
func (p *pdf) bytes(root, info int, id string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(p.objs))
	for i, o := range p.objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		b.Write(o)
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(p.objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %s /Info %s /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n",
		len(p.objs)+1, ref(root), ref(info), id, id, xref)
	return b.Bytes()
}

// content builds a page's content stream.
type content struct {
	b bytes.Buffer
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// text draws s with font f (resource name res) at size, its baseline starting at x, y.
func (c *content) text(f *ttFont, res string, size, x, y float64, s string) {
	fmt.Fprintf(&c.b, "BT /%s %s Tf %s %s Td %s Tj ET\n", res, num(size), num(x), num(y), literal(f.encode(s)))
}

// line draws a line of width w in the colour r g b.
func (c *content) line(x1, y1, x2, y2, w float64, gray float64) {
	fmt.Fprintf(&c.b, "%s %s %s RG %s w %s %s m %s %s l S\n", num(gray), num(gray), num(gray), num(w), num(x1), num(y1), num(x2), num(y2))
}

// fill fills a rectangle with a gray (as an RGB colour: the output intent is RGB).
func (c *content) fill(x, y, w, h, gray float64) {
	fmt.Fprintf(&c.b, "%s %s %s rg %s %s %s %s re f 0 0 0 rg\n", num(gray), num(gray), num(gray), num(x), num(y), num(w), num(h))
}
