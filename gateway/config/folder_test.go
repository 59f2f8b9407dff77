package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestSFTPConfigValidation(t *testing.T) {
	base := func(folder string) string {
		return fmt.Sprintf(`
sources:
  - name: s
    folder: %s
    mapping: m.xml
    destination: d
destinations:
  - name: d
    folder: {path: out}
`, folder)
	}
	cases := map[string]string{
		`{path: in, sftp: {host: h, user: u, key_file: k, known_hosts: kh}}`:    "not both",
		`{sftp: {host: h, user: u, key_file: k}}`:                               "always verified",
		`{sftp: {host: h, user: u, known_hosts: kh}}`:                           "no credentials",
		`{sftp: {user: u, key_file: k, known_hosts: kh}}`:                       "host is missing",
		`{sftp: {host: h, user: u, password_env: "s3cret!", known_hosts: kh}}`:  "environment variable",
		`{sftp: {host: h, user: u, key_file: k, host_key: x, known_hosts: kh}}`: "one of known_hosts and host_key",
		`{sftp: {host: h, user: u, key_file: k, known_hosts: kh, verify: no}}`:  "verify",
		`{}`: "folder.path is missing",
	}
	for folder, want := range cases {
		_, err := Parse("/x/fluxgate.yaml", []byte(base(folder)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want it to mention %q", folder, err, want)
		}
	}
	if _, err := Parse("/x/fluxgate.yaml", []byte(base(`{sftp: {host: h, user: u, key_file: k, known_hosts: kh}}`))); err != nil {
		t.Fatalf("a valid sftp folder: %v", err)
	}
}
