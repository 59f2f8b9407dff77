package mapping

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Decimal arithmetic in expressions: <add>, <subtract>, <multiply>, <divide>, <min>, <max>,
// <abs> and <round scale="2" mode="half-up">, on exact decimals (never floating point). An
// operand is any expression: a source value read with the source's separators, a literal or
// a constant (where "," and "." are both decimal separators), or another computation. An
// empty operand makes the computation empty (the term is then absent): write
// <first><field name="Remise"/><text>0</text></first> to count an empty value as zero. With
// Options.Explain, each intermediate value is a step of the term's lineage.

// RuleCalc is the rule id of a computation that cannot be done (a division by zero).
const RuleCalc = "FG-MAP-CALC"

// numExpr is an expression whose value is a number: a computation. num returns the number;
// has is false when an operand is empty; ok is false when a problem was recorded.
type numExpr interface {
	expr
	num(c *evalCtx) (d decimal.Decimal, has, ok bool)
}

// arithExpr is <add>, <subtract>, <multiply>, <divide>, <min> or <max> of its parts.
type arithExpr struct {
	op    string
	parts []expr
	line  int
	round *rounding // divide: the scale and mode of the quotient
}

// roundExpr is <round scale="n" mode="…">, absExpr is <abs>.
type roundExpr struct {
	x    expr
	r    rounding
	line int
}

type absExpr struct {
	x    expr
	line int
}

// rounding is a scale (decimals kept) and a rounding mode.
type rounding struct {
	scale int32
	mode  string
}

// roundModes lists the modes of <round> and <divide>, in the order messages name them.
var roundModes = []string{"half-up", "half-even", "half-down", "up", "down", "ceiling", "floor"}

func (r rounding) apply(d decimal.Decimal) decimal.Decimal {
	p := r.scale
	switch r.mode {
	case "half-even":
		return d.RoundBank(p)
	case "half-down":
		if d.Sub(d.RoundDown(p)).Abs().Equal(decimal.New(5, -(p + 1))) {
			return d.RoundDown(p)
		}
		return d.Round(p)
	case "up":
		return d.RoundUp(p)
	case "down":
		return d.RoundDown(p)
	case "ceiling":
		return d.RoundCeil(p)
	case "floor":
		return d.RoundFloor(p)
	}
	return d.Round(p) // half-up: half away from zero, as EN 16931 rounds
}

// divide returns a / b rounded as r says, exactly: from the truncated quotient and its
// remainder, never from a quotient already rounded once.
func (r rounding) divide(a, b decimal.Decimal) decimal.Decimal {
	q, rem := a.QuoRem(b, r.scale)
	if rem.IsZero() {
		return q
	}
	ulp := decimal.New(1, -r.scale)
	away := ulp
	if a.Sign()*b.Sign() < 0 {
		away = ulp.Neg()
	}
	half := rem.Abs().Mul(decimal.NewFromInt(2)).Cmp(b.Abs().Mul(ulp)) // <0 below half, 0 half, >0 above
	up := false
	switch r.mode {
	case "up":
		up = true
	case "down":
	case "ceiling":
		up = away.Sign() > 0
	case "floor":
		up = away.Sign() < 0
	case "half-down":
		up = half > 0
	case "half-even":
		last := q.Shift(r.scale).Abs().BigInt().Bit(0) // 1 when the kept last digit is odd
		up = half > 0 || half == 0 && last == 1
	default:
		up = half >= 0
	}
	if up {
		return q.Add(away)
	}
	return q
}

// divScale is the number of decimals a quotient keeps when <divide> states none.
const divScale = 16

var opSigns = map[string]string{"add": "+", "subtract": "−", "multiply": "×", "divide": "÷", "min": "min", "max": "max"}

