package mapping

import (
	"bytes"
	"encoding/xml"
	"unicode/utf8"
)

// Names: how the XML scanner reads element and attribute names, interned.

// nsname reads a name; ok is false without error when there is none or it has more than
// one colon, for the caller to say what it expected. likely is a name it may well be: an
// end tag's is most often its element's.
func (s *xmlScanner) nsname(likely *qname) (xmlName, bool) {
	q, ok := s.name(likely)
	if !ok || q.colons > 1 {
		return xmlName{}, false
	}
	return xmlName{qname: q}, true
}

// name reads a name, interned. Names interned are valid: only new ones are checked. An
// export repeats the same names in the same order: the name read after the last element or
// attribute name last time is tried first, and found without scanning for its end.
func (s *xmlScanner) name(likely *qname) (*qname, bool) {
	if likely == nil {
		q, ok := s.nextName()
		if !ok {
			s.lastName = -1
			return q, ok
		}
		// Ids, not pointers: what changes at each name is written without a GC write barrier.
		if s.lastName >= 0 && s.byID[s.lastName].next != q.id {
			s.byID[s.lastName].next = q.id
		}
		s.lastName = q.id
		return q, ok
	}
	if s.isNext(likely) {
		return likely, true
	}
	return s.readQName(likely)
}

// nextName reads an element or attribute name.
func (s *xmlScanner) nextName() (*qname, bool) {
	if s.lastName >= 0 {
		if next := s.byID[s.lastName].next; next >= 0 && s.isNext(s.byID[next]) {
			return s.byID[next], true
		}
	}
	return s.readQName(nil)
}

// isNext reports whether the buffer holds q next, followed by what ends a name, and then
// reads it.
func (s *xmlScanner) isNext(q *qname) bool {
	n := len(q.full)
	if s.pos+n >= s.end || nameByte[s.buf[s.pos+n]] || string(s.buf[s.pos:s.pos+n]) != q.full {
		return false
	}
	s.pos += n // no line end in a name
	return true
}

// readQName reads a name and finds it among the interned.
func (s *xmlScanner) readQName(likely *qname) (*qname, bool) {
	b, ok := s.nameBytes()
	if !ok {
		return nil, false
	}
	if likely != nil && string(b) == likely.full {
		return likely, true
	}
	h := (len(b)*31 + int(b[0])*7 + int(b[len(b)-1])) % len(s.recent)
	if q := s.recent[h]; q != nil && q.full == string(b) {
		return q, true
	}
	if q, seen := s.names[string(b)]; seen {
		s.recent[h] = q
		return q, true
	}
	if !isXMLName(b) {
		s.fail("invalid XML name: " + string(b))
		return nil, false
	}
	q := newQName(string(b))
	if len(s.names) < maxInterned {
		s.names[q.full], s.recent[h] = q, q
		q.id = int32(len(s.byID))
		s.byID = append(s.byID, q)
	}
	return q, true
}

// nameBytes reads the bytes of a name (see readName), valid until the next read: most
// often straight from the buffer.
func (s *xmlScanner) nameBytes() ([]byte, bool) {
	i := s.pos
	for i < s.end && nameByte[s.buf[i]] {
		i++
	}
	if i > s.pos && i < s.end { // the name and what ends it are buffered: no line end in it
		b := s.buf[s.pos:i]
		s.pos = i
		return b, true
	}
	var ok bool
	s.scratch, ok = s.readName(s.scratch[:0])
	return s.scratch, ok
}

// readName appends to dst the bytes of a name: ASCII name characters and any non-ASCII byte
// (isXMLName judges those).
func (s *xmlScanner) readName(dst []byte) ([]byte, bool) {
	b, ok := s.mustgetc()
	if !ok {
		return dst, false
	}
	if b < utf8.RuneSelf && !isNameByte(b) {
		s.ungetc()
		return dst, false
	}
	dst = append(dst, b)
	for {
		if b, ok = s.mustgetc(); !ok {
			return dst, false
		}
		if b < utf8.RuneSelf && !isNameByte(b) {
			s.ungetc()
			return dst, true
		}
		dst = append(dst, b)
	}
}

// nameByte are the bytes a name is read with: those of isNameByte, and any non-ASCII one.
var nameByte = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= utf8.RuneSelf || isNameByte(byte(c))
	}
	return t
}()

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

// isXMLName reports whether b is a name. ASCII names are judged here; for others, whose
// character tables encoding/xml does not export, encoding/xml is asked (with colons, valid
// anywhere in a name, made underscores, so that only the characters are judged).
func isXMLName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	ascii := true
	for _, c := range b {
		ascii = ascii && c < utf8.RuneSelf
	}
	if !ascii {
		tag := append([]byte("<"), bytes.ReplaceAll(b, []byte(":"), []byte("_"))...)
		_, err := xml.NewDecoder(bytes.NewReader(append(tag, "/>"...))).RawToken()
		return err == nil
	}
	c := b[0]
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == ':'
}
