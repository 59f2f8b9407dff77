package facturx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/encoding/charmap"
)

// ttFont is an embedded TrueType font used as a simple font with WinAnsiEncoding, as
// PDF/A allows: the program (subset to the glyphs the page uses), the width of every code
// 32…255 in thousandths of an em, and the descriptor's metrics.
type ttFont struct {
	name     string // PostScript-like name, with the subset tag
	data     []byte // the TrueType program
	f        *sfnt.Font
	upem     int
	glyph    [256]sfnt.GlyphIndex // glyph of each WinAnsi code (0: none)
	widths   [256]int             // advance of each WinAnsi code, 1/1000 em
	bbox     [4]int
	ascent   int
	descent  int
	capH     int
	used     map[sfnt.GlyphIndex]bool
	bold     bool
	fontName string
}

func loadFont(name string, data []byte, bold bool) (*ttFont, error) {
	f, err := sfnt.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("facturx: font %s: %w", name, err)
	}
	t := &ttFont{fontName: name, data: data, f: f, upem: int(f.UnitsPerEm()), used: map[sfnt.GlyphIndex]bool{0: true}, bold: bold}
	var buf sfnt.Buffer
	ppem := fixed.I(t.upem)
	dec := charmap.Windows1252
	for c := 32; c < 256; c++ {
		r := dec.DecodeByte(byte(c))
		gi, err := f.GlyphIndex(&buf, r)
		if err != nil || gi == 0 {
			continue
		}
		adv, err := f.GlyphAdvance(&buf, gi, ppem, font.HintingNone)
		if err != nil {
			continue
		}
		t.glyph[c] = gi
		t.widths[c] = int(adv) * 1000 / 64 / t.upem
	}
	b, err := f.Bounds(&buf, ppem, font.HintingNone)
	if err != nil {
		return nil, err
	}
	scale := func(v fixed.Int26_6) int { return int(v) * 1000 / 64 / t.upem }
	// sfnt's y axis points down.
	t.bbox = [4]int{scale(b.Min.X), -scale(b.Max.Y), scale(b.Max.X), -scale(b.Min.Y)}
	m, err := f.Metrics(&buf, ppem, font.HintingNone)
	if err != nil {
		return nil, err
	}
	t.ascent, t.descent, t.capH = scale(m.Ascent), -scale(m.Descent), scale(m.CapHeight)
	if t.capH == 0 {
		t.capH = t.ascent
	}
	return t, nil
}

// fonts returns the regular and bold fonts (the Go fonts, BSD licence), parsed once per
// document so that each document records the glyphs it uses.
func fonts() (regular, bold *ttFont, err error) {
	if regular, err = loadFont("GoRegular", goregular.TTF, false); err != nil {
		return nil, nil, err
	}
	if bold, err = loadFont("GoBold", gobold.TTF, true); err != nil {
		return nil, nil, err
	}
	return regular, bold, nil
}

// encode turns s into WinAnsi bytes (a character the encoding or the font lacks becomes "?")
// and records the glyphs used.
func (t *ttFont) encode(s string) []byte {
	enc := charmap.Windows1252
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch r {
		case '\u00a0', '\u202f', '\t', '\n', '\r':
			r = ' '
		case '’':
			r = '\''
		}
		b, ok := enc.EncodeRune(r)
		if !ok || b < 32 || t.glyph[b] == 0 {
			b = '?'
		}
		t.used[t.glyph[b]] = true
		out = append(out, b)
	}
	return out
}

// width is the width of s at size points.
func (t *ttFont) width(s string, size float64) float64 {
	w := 0
	for _, b := range t.encode(s) {
		w += t.widths[b]
	}
	return float64(w) * size / 1000
}