func (x *arithExpr) num(c *evalCtx) (decimal.Decimal, bool, bool) {
	var acc decimal.Decimal
	var vals []string
	for i, p := range x.parts {
		d, has, ok := operand(c, p, x.op, x.line)
		if !ok || !has {
			return decimal.Decimal{}, has, ok
		}
		if c.explain {
			vals = append(vals, d.String())
		}
		if i == 0 {
			acc = d
			continue
		}
		switch x.op {
		case "add":
			acc = acc.Add(d)
		case "subtract":
			acc = acc.Sub(d)
		case "multiply":
			acc = acc.Mul(d)
		case "divide":
			if d.IsZero() {
				c.calcProblem(x.line,
					fmt.Sprintf("division par zéro (<divide> ligne %d du mapping) : le diviseur vaut 0", x.line),
					fmt.Sprintf("division by zero (<divide> at mapping line %d): the divisor is 0", x.line))
				return decimal.Decimal{}, false, false
			}
			r := rounding{scale: divScale, mode: "half-up"}
			if x.round != nil {
				r = *x.round
			}
			acc = r.divide(acc, d)
		case "min":
			acc = decimal.Min(acc, d)
		case "max":
			acc = decimal.Max(acc, d)
		}
	}
	if c.explain {
		switch x.op {
		case "min", "max":
			if c.explain {
				c.step("%s(%s) = %s", x.op, strings.Join(vals, ", "), acc.String())
			}
		default:
			if c.explain {
				c.step("%s = %s", strings.Join(vals, " "+opSigns[x.op]+" "), acc.String())
			}
		}
	}
	return acc, true, true
}

func (x *arithExpr) eval(c *evalCtx) (string, bool) { return numText(c, x) }

func (x *roundExpr) num(c *evalCtx) (decimal.Decimal, bool, bool) {
	d, has, ok := operand(c, x.x, "round", x.line)
	if !ok || !has {
		return d, has, ok
	}
	out := x.r.apply(d)
	if c.explain {
		c.step("round(%d, %s): %s → %s", x.r.scale, x.r.mode, d.String(), out.StringFixed(x.r.scale))
	}
	return out, true, true
}

func (x *roundExpr) eval(c *evalCtx) (string, bool) { return numText(c, x) }

func (x *absExpr) num(c *evalCtx) (decimal.Decimal, bool, bool) {
	d, has, ok := operand(c, x.x, "abs", x.line)
	if !ok || !has {
		return d, has, ok
	}
	if c.explain {
		c.step("abs(%s) = %s", d.String(), d.Abs().String())
	}
	return d.Abs(), true, true
}

func (x *absExpr) eval(c *evalCtx) (string, bool) { return numText(c, x) }

