package facturx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// parser reads PDF objects from data.
type parser struct {
	data []byte
	pos  int
	r    *pdfReader // to resolve an indirect /Length
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool { return strings.IndexByte("()<>[]{}/%", c) >= 0 }

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if isSpace(c) {
			p.pos++
			continue
		}
		if c == '%' {
			for p.pos < len(p.data) && p.data[p.pos] != '\n' && p.data[p.pos] != '\r' {
				p.pos++
			}
			continue
		}
		return
	}
}

func (p *parser) int() (int, error) {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.data) && (p.data[p.pos] >= '0' && p.data[p.pos] <= '9' || p.data[p.pos] == '-' || p.data[p.pos] == '+') {
		p.pos++
	}
	return strconv.Atoi(string(p.data[start:p.pos]))
}

// indirect reads "n g obj … endobj" (with its stream) at the current position.
func (p *parser) indirect() (any, error) {
	if _, err := p.int(); err != nil {
		return nil, errors.New("no object number")
	}
	if _, err := p.int(); err != nil {
		return nil, errors.New("no generation number")
	}
	p.skipSpace()
	if !bytes.HasPrefix(p.data[p.pos:], []byte("obj")) {
		return nil, errors.New("no obj keyword")
	}
	p.pos += 3
	return p.object()
}

// object reads one object (a dictionary followed by "stream" is read with its data).
func (p *parser) object() (any, error) {
	p.skipSpace()
	if p.pos >= len(p.data) {
		return nil, io.ErrUnexpectedEOF
	}
	c := p.data[p.pos]
	switch {
	case c == '<' && p.pos+1 < len(p.data) && p.data[p.pos+1] == '<':
		p.pos += 2
		d := dict{}
		for {
			p.skipSpace()
			if p.pos+1 >= len(p.data) {
				return nil, io.ErrUnexpectedEOF
			}
			if p.data[p.pos] == '>' && p.data[p.pos+1] == '>' {
				p.pos += 2
				break
			}
			k, err := p.object()
			if err != nil {
				return nil, err
			}
			key, ok := k.(name)
			if !ok {
				return nil, errors.New("dictionary key is not a name")
			}
			v, err := p.object()
			if err != nil {
				return nil, err
			}
			d[string(key)] = v
		}
		save := p.pos
		p.skipSpace()
		if bytes.HasPrefix(p.data[p.pos:], []byte("stream")) {
			return p.stream(d)
		}
		p.pos = save
		return d, nil
	case c == '<':
		end := bytes.IndexByte(p.data[p.pos:], '>')
		if end < 0 {
			return nil, io.ErrUnexpectedEOF
		}
		hex := strings.Map(func(r rune) rune {
			if isSpace(byte(r)) {
				return -1
			}
			return r
		}, string(p.data[p.pos+1:p.pos+end]))
		if len(hex)%2 == 1 {
			hex += "0"
		}
		out := make([]byte, len(hex)/2)
		for i := range out {
			v, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
			if err != nil {
				return nil, errors.New("bad hex string")
			}
			out[i] = byte(v)
		}
		p.pos += end + 1
		return pdfString(out), nil
	case c == '(':
		return p.literal()
	case c == '[':
		p.pos++
		var a array
		for {
			p.skipSpace()
			if p.pos >= len(p.data) {
				return nil, io.ErrUnexpectedEOF
			}
			if p.data[p.pos] == ']' {
				p.pos++
				return a, nil
			}
			v, err := p.object()
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case c == '/':
		p.pos++
		start := p.pos
		for p.pos < len(p.data) && !isSpace(p.data[p.pos]) && !isDelim(p.data[p.pos]) {
			p.pos++
		}
		n := string(p.data[start:p.pos])
		// #xx escapes in names.
		for i := strings.IndexByte(n, '#'); i >= 0 && i+2 < len(n); i = strings.IndexByte(n, '#') {
			v, err := strconv.ParseUint(n[i+1:i+3], 16, 8)
			if err != nil {
				break
			}
			n = n[:i] + string(rune(v)) + n[i+3:]
		}
		return name(n), nil
	case c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.':
		start := p.pos
		for p.pos < len(p.data) && (p.data[p.pos] >= '0' && p.data[p.pos] <= '9' || strings.IndexByte("-+.", p.data[p.pos]) >= 0) {
			p.pos++
		}
		f, err := strconv.ParseFloat(string(p.data[start:p.pos]), 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", p.data[start:p.pos])
		}
		// An indirect reference: "n g R".
		save := p.pos
		if g, err := p.int(); err == nil {
			p.skipSpace()
			if p.pos < len(p.data) && p.data[p.pos] == 'R' && (p.pos+1 == len(p.data) || isSpace(p.data[p.pos+1]) || isDelim(p.data[p.pos+1])) {
				p.pos++
				return objRef{int(f), g}, nil
			}
		}
		p.pos = save
		return f, nil
	default:
		start := p.pos
		for p.pos < len(p.data) && !isSpace(p.data[p.pos]) && !isDelim(p.data[p.pos]) {
			p.pos++
		}
		switch w := string(p.data[start:p.pos]); w {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		case "":
			p.pos++
			return nil, fmt.Errorf("unexpected %q", c)
		default:
			return keyword(w), nil
		}
	}
}

func (p *parser) literal() (any, error) {
	p.pos++ // (
	var out []byte
	depth := 1
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		p.pos++
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return pdfString(out), nil
			}
		case '\\':
			if p.pos >= len(p.data) {
				return nil, io.ErrUnexpectedEOF
			}
			e := p.data[p.pos]
			p.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r', '\n':
				if e == '\r' && p.pos < len(p.data) && p.data[p.pos] == '\n' {
					p.pos++
				}
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '7'; k++ {
						v = v*8 + int(p.data[p.pos]-'0')
						p.pos++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return nil, io.ErrUnexpectedEOF
}

// stream reads the data of a stream whose dictionary d was just read.
func (p *parser) stream(d dict) (any, error) {
	p.pos += len("stream")
	if p.pos < len(p.data) && p.data[p.pos] == '\r' {
		p.pos++
	}
	if p.pos < len(p.data) && p.data[p.pos] == '\n' {
		p.pos++
	}
	length := -1
	switch l := d["Length"].(type) {
	case float64:
		length = int(l)
	case objRef:
		if p.r != nil {
			if f, ok := p.r.resolve(l).(float64); ok {
				length = int(f)
			}
		}
	}
	start := p.pos
	if length < 0 || start+length > len(p.data) || !bytes.Contains(p.data[start+length:min(len(p.data), start+length+32)], []byte("endstream")) {
		// A missing or wrong /Length: the data ends at "endstream".
		end := bytes.Index(p.data[start:], []byte("endstream"))
		if end < 0 {
			return nil, errors.New("stream without endstream")
		}
		length = end
		for length > 0 && (p.data[start+length-1] == '\n' || p.data[start+length-1] == '\r') {
			length--
		}
	}
	p.pos = start + length
	return &streamObj{d: d, raw: p.data[start : start+length]}, nil
}
