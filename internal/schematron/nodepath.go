package schematron

// Paths compiled once per schema: their axes and name tests decoded into plain values, so
// that testing a path for a node or counting its nodes is a loop over the tree, with no
// expression to switch on and no sequence.

// nodePath is a compiled path: a plain path (see ctx.plainStart) but that its steps may
// have predicates that compile safe (see cond), which cannot fail nor depend on the
// position, so that the path reaches each node once and cannot fail either.
type nodePath struct {
	abs bool
	// heads are the branches of a union first step, each a list of steps, then followed
	// by steps; nil when the first step is not a union.
	heads [][]nodeStep
	steps []nodeStep
}

// nodeStep is a compiled axis step without predicate.
type nodeStep struct {
	axis     axisKind
	kind     testKind
	space    string // the namespace URI of a name test, unless anySpace
	local    string // the local name of a name test, unless anyLocal
	anySpace bool
	anyLocal bool
	preds    []cond // safe, and not reading c.item
}

type axisKind uint8

const (
	axChild axisKind = iota
	axAttribute
	axSelf
	axParent
	axDescendant
	axDescendantOrSelf
	axDescendantAttribute
	axAncestor
	axAncestorOrSelf
)

var axisKinds = map[string]axisKind{"child": axChild, "attribute": axAttribute, "self": axSelf, "parent": axParent,
	"descendant": axDescendant, "descendant-or-self": axDescendantOrSelf, "descendant-attribute": axDescendantAttribute,
	"ancestor": axAncestor, "ancestor-or-self": axAncestorOrSelf}

type testKind uint8

const (
	tkName testKind = iota
	tkNode
	tkText
	tkElement
	tkAttribute
	tkDocument
	tkNone // comment() and processing-instruction(): the tree holds neither
)

var testKinds = map[string]testKind{"name": tkName, "node": tkNode, "text": tkText, "element": tkElement,
	"attribute": tkAttribute, "document-node": tkDocument, "comment": tkNone, "processing-instruction": tkNone}

// compilePath compiles a resolved path of that shape (see env.resolve); ok is false for any
// other expression, and for the axes it does not walk.
func (en *env) compilePath(e expr) (p nodePath, ok bool) {
	x, isPath := e.(exPath)
	if !isPath || len(x.steps) == 0 {
		return p, false
	}
	p.abs = x.abs
	steps := optimize(exPath{steps: x.steps}).steps
	if u, isUnion := steps[0].(exUnion); isUnion {
		if p.heads, ok = en.compileBranches(u, nil); !ok {
			return p, false
		}
		steps = steps[1:]
	}
	if p.steps, ok = en.compileSteps(steps); !ok {
		return p, false
	}
	// After the first step, only axes that reach a node once from each node.
	for i, s := range p.steps {
		if (i > 0 || p.heads != nil) && s.axis != axChild && s.axis != axAttribute && s.axis != axSelf {
			return p, false
		}
	}
	for _, h := range p.heads {
		for _, s := range h[1:] {
			if s.axis != axChild && s.axis != axAttribute && s.axis != axSelf {
				return p, false
			}
		}
	}
	return p, true
}

// compileBranches appends the branches of a plain union (see ctx.plainBranch) to heads.
func (en *env) compileBranches(u exUnion, heads [][]nodeStep) ([][]nodeStep, bool) {
	if u.op != "union" {
		return nil, false
	}
	for _, e := range []expr{u.l, u.r} {
		switch x := e.(type) {
		case exUnion:
			var ok bool
			if heads, ok = en.compileBranches(x, heads); !ok {
				return nil, false
			}
		case exPath:
			if x.abs || len(x.steps) == 0 {
				return nil, false
			}
			steps, ok := en.compileSteps(optimize(exPath{steps: x.steps}).steps)
			if !ok {
				return nil, false
			}
			heads = append(heads, steps)
		default:
			return nil, false
		}
	}
	return heads, true
}

func (en *env) compileSteps(steps []expr) ([]nodeStep, bool) {
	out := make([]nodeStep, 0, len(steps))
	for _, e := range steps {
		s, isStep := e.(exStep)
		if !isStep {
			return nil, false
		}
		axis, known := axisKinds[s.axis]
		kind, knownKind := testKinds[s.test.kind]
		if !known || !knownKind {
			return nil, false
		}
		ns := nodeStep{axis: axis, kind: kind, local: s.test.local, anyLocal: s.test.local == "*"}
		if kind == tkName {
			switch t := s.test; {
			case t.prefix == "*":
				ns.anySpace = true
			case t.prefix == "":
			case t.bound:
				ns.space = t.uri
			default:
				return nil, false // an undeclared prefix: testing a node fails
			}
		}
		for _, p := range s.preds {
			k, ok := en.compileCond(p)
			if !ok || !k.safe {
				return nil, false
			}
			ns.preds = append(ns.preds, k)
		}
		out = append(out, ns)
	}
	return out, true
}