// numText is a computation as text, written with the decimal separator of the source (or of
// the term): what a text term or a string expression around it receives.
func numText(c *evalCtx, x numExpr) (string, bool) {
	d, has, ok := x.num(c)
	if !ok || !has {
		return "", ok
	}
	s := d.String()
	if f := c.numFmt(); f.dec == ',' {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s, true
}

// numFmt is how operands read from the source are written: the term's format for a number
// term, else the source's; at load time (literals only) both separators are accepted.
func (c *evalCtx) numFmt() numFmt {
	switch {
	case c.t != nil && c.t.bt.kind == kNumber && c.rn != nil:
		f := c.t.num
		f.implied, f.pct = 0, true
		return f
	case c.rn != nil:
		return numFmt{dec: c.rn.m.src.decimal, thou: c.rn.m.src.thousands, pct: true}
	}
	return numFmt{dec: '.', literal: true, pct: true}
}

// srcNumFmt is how numbers are written in the source (literals at load time).
func (c *evalCtx) srcNumFmt() numFmt {
	if c.rn == nil {
		return literalNumbers
	}
	return numFmt{dec: c.rn.m.src.decimal, thou: c.rn.m.src.thousands}
}

// operand reads one operand of a computation as a number.
func operand(c *evalCtx, x expr, op string, line int) (decimal.Decimal, bool, bool) {
	if nx, ok := x.(numExpr); ok {
		return nx.num(c)
	}
	s, ok := x.eval(c)
	if !ok {
		return decimal.Decimal{}, false, false
	}
	org, hasOrg := c.org, c.hasOrg
	s = strings.TrimSpace(s)
	if s == "" {
		if c.explain {
			c.step("<%s>: an operand is empty → no value", op)
		}
		return decimal.Decimal{}, false, true
	}
	f := c.numFmt()
	_, lit := x.(*litExpr)
	f.literal = f.literal || lit
	d, ok, why := parseNumberFmt(s, f)
	if ok {
		return d, true, true
	}
	// Point at the operand that is not a number, not at the first value the term read.
	if ref := firstRef(x); ref != nil && c.rec != nil {
		c.org, c.hasOrg = origin{rec: c.rec, ref: ref}, true
		if ref.path != nil && c.el != nil {
			c.org.el = ref.path.first(c.rec.x, c.el)
		}
	}
	sepFR, sepEN := "", ""
	if why == "sep" {
		sepFR, sepEN = fmt.Sprintf(" (le séparateur décimal attendu est %q)", string(f.dec)), fmt.Sprintf(" (the decimal separator expected is %q)", string(f.dec))
	}
	c.calcProblemRule(RuleNumber, line,
		fmt.Sprintf("« %s » n'est pas un nombre%s : il ne peut pas entrer dans le calcul <%s> ligne %d du mapping", s, sepFR, op, line),
		fmt.Sprintf("%q is not a number%s: it cannot enter the computation <%s> at mapping line %d", s, sepEN, op, line))
	c.org, c.hasOrg = org, hasOrg
	return decimal.Decimal{}, false, false
}

// calcProblem records a computation that cannot be done as a problem of the term, or at load
// time (no record) as the reason the expression cannot be evaluated.
func (c *evalCtx) calcProblem(line int, fr, en string) { c.calcProblemRule(RuleCalc, line, fr, en) }

func (c *evalCtx) calcProblemRule(rule string, line int, fr, en string) {
	if c.rn == nil || c.t == nil {
		if c.loadErr == "" {
			c.loadErr = en
		}
		return
	}
	c.rn.problem(c, rule, fr+" ("+termFR(c.t.bt)+")", en+" ("+nameEN(c.t.bt)+")")
}

// arith reads the computation elements.
func (l *loader) arith(n *node, kind int) expr {
	name := n.name.Local
	switch name {
	case "round":
		a := l.attrs(n, "scale", "mode")
		l.noText(n)
		r, ok := l.rounding(n, a, 2)
		x := l.single(n, kind)
		if x == nil || !ok {
			return nil
		}
		return &roundExpr{x: x, r: r, line: n.line}
	case "abs":
		l.attrs(n)
		l.noText(n)
		if x := l.single(n, kind); x != nil {
			return &absExpr{x: x, line: n.line}
		}
		return nil
	}
	var a map[string]string
	if name == "divide" {
		a = l.attrs(n, "scale", "mode")
	} else {
		l.attrs(n)
	}
	l.noText(n)
	xs := l.exprs(n.kids, kind)
	if len(xs) != len(n.kids) {
		return nil // an operand did not load: its error is recorded
	}
	if len(xs) < 2 {
		l.errorf(n.line, "<%s> needs at least two operands inside it, e.g. <%s><field name=\"Quantite\"/><field name=\"Prix\"/></%s>", name, name, name)
		return nil
	}
	x := &arithExpr{op: name, parts: xs, line: n.line}
	if _, set := a["scale"]; set || a["mode"] != "" {
		r, ok := l.rounding(n, a, divScale)
		if !ok {
			return nil
		}
		x.round = &r
	}
	return x
}

// single reads the one operand of <round> or <abs>.
func (l *loader) single(n *node, kind int) expr {
	xs := l.exprs(n.kids, kind)
	if len(xs) != 1 || len(n.kids) != 1 {
		if len(xs) == len(n.kids) {
			l.errorf(n.line, "<%s> takes one operand inside it, e.g. <%s><field name=\"Montant\"/></%s>", n.name.Local, n.name.Local, n.name.Local)
		}
		return nil
	}
	return xs[0]
}

func (l *loader) rounding(n *node, a map[string]string, scale int32) (rounding, bool) {
	r := rounding{scale: scale, mode: "half-up"}
	ok := true
	if v, set := a["scale"]; set {
		s, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || s < 0 || s > 20 {
			l.errorf(n.line, "scale=%q must be a number of decimals from 0 to 20", v)
			ok = false
		}
		r.scale = int32(s)
	}
	if m, set := a["mode"]; set {
		r.mode = strings.TrimSpace(m)
		if !contains(roundModes, r.mode) {
			l.errorf(n.line, "mode=%q is not a rounding mode (%s)", m, strings.Join(roundModes, ", "))
			ok = false
		}
	}
	return r, ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
