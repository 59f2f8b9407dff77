package schematron

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// Namespaces of schematron documents.
const (
	NSSchematron = "http://purl.oclc.org/dsdl/schematron"
	NSXSL        = "http://www.w3.org/1999/XSL/Transform"
)

// Schema is a compiled schematron rule set.
type Schema struct {
	Title     string
	NS        [][2]string // prefix, URI in declaration order
	Lets      []Let       // schema-level variables
	Functions []Function
	Patterns  []*Pattern
	env       *env
	names     nameIndex // the element names deciders test the document for
}

// Let is a variable: its name and XPath value.
type Let struct {
	Name, Value string
	expr        expr
}

// Function is a stylesheet function (xsl:function).
type Function struct {
	Name, As string
	Params   [][2]string // name, as
	Vars     []Let
	Result   string
}

// Pattern is a schematron pattern: rules competing for the elements of the document.
type Pattern struct {
	ID    string
	Lets  []Let // evaluated once, with the document node as context
	Rules []*Rule
}

// Rule is a rule of a pattern: its context and what it asserts there.
type Rule struct {
	Context string
	Lets    []Let
	Asserts []*Assert
	match   expr          // the context as an absolute expression selecting every matching node
	context *contextMatch // the context compiled for matching, nil when it cannot be
}

// Assert is an assert (or, with Report, a report) of a rule.
type Assert struct {
	ID, Flag, Test string
	Report         bool   // a report fires when its test is true
	Message        string // its text, whitespace collapsed, computed parts (value-of) left out
	test           expr
	cond           cond     // test compiled
	decide         *decider // nil when no missing element name decides the test
}

// Failure is a failed assert (or a fired report) at a node. Err is set when the test could
// not be evaluated on the document; such an assert counts as failed.
type Failure struct {
	Assert *Assert
	Node   *Node
	Err    error
	Lets   []Binding // the rule's variables at that node, for messages
}

// Binding is a variable's value: the string value of each item.
type Binding struct {
	Name   string
	Values []string
}

