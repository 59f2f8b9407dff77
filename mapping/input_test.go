package mapping

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"
)

// Inputs as DOS and Windows software write them: a Ctrl-Z after the data, control
// characters inside values, UTF-16 and UTF-32 files (issue 10, point 12).

const smallExport = "No;Date;Client;Article;Qte;Prix\r\n" +
	"F1;01/11/2026;Crémerie;Vis;1;2\r\n" +
	"F1;01/11/2026;Crémerie;Écrou;3;4,5\r\n" +
	"F2;02/11/2026;Dupont;Clou;2;1\r\n"

func TestTrailingCtrlZEndsTheFile(t *testing.T) {
	m := mustParse(t, small)
	for name, tail := range map[string]string{
		"after the last line end": "\x1a",
		"on the last line":        "", // the last line ends with ^Z instead of CRLF, below
		"then a line end":         "\x1a\r\n",
		"padding of Ctrl-Z":       "\x1a\x1a\x1a\x1a",
		"padding of NUL":          "\x1a\x00\x00\x00",
	} {
		t.Run(name, func(t *testing.T) {
			data := smallExport + tail
			if tail == "" {
				data = strings.TrimSuffix(smallExport, "\r\n") + "\x1a"
			}
			for _, rd := range []func([]byte) io.Reader{
				func(b []byte) io.Reader { return bytes.NewReader(b) },
				func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
			} {
				var res []*Result
				err := m.Map(t.Context(), rd([]byte(data)), "dos.csv", func(r *Result) error { res = append(res, r); return nil })
				if err != nil {
					t.Fatal(err)
				}
				if len(res) != 2 || res[1].Key != "F2" {
					t.Fatalf("%d invoices (want F1 and F2, no phantom invoice)", len(res))
				}
				for _, r := range res {
					if len(r.Problems) > 0 {
						t.Fatalf("%s: %v", r.Key, r.Problems)
					}
				}
				dec(t, res[1].Invoice.Lines[0].Price.Net, "1")
			}
		})
	}
}

