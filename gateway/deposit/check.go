package deposit

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// CheckStep is one check a destination ran on itself, for `fluxgate doctor`.
type CheckStep struct {
	What string // what was checked, with the environment variables it used (never a value)
	Err  error  // nil when it passed
	Fix  string // what to do when it failed
}

// Checker is a destination that can check its access to the platform (credentials,
// account) without depositing anything. The steps stop at the first that fails.
type Checker interface {
	Check(ctx context.Context) []CheckStep
}

var (
	_ Checker = (*Chorus)(nil)
	_ Checker = (*PA)(nil)
)

// Check asks PISTE for a token with the application's credentials, then searches the
// supplier's invoices (one line of rechercher/fournisseur), which Chorus Pro answers only
// to a valid technical account (cpro-account).
func (c *Chorus) Check(ctx context.Context) []CheckStep {
	cfg := c.cfg
	token := CheckStep{What: fmt.Sprintf("token from PISTE (client_id_env %s, client_secret_env %s)", cfg.ClientIDEnv, cfg.ClientSecretEnv)}
	if _, token.Err = c.api.tokens.get(ctx); token.Err != nil {
		token.Fix = tokenFix(token.Err, cfg.ClientIDEnv, cfg.ClientSecretEnv, c.api.tokens.url,
			"the client id and secret of the PISTE application (of the "+orDefault(cfg.Environment, "qualification")+" environment, as chorus.environment says), subscribed to the Chorus Pro API")
		return []CheckStep{token}
	}
	account := CheckStep{What: fmt.Sprintf("Chorus Pro technical account (account_login_env %s, account_password_env %s): rechercher/fournisseur", cfg.AccountLoginEnv, cfg.AccountPasswordEnv)}
	req := map[string]any{"rechercheFactureParFournisseur": map[string]any{
		"pageResultatDemandee": 1, "nbResultatsParPage": 1, "triColonne": "IdentifiantFacture", "triSens": "Ascendant",
	}}
	var ans chorusSearchAnswer
	account.Err = c.api.postJSON(ctx, chorusSearch, req, &ans)
	if account.Err == nil {
		account.Err = ans.err("rechercher/fournisseur")
	}
	switch {
	case account.Err == nil:
	case isStatus(account.Err, http.StatusUnauthorized), isStatus(account.Err, http.StatusForbidden), ans.CodeRetour != 0:
		account.Fix = fmt.Sprintf("check that %s and %s hold the login and password of the Chorus Pro technical account (TECH_…), attached to the supplier's structure and allowed to use the API", cfg.AccountLoginEnv, cfg.AccountPasswordEnv)
	default:
		account.Fix = fmt.Sprintf("check chorus.base_url (%s) and that the gateway reaches it (proxy, firewall)", c.api.base)
	}
	return []CheckStep{token, account}
}

// Check asks the platform for a token with the client's credentials, then searches its
// flows (POST /v1/flows/search, one line), which it answers only to a client allowed to use
// the Flow Service.
func (p *PA) Check(ctx context.Context) []CheckStep {
	cfg := p.cfg
	token := CheckStep{What: fmt.Sprintf("token from the platform (client_id_env %s, client_secret_env %s)", cfg.ClientIDEnv, cfg.ClientSecretEnv)}
	if _, token.Err = p.api.tokens.get(ctx); token.Err != nil {
		token.Fix = tokenFix(token.Err, cfg.ClientIDEnv, cfg.ClientSecretEnv, p.api.tokens.url,
			"the client id and secret the platform gave for its Flow Service API")
		return []CheckStep{token}
	}
	flows := CheckStep{What: "Flow Service access: POST " + paSearch}
	var ans searchAnswer
	flows.Err = p.api.postJSON(ctx, paSearch, map[string]any{"limit": 1, "where": map[string]any{"trackingId": "fluxgate-doctor"}}, &ans)
	switch {
	case flows.Err == nil:
	case isStatus(flows.Err, http.StatusUnauthorized), isStatus(flows.Err, http.StatusForbidden):
		flows.Fix = fmt.Sprintf("the platform refuses this client: ask it to allow the client of %s on the Flow Service (scope %q)", cfg.ClientIDEnv, cfg.Scope)
	default:
		flows.Fix = fmt.Sprintf("check pa.base_url (%s) and that the gateway reaches it (proxy, firewall)", p.api.base)
	}
	return []CheckStep{token, flows}
}

// tokenFix says what to check when the token call failed: the credentials when they were
// refused, the URL and the network otherwise.
func tokenFix(err error, idEnv, secretEnv, url, what string) string {
	msg := err.Error()
	if isStatus(err, http.StatusUnauthorized) || isStatus(err, http.StatusBadRequest) ||
		strings.Contains(msg, "HTTP 401") || strings.Contains(msg, "HTTP 400") {
		return fmt.Sprintf("check that %s and %s hold %s", idEnv, secretEnv, what)
	}
	return fmt.Sprintf("check the token URL (%s) and that the gateway reaches it (proxy, firewall)", url)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
