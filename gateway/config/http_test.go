package config

import (
	"strings"
	"testing"
	"time"
)

const opsBase = `
sources:
  - name: s
    folder: {path: in}
    mapping: m.xml
    destination: out
destinations:
  - name: out
    folder: {path: out}
`

func TestHTTPAndAlertsDefaults(t *testing.T) {
	cfg, err := Parse("/etc/fluxgate/f.yaml", []byte(opsBase+`
http: {}
alerts:
  webhooks: [{name: chat, url_env: HOOK}]
  email: {host: smtp.example.fr, from: a@example.fr, to: [b@example.fr]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Listen != "127.0.0.1:8470" || cfg.HTTP.Language != "fr" {
		t.Fatalf("http defaults: %+v", cfg.HTTP)
	}
	a := cfg.Alerts
	if a.Email.Port != 587 || a.Email.TLS != "starttls" || time.Duration(a.SourceUnreachableAfter) != 15*time.Minute || a.RateLimit != 30 {
		t.Fatalf("alerts defaults: %+v %+v", a, a.Email)
	}
	for _, r := range AlertRules {
		if !a.AlertRuleOn(r) {
			t.Fatalf("rule %s is off by default", r)
		}
	}
	if cfg, err := Parse("/f.yaml", []byte(opsBase)); err != nil || cfg.HTTP != nil || cfg.Alerts != nil {
		t.Fatalf("without the blocks, no server and no alerts: %v %+v", err, cfg)
	}
}

func TestHTTPAndAlertsErrors(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"open address without auth", `http: {listen: "0.0.0.0:8470"}`, "not a loopback address"},
		{"empty host without auth", `http: {listen: ":8470"}`, "not a loopback address"},
		{"no port", `http: {listen: "127.0.0.1"}`, "write host:port"},
		{"bad role", `http: {listen: "0.0.0.0:1", auth: [{user: a, role: admin, token_env: T}]}`, `role "admin"`},
		{"no token_env", `http: {auth: [{user: a, role: operator}]}`, "token_env is missing"},
		{"same user twice", `http: {auth: [{user: a, role: operator, token_env: T}, {user: a, role: read-only, token_env: U}]}`, "used twice"},
		{"half tls", `http: {tls: {cert_file: c.pem}}`, "both cert_file and key_file"},
		{"relative public url", `http: {public_url: fluxgate.local}`, "absolute http(s) URL"},
		{"language", `http: {language: de}`, "write fr or en"},
		{"no channel", `alerts: {}`, "no channel"},
		{"webhook without url_env", `alerts: {webhooks: [{name: chat}]}`, "url_env is missing"},
		{"unknown rule", `alerts: {webhooks: [{name: c, url_env: U}], rules: [file_lost]}`, `unknown rule "file_lost"`},
		{"mail in clear", `alerts: {email: {host: h, from: a@b, to: [c@d], tls: none}}`, "never sent in clear"},
		{"half credentials", `alerts: {email: {host: h, from: a@b, to: [c@d], username_env: U}}`, "both username_env and password_env"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("/f.yaml", []byte(opsBase+c.yaml+"\n"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	if _, err := Parse("/f.yaml", []byte(opsBase+`http: {listen: "0.0.0.0:8470", auth: [{user: ops, role: operator, token_env: T}]}`+"\n")); err != nil {
		t.Fatalf("an open address with auth is fine: %v", err)
	}
	if _, err := Parse("/f.yaml", []byte(opsBase+`http: {listen: "[::1]:8470"}`+"\n")); err != nil {
		t.Fatalf("IPv6 loopback needs no auth: %v", err)
	}
}
