package deposit

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Chorus Pro speaks Paris time; Windows has no zone database of its own
)

// Chorus Pro hosts (PISTE), per environment.
var chorusHosts = map[string]struct{ api, token string }{
	"qualification": {"https://sandbox-api.piste.gouv.fr", "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"},
	"production":    {"https://api.piste.gouv.fr", "https://oauth.piste.gouv.fr/api/oauth/token"},
}

// Chorus Pro API paths.
const (
	chorusDeposit    = "/cpro/factures/v1/deposer/flux"
	chorusCRDetail   = "/cpro/transverses/v1/consulterCRDetaille"
	chorusSearch     = "/cpro/factures/v1/rechercher/fournisseur"
	chorusHistory    = "/cpro/factures/v1/consulter/historique"
	chorusInvoiceRef = "facture:" // receipt id prefix of an invoice found already deposited
)

// DefaultChorusSyntax maps flux syntaxes to Chorus Pro syntaxeFlux codes (E1, structured).
var DefaultChorusSyntax = map[string]string{"ubl": "IN_DP_E1_UBL_INVOICE", "cii": "IN_DP_E1_CII_16B", "facturx": "IN_DP_E2_CII_FACTURX"}

// ChorusConfig configures the Chorus Pro API destination. Secrets are named by the
// environment variables that hold them.
type ChorusConfig struct {
	Name        string
	Environment string // qualification (default) or production: picks the PISTE hosts
	BaseURL     string // overrides the API host (the simulator)
	TokenURL    string // overrides the OAuth token URL

	ClientIDEnv, ClientSecretEnv        string // PISTE application credentials
	AccountLoginEnv, AccountPasswordEnv string // Chorus Pro technical account (cpro-account)

	Syntax   map[string]string // flux syntax → syntaxeFlux; DefaultChorusSyntax when nil
	Batch    int               // fluxes per deposit (a tar.gz when > 1); 0 or 1: one per deposit
	PageSize int               // invoices per rechercher/fournisseur page (default 50)

	// IntegrationWindow is how long after a deposit of unknown outcome Chorus Pro is asked
	// whether it holds it before the flux is sent again (DefaultChorusIntegrationWindow
	// when 0); ReconcileEvery is how often it is asked (DefaultChorusReconcileEvery).
	IntegrationWindow time.Duration
	ReconcileEvery    time.Duration

	// Getenv reads the environment (os.Getenv when nil); tests set it.
	Getenv func(string) string
}

// Chorus deposits flux files on Chorus Pro through its API (PISTE) and follows them: the
// integration report of each deposit (consulterCRDetaille), then the status of each invoice
// (rechercher/fournisseur, consulter/historique).
type Chorus struct {
	name   string
	cfg    ChorusConfig
	api    *apiClient
	log    *slog.Logger
	now    func() time.Time
	syntax map[string]string

	mu      sync.Mutex
	history map[string]historyEntry // identifiantFactureCPP → the last status read in its history
}

type historyEntry struct {
	status, comment, number string
	at                      time.Time
}

var _ interface {
	Destination
	Tracker
	KnownTracker
	Batcher
	Reconciler
} = (*Chorus)(nil)

