package schematron

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Expressions of the XPath 2.0 subset.
type (
	expr interface{}

	exLiteral struct{ v item }
	exSeq     struct{ items []expr }
	exFor     struct {
		vars []string
		ins  []expr
		ret  expr
	}
	exQuant struct {
		every bool
		vars  []string
		ins   []expr
		sat   expr
	}
	exIf  struct{ cond, then, els expr }
	exOr  struct{ l, r expr }
	exAnd struct{ l, r expr }
	exCmp struct {
		op      string // = != < <= > >= (general) or eq ne lt le gt ge (value)
		general bool
		l, r    expr
	}
	exRange struct{ l, r expr }
	exArith struct {
		op   string // + - * div idiv mod
		l, r expr
	}
	exNeg   struct{ e expr }
	exUnion struct {
		op   string // union intersect except
		l, r expr
	}
	exVar  struct{ name string }
	exCall struct {
		name string
		args []expr
	}
	exContext  struct{}
	exCastable struct {
		e   expr
		typ string
	}
	exInstance struct {
		e   expr
		typ string
	}
	exRoot struct{}
	exPath struct {
		abs   bool
		steps []expr // exStep or a filter expression
		plain plainness
	}
	exStep struct {
		axis  string
		test  nodeTest
		preds []expr
	}
	exFilter struct {
		prim  expr
		preds []expr
	}
)

// plainness tells whether a path is plain (see ctx.plainStart), once env.resolve has
// found out: the evaluation asks it of every path it meets.
type plainness uint8

const (
	plainUnknown plainness = iota
	plainYes
	plainNo
)

// nodeTest is a name test or a kind test.
type nodeTest struct {
	kind   string // "name", "node", "text", "element", "attribute", "comment", "document-node"
	prefix string // "*" for any namespace
	local  string // "*" for any name
	// bound tells that prefix is declared and uri is its namespace (see env.resolve).
	bound bool
	uri   string
}

type parser struct {
	toks []token
	i    int
	src  string
}

// compile parses an XPath expression.
func compile(src string) (expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("xpath %q: %w", src, err)
	}
	p := &parser{toks: toks, src: src}
	var e expr
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				if pe, ok := r.(parseError); ok {
					err = pe
					return
				}
				panic(r)
			}
		}()
		e = p.expr()
		if p.peek().kind != tEOF {
			p.fail("unexpected %q", p.peek().text)
		}
		return nil
	}()
	if err != nil {
		return nil, fmt.Errorf("xpath %q: %w", src, err)
	}
	return e, nil
}

type parseError struct{ msg string }

func (e parseError) Error() string { return e.msg }

