package schematron

// Name tests resolved when a schema is compiled: evaluating a step would otherwise look its
// prefix up in the schema's namespaces at every node it starts from, and the rule sets
// evaluate tens of thousands of steps per document.

// resolve returns e with every name test whose prefix the environment declares bound to its
// namespace URI (see nodeTest.bound). An undeclared prefix stays as it is: testing a node
// against it fails at evaluation, as it must.
func (en *env) resolve(e expr) expr {
	all := func(es []expr) []expr {
		if es == nil {
			return nil
		}
		out := make([]expr, len(es))
		for i, x := range es {
			out[i] = en.resolve(x)
		}
		return out
	}
	switch x := e.(type) {
	case exSeq:
		return exSeq{all(x.items)}
	case exFor:
		return exFor{x.vars, all(x.ins), en.resolve(x.ret)}
	case exQuant:
		return exQuant{x.every, x.vars, all(x.ins), en.resolve(x.sat)}
	case exIf:
		return exIf{en.resolve(x.cond), en.resolve(x.then), en.resolve(x.els)}
	case exOr:
		return exOr{en.resolve(x.l), en.resolve(x.r)}
	case exAnd:
		return exAnd{en.resolve(x.l), en.resolve(x.r)}
	case exCmp:
		return exCmp{x.op, x.general, en.resolve(x.l), en.resolve(x.r)}
	case exRange:
		return exRange{en.resolve(x.l), en.resolve(x.r)}
	case exArith:
		return exArith{x.op, en.resolve(x.l), en.resolve(x.r)}
	case exNeg:
		return exNeg{en.resolve(x.e)}
	case exUnion:
		return exUnion{x.op, en.resolve(x.l), en.resolve(x.r)}
	case exCall:
		return exCall{x.name, all(x.args)}
	case exCastable:
		return exCastable{en.resolve(x.e), x.typ}
	case exInstance:
		return exInstance{en.resolve(x.e), x.typ}
	case exPath:
		p := exPath{abs: x.abs, steps: all(x.steps), plain: plainNo}
		if c := (&ctx{env: en}); len(p.steps) > 0 && c.plainSteps(p.steps) {
			p.plain = plainYes
		}
		return p
	case exStep:
		t := x.test
		if t.kind == "name" && t.prefix != "*" && t.prefix != "" {
			t.uri, t.bound = en.ns[t.prefix]
		}
		return exStep{x.axis, t, all(x.preds)}
	case exFilter:
		return exFilter{en.resolve(x.prim), all(x.preds)}
	}
	return e
}
