package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/syntax"
	"github.com/fluxgate/fluxgate/mapping"
)

func newMapCmd() *cobra.Command {
	var mappingPath, to, outDir, profileName string
	var explain bool
	cmd := &cobra.Command{
		Use:   "map -m MAPPING [--to ubl|cii] [-o DIR] [--explain] INPUT",
		Short: "Dry run a mapping on an export: write the invoices and list every finding",
		Long: `Map the export INPUT with MAPPING, check each invoice against the EN 16931 rules, and
write each valid invoice into DIR (or print it when -o is not given). Every finding names its
source line, field, business term and rule. Nothing is claimed, moved or deposited.

With --explain, print the lineage of every business term of each invoice instead of the
invoice itself: its value, the source position it was read from (file:line [column, field
positions or XML path]), the mapping line of the rule, and each transformation applied; for a
computed term, the EN 16931 computation.

Exit status: 0 no fatal finding, 1 some invoice has a fatal finding, 2 the mapping or the
file cannot be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := langOf(cmd)
			if err != nil {
				return err
			}
			write := syntax.Writer(to)
			if write == nil {
				return exitError{2, fmt.Errorf("--to %q: write ubl or cii", to)}
			}
			m, err := mapping.Load(mappingPath)
			if err != nil {
				return exitError{2, err}
			}
			profile, err := invoice.ProfileByName(profileName)
			if err != nil {
				return exitError{2, err}
			}
			in, err := os.Open(args[0])
			if err != nil {
				return exitError{2, err}
			}
			defer in.Close()
			if outDir != "" {
				if err := os.MkdirAll(outDir, 0o750); err != nil {
					return exitError{2, err}
				}
			}
			prog := startFileProgress(cmd, in) // on a terminal (progress.go)
			defer prog.Done()
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			rejected := 0
			notice := func(n mapping.Notice) { fmt.Fprintf(errOut, "%s %s: %s\n", where(n.Position), n.Rule, n.Message(lang)) }
			err = m.MapWith(cmd.Context(), prog.Reader(in), filepath.Base(args[0]), mapping.Options{Explain: explain, Notice: notice}, func(res *mapping.Result) error {
				prog.InvoiceMapped()
				if explain {
					writeExplain(out, res)
				}
				fatal := false
				for _, p := range res.Problems {
					fatal = true
					fmt.Fprintf(errOut, "%s: %s %s fatal %s: %s\n", res.Key, where(p.Position), p.BT, p.Rule, p.Message(lang))
				}
				for _, p := range res.Warnings {
					fmt.Fprintf(errOut, "%s: %s %s warning %s: %s\n", res.Key, where(p.Position), p.BT, p.Rule, p.Message(lang))
				}
				for _, v := range syntax.CheckInvoice(res.Invoice, profile, to) {
					if res.Repeats(v) {
						continue // the mapping's own problem already says it
					}
					pos := res.Locate(v.Path, v.BT)
					fatal = fatal || v.Severity == invoice.Fatal
					fmt.Fprintf(errOut, "%s: %s %s %s %s: %s\n", res.Key, where(pos), strings.Join(v.BT, ","), v.Severity, v.Rule, v.Message(lang))
				}
				if fatal {
					rejected++
					fmt.Fprintf(errOut, "%s (lines %d-%d): REJECTED\n", res.Key, res.Lines[0], res.Lines[1])
					return nil
				}
				data, err := write(res.Invoice)
				if err != nil {
					return err
				}
				if outDir == "" {
					if explain {
						return nil
					}
					_, err = out.Write(data)
					return err
				}
				name := filepath.Join(outDir, folder.SafeName(res.Invoice.Number)+"_"+to+".xml")
				if err := os.WriteFile(name, data, 0o640); err != nil {
					return err
				}
				fmt.Fprintf(errOut, "%s (lines %d-%d): %s\n", res.Key, res.Lines[0], res.Lines[1], name)
				return nil
			})
			if err != nil {
				return exitError{2, err}
			}
			if rejected > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&mappingPath, "mapping", "m", "", "mapping file (required)")
	cmd.Flags().StringVar(&to, "to", "ubl", "output syntax: ubl or cii")
	cmd.Flags().StringVarP(&outDir, "output", "o", "", "folder for the invoices (default: print them)")
	cmd.Flags().StringVar(&profileName, "profile", "en16931", "rule profile")
	cmd.Flags().BoolVar(&explain, "explain", false, "print the lineage of every business term (value, source position, mapping rule, transformations)")
	cmd.MarkFlagRequired("mapping")
	return cmd
}

// writeExplain prints the lineage of every business term of a mapped invoice.
func writeExplain(w io.Writer, res *mapping.Result) {
	fmt.Fprintf(w, "== %s (lines %d-%d)\n", res.Key, res.Lines[0], res.Lines[1])
	for _, l := range res.Explain() {
		where := l.Path
		if where != "" {
			where += " "
		}
		fmt.Fprintf(w, "%s%s %s = %q\n", where, l.BT, l.Name, l.Value)
		src := l.Source.String()
		if l.Source.MappingLine > 0 {
			src += fmt.Sprintf(", mapping line %d", l.Source.MappingLine)
		}
		if l.Computed != "" {
			fmt.Fprintf(w, "    computed: %s\n", l.Computed)
			fmt.Fprintf(w, "    at %s\n", src)
			continue
		}
		fmt.Fprintf(w, "    from %s\n", src)
		for _, s := range l.Steps {
			fmt.Fprintf(w, "      %s\n", s)
		}
	}
	fmt.Fprintln(w)
}

// where formats a source position for a finding: file, line, column (or XML path) and the
// mapping line of the rule that produced the value.
func where(p mapping.Position) string {
	s := p.File + atLine(p.Line)
	if p.Column != "" {
		s += " [" + p.Column + "]"
	}
	if p.MappingLine > 0 {
		s += fmt.Sprintf(" (mapping line %d)", p.MappingLine)
	}
	return s
}

// atLine is " line N" for a position that has a line, and "" for one that has none (a
// problem of a whole file or invoice): nothing ever reads "line 0".
func atLine(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" line %d", n)
}
