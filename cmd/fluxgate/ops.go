package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// openGateway loads the configuration and opens the gateway, for the commands that work on
// its journal and folders. Those that change state take the journal's lock: a second
// instance exits 2 naming the one that holds it.
func openGateway(cmd *cobra.Command, configPath string, opts ...gateway.Option) (*gateway.Gateway, error) {
	cfg, err := config.Load(configPath)
	if err != nil {
		return nil, exitError{2, err}
	}
	log, err := newLogger(cmd.ErrOrStderr(), cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		return nil, exitError{2, err}
	}
	g, err := gateway.New(cmd.Context(), cfg, log, opts...)
	if err != nil {
		return nil, exitError{2, err}
	}
	return g, nil
}

func newStatusCmd() *cobra.Command {
	var configPath, since string
	var asJSON, all bool
	var invoices int
	cmd := &cobra.Command{
		Use:   "status -c FILE [--json] [--since D] [--invoices N | --all]",
		Short: "What happened to each file and invoice, and why a file is not taken yet",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lang, err := langOf(cmd)
			if err != nil {
				return err
			}
			from, err := parseSince(since, time.Now())
			if err != nil {
				return exitError{2, err}
			}
			if invoices < 0 {
				return exitError{2, fmt.Errorf("--invoices %d: give how many invoices of each file to list, or --all", invoices)}
			}
			// Status only reads: it runs beside a working gateway, without its lock.
			g, err := openGateway(cmd, configPath, gateway.Observer())
			if err != nil {
				return err
			}
			defer g.Close()
			var each eachInvoice // --all as text: the invoices stream from the journal
			switch {
			case all && asJSON:
				invoices = -1
			case all:
				invoices = 0
				each = func(f gateway.FileReport, fn func(journal.Invoice) error) error {
					return g.EachInvoice(cmd.Context(), f.ID, fn)
				}
			}
			rep, err := g.StatusListing(cmd.Context(), from, invoices)
			if err != nil {
				return exitError{2, err}
			}
			dests, err := g.DestinationWaits(cmd.Context())
			if err != nil {
				return exitError{2, err}
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(statusJSON{rep, dests})
			}
			if err := printStatusEach(lang, cmd.OutOrStdout(), rep, dests, time.Now(), each); err != nil {
				return exitError{2, err}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "config.example.yaml", "configuration file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&invoices, "invoices", gateway.StatusInvoices, "list the first N invoices of each file (the others are counted by status)")
	cmd.Flags().BoolVar(&all, "all", false, "list every invoice of each file (as text, streamed from the journal; with --json, held in memory)")
	cmd.MarkFlagsMutuallyExclusive("invoices", "all")
	cmd.Flags().StringVar(&since, "since", "7d", "files received since: a duration (24h, 7d) or a date (2026-11-20)")
	return cmd
}

// parseSince reads "24h", "7d" or "2006-01-02".
func parseSince(s string, now time.Time) (time.Time, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: write a duration (24h, 7d) or a date (2026-11-20)", s)
}

// statusJSON is the report with why each destination waits as a whole (paused, held).
type statusJSON struct {
	gateway.StatusReport
	Destinations []journal.DestinationState `json:"destinations"`
}

// printStatus writes the report as text: each file, each invoice with its fluxes (receipt,
// next attempt, platform status), then the destinations that are paused or held at now.
func printStatus(w io.Writer, rep gateway.StatusReport, dests []journal.DestinationState, now time.Time) {
	printStatusIn("en", w, rep, dests, now)
}

// printStatusIn is printStatus with the problems and notes in lang (--lang).
func printStatusIn(lang string, w io.Writer, rep gateway.StatusReport, dests []journal.DestinationState, now time.Time) {
	printStatusEach(lang, w, rep, dests, now, nil) // the invoices listed cannot fail
}

// eachInvoice calls fn with each invoice of a file to list.
type eachInvoice func(f gateway.FileReport, fn func(journal.Invoice) error) error

// streamFlush is how many invoice rows of a streamed listing are aligned together: a
// tabwriter holds its rows until flushed.
const streamFlush = 1000

// printStatusEach is printStatusIn listing the invoices each gives, those of the report
// when each is nil. A file with more invoices than listed ends with their counts.
func printStatusEach(lang string, w io.Writer, rep gateway.StatusReport, dests []journal.DestinationState, now time.Time, each eachInvoice) error {
	if each == nil {
		each = func(f gateway.FileReport, fn func(journal.Invoice) error) error {
			for _, inv := range f.Invoices {
				if err := fn(inv); err != nil {
					return err
				}
			}
			return nil
		}
	}
	paused := map[string]journal.DestinationState{}
	for _, d := range dests {
		if d.Paused(now) || d.Held(now) {
			paused[d.Name] = d
		}
	}
	when := func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSOURCE\tFILE\tRECEIVED\tSTATUS\tINVOICES\tWHERE")
	for _, f := range rep.Files {
		status := f.Status
		if status == "" {
			status = f.State
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", f.ID, f.Source, f.Name, f.Received.Local().Format("2006-01-02 15:04"), status, max(f.InvoiceCount, len(f.Invoices)), f.StoredName)
		for _, p := range f.Problems {
			fmt.Fprintf(tw, "\t\t  %s%s: %s\t\t\t\t\n", p.Rule, atLine(p.Line), inLang(lang, p.FR, p.EN))
		}
		listed := 0
		err := each(f, func(inv journal.Invoice) error {
			if listed++; listed%streamFlush == 0 {
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			fmt.Fprintf(tw, "\t\t  %s\t\t%s\t\t", inv.Number, inv.Status)
			var notes []string
			for _, fx := range inv.Fluxes {
				note := fx.FinalName + " " + fx.State
				if fx.State == "uncertain" { // outcome unknown: what is asked, until when
					note += " (" + fx.UncertainNote(lang) + ")"
				} else if fx.LastError != "" && fx.State != "deposited" {
					note += " (" + fx.LastError + ")"
				}
				if fx.Receipt != "" {
					note += ", receipt " + fx.Receipt
				}
				if fx.State == "queued" {
					if !fx.NextAttempt.IsZero() {
						note += ", next attempt " + when(fx.NextAttempt)
					}
					if d, ok := paused[fx.Destination]; ok && d.Paused(now) {
						note += ", " + fx.Destination + " paused until " + when(d.PausedUntil)
					} else if ok && d.HeldBy == "" {
						note += ", " + fx.Destination + " asked to wait until " + when(d.HeldUntil)
					} else if ok && fx.FinalName != d.HeldBy {
						note += ", waiting behind a retry of " + d.HeldBy + " until " + when(d.HeldUntil)
					}
				}
				if p := fx.Platform; p.Status != "" {
					note += ", platform: " + p.Status
					if p.Message != "" {
						note += " (" + p.Message + ")"
					}
				}
				notes = append(notes, note)
			}
			for _, p := range inv.Problems {
				notes = append(notes, fmt.Sprintf("%s%s: %s", p.Rule, atLine(p.Line), inLang(lang, p.FR, p.EN)))
			}
			_, err := fmt.Fprintln(tw, strings.Join(notes, "; "))
			return err
		})
		if err != nil {
			tw.Flush()
			return fmt.Errorf("list the invoices of file %d: %w", f.ID, err)
		}
		if more := f.InvoiceCount - listed; more > 0 {
			fmt.Fprintf(tw, "\t\t  …\t\t\t\t%d more invoice(s) not listed; in all %s (--invoices N or --all lists them)\n", more, countsText(f.InvoiceCounts))
		}
	}
	tw.Flush()
	for _, src := range rep.Sources {
		if src.Error == "" {
			continue
		}
		state := "cannot be listed"
		if src.Paused {
			state = "PAUSED"
		}
		fmt.Fprintf(w, "\nSource %s (%s) %s: %s\n", src.Name, src.Folder, state, src.Error)
	}
	printInstances(lang, w, rep.Instances, now) // several gateways on one journal (instances.go)
	for _, d := range dests {
		if d.Paused(now) {
			fmt.Fprintf(w, "\nDestination %s PAUSED until %s after repeated failures (a call that succeeds resumes it sooner): %s\n", d.Name, when(d.PausedUntil), d.PauseReason)
		}
		if d.Held(now) {
			fmt.Fprintf(w, "\nDestination %s asked to wait until %s (Retry-After)", d.Name, when(d.HeldUntil))
			if d.HeldBy != "" {
				fmt.Fprintf(w, "; the other fluxes wait behind the retry of %s", d.HeldBy)
			}
			fmt.Fprintf(w, ": %s\n", d.HeldReason)
		}
	}
	if len(rep.Waiting) > 0 {
		fmt.Fprintln(w, "\nNot taken:")
		for _, wt := range rep.Waiting {
			fmt.Fprintf(w, "  %s/%s: %s\n", wt.Source, wt.Name, wt.Reason)
		}
	}
	return nil
}

// countsText is "3 DEPOSITED, 1 REJECTED": the invoices of a file per status, by status.
func countsText(counts map[string]int) string {
	parts := make([]string, 0, len(counts))
	for _, status := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[status], status))
	}
	return strings.Join(parts, ", ")
}

func newRetryCmd() *cobra.Command {
	var configPath string
	var failed bool
	cmd := &cobra.Command{
		Use:   "retry -c FILE (ID | --failed)",
		Short: "Deposit again, now, the fluxes of file ID (or all failed ones) that failed or wait out a back-off",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var id int64
			switch {
			case failed && len(args) == 0:
			case !failed && len(args) == 1:
				n, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil || n <= 0 {
					return exitError{2, fmt.Errorf("%q is not a file id (fluxgate status lists them)", args[0])}
				}
				id = n
			default:
				return exitError{2, fmt.Errorf("give a file id or --failed")}
			}
			g, err := openGateway(cmd, configPath)
			if err != nil {
				return err
			}
			defer g.Close()
			n, err := g.Retry(cmd.Context(), id)
			fmt.Fprintf(cmd.OutOrStdout(), "%d flux(es) requeued\n", n)
			if err != nil {
				return exitError{2, err}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "config.example.yaml", "configuration file")
	cmd.Flags().BoolVar(&failed, "failed", false, "every failed or waiting flux")
	return cmd
}

func newReprocessCmd() *cobra.Command {
	var configPath, mappingPath string
	cmd := &cobra.Command{
		Use:   "reprocess -c FILE [--mapping M] ID|NAME",
		Short: "Run a file already handled through its source again (the first run stays in the journal)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			prog := startProgress(cmd, -1, "invoices") // on a terminal (progress.go)
			defer prog.Done()
			g, err := openGateway(cmd, configPath)
			if err != nil {
				return err
			}
			defer g.Close()
			g.OnProgress(prog)
			id, status, err := g.Reprocess(cmd.Context(), args[0], mappingPath)
			if err != nil {
				return exitError{2, err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "file %s reprocessed as %d: %s\n", args[0], id, status)
			if status == "REJECTED" || status == "PARTIAL" {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "config.example.yaml", "configuration file")
	cmd.Flags().StringVarP(&mappingPath, "mapping", "m", "", "use this mapping instead of the source's")
	return cmd
}
