package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/syntax"
	"github.com/fluxgate/fluxgate/mapping"
)

func newTestMappingCmd() *cobra.Command {
	var update bool
	cmd := &cobra.Command{
		Use:   "test-mapping [--update] DIR",
		Short: "Golden tests of mappings: map every export and compare with the expected invoices and findings",
		Long: `Run the golden tests of the mappings under DIR. DIR holds

  mappings/NAME.xml                     the mappings
  exports/INPUT                         the exports
  golden/NAME/INPUT/                    what mapping INPUT with NAME must give:
      findings.txt                      each invoice, its status and every finding
      NUMBER_ubl.xml, NUMBER_cii.xml    each accepted invoice, in UBL 2.1 and CII D16B

For each golden/NAME/INPUT folder, the export is mapped, checked (EN 16931) and written, and
the result compared with the folder. Differences are printed as line diffs. --update rewrites
the folders from the current result (create an empty golden/NAME/INPUT folder to add a test).

Exit status: 0 every test passes, 1 some result differs, 2 a mapping, an export or DIR
cannot be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := langOf(cmd)
			if err != nil {
				return err
			}
			dir := args[0]
			out := cmd.OutOrStdout()
			cases, err := filepath.Glob(filepath.Join(dir, "golden", "*", "*"))
			if err != nil {
				return exitError{2, err}
			}
			var tests []string
			for _, c := range cases {
				if fi, err := os.Stat(c); err == nil && fi.IsDir() {
					tests = append(tests, c)
				}
			}
			if len(tests) == 0 {
				return exitError{2, fmt.Errorf("%s: no golden/NAME/INPUT folder", dir)}
			}
			prog := startProgress(cmd, int64(len(tests)), "tests") // on a terminal (progress.go)
			defer prog.Done()
			out = cmd.OutOrStdout()
			failed := 0
			for _, c := range tests {
				prog.Add(1)
				name, input := filepath.Base(filepath.Dir(c)), filepath.Base(c)
				got, err := goldenRun(cmd.Context(), filepath.Join(dir, "mappings", name+".xml"), filepath.Join(dir, "exports", input))
				if err != nil {
					return exitError{2, err}
				}
				label := name + "/" + input
				if update {
					if err := writeGolden(c, got); err != nil {
						return exitError{2, err}
					}
					fmt.Fprintf(out, "UPDATED %s (%d files)\n", label, len(got))
					continue
				}
				want, err := readGolden(c)
				if err != nil {
					return exitError{2, err}
				}
				if diff := diffGolden(want, got); diff != "" {
					failed++
					fmt.Fprintf(out, "FAIL %s\n%s", label, diff)
					continue
				}
				fmt.Fprintf(out, "ok   %s (%d files)\n", label, len(got))
			}
			if failed > 0 {
				fmt.Fprintln(out, inLang(lang,
					fmt.Sprintf("%d test(s) de référence sur %d en échec (fluxgate test-mapping --update %s accepte les nouveaux résultats)", failed, len(tests), dir),
					fmt.Sprintf("%d of %d golden tests failed (fluxgate test-mapping --update %s accepts the new results)", failed, len(tests), dir)))
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&update, "update", false, "rewrite the golden folders from the current results")
	return cmd
}

// goldenRun maps input with the mapping, checks and writes every invoice, and returns the
// files a golden folder holds: findings.txt and the accepted invoices in UBL and CII.
func goldenRun(ctx context.Context, mappingPath, input string) (map[string][]byte, error) {
	m, err := mapping.Load(mappingPath)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(input)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	files := map[string][]byte{}
	var findings bytes.Buffer
	profile := invoice.EN16931()
	notice := func(n mapping.Notice) {
		fmt.Fprintf(&findings, "NOTICE %s\n", findingLine(n.Position, "", n.Rule, "", n.EN))
	}
	err = m.MapWith(ctx, f, filepath.Base(input), mapping.Options{Notice: notice}, func(res *mapping.Result) error {
		var lines []string
		fatal := false
		for _, p := range res.Problems {
			fatal = true
			lines = append(lines, "  "+findingLine(p.Position, p.BT, p.Rule, "fatal", p.EN))
		}
		for _, p := range res.Warnings {
			lines = append(lines, "  "+findingLine(p.Position, p.BT, p.Rule, "warning", p.EN))
		}
		for _, v := range invoice.Check(res.Invoice, profile) {
			if res.Repeats(v) {
				continue // the mapping's own problem already says it
			}
			pos := res.Locate(v.Path, v.BT)
			fatal = fatal || v.Severity == invoice.Fatal
			lines = append(lines, "  "+findingLine(pos, strings.Join(v.BT, ","), v.Rule, string(v.Severity), v.EN))
		}
		status := "ACCEPTED"
		if fatal {
			status = "REJECTED"
		} else {
			base := folder.SafeName(res.Invoice.Number)
			for _, to := range []string{syntax.OutputUBL, syntax.OutputCII} {
				data, err := syntax.Write(to, res.Invoice)
				if err != nil {
					return err
				}
				files[base+"_"+to+".xml"] = data
				status += " " + base + "_" + to + ".xml"
			}
		}
		fmt.Fprintf(&findings, "%s lines %d-%d: %s\n", res.Key, res.Lines[0], res.Lines[1], status)
		for _, l := range lines {
			findings.WriteString(l + "\n")
		}
		return nil
	})
	var fe *mapping.FileError
	if errors.As(err, &fe) {
		findings.WriteString(fileRejectedLine(fe) + "\n")
	} else if err != nil {
		return nil, err
	}
	files["findings.txt"] = findings.Bytes()
	return files, nil
}

// fileRejectedLine is the finding of a file rejected whole, with its line and column when
// the error has them.
func fileRejectedLine(fe *mapping.FileError) string {
	where := strings.TrimSuffix(findingLine(mapping.Position{Line: fe.Line, Column: fe.Column}, "", "", "", ""), ": ")
	return strings.TrimRight("FILE REJECTED "+where, " ") + ": " + fe.EN
}

// findingLine writes one finding of findings.txt: its line, column, business terms, rule,
// severity and mapping line, each left out when unknown, then the message.
func findingLine(p mapping.Position, bt, rule, severity, msg string) string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d ", p.Line)
	}
	if p.Column != "" {
		fmt.Fprintf(&b, "[%s] ", p.Column)
	}
	if bt != "" {
		b.WriteString(bt + " ")
	}
	b.WriteString(rule)
	if severity != "" {
		b.WriteString(" " + severity)
	}
	if p.MappingLine > 0 {
		fmt.Fprintf(&b, " (mapping line %d)", p.MappingLine)
	}
	return strings.TrimRight(b.String(), " ") + ": " + msg
}

func readGolden(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		files[e.Name()] = data
	}
	return files, nil
}

func writeGolden(dir string, files map[string][]byte) error {
	old, err := readGolden(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for name := range old {
		if _, keep := files[name]; !keep {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return err
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// diffGolden returns a readable account of the differences, "" when there is none. Files
// that differ the same way (one mapping change touching every invoice) are told once.
func diffGolden(want, got map[string][]byte) string {
	names := map[string]bool{}
	for n := range want {
		names[n] = true
	}
	for n := range got {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var b strings.Builder
	type group struct {
		files []string
		text  string // the first file's diff, with its line numbers
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, n := range sorted {
		w, inWant := want[n]
		g, inGot := got[n]
		switch {
		case !inGot:
			fmt.Fprintf(&b, "  %s: expected, not produced\n", n)
		case !inWant:
			fmt.Fprintf(&b, "  %s: produced, not expected\n", n)
		case !bytes.Equal(w, g):
			ops := lineDiff(strings.Split(string(w), "\n"), strings.Split(string(g), "\n"))
			key := changes(ops)
			if gr := byKey[key]; gr != nil {
				gr.files = append(gr.files, n)
				continue
			}
			gr := &group{files: []string{n}, text: renderDiff(ops)}
			byKey[key] = gr
			groups = append(groups, gr)
		}
	}
	for _, gr := range groups {
		if len(gr.files) == 1 {
			fmt.Fprintf(&b, "  %s differs (- expected, + got):\n", gr.files[0])
		} else {
			fmt.Fprintf(&b, "  %d files differ the same way (- expected, + got): %s\n", len(gr.files), strings.Join(gr.files, ", "))
		}
		b.WriteString(gr.text)
	}
	return b.String()
}

// diffOp is one line of a diff: kept (' '), expected only ('-') or got only ('+').
type diffOp struct {
	kind byte
	text string
	line int
}

// lineDiff returns the line diff of a (expected) and b (got): an LCS diff where, at a
// change, the expected lines come before the lines got.
func lineDiff(a, b []string) []diffOp {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i], i + 1})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, diffOp{'-', a[i], i + 1})
			i++
		default:
			ops = append(ops, diffOp{'+', b[j], j + 1})
			j++
		}
	}
	return ops
}

// changes is what a diff changes, without context or line numbers: two files that differ
// the same way have the same changes.
func changes(ops []diffOp) string {
	var b strings.Builder
	for _, o := range ops {
		if o.kind != ' ' {
			b.WriteByte(o.kind)
			b.WriteString(o.text)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// renderDiff writes the changed lines with two lines of context and their line numbers.
func renderDiff(ops []diffOp) string {
	var w strings.Builder
	show := make([]bool, len(ops))
	for k, o := range ops {
		if o.kind != ' ' {
			for c := max(0, k-2); c <= min(len(ops)-1, k+2); c++ {
				show[c] = true
			}
		}
	}
	last := -1
	for k, o := range ops {
		if !show[k] {
			continue
		}
		if last >= 0 && k > last+1 {
			fmt.Fprintln(&w, "    …")
		}
		fmt.Fprintf(&w, "    %c %4d  %s\n", o.kind, o.line, o.text)
		last = k
	}
	return w.String()
}
