package mapping

import (
	"fmt"
	"regexp"
)

// firstRef returns the first source field an expression reads, nil for a literal one.
func firstRef(x expr) *fieldRef {
	switch x := x.(type) {
	case *fieldExpr:
		return x.ref
	case *concatExpr:
		for _, p := range x.parts {
			if r := firstRef(p); r != nil {
				return r
			}
		}
	case *firstExpr:
		for _, p := range x.parts {
			if r := firstRef(p); r != nil {
				return r
			}
		}
	case *substrExpr:
		return firstRef(x.x)
	case *trimExpr:
		return firstRef(x.x)
	case *padExpr:
		return firstRef(x.x)
	case *caseExpr:
		return firstRef(x.x)
	case *replaceExpr:
		return firstRef(x.x)
	case *lookupExpr:
		return firstRef(x.x)
	case *arithExpr:
		for _, p := range x.parts {
			if r := firstRef(p); r != nil {
				return r
			}
		}
	case *roundExpr:
		return firstRef(x.x)
	case *absExpr:
		return firstRef(x.x)
	case *chooseExpr:
		for _, w := range x.whens {
			if r := firstRef(w.subj); r != nil {
				return r
			}
			if r := firstRef(w.x); r != nil {
				return r
			}
		}
		if x.otherwise != nil {
			return firstRef(x.otherwise)
		}
	}
	return nil
}

// exprs loads the expressions in kids, in order. One that does not load is left out: its
// error is already recorded, and the load goes on to report the others.
func (l *loader) exprs(kids []*node, kind int) []expr {
	var xs []expr
	for _, k := range kids {
		if x := l.expr(k, kind); x != nil {
			xs = append(xs, x)
		}
	}
	return xs
}

// expr reads an expression element.
func (l *loader) expr(n *node, kind int) expr {
	bad := func(format string, args ...any) expr {
		l.errorf(n.line, format, args...)
		return nil
	}
	inner := func() expr {
		xs := l.exprs(n.kids, kind)
		switch len(xs) {
		case 0:
			if len(n.kids) == 0 {
				l.errorf(n.line, "<%s> needs the expression it transforms inside it, e.g. <%s><field name=\"…\"/></%s>", n.name.Local, n.name.Local, n.name.Local)
			}
			return nil
		case 1:
			return xs[0]
		}
		return &concatExpr{parts: xs}
	}
	if n.name.Space != Namespace {
		return bad("unknown element <%s> (namespace %q)", n.name.Local, n.name.Space)
	}
	switch name := n.name.Local; name {
	case "field", "column":
		a := l.attrs(n, "name", "path")
		l.noText(n)
		s, ok := a["name"]
		if p, isPath := a["path"]; isPath {
			s, ok = p, true
		}
		if !ok {
			return bad("<%s> needs name=\"…\" (or path=\"…\" for an XML source)", name)
		}
		if r := l.ref(n.line, s, kind); r != nil {
			return &fieldExpr{ref: r}
		}
		return nil
	case "path":
		a := l.attrs(n, "select")
		if r := l.ref(n.line, a["select"], kind); r != nil {
			return &fieldExpr{ref: r}
		}
		return nil
	case "text", "value":
		l.attrs(n)
		if len(n.kids) > 0 {
			return bad("<%s> holds text only", name)
		}
		return &litExpr{s: n.text.String(), what: "value"}
	case "const":
		a := l.attrs(n, "name")
		c, ok := l.m.consts[a["name"]]
		if !ok {
			return bad("unknown constant %q%s", a["name"], known(l.m.consts))
		}
		return &litExpr{s: c, what: fmt.Sprintf("constant %q", a["name"]), name: a["name"]}
	case "concat":
		a := l.attrs(n, "separator")
		l.noText(n)
		xs := l.exprs(n.kids, kind)
		if len(xs) == 0 {
			return bad("<concat> joins the expressions inside it; it has none")
		}
		sep, hasSep := a["separator"]
		return &concatExpr{parts: xs, sep: sep, skipEmpty: hasSep}
	case "first":
		l.attrs(n)
		l.noText(n)
		xs := l.exprs(n.kids, kind)
		if len(xs) == 0 {
			return bad("<first> needs expressions: it takes the first that is not empty")
		}
		return &firstExpr{parts: xs}
	case "substring":
		a := l.attrs(n, "start", "length")
		l.noText(n)
		x := inner()
		st := l.posInt(n.line, "start", a["start"], 1)
		ln := -1
		if v, ok := a["length"]; ok {
			ln = l.posInt(n.line, "length", v, 0)
		}
		if x == nil {
			return nil
		}
		return &substrExpr{x: x, start: st, length: ln}
	case "trim":
		a := l.attrs(n, "chars", "side")
		l.noText(n)
		x := inner()
		side := a["side"]
		switch side {
		case "", "both", "left", "right":
		default:
			return bad("side=%q must be both, left or right", side)
		}
		if x == nil {
			return nil
		}
		return &trimExpr{x: x, chars: a["chars"], side: side}
	case "pad":
		a := l.attrs(n, "width", "char", "side")
		l.noText(n)
		x := inner()
		w := l.posInt(n.line, "width", a["width"], 1)
		ch := ' '
		if c, ok := a["char"]; ok {
			if r := []rune(c); len(r) == 1 {
				ch = r[0]
			} else {
				return bad("char=%q must be one character", c)
			}
		}
		side := a["side"]
		if side != "" && side != "left" && side != "right" {
			return bad("side=%q must be left or right", side)
		}
		if x == nil {
			return nil
		}
		return &padExpr{x: x, width: w, char: ch, right: side == "right"}
	case "upper", "lower", "capitalize":
		l.attrs(n)
		l.noText(n)
		if x := inner(); x != nil {
			return &caseExpr{x: x, mode: name}
		}
		return nil
	case "replace":
		a := l.attrs(n, "pattern", "with")
		l.noText(n)
		x := inner()
		re, err := regexp.Compile(a["pattern"])
		if err != nil || a["pattern"] == "" {
			return bad("pattern=%q is not a regular expression (Go RE2 syntax): %v", a["pattern"], err)
		}
		if x == nil {
			return nil
		}
		return &replaceExpr{x: x, re: re, with: a["with"]}
	case "lookup":
		a := l.attrs(n, "table")
		l.noText(n)
		lk := l.m.lookups[a["table"]]
		if lk == nil {
			return bad("unknown lookup %q%s", a["table"], known(l.m.lookups))
		}
		if x := inner(); x != nil {
			return &lookupExpr{x: x, lk: lk}
		}
		return nil
	case "add", "subtract", "multiply", "divide", "min", "max", "round", "abs":
		return l.arith(n, kind)
	case "choose":
		l.attrs(n)
		l.noText(n)
		c := &chooseExpr{}
		for _, k := range n.kids {
			switch {
			case k.name.Space == Namespace && k.name.Local == "when":
				if w := l.when(k, kind); w != nil {
					c.whens = append(c.whens, w)
				}
			case k.name.Space == Namespace && k.name.Local == "otherwise":
				l.attrs(k)
				if c.otherwise != nil {
					l.errorf(k.line, "a second <otherwise>")
				}
				xs := l.exprs(k.kids, kind)
				if len(xs) == 0 {
					if s := k.text.String(); s != "" {
						xs = append(xs, &litExpr{s: s, what: "value"})
					} else {
						xs = append(xs, &litExpr{what: "value"})
					}
				}
				c.otherwise = xs[0]
				if len(xs) > 1 {
					c.otherwise = &concatExpr{parts: xs}
				}
			default:
				l.errorf(k.line, "unknown element <%s> in <choose> (expected when, otherwise)", k.name.Local)
			}
		}
		if len(c.whens) == 0 {
			return bad("<choose> needs at least one <when>")
		}
		return c
	}
	return bad("unknown element <%s> (expected a term's expression: field, text, const, concat, first, substring, trim, pad, upper, lower, capitalize, replace, lookup, choose, add, subtract, multiply, divide, round, min, max, abs)", n.name.Local)
}

