package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/syntax"
)

func newConvertCmd() *cobra.Command {
	var to, outPath string
	cmd := &cobra.Command{
		Use:   "convert --to ubl|cii IN [-o OUT]",
		Short: "Convert an e-invoice from one syntax to the other through the EN 16931 model",
		Long: `Read IN (UBL 2.1 Invoice or CreditNote, or CII D16B; the syntax is detected) into the
EN 16931 model and write it in the syntax --to asks for (UBL writes a CreditNote when the
type code BT-3 is a credit note's), into OUT or on standard output. OUT is written
atomically. The business rules are not checked: use fluxgate check.

Exit status: 0 converted, 1 the reader could not understand some value (it would be lost) or
the target syntax cannot hold a term of the invoice, 2 IN is not XML or not an invoice, or
the command line is wrong.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			write := syntax.Writer(to)
			if write == nil {
				return exitError{2, fmt.Errorf("--to %q: write ubl or cii", to)}
			}
			_, inv, vs, err := readInvoiceFile(args[0])
			if err != nil {
				return err
			}
			for _, v := range vs {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", args[0], v)
			}
			if invoice.HasFatal(vs) {
				return exitError{1, fmt.Errorf("%s: not converted: some values cannot be read (see above)", args[0])}
			}
			data, err := write(inv)
			if err != nil {
				return exitError{1, err}
			}
			if outPath == "" || outPath == "-" {
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			if err := writeFileAtomic(outPath, data); err != nil {
				return exitError{2, err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "target syntax: ubl or cii (required)")
	cmd.Flags().StringVarP(&outPath, "output", "o", "", "output file (default: standard output)")
	cmd.MarkFlagRequired("to")
	return cmd
}

// writeFileAtomic writes data to a temporary file beside path, then renames it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
