package schematron

// Effective boolean values computed without building sequences: the rule sets are mostly
// tests of presence (not(cbc:X), not(@x) or …) and rule contexts filtering names
// (//*[ends-with(name(), 'Amount')]), evaluated for every element and assert.

import "strings"

// truth is the effective boolean value of e, ebv(c.eval(e)), with the same result and the
// same errors, but without the intermediate sequences of the boolean operators and
// functions, and stopping a path of plain steps at the first node it selects.
func (c *ctx) truth(e expr) bool {
	switch x := e.(type) {
	case exOr:
		return c.truth(x.l) || c.truth(x.r)
	case exAnd:
		return c.truth(x.l) && c.truth(x.r)
	case exPath:
		if from, ok := c.plainStart(x); ok {
			return c.selectsAny(from, x.steps, nil)
		}
	case exCall:
		if v, ok := c.callTruth(x); ok {
			return v
		}
	case exCmp:
		if v, ok := c.compareCount(x); ok {
			return v
		}
	}
	return ebv(c.eval(e))
}

// compareCount is the value of a comparison of count(P), P a plain path (see countPlain),
// with a number literal, "count(cac:Note) <= 1", the shape of most syntax rules: both
// operands are single numbers, so that the general and the value comparison are the one
// comparison of the two, which cannot fail.
func (c *ctx) compareCount(x exCmp) (v, ok bool) {
	count, lit := x.l, x.r
	swapped := false
	if _, isLit := count.(exLiteral); isLit {
		count, lit, swapped = x.r, x.l, true
	}
	call, isCall := count.(exCall)
	l, isLit := lit.(exLiteral)
	if !isCall || !isLit || c.userFunc(call.name) {
		return false, false
	}
	switch l.v.(type) {
	case dec, float64:
	default:
		return false, false
	}
	n, plain := c.countPlain(call)
	if !plain {
		return false, false
	}
	op := x.op
	if x.general {
		op = valueOp(op)
	}
	if swapped {
		return compareAtomic(op, l.v, float64(n)), true
	}
	return compareAtomic(op, float64(n), l.v), true
}

// callTruth is the truth of the calls truth knows (not, boolean, exists, empty,
// ends-with(name(), '…')); ok is false for any other call, a user function of that name
// included.
func (c *ctx) callTruth(x exCall) (v, ok bool) {
	if c.userFunc(x.name) {
		return false, false
	}
	switch builtin(x.name) {
	case "not":
		if len(x.args) == 1 {
			return !c.truth(x.args[0]), true
		}
	case "boolean":
		if len(x.args) == 1 {
			return c.truth(x.args[0]), true
		}
	case "exists", "empty":
		if len(x.args) != 1 {
			break
		}
		if p, isPath := x.args[0].(exPath); isPath {
			if from, plain := c.plainStart(p); plain {
				return c.selectsAny(from, p.steps, nil) == (builtin(x.name) == "exists"), true
			}
		}
	case "ends-with":
		if suffix, ok := c.nameSuffix(x); ok {
			n := c.item.(*Node)
			return strings.HasSuffix(n.Name(), suffix), true
		}
	}
	return false, false
}

// nameSuffix is the literal of ends-with(name(), 'literal') when the context item is a
// node, the only case where the call is its name's suffix test.
func (c *ctx) nameSuffix(x exCall) (string, bool) {
	if _, isNode := c.item.(*Node); !isNode {
		return "", false
	}
	return c.nameSuffixOf(x)
}

// nameSuffixOf is the literal of ends-with(name(), 'literal'), whatever the context item.
func (c *ctx) nameSuffixOf(x exCall) (string, bool) {
	if len(x.args) != 2 {
		return "", false
	}
	name, isCall := x.args[0].(exCall)
	lit, isLit := x.args[1].(exLiteral)
	if !isCall || !isLit || len(name.args) != 0 || builtin(name.name) != "name" || c.userFunc(name.name) {
		return "", false
	}
	suffix, isString := lit.v.(string)
	return suffix, isString
}

// userFunc reports whether a user function has the name of a standard function.
func (c *ctx) userFunc(name string) bool {
	if !c.env.shadowing {
		return false
	}
	_, ok := c.env.funcs[name]
	return ok
}

// builtin is the name of a standard function without its optional fn: prefix.
func builtin(name string) string { return strings.TrimPrefix(name, "fn:") }

// plainStart is the node a path starts from when the path is plain: its first step any
// axis step or a union of plain relative paths, the others child, attribute or self steps
// (so that no node is reached twice), none with a predicate, every name test resolvable. Such
// a path cannot raise an error, so that stopping at its first node skips nothing the full
// evaluation would report.
func (c *ctx) plainStart(p exPath) (*Node, bool) {
	switch p.plain {
	case plainNo:
		return nil, false
	case plainUnknown:
		if len(p.steps) == 0 || !c.plainSteps(p.steps) {
			return nil, false
		}
	}
	if p.abs {
		return c.root, true
	}
	n, ok := c.item.(*Node)
	return n, ok
}