// NewChorus returns the Chorus Pro destination cfg describes. httpClient carries the
// timeouts (http.DefaultClient when nil); secrets are read from the environment now, so that
// a missing one stops the start.
func NewChorus(cfg ChorusConfig, httpClient *http.Client, log *slog.Logger) (*Chorus, error) {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	env := cfg.Environment
	if env == "" {
		env = "qualification"
	}
	hosts, ok := chorusHosts[env]
	if !ok {
		return nil, fmt.Errorf("chorus %s: environment %q: write qualification or production", cfg.Name, cfg.Environment)
	}
	base, tokenURL := hosts.api, hosts.token
	if cfg.BaseURL != "" {
		base = cfg.BaseURL
	}
	if cfg.TokenURL != "" {
		tokenURL = cfg.TokenURL
	}
	var errs []error
	secret := func(what, name string) string {
		v, err := Secret(cfg.Getenv, "chorus "+cfg.Name+" "+what, name)
		errs = append(errs, err)
		return v
	}
	id, sec := secret("client_id_env", cfg.ClientIDEnv), secret("client_secret_env", cfg.ClientSecretEnv)
	login, pass := secret("account_login_env", cfg.AccountLoginEnv), secret("account_password_env", cfg.AccountPasswordEnv)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	syntax := cfg.Syntax
	if syntax == nil {
		syntax = DefaultChorusSyntax
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 50
	}
	if cfg.IntegrationWindow <= 0 {
		cfg.IntegrationWindow = DefaultChorusIntegrationWindow
	}
	if cfg.ReconcileEvery <= 0 {
		cfg.ReconcileEvery = DefaultChorusReconcileEvery
	}
	header := http.Header{}
	header.Set("cpro-account", base64.StdEncoding.EncodeToString([]byte(login+":"+pass)))
	c := &Chorus{name: cfg.Name, cfg: cfg, log: log, now: time.Now, syntax: syntax, history: map[string]historyEntry{}}
	c.api = &apiClient{
		http:   httpClient,
		base:   strings.TrimRight(base, "/"),
		tokens: &tokenSource{http: httpClient, url: tokenURL, id: id, secret: sec, scope: "openid", now: func() time.Time { return c.now() }},
		header: header,
		log:    log,
	}
	return c, nil
}

// Name is the configured destination name.
func (c *Chorus) Name() string { return c.name }

// Close releases nothing: the HTTP client belongs to the caller.
func (c *Chorus) Close() error { return nil }

// BatchSize is the configured number of fluxes per deposit.
func (c *Chorus) BatchSize() int { return max(1, c.cfg.Batch) }

// chorusAnswer is the common part of every Chorus Pro answer: a business error comes back as
// HTTP 200 with codeRetour ≠ 0.
type chorusAnswer struct {
	CodeRetour int    `json:"codeRetour"`
	Libelle    string `json:"libelle"`
}

func (a chorusAnswer) err(call string) error {
	if a.CodeRetour == 0 {
		return nil
	}
	return fmt.Errorf("Chorus Pro %s: code %d: %s", call, a.CodeRetour, a.Libelle)
}

// Deposit deposits one flux. Before sending, it asks Chorus Pro whether an invoice with the
// same number (flux.Invoice) is known already (a deposit that went through before a crash):
// then it does not send it again and returns a receipt for that invoice, AlreadyThere.
// That check only sees integrated invoices: a deposit moments old is not found yet. So a
// deposit whose answer is lost fails Uncertain (see sendDeposit), and the caller must not
// send it again before Reconcile has looked for it over the IntegrationWindow. Should a
// second deposit still happen, Chorus Pro refuses it as a duplicate and Track reconciles
// it with the first (not Rejected).
func (c *Chorus) Deposit(ctx context.Context, flux Flux) (Receipt, error) {
	rs, err := c.DepositBatch(ctx, []Flux{flux})
	if err != nil {
		return Receipt{}, err
	}
	return rs[0], nil
}

