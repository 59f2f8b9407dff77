package schematron

// Atomic values: effective boolean value, atomization, conversions between the item types.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ebv is the effective boolean value of s.
func ebv(s seq) bool {
	if len(s) == 0 {
		return false
	}
	if _, ok := s[0].(*Node); ok {
		return true
	}
	if len(s) > 1 {
		fail("effective boolean value of a sequence of %d atomic values", len(s))
	}
	switch v := s[0].(type) {
	case bool:
		return v
	case string:
		return v != ""
	case untyped:
		return v != ""
	case float64:
		return v != 0 && !math.IsNaN(v)
	case dec:
		return !v.d.IsZero()
	}
	return true
}

// atomize replaces nodes by their typed value (untyped atomic). A sequence without nodes is
// returned as it is: sequences are never changed in place.
func atomize(s seq) seq {
	if !slices.ContainsFunc(s, func(it item) bool { _, ok := it.(*Node); return ok }) {
		return s
	}
	out := make(seq, len(s))
	for i, it := range s {
		if n, ok := it.(*Node); ok {
			out[i] = untyped(n.StringValue())
		} else {
			out[i] = it
		}
	}
	return out
}

// toString is the string value of an item.
func toString(it item) string {
	switch v := it.(type) {
	case *Node:
		return v.StringValue()
	case string:
		return v
	case untyped:
		return string(v)
	case bool:
		if v {
			return "true"
		}
		return "false"
	case float64:
		return formatNumber(v)
	case dec:
		return v.d.String()
	}
	return fmt.Sprint(it)
}

func formatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	case f == math.Trunc(f) && math.Abs(f) < 1e18:
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// toNumber converts an atomic value to a double (NaN when it is not a number).
func toNumber(it item) float64 {
	switch v := it.(type) {
	case float64:
		return v
	case dec:
		return v.d.InexactFloat64()
	case bool:
		if v {
			return 1
		}
		return 0
	case *Node:
		return parseNumber(v.StringValue())
	}
	return parseNumber(toString(it))
}

func parseNumber(s string) float64 {
	s = strings.TrimSpace(s)
	switch s {
	case "", "NaN":
		return math.NaN()
	case "INF":
		return math.Inf(1)
	case "-INF":
		return math.Inf(-1)
	}
	if strings.ContainsAny(s, "xX_") || strings.HasPrefix(s, "+.") {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

func toBool(it item) bool {
	switch v := it.(type) {
	case bool:
		return v
	case dec:
		return !v.d.IsZero()
	case float64:
		return v != 0 && !math.IsNaN(v)
	}
	s := strings.TrimSpace(toString(it))
	return s == "true" || s == "1"
}

// seqItem is the single item of v for a castable test, or an empty string.
func seqItem(v seq) item {
	a := atomize(v)
	if len(a) == 0 {
		return ""
	}
	return a[0]
}

func instanceOf(v seq, typ string) bool {
	opt := strings.HasSuffix(typ, "?")
	typ = strings.TrimSuffix(typ, "?")
	if len(v) == 0 {
		return opt
	}
	if len(v) > 1 {
		return false
	}
	switch x := v[0].(type) {
	case *Node:
		return typ == "node()" || (typ == "element()" && x.Kind == ElementNode)
	case string:
		return typ == "xs:string"
	case float64:
		return typ == "xs:double" || typ == "xs:decimal" || (typ == "xs:integer" && x == math.Trunc(x))
	case bool:
		return typ == "xs:boolean"
	}
	return false
}
