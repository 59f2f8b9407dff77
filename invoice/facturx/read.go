package facturx

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Errors Extract wraps, so that a caller can say in one sentence what is wrong.
var (
	ErrNotPDF        = errors.New("not a PDF file")
	ErrBrokenPDF     = errors.New("the PDF cannot be read")
	ErrNoAttachment  = errors.New("the PDF has no factur-x.xml attachment: it is not a Factur-X invoice")
	ErrBadAttachment = errors.New("the factur-x.xml attachment of the PDF cannot be read")
)

// attachmentNames are the names under which hybrid PDFs carry their XML: Factur-X, and the
// German ZUGFeRD and XRechnung variants of the same format.
var attachmentNames = []string{AttachmentName, "zugferd-invoice.xml", "xrechnung.xml"}

// IsPDF reports whether data starts like a PDF file.
func IsPDF(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data[:min(len(data), 1024)], "\x00\t\r\n "), []byte("%PDF-"))
}

// Extract returns the XML a Factur-X PDF carries (its attached factur-x.xml) and the name it
// has there. It reads classic and compressed cross-reference sections and object streams,
// and falls back to scanning the objects when the cross-reference is damaged. The error
// wraps ErrNotPDF, ErrBrokenPDF, ErrNoAttachment or ErrBadAttachment.
func Extract(data []byte) ([]byte, string, error) {
	if !IsPDF(data) {
		return nil, "", ErrNotPDF
	}
	r, err := openPDF(data)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrBrokenPDF, err)
	}
	root, ok := r.resolve(r.trailer["Root"]).(dict)
	if !ok {
		return nil, "", fmt.Errorf("%w: no document catalogue", ErrBrokenPDF)
	}
	specs := map[string]dict{}
	var walk func(node any, depth int)
	walk = func(node any, depth int) {
		n, ok := r.resolve(node).(dict)
		if !ok || depth > 32 {
			return
		}
		if names, ok := r.resolve(n["Names"]).(array); ok {
			for i := 0; i+1 < len(names); i += 2 {
				name, _ := r.resolve(names[i]).(pdfString)
				if spec, ok := r.resolve(names[i+1]).(dict); ok {
					specs[strings.ToLower(decodeText(name))] = spec
				}
			}
		}
		if kids, ok := r.resolve(n["Kids"]).(array); ok {
			for _, k := range kids {
				walk(k, depth+1)
			}
		}
	}
	if names, ok := r.resolve(root["Names"]).(dict); ok {
		walk(names["EmbeddedFiles"], 0)
	}
	if af, ok := r.resolve(root["AF"]).(array); ok {
		for _, s := range af {
			if spec, ok := r.resolve(s).(dict); ok {
				for _, k := range []string{"UF", "F"} {
					if n, ok := r.resolve(spec[k]).(pdfString); ok {
						specs[strings.ToLower(decodeText(n))] = spec
					}
				}
			}
		}
	}
	for _, want := range attachmentNames {
		spec, ok := specs[want]
		if !ok {
			continue
		}
		ef, _ := r.resolve(spec["EF"]).(dict)
		var st *streamObj
		for _, k := range []string{"F", "UF"} {
			if s, ok := r.resolve(ef[k]).(*streamObj); ok {
				st = s
				break
			}
		}
		if st == nil {
			return nil, want, fmt.Errorf("%w: it has no embedded file stream", ErrBadAttachment)
		}
		out, err := r.decode(st)
		if err != nil {
			return nil, want, fmt.Errorf("%w: %v", ErrBadAttachment, err)
		}
		return out, want, nil
	}
	if r.recovered {
		return nil, "", fmt.Errorf("%w: its cross-reference is damaged and no factur-x.xml attachment could be found", ErrBrokenPDF)
	}
	return nil, "", ErrNoAttachment
}

// The objects of a PDF file.
type (
	dict      map[string]any
	array     []any
	name      string
	pdfString []byte
	objRef    struct{ num, gen int }
	streamObj struct {
		d   dict
		raw []byte
	}
	keyword string
)

// decodeText reads a PDF text string: UTF-16BE with its byte order mark, or PDFDocEncoding
// (read as Latin-1).
func decodeText(s pdfString) string {
	if len(s) >= 2 && s[0] == 0xFE && s[1] == 0xFF {
		var rs []rune
		for i := 2; i+1 < len(s); i += 2 {
			rs = append(rs, rune(s[i])<<8|rune(s[i+1]))
		}
		return string(rs)
	}
	rs := make([]rune, len(s))
	for i, c := range s {
		rs[i] = rune(c)
	}
	return string(rs)
}

