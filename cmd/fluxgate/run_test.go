package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// writeConfig writes a configuration for the shipped mapping into dir and drops sample
// (aged past the quiet period) into its inbox.
func writeConfig(t *testing.T, dir, sample string) string {
	t.Helper()
	root := testutil.RepoRoot(t)
	cfg := fmt.Sprintf(`journal: {path: j.db}
spool: spool
sources:
  - name: ventes
    folder: {path: inbox}
    ready: {quiet: 100ms}
    ack: {path: ack}
    mapping: %s
    outputs: [ubl]
    destination: out
destinations:
  - name: out
    folder: {path: outbox}
    schedule: "@daily"
`, filepath.Join(root, "examples", "mappings", "ventes-csv.xml"))
	path := filepath.Join(dir, "fluxgate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if sample != "" {
		data, err := os.ReadFile(filepath.Join(root, "examples", "exports", sample))
		if err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(dir, "inbox")
		if err := os.MkdirAll(in, 0o750); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(in, sample)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
	}
	return path
}

func TestRunOnceExitCodes(t *testing.T) {
	for _, c := range []struct {
		sample string
		code   int
		out    string
	}{
		{"ventes-2026-11.csv", 0, "1 accepted"},
		{"ventes-erreurs.csv", 1, "1 rejected"},
	} {
		t.Run(c.sample, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeConfig(t, dir, c.sample)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"run", "--once", "-c", cfg}, &stdout, &stderr)
			if code != c.code || !strings.Contains(stdout.String(), c.out) {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %s", code, c.code, stdout.String(), stderr.String())
			}
			// --once deposits whatever the schedule says.
			if c.code == 0 {
				if n, _ := os.ReadDir(filepath.Join(dir, "outbox")); len(n) != 6 {
					t.Fatalf("outbox holds %d files, want 6", len(n))
				}
			}
		})
	}
}

func TestRunConfigErrorExits2(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("sources: []\nbogus: 1\n"), 0o600)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", "--once", "-c", bad}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "bad.yaml") || !strings.Contains(stderr.String(), "line 2") {
		t.Fatalf("stderr does not name file and line: %s", stderr.String())
	}
	if code := run(context.Background(), []string{"run", "--once", "-c", filepath.Join(dir, "missing.yaml")}, &stdout, &stderr); code != 2 {
		t.Fatalf("missing config: exit %d, want 2", code)
	}
}

func TestConfigCheck(t *testing.T) {
	cfg := writeConfig(t, t.TempDir(), "")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"config", "check", "-c", cfg}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "ok") {
		t.Fatalf("exit %d, %s %s", code, stdout.String(), stderr.String())
	}
}

func TestMapDryRun(t *testing.T) {
	root := testutil.RepoRoot(t)
	mapping := filepath.Join(root, "examples", "mappings", "ventes-csv.xml")
	for _, to := range []string{"ubl", "cii"} {
		out := t.TempDir()
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"map", "-m", mapping, "--to", to, "-o", out, filepath.Join(root, "examples", "exports", "ventes-2026-11.csv")}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", to, code, stderr.String())
		}
		files, _ := filepath.Glob(filepath.Join(out, "*.xml"))
		if len(files) != 6 {
			t.Fatalf("%s: %d files written", to, len(files))
		}
		testutil.CheckInvoice(t, files...)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"map", "-m", mapping, filepath.Join(root, "examples", "exports", "ventes-erreurs.csv")}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "BR-07") || !strings.Contains(stderr.String(), "line 4") {
		t.Fatalf("bad sample: exit %d, stderr %s", code, stderr.String())
	}
	if code := run(context.Background(), []string{"map", "-m", filepath.Join(root, "README.md"), mapping}, &stdout, &stderr); code != 2 {
		t.Fatalf("unreadable mapping: exit %d, want 2", code)
	}
}

func TestStatusCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "ventes-erreurs.csv")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", "--once", "-c", cfg}, &stdout, &stderr); code != 1 {
		t.Fatalf("run: exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"status", "-c", cfg}, &stdout, &stderr); code != 0 {
		t.Fatalf("status: exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"ventes-erreurs.csv", "REJECTED", "BR-07 line 2", "FG-MAP-LOOKUP line 4"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("status does not show %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"status", "--json", "-c", cfg}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), `"Status": "REJECTED"`) {
		t.Fatalf("status --json: exit %d:\n%s", code, stdout.String())
	}
	if code := run(context.Background(), []string{"status", "--since", "yesterday", "-c", cfg}, &stdout, &stderr); code != 2 {
		t.Fatalf("a bad --since: exit %d, want 2", code)
	}
}
