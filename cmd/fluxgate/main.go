// Command fluxgate turns the files legacy accounting software exports into EN 16931
// e-invoices (UBL 2.1, CII D16B), deposits them and acknowledges every file.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries a process exit status through cobra.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func main() {
	tuneGC(os.Getenv)
	os.Exit(runWithSignals(os.Args[1:], os.Stdout, os.Stderr))
}

// gcPercent is the collector's target growth when GOGC is not set. The gateway's live heap
// is small (files are streamed; tens of MB) and its garbage many short-lived buffers, so at
// Go's default of 100 the collector took about a tenth of the CPU of a batch: at 200, 1,000
// files of 5 invoices ran 14 % faster (`fluxgate bench`, peak RSS 40 → 43–52 MB) and one
// 50,000-invoice export of 20 lines 40 % faster (peak RSS 52 → 62 MB).
const gcPercent = 200

// tuneGC sets the collector's target to gcPercent unless GOGC says otherwise, and reports
// whether it did.
func tuneGC(getenv func(string) string) bool {
	if getenv("GOGC") != "" {
		return false
	}
	debug.SetGCPercent(gcPercent)
	return true
}

// runWithSignals runs args until done or until SIGINT or SIGTERM asks for a stop, which
// the commands honour gracefully (the file in hand is finished).
func runWithSignals(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, stdout, stderr)
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "fluxgate:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "fluxgate:", err)
	return 2
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "fluxgate",
		Short:         "Turn accounting exports into EN 16931 e-invoices, deposit them, acknowledge them",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRunCmd(), newMapCmd(), newCheckCmd(), newConvertCmd(), newConfigCmd(), newStatusCmd(), newRetryCmd(), newReprocessCmd(), newSimulateCmd(), newDoctorCmd(), newTestMappingCmd(), newVersionCmd(), newBenchCmd())
	root.AddCommand(newServiceCmd(), newHealthcheckCmd()) // where fluxgate is installed (service.go, healthcheck.go)
	root.AddCommand(newMappingCmd())                      // fluxgate mapping draft (draft.go)
	root.AddCommand(newJournalCmd())                      // fluxgate journal migrate --to postgres (journalcmd.go)
	addLangFlag(root)
	return root
}

// newLogger builds the slog logger the configuration asks for.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if level != "" {
		if err := lv.UnmarshalText([]byte(level)); err != nil {
			return nil, fmt.Errorf("log.level %q: write debug, info, warn or error", level)
		}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log.format %q: write text or json", format)
}
