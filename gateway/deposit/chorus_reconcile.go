package deposit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"regexp"
	"slices"
	"sync/atomic"
	"time"
)

// Defaults of a Chorus Pro destination's reconciliation of deposits whose outcome is
// unknown. Chorus Pro integrates a deposit within minutes as a rule; two hours leave room
// for a busy platform before a flux with no trace is sent again.
const (
	DefaultChorusIntegrationWindow = 2 * time.Hour
	DefaultChorusReconcileEvery    = 10 * time.Minute
)

var (
	_ Reconciler = (*Chorus)(nil)

	// chorusDuplicateRe recognises Chorus Pro's refusal of an invoice whose number the
	// supplier already used (libelleErreurDP; reason DOUBLON in the reform's vocabulary).
	chorusDuplicateRe = regexp.MustCompile(`(?i)doublon|existe d[ée]j[àa]|d[ée]j[àa] (été )?d[ée]pos[ée]e`)
)

// Platform names Chorus Pro in acks and logs.
func (c *Chorus) Platform() string { return "Chorus Pro" }

// IntegrationWindow is how long after a deposit Chorus Pro may still not show its invoices.
func (c *Chorus) IntegrationWindow() time.Duration { return c.cfg.IntegrationWindow }

// ReconcileEvery is how often Chorus Pro is asked about a deposit whose outcome is unknown.
func (c *Chorus) ReconcileEvery() time.Duration { return c.cfg.ReconcileEvery }

// sendDeposit posts a deposer/flux request and classifies a failure by what may have
// reached Chorus Pro. The API takes no client reference it would check, so a deposit sent
// twice is two deposits: it is tried again (paced, within the call) only when it surely
// never reached the API.
//   - nothing written (no token, connection refused, DNS, TLS): transient;
//   - refused before processing (401 twice, 403, 404, 408, 429): transient, with Retry-After;
//   - written and then no answer (time-out, connection lost), a 5xx (the gateway in front
//     of the API may answer 502/503/504 after the API processed the deposit), an answer
//     that cannot be read: Uncertain;
//   - another 4xx: Permanent.
//
// A 401 (expired token) is sent once more with a fresh token: the API refused it unread.
func (c *Chorus) sendDeposit(ctx context.Context, in, out any) error {
	payload, err := json.Marshal(in)
	if err != nil {
		return Permanent(err)
	}
	again := func(err error) bool {
		var tok tokenError
		return !IsUncertain(err) && !errors.As(err, &tok) && notSent(err)
	}
	refreshed := false
	return c.api.pace.call(ctx, again, func() error {
		for {
			unauthorized, err := c.depositOnce(ctx, payload, out)
			if unauthorized && !refreshed {
				refreshed = true
				if err := c.api.pace.Wait(ctx); err != nil {
					return err
				}
				continue
			}
			return err
		}
	})
}

// depositOnce makes one deposer/flux exchange (see sendDeposit); unauthorized says that
// the token was refused, and forgotten.
func (c *Chorus) depositOnce(ctx context.Context, payload []byte, out any) (unauthorized bool, err error) {
	token, err := c.api.tokens.get(ctx)
	if err != nil {
		return false, err
	}
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodPost, c.api.base+chorusDeposit, bytes.NewReader(payload))
	if err != nil {
		return false, Permanent(err)
	}
	for k, v := range c.api.header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	resp, err := c.api.http.Do(req)
	if err != nil {
		err = fmt.Errorf("POST %s: %w", chorusDeposit, err)
		if wrote.Load() {
			return false, Uncertain(fmt.Errorf("%w (the request was sent: Chorus Pro may have received it)", err))
		}
		return false, err
	}
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if rerr != nil {
		return false, Uncertain(fmt.Errorf("POST %s: HTTP %d, answer lost: %w", chorusDeposit, resp.StatusCode, rerr))
	}
	status := &httpStatusError{resp.StatusCode, excerpt(data)}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		if err := json.Unmarshal(data, out); err != nil {
			return false, Uncertain(fmt.Errorf("POST %s: unreadable answer: %w", chorusDeposit, err))
		}
		return false, nil
	case s >= 500:
		return false, Uncertain(withRetryAfter(fmt.Errorf("POST %s: %w (Chorus Pro may have processed the deposit)", chorusDeposit, status), resp))
	case s == http.StatusUnauthorized, s == http.StatusForbidden, s == http.StatusNotFound,
		s == http.StatusRequestTimeout, s == http.StatusTooManyRequests:
		if s == http.StatusUnauthorized {
			c.api.tokens.invalidate(token)
		}
		return s == http.StatusUnauthorized, withRetryAfter(fmt.Errorf("POST %s: %w", chorusDeposit, status), resp)
	default:
		return false, Permanent(fmt.Errorf("POST %s: %w", chorusDeposit, status))
	}
}

