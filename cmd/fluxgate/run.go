package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/config"
)

// stopMargin is what a stop waits beyond shutdown_timeout: the time for the journal to
// record the deposit the timeout cut.
const stopMargin = 2 * time.Second

// untilStopped runs work until it returns or, once ctx is done, for grace at most. It
// reports whether it gave up waiting (work goes on until the process exits).
func untilStopped(ctx context.Context, grace time.Duration, work func()) (forced bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		work()
	}()
	select {
	case <-done:
		return false
	case <-ctx.Done():
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return false
	case <-t.C:
		return true
	}
}

func newRunCmd() *cobra.Command {
	var configPath string
	var once bool
	cmd := &cobra.Command{
		Use:   "run -c FILE [--once]",
		Short: "Run the gateway: watch the sources, convert, deposit, acknowledge",
		Long: `Run the gateway on the configuration FILE.

Without --once it runs until stopped (SIGINT or SIGTERM: the file in hand is finished first).
With --once it processes every complete file, deposits everything pending whatever the
schedules say, and exits: 0 all accepted, 1 some invoice rejected, 2 configuration or system
error. Sites that run batches from their own cron or Task Scheduler use --once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var prog *progress // with --once on a terminal: a bar of the files (progress.go)
			if once {
				prog = startProgress(cmd, -1, "files")
				defer prog.Done()
			}
			g, err := openGateway(cmd, configPath)
			if err != nil {
				return err
			}
			g.SetVersion(currentBuild().Version) // in its heartbeats, among several instances
			forced := false
			defer func() {
				if !forced { // after a forced stop the work cut short still holds the journal: the exit ends it
					g.Close()
				}
			}()
			ctx := cmd.Context()
			// A stop waits shutdown_timeout at most for the work in hand (and a moment for the
			// journal to record what was cut); past that the process exits, and the next start
			// resumes from the journal.
			grace := g.ShutdownTimeout() + stopMargin
			if !once {
				defer supervise(ctx, g)()         // tells systemd or the Windows SCM how it stands (service.go)
				stopOps, oerr := startOps(ctx, g) // status pages, API, metrics, alerts (opsserver.go)
				if oerr != nil {
					return exitError{2, oerr}
				}
				defer stopOps()
				g.Logger().Info("fluxgate running", "config", configPath)
				var err error
				if forced = untilStopped(ctx, grace, func() { err = g.Run(ctx) }); forced {
					g.Logger().Warn("stopped without waiting any longer for the work in hand (shutdown_timeout); the next start resumes it", "waited", grace)
					return nil
				}
				if err != nil {
					return exitError{2, err}
				}
				g.Logger().Info("fluxgate stopped")
				return nil
			}
			g.OnProgress(prog)
			var s gateway.Summary
			if forced = untilStopped(ctx, grace, func() { s, err = g.RunOnce(ctx) }); forced {
				g.Logger().Warn("stopped without waiting any longer for the work in hand (shutdown_timeout); the next run resumes it", "waited", grace)
				return exitError{code: 2}
			}
			if err != nil {
				return exitError{2, err}
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%d file(s): %d accepted, %d partial, %d rejected, %d duplicate\n", s.Files, s.Accepted, s.Partial, s.Rejected, s.Duplicate)
			for _, w := range s.Waiting {
				fmt.Fprintf(out, "not taken: %s: %s\n", w.File.Name, w.Reason)
			}
			for _, e := range s.Errors {
				fmt.Fprintf(cmd.ErrOrStderr(), "error: %v\n", e)
			}
			if code := s.ExitCode(); code != 0 {
				return exitError{code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "config.example.yaml", "configuration file")
	cmd.Flags().BoolVar(&once, "once", false, "process what is pending, deposit, and exit")
	return cmd
}

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with the configuration"}
	var configPath string
	check := &cobra.Command{
		Use:   "check -c FILE",
		Short: "Check a configuration file, the mappings it names and the secrets it needs",
		Long: `Check the configuration FILE: its keys and values, every mapping it names, and every
secret it names (each *_env key): the environment variable, or the file its _FILE variant
names, must be set in the environment this command runs in. What is missing is named,
never a value.

Exit status: 0 ok, 2 not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(configPath)
			if err != nil {
				return exitError{2, err}
			}
			if err := errors.Join(config.CheckMappings(cfg), cfg.CheckSecrets(nil)); err != nil {
				return exitError{2, err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d source(s), %d destination(s))\n", configPath, len(cfg.Sources), len(cfg.Destinations))
			return nil
		},
	}
	check.Flags().StringVarP(&configPath, "config", "c", "config.example.yaml", "configuration file")
	cmd.AddCommand(check)
	return cmd
}
