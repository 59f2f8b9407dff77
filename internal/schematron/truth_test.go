package schematron

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// evalTruth is ebv(c.eval(e)), the value truth and the deciders must give, with the error
// that stops it.
func evalTruth(c *ctx, e expr) (v bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ee, ok := r.(evalError)
			if !ok {
				panic(r)
			}
			err = ee
		}
	}()
	return ebv(c.eval(e)), nil
}

// TestFastPathsAgree evaluates every assert of the official rule sets at every element its
// rule's context selects, in every official example and rule test, and requires truth, the
// deciders and the plain-path shortcuts (existence, count) to agree with the general
// evaluation.
func TestFastPathsAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates every official rule on every example")
	}
	bundle := testutil.Shared(t, "reference", "fnfe-ctc-1.4.0")
	sets := []struct {
		sch    string
		syntax string
	}{
		{"CII/EN16931/schematron/EN16931-CII-validation-preprocessed.sch", "cii"},
		{"CII/EN16931/schematron/BR-FR-Flux2-Schematron-CII.sch", "cii"},
		{"UBL/EN16931/schematron/EN16931-UBL-validation-preprocessed.sch", "ubl"},
		{"UBL/EN16931/schematron/BR-FR-Flux2-Schematron-UBL.sch", "ubl"},
	}
	for _, set := range sets {
		data, err := os.ReadFile(filepath.Join(bundle, set.sch))
		if err != nil {
			t.Fatal(err)
		}
		s, err := Load(data)
		if err != nil {
			t.Fatal(err)
		}
		decided, plain, compiled := 0, 0, 0
		for _, f := range exampleFiles(t, set.syntax) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Parse(data)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			d, p, k := fastPathsAgree(t, s, doc, filepath.Base(f))
			decided += d
			plain += p
			compiled += k
		}
		t.Logf("%s: %d decisions, %d plain paths, %d compiled tests checked", filepath.Base(set.sch), decided, plain, compiled)
		if decided+plain == 0 || compiled == 0 {
			t.Errorf("%s: nothing checked", set.sch)
		}
	}
}

func fastPathsAgree(t *testing.T, s *Schema, doc *Document, name string) (decided, plain, compiled int) {
	root := &ctx{item: doc.Root, pos: 1, size: 1, env: s.env, root: doc.Root, all: doc.all, byName: &doc.byName}
	var globals *scope
	for _, l := range s.Lets {
		c := *root
		c.vars = globals
		v, _ := safeEval(&c, l.expr)
		globals = globals.bind(l.Name, v)
	}
	for _, p := range s.Patterns {
		for _, l := range p.Lets {
			c := *root
			c.vars = globals
			v, _ := safeEval(&c, l.expr)
			globals = globals.bind(l.Name, v)
		}
	}
	root.vars = globals
	present := s.names.present(doc)
	for _, p := range s.Patterns {
		for _, r := range p.Rules {
			nodes, err := safeEval(root, r.match)
			want, wantErr := safeEval(root, withoutSuffixIndex(r.match))
			if (err == nil) != (wantErr == nil) || !slices.Equal(nodes, want) {
				t.Fatalf("%s: context %q selects %d nodes (%v), %d walking every node (%v)", name, r.Context, len(nodes), err, len(want), wantErr)
			}
			if r.context != nil {
				contextsAgree(t, root, doc, r, nodes, err, name)
				compiled++
			}
			visited := map[*Node]bool{}
			if root.eachPlain(r.match, func(n *Node) { visited[n] = true }) {
				plain++
				if err != nil || len(visited) != len(nodes) {
					t.Fatalf("%s: context %q: %d nodes visited, %d selected (%v)", name, r.Context, len(visited), len(nodes), err)
				}
				for _, it := range nodes {
					if !visited[it.(*Node)] {
						t.Fatalf("%s: context %q: a node selected is not visited", name, r.Context)
					}
				}
			}
			if err != nil {
				continue
			}
			for _, it := range nodes {
				c := root.with(it, 1, 1)
				for _, l := range r.Lets {
					v, _ := safeEval(c, l.expr)
					c.vars = c.vars.bind(l.Name, v)
				}
				for _, a := range r.Asserts {
					want, wantErr := evalTruth(c, a.test)
					got, err := safeTruth(c, a.test)
					if (err == nil) != (wantErr == nil) || err == nil && got != want {
						t.Fatalf("%s: %s %q: truth %v (%v), evaluation %v (%v)", name, a.ID, a.Test, got, err, want, wantErr)
					}
					if v, ok := a.decide.decided(present); ok {
						decided++
						if wantErr != nil || v != want {
							t.Fatalf("%s: %s %q: decided %v, evaluation %v (%v)", name, a.ID, a.Test, v, want, wantErr)
						}
					}
					plain += plainPathsAgree(t, c, a.test, name+": "+a.ID)
					compiled += condsAgree(t, s.env, c, a.test, name+": "+a.ID)
				}
			}
		}
	}
	return decided, plain, compiled
}