type xrefEntry struct {
	offset    int // type 1: byte offset
	stream    int // type 2: object stream number
	index     int // type 2: index in the stream
	inStream  bool
	available bool
}

type pdfReader struct {
	recovered bool // the cross-reference was damaged: the objects were found by scanning
	data      []byte
	xref      map[int]xrefEntry
	trailer   dict
	cache     map[int]any
	depth     int
}

var startxrefRe = regexp.MustCompile(`startxref\s+(\d+)`)

func openPDF(data []byte) (*pdfReader, error) {
	r := &pdfReader{data: data, xref: map[int]xrefEntry{}, cache: map[int]any{}}
	tail := data[max(0, len(data)-2048):]
	m := startxrefRe.FindAllSubmatch(tail, -1)
	err := errors.New("no startxref")
	if len(m) > 0 {
		off, _ := strconv.Atoi(string(m[len(m)-1][1]))
		err = r.readXref(off, 0)
	}
	if err != nil || r.trailer["Root"] == nil {
		// A damaged cross-reference: find the objects by scanning, as readers do.
		r.recovered = true
		if serr := r.scan(); serr != nil {
			if err == nil {
				err = serr
			}
			return nil, err
		}
	}
	return r, nil
}

// readXref reads the cross-reference section at off (a table or a stream) and those before
// it (/Prev), keeping the newest entry of each object.
func (r *pdfReader) readXref(off, depth int) error {
	if off <= 0 || off >= len(r.data) || depth > 64 {
		return errors.New("bad cross-reference offset")
	}
	p := &parser{data: r.data, pos: off}
	p.skipSpace()
	var trailer dict
	if bytes.HasPrefix(r.data[p.pos:], []byte("xref")) {
		p.pos += 4
		for {
			p.skipSpace()
			if bytes.HasPrefix(r.data[p.pos:], []byte("trailer")) {
				p.pos += 7
				break
			}
			start, err1 := p.int()
			count, err2 := p.int()
			if err1 != nil || err2 != nil {
				return errors.New("bad cross-reference table")
			}
			for i := 0; i < count; i++ {
				p.skipSpace()
				if p.pos+18 > len(r.data) {
					return errors.New("truncated cross-reference table")
				}
				f := strings.Fields(string(r.data[p.pos : p.pos+18]))
				p.pos += 18
				if len(f) != 3 {
					return errors.New("bad cross-reference entry")
				}
				o, _ := strconv.Atoi(f[0])
				if _, seen := r.xref[start+i]; !seen && f[2] == "n" {
					r.xref[start+i] = xrefEntry{offset: o, available: true}
				}
			}
		}
		t, err := p.object()
		if err != nil {
			return err
		}
		d, ok := t.(dict)
		if !ok {
			return errors.New("bad trailer")
		}
		trailer = d
		if x, ok := d["XRefStm"].(float64); ok {
			_ = r.readXref(int(x), depth+1)
		}
	} else {
		o, err := p.indirect()
		if err != nil {
			return err
		}
		st, ok := o.(*streamObj)
		if !ok || st.d["Type"] != name("XRef") {
			return errors.New("no cross-reference at startxref")
		}
		if err := r.readXrefStream(st); err != nil {
			return err
		}
		trailer = st.d
	}
	if r.trailer == nil {
		r.trailer = trailer
	}
	if prev, ok := trailer["Prev"].(float64); ok {
		return r.readXref(int(prev), depth+1)
	}
	return nil
}

func (r *pdfReader) readXrefStream(st *streamObj) error {
	data, err := r.decode(st)
	if err != nil {
		return err
	}
	w, _ := st.d["W"].(array)
	if len(w) != 3 {
		return errors.New("bad cross-reference stream")
	}
	ws := make([]int, 3)
	for i := range ws {
		f, _ := w[i].(float64)
		ws[i] = int(f)
	}
	size, _ := st.d["Size"].(float64)
	index := array{0.0, size}
	if ix, ok := st.d["Index"].(array); ok {
		index = ix
	}
	field := func(b []byte) int {
		v := 0
		for _, c := range b {
			v = v<<8 | int(c)
		}
		return v
	}
	rowLen := ws[0] + ws[1] + ws[2]
	if rowLen <= 0 || ws[0] < 0 || ws[1] < 0 || ws[2] < 0 || ws[0] > 8 || ws[1] > 8 || ws[2] > 8 {
		return errors.New("bad cross-reference stream widths")
	}
	pos := 0
	for i := 0; i+1 < len(index); i += 2 {
		start, _ := index[i].(float64)
		count, _ := index[i+1].(float64)
		for j := 0; j < int(count); j++ {
			if pos+rowLen > len(data) {
				return errors.New("truncated cross-reference stream")
			}
			row := data[pos : pos+rowLen]
			pos += rowLen
			typ := 1
			if ws[0] > 0 {
				typ = field(row[:ws[0]])
			}
			a, b := field(row[ws[0]:ws[0]+ws[1]]), field(row[ws[0]+ws[1]:])
			n := int(start) + j
			if _, seen := r.xref[n]; seen {
				continue
			}
			switch typ {
			case 1:
				r.xref[n] = xrefEntry{offset: a, available: true}
			case 2:
				r.xref[n] = xrefEntry{stream: a, index: b, inStream: true, available: true}
			}
		}
	}
	return nil
}

