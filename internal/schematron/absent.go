package schematron

// Asserts decided by the names a document lacks: most official syntax rules test that an
// element is absent (not(cac:X/cbc:Y)), and an ordinary invoice holds none of the hundreds
// of elements they forbid. A test whose value is known as soon as one element name is
// missing from the document is not evaluated when it is missing.

// decider is what decides an assert without evaluating it: when the document lacks an
// element of any of the names, the test's effective boolean value is value.
type decider struct {
	names []int // indexes into Schema.names
	value bool
}

// nameIndex interns the element and attribute names the deciders of a schema use.
type nameIndex struct {
	names []nodeName
	index map[nodeName]int
	attrs bool // some names are attribute names
}

// nodeName is the expanded name of an element or, with attr, of an attribute.
type nodeName struct {
	elemName
	attr bool
}

func (x *nameIndex) of(n nodeName) int {
	if i, ok := x.index[n]; ok {
		return i
	}
	if x.index == nil {
		x.index = map[nodeName]int{}
	}
	x.attrs = x.attrs || n.attr
	x.index[n] = len(x.names)
	x.names = append(x.names, n)
	return x.index[n]
}

// present tells, for each interned name, whether doc holds an element (an attribute) of
// that name.
func (x *nameIndex) present(doc *Document) []bool {
	out := make([]bool, len(x.names))
	for _, n := range doc.byName.names {
		if i, ok := x.index[nodeName{n, false}]; ok {
			out[i] = true
		}
	}
	if !x.attrs {
		return out
	}
	for _, n := range doc.all {
		for _, a := range n.Attrs {
			if i, ok := x.index[nodeName{elemName{a.Space, a.Local}, true}]; ok {
				out[i] = true
			}
		}
	}
	return out
}

// decided reports whether the document, holding the names present says, decides the
// assert's test, and its value then.
func (d *decider) decided(present []bool) (value, ok bool) {
	if d == nil {
		return false, false
	}
	for _, i := range d.names {
		if !present[i] {
			return d.value, true
		}
	}
	return false, false
}

// deciderOf analyses a test: the names whose absence makes it true, else those whose
// absence makes it false; nil when there are none.
func (s *Schema) deciderOf(test expr) *decider {
	for _, value := range []bool{true, false} {
		if names := s.absentMakes(test, value); len(names) > 0 {
			d := &decider{value: value}
			for _, n := range names {
				d.names = append(d.names, s.names.of(n))
			}
			return d
		}
	}
	return nil
}

// absentMakes lists element names any of which, missing from a document, makes the
// effective boolean value of e equal value without an error on any context element. It
// follows the evaluation order of truth: the left operand of or and and is evaluated first,
// so only its names can decide.
func (s *Schema) absentMakes(e expr, value bool) []nodeName {
	switch x := e.(type) {
	case exOr:
		if value {
			return s.absentMakes(x.l, true)
		}
	case exAnd:
		if !value {
			return s.absentMakes(x.l, false)
		}
	case exCall:
		if _, user := s.env.funcs[x.name]; user || len(x.args) != 1 {
			return nil
		}
		switch builtin(x.name) {
		case "not":
			return s.absentMakes(x.args[0], !value)
		case "boolean":
			return s.absentMakes(x.args[0], value)
		case "exists":
			if !value {
				return s.emptiedBy(x.args[0])
			}
		case "empty":
			if value {
				return s.emptiedBy(x.args[0])
			}
		}
	case exPath:
		if !value {
			return s.emptiedBy(x)
		}
	}
	return nil
}

// emptiedBy lists element and attribute names any of which, missing from a document, makes
// the path e select nothing: the names of its child, descendant and attribute steps reached
// by steps that cannot fail (see ctx.plainSteps) and have no predicate, that step's own
// predicates not evaluated when it finds nothing.
func (s *Schema) emptiedBy(e expr) []nodeName {
	p, ok := e.(exPath)
	if !ok {
		return nil
	}
	c := &ctx{env: s.env}
	var names []nodeName
	for i, st := range p.steps {
		step, isStep := st.(exStep)
		if !isStep {
			if u, isUnion := st.(exUnion); isUnion && i == 0 && c.plainBranch(u) {
				continue
			}
			break
		}
		if !c.resolvable(step.test) || !knownAxis(step.axis) {
			break
		}
		t := step.test
		if t.kind == "name" && t.local != "*" && t.prefix != "*" {
			name := elemName{s.env.ns[t.prefix], t.local}
			switch step.axis {
			case "child", "descendant":
				names = append(names, nodeName{name, false})
			case "attribute", "descendant-attribute":
				names = append(names, nodeName{name, true})
			}
		}
		if len(step.preds) > 0 {
			break
		}
	}
	return names
}