func (c *ctx) plainSteps(steps []expr) bool {
	for i, e := range steps {
		switch s := e.(type) {
		case exStep:
			if len(s.preds) > 0 || !c.resolvable(s.test) || !knownAxis(s.axis) {
				return false
			}
			if i > 0 && s.axis != "child" && s.axis != "attribute" && s.axis != "self" {
				return false
			}
		case exUnion:
			if i > 0 || !c.plainBranch(s) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// plainBranch reports whether a union's operands are plain relative paths or unions of them.
func (c *ctx) plainBranch(u exUnion) bool {
	if u.op != "union" {
		return false
	}
	for _, e := range []expr{u.l, u.r} {
		switch x := e.(type) {
		case exPath:
			if x.abs || !c.plainSteps(x.steps) {
				return false
			}
		case exUnion:
			if !c.plainBranch(x) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// resolvable reports whether testing a node against t cannot fail.
func (c *ctx) resolvable(t nodeTest) bool {
	if t.bound || t.kind != "name" || t.prefix == "*" || t.prefix == "" {
		return true
	}
	_, ok := c.env.ns[t.prefix]
	return ok
}

// selectsAny reports whether the plain steps (see plainStart), followed by then, select a
// node from n.
func (c *ctx) selectsAny(n *Node, steps, then []expr) bool {
	if len(steps) == 0 {
		return len(then) == 0 || c.selectsAny(n, then, nil)
	}
	switch s := steps[0].(type) {
	case exUnion:
		return c.selectsAny(n, branchSteps(s.l), steps[1:]) || c.selectsAny(n, branchSteps(s.r), steps[1:])
	case exStep:
		found := false
		c.walk(n, s, func(m *Node) bool {
			found = c.selectsAny(m, steps[1:], then)
			return !found
		})
		return found
	}
	panic("schematron: selectsAny on a path that is not plain")
}

// branchSteps is the steps of an operand of a plain union: the steps of a path, or the
// union itself as one step.
func branchSteps(e expr) []expr {
	if p, ok := e.(exPath); ok {
		return p.steps
	}
	return []expr{e}
}

// countPlain is count(P) for a plain path P without a union (see plainStart): its axes
// reach every node once, so that counting them as they are found needs no sequence.
func (c *ctx) countPlain(x exCall) (int, bool) {
	if builtin(x.name) != "count" || len(x.args) != 1 {
		return 0, false
	}
	p, ok := x.args[0].(exPath)
	if !ok {
		return 0, false
	}
	for _, st := range p.steps {
		if _, isStep := st.(exStep); !isStep {
			return 0, false
		}
	}
	from, ok := c.plainStart(p)
	if !ok {
		return 0, false
	}
	return c.countFrom(from, p.steps), true
}

func (c *ctx) countFrom(n *Node, steps []expr) int {
	if len(steps) == 0 {
		return 1
	}
	total := 0
	c.walk(n, steps[0].(exStep), func(m *Node) bool {
		total += c.countFrom(m, steps[1:])
		return true
	})
	return total
}

// eachPlain calls visit with every node a plain path (see plainStart), or a union of plain
// paths, selects from the context, in no particular order and possibly more than once,
// building no sequence; ok is false, and nothing is visited, for any other expression. Run
// marks the elements a rule context matches with it.
func (c *ctx) eachPlain(e expr, visit func(*Node)) (ok bool) {
	if !c.isPlain(e) {
		return false
	}
	switch x := e.(type) {
	case exUnion:
		c.eachPlain(x.l, visit)
		c.eachPlain(x.r, visit)
	case exPath:
		from, _ := c.plainStart(x)
		c.eachFrom(from, x.steps, nil, visit)
	}
	return true
}

// isPlain reports whether eachPlain can visit e.
func (c *ctx) isPlain(e expr) bool {
	switch x := e.(type) {
	case exUnion:
		return x.op == "union" && c.isPlain(x.l) && c.isPlain(x.r)
	case exPath:
		_, ok := c.plainStart(x)
		return ok
	}
	return false
}

// eachFrom visits the nodes the plain steps, followed by then, select from n (see
// selectsAny).
func (c *ctx) eachFrom(n *Node, steps, then []expr, visit func(*Node)) {
	if len(steps) == 0 {
		if len(then) == 0 {
			visit(n)
			return
		}
		c.eachFrom(n, then, nil, visit)
		return
	}
	switch s := steps[0].(type) {
	case exUnion:
		c.eachFrom(n, branchSteps(s.l), steps[1:], visit)
		c.eachFrom(n, branchSteps(s.r), steps[1:], visit)
	case exStep:
		c.walk(n, s, func(m *Node) bool {
			c.eachFrom(m, steps[1:], then, visit)
			return true
		})
	}
}
