package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// config check resolves every *_env secret and names each one unset, never a value.
func TestConfigCheckSecrets(t *testing.T) {
	dir := t.TempDir()
	mapping := writeConfig(t, dir, "") // for the mapping's path
	data, _ := os.ReadFile(mapping)
	m := strings.Fields(strings.SplitAfter(string(data), "mapping: ")[1])[0]
	cfg := filepath.Join(dir, "secrets.yaml")
	os.WriteFile(cfg, fmt.Appendf(nil, `sources:
  - name: ventes
    folder: {path: inbox}
    mapping: %s
    destination: cpro
destinations:
  - name: cpro
    chorus: {client_id_env: FGT_ID, client_secret_env: FGT_SECRET, account_login_env: FGT_LOGIN, account_password_env: FGT_PASSWORD}
`, m), 0o600)
	t.Setenv("FGT_ID", "the-id-value")
	t.Setenv("FGT_LOGIN", "the-login-value")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"config", "check", "-c", cfg}, &stdout, &stderr)
	msg := stderr.String()
	if code != 2 || !strings.Contains(msg, "client_secret_env: environment variable FGT_SECRET (or FGT_SECRET_FILE naming a file) is not set") ||
		!strings.Contains(msg, "FGT_PASSWORD") || strings.Contains(msg, "FGT_ID") || strings.Contains(msg, "value") {
		t.Fatalf("exit %d, stderr %q", code, msg)
	}
	t.Setenv("FGT_SECRET", "s")
	t.Setenv("FGT_PASSWORD", "p")
	stderr.Reset()
	if code := run(context.Background(), []string{"config", "check", "-c", cfg}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}
