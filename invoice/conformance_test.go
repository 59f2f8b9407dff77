package invoice_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/cii"
	"github.com/fluxgate/fluxgate/invoice/syntax"
	"github.com/fluxgate/fluxgate/invoice/ubl"
)

// TestConformance runs the official EN 16931 rule tests (one document each, listed in
// expected.tsv with the rule that must fire as an error or a warning, or must not fire)
// through the syntax's reader and Check, and requires agreement on every row: the rule
// under test fires with the expected severity, or does not fire. A row whose rule neither
// the profile nor the readers implement is a disagreement too. It logs the agreement rate.
func TestConformance(t *testing.T) {
	dir := testutil.Shared(t, "examples", "rule-tests")
	f, err := os.Open(filepath.Join(dir, "expected.tsv"))
	if err != nil {
		testutil.Missing(t, "rule tests: %v", err)
	}
	defer f.Close()
	p, err := invoice.ProfileByName("en16931")
	if err != nil {
		t.Fatal(err)
	}

	// Rules the readers report themselves (syntax rules, BR-CL-03) count as implemented.
	syntaxRules := append(ubl.SyntaxRules(), cii.SyntaxRules()...)
	type tally struct{ rows, agree int }
	perRule := map[string]*tally{}
	var rows, agree int
	sc := bufio.NewScanner(f)
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 8 {
			continue
		}
		file := cols[0]
		var rule string
		var want invoice.Severity // "" when the rule must not fire
		switch {
		case cols[4] != "":
			rule, want = cols[4], invoice.Fatal
		case cols[5] != "":
			rule, want = cols[5], invoice.Warning
		case cols[6] != "":
			rule = cols[6]
		default:
			continue
		}
		rows++
		tl := perRule[rule]
		if tl == nil {
			tl = &tally{}
			perRule[rule] = tl
		}
		tl.rows++
		if _, ok := p.Rule(rule); !ok && !slices.Contains(syntaxRules, rule) {
			t.Errorf("%s: %s is implemented neither by the profile nor by the readers", file, rule)
			continue
		}

		got, detail, err := run(filepath.Join(dir, file), rule, p)
		if err != nil {
			t.Errorf("%s (%s): %v", file, rule, err)
			continue
		}
		switch {
		case got == want:
			agree++
			tl.agree++
		case want == "":
			t.Errorf("%s: %s fired (%s), the official tests expect it not to: %s", file, rule, got, detail)
		case got == "":
			t.Errorf("%s: %s did not fire, the official tests expect a %s finding (%s)", file, rule, want, strings.TrimSpace(cols[7]))
		default:
			t.Errorf("%s: %s fired as %s, the official tests expect %s: %s", file, rule, got, want, detail)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows == 0 {
		t.Fatalf("no rule tests in %s", dir)
	}

	ids := make([]string, 0, len(perRule))
	for id := range perRule {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b strings.Builder
	for _, id := range ids {
		if tl := perRule[id]; tl.agree != tl.rows {
			fmt.Fprintf(&b, " %s %d/%d", id, tl.agree, tl.rows)
		}
	}
	if b.Len() > 0 {
		t.Logf("rules with disagreements:%s", b.String())
	}
	t.Logf("agreement with the official rule tests: %d/%d rows (%.1f %%), %d rules", agree, rows, 100*float64(agree)/float64(rows), len(perRule))
}

// run reads one rule-test document and returns the severity with which rule fired on it
// ("" when it did not; fatal when it fired both ways), with the messages.
func run(path, rule string, p *invoice.Profile) (invoice.Severity, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	s, inv, readViolations, err := syntax.Read(data)
	if err != nil {
		return "", "", err
	}
	var got invoice.Severity
	var msgs []string
	for _, v := range syntax.CheckRead(s, inv, readViolations, p) {
		if v.Rule == rule {
			msgs = append(msgs, v.String())
			if got != invoice.Fatal {
				got = v.Severity
			}
		}
	}
	return got, strings.Join(msgs, "; "), nil
}