func TestTrailingCtrlZFixedWidth(t *testing.T) {
	data, err := os.ReadFile(fixedExport)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(fixedMapping)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = m.Map(t.Context(), bytes.NewReader(append(data, 0x1a)), "dos.txt", func(r *Result) error {
		n++
		if len(r.Problems) > 0 {
			t.Errorf("%s: %v", r.Key, r.Problems)
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("%d invoices, %v (want the 3 of the export)", n, err)
	}
}

func TestCtrlZBeforeDataIsAControlCharacter(t *testing.T) {
	m := mustParse(t, small)
	data := "No;Date;Client;Article;Qte;Prix\nF1;01/11/2026;Du\x1apont;Vis;1;2\n"
	res, err := mapAll(t, m, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || len(res[0].Problems) != 1 || res[0].Problems[0].Rule != RuleControl {
		t.Fatalf("problems %v", res[0].Problems)
	}
}

func TestControlCharacterInAValue(t *testing.T) {
	m := mustParse(t, small)
	// Tab and line ends inside a value are data; a NUL in a line's row rejects the invoice.
	data := "No;Date;Client;Article;Qte;Prix\n" +
		"F1;01/11/2026;Crémerie;Vis\tinox;1;2\n" +
		"F2;01/11/2026;Crémerie;Vis;1;2\n" +
		"F2;01/11/2026;Crémerie;Vis\x00;1;2\n" +
		"F3;01/11/2026;Martin;\"Vis\r\nsur deux lignes\";1;2\n"
	res, err := mapAll(t, m, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("%d invoices", len(res))
	}
	if len(res[0].Problems) != 0 || len(res[2].Problems) != 0 {
		t.Errorf("tab and line ends inside a value are data: %v %v", res[0].Problems, res[2].Problems)
	}
	if got := res[2].Invoice.Lines[0].Item.Name; got != "Vis\nsur deux lignes" {
		t.Errorf("item %q", got)
	}
	if ps := res[1].Problems; len(ps) != 1 || ps[0].Rule != RuleControl || ps[0].Position.Line != 4 || ps[0].BT != "BT-153" {
		t.Fatalf("problems %v", ps)
	}

	// The NUL in the row that gives the invoice's header terms.
	data = "No;Date;Client;Article;Qte;Prix\n" +
		"F1;01/11/2026;Crémerie;Vis;1;2\n" +
		"F2;01/11/2026;Du\x00pont;Vis;1;2\n"
	res, err = mapAll(t, m, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	ps := res[1].Problems
	if len(ps) != 1 {
		t.Fatalf("problems %v", ps)
	}
	p := ps[0]
	if p.Rule != RuleControl || p.BT != "BT-44" || p.Position.Line != 3 || p.Position.Column != "Client" || p.Position.MappingLine != 7 {
		t.Errorf("problem %+v", p)
	}
	for _, want := range []string{"line 3, column Client", "U+0000 (NUL)", "cannot appear in an invoice", "character 3", "Du␀pont"} {
		if !strings.Contains(p.EN, want) {
			t.Errorf("EN %q lacks %q", p.EN, want)
		}
	}
	for _, want := range []string{"ligne 3, colonne Client", "U+0000 (NUL)", "ne peut pas figurer dans une facture"} {
		if !strings.Contains(p.FR, want) {
			t.Errorf("FR %q lacks %q", p.FR, want)
		}
	}
	if res[1].Invoice.Buyer.Name != "" {
		t.Errorf("the buyer name was kept: %q", res[1].Invoice.Buyer.Name)
	}
}

func TestControlCharacterHintsWindows1252(t *testing.T) {
	m := mustParse(t, strings.Replace(small, `encoding="utf-8"`, `encoding="iso-8859-1"`, 1))
	// 0x92 is ’ in Windows-1252, a C1 control in ISO-8859-1.
	res, err := mapAll(t, m, []byte("No;Date;Client;Article;Qte;Prix\nF1;01/11/2026;L\x92Atelier;Vis;1;2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].Problems) != 1 || !strings.Contains(res[0].Problems[0].EN, `declare encoding="windows-1252"`) {
		t.Fatalf("problems %v", res[0].Problems)
	}
}

func utf16Bytes(s string, be, bom bool) []byte {
	var out []byte
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	for _, u := range units {
		if be {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func utf32Bytes(s string, be bool) []byte {
	var out []byte
	for _, r := range "\ufeff" + s {
		if be {
			out = append(out, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
		} else {
			out = append(out, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
		}
	}
	return out
}

func TestUTF16AndUTF32WhenDeclared(t *testing.T) {
	text := smallExport + "F3;03/11/2026;Maison 𝄞;Vis;1;2\r\n" // a character beyond the BMP
	cases := []struct {
		enc  string
		data []byte
	}{
		{"utf-16", utf16Bytes(text, false, true)},
		{"utf-16", utf16Bytes(text, true, true)},
		{"utf-16", utf16Bytes(text, false, false)}, // no mark: little-endian, as Windows writes
		{"utf-16le", utf16Bytes(text, false, true)},
		{"utf-16be", utf16Bytes(text, true, false)},
		{"utf-32", utf32Bytes(text, false)},
		{"utf-32", utf32Bytes(text, true)},
		{"UTF-32LE", utf32Bytes(text, false)},
	}
	for _, c := range cases {
		m := mustParse(t, strings.Replace(small, `encoding="utf-8"`, `encoding="`+c.enc+`"`, 1))
		for _, one := range []bool{false, true} {
			var in io.Reader = bytes.NewReader(c.data)
			if one {
				in = iotest.OneByteReader(in)
			}
			var res []*Result
			if err := m.Map(t.Context(), in, "u.csv", func(r *Result) error { res = append(res, r); return nil }); err != nil {
				t.Fatalf("%s: %v", c.enc, err)
			}
			if len(res) != 3 || res[0].Invoice.Buyer.Name != "Crémerie" || res[2].Invoice.Buyer.Name != "Maison 𝄞" || res[0].Lines != [2]int{2, 3} {
				t.Fatalf("%s: %d invoices, %q", c.enc, len(res), res[0].Invoice.Buyer.Name)
			}
			dec(t, res[0].Invoice.Lines[1].Price.Net, "4.5")
		}
	}
}

func TestUTF16NotDeclaredIsRefused(t *testing.T) {
	cases := []struct {
		enc, want string
		data      []byte
	}{
		{"windows-1252", "the file is UTF-16 little-endian (byte-order mark FF FE) but the mapping expects windows-1252: declare encoding=\"utf-16\"", utf16Bytes(smallExport, false, true)},
		{"utf-8", "the file is UTF-16 big-endian (byte-order mark FE FF) but the mapping expects utf-8", utf16Bytes(smallExport, true, true)},
		{"cp850", "the file is UTF-32 little-endian (byte-order mark FF FE 00 00) but the mapping expects cp850: declare encoding=\"utf-32\"", utf32Bytes(smallExport, false)},
		{"utf-16be", "the file is UTF-16 little-endian (byte-order mark FF FE) but the mapping declares encoding=\"utf-16be\"", utf16Bytes(smallExport, false, true)},
		{"utf-16", "the file is UTF-8 (byte-order mark EF BB BF) but the mapping declares encoding=\"utf-16\": declare encoding=\"utf-8\"", []byte("\xef\xbb\xbf" + smallExport)},
		{"utf-16", "no byte-order mark and does not look like UTF-16", []byte(smallExport)},
	}
	for _, c := range cases {
		m := mustParse(t, strings.Replace(small, `encoding="utf-8"`, `encoding="`+c.enc+`"`, 1))
		_, err := mapAll(t, m, c.data)
		var fe *FileError
		if !errors.As(err, &fe) || fe.Line != 1 || !strings.Contains(fe.EN, c.want) {
			t.Errorf("%s: got %v\nwant %q", c.enc, err, c.want)
			continue
		}
		if !strings.Contains(fe.FR, "le fichier") {
			t.Errorf("FR %q", fe.FR)
		}
	}
}

func TestInvalidUTF16IsAFileError(t *testing.T) {
	m := mustParse(t, strings.Replace(small, `encoding="utf-8"`, `encoding="utf-16"`, 1))
	data := utf16Bytes("No;Date;Client;Article;Qte;Prix\r\nF1;01/11/2026;X", false, true)
	data = append(data, 0x00, 0xD8, ';', 0) // a lone high surrogate
	_, err := mapAll(t, m, data)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 2 || !strings.Contains(fe.EN, "not followed by its pair") {
		t.Fatalf("got %v", err)
	}
	_, err = mapAll(t, m, utf16Bytes(smallExport, false, true)[:9]) // a unit cut in two
	if !errors.As(err, &fe) || !strings.Contains(fe.EN, "middle of a character") {
		t.Fatalf("got %v", err)
	}
}

func TestXMLInUTF16IsRead(t *testing.T) {
	data, err := os.ReadFile(xmlExport)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), `encoding="UTF-8"`, `encoding="UTF-16"`, 1)
	m, err := Load(xmlMapping)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := m.Map(t.Context(), bytes.NewReader(utf16Bytes(text, false, true)), "erp.xml", func(r *Result) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("%d invoices", n)
	}
}

func TestUnknownEncodingNamesUTF16(t *testing.T) {
	_, err := Parse("m.xml", []byte(strings.Replace(small, `encoding="utf-8"`, `encoding="ucs-2"`, 1)))
	if err == nil || !strings.Contains(err.Error(), "utf-16 or utf-32") {
		t.Fatalf("got %v", err)
	}
}

func TestCtrlZReader(t *testing.T) {
	for in, want := range map[string]string{
		"abc\x1a":                 "abc",
		"abc\r\n\x1a\r\n\x1a":     "abc\r\n",
		"abc\x1adef\x1a\r\n":      "abc\x1adef",
		"\x1a\x1aabc":             "\x1a\x1aabc",
		"a\x1a \x1a b\x1a\x00":    "a\x1a \x1a b",
		"no mark\r\n":             "no mark\r\n",
		"\x1a":                    "",
		"x\x1a\x1a\x1ay\x1az\x1a": "x\x1a\x1a\x1ay\x1az",
	} {
		for _, one := range []bool{false, true} {
			var r io.Reader = strings.NewReader(in)
			if one {
				r = iotest.OneByteReader(r)
			}
			got, err := io.ReadAll(&ctrlZReader{r: r})
			if err != nil || string(got) != want {
				t.Errorf("%q (one byte at a time: %v): got %q, %v; want %q", in, one, got, err, want)
			}
		}
	}
}
