package alert

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/deposit"
)

// Channels opens the channels cfg configures, reading their secrets from the environment
// (getenv nil: os.Getenv, and the _FILE variants). cfg.Dir resolves ca_file.
func Channels(cfg *config.Config, getenv func(string) string) ([]Channel, error) {
	a := cfg.Alerts
	var out []Channel
	var errs []error
	for _, w := range a.Webhooks {
		u, err := deposit.Secret(getenv, "alerts webhook "+w.Name, w.URLEnv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, &Webhook{name: "webhook " + w.Name, url: u, client: &http.Client{Timeout: 15 * time.Second}})
	}
	if e := a.Email; e != nil {
		m, err := newMailer(cfg, e, getenv)
		if err != nil {
			errs = append(errs, err)
		} else {
			out = append(out, m)
		}
	}
	return out, errors.Join(errs...)
}

// Webhook posts each alert as JSON: "text" for chat tools, the alert's fields for the rest.
type Webhook struct {
	name   string
	url    string // a secret: never logged
	client *http.Client
}

// Name names the channel in logs and in the journal.
func (w *Webhook) Name() string { return w.name }

// Send posts a; any 2xx answer takes it.
func (w *Webhook) Send(ctx context.Context, a Alert) error {
	body, err := json.Marshal(struct {
		Text     string `json:"text"`
		Fluxgate Alert  `json:"fluxgate"`
	}{"*" + a.Subject + "*\n" + a.Text(), a})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook request: %v", redact(err, w.url))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %v", redact(err, w.url))
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the webhook answered %s: %s", resp.Status, bytes.TrimSpace(excerpt))
	}
	return nil
}

// redact keeps a webhook's URL (its token) out of an error's text.
func redact(err error, url string) string {
	return string(bytes.ReplaceAll([]byte(err.Error()), []byte(url), []byte("<webhook url>")))
}

// Mailer sends each alert as a plain-text e-mail, over STARTTLS (mandatory) or implicit TLS.
type Mailer struct {
	cfg  *config.EmailConfig
	opts []mail.Option
}

func newMailer(cfg *config.Config, e *config.EmailConfig, getenv func(string) string) (*Mailer, error) {
	opts := []mail.Option{mail.WithPort(e.Port), mail.WithTimeout(30 * time.Second)}
	tlsCfg := &tls.Config{ServerName: e.Host, MinVersion: tls.VersionTLS12}
	if e.CAFile != "" {
		pem, err := os.ReadFile(cfg.Path(e.CAFile))
		if err != nil {
			return nil, fmt.Errorf("alerts.email.ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("alerts.email.ca_file %s: no PEM certificate in it", e.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	opts = append(opts, mail.WithTLSConfig(tlsCfg))
	if e.TLS == "tls" {
		opts = append(opts, mail.WithSSL())
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory)) // never in clear
	}
	if e.UsernameEnv != "" {
		user, err := deposit.Secret(getenv, "alerts.email username", e.UsernameEnv)
		if err != nil {
			return nil, err
		}
		pass, err := deposit.Secret(getenv, "alerts.email password", e.PasswordEnv)
		if err != nil {
			return nil, err
		}
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(user), mail.WithPassword(pass))
	}
	return &Mailer{cfg: e, opts: opts}, nil
}

// Name names the channel in logs and in the journal.
func (m *Mailer) Name() string { return "email " + m.cfg.Host }

// Send mails a to every configured address.
func (m *Mailer) Send(ctx context.Context, a Alert) error {
	msg := mail.NewMsg()
	if err := msg.From(m.cfg.From); err != nil {
		return fmt.Errorf("from %q: %w", m.cfg.From, err)
	}
	if err := msg.To(m.cfg.To...); err != nil {
		return fmt.Errorf("to %v: %w", m.cfg.To, err)
	}
	msg.Subject("[Fluxgate] " + a.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(mail.TypeTextPlain, a.Text()+"\n\n-- \nFluxgate ("+a.Rule+")\n")
	c, err := mail.NewClient(m.cfg.Host, m.opts...)
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp %s:%d: %w", m.cfg.Host, m.cfg.Port, err)
	}
	return nil
}
