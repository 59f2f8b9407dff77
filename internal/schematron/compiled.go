package schematron

// Tests compiled once per schema into Go functions for the shapes the official rule sets
// repeat hundreds of times: a plain path tested for a node (not(cac:X/cbc:Y), exists(…)),
// its nodes counted and compared with a number (count(cbc:Note) <= 1), a string function
// of the context node compared with a literal (string-length(substring-after(., '.')) <= 2),
// and their negations, conjunctions and disjunctions. Any other expression, or part of
// one, is left to the interpreter (ctx.truth), so that a compiled test has the value and
// the errors of the interpreted one; TestCompiledAgreesWithInterpreter checks it.

import (
	"math"
	"strings"
	"unicode/utf8"
)

// cond is a compiled test: its effective boolean value with the node n as context item
// (c.item == n).
type cond struct {
	holds func(c *ctx, n *Node) bool
	// safe tells that no part is interpreted: the test raises no error.
	safe bool
}

// condOf compiles e, the parts it cannot compile interpreted.
func (en *env) condOf(e expr) cond {
	if k, ok := en.compileCond(e); ok {
		return k
	}
	return cond{holds: func(c *ctx, _ *Node) bool { return c.truth(e) }}
}

// compileCond compiles e when its shape is known at the top; its operands may be
// interpreted.
func (en *env) compileCond(e expr) (cond, bool) {
	switch x := e.(type) {
	case exOr:
		l, r := en.condOf(x.l), en.condOf(x.r)
		return cond{func(c *ctx, n *Node) bool { return l.holds(c, n) || r.holds(c, n) }, l.safe && r.safe}, true
	case exAnd:
		l, r := en.condOf(x.l), en.condOf(x.r)
		return cond{func(c *ctx, n *Node) bool { return l.holds(c, n) && r.holds(c, n) }, l.safe && r.safe}, true
	case exPath:
		if p, ok := en.compilePath(x); ok {
			return cond{p.any, true}, true
		}
	case exCall:
		return en.compileCall(x)
	case exCmp:
		if k, ok := en.compileCount(x); ok {
			return k, true
		}
		if k, ok := en.compileBoolCmp(x); ok {
			return k, true
		}
		return en.compileStringCmp(x)
	}
	return cond{}, false
}

// standard reports whether a call with that many arguments is the standard function name
// (without a prefix), not a user function.
func (en *env) standard(x exCall, name string, args int) bool {
	_, user := en.funcs[x.name]
	return !user && x.name == name && len(x.args) == args
}

func (en *env) compileCall(x exCall) (cond, bool) {
	switch {
	case en.standard(x, "not", 1):
		k := en.condOf(x.args[0])
		return cond{func(c *ctx, n *Node) bool { return !k.holds(c, n) }, k.safe}, true
	case en.standard(x, "boolean", 1):
		return en.condOf(x.args[0]), true
	case en.standard(x, "exists", 1), en.standard(x, "empty", 1):
		p, ok := en.compilePath(x.args[0])
		if !ok {
			return cond{}, false
		}
		if x.name == "exists" {
			return cond{p.any, true}, true
		}
		return cond{func(c *ctx, n *Node) bool { return !p.any(c, n) }, true}, true
	case en.standard(x, "contains", 2), en.standard(x, "starts-with", 2), en.standard(x, "ends-with", 2):
		s, ok := en.compileString(x.args[0])
		sub, ok2 := en.compileString(x.args[1])
		if !ok || !ok2 {
			return cond{}, false
		}
		f := map[string]func(string, string) bool{"contains": strings.Contains, "starts-with": strings.HasPrefix,
			"ends-with": strings.HasSuffix}[x.name]
		return cond{func(_ *ctx, n *Node) bool { return f(s(n), sub(n)) }, true}, true
	}
	return cond{}, false
}