func (p *parser) fail(format string, args ...any) {
	pos := p.peek().pos
	panic(parseError{fmt.Sprintf(format, args...) + fmt.Sprintf(" at offset %d", pos)})
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return token{kind: tEOF}
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// isOp reports whether the next token is the operator or keyword s.
func (p *parser) isOp(s string) bool {
	t := p.peek()
	return (t.kind == tOp || t.kind == tName || (t.kind == tStar && s == "*")) && t.text == s
}

func (p *parser) accept(s string) bool {
	if p.isOp(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(s string) {
	if !p.accept(s) {
		p.fail("expected %q, found %q", s, p.peek().text)
	}
}

func (p *parser) expr() expr {
	first := p.exprSingle()
	if !p.isOp(",") {
		return first
	}
	items := []expr{first}
	for p.accept(",") {
		items = append(items, p.exprSingle())
	}
	return exSeq{items}
}

func (p *parser) exprSingle() expr {
	t := p.peek()
	if t.kind == tName {
		switch {
		case (t.text == "for" || t.text == "some" || t.text == "every") && p.peekN(1).kind == tVar:
			p.next()
			var vars []string
			var ins []expr
			for {
				v := p.next()
				if v.kind != tVar {
					p.fail("expected a variable")
				}
				p.expect("in")
				vars = append(vars, v.text)
				ins = append(ins, p.exprSingle())
				if !p.accept(",") {
					break
				}
			}
			if t.text == "for" {
				p.expect("return")
				return exFor{vars, ins, p.exprSingle()}
			}
			p.expect("satisfies")
			return exQuant{t.text == "every", vars, ins, p.exprSingle()}
		case t.text == "if" && p.peekN(1).kind == tOp && p.peekN(1).text == "(":
			p.next()
			p.expect("(")
			cond := p.expr()
			p.expect(")")
			p.expect("then")
			then := p.exprSingle()
			p.expect("else")
			return exIf{cond, then, p.exprSingle()}
		}
	}
	return p.or()
}

func (p *parser) or() expr {
	l := p.and()
	for p.accept("or") {
		l = exOr{l, p.and()}
	}
	return l
}

func (p *parser) and() expr {
	l := p.comparison()
	for p.accept("and") {
		l = exAnd{l, p.comparison()}
	}
	return l
}

var generalOps = map[string]bool{"=": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}
var valueOps = map[string]bool{"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true}

func (p *parser) comparison() expr {
	l := p.rangeExpr()
	t := p.peek()
	if (t.kind == tOp && generalOps[t.text]) || (t.kind == tName && valueOps[t.text]) {
		p.next()
		return exCmp{op: t.text, general: t.kind == tOp, l: l, r: p.rangeExpr()}
	}
	return l
}

func (p *parser) rangeExpr() expr {
	l := p.additive()
	if p.accept("to") {
		return exRange{l, p.additive()}
	}
	return l
}

func (p *parser) additive() expr {
	l := p.multiplicative()
	for {
		switch {
		case p.accept("+"):
			l = exArith{"+", l, p.multiplicative()}
		case p.accept("-"):
			l = exArith{"-", l, p.multiplicative()}
		default:
			return l
		}
	}
}

func (p *parser) multiplicative() expr {
	l := p.union()
	for {
		t := p.peek()
		switch {
		case t.kind == tStar:
			p.next()
			l = exArith{"*", l, p.union()}
		case t.kind == tName && (t.text == "div" || t.text == "idiv" || t.text == "mod"):
			p.next()
			l = exArith{t.text, l, p.union()}
		default:
			return l
		}
	}
}

func (p *parser) union() expr {
	l := p.intersect()
	for p.accept("|") || p.accept("union") {
		l = exUnion{"union", l, p.intersect()}
	}
	return l
}

func (p *parser) intersect() expr {
	l := p.unary()
	for {
		switch {
		case p.accept("intersect"):
			l = exUnion{"intersect", l, p.unary()}
		case p.accept("except"):
			l = exUnion{"except", l, p.unary()}
		default:
			return l
		}
	}
}

func (p *parser) unary() expr {
	neg := false
	for {
		switch {
		case p.accept("-"):
			neg = !neg
			continue
		case p.accept("+"):
			continue
		}
		break
	}
	e := p.cast()
	if neg {
		return exNeg{e}
	}
	return e
}

// cast parses "E cast as T", "E castable as T" and "E instance of T" (atomic types only).
func (p *parser) cast() expr {
	e := p.path()
	for {
		t := p.peek()
		if t.kind != tName || (t.text != "cast" && t.text != "castable" && t.text != "instance") {
			return e
		}
		kw := p.peekN(1)
		if !(kw.kind == tName && ((t.text == "instance" && kw.text == "of") || (t.text != "instance" && kw.text == "as"))) {
			return e
		}
		p.next()
		p.next()
		typ := p.next()
		if typ.kind != tName {
			p.fail("expected a type name")
		}
		name := typ.text
		if p.isOp("?") {
			p.next()
			name += "?"
		}
		switch t.text {
		case "cast":
			e = exCall{strings.TrimSuffix(name, "?"), []expr{e}}
		case "castable":
			e = exCastable{e, strings.TrimSuffix(name, "?")}
		default:
			e = exInstance{e, name}
		}
	}
}

var kindTests = map[string]bool{"node": true, "text": true, "element": true, "attribute": true, "comment": true,
	"document-node": true, "processing-instruction": true}

// knownAxis reports whether the evaluator walks axis: those of axes and the descendant
// attribute step optimize makes.
func knownAxis(axis string) bool {
	switch axis {
	case "child", "descendant", "descendant-or-self", "self", "parent", "ancestor", "ancestor-or-self",
		"attribute", "following", "following-sibling", "preceding", "preceding-sibling", "descendant-attribute":
		return true
	}
	return false
}

var axes = map[string]bool{"child": true, "descendant": true, "descendant-or-self": true, "self": true, "parent": true,
	"ancestor": true, "ancestor-or-self": true, "attribute": true, "following": true, "following-sibling": true,
	"preceding": true, "preceding-sibling": true}

// startsStep reports whether the next token can start a step of a relative path.
func (p *parser) startsStep() bool {
	t := p.peek()
	switch t.kind {
	case tName, tStar, tString, tNumber, tVar:
		return true
	case tOp:
		return t.text == "(" || t.text == "." || t.text == ".." || t.text == "@"
	}
	return false
}

func (p *parser) path() expr {
	var steps []expr
	abs := false
	switch {
	case p.accept("//"):
		abs = true
		steps = append(steps, descendantOrSelf())
	case p.accept("/"):
		abs = true
		if !p.startsStep() {
			return exRoot{}
		}
	}
	steps = append(steps, p.step())
	for {
		if p.accept("//") {
			steps = append(steps, descendantOrSelf(), p.step())
		} else if p.accept("/") {
			steps = append(steps, p.step())
		} else {
			break
		}
	}
	// descendant-or-self::node()/child::x is descendant::x when x has no positional predicate.
	for i := 0; i+1 < len(steps); i++ {
		s, ok := steps[i].(exStep)
		nx, ok2 := steps[i+1].(exStep)
		if ok && ok2 && s.axis == "descendant-or-self" && s.test.kind == "node" && len(s.preds) == 0 &&
			(nx.axis == "child" || nx.axis == "attribute") && (len(nx.preds) == 0 || !positional(nx.preds)) {
			steps[i+1] = exStep{axis: map[string]string{"child": "descendant", "attribute": "descendant-attribute"}[nx.axis], test: nx.test, preds: nx.preds}
			steps = append(steps[:i], steps[i+1:]...)
		}
	}
	if abs && len(steps) == 0 {
		return exRoot{}
	}
	if !abs && len(steps) == 1 {
		if _, isStep := steps[0].(exStep); !isStep {
			return steps[0]
		}
	}
	return exPath{abs: abs, steps: steps}
}

func descendantOrSelf() exStep {
	return exStep{axis: "descendant-or-self", test: nodeTest{kind: "node"}}
}

func (p *parser) step() expr {
	t := p.peek()
	switch {
	case t.kind == tOp && t.text == "..":
		p.next()
		return exStep{axis: "parent", test: nodeTest{kind: "node"}, preds: p.predicates()}
	case t.kind == tOp && t.text == "@":
		p.next()
		return exStep{axis: "attribute", test: p.nodeTest(), preds: p.predicates()}
	case t.kind == tName && p.peekN(1).kind == tOp && p.peekN(1).text == "::":
		if !axes[t.text] {
			p.fail("unknown axis %s", t.text)
		}
		p.next()
		p.next()
		return exStep{axis: t.text, test: p.nodeTest(), preds: p.predicates()}
	case t.kind == tStar || (t.kind == tName && !(p.peekN(1).kind == tOp && p.peekN(1).text == "(")) ||
		(t.kind == tName && kindTests[t.text]):
		return exStep{axis: "child", test: p.nodeTest(), preds: p.predicates()}
	}
	prim := p.primary()
	preds := p.predicates()
	if len(preds) == 0 {
		return prim
	}
	return exFilter{prim, preds}
}

func (p *parser) nodeTest() nodeTest {
	t := p.next()
	switch t.kind {
	case tStar:
		return nodeTest{kind: "name", prefix: "*", local: "*"}
	case tName:
		if kindTests[t.text] && p.isOp("(") {
			p.next()
			// element(name) and attribute(name) are not needed; accept an empty list only.
			p.expect(")")
			return nodeTest{kind: t.text}
		}
		prefix, local, ok := strings.Cut(t.text, ":")
		if !ok {
			return nodeTest{kind: "name", local: prefix}
		}
		return nodeTest{kind: "name", prefix: prefix, local: local}
	}
	p.fail("expected a node test, found %q", t.text)
	return nodeTest{}
}

func (p *parser) predicates() []expr {
	var preds []expr
	for p.accept("[") {
		preds = append(preds, p.expr())
		p.expect("]")
	}
	return preds
}

func (p *parser) primary() expr {
	t := p.next()
	switch t.kind {
	case tString:
		return exLiteral{t.text}
	case tNumber:
		if !strings.ContainsAny(t.text, "eE") {
			d, err := decimal.NewFromString(t.text)
			if err != nil {
				p.fail("bad number %q", t.text)
			}
			return exLiteral{dec{d}}
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			p.fail("bad number %q", t.text)
		}
		return exLiteral{f}
	case tVar:
		return exVar{t.text}
	case tName:
		p.expect("(")
		var args []expr
		if !p.accept(")") {
			for {
				args = append(args, p.exprSingle())
				if p.accept(")") {
					break
				}
				p.expect(",")
			}
		}
		return exCall{t.text, args}
	case tOp:
		switch t.text {
		case "(":
			if p.accept(")") {
				return exSeq{}
			}
			e := p.expr()
			p.expect(")")
			return e
		case ".":
			return exContext{}
		}
	}
	p.i--
	p.fail("unexpected %q", t.text)
	return nil
}
