package facturx

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
)

// maxDecoded bounds what one stream may decode to (an invoice's XML is far smaller), so
// that a crafted PDF cannot exhaust memory.
const maxDecoded = 64 << 20

// decode applies a stream's filters: FlateDecode (with PNG predictors) only.
func (r *pdfReader) decode(st *streamObj) ([]byte, error) {
	data := st.raw
	var filters array
	switch f := r.resolve(st.d["Filter"]).(type) {
	case name:
		filters = array{f}
	case array:
		filters = f
	}
	var parms array
	switch d := r.resolve(st.d["DecodeParms"]).(type) {
	case dict:
		parms = array{d}
	case array:
		parms = d
	}
	for i, f := range filters {
		switch r.resolve(f) {
		case name("FlateDecode"), name("Fl"):
			z, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("FlateDecode: %v", err)
			}
			out, err := io.ReadAll(io.LimitReader(z, maxDecoded+1))
			if len(out) > maxDecoded {
				return nil, fmt.Errorf("a stream decodes to more than %d bytes", maxDecoded)
			}
			if err != nil && len(out) == 0 {
				return nil, fmt.Errorf("FlateDecode: %v", err)
			}
			data = out
			if i < len(parms) {
				if p, ok := r.resolve(parms[i]).(dict); ok {
					if data, err = unpredict(data, p); err != nil {
						return nil, err
					}
				}
			}
		default:
			return nil, fmt.Errorf("unsupported filter %v", f)
		}
	}
	return data, nil
}

// unpredict undoes a PNG predictor (Predictor 10–15).
func unpredict(data []byte, p dict) ([]byte, error) {
	pred, _ := p["Predictor"].(float64)
	if pred < 10 {
		return data, nil
	}
	cols := 1.0
	if c, ok := p["Columns"].(float64); ok {
		cols = c
	}
	colors, bpc := 1.0, 8.0
	if c, ok := p["Colors"].(float64); ok {
		colors = c
	}
	if b, ok := p["BitsPerComponent"].(float64); ok {
		bpc = b
	}
	bpp := max(1, int(colors*bpc)/8)
	rowLen := int(cols*colors*bpc+7) / 8
	var out []byte
	prev := make([]byte, rowLen)
	for pos := 0; pos+rowLen+1 <= len(data); pos += rowLen + 1 {
		typ, row := data[pos], append([]byte(nil), data[pos+1:pos+1+rowLen]...)
		for i := range row {
			var left, up, ul byte
			if i >= bpp {
				left, ul = row[i-bpp], prev[i-bpp]
			}
			up = prev[i]
			switch typ {
			case 1:
				row[i] += left
			case 2:
				row[i] += up
			case 3:
				row[i] += byte((int(left) + int(up)) / 2)
			case 4:
				row[i] += paeth(left, up, ul)
			}
		}
		out = append(out, row...)
		prev = row
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