// numberLiteral is the double a number literal compares as (see compareAtomic: a count or
// a length is a double, compared with a decimal as a double).
func numberLiteral(e expr) (float64, bool) {
	l, ok := e.(exLiteral)
	if !ok {
		return 0, false
	}
	switch v := l.v.(type) {
	case dec, float64:
		return toNumber(v), true
	}
	return 0, false
}

// compareOp is the value comparison operator of x, and whether its operands are swapped
// so that the literal is on the right.
func compareOp(x exCmp) (op string, l, r expr, swapped bool) {
	op = x.op
	if x.general {
		op = valueOp(op)
	}
	if _, isLit := x.l.(exLiteral); isLit {
		return op, x.r, x.l, true
	}
	return op, x.l, x.r, false
}

// compareNumbers is compareAtomic of two doubles, a the count or length, b the literal,
// without boxing them.
func compareNumbers(op string, a, b float64, swapped bool) bool {
	if swapped {
		a, b = b, a
	}
	if math.IsNaN(a) || math.IsNaN(b) {
		return op == "ne"
	}
	return cmpResult(op, cmpFloat(a, b))
}

// compileCount compiles count(P), or count(P) ± count(Q), compared with a number literal,
// P and Q plain paths without a union (see ctx.compareCount), and string-length(S)
// compared with one.
func (en *env) compileCount(x exCmp) (cond, bool) {
	op, call, lit, swapped := compareOp(x)
	num, isNum := numberLiteral(lit)
	c, isCall := call.(exCall)
	if a, isArith := call.(exArith); isArith && isNum && (a.op == "+" || a.op == "-") {
		// count(P) ± count(Q): integers, exact as doubles at a document's sizes.
		l, okL := en.compileCountOf(a.l)
		r, okR := en.compileCountOf(a.r)
		if !okL || !okR {
			return cond{}, false
		}
		sign := 1
		if a.op == "-" {
			sign = -1
		}
		return cond{func(cx *ctx, n *Node) bool {
			return compareNumbers(op, float64(l(cx, n)+sign*r(cx, n)), num, swapped)
		}, true}, true
	}
	if !isNum || !isCall {
		return cond{}, false
	}
	switch {
	case en.standard(c, "count", 1):
		count, ok := en.compileCountOf(c)
		if !ok {
			return cond{}, false
		}
		return cond{func(cx *ctx, n *Node) bool {
			return compareNumbers(op, float64(count(cx, n)), num, swapped)
		}, true}, true
	case en.standard(c, "string-length", 1):
		s, ok := en.compileString(c.args[0])
		if !ok {
			return cond{}, false
		}
		return cond{func(cx *ctx, n *Node) bool {
			return compareNumbers(op, float64(utf8.RuneCountInString(s(n))), num, swapped)
		}, true}, true
	}
	return cond{}, false
}

// compileCountOf compiles count(P), P a plain path without a union.
func (en *env) compileCountOf(e expr) (func(*ctx, *Node) int, bool) {
	c, ok := e.(exCall)
	if !ok || !en.standard(c, "count", 1) {
		return nil, false
	}
	p, ok := en.compilePath(c.args[0])
	if !ok || p.heads != nil {
		return nil, false
	}
	return p.count, true
}

// compileStringCmp compiles a string of the context node (see compileString) compared with
// a string literal, and a plain path compared with one: a node's typed value is untyped, so
// compared with a string as a string.
func (en *env) compileStringCmp(x exCmp) (cond, bool) {
	op, operand, lit, swapped := compareOp(x)
	l, isLit := lit.(exLiteral)
	if !isLit {
		return cond{}, false
	}
	want, isString := l.v.(string)
	if !isString {
		return cond{}, false
	}
	compare := func(v string) bool {
		if swapped {
			return cmpResult(op, strings.Compare(want, v))
		}
		return cmpResult(op, strings.Compare(v, want))
	}
	if s, ok := en.compileString(operand); ok {
		return cond{func(_ *ctx, n *Node) bool { return compare(s(n)) }, true}, true
	}
	p, ok := en.compilePath(operand)
	if !ok || !x.general {
		return cond{}, false // a value comparison of a path fails on two nodes
	}
	return cond{func(c *ctx, n *Node) bool { return p.anyValue(c, n, compare) }, true}, true
}