// DepositBatch deposits fluxes of one syntax as a single Chorus Pro deposit (a tar.gz of the
// files when there are several) and returns the receipt of each flux, in order: fluxes
// deposited now share the deposit's receipt (numeroFluxDepot); fluxes whose invoice Chorus
// Pro knows already are not sent and get that invoice's receipt, AlreadyThere (see Deposit).
func (c *Chorus) DepositBatch(ctx context.Context, fluxes []Flux) ([]Receipt, error) {
	if len(fluxes) == 0 {
		return nil, Permanent(errors.New("chorus: nothing to deposit"))
	}
	syntaxe, ok := c.syntax[fluxes[0].Syntax]
	if !ok {
		return nil, Permanent(fmt.Errorf("chorus %s: no syntaxeFlux for flux syntax %q", c.name, fluxes[0].Syntax))
	}
	receipts := make([]Receipt, len(fluxes))
	var send []int
	for i, f := range fluxes {
		if f.Syntax != fluxes[0].Syntax {
			return nil, Permanent(fmt.Errorf("chorus %s: a deposit holds one syntax; %s is %s, %s is %s", c.name, fluxes[0].Name, fluxes[0].Syntax, f.Name, f.Syntax))
		}
		if f.Invoice != "" {
			found, err := c.findLive(ctx, f.Invoice)
			if err != nil {
				return nil, fmt.Errorf("chorus %s: look for invoice %s before depositing: %w", c.name, f.Invoice, err)
			}
			if found != nil {
				id := fmt.Sprint(found.ID)
				c.log.Info("invoice already on Chorus Pro; not deposited again", "invoice", f.Invoice, "identifiantFactureCPP", id)
				receipts[i] = Receipt{ID: chorusInvoiceRef + id, Location: "Chorus Pro facture " + id, At: c.now(), AlreadyThere: true}
				continue
			}
		}
		send = append(send, i)
	}
	if len(send) == 0 {
		return receipts, nil
	}
	name, data := fluxes[send[0]].Name, fluxes[send[0]].Data
	if len(send) > 1 {
		var batch []Flux
		for _, i := range send {
			batch = append(batch, fluxes[i])
		}
		var err error
		if name, data, err = tarGz(batch, c.now()); err != nil {
			return nil, Permanent(err)
		}
	}
	req := map[string]any{
		"fichierFlux":   base64.StdEncoding.EncodeToString(data),
		"nomFichier":    chorusFileName(name),
		"syntaxeFlux":   syntaxe,
		"avecSignature": false,
	}
	var ans struct {
		chorusAnswer
		NumeroFluxDepot string `json:"numeroFluxDepot"`
		DateDepot       string `json:"dateDepot"`
	}
	if err := c.sendDeposit(ctx, req, &ans); err != nil {
		return nil, fmt.Errorf("chorus %s: deposit %s: %w", c.name, name, err)
	}
	if err := ans.err("deposer/flux"); err != nil {
		return nil, Permanent(fmt.Errorf("chorus %s: deposit %s: %w", c.name, name, err))
	}
	if ans.NumeroFluxDepot == "" {
		return nil, Uncertain(fmt.Errorf("chorus %s: deposit %s: the answer has no numeroFluxDepot", c.name, name))
	}
	at := c.now()
	if len(strings.TrimSpace(ans.DateDepot)) > len("2006-01-02") { // a bare date says nothing of the hour
		at = parseChorusTime(ans.DateDepot, at)
	}
	r := Receipt{ID: ans.NumeroFluxDepot, Location: "Chorus Pro flux " + ans.NumeroFluxDepot, At: at}
	for _, i := range send {
		receipts[i] = r
	}
	c.log.Info("flux deposited on Chorus Pro", "destination", c.name, "file", name, "numeroFluxDepot", r.ID, "invoices", len(send))
	return receipts, nil
}

// chorusInvoice is one line of rechercher/fournisseur.
type chorusInvoice struct {
	ID     int64  `json:"identifiantFactureCPP"`
	Number string `json:"numeroFacture"`
	Status string `json:"statut"`
	Flux   string `json:"numeroFluxDepot"` // the deposit that brought it, when the answer says
}

type chorusSearchAnswer struct {
	chorusAnswer
	ListeFactures    []chorusInvoice `json:"listeFactures"`
	ParametresRetour struct {
		Pages int `json:"pages"`
		Total int `json:"total"`
	} `json:"parametresRetour"`
}

