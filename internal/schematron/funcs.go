package schematron

import (
	"math"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// function is a stylesheet function of the schema (xsl:function): parameters, local
// variables and the result expression.
type function struct {
	name   string
	params []param
	vars   []let
	result expr
}

type param struct{ name, as string }

type let struct {
	name  string
	value expr
}

type regexpEntry struct {
	once sync.Once
	re   *regexp.Regexp
	err  error
}

var regexCache sync.Map // flags NUL pattern, or the pattern without flags → *regexpEntry

// compileRegex translates an XPath regular expression into Go's syntax.
func compileRegex(pattern, flags string) *regexp.Regexp {
	// Without flags the pattern is its own key (no NUL can occur in an XML document's
	// pattern), and a pattern met before is found without allocating.
	key := pattern
	if flags != "" {
		key = flags + "\x00" + pattern
	}
	v, ok := regexCache.Load(key)
	if !ok {
		v, _ = regexCache.LoadOrStore(key, &regexpEntry{})
	}
	e := v.(*regexpEntry)
	e.once.Do(func() {
		p := pattern
		prefix := ""
		for _, f := range flags {
			switch f {
			case 'i':
				prefix += "i"
			case 's':
				prefix += "s"
			case 'm':
				prefix += "m"
			case 'x':
				p = strings.Join(strings.Fields(p), "")
			}
		}
		if prefix != "" {
			p = "(?" + prefix + ")" + p
		}
		e.re, e.err = regexp.Compile(p)
	})
	if e.err != nil {
		fail("regular expression %q: %v", pattern, e.err)
	}
	return e.re
}

// str is the string value of the first item of a sequence ("" when empty).
func str(s seq) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > 1 {
		fail("a single string is expected, found a sequence of %d items", len(s))
	}
	return toString(s[0])
}

func (c *ctx) arg0(args []seq) seq {
	if len(args) > 0 {
		return args[0]
	}
	if c.item == nil {
		fail("the context item is absent")
	}
	return seq{c.item}
}

