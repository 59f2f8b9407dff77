// Package alert tells people when something needs them: a file rejected or partial, a
// platform's rejection, a destination paused, a source unreachable for too long, an SSH
// host key refused. The rules read the journal and the gateway's state every check; each
// alert says what happened and what to do, links to the file's page when a public URL is
// configured, is deduplicated and rate-limited, and is recorded in the journal (sent, held
// back by the rate limit, or failed). Channels: a webhook that receives JSON (Slack,
// Mattermost and Teams incoming webhooks read its "text") and e-mail over SMTP.
package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// State is what the rules read of the running gateway (*gateway.Gateway).
type State interface {
	Sources() []gateway.SourceState
	Destinations() []gateway.DestinationState
}

// Alert is one thing a person should know and act on.
type Alert struct {
	Rule    string    `json:"rule"`
	Key     string    `json:"key"` // the rule and its subject: the same key is the same alert
	FileID  int64     `json:"fileId,omitempty"`
	Subject string    `json:"subject"`
	What    string    `json:"what"`   // what happened
	Action  string    `json:"action"` // what to do
	Link    string    `json:"link,omitempty"`
	At      time.Time `json:"at"`
}

// Text is the alert in a few lines, for a chat message or a mail body.
func (a Alert) Text() string {
	s := a.What + "\n" + a.Action
	if a.Link != "" {
		s += "\n" + a.Link
	}
	return s
}

// Channel sends alerts somewhere.
type Channel interface {
	Name() string
	Send(ctx context.Context, a Alert) error
}

// Engine evaluates the rules and sends what they find.
type Engine struct {
	cfg      *config.AlertsConfig
	public   string // the status pages' public URL, with a trailing slash; "" for no links
	g        State
	j        *journal.Journal // a writer: alerts are recorded
	channels []Channel
	log      *slog.Logger
	now      func() time.Time
	start    time.Time
	done     map[string]bool // keys of one-off alerts (a file, a rejection) already handled
}

// lookBack is how far before its start the engine looks for files and rejections nobody
// was told of (the daemon was down, or --once ran meanwhile).
const lookBack = 24 * time.Hour

// retryFailed is how long an alert no channel took waits before it is tried again.
const retryFailed = 5 * time.Minute

// New returns an engine for cfg; publicURL is http.public_url ("" when none).
func New(cfg *config.AlertsConfig, publicURL string, g State, j *journal.Journal, channels []Channel, log *slog.Logger) *Engine {
	if publicURL != "" && !strings.HasSuffix(publicURL, "/") {
		publicURL += "/"
	}
	e := &Engine{cfg: cfg, public: publicURL, g: g, j: j, channels: channels, log: log.With("component", "alerts"), now: time.Now, done: map[string]bool{}}
	e.start = e.now()
	return e
}