var objRe = regexp.MustCompile(`(?m)(\d+)\s+(\d+)\s+obj\b`)

// scan rebuilds the cross-reference from the objects found in the file.
func (r *pdfReader) scan() error {
	r.xref = map[int]xrefEntry{}
	r.cache = map[int]any{}
	for _, m := range objRe.FindAllSubmatchIndex(r.data, -1) {
		n, _ := strconv.Atoi(string(r.data[m[2]:m[3]]))
		r.xref[n] = xrefEntry{offset: m[0], available: true}
	}
	if len(r.xref) == 0 {
		return errors.New("no objects")
	}
	// The objects compressed in object streams.
	direct := make([]int, 0, len(r.xref))
	for n := range r.xref {
		direct = append(direct, n)
	}
	for _, n := range direct {
		st, ok := r.resolve(objRef{n, 0}).(*streamObj)
		if !ok || st.d["Type"] != name("ObjStm") {
			continue
		}
		data, err := r.decode(st)
		if err != nil {
			continue
		}
		count, _ := st.d["N"].(float64)
		p := &parser{data: data}
		for i := 0; i < int(count); i++ {
			num, err := p.int()
			if err != nil {
				break
			}
			if _, err := p.int(); err != nil {
				break
			}
			if _, seen := r.xref[num]; !seen {
				r.xref[num] = xrefEntry{stream: n, index: i, inStream: true, available: true}
			}
		}
	}
	r.trailer = dict{}
	if i := bytes.LastIndex(r.data, []byte("trailer")); i >= 0 {
		p := &parser{data: r.data, pos: i + 7}
		if t, err := p.object(); err == nil {
			if d, ok := t.(dict); ok && d["Root"] != nil {
				r.trailer = d
			}
		}
	}
	if r.trailer["Root"] == nil {
		for n := range r.xref {
			if d, ok := r.resolve(objRef{n, 0}).(dict); ok && d["Type"] == name("Catalog") {
				r.trailer["Root"] = objRef{n, 0}
				break
			}
			if st, ok := r.resolve(objRef{n, 0}).(*streamObj); ok && st.d["Type"] == name("XRef") && st.d["Root"] != nil {
				r.trailer["Root"] = st.d["Root"]
				break
			}
		}
	}
	if r.trailer["Root"] == nil {
		return errors.New("no document catalogue")
	}
	return nil
}

// resolve follows indirect references (nil when the object cannot be found or read).
func (r *pdfReader) resolve(v any) any {
	ref, ok := v.(objRef)
	if !ok {
		return v
	}
	if o, ok := r.cache[ref.num]; ok {
		return o
	}
	if r.depth > 32 {
		return nil
	}
	r.depth++
	defer func() { r.depth-- }()
	e, ok := r.xref[ref.num]
	if !ok || !e.available {
		return nil
	}
	var out any
	if e.inStream {
		out = r.fromObjectStream(e.stream, e.index)
	} else if e.offset < len(r.data) {
		p := &parser{data: r.data, pos: e.offset, r: r}
		if o, err := p.indirect(); err == nil {
			out = o
		}
	}
	r.cache[ref.num] = out
	return out
}

func (r *pdfReader) fromObjectStream(num, index int) any {
	st, ok := r.resolve(objRef{num, 0}).(*streamObj)
	if !ok {
		return nil
	}
	data, err := r.decode(st)
	if err != nil {
		return nil
	}
	n, _ := st.d["N"].(float64)
	first, _ := st.d["First"].(float64)
	p := &parser{data: data}
	offsets := make([]int, 0, int(n))
	for i := 0; i < int(n); i++ {
		if _, err := p.int(); err != nil {
			return nil
		}
		off, err := p.int()
		if err != nil {
			return nil
		}
		offsets = append(offsets, off)
	}
	if index >= len(offsets) {
		return nil
	}
	q := &parser{data: data, pos: int(first) + offsets[index], r: r}
	o, err := q.object()
	if err != nil {
		return nil
	}
	return o
}
