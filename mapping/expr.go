package mapping

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// expr is a term's expression. eval returns its text; ok is false when a problem has been
// recorded (an unknown lookup key): the term then has no value.
type expr interface {
	eval(c *evalCtx) (s string, ok bool)
}

// evalCtx is where an expression is evaluated: a record of the source (and for XML an
// element of it), with what the lineage needs.
type evalCtx struct {
	rn      *run
	res     *Result
	t       *term
	rec     *record
	el      *xmlNode // xml: the context element (the record, or what select= chose)
	org     origin   // the first source field read
	hasOrg  bool
	explain bool
	steps   []string
	loadErr string // at load time (no record): why a computation of literals failed
	absent  bool   // xml: a path read matched no element (or attribute)
}

// origin is where a value was read: a field of a record, for XML an element or attribute.
type origin struct {
	rec *record
	ref *fieldRef
	el  *xmlNode
}

// reset makes c what evalCtx{rn: rn, res: res, t: t, rec: rec, el: el, explain:
// rn.explain} is, writing only the fields that change: a whole-struct write takes a GC
// write barrier for each of its pointers while the collector marks, which at the mapping's
// rate of allocation is most of the time, and it was a twelfth of mapping an XML export.
func (c *evalCtx) reset(rn *run, res *Result, t *term, rec *record, el *xmlNode) {
	if c.rn != rn {
		c.rn = rn
	}
	if c.res != res {
		c.res = res
	}
	c.t = t
	if c.rec != rec {
		c.rec = rec
	}
	if c.el != el {
		c.el = el
	}
	if c.org != (origin{}) {
		c.org = origin{}
	}
	if c.steps != nil {
		c.steps = nil
	}
	if c.loadErr != "" {
		c.loadErr = ""
	}
	c.hasOrg, c.explain, c.absent = false, rn.explain, false
}

func (c *evalCtx) step(format string, args ...any) {
	if c.explain {
		c.steps = append(c.steps, fmt.Sprintf(format, args...))
	}
}

// fieldExpr reads a column, a field or an XML path.
type fieldExpr struct{ ref *fieldRef }

func (x *fieldExpr) eval(c *evalCtx) (string, bool) {
	if c.rn == nil || c.rec == nil {
		return "", true
	}
	r := x.ref
	var s string
	var el *xmlNode
	if r.path != nil {
		if c.el != nil {
			el = r.path.first(c.rec.x, c.el)
		}
		if el != nil {
			if r.attr != "" {
				v, found := r.attrOf(c.rec.x, el)
				s = strings.TrimSpace(v)
				c.absent = c.absent || !found
				if w := c.rn.paths; w != nil && !w.done {
					w.track(r, c.rec.x, c.el, found)
				}
			} else {
				s = strings.TrimSpace(c.rec.x.text(el))
				if w := c.rn.paths; w != nil && !w.done {
					w.track(r, c.rec.x, c.el, true)
				}
			}
		} else {
			c.absent = true
			if w := c.rn.paths; w != nil && !w.done && c.el != nil {
				w.track(r, c.rec.x, c.el, false)
			}
		}
	} else {
		sl := c.rn.slot(c.rec.kind, r.id)
		s = field(c.rec, sl.idx)
		if sl.decimals > 0 && s != "" {
			s = impliedDecimals(s, sl.decimals, c.rn.m.src.decimal)
		}
	}
	if !c.hasOrg {
		c.org, c.hasOrg = origin{rec: c.rec, ref: r, el: el}, true
	}
	if c.explain {
		c.step("%s = %q", r.text, s)
	}
	return s, true
}

