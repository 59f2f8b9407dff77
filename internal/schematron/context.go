package schematron

// Rule contexts matched element by element, as an XSLT processor matches a pattern: from
// the element up through its ancestors, rather than evaluating the context as a path from
// the document node. An element is only tried against the rules whose context ends with
// its name, found through the document's name index, and not at all once an earlier rule
// of the pattern has claimed it.

import "strings"

// contextMatch is a rule context compiled for matching: a union of paths from the document
// node, each a first child or descendant step, then child steps, every step an element name
// test whose predicates compiled safe (so that matching an element raises no error and
// needs no position).
type contextMatch struct {
	paths []matchPath
}

type matchPath struct {
	steps []matchStep
	// suffix is the suffix a name the last step selects must end with: its first predicate
	// is ends-with(name(), suffix), the suffix without a colon.
	suffix string
}

type matchStep struct {
	nodeStep
	preds []cond
}

// compileContext compiles the matcher of a rule context (see matcher); ok is false when it
// is not of that shape.
func (en *env) compileContext(match expr) (*contextMatch, bool) {
	m := &contextMatch{}
	var add func(e expr) bool
	add = func(e expr) bool {
		switch x := e.(type) {
		case exUnion:
			return x.op == "union" && add(x.l) && add(x.r)
		case exPath:
			p, ok := en.compileMatchPath(x)
			m.paths = append(m.paths, p)
			return ok
		}
		return false
	}
	if !add(match) {
		return nil, false
	}
	return m, true
}

func (en *env) compileMatchPath(x exPath) (matchPath, bool) {
	var p matchPath
	if !x.abs || len(x.steps) == 0 {
		return p, false
	}
	for i, e := range x.steps {
		st, isStep := e.(exStep)
		if !isStep {
			return p, false
		}
		if st.axis != "child" && !(i == 0 && st.axis == "descendant") {
			return p, false
		}
		compiled, ok := en.compileSteps([]expr{exStep{axis: st.axis, test: st.test}})
		if !ok || compiled[0].kind != tkName {
			return p, false
		}
		ms := matchStep{nodeStep: compiled[0]}
		for _, pe := range st.preds {
			k, ok := en.compileCond(pe)
			if !ok || !k.safe {
				return p, false
			}
			ms.preds = append(ms.preds, k)
		}
		p.steps = append(p.steps, ms)
	}
	if last := x.steps[len(x.steps)-1].(exStep); len(last.preds) > 0 {
		p.suffix = en.nameSuffix(last.preds[0])
	}
	return p, true
}

// nameSuffix is the literal of the leftmost operand of e's conjunctions when it is
// ends-with(name(), 'literal') and the literal has no colon, "" otherwise. Such a suffix
// ends the name exactly when it ends the local name.
func (en *env) nameSuffix(e expr) string {
	for {
		and, isAnd := e.(exAnd)
		if !isAnd {
			break
		}
		e = and.l
	}
	call, isCall := e.(exCall)
	if !isCall || !en.standard(call, "ends-with", 2) {
		return ""
	}
	name, isName := call.args[0].(exCall)
	lit, isLit := call.args[1].(exLiteral)
	if !isName || !isLit || !en.standard(name, "name", 0) {
		return ""
	}
	suffix, _ := lit.v.(string)
	if strings.Contains(suffix, ":") {
		return ""
	}
	return suffix
}

// mark sets firing[n.at] to rule for every element the context matches that no earlier
// rule claimed (firing[n.at] == 0).
func (m *contextMatch) mark(c *ctx, doc *Document, firing []int32, rule int32) {
	for i := range m.paths {
		p := &m.paths[i]
		last := &p.steps[len(p.steps)-1].nodeStep
		if last.fullName() {
			p.markAll(c, doc.byName.elements(elemName{last.space, last.local}), firing, rule)
			continue
		}
		for k, name := range doc.byName.names {
			if (last.anySpace || name.space == last.space) && (last.anyLocal || name.local == last.local) &&
				strings.HasSuffix(name.local, p.suffix) {
				p.markAll(c, doc.byName.lists[k], firing, rule)
			}
		}
	}
}

func (p *matchPath) markAll(c *ctx, elements []*Node, firing []int32, rule int32) {
	for _, n := range elements {
		if firing[n.at] == 0 && p.matches(c, n) {
			firing[n.at] = rule
		}
	}
}

// matches reports whether the element n is one the path selects from the document node.
func (p *matchPath) matches(c *ctx, n *Node) bool {
	m := n
	for i := len(p.steps) - 1; i >= 0; i-- {
		s := &p.steps[i]
		if m == nil || !s.accepts(m, ElementNode) {
			return false
		}
		for _, k := range s.preds {
			c.item = m
			if !k.holds(c, m) {
				return false
			}
		}
		if s.axis == axDescendant {
			return true // the first step: every element descends from the document node
		}
		m = m.Parent
	}
	return m == c.root
}