// search runs rechercher/fournisseur with filter, every page.
func (c *Chorus) search(ctx context.Context, filter map[string]any) ([]chorusInvoice, error) {
	var all []chorusInvoice
	for page := 1; ; page++ {
		req := map[string]any{"rechercheFactureParFournisseur": map[string]any{
			"pageResultatDemandee": page, "nbResultatsParPage": c.cfg.PageSize, "triColonne": "IdentifiantFacture", "triSens": "Ascendant",
		}}
		for k, v := range filter {
			req[k] = v
		}
		var ans chorusSearchAnswer
		if err := c.api.postJSON(ctx, chorusSearch, req, &ans); err != nil {
			return nil, err
		}
		if err := ans.err("rechercher/fournisseur"); err != nil {
			return nil, err
		}
		all = append(all, ans.ListeFactures...)
		if page >= ans.ParametresRetour.Pages || len(ans.ListeFactures) == 0 {
			return all, nil
		}
	}
}

// findLive returns the live invoice numbered number (nil when Chorus Pro has none, or only
// rejected or deleted ones). Only integrated invoices are searchable.
func (c *Chorus) findLive(ctx context.Context, number string) (*chorusInvoice, error) {
	found, err := c.search(ctx, map[string]any{"numeroFacture": number})
	if err != nil {
		return nil, err
	}
	for _, f := range found {
		if f.Number == number && !chorusDead[f.Status] {
			return &f, nil
		}
	}
	return nil, nil
}

// Flux states (etatCourantDepotFlux) that end the integration.
var chorusFluxFinal = map[string]bool{"IN_INTEGRE": true, "IN_INTEGRE_PARTIEL": true, "IN_REJETE": true, "IN_INCIDENTE": true}

// Invoice statuses after which nothing more happens to the invoice for its supplier.
var chorusInvoiceFinal = map[string]bool{"REJETEE": true, "MISE_EN_PAIEMENT": true, "SUPPRIMEE": true, "ABANDONNEE": true}

// Invoice statuses that do not count as "deposited already".
var chorusDead = map[string]bool{"REJETEE": true, "SUPPRIMEE": true, "ABANDONNEE": true}

// ChorusLabels gives the French words of Chorus Pro's flux states and invoice statuses.
var ChorusLabels = map[string]string{
	"IN_RECU": "flux reçu", "IN_TRAITE_SE_CPP": "flux arrivé dans Chorus Pro",
	"IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP": "flux en attente de traitement",
	"IN_EN_ATTENTE_TRAITEMENT_CPP":                  "flux en attente de traitement",
	"IN_EN_COURS_TRAITEMENT_CPP":                    "flux en cours de traitement",
	"IN_EN_ATTENTE_RETRAITEMENT_CPP":                "flux bloqué, en attente de retraitement",
	"IN_INCIDENTE":                                  "flux non traité : à redéposer en entier",
	"IN_REJETE":                                     "flux rejeté",
	"IN_INTEGRE":                                    "flux intégré",
	"IN_INTEGRE_PARTIEL":                            "flux intégré en partie",
	"DEPOSEE":                                       "déposée", "EN_COURS_ACHEMINEMENT": "en cours d'acheminement",
	"MISE_A_DISPOSITION": "mise à disposition de l'acheteur", "A_RECYCLER": "à recycler (données d'acheminement à corriger)",
	"SUSPENDUE": "suspendue (à compléter)", "REJETEE": "rejetée", "SERVICE_FAIT": "service fait",
	"MANDATEE": "mandatée", "MISE_EN_PAIEMENT": "mise en paiement", "COMPTABILISEE": "comptabilisée",
	"MISE_A_DISPOSITION_COMPTABLE": "mise à disposition du comptable", "COMPLETEE": "complétée",
	"ABANDONNEE": "abandonnée", "SUPPRIMEE": "supprimée", "ASSOCIEE": "associée",
}

