package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// OpsConfig holds the blocks of the daemon's operating side: its HTTP server (status pages,
// health, metrics, JSON API) and its alerts. Both are off when absent.
type OpsConfig struct {
	HTTP   *HTTPConfig   `yaml:"http"`
	Alerts *AlertsConfig `yaml:"alerts"`
}

// HTTPConfig is the daemon's HTTP server.
type HTTPConfig struct {
	Listen string `yaml:"listen"` // host:port; default 127.0.0.1:8470
	// PublicURL is how people reach the server (behind a proxy, say): alerts link to the
	// file's page under it. Without it, alerts carry no link.
	PublicURL string     `yaml:"public_url"`
	Language  string     `yaml:"language"` // of the pages: fr (default) or en
	TLS       *TLSConfig `yaml:"tls"`
	// Auth lists who may use the server. Required unless Listen is a loopback address.
	Auth []HTTPUser `yaml:"auth"`
}

// TLSConfig names the certificate and key files of an HTTPS server.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// HTTP roles.
const (
	RoleReadOnly = "read-only" // sees everything, changes nothing
	RoleOperator = "operator"  // may also retry, reprocess and resume
)

// HTTPUser is one credential: a bearer token, or the basic-auth password of User, held by
// the environment variable TokenEnv (or the file its _FILE variant names).
type HTTPUser struct {
	User     string `yaml:"user"`
	Role     string `yaml:"role"` // read-only or operator
	TokenEnv string `yaml:"token_env"`
}

// Alert rules.
const (
	RuleFileRejected      = "file_rejected"
	RuleFilePartial       = "file_partial"
	RulePlatformRejection = "platform_rejection"
	RuleDestinationPaused = "destination_paused"
	RuleSourceUnreachable = "source_unreachable"
	RuleHostKeyRefused    = "host_key_refused"
)

// AlertRules lists every rule, in the order alerts documents them.
var AlertRules = []string{RuleFileRejected, RuleFilePartial, RulePlatformRejection, RuleDestinationPaused, RuleSourceUnreachable, RuleHostKeyRefused}

// AlertsConfig says who is told when something needs a person, and of what.
type AlertsConfig struct {
	Language string          `yaml:"language"` // fr (default) or en
	Webhooks []WebhookConfig `yaml:"webhooks"`
	Email    *EmailConfig    `yaml:"email"`
	// Rules are the alerts wanted; default: all of AlertRules.
	Rules []string `yaml:"rules"`
	// SourceUnreachableAfter: a source that cannot be listed for this long is alerted.
	SourceUnreachableAfter Duration `yaml:"source_unreachable_after"` // default 15m
	// Dedupe: the same alert (same rule, same subject) is not sent again within this.
	Dedupe Duration `yaml:"dedupe"` // default 6h
	// RateLimit is the most alerts sent per hour; the rest are recorded, not sent.
	RateLimit  int      `yaml:"rate_limit"`  // default 30
	CheckEvery Duration `yaml:"check_every"` // how often the rules are evaluated; default 15s
}

// WebhookConfig is a URL that receives each alert as JSON (Slack, Mattermost, Teams
// incoming webhooks read its "text"). The URL is a secret: it comes from the environment.
type WebhookConfig struct {
	Name   string `yaml:"name"`
	URLEnv string `yaml:"url_env"`
}

// EmailConfig sends alerts by e-mail over SMTP.
type EmailConfig struct {
	Host string   `yaml:"host"`
	Port int      `yaml:"port"` // default 587 (starttls) or 465 (tls)
	From string   `yaml:"from"`
	To   []string `yaml:"to"`
	// TLS is starttls (default: the server must offer it, or nothing is sent) or tls
	// (implicit TLS, port 465).
	TLS         string `yaml:"tls"`
	CAFile      string `yaml:"ca_file"` // extra CA for a private mail server
	UsernameEnv string `yaml:"username_env"`
	PasswordEnv string `yaml:"password_env"`
}

// AlertRuleOn reports whether rule is wanted.
func (a *AlertsConfig) AlertRuleOn(rule string) bool {
	return len(a.Rules) == 0 || slices.Contains(a.Rules, rule)
}

func (o *OpsConfig) setOpsDefaults() {
	if h := o.HTTP; h != nil {
		if h.Listen == "" {
			h.Listen = "127.0.0.1:8470"
		}
		if h.Language == "" {
			h.Language = "fr"
		}
	}
	if a := o.Alerts; a != nil {
		if a.Language == "" {
			a.Language = "fr"
		}
		if a.SourceUnreachableAfter == 0 {
			a.SourceUnreachableAfter = Duration(15 * time.Minute)
		}
		if a.Dedupe == 0 {
			a.Dedupe = Duration(6 * time.Hour)
		}
		if a.RateLimit == 0 {
			a.RateLimit = 30
		}
		if a.CheckEvery == 0 {
			a.CheckEvery = Duration(15 * time.Second)
		}
		if e := a.Email; e != nil {
			if e.TLS == "" {
				e.TLS = "starttls"
			}
			if e.Port == 0 {
				e.Port = 587
				if e.TLS == "tls" {
					e.Port = 465
				}
			}
		}
	}
}

