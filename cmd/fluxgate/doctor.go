package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

func newDoctorCmd() *cobra.Command {
	var configPath string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "doctor -c FILE",
		Short: "Check the journal, the spool, every source and destination: rights, host keys, credentials",
		Long: `Check, before the first run, what the configuration FILE names: that the journal and the
spool are writable; each source's drop folder and ack folder, and each folder destination:
the connection and the server's host key (SFTP), the rights to list, write, read, rename and
delete (with a probe file named .fluxgate-doctor-…, removed at once), and the free space
where the server reports it; each Chorus Pro or approved-platform destination: its secrets
set in the environment, a token with its credentials, and its account (a search that
deposits nothing). Every failed check says what to fix, naming variables, never values.

Exit status: 0 every check passed, 1 some failed, 2 the configuration cannot be read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath == "" {
				return exitError{2, errors.New("doctor: -c FILE is required")}
			}
			cfg, err := config.Load(configPath)
			if err != nil {
				return exitError{2, err}
			}
			d := doctor{out: cmd.OutOrStdout(), timeout: timeout}
			d.state(cmd.Context(), cfg)
			for _, s := range cfg.Sources {
				d.check(cmd.Context(), cfg, "source "+s.Name+": drop folder", s.Folder, true)
				d.check(cmd.Context(), cfg, "source "+s.Name+": ack folder", config.AckFolder(s), false)
			}
			for _, dc := range cfg.Destinations {
				if dc.Chorus != nil || dc.PA != nil {
					d.platform(cmd.Context(), dc)
					continue
				}
				d.check(cmd.Context(), cfg, "destination "+dc.Name, dc.Folder, false)
				if dc.ChorusEDI != nil {
					d.check(cmd.Context(), cfg, "destination "+dc.Name+": Chorus Pro EDI returns folder", dc.ChorusEDI.Returns, false)
				}
			}
			if d.failed > 0 {
				fmt.Fprintf(d.out, "\n%d check(s) failed: fix what is said above, then run fluxgate doctor again.\n", d.failed)
				return exitError{1, nil}
			}
			fmt.Fprintln(d.out, "\nEvery check passed.")
			return nil
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "configuration file")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "time allowed for the checks of one folder")
	return cmd
}

type doctor struct {
	out     io.Writer
	timeout time.Duration
	failed  int
}

func (d *doctor) ok(format string, args ...any) {
	fmt.Fprintf(d.out, "  ok    %s\n", fmt.Sprintf(format, args...))
}

func (d *doctor) warn(what, fix string) {
	fmt.Fprintf(d.out, "  warn  %s\n", what)
	if fix != "" {
		fmt.Fprintf(d.out, "        fix: %s\n", fix)
	}
}

func (d *doctor) fail(what string, err error, fix string) {
	d.failed++
	fmt.Fprintf(d.out, "  FAIL  %s: %v\n", what, err)
	if fix != "" {
		fmt.Fprintf(d.out, "        fix: %s\n", fix)
	}
}

// state checks that the journal and the spool are writable, as a start does.
func (d *doctor) state(ctx context.Context, cfg *config.Config) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	if cfg.Journal.Driver == "" || cfg.Journal.Driver == "sqlite" { // a journal file
		jpath := cfg.Path(cfg.Journal.Path)
		fmt.Fprintf(d.out, "journal (%s)\n", jpath)
		if err := journal.CheckWritable(jpath); err != nil {
			d.fail("write", err, "")
		} else {
			d.ok("writable")
		}
	}
	if cfg.Journal.Driver == journal.DriverPostgres { // shared by several instances
		fmt.Fprintf(d.out, "journal (PostgreSQL, DSN in $%s)\n", cfg.Journal.DSNEnv)
		if err := checkPostgresJournal(ctx, cfg); err != nil {
			d.fail("connect", err, "")
		} else {
			d.ok("reachable, schema up to date, writable")
		}
	}
	spool := cfg.Path(cfg.Spool)
	fmt.Fprintf(d.out, "spool (%s)\n", spool)
	f, err := gateway.OpenFolder(ctx, cfg, config.FolderConfig{Path: cfg.Spool})
	if err == nil {
		err = gateway.CheckSpool(ctx, f)
		f.Close()
	}
	if err != nil {
		d.fail("write", err, "")
	} else {
		d.ok("writable")
	}
}

// platform checks a Chorus Pro or approved-platform destination: its secrets, a token, its
// account (deposit.Checker).
func (d *doctor) platform(ctx context.Context, dc config.DestinationConfig) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	var dest interface {
		deposit.Checker
		Close() error
	}
	var err error
	switch {
	case dc.Chorus != nil:
		where := dc.Chorus.BaseURL
		if where == "" {
			where = "PISTE, " + cmp.Or(dc.Chorus.Environment, "qualification")
		}
		fmt.Fprintf(d.out, "destination %s: Chorus Pro API (%s)\n", dc.Name, where)
		dest, err = deposit.NewChorus(dc.Chorus.DepositConfig(dc.Name), &http.Client{Timeout: config.HTTPTimeout(dc.Chorus.Timeout)}, nil)
	default:
		fmt.Fprintf(d.out, "destination %s: approved platform, Flow Service (%s)\n", dc.Name, dc.PA.BaseURL)
		dest, err = deposit.NewPA(dc.PA.DepositConfig(dc.Name), &http.Client{Timeout: config.HTTPTimeout(dc.PA.Timeout)}, nil)
	}
	if err != nil {
		d.fail("secrets", err, "set each variable named in the gateway's environment (service unit, scheduled task), or its _FILE variant to a file that holds the secret")
		return
	}
	defer dest.Close()
	d.ok("secrets set in the environment")
	for _, step := range dest.Check(ctx) {
		if step.Err != nil {
			d.fail(step.What, step.Err, step.Fix)
			return
		}
		d.ok("%s", step.What)
	}
}

// check runs the checks of one folder; source folders must also take the work folders.
func (d *doctor) check(ctx context.Context, cfg *config.Config, title string, fc config.FolderConfig, source bool) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	where := cfg.Path(fc.Path)
	if fc.SFTP != nil {
		where = fmt.Sprintf("sftp://%s@%s:%d/%s", fc.SFTP.User, fc.SFTP.Host, max(fc.SFTP.Port, 22), strings.TrimPrefix(fc.SFTP.Path, "/"))
	}
	fmt.Fprintf(d.out, "%s (%s)\n", title, where)

	f, err := gateway.OpenFolder(ctx, cfg, fc)
	if err != nil {
		d.fail("connect", err, connectFix(err, fc))
		return
	}
	defer f.Close()
	user := "the gateway's user"
	if s, ok := f.(*folder.SFTP); ok {
		d.ok("connect and host key (%s)", s.HostKey())
		user = "user " + fc.SFTP.User
		if exts, err := s.Extensions(ctx); err == nil && !contains(exts, "posix-rename@openssh.com") {
			d.warn("the server lacks posix-rename@openssh.com: replacing a file (acks) is a remove then a rename", "")
		}
	} else {
		d.ok("folder exists")
	}
	rights := func(what string) string {
		return fmt.Sprintf("give %s the right to %s in %s", user, what, f)
	}

	if _, err := f.List(ctx, "."); err != nil {
		d.fail("list", err, rights("list the folder"))
		return
	}
	d.ok("list")
	if source {
		if err := f.MkdirAll(ctx, ".fluxgate/processing"); err != nil {
			d.fail("create the work folders (.fluxgate/processing, archive, error)", err, rights("create folders"))
		} else {
			d.ok("work folders (.fluxgate/…)")
		}
	}

	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	probe := ".fluxgate-doctor-" + hex.EncodeToString(rnd[:])
	content := []byte("fluxgate doctor probe, safe to delete\n")
	if err := f.WriteAtomic(ctx, probe, bytes.NewReader(content)); err != nil {
		d.fail("write (a temporary file, then a rename)", err, rights("create, write and rename files"))
		return
	}
	d.ok("write")
	cleanup := probe
	defer func() {
		if cleanup != "" {
			_ = f.Remove(context.WithoutCancel(ctx), cleanup)
		}
	}()
	rc, err := f.Open(ctx, probe)
	if err == nil {
		var got []byte
		got, err = io.ReadAll(rc)
		rc.Close()
		if err == nil && !bytes.Equal(got, content) {
			err = fmt.Errorf("read back %d bytes, wrote %d", len(got), len(content))
		}
	}
	if err != nil {
		d.fail("read", err, rights("read files"))
	} else {
		d.ok("read")
	}
	renamed := probe + ".renamed"
	if err := f.Rename(ctx, probe, renamed); err != nil {
		d.fail("rename", err, rights("rename files"))
	} else {
		cleanup = renamed
		d.ok("rename")
	}
	if err := f.Remove(ctx, cleanup); err != nil {
		d.fail("delete", err, rights("delete files")+fmt.Sprintf(" (and remove %s by hand)", cleanup))
	} else {
		cleanup = ""
		d.ok("delete")
	}

	if s, ok := f.(*folder.SFTP); ok {
		free, err := s.FreeSpace(ctx)
		switch {
		case errors.Is(err, folder.ErrNoSpaceInfo):
			d.ok("free space: not reported by this server")
		case err != nil:
			d.warn("free space: "+err.Error(), "")
		case free < 100<<20:
			d.warn(fmt.Sprintf("free space: only %s left", humanBytes(free)), "free space on the server, or ask its administrator for a larger quota")
		default:
			d.ok("free space: %s", humanBytes(free))
		}
	}
}

func connectFix(err error, fc config.FolderConfig) string {
	var hk *folder.HostKeyError
	switch {
	case errors.As(err, &hk):
		return hk.Fix
	case fc.SFTP == nil:
		return "check the path, and that the gateway's user may create and open it"
	case strings.Contains(err.Error(), "unable to authenticate"), strings.Contains(err.Error(), "key_file"), strings.Contains(err.Error(), "passphrase"):
		return "check user, key_file (its public key must be in the user's authorized_keys on the server), key_passphrase_env or password_env"
	case strings.Contains(err.Error(), "environment variable"):
		return "set the environment variable in the gateway's environment (service unit, scheduled task)"
	case strings.Contains(err.Error(), "known_hosts"):
		return ""
	case strings.Contains(err.Error(), "does not exist on the server"), strings.Contains(err.Error(), "create "):
		return "check path (absolute, or relative to the login directory), and the user's rights to create it"
	}
	return fmt.Sprintf("check host and port (%s:%d), and that a firewall lets the gateway reach it", fc.SFTP.Host, max(fc.SFTP.Port, 22))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
