package deposit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretFromEnvironmentOrFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DIRECT": "d1rect", "VIA_FILE": file, "EMPTY_FILE": filepath.Join(t.TempDir(), "none")}
	getenv := func(k string) string { return env[k] }
	if v, err := Secret(getenv, "x", "DIRECT"); err != nil || v != "d1rect" {
		t.Fatalf("from the environment: %q, %v", v, err)
	}
	if v, err := Secret(getenv, "x", "VIA"); err != nil || v != "s3cret" {
		t.Fatalf("from VIA_FILE: %q, %v", v, err)
	}
	_, err := Secret(getenv, "sftp host password_env", "MISSING")
	if err == nil || !strings.Contains(err.Error(), "MISSING") || !strings.Contains(err.Error(), "MISSING_FILE") {
		t.Fatalf("a missing secret must name where it was looked for: %v", err)
	}
	if _, err := Secret(getenv, "x", "EMPTY"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("an unreadable secret file: %v", err)
	}
}
