package schematron

import (
	"fmt"
	"strings"
)

// tokKind classifies lexer tokens.
type tokKind uint8

const (
	tEOF  tokKind = iota
	tName         // NCName or QName (prefix:local), also prefix:* and *:local
	tString
	tNumber
	tVar  // $name
	tOp   // operators and punctuation: ( ) [ ] , / // | = != < <= > >= + - * @ :: . .. ?
	tStar // * as a name test (the lexer cannot tell; the parser decides)
)

type token struct {
	kind tokKind
	text string
	pos  int
}

// lex splits an XPath expression into tokens.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	isNameStart := func(c byte) bool {
		return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
	}
	isNameChar := func(c byte) bool {
		return isNameStart(c) || c == '-' || c == '.' || (c >= '0' && c <= '9')
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' && i+1 < len(src) && src[i+1] == ':':
			// XPath comment (: … :)
			end := strings.Index(src[i+2:], ":)")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment at %d", i)
			}
			i += end + 4
		case c == '\'' || c == '"':
			q := c
			j := i + 1
			var b strings.Builder
			for {
				if j >= len(src) {
					return nil, fmt.Errorf("unterminated string at %d", i)
				}
				if src[j] == q {
					if j+1 < len(src) && src[j+1] == q {
						b.WriteByte(q)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(src[j])
				j++
			}
			toks = append(toks, token{tString, b.String(), i})
			i = j + 1
		case (c >= '0' && c <= '9') || (c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9'):
			j := i
			for j < len(src) && ((src[j] >= '0' && src[j] <= '9') || src[j] == '.') {
				j++
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && src[k] >= '0' && src[k] <= '9' {
					j = k
					for j < len(src) && src[j] >= '0' && src[j] <= '9' {
						j++
					}
				}
			}
			toks = append(toks, token{tNumber, src[i:j], i})
			i = j
		case c == '$':
			j := i + 1
			for j < len(src) && (isNameChar(src[j]) || (src[j] == ':' && j+1 < len(src) && isNameStart(src[j+1]))) {
				j++
			}
			toks = append(toks, token{tVar, src[i+1 : j], i})
			i = j
		case isNameStart(c):
			j := i
			for j < len(src) && isNameChar(src[j]) {
				j++
			}
			// prefix:local or prefix:* (but not axis::)
			if j+1 < len(src) && src[j] == ':' && src[j+1] != ':' {
				if isNameStart(src[j+1]) {
					j++
					for j < len(src) && isNameChar(src[j]) {
						j++
					}
				} else if src[j+1] == '*' {
					j += 2
				}
			}
			toks = append(toks, token{tName, src[i:j], i})
			i = j
		case c == '*':
			if i+2 < len(src) && src[i+1] == ':' && isNameStart(src[i+2]) {
				j := i + 2
				for j < len(src) && isNameChar(src[j]) {
					j++
				}
				toks = append(toks, token{tName, src[i:j], i})
				i = j
				continue
			}
			toks = append(toks, token{tStar, "*", i})
			i++
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "//", "!=", "<=", ">=", "::", "..", "||":
				toks = append(toks, token{tOp, two, i})
				i += 2
				continue
			}
			if strings.IndexByte("()[],/|=<>+-@.?!", c) >= 0 {
				toks = append(toks, token{tOp, string(c), i})
				i++
				continue
			}
			return nil, fmt.Errorf("unexpected character %q at %d", c, i)
		}
	}
	toks = append(toks, token{tEOF, "", len(src)})
	return toks, nil
}