// contextsAgree checks that a compiled rule context marks the elements its evaluation
// selects, and that the evaluation cannot fail.
func contextsAgree(t *testing.T, root *ctx, doc *Document, r *Rule, nodes seq, err error, name string) {
	if err != nil {
		t.Fatalf("%s: context %q compiled, but its evaluation fails: %v", name, r.Context, err)
	}
	var want []*Node
	for _, it := range nodes {
		if n, ok := it.(*Node); ok && n.Kind == ElementNode {
			want = append(want, n)
		}
	}
	firing := make([]int32, len(doc.all))
	c := *root
	r.context.mark(&c, doc, firing, 1)
	var got []*Node
	for at, f := range firing {
		if f != 0 {
			got = append(got, doc.all[at])
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: context %q compiled marks %d elements, its evaluation selects %d", name, r.Context, len(got), len(want))
	}
}

// condsAgree checks that e and each of its operands, compiled (see condOf), have the value
// and the error of their general evaluation, and reports how many compiled tests it checked.
func condsAgree(t *testing.T, en *env, c *ctx, e expr, what string) int {
	checked := 0
	switch x := e.(type) {
	case exOr:
		checked += condsAgree(t, en, c, x.l, what) + condsAgree(t, en, c, x.r, what)
	case exAnd:
		checked += condsAgree(t, en, c, x.l, what) + condsAgree(t, en, c, x.r, what)
	case exCmp:
		checked += condsAgree(t, en, c, x.l, what) + condsAgree(t, en, c, x.r, what)
	case exCall:
		for _, a := range x.args {
			checked += condsAgree(t, en, c, a, what)
		}
	}
	k, ok := en.compileCond(e)
	if !ok {
		return checked
	}
	want, wantErr := evalTruth(c, e)
	got, err := safeHolds(c, c.item.(*Node), k)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || err == nil && got != want {
		t.Fatalf("%s: compiled %#v: %v (%v), evaluation %v (%v)", what, e, got, err, want, wantErr)
	}
	if k.safe && wantErr != nil {
		t.Fatalf("%s: compiled %#v is safe, but its evaluation fails: %v", what, e, wantErr)
	}
	return checked + 1
}

// plainPathsAgree checks the shortcuts on the paths a test applies not, exists, empty or
// count to, and reports how many it checked.
func plainPathsAgree(t *testing.T, c *ctx, e expr, what string) int {
	switch x := e.(type) {
	case exOr:
		return plainPathsAgree(t, c, x.l, what) + plainPathsAgree(t, c, x.r, what)
	case exAnd:
		return plainPathsAgree(t, c, x.l, what) + plainPathsAgree(t, c, x.r, what)
	case exCmp:
		return plainPathsAgree(t, c, x.l, what) + plainPathsAgree(t, c, x.r, what)
	case exCall:
		if len(x.args) != 1 {
			return 0
		}
		p, ok := x.args[0].(exPath)
		if !ok {
			return plainPathsAgree(t, c, x.args[0], what)
		}
		from, ok := c.plainStart(p)
		if !ok {
			return 0
		}
		nodes, err := safeEval(c, p)
		if err != nil {
			t.Fatalf("%s: a plain path fails: %v", what, err)
		}
		if got := c.selectsAny(from, p.steps, nil); got != (len(nodes) > 0) {
			t.Fatalf("%s: selectsAny %v, %d nodes", what, got, len(nodes))
		}
		if n, ok := c.countPlain(exCall{"count", x.args}); ok && n != len(nodes) {
			t.Fatalf("%s: countPlain %d, %d nodes", what, n, len(nodes))
		}
		return 1
	}
	return 0
}

// withoutSuffixIndex is e with the predicates of its steps made to start with true(), so
// that no step selects its elements by name suffix (see bySuffix): they walk every node.
func withoutSuffixIndex(e expr) expr {
	switch x := e.(type) {
	case exUnion:
		return exUnion{x.op, withoutSuffixIndex(x.l), withoutSuffixIndex(x.r)}
	case exPath:
		steps := make([]expr, len(x.steps))
		for i, st := range x.steps {
			steps[i] = withoutSuffixIndex(st)
		}
		return exPath{abs: x.abs, steps: steps}
	case exStep:
		if len(x.preds) == 0 {
			return x
		}
		preds := append([]expr{exAnd{exCall{"true", nil}, x.preds[0]}}, x.preds[1:]...)
		return exStep{axis: x.axis, test: x.test, preds: preds}
	}
	return e
}

// TestCountArithmeticCompiled: count(P) ± count(Q) compared with a number is compiled, and
// agrees with the general evaluation.
func TestCountArithmeticCompiled(t *testing.T) {
	s, doc := evalSchema(t)
	root := &ctx{item: doc.Root, pos: 1, size: 1, env: s.env, root: doc.Root, all: doc.all, byName: &doc.byName}
	for _, src := range []string{
		"count(//@n) - count(//b:z/b:x/@n) <= 0", "count(//@n) - count(//b:z/b:x/@n) = 2",
		"count(//b:x) + count(//b:y) > 3", "4 = count(//b:x) + count(//b:y)", "count(//@n) - count(//@n) lt 0",
	} {
		e, err := compile(src)
		if err != nil {
			t.Fatal(err)
		}
		e = s.env.resolve(e)
		k := s.env.condOf(e)
		if !k.safe {
			t.Errorf("%s: not compiled", src)
			continue
		}
		want, err := evalTruth(root, e)
		if err != nil {
			t.Fatal(err)
		}
		if got := k.holds(root, doc.Root); got != want {
			t.Errorf("%s: compiled %v, evaluation %v", src, got, want)
		}
	}
}
