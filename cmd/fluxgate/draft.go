package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/mapping"
)

// maxDraftInput bounds the export a draft reads: it studies the first rows, the file need
// not be read whole beyond that.
const maxDraftInput = 64 << 20

func newMappingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mapping",
		Short: "Work on mappings: draft one from an export",
	}
	cmd.AddCommand(newDraftCmd())
	return cmd
}

func newDraftCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "draft EXPORT [-o FILE]",
		Short: "Write a first mapping for an export (CSV with a header row, fixed-width, or XML)",
		Long: `Read EXPORT and write a first mapping for it (to standard output, or FILE): encoding,
delimiter, decimal and date formats detected from the data; columns matched with business
terms by their names (French and English accounting vocabulary) and by their values (dates,
SIRET and SIREN keys, VAT ids, IBANs, amounts); the grouping key guessed; lookups for codes
(document types, units, countries, VAT rates, payment means); totals rows and trailers
skipped. Every guess is commented with its evidence. The seller's own terms, in no export,
are constants with TODO values: the draft loads and maps at once, and fill them in before
use.

Exit status: 0 written, 2 the export cannot be read or drafted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return exitError{2, err}
			}
			defer f.Close()
			data, err := io.ReadAll(io.LimitReader(f, maxDraftInput))
			if err != nil {
				return exitError{2, err}
			}
			text, err := mapping.Draft(data, filepath.Base(args[0]))
			if err != nil {
				return exitError{2, fmt.Errorf("%s: %w", args[0], err)}
			}
			if out == "" {
				_, err = cmd.OutOrStdout().Write(text)
				return err
			}
			if err := os.WriteFile(out, text, 0o644); err != nil {
				return exitError{2, err}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s written: fill in its TODO constants, then fluxgate map -m %s %s\n", out, out, args[0])
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the mapping into FILE (default: standard output)")
	return cmd
}
