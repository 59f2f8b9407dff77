package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/cii"
	"github.com/fluxgate/fluxgate/invoice/ubl"
	"github.com/fluxgate/fluxgate/mapping"
)

func newMapCmd() *cobra.Command {
	var mappingPath, to, outDir, profileName string
	cmd := &cobra.Command{
		Use:   "map -m MAPPING [--to ubl|cii] [-o DIR] INPUT",
		Short: "Dry run a mapping on an export: write the invoices and list every finding",
		Long: `Map the export INPUT with MAPPING, check each invoice against the EN 16931 rules, and
write each valid invoice into DIR (or print it when -o is not given). Every finding names its
source line, field, business term and rule. Nothing is claimed, moved or deposited.

Exit status: 0 no fatal finding, 1 some invoice has a fatal finding, 2 the mapping or the
file cannot be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			write := map[string]func(*invoice.Invoice) ([]byte, error){"ubl": ubl.Write, "cii": cii.Write}[to]
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
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			rejected := 0
			err = m.Map(cmd.Context(), in, filepath.Base(args[0]), func(res *mapping.Result) error {
				fatal := false
				for _, p := range res.Problems {
					fatal = true
					fmt.Fprintf(errOut, "%s line %d, %s (%s) %s: %s\n", res.Key, p.Position.Line, p.Position.Column, p.BT, p.Rule, p.EN)
				}
				for _, v := range invoice.Check(res.Invoice, profile) {
					pos := res.Locate(v.Path, v.BT)
					fatal = fatal || v.Severity == invoice.Fatal
					fmt.Fprintf(errOut, "%s line %d, %s %v %s %s: %s\n", res.Key, pos.Line, pos.Column, v.BT, v.Severity, v.Rule, v.EN)
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
					_, err = out.Write(data)
					return err
				}
				name := filepath.Join(outDir, safeName(res.Invoice.Number)+"_"+to+".xml")
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
	cmd.MarkFlagRequired("mapping")
	return cmd
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string {
	s = unsafeChars.ReplaceAllString(s, "-")
	if s == "" || s[0] == '.' || s[0] == '-' {
		s = "invoice" + s
	}
	return s
}
