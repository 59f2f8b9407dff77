package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/sshdtest"
	"golang.org/x/crypto/ssh"
)

func doctorConfig(t *testing.T, srv *sshdtest.Server, knownHosts string) string {
	t.Helper()
	dir := t.TempDir()
	conn := fmt.Sprintf("host: %s, port: %d, user: %s, key_file: %s, known_hosts: %s",
		srv.Host, srv.Port, srv.User, srv.UserKey.File, knownHosts)
	cfg := fmt.Sprintf(`sources:
  - name: ventes
    folder: {sftp: {%s, path: inbox}}
    mapping: m.xml
    destination: platform
destinations:
  - name: platform
    folder: {sftp: {%s, path: outbox}}
  - name: local
    folder: {path: outbox}
`, conn, conn)
	path := filepath.Join(dir, "fluxgate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runDoctor(t *testing.T, cfg string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"doctor", "-c", cfg}, &out, &errb)
	return code, out.String() + errb.String()
}

func TestDoctorAllGood(t *testing.T) {
	srv := sshdtest.StartOpenSSH(t)
	code, out := runDoctor(t, doctorConfig(t, &srv.Server, srv.KnownHosts))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"source ventes: drop folder", "source ventes: ack folder", "destination platform", "destination local",
		"ok    connect and host key (ssh-ed25519 SHA256:", "ok    list", "ok    write", "ok    read", "ok    rename", "ok    delete", "ok    free space:", "Every check passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(srv.Root, "outbox"))
	if len(entries) != 0 {
		t.Fatalf("the probe was left behind: %v", entries)
	}
}

func TestDoctorHostKeyMismatch(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	code, out := runDoctor(t, doctorConfig(t, &srv.Server, srv.WrongKnownHosts(t)))
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	fp := ssh.FingerprintSHA256(srv.HostKey.Public)
	if !strings.Contains(out, "FAIL  connect") || !strings.Contains(out, fp) || !strings.Contains(out, "fix: Only once") {
		t.Fatalf("output does not refuse the key with its fingerprint and a fix:\n%s", out)
	}
}

func TestDoctorNoRights(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{ReadOnly: true})
	for _, dir := range []string{"inbox/.fluxgate/processing", "ack", "outbox"} {
		os.MkdirAll(filepath.Join(srv.Root, dir), 0o755)
	}
	code, out := runDoctor(t, doctorConfig(t, &srv.Server, srv.KnownHosts))
	if code != 1 || !strings.Contains(out, "FAIL  write") || !strings.Contains(out, "fix: give user") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
