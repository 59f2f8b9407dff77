package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/internal/pgtest"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// An SQLite journal copied by `journal migrate --to postgres` is the one a postgres
// configuration then shows; a second copy, a missing DSN and an unreachable database are
// refused in one sentence, exit 2.
func TestJournalMigrateToPostgres(t *testing.T) {
	dsn := pgtest.Database(t)
	dir := t.TempDir()
	root := testutil.RepoRoot(t)
	os.MkdirAll(filepath.Join(dir, "inbox"), 0o750)
	sample, _ := os.ReadFile(filepath.Join(root, "examples", "exports", "ventes-2026-11.csv"))
	in := filepath.Join(dir, "inbox", "ventes.csv")
	os.WriteFile(in, sample, 0o640)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(in, old, old)
	body := fmt.Sprintf(`spool: spool
sources:
  - name: ventes
    folder: {path: inbox}
    pattern: "*.csv"
    ready: {quiet: 50ms}
    ack: {path: ack}
    mapping: %s
    outputs: [ubl]
    destination: out
destinations:
  - name: out
    folder: {path: outbox}
    schedule: now
log: {level: error}
`, filepath.Join(root, "examples", "mappings", "ventes-csv.xml"))
	sqliteCfg := filepath.Join(dir, "sqlite.yaml")
	os.WriteFile(sqliteCfg, []byte("journal: {path: j.db}\n"+body), 0o600)
	pgCfg := filepath.Join(dir, "pg.yaml")
	os.WriteFile(pgCfg, []byte("journal: {driver: postgres, dsn_env: FG_TEST_DSN, path: j.db}\n"+body), 0o600)
	if code, out, errOut := runCLI(t, "run", "--once", "-c", sqliteCfg); code != 0 {
		t.Fatalf("run --once: %d\n%s\n%s", code, out, errOut)
	}

	t.Setenv("FG_TEST_DSN", "")
	if code, _, errOut := runCLI(t, "journal", "migrate", "--to", "postgres", "-c", pgCfg); code != 2 || !strings.Contains(errOut, "FG_TEST_DSN") {
		t.Fatalf("no DSN: %d %s", code, errOut)
	}
	t.Setenv("FG_TEST_DSN", dsn)
	code, out, errOut := runCLI(t, "journal", "migrate", "--to", "postgres", "-c", pgCfg)
	if code != 0 || !strings.Contains(out, "1 file(s), 6 invoice(s), 6 flux(es)") || !strings.Contains(out, "driver: postgres, dsn_env: FG_TEST_DSN") {
		t.Fatalf("migrate: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "journal", "migrate", "--to", "postgres", "-c", pgCfg); code != 2 || !strings.Contains(errOut, "empty database only") {
		t.Fatalf("a second copy: %d %s", code, errOut)
	}
	code, out, errOut = runCLI(t, "status", "-c", pgCfg)
	if code != 0 || !strings.Contains(out, "ventes.csv") || !strings.Contains(out, "FA2026-1101") {
		t.Fatalf("status on PostgreSQL after the copy: %d\n%s\n%s", code, out, errOut)
	}
	if _, out, errOut := runCLI(t, "doctor", "-c", pgCfg); !strings.Contains(out, "reachable, schema up to date, writable") {
		t.Fatalf("doctor on PostgreSQL:\n%s\n%s", out, errOut)
	}
	// An unreachable database: one sentence, exit 2, the DSN (and its password) not shown.
	t.Setenv("FG_TEST_DSN", "postgres://fluxgate:s3cret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	code, _, errOut = runCLI(t, "run", "--once", "-c", pgCfg)
	if code != 2 || !strings.Contains(errOut, "cannot be reached") || strings.Contains(errOut, "s3cret") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
		t.Fatalf("an unreachable database: %d %q", code, errOut)
	}
}