// compileBoolCmp compiles a plain path compared with true() or false(), as in
// cac:AllowanceCharge[cbc:ChargeIndicator = false()]: a node's untyped value is cast to a
// boolean (toBool), which cannot fail.
func (en *env) compileBoolCmp(x exCmp) (cond, bool) {
	operand, lit := x.l, x.r
	swapped := false
	if _, isCall := operand.(exCall); isCall {
		operand, lit, swapped = x.r, x.l, true
	}
	call, isCall := lit.(exCall)
	if !isCall || !x.general || !(en.standard(call, "true", 0) || en.standard(call, "false", 0)) {
		return cond{}, false
	}
	p, ok := en.compilePath(operand)
	if !ok {
		return cond{}, false
	}
	want, op := call.name == "true", valueOp(x.op)
	compare := func(v string) bool {
		if swapped {
			return cmpResult(op, cmpBool(want, toBool(v)))
		}
		return cmpResult(op, cmpBool(toBool(v), want))
	}
	return cond{func(c *ctx, n *Node) bool { return p.anyValue(c, n, compare) }, true}, true
}

// compileString compiles an expression whose value is one string computed from the context
// node alone: ".", a string literal, name(), local-name(), and normalize-space, upper-case,
// lower-case, substring-before and substring-after of such.
func (en *env) compileString(e expr) (func(*Node) string, bool) {
	switch x := e.(type) {
	case exContext:
		return stringValue, true
	case exLiteral:
		if s, ok := x.v.(string); ok {
			return func(*Node) string { return s }, true
		}
	case exCall:
		switch {
		case en.standard(x, "name", 0):
			return (*Node).Name, true
		case en.standard(x, "local-name", 0):
			return func(n *Node) string { return n.Local }, true
		case en.standard(x, "normalize-space", 0):
			return func(n *Node) string { return normalizeSpace(stringValue(n)) }, true
		case en.standard(x, "normalize-space", 1), en.standard(x, "upper-case", 1), en.standard(x, "lower-case", 1):
			s, ok := en.compileString(x.args[0])
			if !ok {
				return nil, false
			}
			f := map[string]func(string) string{"normalize-space": normalizeSpace, "upper-case": strings.ToUpper,
				"lower-case": strings.ToLower}[x.name]
			return func(n *Node) string { return f(s(n)) }, true
		case en.standard(x, "substring-before", 2), en.standard(x, "substring-after", 2):
			s, ok := en.compileString(x.args[0])
			sep, ok2 := en.compileString(x.args[1])
			if !ok || !ok2 {
				return nil, false
			}
			after := x.name == "substring-after"
			return func(n *Node) string {
				before, rest, found := strings.Cut(s(n), sep(n))
				switch {
				case !found:
					return ""
				case after:
					return rest
				}
				return before
			}, true
		}
	}
	return nil, false
}

// normalizeSpace is normalize-space of a string as the interpreter computes it, without
// building a string when there is no space to collapse.
func normalizeSpace(s string) string {
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= utf8.RuneSelf, b == ' ', b >= '\t' && b <= '\r':
			return strings.Join(strings.Fields(s), " ")
		}
	}
	return s
}

// stringValue is n.StringValue() without building a string for an element holding one
// text node or none, the common case.
func stringValue(n *Node) string {
	if n.Kind == ElementNode {
		switch len(n.Children) {
		case 0:
			return ""
		case 1:
			if t := n.Children[0]; t.Kind == TextNode {
				return t.Value
			}
		}
	}
	return n.StringValue()
}

// anyValue reports whether p selects, with n as context item, a node whose string value
// passes test.
func (p *nodePath) anyValue(c *ctx, n *Node, test func(string) bool) bool {
	return p.walk(pathWalk{c: c, value: test}, n)
}
