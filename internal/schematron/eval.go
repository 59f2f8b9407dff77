package schematron

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
)

// Items of a sequence: *Node, string (xs:string), untyped (the typed value of a node:
// xs:untypedAtomic), dec (xs:decimal and xs:integer literals, xs:decimal casts), float64
// (xs:double: number(), counts, positions) or bool.
type (
	item    = any
	untyped string
	seq     []item
	dec     struct{ d decimal.Decimal }
)

// evalError is a dynamic error (the XPath expression cannot be evaluated on this document).
type evalError struct{ msg string }

func (e evalError) Error() string { return e.msg }

func fail(format string, args ...any) { panic(evalError{fmt.Sprintf(format, args...)}) }

// scope is a chain of variable bindings.
type scope struct {
	name string
	val  seq
	up   *scope
}

func (s *scope) lookup(name string) (seq, bool) {
	for ; s != nil; s = s.up {
		if s.name == name {
			return s.val, true
		}
	}
	return nil, false
}

func (s *scope) bind(name string, v seq) *scope { return &scope{name, v, s} }

// env is what every evaluation of one schema shares: namespaces and functions.
type env struct {
	ns    map[string]string
	funcs map[string]*function
	// shadowing tells that a user function has the name of a standard one (no prefix, or
	// fn:), so that the fast paths of standard functions must look funcs up first.
	shadowing bool
	regex     map[string]*regexpEntry
}

// ctx is the dynamic context of an evaluation.
type ctx struct {
	item      item // the context item; nil when absent
	pos, size int
	vars      *scope
	env       *env
	root      *Node
	all       []*Node // the document's nodes but attributes, in document order
	byName    *elementIndex
}

func (c *ctx) with(it item, pos, size int) *ctx {
	d := *c
	d.item, d.pos, d.size = it, pos, size
	return &d
}

func (c *ctx) eval(e expr) seq {
	switch x := e.(type) {
	case exLiteral:
		return seq{x.v}
	case exSeq:
		var out seq
		for _, it := range x.items {
			out = append(out, c.eval(it)...)
		}
		return out
	case exContext:
		if c.item == nil {
			fail("the context item is absent")
		}
		return seq{c.item}
	case exRoot:
		return seq{c.root}
	case exVar:
		v, ok := c.vars.lookup(x.name)
		if !ok {
			fail("unknown variable $%s", x.name)
		}
		return v
	case exIf:
		if c.truth(x.cond) {
			return c.eval(x.then)
		}
		return c.eval(x.els)
	case exOr:
		return seq{c.truth(x.l) || c.truth(x.r)}
	case exAnd:
		return seq{c.truth(x.l) && c.truth(x.r)}
	case exCmp:
		return c.compare(x)
	case exRange:
		l, r := atomize(c.eval(x.l)), atomize(c.eval(x.r))
		if len(l) == 0 || len(r) == 0 {
			return nil
		}
		a, b := int(toNumber(l[0])), int(toNumber(r[0]))
		var out seq
		for i := a; i <= b; i++ {
			out = append(out, float64(i))
		}
		return out
	case exArith:
		return arith(x.op, c.eval(x.l), c.eval(x.r))
	case exNeg:
		v := atomize(c.eval(x.e))
		if len(v) == 0 {
			return nil
		}
		if d, ok := v[0].(dec); ok {
			return seq{dec{d.d.Neg()}}
		}
		return seq{-toNumber(v[0])}
	case exUnion:
		return setOp(x.op, c.eval(x.l), c.eval(x.r))
	case exFor:
		return c.forExpr(x.vars, x.ins, x.ret, 0)
	case exQuant:
		return seq{c.quant(x, 0)}
	case exCall:
		return c.call(x)
	case exPath:
		return c.path(x)
	case exStep:
		n, ok := c.item.(*Node)
		if !ok {
			fail("a path step needs a node as context item")
		}
		return c.step(n, x)
	case exFilter:
		return c.filter(c.eval(x.prim), x.preds)
	case exCastable:
		v := c.eval(x.e)
		_, err := safeEval(c, exCall{x.typ, []expr{exLiteral{seqItem(v)}}})
		return seq{len(atomize(v)) <= 1 && err == nil}
	case exInstance:
		return seq{instanceOf(c.eval(x.e), x.typ)}
	}
	fail("cannot evaluate %T", e)
	return nil
}

func (c *ctx) forExpr(vars []string, ins []expr, ret expr, i int) seq {
	if i == len(vars) {
		return c.eval(ret)
	}
	var out seq
	for _, it := range c.eval(ins[i]) {
		d := *c
		d.vars = c.vars.bind(vars[i], seq{it})
		out = append(out, d.forExpr(vars, ins, ret, i+1)...)
	}
	return out
}

func (c *ctx) quant(x exQuant, i int) bool {
	if i == len(x.vars) {
		return c.truth(x.sat)
	}
	for _, it := range c.eval(x.ins[i]) {
		d := *c
		d.vars = c.vars.bind(x.vars[i], seq{it})
		if r := d.quant(x, i+1); r != x.every {
			return r
		}
	}
	return x.every
}

// path evaluates a path expression step by step, keeping node results in document order
// without duplicates.
func (c *ctx) path(x exPath) seq {
	var cur seq
	steps := x.steps
	if x.abs {
		cur = seq{c.root}
	} else {
		cur = c.eval(steps[0])
		steps = steps[1:]
	}
	for _, st := range steps {
		var next seq
		allNodes := true
		for i, it := range cur {
			n, ok := it.(*Node)
			if !ok {
				fail("a path step needs nodes, found %v", it)
			}
			var r seq
			if s, ok := st.(exStep); ok {
				r = c.step(n, s)
			} else {
				r = c.with(n, i+1, len(cur)).eval(st)
			}
			for _, v := range r {
				if _, ok := v.(*Node); !ok {
					allNodes = false
				}
			}
			next = append(next, r...)
		}
		if allNodes && len(cur) > 1 {
			next = docOrder(next)
		}
		cur = next
	}
	return cur
}

// docOrder sorts nodes into document order and removes duplicates.
func docOrder(s seq) seq {
	if len(s) < 2 || inDocOrder(s) {
		return s
	}
	slices.SortFunc(s, func(a, b item) int { return int(a.(*Node).order - b.(*Node).order) })
	out := s[:1]
	for _, v := range s[1:] {
		if v.(*Node) != out[len(out)-1].(*Node) {
			out = append(out, v)
		}
	}
	return out
}

// inDocOrder reports whether the nodes of s are already in document order without
// duplicates, as child steps from nodes of one depth give them.
func inDocOrder(s seq) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1].(*Node).order >= s[i].(*Node).order {
			return false
		}
	}
	return true
}

// filter keeps the items of s for which every predicate holds, in turn.
func (c *ctx) filter(s seq, preds []expr) seq {
	for _, p := range preds {
		var kept seq
		for i, it := range s {
			r := c.with(it, i+1, len(s)).eval(p)
			if len(r) == 1 {
				switch f := r[0].(type) {
				case float64:
					if f == float64(i+1) {
						kept = append(kept, it)
					}
					continue
				case dec:
					if f.d.Equal(decimal.NewFromInt(int64(i + 1))) {
						kept = append(kept, it)
					}
					continue
				}
			}
			if ebv(r) {
				kept = append(kept, it)
			}
		}
		s = kept
	}
	return s
}