func (c *ctx) call(x exCall) seq {
	if f, ok := c.env.funcs[x.name]; ok {
		return c.callUser(f, x.args)
	}
	switch x.name {
	case "position":
		return seq{float64(c.pos)}
	case "last":
		return seq{float64(c.size)}
	case "true":
		return seq{true}
	case "false":
		return seq{false}
	case "current":
		return seq{c.item}
	}
	if n, ok := c.countPlain(x); ok {
		return seq{float64(n)}
	}
	args := make([]seq, len(x.args))
	for i, a := range x.args {
		args[i] = c.eval(a)
	}
	name := strings.TrimPrefix(x.name, "fn:")
	switch name {
	case "not":
		return seq{!ebv(args[0])}
	case "boolean":
		return seq{ebv(args[0])}
	case "exists":
		return seq{len(args[0]) > 0}
	case "empty":
		return seq{len(args[0]) == 0}
	case "count":
		return seq{float64(len(args[0]))}
	case "sum":
		s := atomize(args[0])
		if len(s) == 0 {
			if len(args) > 1 {
				return args[1]
			}
			return seq{0.0}
		}
		allDec := true
		for _, v := range s {
			if _, ok := v.(dec); !ok {
				allDec = false
			}
		}
		if allDec {
			t := decimal.Zero
			for _, v := range s {
				t = t.Add(v.(dec).d)
			}
			return seq{dec{t}}
		}
		t := 0.0
		for _, v := range s {
			t += toNumber(v)
		}
		return seq{t}
	case "abs", "round", "floor", "ceiling":
		s := atomize(args[0])
		if len(s) == 0 {
			return nil
		}
		if d, ok := s[0].(dec); ok {
			switch name {
			case "abs":
				return seq{dec{d.d.Abs()}}
			case "round":
				return seq{dec{d.d.Add(decimal.New(5, -1)).Floor()}}
			case "floor":
				return seq{dec{d.d.Floor()}}
			}
			return seq{dec{d.d.Ceil()}}
		}
		f := toNumber(s[0])
		switch name {
		case "abs":
			f = math.Abs(f)
		case "round":
			f = math.Floor(f + 0.5)
		case "floor":
			f = math.Floor(f)
		case "ceiling":
			f = math.Ceil(f)
		}
		return seq{f}
	case "xs:decimal", "xs:integer":
		s := atomize(args[0])
		if len(s) == 0 {
			return nil
		}
		var d decimal.Decimal
		switch v := s[0].(type) {
		case dec:
			d = v.d
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				fail("%v cannot be cast to %s", v, name)
			}
			d = decimal.NewFromFloat(v)
		case bool:
			if v {
				d = decimal.NewFromInt(1)
			}
		default:
			t := strings.TrimSpace(toString(v))
			var err error
			d, err = decimal.NewFromString(strings.TrimPrefix(t, "+"))
			if err != nil || t == "" || strings.ContainsAny(t, "eE") {
				fail("%q cannot be cast to %s", t, name)
			}
		}
		if name == "xs:integer" {
			d = d.Truncate(0)
		}
		return seq{dec{d}}
	case "number", "xs:double", "xs:float":
		s := atomize(c.arg0(args))
		if len(s) == 0 {
			if name == "number" {
				return seq{math.NaN()}
			}
			return nil
		}
		f := toNumber(s[0])
		if name != "number" && math.IsNaN(f) {
			fail("%q cannot be cast to %s", toString(s[0]), name)
		}
		return seq{f}
	case "string", "xs:string":
		s := c.arg0(args)
		if len(s) == 0 {
			if name == "xs:string" {
				return nil
			}
			return seq{""}
		}
		return seq{toString(s[0])}
	case "data":
		return atomize(args[0])
	case "xs:boolean":
		s := atomize(args[0])
		if len(s) == 0 {
			return nil
		}
		return seq{toBool(s[0])}
	case "xs:date":
		s := atomize(args[0])
		if len(s) == 0 {
			return nil
		}
		v := strings.TrimSpace(toString(s[0]))
		if !regexp.MustCompile(`^-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$`).MatchString(v) {
			fail("%q is not a date", v)
		}
		return seq{v}
	case "string-length":
		return seq{float64(utf8.RuneCountInString(str(c.arg0(args))))}
	case "normalize-space":
		return seq{strings.Join(strings.Fields(str(c.arg0(args))), " ")}
	case "upper-case":
		return seq{strings.ToUpper(str(args[0]))}
	case "lower-case":
		return seq{strings.ToLower(str(args[0]))}
	case "concat":
		var b strings.Builder
		for _, a := range args {
			b.WriteString(str(atomize(a)))
		}
		return seq{b.String()}
	case "contains":
		return seq{strings.Contains(str(args[0]), str(args[1]))}
	case "starts-with":
		return seq{strings.HasPrefix(str(args[0]), str(args[1]))}
	case "ends-with":
		return seq{strings.HasSuffix(str(args[0]), str(args[1]))}
	case "substring-before":
		b, _, ok := strings.Cut(str(args[0]), str(args[1]))
		if !ok {
			b = ""
		}
		return seq{b}
	case "substring-after":
		s, sep := str(args[0]), str(args[1])
		_, a, ok := strings.Cut(s, sep)
		if !ok {
			a = ""
		}
		return seq{a}
	case "substring":
		return seq{substring(str(args[0]), args[1:])}
	case "translate":
		return seq{translate(str(args[0]), str(args[1]), str(args[2]))}
	case "string-join":
		parts := make([]string, len(args[0]))
		for i, it := range args[0] {
			parts[i] = toString(it)
		}
		sep := ""
		if len(args) > 1 {
			sep = str(args[1])
		}
		return seq{strings.Join(parts, sep)}
	case "matches":
		flags := ""
		if len(args) > 2 {
			flags = str(args[2])
		}
		return seq{compileRegex(str(args[1]), flags).MatchString(str(args[0]))}
	case "replace":
		flags := ""
		if len(args) > 3 {
			flags = str(args[3])
		}
		re := compileRegex(str(args[1]), flags)
		return seq{re.ReplaceAllString(str(args[0]), xpathReplacement(str(args[2])))}
	case "tokenize":
		s := str(args[0])
		if s == "" {
			return nil
		}
		flags := ""
		if len(args) > 2 {
			flags = str(args[2])
		}
		var out seq
		for _, t := range compileRegex(str(args[1]), flags).Split(s, -1) {
			out = append(out, t)
		}
		return out
	case "distinct-values":
		var out seq
		for _, v := range atomize(args[0]) {
			if u, ok := v.(untyped); ok {
				v = string(u)
			}
			dup := false
			for _, w := range out {
				if compareAtomic("eq", v, w) {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, v)
			}
		}
		return out
	case "name", "local-name", "namespace-uri":
		s := c.arg0(args)
		if len(s) == 0 {
			return seq{""}
		}
		n, ok := s[0].(*Node)
		if !ok {
			fail("%s of an atomic value", name)
		}
		switch name {
		case "name":
			return seq{n.Name()}
		case "local-name":
			return seq{n.Local}
		}
		return seq{n.Space}
	case "reverse":
		out := append(seq{}, args[0]...)
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out
	case "exactly-one", "zero-or-one", "one-or-more":
		return args[0]
	}
	fail("unknown function %s()", x.name)
	return nil
}

