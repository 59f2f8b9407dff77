package alert

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/gatewaytest"
)

// receiver is a local webhook that keeps what it is posted.
type receiver struct {
	mu     sync.Mutex
	alerts []Alert
	texts  []string
	fail   bool
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Text     string
		Fluxgate Alert
	}
	if err := json.NewDecoder(req.Body).Decode(&body); err != nil || req.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad body", 400)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		http.Error(w, "down", 503)
		return
	}
	r.alerts = append(r.alerts, body.Fluxgate)
	r.texts = append(r.texts, body.Text)
}

func (r *receiver) got() []Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Alert(nil), r.alerts...)
}

// mailServer is an SMTP server in the test process: STARTTLS with its own certificate,
// AUTH PLAIN only over TLS, and the messages it received.
type mailServer struct {
	mu       sync.Mutex
	messages []string
	tls      []bool // whether each message came over TLS
	caFile   string
	addr     string
}

func (m *mailServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &mailSession{m: m, c: c}, nil
}

type mailSession struct {
	m    *mailServer
	c    *smtp.Conn
	auth bool
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "fluxgate" || pass != "mail-secret" {
			return errors.New("bad credentials")
		}
		s.auth = true
		return nil
	}), nil
}
func (s *mailSession) Mail(string, *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	return nil
}
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, _ := io.ReadAll(r)
	_, ok := s.c.TLSConnectionState()
	s.m.mu.Lock()
	s.m.messages = append(s.m.messages, string(b))
	s.m.tls = append(s.m.tls, ok)
	s.m.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

func startMail(t *testing.T) *mailServer {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	m := &mailServer{caFile: filepath.Join(t.TempDir(), "ca.pem")}
	os.WriteFile(m.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	s := smtp.NewServer(m)
	s.Domain = "localhost"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	s.AllowInsecureAuth = false
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return m
}

func (m *mailServer) got() ([]string, []bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.messages...), append([]bool(nil), m.tls...)
}

type setup struct {
	env  *gatewaytest.Env
	hook *receiver
	mail *mailServer
	j    *journal.Journal
	cfg  *config.Config
}

// newSetup runs a gateway over a partial and a rejected file, with a webhook and a mail
// server to tell.
func newSetup(t *testing.T) *setup {
	t.Helper()
	s := &setup{hook: &receiver{}, mail: startMail(t)}
	hook := httptest.NewServer(s.hook)
	t.Cleanup(hook.Close)
	t.Setenv("FG_TEST_HOOK", hook.URL+"/hooks/secret-token")
	t.Setenv("FG_TEST_MAIL_USER", "fluxgate")
	t.Setenv("FG_TEST_MAIL_PASS", "mail-secret")
	_, port, _ := net.SplitHostPort(s.mail.addr)
	s.env = gatewaytest.New(t, gatewaytest.Options{Extra: `http: {public_url: "https://fluxgate.example.fr"}
alerts:
  webhooks: [{name: chat, url_env: FG_TEST_HOOK}]
  email: {host: localhost, port: ` + port + `, from: fluxgate@example.fr, to: [compta@example.fr], ca_file: ` + s.mail.caFile + `,
          username_env: FG_TEST_MAIL_USER, password_env: FG_TEST_MAIL_PASS}
  source_unreachable_after: 1ms
`})
	s.cfg = s.env.Config
	gatewaytest.Drop(t, s.env.Inbox, "partiel.csv", gatewaytest.Partial(t))
	gatewaytest.Drop(t, s.env.Inbox, "ventes-erreurs.csv", gatewaytest.Sample(t, "ventes-erreurs.csv"))
	if _, err := s.env.G.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.j, err = journal.Open(context.Background(), s.cfg.Path(s.cfg.Journal.Path)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.j.Close() })
	return s
}

