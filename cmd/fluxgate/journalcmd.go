package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

func newJournalCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "journal", Short: "Work with the journal itself"}
	var configPath, to, dsnEnv string
	migrate := &cobra.Command{
		Use:   "migrate --to postgres -c FILE [--dsn-env VAR]",
		Short: "Copy the SQLite journal into an empty PostgreSQL database, for several instances",
		Long: `Copy every file, invoice, flux, event and alert of the SQLite journal that FILE names
(journal.path) into the empty PostgreSQL database whose DSN the environment variable VAR
holds (--dsn-env; by default the configuration's journal.dsn_env, else FLUXGATE_PG_DSN).
Ids are kept, so acks and logs still name the same files. The copy is one transaction: a
copy stopped midway leaves the database empty. The gateway must be stopped (the journal's
lock is taken for the copy). Then set journal: {driver: postgres, dsn_env: VAR} and start
the instances.

Exit status: 0 copied, 2 not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to != journal.DriverPostgres {
				return exitError{2, fmt.Errorf("--to %q: only postgres", to)}
			}
			cfg, err := config.Load(configPath)
			if err != nil {
				return exitError{2, err}
			}
			if dsnEnv == "" {
				dsnEnv = cfg.Journal.DSNEnv
			}
			if dsnEnv == "" {
				dsnEnv = "FLUXGATE_PG_DSN"
			}
			path := cfg.Path(cfg.Journal.Path)
			if _, err := os.Stat(path); err != nil {
				return exitError{2, fmt.Errorf("the SQLite journal %s cannot be read (%v): give -c the configuration whose journal.path names it", path, err)}
			}
			dsn, err := deposit.Secret(os.Getenv, "--dsn-env", dsnEnv)
			if err != nil {
				return exitError{2, err}
			}
			lock, err := journal.AcquireLock(path)
			if err != nil {
				return exitError{2, err}
			}
			defer lock.Release()
			ctx := cmd.Context()
			src, err := journal.Open(ctx, path)
			if err != nil {
				return exitError{2, err}
			}
			defer src.Close()
			dst, err := journal.OpenPostgres(ctx, dsn)
			if err != nil {
				return exitError{2, err}
			}
			defer dst.Close()
			counts, err := src.CopyTo(ctx, dst)
			if err != nil {
				return exitError{2, err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "copied %s into PostgreSQL: %d file(s), %d invoice(s), %d flux(es), %d event(s), %d alert(s)\n",
				path, counts["files"], counts["invoices"], counts["fluxes"], counts["events"], counts["alerts"])
			fmt.Fprintf(cmd.OutOrStdout(), "now set  journal: {driver: postgres, dsn_env: %s}  and start the instances; keep %s as a backup\n", dsnEnv, path)
			return nil
		},
	}
	migrate.Flags().StringVarP(&configPath, "config", "c", "config.example.yaml", "configuration file (its journal.path is copied)")
	migrate.Flags().StringVar(&to, "to", "", "the database to copy into: postgres")
	migrate.Flags().StringVar(&dsnEnv, "dsn-env", "", "the environment variable holding the PostgreSQL DSN")
	cmd.AddCommand(migrate)
	return cmd
}

// checkPostgresJournal opens the PostgreSQL journal cfg names (migrating it, as a start
// does) and checks that a write transaction goes through: what doctor checks.
func checkPostgresJournal(ctx context.Context, cfg *config.Config) error {
	dsn, err := deposit.Secret(os.Getenv, "journal.dsn_env", cfg.Journal.DSNEnv)
	if err != nil {
		return err
	}
	j, err := journal.OpenPostgres(ctx, dsn)
	if err != nil {
		return err
	}
	defer j.Close()
	return j.Writable(ctx)
}