// Track reports the state of each Chorus Pro receipt: the flux state from the detailed
// integration report, then, once integrated, one update per invoice (its status and the
// comment of its history); invoices refused at integration (listeErreurDP) come back
// Rejected with Chorus Pro's message.
func (c *Chorus) Track(ctx context.Context, receiptIDs []string) ([]StatusUpdate, error) {
	var out []StatusUpdate
	var errs []error
	for _, id := range receiptIDs {
		var ups []StatusUpdate
		var err error
		if cpp, ok := strings.CutPrefix(id, chorusInvoiceRef); ok {
			ups, err = c.trackInvoice(ctx, id, cpp)
		} else {
			ups, err = c.trackFlux(ctx, id)
		}
		out = append(out, ups...)
		if err != nil {
			errs = append(errs, fmt.Errorf("chorus %s: track %s: %w", c.name, id, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return out, errors.Join(errs...)
}

// TrackKnown is Track sparing what cannot change any more: a deposit whose invoices carry
// statuses of their own was integrated, so its integration report is not read again; only
// its invoices are asked about.
func (c *Chorus) TrackKnown(ctx context.Context, deposits []Tracked) ([]StatusUpdate, error) {
	var out []StatusUpdate
	var errs []error
	for _, d := range deposits {
		var ups []StatusUpdate
		var err error
		if cpp, ok := strings.CutPrefix(d.Receipt, chorusInvoiceRef); ok {
			ups, err = c.trackInvoice(ctx, d.Receipt, cpp)
		} else if chorusIntegrated(d.Status) {
			ups, err = c.trackIntegrated(ctx, d.Receipt)
		} else {
			ups, err = c.trackFlux(ctx, d.Receipt)
		}
		out = append(out, ups...)
		if err != nil {
			errs = append(errs, fmt.Errorf("chorus %s: track %s: %w", c.name, d.Receipt, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return out, errors.Join(errs...)
}

// chorusIntegrated reports whether status is an invoice's own status (DEPOSEE,
// MISE_A_DISPOSITION, SUSPENDUE…), which Chorus Pro gives only once the deposit that
// carried it is integrated; the deposit's states (IN_RECU, IN_INTEGRE…) all start with IN_.
func chorusIntegrated(status string) bool {
	return status != "" && !strings.HasPrefix(status, "IN_")
}

// trackIntegrated follows the invoices of an integrated deposit, without its report. A
// deposit whose invoices cannot be found (a re-send refused as a duplicate, say) is tracked
// in full.
func (c *Chorus) trackIntegrated(ctx context.Context, id string) ([]StatusUpdate, error) {
	invoices, err := c.search(ctx, map[string]any{"numeroFluxDepot": id})
	if err != nil {
		return nil, err
	}
	if len(invoices) == 0 {
		return c.trackFlux(ctx, id)
	}
	var ups []StatusUpdate
	for _, inv := range invoices {
		u, err := c.invoiceUpdate(ctx, id, inv)
		if err != nil {
			return ups, err
		}
		ups = append(ups, u)
	}
	return ups, nil
}

func (c *Chorus) trackFlux(ctx context.Context, id string) ([]StatusUpdate, error) {
	var cr struct {
		chorusAnswer
		Etat         string `json:"etatCourantDepotFlux"`
		DateEtat     string `json:"dateHeureEtatCourantFlux"`
		ListeErreurs []struct {
			NumeroDP string `json:"numeroDP"`
			Libelle  string `json:"libelleErreurDP"`
		} `json:"listeErreurDP"`
		ListeErreurTechnique []struct {
			Code    string `json:"codeErreur"`
			Libelle string `json:"libelleErreur"`
		} `json:"listeErreurTechnique"`
	}
	if err := c.api.postJSON(ctx, chorusCRDetail, map[string]any{"numeroFluxDepot": id}, &cr); err != nil {
		return nil, err
	}
	if err := cr.err("consulterCRDetaille"); err != nil {
		return nil, err
	}
	at := parseChorusTime(cr.DateEtat, c.now())
	flux := StatusUpdate{Receipt: id, Status: cr.Etat, Label: ChorusLabels[cr.Etat], At: at}
	var msgs []string
	for _, e := range cr.ListeErreurTechnique {
		msgs = append(msgs, strings.TrimSpace(e.Code+" "+e.Libelle))
	}
	flux.Message = strings.Join(msgs, "; ")
	if !chorusFluxFinal[cr.Etat] {
		return []StatusUpdate{flux}, nil
	}
	ups := []StatusUpdate{}
	rejected := map[string]bool{}
	allFinal, reconciled := true, 0
	for _, e := range cr.ListeErreurs {
		rejected[e.NumeroDP] = true
		if e.NumeroDP != "" && isChorusDuplicate(e.Libelle) {
			// A second deposit of an invoice Chorus Pro holds already (sent again after an
			// unknown outcome): the invoice is there once, so it is reconciled with the
			// first deposit, not reported rejected.
			first, err := c.findLive(ctx, e.NumeroDP)
			if err != nil {
				return append([]StatusUpdate{flux}, ups...), err
			}
			if first != nil && first.Flux != id {
				u, err := c.duplicateUpdate(ctx, id, *first, e.Libelle)
				if err != nil {
					return append([]StatusUpdate{flux}, ups...), err
				}
				c.log.Info("duplicate refused by Chorus Pro reconciled with the first deposit", "destination", c.name,
					"invoice", e.NumeroDP, "numeroFluxDepot", id, "identifiantFactureCPP", first.ID, "first", first.Flux)
				allFinal = allFinal && u.Final
				ups = append(ups, u)
				reconciled++
				continue
			}
		}
		ups = append(ups, StatusUpdate{Receipt: id, Invoice: e.NumeroDP, Status: cr.Etat, Label: "rejetée à l'intégration",
			Final: true, Rejected: true, Message: e.Libelle, At: at})
	}
	if cr.Etat == "IN_REJETE" || cr.Etat == "IN_INCIDENTE" {
		flux.Final, flux.Rejected = true, true
		if cr.Etat == "IN_REJETE" && reconciled > 0 && reconciled == len(cr.ListeErreurs) {
			// Every invoice it held lives on in an earlier deposit: nothing was refused.
			flux.Final, flux.Rejected = allFinal, false
		}
		return append([]StatusUpdate{flux}, ups...), nil
	}
	invoices, err := c.search(ctx, map[string]any{"numeroFluxDepot": id})
	if err != nil {
		return append([]StatusUpdate{flux}, ups...), err
	}
	// A flux integrated but whose invoices are not searchable yet stays tracked.
	allFinal = allFinal && len(invoices) > 0
	for _, inv := range invoices {
		if rejected[inv.Number] {
			continue
		}
		u, err := c.invoiceUpdate(ctx, id, inv)
		if err != nil {
			return append([]StatusUpdate{flux}, ups...), err
		}
		allFinal = allFinal && u.Final
		ups = append(ups, u)
	}
	flux.Final = allFinal
	return append([]StatusUpdate{flux}, ups...), nil
}

// invoiceUpdate turns an invoice of a search into an update, reading its history when its
// status changed since last time (for the date and the comment: why it was suspended or
// rejected).
func (c *Chorus) invoiceUpdate(ctx context.Context, receipt string, inv chorusInvoice) (StatusUpdate, error) {
	cpp := fmt.Sprint(inv.ID)
	h, err := c.statusDetail(ctx, cpp, inv.Status)
	if err != nil {
		return StatusUpdate{}, err
	}
	return StatusUpdate{Receipt: receipt, Invoice: inv.Number, PlatformID: cpp, Status: h.status, Label: ChorusLabels[h.status],
		Final: chorusInvoiceFinal[h.status], Rejected: h.status == "REJETEE", Message: h.comment, At: h.at}, nil
}

// statusDetail returns the date and comment of the invoice's status (its current one when
// status is ""), from its history, which is read only when the status is new to this run.
// The status may have moved on between the search and the history: the entry of the status
// asked for is used.
func (c *Chorus) statusDetail(ctx context.Context, cpp, status string) (historyEntry, error) {
	c.mu.Lock()
	h, ok := c.history[cpp]
	c.mu.Unlock()
	if ok && status != "" && h.status == status {
		return h, nil
	}
	var ans struct {
		chorusAnswer
		NumeroFacture string `json:"numeroFacture"`
		StatutCourant string `json:"statutCourantCode"`
		Historique    struct {
			Statuts []struct {
				Code        string `json:"histoStatutCode"`
				Date        string `json:"histoStatutDatePassage"`
				Commentaire string `json:"histoStatutCommentaire"`
			} `json:"histoStatut"`
		} `json:"historiquesDesStatuts"`
	}
	var idFacture any = cpp
	var n int64
	if _, err := fmt.Sscan(cpp, &n); err == nil {
		idFacture = n
	}
	if err := c.api.postJSON(ctx, chorusHistory, map[string]any{"idFacture": idFacture}, &ans); err != nil {
		return historyEntry{}, err
	}
	if err := ans.err("consulter/historique"); err != nil {
		return historyEntry{}, err
	}
	if status == "" {
		status = ans.StatutCourant
	}
	h = historyEntry{status: status, number: ans.NumeroFacture, at: c.now()}
	var latest time.Time
	for _, s := range ans.Historique.Statuts {
		t := parseChorusTime(s.Date, time.Time{})
		if s.Code == status && !t.Before(latest) {
			latest, h.comment = t, s.Commentaire
			if !t.IsZero() {
				h.at = t
			}
		}
	}
	c.mu.Lock()
	c.history[cpp] = h
	c.mu.Unlock()
	return h, nil
}

// trackInvoice follows an invoice found already deposited (receipt "facture:<id>"): one
// update for the receipt and one for the invoice, both with its current status.
func (c *Chorus) trackInvoice(ctx context.Context, receipt, cpp string) ([]StatusUpdate, error) {
	h, err := c.statusDetail(ctx, cpp, "")
	if err != nil {
		return nil, err
	}
	u := StatusUpdate{Receipt: receipt, Invoice: h.number, PlatformID: cpp, Status: h.status, Label: ChorusLabels[h.status],
		Final: chorusInvoiceFinal[h.status], Rejected: h.status == "REJETEE", Message: h.comment, At: h.at}
	r := u
	r.Invoice, r.Rejected, r.Message = "", false, ""
	return []StatusUpdate{r, u}, nil
}

var chorusNameRe = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// chorusFileName keeps nomFichier to ASCII letters, digits, '.', '_' and '-', at most 100
// characters (the API documents no pattern; this is the safe subset).
func chorusFileName(name string) string {
	name = chorusNameRe.ReplaceAllString(name, "-")
	if len(name) > 100 {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i > len(name)-10 {
			ext = name[i:]
		}
		name = name[:100-len(ext)] + ext
	}
	return name
}

// tarGz packs fluxes into one .tar.gz, named after their digests so that the same batch gets
// the same name.
func tarGz(fluxes []Flux, now time.Time) (string, []byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	h := sha256.New()
	for _, f := range fluxes {
		h.Write([]byte(f.SHA256))
		hdr := &tar.Header{Name: chorusFileName(f.Name), Mode: 0o644, Size: int64(len(f.Data)), ModTime: now, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return "", nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return "", nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return "", nil, err
	}
	if err := zw.Close(); err != nil {
		return "", nil, err
	}
	return "fluxgate-" + hex.EncodeToString(h.Sum(nil))[:16] + ".tar.gz", buf.Bytes(), nil
}

// paris is Chorus Pro's clock: its answers give local times of Paris without an offset.
var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris") // embedded by time/tzdata where the system has none (Windows)
	if err != nil {
		panic("deposit: Europe/Paris missing from time/tzdata: " + err.Error())
	}
	return loc
}()

// parseChorusTime reads the date formats Chorus Pro answers with, as an instant in UTC; def
// when none fits. A time written without an offset is Paris local time (summer or winter).
func parseChorusTime(s string, def time.Time) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, paris); err == nil {
			return t.UTC()
		}
	}
	return def
}