// when reads <when field="…" equals="…">expression</when>.
func (l *loader) when(n *node, kind int) *whenExpr {
	a := l.attrs(n, "field", "column", "path", "const", "equals", "not-equals", "in", "matches", "empty", "negative")
	w := &whenExpr{line: n.line}
	var subj []string
	for _, s := range []string{"field", "column", "path", "const"} {
		if _, ok := a[s]; ok {
			subj = append(subj, s)
		}
	}
	if len(subj) != 1 {
		l.errorf(n.line, "<when> tests one value: give one of field, path or const")
		return nil
	}
	if subj[0] == "const" {
		c, ok := l.m.consts[a["const"]]
		if !ok {
			l.errorf(n.line, "unknown constant %q%s", a["const"], known(l.m.consts))
			return nil
		}
		w.subj = &litExpr{s: c, what: "constant", name: a["const"]}
	} else if r := l.ref(n.line, a[subj[0]], kind); r != nil {
		w.subj = &fieldExpr{ref: r}
	} else {
		return nil
	}
	conds, ok := l.conds(n.line, a, []string{"equals", "not-equals", "in", "matches", "empty", "negative"})
	if !ok {
		return nil
	}
	w.conds = conds
	if len(w.conds) == 0 {
		l.errorf(n.line, "<when> needs a test: equals, not-equals, in, matches, empty or negative")
		return nil
	}
	xs := l.exprs(n.kids, kind)
	switch {
	case len(xs) == 0 && len(n.kids) == 0:
		w.x = &litExpr{s: n.text.String(), what: "value"}
	case len(xs) == 1:
		w.x = xs[0]
	case len(xs) > 1:
		w.x = &concatExpr{parts: xs}
	default:
		return nil
	}
	return w
}