func (s *setup) engine(t *testing.T, g State) *Engine {
	t.Helper()
	ch, err := Channels(s.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return New(s.cfg.Alerts, s.cfg.HTTP.PublicURL, g, s.j, ch, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestFileAlertsByWebhookAndMail(t *testing.T) {
	ctx := context.Background()
	s := newSetup(t)
	e := s.engine(t, s.env.G)
	if err := e.Check(ctx); err != nil {
		t.Fatal(err)
	}
	got := s.hook.got()
	if len(got) != 2 {
		t.Fatalf("webhook got %d alerts: %+v", len(got), got)
	}
	rules := map[string]Alert{}
	for _, a := range got {
		rules[a.Rule] = a
	}
	rej, part := rules[config.RuleFileRejected], rules[config.RuleFilePartial]
	if !strings.Contains(rej.What, "ventes-erreurs.csv") || !strings.Contains(rej.What, "REJETÉ") || !strings.Contains(rej.What, "BR-") ||
		!strings.HasPrefix(rej.Action, "À faire") || !strings.HasPrefix(rej.Link, "https://fluxgate.example.fr/files/") {
		t.Errorf("rejected file alert: %+v", rej)
	}
	if !strings.Contains(part.What, "partiel.csv") || !strings.Contains(part.What, "1 facture(s) sur 2") {
		t.Errorf("partial file alert: %+v", part)
	}
	if strings.Contains(strings.Join(s.hook.texts, ""), "secret-token") {
		t.Error("the webhook's URL must not appear in what is sent")
	}
	mails, overTLS := s.mail.got()
	if len(mails) != 2 {
		t.Fatalf("mail server got %d messages", len(mails))
	}
	for i, m := range mails {
		if !overTLS[i] || !strings.Contains(m, "compta@example.fr") || !strings.Contains(m, "https://fluxgate.example.fr/files/") {
			t.Errorf("mail %d (TLS %v):\n%s", i, overTLS[i], m)
		}
	}

	// Checked again: nothing new, nothing sent twice.
	if err := e.Check(ctx); err != nil {
		t.Fatal(err)
	}
	// Even by an engine started afresh (a restart): the journal remembers.
	if err := s.engine(t, s.env.G).Check(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(s.hook.got()); n != 2 {
		t.Fatalf("deduplicated: the webhook got %d alerts", n)
	}
	rec, _ := s.j.RecentAlerts(ctx, 10)
	if len(rec) != 2 || rec[0].Outcome != journal.AlertSent || !strings.Contains(rec[0].Detail, "webhook chat: ok") || !strings.Contains(rec[0].Detail, "email localhost: ok") {
		t.Fatalf("recorded: %+v", rec)
	}
}

func TestConditionsRateLimitAndFailures(t *testing.T) {
	ctx := context.Background()
	s := newSetup(t)
	e := s.engine(t, s.env.G)
	e.Check(ctx) // the two files

	// The drop folder goes away: once listed, the source is unreachable (for longer than
	// the configured 1ms).
	os.RemoveAll(s.env.Inbox)
	s.env.G.Status(ctx, time.Now())
	time.Sleep(2 * time.Millisecond)
	if err := e.Check(ctx); err != nil {
		t.Fatal(err)
	}
	got := s.hook.got()
	if len(got) != 3 || got[2].Rule != config.RuleSourceUnreachable || !strings.Contains(got[2].What, "ventes") || got[2].Link != "https://fluxgate.example.fr/" {
		t.Fatalf("unreachable source: %+v", got)
	}
	e.Check(ctx)
	if len(s.hook.got()) != 3 {
		t.Fatal("a lasting condition is told once per dedupe period")
	}

	// A host key refused, as the gateway reports it, and the rate limit reached: recorded,
	// held back.
	s.cfg.Alerts.RateLimit = 3
	e.g = hostKeyState{s.env.G}
	if err := e.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if len(s.hook.got()) != 3 {
		t.Fatal("over the rate limit, nothing is sent")
	}
	last, ok, _ := s.j.LastAlert(ctx, "hostkey:source:ventes")
	if !ok || last.Outcome != journal.AlertRateLimited || !strings.Contains(last.Message, "fluxgate doctor") {
		t.Fatalf("host key alert: %+v %v", last, ok)
	}

	// Every channel down: recorded as failed, tried again later.
	s.cfg.Alerts.RateLimit = 30
	s.hook.mu.Lock()
	s.hook.fail = true
	s.hook.mu.Unlock()
	s.cfg.Alerts.Email = nil
	e2 := s.engine(t, pausedState{s.env.G})
	if err := e2.Check(ctx); err == nil {
		// the record itself succeeds; the failure is in the journal
	}
	lastP, ok, _ := s.j.LastAlert(ctx, "paused:outbox")
	if !ok || lastP.Outcome != journal.AlertFailed || !strings.Contains(lastP.Detail, "503") {
		t.Fatalf("failed alert: %+v %v", lastP, ok)
	}
}

// hostKeyState reports the source's host key refused, as the gateway does when an SFTP
// server offers an unknown key.
type hostKeyState struct{ *gateway.Gateway }

func (h hostKeyState) Sources() []gateway.SourceState {
	ss := h.Gateway.Sources()
	ss[0].HostKeyRefused, ss[0].LastError = true, "host key of sftp.example.fr:22 is unknown: the server offers ssh-ed25519 SHA256:abc."
	return ss
}

// pausedState reports the outbox paused.
type pausedState struct{ *gateway.Gateway }

func (p pausedState) Destinations() []gateway.DestinationState {
	ds := p.Gateway.Destinations()
	ds[0].PausedUntil, ds[0].Failures, ds[0].LastError = time.Now().Add(5*time.Minute), 5, "connection refused"
	return ds
}

// The alert of a big partial file counts its invoices without reading them all, and finds
// its first cause however far into the file, pages of invoices later.
func TestFileAlertOfABigFileFindsItsCause(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(ctx, filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	id, err := j.ClaimFile(ctx, "ventes", "gros.csv", "x", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	const n, bad = 1200, 1100 // past the first pages of invoices
	invs := make([]journal.NewInvoice, n)
	for i := range invs {
		invs[i] = journal.NewInvoice{Seq: i + 1, Seller: "FR1", Number: fmt.Sprint("F", i+1), IssueDate: "2026-12-01", Status: journal.InvoiceDuplicate}
	}
	invs[bad-1].Status = journal.InvoiceRejected
	invs[bad-1].Problems = []journal.Problem{{Rule: "BR-CO-15", Severity: "fatal", Line: 3301, EN: "total wrong", FR: "total faux"}}
	if err := j.RecordResult(ctx, id, journal.StatusPartial, nil, invs, ""); err != nil {
		t.Fatal(err)
	}
	f, err := j.File(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{j: j}
	rejected, total, first, err := e.rejections(ctx, f)
	if err != nil || rejected != 1 || total != n || first == nil || first.Rule != "BR-CO-15" {
		t.Fatalf("rejections = %d of %d, first %+v, %v; want 1 of %d, BR-CO-15", rejected, total, first, err, n)
	}
	a := e.fileAlert(f, rejected, total, first, "file:1", false)
	if !strings.Contains(a.What, "1 of 1200") || !strings.Contains(a.What, "BR-CO-15, line 3301: total wrong") {
		t.Fatalf("alert: %s", a.What)
	}
}