// Load reads a schematron document (the subset the official artefacts use: ns, let,
// xsl:function, pattern, rule, assert, report) and compiles every expression.
func Load(data []byte) (*Schema, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("schematron: %w", err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "schema" {
		return nil, errors.New("schematron: the root element is not schema")
	}
	s := &Schema{}
	for _, e := range root.ChildElements() {
		switch e.Tag {
		case "title":
			s.Title = strings.TrimSpace(e.Text())
		case "ns":
			s.NS = append(s.NS, [2]string{e.SelectAttrValue("prefix", ""), e.SelectAttrValue("uri", "")})
		case "let":
			s.Lets = append(s.Lets, Let{Name: e.SelectAttrValue("name", ""), Value: e.SelectAttrValue("value", "")})
		case "function":
			f := Function{Name: e.SelectAttrValue("name", ""), As: e.SelectAttrValue("as", "")}
			for _, c := range e.ChildElements() {
				switch c.Tag {
				case "param":
					f.Params = append(f.Params, [2]string{c.SelectAttrValue("name", ""), c.SelectAttrValue("as", "")})
				case "variable":
					f.Vars = append(f.Vars, Let{Name: c.SelectAttrValue("name", ""), Value: c.SelectAttrValue("select", "")})
				case "sequence":
					f.Result = c.SelectAttrValue("select", "")
				}
			}
			s.Functions = append(s.Functions, f)
		case "pattern":
			if e.SelectAttrValue("abstract", "") == "true" {
				continue
			}
			p := &Pattern{ID: e.SelectAttrValue("id", "")}
			for _, c := range e.ChildElements() {
				switch c.Tag {
				case "let":
					p.Lets = append(p.Lets, Let{Name: c.SelectAttrValue("name", ""), Value: c.SelectAttrValue("value", "")})
				case "rule":
					if c.SelectAttrValue("abstract", "") == "true" {
						continue
					}
					r := &Rule{Context: c.SelectAttrValue("context", "")}
					for _, a := range c.ChildElements() {
						switch a.Tag {
						case "let":
							r.Lets = append(r.Lets, Let{Name: a.SelectAttrValue("name", ""), Value: a.SelectAttrValue("value", "")})
						case "assert", "report":
							r.Asserts = append(r.Asserts, &Assert{ID: a.SelectAttrValue("id", ""), Flag: a.SelectAttrValue("flag", ""),
								Test: a.SelectAttrValue("test", ""), Report: a.Tag == "report", Message: textContent(a)})
						}
					}
					p.Rules = append(p.Rules, r)
				}
			}
			s.Patterns = append(s.Patterns, p)
		}
	}
	if err := s.compile(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Schema) compile() error {
	s.env = &env{ns: map[string]string{}, funcs: map[string]*function{}}
	for _, n := range s.NS {
		s.env.ns[n[0]] = n[1]
	}
	if _, ok := s.env.ns["xs"]; !ok {
		s.env.ns["xs"] = "http://www.w3.org/2001/XMLSchema"
	}
	var errs []error
	comp := func(src string) expr {
		e, err := compile(src)
		if err != nil {
			errs = append(errs, err)
			return e
		}
		return s.env.resolve(e)
	}
	for i := range s.Lets {
		s.Lets[i].expr = comp(s.Lets[i].Value)
	}
	for _, f := range s.Functions {
		fn := &function{name: f.Name, result: comp(f.Result)}
		for _, p := range f.Params {
			fn.params = append(fn.params, param{p[0], p[1]})
		}
		for _, v := range f.Vars {
			fn.vars = append(fn.vars, let{v.Name, comp(v.Value)})
		}
		s.env.funcs[f.Name] = fn
		s.env.shadowing = s.env.shadowing || !strings.Contains(f.Name, ":") || strings.HasPrefix(f.Name, "fn:")
	}
	for _, p := range s.Patterns {
		for i := range p.Lets {
			p.Lets[i].expr = comp(p.Lets[i].Value)
		}
		for _, r := range p.Rules {
			if c := comp(r.Context); c != nil {
				r.match = s.env.resolve(matcher(c))
				r.context, _ = s.env.compileContext(r.match)
			}
			for i := range r.Lets {
				r.Lets[i].expr = comp(r.Lets[i].Value)
			}
			for _, a := range r.Asserts {
				a.test = comp(a.Test)
				a.cond = s.env.condOf(a.test)
				a.decide = s.deciderOf(a.test)
			}
		}
	}
	return errors.Join(errs...)
}

// matcher turns a rule context (an XSLT pattern) into an expression that selects, from the
// document node, every node the pattern matches.
func matcher(c expr) expr {
	if u, ok := c.(exUnion); ok && u.op == "union" {
		return exUnion{"union", matcher(u.l), matcher(u.r)}
	}
	dos := descendantOrSelf()
	switch x := c.(type) {
	case exPath:
		if x.abs {
			return x
		}
		steps := append([]expr{dos}, x.steps...)
		return optimize(exPath{abs: true, steps: steps})
	case exRoot:
		return x
	}
	return optimize(exPath{abs: true, steps: []expr{dos, c}})
}

// optimize rewrites descendant-or-self::node()/child::x as descendant::x (and /@x as one
// pass over the attributes) when x has no positional predicate.
func optimize(p exPath) exPath {
	steps := p.steps
	for i := 0; i+1 < len(steps); i++ {
		s, ok := steps[i].(exStep)
		nx, ok2 := steps[i+1].(exStep)
		if ok && ok2 && s.axis == "descendant-or-self" && s.test.kind == "node" && len(s.preds) == 0 &&
			(nx.axis == "child" || nx.axis == "attribute") && (len(nx.preds) == 0 || !positional(nx.preds)) {
			axis := map[string]string{"child": "descendant", "attribute": "descendant-attribute"}[nx.axis]
			steps = append(append(append([]expr{}, steps[:i]...), exStep{axis: axis, test: nx.test, preds: nx.preds}), steps[i+2:]...)
		}
	}
	p.steps = steps
	return p
}

// Run evaluates the schema on doc and returns the failed asserts and fired reports in the
// order the compiled stylesheets report them: pattern by pattern, elements in document
// order.
func (s *Schema) Run(doc *Document) []Failure {
	var out []Failure
	root := &ctx{item: doc.Root, pos: 1, size: 1, env: s.env, root: doc.Root, all: doc.all, byName: &doc.byName}
	// Lets of the schema and of every pattern are global variables.
	var globals *scope
	var globalErr error
	bindAll := func(lets []Let) {
		for _, l := range lets {
			c := *root
			c.vars = globals
			v, err := safeEval(&c, l.expr)
			if err != nil && globalErr == nil {
				globalErr = fmt.Errorf("$%s: %w", l.Name, err)
			}
			globals = globals.bind(l.Name, v)
		}
	}
	bindAll(s.Lets)
	for _, p := range s.Patterns {
		bindAll(p.Lets)
	}
	root.vars = globals
	present := s.names.present(doc)
	if globalErr != nil {
		// The stylesheet would not start: every assert fails with the error.
		for _, a := range s.Asserts() {
			out = append(out, Failure{Assert: a, Node: doc.Root, Err: globalErr})
		}
		return out
	}
	scratch := runPool.Get().(*runScratch)
	defer scratch.release()
	for _, p := range s.Patterns {
		// The rule firing at each element, by Node.at (elements are never attributes): the
		// first whose context matches it, 1 + its index. Visiting them by position is
		// visiting them in document order, as the stylesheet's traversal does.
		firing := resize(scratch.firing, len(doc.all))
		scratch.firing = firing
		matching := *root // the context of the compiled contexts' predicates
		for i, r := range p.Rules {
			if r.context != nil {
				r.context.mark(&matching, doc, firing, int32(i+1))
				continue
			}
			mark := func(n *Node) {
				if n.Kind == ElementNode && firing[n.at] == 0 {
					firing[n.at] = int32(i + 1)
				}
			}
			if root.eachPlain(r.match, mark) {
				continue
			}
			nodes, err := safeEval(root, r.match)
			if err != nil {
				// The stylesheet would stop: every assert of the rule fails with the error.
				for _, a := range r.Asserts {
					out = append(out, Failure{Assert: a, Node: doc.Root, Err: err})
				}
				continue
			}
			for _, it := range nodes {
				if n, ok := it.(*Node); ok {
					mark(n)
				}
			}
		}
		plans := resize(scratch.plans, len(p.Rules))
		scratch.plans = plans
		planBuf := scratch.planBuf[:0] // backs the plans
		node := *root                  // the context of each element, reused
		for at, fires := range firing {
			if fires == 0 {
				continue
			}
			rule := p.Rules[fires-1]
			if plans[fires-1] == nil {
				plans[fires-1], planBuf = rule.plan(present, planBuf)
				scratch.planBuf = planBuf
			}
			node.item, node.vars = doc.all[at], root.vars
			out = rule.check(&node, plans[fires-1], out)
		}
	}
	return out
}

// runScratch is the working memory of a Run, kept from run to run (see runPool): made
// afresh, it was a quarter of what checking a document allocates.
type runScratch struct {
	firing  []int32     // by Node.at, the rule firing there (see Run)
	plans   [][]planned // by rule
	planBuf []planned   // backs the plans
}

// runPool keeps the scratch of finished runs; Run may be called concurrently.
var runPool = sync.Pool{New: func() any { return new(runScratch) }}

// release hands r back to runPool, holding no assert of the schema it ran.
func (r *runScratch) release() {
	clear(r.plans)
	clear(r.planBuf[:cap(r.planBuf)])
	r.planBuf = r.planBuf[:0]
	runPool.Put(r)
}

// planned is an assert of a rule as the names of a document leave it (see decider): to
// evaluate at each element, or failing at each without evaluation.
type planned struct {
	*Assert
	fails bool
}

// plan lists the asserts of r that the names present do not decide to hold, in order,
// appending them to buf: it returns them and buf.
func (r *Rule) plan(present []bool, buf []planned) (plan, rest []planned) {
	start := len(buf)
	for _, a := range r.Asserts {
		ok, decided := a.decide.decided(present)
		if !decided {
			buf = append(buf, planned{Assert: a})
		} else if ok == a.Report {
			buf = append(buf, planned{Assert: a, fails: true})
		}
	}
	return buf[start:len(buf):len(buf)], buf
}

// check evaluates the lets of r, then its planned asserts, at c's context element,
// appending their failures to out.
func (r *Rule) check(c *ctx, plan []planned, out []Failure) []Failure {
	node := c.item.(*Node)
	vals := make([]seq, len(r.Lets))
	var letErr error
	for i, l := range r.Lets {
		v, err := safeEval(c, l.expr)
		if err != nil && letErr == nil {
			letErr = fmt.Errorf("$%s: %w", l.Name, err)
		}
		vals[i] = v
		c.vars = c.vars.bind(l.Name, v)
	}
	if letErr != nil {
		// The stylesheet would stop: every assert of the rule fails with the error.
		for _, a := range r.Asserts {
			out = append(out, Failure{Assert: a, Node: node, Err: letErr})
		}
		return out
	}
	bindings := func() []Binding {
		var bs []Binding
		for i, l := range r.Lets {
			b := Binding{Name: l.Name}
			for _, it := range vals[i] {
				b.Values = append(b.Values, toString(it))
			}
			bs = append(bs, b)
		}
		return bs
	}
	for _, a := range plan {
		var ok bool
		var err error
		switch {
		case a.fails:
			ok = a.Report
		case a.cond.safe:
			ok = a.cond.holds(c, node)
		default:
			ok, err = safeHolds(c, node, a.cond)
		}
		if err != nil {
			out = append(out, Failure{Assert: a.Assert, Node: node, Err: err})
			continue
		}
		if ok == a.Report {
			out = append(out, Failure{Assert: a.Assert, Node: node, Lets: bindings()})
		}
	}
	return out
}

// caught, deferred, stops the panic of an evaluation error (evalError) and returns it in
// *err; any other panic goes on.
func caught(err *error) {
	if r := recover(); r != nil {
		ee, ok := r.(evalError)
		if !ok {
			panic(r)
		}
		*err = ee
	}
}

// safeEval is the value of e, or the error that stopped its evaluation.
func safeEval(c *ctx, e expr) (v seq, err error) {
	defer caught(&err)
	return c.eval(e), nil
}

// safeHolds is the value of a compiled test at n, or the error that stopped its evaluation.
func safeHolds(c *ctx, n *Node, k cond) (b bool, err error) {
	defer caught(&err)
	return k.holds(c, n), nil
}

// safeTruth is the effective boolean value of e (see truth), or the error that stopped its
// evaluation.
func safeTruth(c *ctx, e expr) (b bool, err error) {
	defer caught(&err)
	return c.truth(e), nil
}

// Eval evaluates an XPath expression with the document node as context, for tests and
// tools; namespaces are those of the schema.
func (s *Schema) Eval(doc *Document, src string) ([]string, error) {
	e, err := compile(src)
	if err != nil {
		return nil, err
	}
	e = s.env.resolve(e)
	v, err := safeEval(&ctx{item: doc.Root, pos: 1, size: 1, env: s.env, root: doc.Root, all: doc.all, byName: &doc.byName}, e)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(v))
	for i, it := range v {
		out[i] = toString(it)
	}
	return out, nil
}

// Filter returns a copy of s keeping only the asserts for which keep returns true. A rule
// left without asserts stays when a rule after it in its pattern keeps some (it still claims
// elements from them); a pattern left without asserts goes.
func (s *Schema) Filter(keep func(*Assert) bool) *Schema {
	c := *s
	c.Patterns = nil
	for _, p := range s.Patterns {
		np := &Pattern{ID: p.ID, Lets: p.Lets}
		last := -1
		for _, r := range p.Rules {
			nr := &Rule{Context: r.Context, Lets: r.Lets, match: r.match, context: r.context}
			for _, a := range r.Asserts {
				if keep(a) {
					nr.Asserts = append(nr.Asserts, a)
				}
			}
			np.Rules = append(np.Rules, nr)
			if len(nr.Asserts) > 0 {
				last = len(np.Rules) - 1
			}
		}
		if last < 0 {
			continue
		}
		np.Rules = np.Rules[:last+1]
		c.Patterns = append(c.Patterns, np)
	}
	return &c
}

// Asserts lists every assert of the schema in declaration order.
func (s *Schema) Asserts() []*Assert {
	var out []*Assert
	for _, p := range s.Patterns {
		for _, r := range p.Rules {
			out = append(out, r.Asserts...)
		}
	}
	return out
}

// Marshal writes s as a schematron document holding only what Load reads, with the
// asserts' messages when keepMessages.
func (s *Schema) Marshal(comment string, keepMessages bool) []byte {
	var b bytes.Buffer
	esc := func(v string) string {
		var e bytes.Buffer
		xml.EscapeText(&e, []byte(v))
		return strings.ReplaceAll(e.String(), `"`, "&quot;")
	}
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	if comment != "" {
		b.WriteString("<!-- " + strings.ReplaceAll(comment, "--", "- -") + " -->\n")
	}
	b.WriteString(`<schema xmlns="` + NSSchematron + `" xmlns:xsl="` + NSXSL + `" queryBinding="xslt2">` + "\n")
	if s.Title != "" {
		b.WriteString("  <title>" + esc(s.Title) + "</title>\n")
	}
	for _, n := range s.NS {
		fmt.Fprintf(&b, "  <ns prefix=\"%s\" uri=\"%s\"/>\n", esc(n[0]), esc(n[1]))
	}
	lets := func(indent string, ls []Let) {
		for _, l := range ls {
			fmt.Fprintf(&b, "%s<let name=\"%s\" value=\"%s\"/>\n", indent, esc(l.Name), esc(l.Value))
		}
	}
	lets("  ", s.Lets)
	for _, f := range s.Functions {
		fmt.Fprintf(&b, "  <xsl:function name=\"%s\" as=\"%s\">\n", esc(f.Name), esc(f.As))
		for _, p := range f.Params {
			fmt.Fprintf(&b, "    <xsl:param name=\"%s\" as=\"%s\"/>\n", esc(p[0]), esc(p[1]))
		}
		for _, v := range f.Vars {
			fmt.Fprintf(&b, "    <xsl:variable name=\"%s\" select=\"%s\"/>\n", esc(v.Name), esc(v.Value))
		}
		fmt.Fprintf(&b, "    <xsl:sequence select=\"%s\"/>\n  </xsl:function>\n", esc(f.Result))
	}
	for _, p := range s.Patterns {
		fmt.Fprintf(&b, "  <pattern id=\"%s\">\n", esc(p.ID))
		lets("    ", p.Lets)
		for _, r := range p.Rules {
			fmt.Fprintf(&b, "    <rule context=\"%s\">\n", esc(r.Context))
			lets("      ", r.Lets)
			for _, a := range r.Asserts {
				tag := "assert"
				if a.Report {
					tag = "report"
				}
				fmt.Fprintf(&b, "      <%s id=\"%s\" flag=\"%s\" test=\"%s\"", tag, esc(a.ID), esc(a.Flag), esc(a.Test))
				if keepMessages && a.Message != "" {
					fmt.Fprintf(&b, ">%s</%s>\n", esc(a.Message), tag)
				} else {
					b.WriteString("/>\n")
				}
			}
			b.WriteString("    </rule>\n")
		}
		b.WriteString("  </pattern>\n")
	}
	b.WriteString("</schema>\n")
	return b.Bytes()
}

// textContent is the text of e and its descendants, whitespace collapsed.
func textContent(e *etree.Element) string {
	var b strings.Builder
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, t := range e.Child {
			switch c := t.(type) {
			case *etree.CharData:
				b.WriteString(c.Data)
			case *etree.Element:
				walk(c)
			}
		}
	}
	walk(e)
	return strings.Join(strings.Fields(b.String()), " ")
}
