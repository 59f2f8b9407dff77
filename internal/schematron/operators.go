package schematron

// Operators: comparisons, arithmetic and the set operators of XPath 2.0.

import (
	"math"
	"strings"

	"github.com/shopspring/decimal"
)

// compare evaluates a general (=, <, …) or value (eq, lt, …) comparison.
func (c *ctx) compare(x exCmp) seq {
	l, r := atomize(c.eval(x.l)), atomize(c.eval(x.r))
	if !x.general {
		if len(l) == 0 || len(r) == 0 {
			return nil
		}
		if len(l) > 1 || len(r) > 1 {
			fail("value comparison %s of sequences", x.op)
		}
		a, b := l[0], r[0]
		if u, ok := a.(untyped); ok {
			a = string(u)
		}
		if u, ok := b.(untyped); ok {
			b = string(u)
		}
		return seq{compareAtomic(x.op, a, b)}
	}
	op := valueOp(x.op)
	for _, a := range l {
		for _, b := range r {
			aa, bb := a, b
			_, au := a.(untyped)
			_, bu := b.(untyped)
			switch {
			case au && bu:
				aa, bb = string(a.(untyped)), string(b.(untyped))
			case au:
				aa = castLike(a.(untyped), b)
			case bu:
				bb = castLike(b.(untyped), a)
			}
			if compareAtomic(op, aa, bb) {
				return seq{true}
			}
		}
	}
	return seq{false}
}

// valueOp is the value comparison operator of a general one ("<=": "le").
func valueOp(general string) string {
	switch general {
	case "=":
		return "eq"
	case "!=":
		return "ne"
	case "<":
		return "lt"
	case "<=":
		return "le"
	case ">":
		return "gt"
	case ">=":
		return "ge"
	}
	return ""
}

// castLike casts an untyped value to the type of other (general comparison rules).
func castLike(u untyped, other item) item {
	switch other.(type) {
	case float64, dec:
		return parseNumber(string(u))
	case bool:
		return toBool(string(u))
	}
	return string(u)
}

// compareAtomic compares two atomic values: two decimals exactly, a decimal with anything
// else as a double. The doubles are kept out of interfaces (boxing one allocates), so that
// comparing a count with a literal allocates nothing.
func compareAtomic(op string, a, b item) bool {
	ad, aDec := a.(dec)
	bd, bDec := b.(dec)
	if aDec && bDec {
		return cmpResult(op, ad.d.Cmp(bd.d))
	}
	af, aNum := a.(float64)
	if aDec {
		af, aNum = ad.d.InexactFloat64(), true
	}
	_, bNum := b.(float64)
	bNum = bNum || bDec
	var c int
	if av, isBool := a.(bool); !aNum && isBool {
		bv := toBool(b)
		if bDec {
			f := bd.d.InexactFloat64()
			bv = f != 0 && !math.IsNaN(f) // toBool of the double
		}
		c = cmpBool(av, bv)
		return cmpResult(op, c)
	}
	switch {
	case aNum || bNum:
		// toNumber of a decimal is its double, and of a double itself.
		if !aNum {
			af = toNumber(a)
		}
		bf := toNumber(b)
		if math.IsNaN(af) || math.IsNaN(bf) {
			return op == "ne"
		}
		c = cmpFloat(af, bf)
	default:
		if bb, ok := b.(bool); ok {
			c = cmpBool(toBool(a), bb)
		} else {
			c = strings.Compare(toString(a), toString(b))
		}
	}
	return cmpResult(op, c)
}

func cmpResult(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func arith(op string, ls, rs seq) seq {
	l, r := atomize(ls), atomize(rs)
	if len(l) == 0 || len(r) == 0 {
		return nil
	}
	if len(l) > 1 || len(r) > 1 {
		fail("arithmetic %s on sequences", op)
	}
	if ad, ok := l[0].(dec); ok {
		if bd, ok := r[0].(dec); ok {
			return seq{decArith(op, ad.d, bd.d)}
		}
	}
	a, b := toNumber(l[0]), toNumber(r[0])
	switch op {
	case "+":
		return seq{a + b}
	case "-":
		return seq{a - b}
	case "*":
		return seq{a * b}
	case "div":
		return seq{a / b}
	case "idiv":
		if b == 0 {
			fail("integer division by zero")
		}
		return seq{math.Trunc(a / b)}
	case "mod":
		return seq{math.Mod(a, b)}
	}
	fail("unknown operator %s", op)
	return nil
}

func setOp(op string, l, r seq) seq {
	for _, s := range []seq{l, r} {
		for _, it := range s {
			if _, ok := it.(*Node); !ok {
				fail("%s of atomic values", op)
			}
		}
	}
	switch op {
	case "union":
		return docOrder(append(append(seq{}, l...), r...))
	case "intersect", "except":
		in := map[*Node]bool{}
		for _, it := range r {
			in[it.(*Node)] = true
		}
		var out seq
		for _, it := range l {
			if in[it.(*Node)] == (op == "intersect") {
				out = append(out, it)
			}
		}
		return docOrder(out)
	}
	return nil
}

func decArith(op string, a, b decimal.Decimal) item {
	switch op {
	case "+":
		return dec{a.Add(b)}
	case "-":
		return dec{a.Sub(b)}
	case "*":
		return dec{a.Mul(b)}
	case "div":
		if b.IsZero() {
			fail("decimal division by zero")
		}
		return dec{a.DivRound(b, 18)}
	case "idiv":
		if b.IsZero() {
			fail("integer division by zero")
		}
		return dec{a.Div(b).Truncate(0)}
	case "mod":
		if b.IsZero() {
			fail("decimal modulus by zero")
		}
		return dec{a.Mod(b)}
	}
	fail("unknown operator %s", op)
	return nil
}
