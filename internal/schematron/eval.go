package schematron

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

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
	regex map[string]*regexpEntry
}

// ctx is the dynamic context of an evaluation.
type ctx struct {
	item      item // the context item; nil when absent
	pos, size int
	vars      *scope
	env       *env
	root      *Node
	all       []*Node // the document's nodes but attributes, in document order
	byName    map[elemName][]*Node
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
		if ebv(c.eval(x.cond)) {
			return c.eval(x.then)
		}
		return c.eval(x.els)
	case exOr:
		return seq{ebv(c.eval(x.l)) || ebv(c.eval(x.r))}
	case exAnd:
		return seq{ebv(c.eval(x.l)) && ebv(c.eval(x.r))}
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
		return ebv(c.eval(x.sat))
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
	if len(s) < 2 {
		return s
	}
	slices.SortFunc(s, func(a, b item) int { return a.(*Node).order - b.(*Node).order })
	out := s[:1]
	for _, v := range s[1:] {
		if v.(*Node) != out[len(out)-1].(*Node) {
			out = append(out, v)
		}
	}
	return out
}

// step evaluates one axis step from n; the result is in document order.
func (c *ctx) step(n *Node, s exStep) seq {
	var out seq
	principal := ElementNode
	reverse := false
	// Predicates that do not depend on the position are tested as nodes are found, so that
	// //*[…] does not collect every element first.
	inline := len(s.preds) > 0 && !positional(s.preds)
	// A name test whose prefix is declared is resolved once for the step, not per node; an
	// undeclared one stays with test, which fails only when a node's name gets that far.
	t := s.test
	resolved, uri := false, ""
	if t.kind == "name" {
		switch t.prefix {
		case "*", "":
			resolved = true
		default:
			uri, resolved = c.env.ns[t.prefix]
		}
	}
	match := func(m *Node) {
		if resolved {
			if m.Kind != principal || (t.local != "*" && t.local != m.Local) || (t.prefix != "*" && m.Space != uri) {
				return
			}
		} else if !c.test(m, t, principal) {
			return
		}
		if inline {
			d := ctx{item: m, pos: 1, size: 1, vars: c.vars, env: c.env, root: c.root, all: c.all, byName: c.byName}
			for _, p := range s.preds {
				if !ebv(d.eval(p)) {
					return
				}
			}
		}
		out = append(out, m)
	}
	switch s.axis {
	case "child":
		if resolved && t.local != "*" && t.prefix != "*" && n.Kind != AttributeNode {
			// The elements of that name within n's subtree, when fewer than n's children:
			// those whose parent is n are its matching children, in document order.
			list := c.byName[elemName{uri, t.local}]
			i, _ := slices.BinarySearchFunc(list, n.at+1, func(m *Node, at int) int { return m.at - at })
			j, _ := slices.BinarySearchFunc(list[i:], n.end, func(m *Node, at int) int { return m.at - at })
			if j <= len(n.Children) {
				for _, m := range list[i : i+j] {
					if m.Parent == n {
						match(m)
					}
				}
				break
			}
		}
		for _, ch := range n.Children {
			match(ch)
		}
	case "attribute":
		principal = AttributeNode
		for _, a := range n.Attrs {
			match(a)
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
				match(a)
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
			list := c.byName[elemName{uri, t.local}]
			i, _ := slices.BinarySearchFunc(list, from, func(m *Node, at int) int { return m.at - at })
			for _, m := range list[i:] {
				if m.at >= n.end {
					break
				}
				match(m)
			}
			break
		}
		for _, m := range c.all[from:n.end] {
			match(m)
		}
	case "ancestor", "ancestor-or-self":
		reverse = true
		m := n.Parent
		if s.axis == "ancestor-or-self" {
			m = n
		}
		for ; m != nil; m = m.Parent {
			match(m)
		}
	case "following-sibling", "preceding-sibling":
		if n.Parent == nil || n.Kind == AttributeNode {
			break
		}
		sib := n.Parent.Children
		at := slices.Index(sib, n)
		if s.axis == "following-sibling" {
			for _, m := range sib[at+1:] {
				match(m)
			}
		} else {
			reverse = true
			for i := at - 1; i >= 0; i-- {
				match(sib[i])
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
			match(m)
		}
	case "following":
		start := n
		if n.Kind == AttributeNode {
			start = n.Parent
		}
		for _, m := range c.all[start.end:] {
			match(m)
		}
	default:
		fail("axis %s is not supported", s.axis)
	}
	if len(s.preds) > 0 && !inline {
		out = c.filter(out, s.preds)
	}
	if reverse {
		slices.Reverse(out)
	}
	return out
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

// ebv is the effective boolean value of s.
func ebv(s seq) bool {
	if len(s) == 0 {
		return false
	}
	if _, ok := s[0].(*Node); ok {
		return true
	}
	if len(s) > 1 {
		fail("effective boolean value of a sequence of %d atomic values", len(s))
	}
	switch v := s[0].(type) {
	case bool:
		return v
	case string:
		return v != ""
	case untyped:
		return v != ""
	case float64:
		return v != 0 && !math.IsNaN(v)
	case dec:
		return !v.d.IsZero()
	}
	return true
}

// atomize replaces nodes by their typed value (untyped atomic).
func atomize(s seq) seq {
	out := make(seq, len(s))
	for i, it := range s {
		if n, ok := it.(*Node); ok {
			out[i] = untyped(n.StringValue())
		} else {
			out[i] = it
		}
	}
	return out
}

// toString is the string value of an item.
func toString(it item) string {
	switch v := it.(type) {
	case *Node:
		return v.StringValue()
	case string:
		return v
	case untyped:
		return string(v)
	case bool:
		if v {
			return "true"
		}
		return "false"
	case float64:
		return formatNumber(v)
	case dec:
		return v.d.String()
	}
	return fmt.Sprint(it)
}

func formatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	case f == math.Trunc(f) && math.Abs(f) < 1e18:
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// toNumber converts an atomic value to a double (NaN when it is not a number).
func toNumber(it item) float64 {
	switch v := it.(type) {
	case float64:
		return v
	case dec:
		return v.d.InexactFloat64()
	case bool:
		if v {
			return 1
		}
		return 0
	case *Node:
		return parseNumber(v.StringValue())
	}
	return parseNumber(toString(it))
}

func parseNumber(s string) float64 {
	s = strings.TrimSpace(s)
	switch s {
	case "", "NaN":
		return math.NaN()
	case "INF":
		return math.Inf(1)
	case "-INF":
		return math.Inf(-1)
	}
	if strings.ContainsAny(s, "xX_") || strings.HasPrefix(s, "+.") {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

func toBool(it item) bool {
	switch v := it.(type) {
	case bool:
		return v
	case dec:
		return !v.d.IsZero()
	case float64:
		return v != 0 && !math.IsNaN(v)
	}
	s := strings.TrimSpace(toString(it))
	return s == "true" || s == "1"
}

func (c *ctx) compare(x exCmp) seq {
	l, r := atomize(c.eval(x.l)), atomize(c.eval(x.r))
	if !x.general {
		if len(l) == 0 || len(r) == 0 {
			return nil
		}
		if len(l) > 1 || len(r) > 1 {
			fail("value comparison %s of sequences", x.op)
		}
		a, b := l[0], r[0]
		if u, ok := a.(untyped); ok {
			a = string(u)
		}
		if u, ok := b.(untyped); ok {
			b = string(u)
		}
		return seq{compareAtomic(x.op, a, b)}
	}
	op := map[string]string{"=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[x.op]
	for _, a := range l {
		for _, b := range r {
			aa, bb := a, b
			_, au := a.(untyped)
			_, bu := b.(untyped)
			switch {
			case au && bu:
				aa, bb = string(a.(untyped)), string(b.(untyped))
			case au:
				aa = castLike(a.(untyped), b)
			case bu:
				bb = castLike(b.(untyped), a)
			}
			if compareAtomic(op, aa, bb) {
				return seq{true}
			}
		}
	}
	return seq{false}
}

// castLike casts an untyped value to the type of other (general comparison rules).
func castLike(u untyped, other item) item {
	switch other.(type) {
	case float64, dec:
		return parseNumber(string(u))
	case bool:
		return toBool(string(u))
	}
	return string(u)
}

func compareAtomic(op string, a, b item) bool {
	var c int
	if ad, ok := a.(dec); ok {
		if bd, ok := b.(dec); ok {
			return cmpResult(op, ad.d.Cmp(bd.d))
		}
		a = ad.d.InexactFloat64()
	}
	if bd, ok := b.(dec); ok {
		b = bd.d.InexactFloat64()
	}
	switch av := a.(type) {
	case float64:
		bv := toNumber(b)
		if math.IsNaN(av) || math.IsNaN(bv) {
			return op == "ne"
		}
		c = cmpFloat(av, bv)
	case bool:
		bv := toBool(b)
		c = cmpBool(av, bv)
	default:
		if bf, ok := b.(float64); ok {
			af := toNumber(a)
			if math.IsNaN(af) || math.IsNaN(bf) {
				return op == "ne"
			}
			c = cmpFloat(af, bf)
		} else if bb, ok := b.(bool); ok {
			c = cmpBool(toBool(a), bb)
		} else {
			c = strings.Compare(toString(a), toString(b))
		}
	}
	return cmpResult(op, c)
}

func cmpResult(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func arith(op string, ls, rs seq) seq {
	l, r := atomize(ls), atomize(rs)
	if len(l) == 0 || len(r) == 0 {
		return nil
	}
	if len(l) > 1 || len(r) > 1 {
		fail("arithmetic %s on sequences", op)
	}
	if ad, ok := l[0].(dec); ok {
		if bd, ok := r[0].(dec); ok {
			return seq{decArith(op, ad.d, bd.d)}
		}
	}
	a, b := toNumber(l[0]), toNumber(r[0])
	switch op {
	case "+":
		return seq{a + b}
	case "-":
		return seq{a - b}
	case "*":
		return seq{a * b}
	case "div":
		return seq{a / b}
	case "idiv":
		if b == 0 {
			fail("integer division by zero")
		}
		return seq{math.Trunc(a / b)}
	case "mod":
		return seq{math.Mod(a, b)}
	}
	fail("unknown operator %s", op)
	return nil
}

func setOp(op string, l, r seq) seq {
	for _, s := range []seq{l, r} {
		for _, it := range s {
			if _, ok := it.(*Node); !ok {
				fail("%s of atomic values", op)
			}
		}
	}
	switch op {
	case "union":
		return docOrder(append(append(seq{}, l...), r...))
	case "intersect", "except":
		in := map[*Node]bool{}
		for _, it := range r {
			in[it.(*Node)] = true
		}
		var out seq
		for _, it := range l {
			if in[it.(*Node)] == (op == "intersect") {
				out = append(out, it)
			}
		}
		return docOrder(out)
	}
	return nil
}

// seqItem is the single item of v for a castable test, or an empty string.
func seqItem(v seq) item {
	a := atomize(v)
	if len(a) == 0 {
		return ""
	}
	return a[0]
}

func instanceOf(v seq, typ string) bool {
	opt := strings.HasSuffix(typ, "?")
	typ = strings.TrimSuffix(typ, "?")
	if len(v) == 0 {
		return opt
	}
	if len(v) > 1 {
		return false
	}
	switch x := v[0].(type) {
	case *Node:
		return typ == "node()" || (typ == "element()" && x.Kind == ElementNode)
	case string:
		return typ == "xs:string"
	case float64:
		return typ == "xs:double" || typ == "xs:decimal" || (typ == "xs:integer" && x == math.Trunc(x))
	case bool:
		return typ == "xs:boolean"
	}
	return false
}

func decArith(op string, a, b decimal.Decimal) item {
	switch op {
	case "+":
		return dec{a.Add(b)}
	case "-":
		return dec{a.Sub(b)}
	case "*":
		return dec{a.Mul(b)}
	case "div":
		if b.IsZero() {
			fail("decimal division by zero")
		}
		return dec{a.DivRound(b, 18)}
	case "idiv":
		if b.IsZero() {
			fail("integer division by zero")
		}
		return dec{a.Div(b).Truncate(0)}
	case "mod":
		if b.IsZero() {
			fail("decimal modulus by zero")
		}
		return dec{a.Mod(b)}
	}
	fail("unknown operator %s", op)
	return nil
}

// positional reports whether a predicate may depend on the position of the item it filters:
// anything but a comparison, a boolean operator or function, or a path of steps (whose value
// is a node set). Such predicates are evaluated on the whole candidate list.
func positional(preds []expr) bool {
	for _, p := range preds {
		if !boolean(p) || callsPosition(p) {
			return true
		}
	}
	return false
}

func boolean(e expr) bool {
	switch x := e.(type) {
	case exCmp, exAnd, exOr, exQuant:
		return true
	case exCall:
		switch x.name {
		case "not", "exists", "empty", "boolean", "contains", "starts-with", "ends-with", "matches", "true", "false":
			return true
		}
	case exStep:
		return true
	case exPath:
		_, isStep := x.steps[len(x.steps)-1].(exStep)
		return isStep
	}
	return false
}

// callsPosition reports whether e calls position() or last() outside nested predicates.
func callsPosition(e expr) bool {
	found := false
	var walk func(e expr)
	walk = func(e expr) {
		switch x := e.(type) {
		case exCall:
			if x.name == "position" || x.name == "last" {
				found = true
			}
			for _, a := range x.args {
				walk(a)
			}
		case exCmp:
			walk(x.l)
			walk(x.r)
		case exAnd:
			walk(x.l)
			walk(x.r)
		case exOr:
			walk(x.l)
			walk(x.r)
		case exArith:
			walk(x.l)
			walk(x.r)
		case exNeg:
			walk(x.e)
		case exSeq:
			for _, i := range x.items {
				walk(i)
			}
		case exIf:
			walk(x.cond)
			walk(x.then)
			walk(x.els)
		case exQuant:
			for _, i := range x.ins {
				walk(i)
			}
			walk(x.sat)
		case exFor:
			for _, i := range x.ins {
				walk(i)
			}
			walk(x.ret)
		case exUnion:
			walk(x.l)
			walk(x.r)
		case exFilter:
			walk(x.prim)
		case exPath:
			if !x.abs && len(x.steps) > 0 {
				walk(x.steps[0])
			}
		}
	}
	walk(e)
	return found
}
