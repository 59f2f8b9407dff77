package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/journal"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Two gateways on one journal: the second is refused, naming the first (pid, host,
// since); an Observer (status) opens beside it; once the first is closed, another starts.
func TestOneGatewayPerJournal(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first, err := New(ctx, e.config(t), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	_, err = New(ctx, e.config(t), quietLog())
	var held *journal.HolderError
	if !errors.As(err, &held) {
		t.Fatalf("a second gateway on the same journal: %v", err)
	}
	host, _ := os.Hostname()
	if held.PID != os.Getpid() || held.Host != host || held.Since.IsZero() {
		t.Fatalf("holder = %+v, want pid %d on %s", held, os.Getpid(), host)
	}
	for _, want := range []string{fmt.Sprintf("pid %d", os.Getpid()), "on host " + host, "since ", "journal.db"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal lacks %q: %v", want, err)
		}
	}

	obs, err := New(ctx, e.config(t), quietLog(), Observer())
	if err != nil {
		t.Fatalf("an observer beside a working gateway: %v", err)
	}
	if _, err := obs.Status(ctx, held.Since.AddDate(0, 0, -1)); err != nil {
		t.Fatal(err)
	}
	obs.Close()

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	next, err := New(ctx, e.config(t), quietLog())
	if err != nil {
		t.Fatalf("a gateway after the first stopped: %v", err)
	}
	next.Close()
}

// A start refuses, with one sentence, a spool or a journal it cannot write: a gateway that
// cannot record what it does would only fail file after file.
func TestStartNeedsWritableJournalAndSpool(t *testing.T) {
	ctx := context.Background()
	t.Run("spool is a file", func(t *testing.T) {
		e := newEnv(t)
		os.WriteFile(e.spool, []byte("not a folder"), 0o600)
		_, err := New(ctx, e.config(t), quietLog())
		if err == nil || !strings.Contains(err.Error(), "spool "+e.spool) {
			t.Fatalf("err = %v", err)
		}
	})
	for _, what := range []string{"spool", "journal"} {
		t.Run(what+" not writable", func(t *testing.T) {
			e := newEnv(t)
			cfg := e.config(t)
			dir := readOnlyDir(t)
			if what == "spool" {
				cfg.Spool = dir
			} else {
				cfg.Journal.Path = filepath.Join(dir, "fluxgate.db")
			}
			_, err := New(ctx, cfg, quietLog())
			want := "the spool " + dir + " is not writable"
			if what == "journal" {
				want = "the journal's folder " + dir + " is not writable"
			}
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "give the gateway's user the right to write there") {
				t.Fatalf("err = %v, want %q", err, want)
			}
		})
	}
}

// readOnlyDir is an existing directory the test process cannot write into: a directory
// without write permission, or, for root (who writes anywhere), a sysfs directory, which
// refuses new files to everyone.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		dir := filepath.Join(t.TempDir(), "read-only")
		os.Mkdir(dir, 0o500)
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		return dir
	}
	if runtime.GOOS == "linux" {
		if fi, err := os.Stat("/sys/kernel"); err == nil && fi.IsDir() {
			if f, err := os.Create("/sys/kernel/.fluxgate-test"); err == nil {
				f.Close()
				os.Remove(f.Name())
			} else {
				return "/sys/kernel"
			}
		}
	}
	t.Skip("running as root, who may write into any directory, and no read-only system directory (/sys/kernel) to test with")
	return ""
}