// Run checks the rules every check_every until ctx is done.
func (e *Engine) Run(ctx context.Context) {
	t := time.NewTicker(time.Duration(e.cfg.CheckEvery))
	defer t.Stop()
	for {
		if err := e.Check(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("alert rules not all checked; trying again at the next check", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Check evaluates every rule once and sends what is due.
func (e *Engine) Check(ctx context.Context) error {
	alerts, err := e.evaluate(ctx)
	for _, a := range alerts {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if serr := e.deliver(ctx, a); serr != nil {
			err = errors.Join(err, serr)
		}
	}
	return err
}

func (e *Engine) evaluate(ctx context.Context) ([]Alert, error) {
	var out []Alert
	var errs []error
	now := e.now()
	since := e.start.Add(-lookBack)
	fr := e.cfg.Language != "en"

	var statuses []string
	if e.cfg.AlertRuleOn(config.RuleFileRejected) {
		statuses = append(statuses, journal.StatusRejected)
	}
	if e.cfg.AlertRuleOn(config.RuleFilePartial) {
		statuses = append(statuses, journal.StatusPartial)
	}
	files, err := e.j.FinishedFiles(ctx, 0, since, statuses...)
	errs = append(errs, err)
	for _, f := range files {
		key := "file:" + strconv.FormatInt(f.ID, 10)
		if e.done[key] {
			continue
		}
		rejected, total, first, err := e.rejections(ctx, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, e.fileAlert(f, rejected, total, first, key, fr))
	}

	if e.cfg.AlertRuleOn(config.RulePlatformRejection) {
		rs, err := e.j.PlatformRejections(ctx, 0, since)
		errs = append(errs, err)
		for _, r := range rs {
			key := fmt.Sprintf("platform:%d:%s", r.FileID, r.Invoice)
			if !e.done[key] {
				out = append(out, e.platformAlert(r, key, fr))
			}
		}
	}

	for _, d := range e.g.Destinations() {
		if d.Paused() && e.cfg.AlertRuleOn(config.RuleDestinationPaused) {
			a := Alert{Rule: config.RuleDestinationPaused, Key: "paused:" + d.Name, Link: e.public}
			until := d.PausedUntil.Local().Format("02/01/2006 15:04")
			if fr {
				a.Subject = "Dépôts en pause : " + d.Name
				a.What = fmt.Sprintf("Les dépôts vers %s sont en pause jusqu'à %s après %d échecs consécutifs. Dernière erreur : %s", d.Name, until, d.Failures, d.LastError)
				a.Action = "À faire : vérifiez que la destination est joignable (réseau, identifiants, espace disque). Les flux attendent sans rien perdre ; la reprise est automatique à la fin de la pause, ou immédiate avec « Reprendre maintenant » sur le tableau de bord."
			} else {
				a.Subject = "Deposits paused: " + d.Name
				a.What = fmt.Sprintf("Deposits to %s are paused until %s after %d failures in a row. Last error: %s", d.Name, until, d.Failures, d.LastError)
				a.Action = "To do: check that the destination is reachable (network, credentials, disk space). The fluxes wait and nothing is lost; deposits resume by themselves when the pause ends, or at once with \"Resume now\" on the dashboard."
			}
			out = append(out, a)
		}
		if d.HostKeyRefused && e.cfg.AlertRuleOn(config.RuleHostKeyRefused) {
			out = append(out, e.hostKeyAlert("destination", d.Name, d.LastError, fr))
		}
	}
	after := time.Duration(e.cfg.SourceUnreachableAfter)
	for _, s := range e.g.Sources() {
		if s.HostKeyRefused && e.cfg.AlertRuleOn(config.RuleHostKeyRefused) {
			out = append(out, e.hostKeyAlert("source", s.Name, s.LastError, fr))
			continue // the host key says more than "unreachable"
		}
		if s.Scanned && !s.Up && now.Sub(s.DownSince) >= after && e.cfg.AlertRuleOn(config.RuleSourceUnreachable) {
			a := Alert{Rule: config.RuleSourceUnreachable, Key: "unreachable:" + s.Name, Link: e.public}
			when := s.DownSince.Local().Format("02/01/2006 15:04")
			if fr {
				a.Subject = "Source injoignable : " + s.Name
				a.What = fmt.Sprintf("Le dossier de la source %s (%s) ne répond plus depuis le %s : %s", s.Name, s.Folder, when, s.LastError)
				a.Action = "À faire : vérifiez le serveur, le réseau et les droits d'accès. Aucun fichier n'est perdu : ceux qui attendent seront pris dès que le dossier répondra."
			} else {
				a.Subject = "Source unreachable: " + s.Name
				a.What = fmt.Sprintf("The folder of source %s (%s) has not answered since %s: %s", s.Name, s.Folder, when, s.LastError)
				a.Action = "To do: check the server, the network and the access rights. No file is lost: the waiting ones are taken as soon as the folder answers."
			}
			out = append(out, a)
		}
	}
	for i := range out {
		out[i].At = now
	}
	return out, errors.Join(errs...)
}

// rejections counts the invoices of file f and those rejected, and finds the first fatal
// problem (the file's, else its first rejected invoice's). The invoices are read a page at
// a time, and only until that problem is found: a file of a million invoices does not
// come into memory for its alert.
func (e *Engine) rejections(ctx context.Context, f journal.File) (rejected, total int, first *journal.Problem, err error) {
	counts, err := e.j.InvoiceCounts(ctx, f.ID)
	if err != nil {
		return 0, 0, nil, err
	}
	for status, n := range counts {
		total += n
		if status == journal.InvoiceRejected {
			rejected += n
		}
	}
	if first = firstFatal(f.Problems); first != nil || rejected == 0 {
		return rejected, total, first, nil
	}
	errFound := errors.New("found")
	err = e.j.EachInvoice(ctx, f.ID, func(inv journal.Invoice) error {
		if inv.Status == journal.InvoiceRejected {
			if first = firstFatal(inv.Problems); first != nil {
				return errFound
			}
		}
		return nil
	})
	if errors.Is(err, errFound) {
		err = nil
	}
	return rejected, total, first, err
}

func firstFatal(ps []journal.Problem) *journal.Problem {
	for _, p := range ps {
		if p.Severity == "fatal" {
			return &p
		}
	}
	return nil
}

func (e *Engine) fileAlert(f journal.File, rejected, total int, first *journal.Problem, key string, fr bool) Alert {
	a := Alert{Rule: config.RuleFileRejected, Key: key, FileID: f.ID, Link: e.fileLink(f.ID)}
	cause := ""
	if first != nil {
		msg := first.EN
		if fr {
			msg = first.FR
		}
		if first.Line > 0 {
			cause = fmt.Sprintf(" %s, ligne %d : %s", first.Rule, first.Line, msg)
			if !fr {
				cause = fmt.Sprintf(" %s, line %d: %s", first.Rule, first.Line, msg)
			}
		} else {
			cause = fmt.Sprintf(" %s : %s", first.Rule, msg)
			if !fr {
				cause = fmt.Sprintf(" %s: %s", first.Rule, msg)
			}
		}
	}
	when := f.Received.Local().Format("02/01/2006 15:04")
	if f.Status == journal.StatusPartial {
		a.Rule = config.RuleFilePartial
		if fr {
			a.Subject = fmt.Sprintf("Fichier partiellement rejeté : %s (%s)", f.Name, f.Source)
			a.What = fmt.Sprintf("Le fichier %s reçu le %s dans la source %s est PARTIEL : %d facture(s) sur %d rejetée(s), les autres sont déposées. Première cause :%s", f.Name, when, f.Source, rejected, total, cause)
			a.Action = "À faire : corrigez les factures rejetées dans le logiciel comptable et déposez à nouveau l'export : seules les factures pas encore déposées partiront."
		} else {
			a.Subject = fmt.Sprintf("File partly rejected: %s (%s)", f.Name, f.Source)
			a.What = fmt.Sprintf("File %s received on %s in source %s is PARTIAL: %d of %d invoice(s) rejected, the others are deposited. First cause:%s", f.Name, when, f.Source, rejected, total, cause)
			a.Action = "To do: fix the rejected invoices in the accounting software and drop the export again: only the invoices not deposited yet go out."
		}
		return a
	}
	if fr {
		a.Subject = fmt.Sprintf("Fichier rejeté : %s (%s)", f.Name, f.Source)
		a.What = fmt.Sprintf("Le fichier %s reçu le %s dans la source %s est REJETÉ : rien n'a été déposé (%d facture(s) rejetée(s)). Première cause :%s", f.Name, when, f.Source, rejected, cause)
		a.Action = "À faire : corrigez l'export (ou le mapping, si la même règle revient sur beaucoup de factures : voir « Rejets par règle ») et déposez-le à nouveau."
	} else {
		a.Subject = fmt.Sprintf("File rejected: %s (%s)", f.Name, f.Source)
		a.What = fmt.Sprintf("File %s received on %s in source %s is REJECTED: nothing was deposited (%d invoice(s) rejected). First cause:%s", f.Name, when, f.Source, rejected, cause)
		a.Action = "To do: fix the export (or the mapping, when the same rule comes back on many invoices: see \"Rejections by rule\") and drop it again."
	}
	return a
}

func (e *Engine) platformAlert(r journal.PlatformRejection, key string, fr bool) Alert {
	a := Alert{Rule: config.RulePlatformRejection, Key: key, FileID: r.FileID, Link: e.fileLink(r.FileID)}
	if fr {
		a.Subject = fmt.Sprintf("Facture rejetée par %s : %s", r.Destination, r.Invoice)
		a.What = fmt.Sprintf("La plateforme %s a rejeté la facture %s (fichier %d) : %s", r.Destination, r.Invoice, r.FileID, r.Detail)
		a.Action = "À faire : corrigez la facture selon le motif de la plateforme, puis exportez-la à nouveau (un nouveau numéro si la plateforme l'exige)."
	} else {
		a.Subject = fmt.Sprintf("Invoice rejected by %s: %s", r.Destination, r.Invoice)
		a.What = fmt.Sprintf("Platform %s rejected invoice %s (file %d): %s", r.Destination, r.Invoice, r.FileID, r.Detail)
		a.Action = "To do: fix the invoice as the platform's reason says, then export it again (with a new number if the platform requires one)."
	}
	return a
}

func (e *Engine) hostKeyAlert(kind, name, detail string, fr bool) Alert {
	a := Alert{Rule: config.RuleHostKeyRefused, Key: "hostkey:" + kind + ":" + name, Link: e.public}
	if fr {
		a.Subject = "Clé SSH refusée : " + name
		a.What = fmt.Sprintf("Le serveur SFTP de %s %s présente une clé d'hôte non reconnue, la connexion est refusée : %s", map[string]string{"source": "la source", "destination": "la destination"}[kind], name, detail)
		a.Action = "À faire : vérifiez l'empreinte avec l'administrateur du serveur avant de l'ajouter à known_hosts (fluxgate doctor la montre). Rien n'est lu ni envoyé tant que la clé n'est pas confirmée."
	} else {
		a.Subject = "SSH host key refused: " + name
		a.What = fmt.Sprintf("The SFTP server of %s %s offers a host key that is not trusted; the connection is refused: %s", kind, name, detail)
		a.Action = "To do: check the fingerprint with the server's administrator before adding it to known_hosts (fluxgate doctor shows it). Nothing is read or sent until the key is confirmed."
	}
	return a
}

func (e *Engine) fileLink(id int64) string {
	if e.public == "" {
		return ""
	}
	return e.public + "files/" + strconv.FormatInt(id, 10)
}

// oneOff reports whether an alert is about one event (a file, a rejection): told once,
// rather than a condition told again when it lasts past the dedupe period.
func oneOff(a Alert) bool {
	return strings.HasPrefix(a.Key, "file:") || strings.HasPrefix(a.Key, "platform:")
}

// deliver sends a, unless the same alert was sent within the dedupe period (or ever, for
// a one-off), or the rate limit is reached; what becomes of it is recorded.
func (e *Engine) deliver(ctx context.Context, a Alert) error {
	now := e.now()
	last, seen, err := e.j.LastAlert(ctx, a.Key)
	if err != nil {
		return err
	}
	if seen {
		switch {
		case last.Outcome == journal.AlertFailed && now.Sub(last.At) < retryFailed:
			return nil
		case last.Outcome != journal.AlertFailed && oneOff(a):
			e.done[a.Key] = true
			return nil
		case last.Outcome != journal.AlertFailed && now.Sub(last.At) < time.Duration(e.cfg.Dedupe):
			return nil
		}
	}
	rec := journal.AlertRecord{At: now, Rule: a.Rule, Key: a.Key, FileID: a.FileID, Subject: a.Subject, Message: a.Text()}
	sent, err := e.j.AlertsSince(ctx, now.Add(-time.Hour), journal.AlertSent)
	if err != nil {
		return err
	}
	if sent >= e.cfg.RateLimit {
		rec.Outcome, rec.Detail = journal.AlertRateLimited, fmt.Sprintf("%d alerts sent in the last hour (rate_limit)", sent)
		e.log.Warn("alert held back by the rate limit; see the alerts page", "rule", a.Rule, "subject", a.Subject)
		if oneOff(a) {
			e.done[a.Key] = true
		}
		return e.j.RecordAlert(ctx, rec)
	}
	var details []string
	ok := 0
	for _, c := range e.channels {
		if err := c.Send(ctx, a); err != nil {
			details = append(details, c.Name()+": "+err.Error())
			e.log.Warn("alert not sent", "channel", c.Name(), "rule", a.Rule, "err", err)
			continue
		}
		ok++
		details = append(details, c.Name()+": ok")
	}
	rec.Outcome, rec.Detail = journal.AlertSent, strings.Join(details, "; ")
	if ok == 0 {
		rec.Outcome = journal.AlertFailed
	} else {
		e.log.Info("alert sent", "rule", a.Rule, "subject", a.Subject, "channels", ok)
		if oneOff(a) {
			e.done[a.Key] = true
		}
	}
	return e.j.RecordAlert(ctx, rec)
}
