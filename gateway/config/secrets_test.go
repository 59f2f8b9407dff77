package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secretsBase = `
sources:
  - name: s
    folder: {path: in}
    mapping: m.xml
    outputs: [ubl]
    destination: cpro
destinations:
  - name: cpro
    chorus:
      client_id_env: CPRO_ID
      client_secret_env: CPRO_SECRET
      account_login_env: CPRO_LOGIN
      account_password_env: CPRO_PASSWORD
  - name: pa
    pa: {base_url: "https://pa.example", token_url: "https://pa.example/t", client_id_env: PA_ID, client_secret_env: PA_SECRET}
  - name: edi
    folder: {sftp: {host: h, user: u, known_hosts: kh, password_env: SFTP_PASSWORD}}
`

// A secret written in plain YAML is refused with a sentence that says which key to use, and
// no Go type name.
func TestSecretWrittenInYAML(t *testing.T) {
	for _, c := range []struct{ from, to, key string }{
		{"      client_secret_env: CPRO_SECRET", "      client_secret: abc", "client_secret"},
		{"client_secret_env: PA_SECRET", "client_secret: abc", "client_secret"},
		{"password_env: SFTP_PASSWORD", "password: abc", "password"},
		{"      account_password_env: CPRO_PASSWORD", "      account_password: abc", "account_password"},
	} {
		t.Run(c.to, func(t *testing.T) {
			_, err := Parse("/etc/fluxgate.yaml", []byte(strings.Replace(secretsBase, c.from, c.to, 1)))
			want := c.key + ": secrets are not written in the configuration: use " + c.key + "_env"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error = %v, want %q", err, want)
			}
			if strings.Contains(err.Error(), "config.") || strings.Contains(err.Error(), "abc") {
				t.Fatalf("the error shows a Go type name or the value: %v", err)
			}
		})
	}
}

// A `*_env` key that does not hold a variable's name is refused without repeating what it
// holds (perhaps the secret itself).
func TestSecretEnvMustBeAName(t *testing.T) {
	const secret = "s3cr3t value!"
	_, err := Parse("/etc/fluxgate.yaml", []byte(strings.Replace(secretsBase, "client_secret_env: PA_SECRET", "client_secret_env: '"+secret+"'", 1)))
	if err == nil || !strings.Contains(err.Error(), "destinations[1] (pa).pa.client_secret_env must name an environment variable") {
		t.Fatalf("error = %v", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("the error repeats the value: %v", err)
	}
}

// Unknown keys and values of the wrong kind are told without Go type names.
func TestYAMLErrorsWithoutGoTypes(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{"    mapping: m.xml", "    mapping: [a, b]", "line 5: this key takes a text, not a list"},
		{"    mapping: m.xml", "    mapping: m.xml\n    mapp: x", "field mapp not found (the keys here are: name, folder, pattern"},
	} {
		_, err := Parse("/etc/fluxgate.yaml", []byte(strings.Replace(secretsBase, c.from, c.to, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("error = %v, want %q", err, c.want)
		}
		if strings.Contains(err.Error(), "config.") || strings.Contains(err.Error(), "!!") {
			t.Fatalf("the error shows Go or YAML internals: %v", err)
		}
	}
}

// CheckSecrets resolves every *_env key, from the variable or its _FILE variant, and names
// each one missing, never a value.
func TestCheckSecrets(t *testing.T) {
	cfg, err := Parse("/etc/fluxgate.yaml", []byte(secretsBase))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range cfg.Secrets() {
		keys = append(keys, s.Key+"="+s.Env)
	}
	want := "destinations[0] (cpro).chorus.client_id_env=CPRO_ID destinations[0] (cpro).chorus.client_secret_env=CPRO_SECRET " +
		"destinations[0] (cpro).chorus.account_login_env=CPRO_LOGIN destinations[0] (cpro).chorus.account_password_env=CPRO_PASSWORD " +
		"destinations[1] (pa).pa.client_id_env=PA_ID destinations[1] (pa).pa.client_secret_env=PA_SECRET " +
		"destinations[2] (edi).folder.sftp.password_env=SFTP_PASSWORD"
	if got := strings.Join(keys, " "); got != want {
		t.Fatalf("secrets:\n%s\nwant\n%s", got, want)
	}

	file := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(file, []byte("from-a-file\n"), 0o600)
	env := map[string]string{"CPRO_ID": "id-value", "CPRO_SECRET": "secret-value", "CPRO_LOGIN": "login-value",
		"CPRO_PASSWORD_FILE": file, "PA_ID": "pa-id-value"}
	err = cfg.CheckSecrets(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("unset variables were not reported")
	}
	msg := err.Error()
	for _, want := range []string{"destinations[1] (pa).pa.client_secret_env: environment variable PA_SECRET (or PA_SECRET_FILE naming a file) is not set",
		"destinations[2] (edi).folder.sftp.password_env: environment variable SFTP_PASSWORD"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	for _, set := range []string{"CPRO_ID", "CPRO_SECRET", "CPRO_LOGIN", "CPRO_PASSWORD", "PA_ID "} {
		if strings.Contains(msg, set) {
			t.Errorf("a resolved secret is reported: %s\n%s", set, msg)
		}
	}
	for _, v := range env {
		if strings.Contains(msg, v) && !strings.Contains(v, "/") {
			t.Errorf("the error shows a value: %s", msg)
		}
	}
	env["PA_SECRET"], env["SFTP_PASSWORD"] = "x", "y"
	if err := cfg.CheckSecrets(func(k string) string { return env[k] }); err != nil {
		t.Fatalf("every secret is set: %v", err)
	}
}