// callUser calls a stylesheet function: its arguments converted to the parameters' types,
// then its variables, then its result.
func (c *ctx) callUser(f *function, argExprs []expr) seq {
	if len(argExprs) != len(f.params) {
		fail("%s() takes %d arguments", f.name, len(f.params))
	}
	var vars *scope
	for i, p := range f.params {
		v := c.eval(argExprs[i])
		if strings.HasPrefix(p.as, "xs:") {
			v = atomize(v)
			if len(v) > 1 && !strings.HasSuffix(p.as, "*") && !strings.HasSuffix(p.as, "+") {
				fail("%s(): parameter $%s takes one value, got %d", f.name, p.name, len(v))
			}
			if p.as == "xs:string" || p.as == "xs:string?" {
				for j := range v {
					v[j] = toString(v[j])
				}
			}
		}
		vars = vars.bind(p.name, v)
	}
	d := &ctx{env: c.env, root: c.root, all: c.all, byName: c.byName, vars: vars}
	for _, l := range f.vars {
		d.vars = d.vars.bind(l.name, d.eval(l.value))
	}
	return d.eval(f.result)
}

// substring implements fn:substring with XPath's rounding of positions.
func substring(s string, args []seq) string {
	r := []rune(s)
	start := math.Floor(toNumber(atomize(args[0])[0]) + 0.5)
	end := math.Inf(1)
	if len(args) > 1 {
		end = start + math.Floor(toNumber(atomize(args[1])[0])+0.5)
	}
	var b strings.Builder
	for i, ch := range r {
		p := float64(i + 1)
		if p >= start && p < end {
			b.WriteRune(ch)
		}
	}
	return b.String()
}

func translate(s, from, to string) string {
	fr, tr := []rune(from), []rune(to)
	var b strings.Builder
	for _, ch := range s {
		i := -1
		for j, f := range fr {
			if f == ch {
				i = j
				break
			}
		}
		switch {
		case i < 0:
			b.WriteRune(ch)
		case i < len(tr):
			b.WriteRune(tr[i])
		}
	}
	return b.String()
}

// xpathReplacement turns an XPath replacement string ($1, \$) into Go's (${1}, $$).
func xpathReplacement(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			if s[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(s[i])
			}
		case s[i] == '$' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			b.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