// Reconcile asks Chorus Pro whether it holds the invoice of each flux: rechercher/fournisseur
// by invoice number finds it once integrated (not before: hence the window). An invoice
// found gets the receipt of the deposit that brought it (its numeroFluxDepot when the
// answer gives it, so that tracking reads that deposit's report; else the invoice itself).
// The report of a deposit found this way also says which other invoices it held and
// refused at integration (listeErreurDP): those of fluxes deposited in the same batch are
// found too, and their tracking reports the refusal — sending them again would not help.
func (c *Chorus) Reconcile(ctx context.Context, fluxes []Flux) []Reconciliation {
	out := make([]Reconciliation, len(fluxes))
	var deposits []string // numeroFluxDepot of the invoices found, in order
	for i, f := range fluxes {
		if ctx.Err() != nil {
			out[i].Err = ctx.Err()
			continue
		}
		if f.Invoice == "" {
			out[i].Err = fmt.Errorf("chorus %s: flux %s has no invoice number to search Chorus Pro by", c.name, f.Name)
			continue
		}
		inv, err := c.findLive(ctx, f.Invoice)
		switch {
		case err != nil:
			out[i].Err = fmt.Errorf("chorus %s: search invoice %s: %w", c.name, f.Invoice, err)
		case inv != nil:
			out[i] = Reconciliation{Found: true, Receipt: c.receiptOf(*inv)}
			c.log.Info("deposit of unknown outcome found on Chorus Pro", "destination", c.name, "invoice", f.Invoice,
				"identifiantFactureCPP", inv.ID, "numeroFluxDepot", inv.Flux, "status", inv.Status)
			if inv.Flux != "" && !slices.Contains(deposits, inv.Flux) {
				deposits = append(deposits, inv.Flux)
			}
		}
	}
	for _, n := range deposits {
		refused, name, err := c.refusedIn(ctx, n)
		if err != nil {
			c.log.Warn("integration report not read", "destination", c.name, "numeroFluxDepot", n, "err", err)
			continue
		}
		for i, f := range fluxes {
			if !out[i].Found && out[i].Err == nil && refused[f.Invoice] {
				out[i] = Reconciliation{Found: true, Receipt: Receipt{ID: n, Location: "Chorus Pro flux " + n, At: c.now(), AlreadyThere: true}}
				c.log.Info("deposit of unknown outcome found on Chorus Pro, refused at integration", "destination", c.name,
					"invoice", f.Invoice, "numeroFluxDepot", n, "nomFichier", name)
			}
		}
	}
	return out
}

// receiptOf is the receipt of an invoice found on Chorus Pro: its deposit when known.
func (c *Chorus) receiptOf(inv chorusInvoice) Receipt {
	if inv.Flux != "" {
		return Receipt{ID: inv.Flux, Location: "Chorus Pro flux " + inv.Flux, At: c.now(), AlreadyThere: true}
	}
	id := fmt.Sprint(inv.ID)
	return Receipt{ID: chorusInvoiceRef + id, Location: "Chorus Pro facture " + id, At: c.now(), AlreadyThere: true}
}

// refusedIn reads the integration report of deposit n: the invoice numbers it refused
// (listeErreurDP) and its file name.
func (c *Chorus) refusedIn(ctx context.Context, n string) (map[string]bool, string, error) {
	var cr struct {
		chorusAnswer
		NomFichier   string `json:"nomFichier"`
		ListeErreurs []struct {
			NumeroDP string `json:"numeroDP"`
		} `json:"listeErreurDP"`
	}
	if err := c.api.postJSON(ctx, chorusCRDetail, map[string]any{"numeroFluxDepot": n}, &cr); err != nil {
		return nil, "", err
	}
	if err := cr.err("consulterCRDetaille"); err != nil {
		return nil, "", err
	}
	refused := map[string]bool{}
	for _, e := range cr.ListeErreurs {
		refused[e.NumeroDP] = true
	}
	return refused, cr.NomFichier, nil
}

// isChorusDuplicate reports whether Chorus Pro refused an invoice at integration because
// its number was used already.
func isChorusDuplicate(libelle string) bool { return chorusDuplicateRe.MatchString(libelle) }

// duplicateUpdate reconciles an invoice that Chorus Pro refused in deposit receipt as a
// duplicate of the live invoice first: the invoice is on Chorus Pro, deposited once, and
// its status is first's. The status comes from first's own deposit when the search names
// it (as tracking that deposit would read it), else from the search by number.
func (c *Chorus) duplicateUpdate(ctx context.Context, receipt string, first chorusInvoice, libelle string) (StatusUpdate, error) {
	if first.Flux != "" {
		list, err := c.search(ctx, map[string]any{"numeroFluxDepot": first.Flux})
		if err != nil {
			return StatusUpdate{}, err
		}
		for _, inv := range list {
			if inv.ID == first.ID {
				first = inv
			}
		}
	}
	u, err := c.invoiceUpdate(ctx, receipt, first)
	if err != nil {
		return StatusUpdate{}, err
	}
	note := fmt.Sprintf("Rapprochée de la facture Chorus Pro %d déjà intégrée", first.ID)
	if first.Flux != "" {
		note += " (flux " + first.Flux + ")"
	}
	note += " : le nouvel envoi a été refusé comme doublon (" + libelle + ")"
	if u.Message != "" {
		note += " ; " + u.Message
	}
	u.Message = note
	return u, nil
}
