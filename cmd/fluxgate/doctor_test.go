package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/sshdtest"
	"github.com/fluxgate/fluxgate/simulate"
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

// platformDoctorConfig is a configuration with a Chorus Pro destination and a PA destination
// on the simulators, and local folders (journal, spool, source) in a temporary directory.
func platformDoctorConfig(t *testing.T) string {
	t.Helper()
	chorus := httptest.NewServer(simulate.NewChorus().Handler())
	t.Cleanup(chorus.Close)
	pa := httptest.NewServer(simulate.NewPA().Handler())
	t.Cleanup(pa.Close)
	for k, v := range map[string]string{
		"FGD_CPRO_ID": simulate.DefaultClientID, "FGD_CPRO_SECRET": simulate.DefaultClientSecret,
		"FGD_CPRO_LOGIN": simulate.DefaultChorusLogin, "FGD_CPRO_PASSWORD": simulate.DefaultChorusPassword,
		"FGD_PA_ID": simulate.DefaultClientID, "FGD_PA_SECRET": simulate.DefaultClientSecret,
	} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`journal: {path: var/j.db}
spool: var/spool
sources:
  - name: ventes
    folder: {path: inbox}
    mapping: m.xml
    destination: cpro
destinations:
  - name: cpro
    chorus: {base_url: %s, token_url: %s%s, client_id_env: FGD_CPRO_ID, client_secret_env: FGD_CPRO_SECRET,
             account_login_env: FGD_CPRO_LOGIN, account_password_env: FGD_CPRO_PASSWORD}
  - name: pa
    pa: {base_url: %s, token_url: %s%s, client_id_env: FGD_PA_ID, client_secret_env: FGD_PA_SECRET}
`, chorus.URL, chorus.URL, simulate.ChorusTokenPath, pa.URL, pa.URL, simulate.PATokenPath)
	path := filepath.Join(dir, "fluxgate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// doctor checks platform destinations (secrets, token, account) instead of failing on a
// folder check, and the journal and spool.
func TestDoctorPlatforms(t *testing.T) {
	code, out := runDoctor(t, platformDoctorConfig(t))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"journal (", "spool (", "ok    writable",
		"destination cpro: Chorus Pro API", "ok    token from PISTE (client_id_env FGD_CPRO_ID, client_secret_env FGD_CPRO_SECRET)",
		"ok    Chorus Pro technical account (account_login_env FGD_CPRO_LOGIN, account_password_env FGD_CPRO_PASSWORD)",
		"destination pa: approved platform", "ok    token from the platform (client_id_env FGD_PA_ID", "ok    Flow Service access",
		"Every check passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A wrong secret, a wrong technical account, a missing variable: doctor fails naming the
// variable, never its value.
func TestDoctorPlatformsWrongSecrets(t *testing.T) {
	for _, c := range []struct{ env, value, want string }{
		{"FGD_CPRO_SECRET", "wrong-secret-4242", "FAIL  token from PISTE (client_id_env FGD_CPRO_ID, client_secret_env FGD_CPRO_SECRET)"},
		{"FGD_CPRO_PASSWORD", "wrong-password-4242", "FAIL  Chorus Pro technical account"},
		{"FGD_PA_SECRET", "wrong-secret-4242", "FAIL  token from the platform (client_id_env FGD_PA_ID, client_secret_env FGD_PA_SECRET)"},
		{"FGD_PA_ID", "", "FAIL  secrets: pa pa client_id_env: environment variable FGD_PA_ID"},
	} {
		t.Run(c.env, func(t *testing.T) {
			cfg := platformDoctorConfig(t)
			t.Setenv(c.env, c.value)
			code, out := runDoctor(t, cfg)
			if code != 1 || !strings.Contains(out, c.want) || !strings.Contains(out, c.env) {
				t.Fatalf("exit %d, want 1 and %q:\n%s", code, c.want, out)
			}
			if c.value != "" && strings.Contains(out, c.value) {
				t.Fatalf("the output shows the secret's value:\n%s", out)
			}
			for _, v := range []string{simulate.DefaultClientSecret, simulate.DefaultChorusPassword} {
				if strings.Contains(out, v) {
					t.Fatalf("the output shows a secret (%s):\n%s", v, out)
				}
			}
		})
	}
}
