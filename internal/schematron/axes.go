package schematron

// Axis steps and node tests: what a path step selects from a node.

import (
	"slices"
	"strings"
)

// step evaluates one axis step from n; the result is in document order.
func (c *ctx) step(n *Node, s exStep) seq {
	var out seq
	// Predicates that do not depend on the position are tested as nodes are found, so that
	// //*[…] does not collect every element first.
	inline := len(s.preds) > 0 && !positional(s.preds)
	var d *ctx // the context of the inline predicates, one for the step
	if inline {
		d = &ctx{pos: 1, size: 1, vars: c.vars, env: c.env, root: c.root, all: c.all, byName: c.byName}
		if candidates, ok := c.bySuffix(n, s); ok {
			for _, m := range candidates {
				if d.holds(m, s.preds) {
					out = append(out, m)
				}
			}
			return out
		}
	}
	reverse := c.walk(n, s, func(m *Node) bool {
		if !inline || d.holds(m, s.preds) {
			out = append(out, m)
		}
		return true
	})
	if len(s.preds) > 0 && !inline {
		out = c.filter(out, s.preds)
	}
	if reverse {
		slices.Reverse(out)
	}
	return out
}

// bySuffix lists, in document order, the only elements a descendant step such as
// //*[ends-with(name(), 'Amount') and …] can select from n: those whose local name has the
// suffix, from the name index rather than testing every node. ok is false for any other
// step. A suffix without a colon ends the name (prefix:local) exactly when it ends the local
// name, and the predicate is false, with no error, for every other element: its first
// operand is evaluated first.
func (c *ctx) bySuffix(n *Node, s exStep) (list []*Node, ok bool) {
	t := s.test
	if s.axis != "descendant" && s.axis != "descendant-or-self" || n.Kind == AttributeNode ||
		t.kind != "name" || t.local != "*" || len(s.preds) == 0 {
		return nil, false
	}
	uri := t.uri
	if t.prefix != "*" && !t.bound {
		if uri, ok = c.env.ns[t.prefix]; !ok {
			return nil, false
		}
	}
	first := s.preds[0]
	for {
		and, isAnd := first.(exAnd)
		if !isAnd {
			break
		}
		first = and.l
	}
	call, isCall := first.(exCall)
	if !isCall || builtin(call.name) != "ends-with" || c.userFunc(call.name) {
		return nil, false
	}
	suffix, ok := c.nameSuffixOf(call)
	if !ok || strings.Contains(suffix, ":") {
		return nil, false
	}
	from := n.at + 1
	if s.axis == "descendant-or-self" {
		from = n.at
	}
	for i, name := range c.byName.names {
		nodes := c.byName.lists[i]
		if t.prefix != "*" && name.space != uri || !strings.HasSuffix(name.local, suffix) {
			continue
		}
		i, _ := slices.BinarySearchFunc(nodes, from, func(m *Node, at int32) int { return int(m.at - at) })
		for _, m := range nodes[i:] {
			if m.at >= n.end {
				break
			}
			list = append(list, m)
		}
	}
	slices.SortFunc(list, func(a, b *Node) int { return int(a.at - b.at) })
	return list, true
}

// holds reports whether every predicate is true of m, tested on its own: c, at position 1
// of 1, becomes m's context (no evaluation keeps a context past its call).
func (c *ctx) holds(m *Node, preds []expr) bool {
	c.item = m
	for _, p := range preds {
		if !c.truth(p) {
			return false
		}
	}
	return true
}

// manyChildren is the number of children above which a child step looks its name up in
// the name index rather than testing each child: below it, the lookup (hashing a namespace
// URI) costs more than the tests.
const manyChildren = 32