// subset returns the font program with the outlines of unused glyphs removed (their glyf
// entries emptied, so glyph ids, cmap and metrics stay as they are), and the tables a PDF
// font program needs.
func (t *ttFont) subset() ([]byte, error) {
	tables, err := readTables(t.data)
	if err != nil {
		return nil, err
	}
	head, loca, glyf := tables["head"], tables["loca"], tables["glyf"]
	if head == nil || loca == nil || glyf == nil {
		return nil, fmt.Errorf("facturx: font %s has no glyf outlines", t.fontName)
	}
	long := binary.BigEndian.Uint16(head[50:]) == 1
	n := int(binary.BigEndian.Uint16(tables["maxp"][4:]))
	offset := func(i int) int {
		if long {
			return int(binary.BigEndian.Uint32(loca[4*i:]))
		}
		return int(binary.BigEndian.Uint16(loca[2*i:])) * 2
	}
	// Components of composite glyphs are used too.
	todo := make([]sfnt.GlyphIndex, 0, len(t.used))
	for g := range t.used {
		todo = append(todo, g)
	}
	keep := map[int]bool{}
	for len(todo) > 0 {
		g := int(todo[len(todo)-1])
		todo = todo[:len(todo)-1]
		if g >= n || keep[g] {
			continue
		}
		keep[g] = true
		start, end := offset(g), offset(g+1)
		if end-start < 10 || int16(binary.BigEndian.Uint16(glyf[start:])) >= 0 {
			continue
		}
		p := start + 10
		for p+4 <= end {
			flags := binary.BigEndian.Uint16(glyf[p:])
			todo = append(todo, sfnt.GlyphIndex(binary.BigEndian.Uint16(glyf[p+2:])))
			p += 4
			if flags&0x0001 != 0 {
				p += 4
			} else {
				p += 2
			}
			switch {
			case flags&0x0008 != 0:
				p += 2
			case flags&0x0040 != 0:
				p += 4
			case flags&0x0080 != 0:
				p += 8
			}
			if flags&0x0020 == 0 {
				break
			}
		}
	}
	var newGlyf bytes.Buffer
	newLoca := make([]byte, 4*(n+1))
	for g := 0; g < n; g++ {
		binary.BigEndian.PutUint32(newLoca[4*g:], uint32(newGlyf.Len()))
		if keep[g] {
			newGlyf.Write(glyf[offset(g):offset(g+1)])
			for newGlyf.Len()%4 != 0 {
				newGlyf.WriteByte(0)
			}
		}
	}
	binary.BigEndian.PutUint32(newLoca[4*n:], uint32(newGlyf.Len()))
	newHead := slices.Clone(head)
	binary.BigEndian.PutUint16(newHead[50:], 1) // long loca offsets
	binary.BigEndian.PutUint32(newHead[8:], 0)  // checkSumAdjustment, set below
	out := map[string][]byte{"head": newHead, "loca": newLoca, "glyf": newGlyf.Bytes()}
	for _, tag := range []string{"cmap", "hhea", "hmtx", "maxp", "name", "OS/2", "post", "cvt ", "fpgm", "prep"} {
		if b := tables[tag]; b != nil {
			out[tag] = b
		}
	}
	return writeTables(out), nil
}

func readTables(data []byte) (map[string][]byte, error) {
	if len(data) < 12 {
		return nil, fmt.Errorf("facturx: font too short")
	}
	num := int(binary.BigEndian.Uint16(data[4:]))
	tables := map[string][]byte{}
	for i := 0; i < num; i++ {
		rec := data[12+16*i:]
		tag := string(rec[:4])
		off, length := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if int(off)+int(length) > len(data) {
			return nil, fmt.Errorf("facturx: font table %s out of range", tag)
		}
		tables[tag] = data[off : off+length]
	}
	return tables, nil
}

// writeTables assembles a TrueType file from its tables, with their checksums and the head
// table's checkSumAdjustment.
func writeTables(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	var out bytes.Buffer
	es := 0
	for 1<<(es+1) <= n {
		es++
	}
	sr := (1 << es) * 16
	hdr := make([]byte, 12)
	binary.BigEndian.PutUint32(hdr, 0x00010000)
	binary.BigEndian.PutUint16(hdr[4:], uint16(n))
	binary.BigEndian.PutUint16(hdr[6:], uint16(sr))
	binary.BigEndian.PutUint16(hdr[8:], uint16(es))
	binary.BigEndian.PutUint16(hdr[10:], uint16(n*16-sr))
	out.Write(hdr)
	dir := make([]byte, 16*n)
	out.Write(dir)
	headAt := 0
	for i, tag := range tags {
		b := tables[tag]
		off := out.Len()
		if tag == "head" {
			headAt = off
		}
		out.Write(b)
		for out.Len()%4 != 0 {
			out.WriteByte(0)
		}
		rec := dir[16*i:]
		copy(rec, tag)
		binary.BigEndian.PutUint32(rec[4:], checksum(b))
		binary.BigEndian.PutUint32(rec[8:], uint32(off))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(b)))
	}
	data := out.Bytes()
	copy(data[12:], dir)
	if headAt > 0 {
		binary.BigEndian.PutUint32(data[headAt+8:], 0xB1B0AFBA-checksum(data))
	}
	return data
}

func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:min(i+4, len(b))])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