// impliedDecimals writes a number stored without separator (000012345 with 2 decimals) as
// the number it is, with the source's separator and its declared decimals: 123,45. A sign on
// either side (-00001000, 00001000-) becomes a leading minus. This is what expressions,
// lookups and conditions see of such a field; a value that is not digits is passed on with
// the separator inserted, for its term to report.
func impliedDecimals(s string, n int, dec byte) string {
	neg, body := false, s
	if body != "" && (body[0] == '-' || body[0] == '+') {
		neg, body = body[0] == '-', body[1:]
	}
	if k := len(body); k > 0 && (body[k-1] == '-' || body[k-1] == '+') {
		neg, body = neg || body[k-1] == '-', body[:k-1]
	}
	body = strings.TrimSpace(body)
	digits := body != ""
	for i := 0; i < len(body); i++ {
		digits = digits && body[i] >= '0' && body[i] <= '9'
	}
	for len(body) <= n {
		body = "0" + body
	}
	whole, frac := body[:len(body)-n], body[len(body)-n:]
	if !digits {
		sign := ""
		if neg {
			sign = "-"
		}
		return sign + whole + string(dec) + frac
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	out := whole
	if n > 0 {
		out += string(dec) + frac
	}
	if neg && strings.Trim(whole+frac, "0") != "" {
		out = "-" + out
	}
	return out
}

// litExpr is a literal: value="…", <text>, or a constant.
type litExpr struct {
	s    string
	what string // "value" or `constant "name"`, for messages
	name string // the constant's name
}

func (x *litExpr) eval(c *evalCtx) (string, bool) {
	if x.name != "" {
		if c.explain {
			c.step("constant %s = %q", x.name, x.s)
		}
	}
	return x.s, true
}

type concatExpr struct {
	parts     []expr
	sep       string
	skipEmpty bool // with separator=: empty parts and their separators are left out
}

func (x *concatExpr) eval(c *evalCtx) (string, bool) {
	var b strings.Builder
	n := 0
	for _, p := range x.parts {
		s, ok := p.eval(c)
		if !ok {
			return "", false
		}
		if x.skipEmpty && strings.TrimSpace(s) == "" {
			continue
		}
		if n > 0 {
			b.WriteString(x.sep)
		}
		b.WriteString(s)
		n++
	}
	if c.explain {
		c.step("concat → %q", b.String())
	}
	return b.String(), true
}

// firstExpr is the first of its expressions that is not empty.
type firstExpr struct{ parts []expr }

func (x *firstExpr) eval(c *evalCtx) (string, bool) {
	for _, p := range x.parts {
		s, ok := p.eval(c)
		if !ok {
			return "", false
		}
		if strings.TrimSpace(s) != "" {
			return s, true
		}
	}
	return "", true
}

type substrExpr struct {
	x             expr
	start, length int // 1-based start, in characters; length -1: to the end
}

func (x *substrExpr) eval(c *evalCtx) (string, bool) {
	s, ok := x.x.eval(c)
	if !ok {
		return "", false
	}
	r := []rune(s)
	i := min(x.start-1, len(r))
	j := len(r)
	if x.length >= 0 {
		j = min(i+x.length, len(r))
	}
	out := string(r[i:j])
	if x.length >= 0 {
		if c.explain {
			c.step("substring(%d, %d) → %q", x.start, x.length, out)
		}
	} else {
		if c.explain {
			c.step("substring(%d) → %q", x.start, out)
		}
	}
	return out, true
}

type trimExpr struct {
	x     expr
	chars string // "" : white space
	side  string // "", both, left, right
}

func (x *trimExpr) eval(c *evalCtx) (string, bool) {
	s, ok := x.x.eval(c)
	if !ok {
		return "", false
	}
	var out string
	switch {
	case x.chars == "" && x.side == "left":
		out = strings.TrimLeftFunc(s, unicode.IsSpace)
	case x.chars == "" && x.side == "right":
		out = strings.TrimRightFunc(s, unicode.IsSpace)
	case x.chars == "":
		out = strings.TrimSpace(s)
	case x.side == "left":
		out = strings.TrimLeft(s, x.chars)
	case x.side == "right":
		out = strings.TrimRight(s, x.chars)
	default:
		out = strings.Trim(s, x.chars)
	}
	if c.explain {
		c.step("trim → %q", out)
	}
	return out, true
}

type padExpr struct {
	x     expr
	width int
	char  rune
	right bool
}

func (x *padExpr) eval(c *evalCtx) (string, bool) {
	s, ok := x.x.eval(c)
	if !ok {
		return "", false
	}
	n := x.width - utf8.RuneCountInString(s)
	if n <= 0 || s == "" {
		return s, true
	}
	pad := strings.Repeat(string(x.char), n)
	if x.right {
		s += pad
	} else {
		s = pad + s
	}
	if c.explain {
		c.step("pad to %d → %q", x.width, s)
	}
	return s, true
}

type caseExpr struct {
	x    expr
	mode string // upper, lower, capitalize
}

func (x *caseExpr) eval(c *evalCtx) (string, bool) {
	s, ok := x.x.eval(c)
	if !ok {
		return "", false
	}
	switch x.mode {
	case "upper":
		s = strings.ToUpper(s)
	case "lower":
		s = strings.ToLower(s)
	default:
		// Capitalise each word: "DUPONT ET FILS" → "Dupont Et Fils".
		rs := []rune(strings.ToLower(s))
		start := true
		for i, r := range rs {
			if start && unicode.IsLetter(r) {
				rs[i] = unicode.ToUpper(r)
			}
			start = !unicode.IsLetter(r) && r != '\''
		}
		s = string(rs)
	}
	if c.explain {
		c.step("%s → %q", x.mode, s)
	}
	return s, true
}

type replaceExpr struct {
	x    expr
	re   *regexp.Regexp
	with string
}

func (x *replaceExpr) eval(c *evalCtx) (string, bool) {
	s, ok := x.x.eval(c)
	if !ok {
		return "", false
	}
	out := x.re.ReplaceAllString(s, x.with)
	if c.explain {
		c.step("replace /%s/ with %q → %q", x.re, x.with, out)
	}
	return out, true
}

// lookupExpr translates its expression through a table; an empty value stays empty.
type lookupExpr struct {
	x  expr
	lk *lookupDef
}

func (x *lookupExpr) eval(c *evalCtx) (string, bool) {
	s, ok := x.x.eval(c)
	if !ok {
		return "", false
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	out, found := x.lk.get(s, c.srcNumFmt())
	if !found {
		c.unknownKey(x.lk, s)
		return "", false
	}
	if c.explain {
		c.step("lookup %s: %q → %q", x.lk.name, s, out)
	}
	return out, true
}

// unknownKey records the problem of a value that a lookup does not list.
func (c *evalCtx) unknownKey(lk *lookupDef, raw string) {
	if c.rn == nil || c.t == nil {
		return
	}
	keys := lk.keys
	if len(keys) > 20 {
		keys = append(keys[:20:20], "…")
	}
	fr := "« " + strings.Join(keys, " », « ") + " »"
	en := `"` + strings.Join(keys, `", "`) + `"`
	c.rn.problem(c, RuleLookup,
		fmt.Sprintf("« %s » n'est pas une valeur prévue (%s) ; valeurs connues du mapping (table « %s ») : %s", raw, termFR(c.t.bt), lk.name, fr),
		fmt.Sprintf("%q is not a value expected for %s; values the mapping knows (lookup %q): %s", raw, nameEN(c.t.bt), lk.name, en))
}

type chooseExpr struct {
	whens     []*whenExpr
	otherwise expr
}

type whenExpr struct {
	line  int
	subj  expr
	conds []cond
	x     expr
}

type cond struct {
	op   string // equals, not-equals, in, matches, empty, negative
	arg  string
	set  []string
	re   *regexp.Regexp
	want bool
}

func (x *chooseExpr) eval(c *evalCtx) (string, bool) {
	for _, w := range x.whens {
		s, ok := w.subj.eval(c)
		if !ok {
			return "", false
		}
		s = strings.TrimSpace(s)
		hold := holdsAll(w.conds, s, c.rn)
		if hold {
			if c.explain {
				c.step("when (mapping line %d) holds", w.line)
			}
			return w.x.eval(c)
		}
	}
	if x.otherwise != nil {
		if c.explain {
			c.step("otherwise")
		}
		return x.otherwise.eval(c)
	}
	return "", true
}

// holdsAll reports whether the value s passes every test of conds.
func holdsAll(conds []cond, s string, rn *run) bool {
	for _, cd := range conds {
		var r bool
		switch cd.op {
		case "equals":
			r = s == cd.arg
		case "not-equals":
			r = s != cd.arg
		case "in":
			for _, v := range cd.set {
				r = r || s == v
			}
		case "matches":
			r = cd.re.MatchString(s)
		case "empty":
			r = (s == "") == cd.want
		case "negative":
			neg := false
			if rn != nil {
				d, ok, _ := parseNumberFmt(s, numFmt{dec: rn.m.src.decimal, thou: rn.m.src.thousands})
				neg = ok && d.Sign() < 0
			}
			r = neg == cd.want
		}
		if !r {
			return false
		}
	}
	return true
}