// walk calls visit with each node of the axis of s from n that passes its node test (its
// predicates are the caller's), in the order of the axis, until visit returns false.
// reverse tells that this order is the reverse of document order.
func (c *ctx) walk(n *Node, s exStep, visit func(*Node) bool) (reverse bool) {
	principal := ElementNode
	// A name test whose prefix is declared is resolved once for the step, not per node; an
	// undeclared one stays with test, which fails only when a node's name gets that far.
	t := s.test
	resolved, uri := false, ""
	if t.kind == "name" {
		switch {
		case t.bound:
			uri, resolved = t.uri, true
		case t.prefix == "*" || t.prefix == "":
			resolved = true
		default:
			uri, resolved = c.env.ns[t.prefix]
		}
	}
	match := func(m *Node) bool {
		if resolved {
			if m.Kind != principal || (t.local != "*" && t.local != m.Local) || (t.prefix != "*" && m.Space != uri) {
				return true
			}
		} else if !c.test(m, t, principal) {
			return true
		}
		return visit(m)
	}
	switch s.axis {
	case "child":
		if resolved && t.local != "*" && t.prefix != "*" && n.Kind != AttributeNode && len(n.Children) > manyChildren {
			// The elements of that name within n's subtree, when fewer than n's children:
			// those whose parent is n are its matching children, in document order.
			list := c.byName.elements(elemName{uri, t.local})
			i, _ := slices.BinarySearchFunc(list, n.at+1, func(m *Node, at int32) int { return int(m.at - at) })
			j, _ := slices.BinarySearchFunc(list[i:], n.end, func(m *Node, at int32) int { return int(m.at - at) })
			if j <= len(n.Children) {
				for _, m := range list[i : i+j] {
					if m.Parent == n {
						if !match(m) {
							return reverse
						}
					}
				}
				break
			}
		}
		for _, ch := range n.Children {
			if !match(ch) {
				return reverse
			}
		}
	case "attribute":
		principal = AttributeNode
		for _, a := range n.Attrs {
			if !match(a) {
				return reverse
			}
		}
	case "self":
		if n.Kind == AttributeNode {
			principal = AttributeNode
		}
		match(n)
	case "parent":
		if n.Parent != nil {
			match(n.Parent)
		}
	case "descendant-attribute":
		// descendant-or-self::node()/attribute::x in one pass (see optimize).
		principal = AttributeNode
		if n.Kind == AttributeNode {
			break
		}
		for _, m := range c.all[n.at:n.end] {
			for _, a := range m.Attrs {
				if !match(a) {
					return reverse
				}
			}
		}
	case "descendant", "descendant-or-self":
		if n.Kind == AttributeNode {
			if s.axis == "descendant-or-self" {
				principal = AttributeNode
				match(n)
			}
			break
		}
		from := n.at + 1
		if s.axis == "descendant-or-self" {
			from = n.at
		}
		if resolved && t.local != "*" && t.prefix != "*" {
			// Only elements of that name can match: walk their list within n's subtree.
			list := c.byName.elements(elemName{uri, t.local})
			i, _ := slices.BinarySearchFunc(list, from, func(m *Node, at int32) int { return int(m.at - at) })
			for _, m := range list[i:] {
				if m.at >= n.end {
					break
				}
				if !match(m) {
					return reverse
				}
			}
			break
		}
		for _, m := range c.all[from:n.end] {
			if !match(m) {
				return reverse
			}
		}
	case "ancestor", "ancestor-or-self":
		reverse = true
		m := n.Parent
		if s.axis == "ancestor-or-self" {
			m = n
		}
		for ; m != nil; m = m.Parent {
			if !match(m) {
				return reverse
			}
		}
	case "following-sibling", "preceding-sibling":
		if n.Parent == nil || n.Kind == AttributeNode {
			break
		}
		sib := n.Parent.Children
		at := slices.Index(sib, n)
		if s.axis == "following-sibling" {
			for _, m := range sib[at+1:] {
				if !match(m) {
					return reverse
				}
			}
		} else {
			reverse = true
			for i := at - 1; i >= 0; i-- {
				if !match(sib[i]) {
					return reverse
				}
			}
		}
	case "preceding":
		// The nodes before n in document order, its ancestors excluded.
		start := n
		if n.Kind == AttributeNode {
			start = n.Parent
		}
		reverse = true
		anc := start.Parent
		for i := start.at - 1; i > 0; i-- {
			m := c.all[i]
			if m == anc {
				anc = anc.Parent
				continue
			}
			if !match(m) {
				return reverse
			}
		}
	case "following":
		start := n
		if n.Kind == AttributeNode {
			start = n.Parent
		}
		for _, m := range c.all[start.end:] {
			if !match(m) {
				return reverse
			}
		}
	default:
		fail("axis %s is not supported", s.axis)
	}
	return reverse
}

func isAncestor(a, n *Node) bool {
	for m := n.Parent; m != nil; m = m.Parent {
		if m == a {
			return true
		}
	}
	return false
}

func (c *ctx) test(m *Node, t nodeTest, principal Kind) bool {
	switch t.kind {
	case "node":
		return true
	case "text":
		return m.Kind == TextNode
	case "element":
		return m.Kind == ElementNode
	case "attribute":
		return m.Kind == AttributeNode
	case "document-node":
		return m.Kind == DocumentNode
	case "comment", "processing-instruction":
		return false
	}
	if m.Kind != principal {
		return false
	}
	if t.local != "*" && t.local != m.Local {
		return false
	}
	switch t.prefix {
	case "*":
		return true
	case "":
		return m.Space == ""
	}
	uri, ok := c.env.ns[t.prefix]
	if !ok {
		fail("unknown namespace prefix %s", t.prefix)
	}
	return m.Space == uri
}
