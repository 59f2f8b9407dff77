package mapping

import (
	"io"
	"unicode/utf8"
)

// fixedReader reads a fixed-width export: one record per line, its kind told by the type
// code at type-start, its fields by position and length (in characters, after decoding).
// A line shorter than a field leaves that field empty or cut.
type fixedReader struct {
	lr  *csvReader // for its line reading: encodings, line ends, line numbers
	src *source
}

func newFixedReader(r io.Reader, file string, src *source) *fixedReader {
	return &fixedReader{lr: newCSVReader(r, file, src), src: src}
}

// cut returns the characters [start, start+n) of s, 1-based; ascii says s has one byte
// per character.
func cut(s string, start, n int, ascii bool) string {
	if ascii {
		i := start - 1
		if i >= len(s) {
			return ""
		}
		return s[i:min(i+n, len(s))]
	}
	i, c := 0, 1
	for c < start && i < len(s) {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
		c++
	}
	j := i
	for k := 0; k < n && j < len(s); k++ {
		_, w := utf8.DecodeRuneInString(s[j:])
		j += w
	}
	return s[i:j]
}

func (f *fixedReader) next() (*record, error) {
	for {
		s, ok, err := f.lr.readLine()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, io.EOF
		}
		if len(s) == 0 {
			continue
		}
		ascii := true
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				ascii = false
				break
			}
		}
		rec := &record{line: f.lr.lineNo, end: f.lr.lineNo}
		if f.src.typeStart > 0 {
			code := cut(s, f.src.typeStart, f.src.typeLen, ascii)
			rec.kind = -1
			for _, k := range f.src.kinds {
				if k.code == code {
					rec.kind = k.idx
					break
				}
			}
			if rec.kind < 0 {
				rec.fields = []string{code}
				return rec, nil
			}
		}
		k := f.src.kinds[rec.kind]
		rec.fields = make([]string, len(k.fields))
		for i, fd := range k.fields {
			rec.fields[i] = cut(s, fd.start, fd.length, ascii)
		}
		return rec, nil
	}
}