// accepts reports whether m passes the node test of s on an axis whose principal node kind
// is principal (as ctx.test).
func (s *nodeStep) accepts(m *Node, principal Kind) bool {
	switch s.kind {
	case tkName:
		return m.Kind == principal && (s.anyLocal || s.local == m.Local) && (s.anySpace || s.space == m.Space)
	case tkNode:
		return true
	case tkText:
		return m.Kind == TextNode
	case tkElement:
		return m.Kind == ElementNode
	case tkAttribute:
		return m.Kind == AttributeNode
	case tkDocument:
		return m.Kind == DocumentNode
	}
	return false
}

// fullName reports whether s tests one expanded element name, which the name index lists.
func (s *nodeStep) fullName() bool { return s.kind == tkName && !s.anyLocal && !s.anySpace }

// pathWalk visits the nodes a compiled path selects: it stops at the first one (any) or
// counts them all. A plain path without a union reaches every node once.
type pathWalk struct {
	c     *ctx
	first bool // stop at the first node
	count int
	value func(string) bool // when set, stop at the first node whose string value passes it
}

// start is the node p starts from with n as context item.
func (p *nodePath) start(c *ctx, n *Node) *Node {
	if p.abs {
		return c.root
	}
	return n
}

// any reports whether p selects a node with n as context item.
func (p *nodePath) any(c *ctx, n *Node) bool {
	return p.walk(pathWalk{c: c, first: true}, n)
}

// walk walks p with n as context item, through each of its heads if it has any, until w
// stops it.
func (p *nodePath) walk(w pathWalk, n *Node) bool {
	from := p.start(w.c, n)
	if p.heads == nil {
		return w.from(from, p.steps, nil)
	}
	for _, h := range p.heads {
		if w.from(from, h, p.steps) {
			return true
		}
	}
	return false
}

// count is the number of nodes p, without a union, selects with n as context item.
func (p *nodePath) count(c *ctx, n *Node) int {
	w := pathWalk{c: c}
	w.from(p.start(c, n), p.steps, nil)
	return w.count
}

// pass reports whether m passes the node test and the predicates of s.
func (w *pathWalk) pass(s *nodeStep, m *Node, principal Kind) bool {
	if !s.accepts(m, principal) {
		return false
	}
	for _, k := range s.preds {
		if !k.holds(w.c, m) {
			return false
		}
	}
	return true
}

// smallSubtree is the number of nodes under which a descendant step tests each node rather
// than looking its name up in the name index (hashing a namespace URI).
const smallSubtree = 64

// from walks steps, then then, from n; it returns true to stop the walk.
func (w *pathWalk) from(n *Node, steps, then []nodeStep) bool {
	if len(steps) == 0 {
		if len(then) > 0 {
			return w.from(n, then, nil)
		}
		if w.value != nil {
			return w.value(stringValue(n))
		}
		w.count++
		return w.first
	}
	s, rest := &steps[0], steps[1:]
	switch s.axis {
	case axChild:
		for _, m := range n.Children {
			if w.pass(s, m, ElementNode) && w.from(m, rest, then) {
				return true
			}
		}
	case axAttribute:
		for _, a := range n.Attrs {
			if w.pass(s, a, AttributeNode) && w.from(a, rest, then) {
				return true
			}
		}
	case axSelf:
		principal := ElementNode
		if n.Kind == AttributeNode {
			principal = AttributeNode
		}
		return w.pass(s, n, principal) && w.from(n, rest, then)
	case axParent:
		return n.Parent != nil && w.pass(s, n.Parent, ElementNode) && w.from(n.Parent, rest, then)
	case axAncestor, axAncestorOrSelf:
		m := n.Parent
		if s.axis == axAncestorOrSelf {
			m = n
		}
		for ; m != nil; m = m.Parent {
			if w.pass(s, m, ElementNode) && w.from(m, rest, then) {
				return true
			}
		}
	case axDescendantAttribute:
		if n.Kind == AttributeNode {
			return false
		}
		for _, m := range w.c.all[n.at:n.end] {
			for _, a := range m.Attrs {
				if w.pass(s, a, AttributeNode) && w.from(a, rest, then) {
					return true
				}
			}
		}
	case axDescendant, axDescendantOrSelf:
		if n.Kind == AttributeNode {
			return s.axis == axDescendantOrSelf && w.pass(s, n, AttributeNode) && w.from(n, rest, then)
		}
		from := n.at + 1
		if s.axis == axDescendantOrSelf {
			from = n.at
		}
		if s.fullName() && n.end-from > smallSubtree {
			return w.named(n, from, s, rest, then)
		}
		for _, m := range w.c.all[from:n.end] {
			if w.pass(s, m, ElementNode) && w.from(m, rest, then) {
				return true
			}
		}
	}
	return false
}

// named walks the descendant step s from n (from its node at) through the name index.
func (w *pathWalk) named(n *Node, at int32, s *nodeStep, rest, then []nodeStep) bool {
	list := w.c.byName.elements(elemName{s.space, s.local})
	for _, m := range list[firstAt(list, at):] {
		if m.at >= n.end {
			break
		}
		if w.pass(s, m, ElementNode) && w.from(m, rest, then) {
			return true
		}
	}
	return false
}

// firstAt is the index of the first node of list, in document order, at or after at.
func firstAt(list []*Node, at int32) int {
	lo, hi := 0, len(list)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if list[mid].at < at {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