// validateOps sets the defaults of the http: and alerts: blocks and checks them.
func (o *OpsConfig) validateOps() []error {
	o.setOpsDefaults()
	var errs []error
	if h := o.HTTP; h != nil {
		errs = append(errs, h.validate()...)
	}
	if a := o.Alerts; a != nil {
		errs = append(errs, a.validate()...)
	}
	return errs
}

func (h *HTTPConfig) validate() []error {
	var errs []error
	host, port, err := net.SplitHostPort(h.Listen)
	if err != nil || port == "" {
		errs = append(errs, fmt.Errorf("http.listen %q: write host:port, for example 127.0.0.1:8470", h.Listen))
	} else if !Loopback(host) && len(h.Auth) == 0 {
		errs = append(errs, fmt.Errorf("http.listen %q is not a loopback address: add http.auth (users with a token_env), or listen on 127.0.0.1", h.Listen))
	}
	if h.PublicURL != "" {
		if u, err := url.Parse(h.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("http.public_url %q: write an absolute http(s) URL, for example https://fluxgate.example.fr/", h.PublicURL))
		}
	}
	if h.Language != "fr" && h.Language != "en" {
		errs = append(errs, fmt.Errorf("http.language %q: write fr or en", h.Language))
	}
	if t := h.TLS; t != nil && (t.CertFile == "" || t.KeyFile == "") {
		errs = append(errs, errors.New("http.tls: give both cert_file and key_file"))
	}
	seen := map[string]bool{}
	for i, u := range h.Auth {
		where := fmt.Sprintf("http.auth[%d]", i)
		switch {
		case u.User == "":
			errs = append(errs, fmt.Errorf("%s: user is missing (it names the credential in logs, and is the basic-auth user)", where))
		case seen[u.User]:
			errs = append(errs, fmt.Errorf("%s: user %q is used twice", where, u.User))
		}
		seen[u.User] = true
		if u.Role != RoleReadOnly && u.Role != RoleOperator {
			errs = append(errs, fmt.Errorf("%s (%s): role %q: write %s or %s", where, u.User, u.Role, RoleReadOnly, RoleOperator))
		}
		if u.TokenEnv == "" {
			errs = append(errs, fmt.Errorf("%s (%s): token_env is missing: name the environment variable holding the token", where, u.User))
		}
	}
	return errs
}

// Loopback reports whether host (from a listen address) is only reachable from this
// machine. An empty host listens everywhere.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

func (a *AlertsConfig) validate() []error {
	var errs []error
	if len(a.Webhooks) == 0 && a.Email == nil {
		errs = append(errs, errors.New("alerts: no channel: add webhooks or email"))
	}
	if a.Language != "fr" && a.Language != "en" {
		errs = append(errs, fmt.Errorf("alerts.language %q: write fr or en", a.Language))
	}
	for _, r := range a.Rules {
		if !slices.Contains(AlertRules, r) {
			errs = append(errs, fmt.Errorf("alerts.rules: unknown rule %q: write some of %s", r, strings.Join(AlertRules, ", ")))
		}
	}
	if a.SourceUnreachableAfter < 0 || a.Dedupe < 0 || a.CheckEvery < 0 || a.RateLimit < 0 {
		errs = append(errs, errors.New("alerts: durations and rate_limit must not be negative"))
	}
	names := map[string]bool{}
	for i, w := range a.Webhooks {
		errs = append(errs, checkName(fmt.Sprintf("alerts.webhooks[%d]", i), w.Name, names)...)
		if w.URLEnv == "" {
			errs = append(errs, fmt.Errorf("alerts.webhooks[%d] (%s): url_env is missing: the URL is a secret, name the environment variable holding it", i, w.Name))
		}
	}
	if e := a.Email; e != nil {
		if e.Host == "" {
			errs = append(errs, errors.New("alerts.email: host is missing"))
		}
		if e.From == "" || len(e.To) == 0 {
			errs = append(errs, errors.New("alerts.email: give from and at least one address in to"))
		}
		if e.TLS != "starttls" && e.TLS != "tls" {
			errs = append(errs, fmt.Errorf("alerts.email.tls %q: write starttls or tls (mail is never sent in clear)", e.TLS))
		}
		if (e.UsernameEnv == "") != (e.PasswordEnv == "") {
			errs = append(errs, errors.New("alerts.email: give both username_env and password_env, or neither"))
		}
	}
	return errs
}
