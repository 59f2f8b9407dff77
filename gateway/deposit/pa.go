package deposit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// XP Z12-013 Flow Service paths, relative to the service's base URL.
const (
	paFlows  = "/v1/flows"
	paSearch = "/v1/flows/search"
)

// DefaultPASyntax maps flux syntaxes to XP Z12-013 flowSyntax values.
var DefaultPASyntax = map[string]string{"ubl": "UBL", "cii": "CII", "facturx": "Factur-X"}

// PAConfig configures an approved platform (PA) reached through the AFNOR XP Z12-013 Flow
// Service API.
type PAConfig struct {
	Name     string
	BaseURL  string // the Flow Service base: https://{sub-domain}.{domain}{base-path}/flow-service
	TokenURL string // OAuth2 client-credentials token URL

	ClientIDEnv, ClientSecretEnv string
	Scope                        string // OAuth2 scope, when the PA asks for one

	FlowProfile    string            // Basic, CIUS, Extended-CTC-FR; omitted when empty
	ProcessingRule string            // B2B (default), B2G, B2BInt, …
	Syntax         map[string]string // flux syntax → flowSyntax; DefaultPASyntax when nil
	// LifecycleFlowTypes are the flowType values of the lifecycle (CDAR) flows the PA
	// delivers about invoices this client issued; default CustomerInvoiceLC.
	LifecycleFlowTypes []string
	// LifecycleLookback is how far back the first lifecycle search of a run reaches (default
	// 30 days): statuses are read again after a restart, which is harmless.
	LifecycleLookback time.Duration

	Getenv func(string) string // os.Getenv when nil
}

// PA deposits flux files on an approved platform (XP Z12-013 POST /v1/flows) and follows
// each flow's acknowledgement and its invoice's CDAR lifecycle statuses.
type PA struct {
	name string
	cfg  PAConfig
	api  *apiClient
	log  *slog.Logger
	now  func() time.Time

	mu        sync.Mutex
	since     time.Time               // lifecycle flows updated after this are not read yet
	seen      map[string]bool         // lifecycle flows read
	lifecycle map[string][]CDARStatus // invoice number → its statuses, oldest first
}

var _ interface {
	Destination
	Tracker
	KnownTracker
	Paced
} = (*PA)(nil)

// NewPA returns the PA destination cfg describes; secrets are read from the environment now.
func NewPA(cfg PAConfig, httpClient *http.Client, log *slog.Logger) (*PA, error) {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.BaseURL == "" || cfg.TokenURL == "" {
		return nil, fmt.Errorf("pa %s: base_url and token_url are required", cfg.Name)
	}
	id, err1 := Secret(cfg.Getenv, "pa "+cfg.Name+" client_id_env", cfg.ClientIDEnv)
	sec, err2 := Secret(cfg.Getenv, "pa "+cfg.Name+" client_secret_env", cfg.ClientSecretEnv)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	if cfg.Syntax == nil {
		cfg.Syntax = DefaultPASyntax
	}
	if cfg.ProcessingRule == "" {
		cfg.ProcessingRule = "B2B"
	}
	if len(cfg.LifecycleFlowTypes) == 0 {
		cfg.LifecycleFlowTypes = []string{"CustomerInvoiceLC"}
	}
	if cfg.LifecycleLookback <= 0 {
		cfg.LifecycleLookback = 30 * 24 * time.Hour
	}
	p := &PA{name: cfg.Name, cfg: cfg, log: log, now: time.Now, seen: map[string]bool{}, lifecycle: map[string][]CDARStatus{}}
	p.api = &apiClient{
		http:   httpClient,
		base:   strings.TrimRight(cfg.BaseURL, "/"),
		tokens: &tokenSource{http: httpClient, url: cfg.TokenURL, id: id, secret: sec, scope: cfg.Scope, now: func() time.Time { return p.now() }},
		log:    log,
	}
	return p, nil
}

// Name is the configured destination name.
func (p *PA) Name() string { return p.name }

// Close releases nothing.
func (p *PA) Close() error { return nil }

var paTrackRe = regexp.MustCompile(`[^A-Za-z0-9+\-_/.]`)

// PATrackingID is the trackingId Fluxgate gives a flux: stable (the same flux always gets
// the same one, so a re-send after a crash is found), at most 64 characters, and carrying
// the invoice number so that a flow read back names its invoice.
func PATrackingID(flux Flux) string {
	sum := flux.SHA256
	if len(sum) < 16 {
		h := sha256.Sum256(flux.Data)
		sum = hex.EncodeToString(h[:])
	}
	id := "fg-" + sum[:16]
	if inv := paTrackRe.ReplaceAllString(flux.Invoice, "-"); inv != "" {
		id += "-" + inv
	}
	if len(id) > 64 {
		id = id[:64]
	}
	return id
}

// invoiceOfTracking returns the invoice number a Fluxgate trackingId carries.
func invoiceOfTracking(id string) string {
	rest, ok := strings.CutPrefix(id, "fg-")
	if !ok || len(rest) < 18 {
		return ""
	}
	return rest[17:]
}

// paFlow is the Flow resource (its metadata).
type paFlow struct {
	FlowID          string    `json:"flowId"`
	TrackingID      string    `json:"trackingId"`
	Name            string    `json:"name"`
	FlowSyntax      string    `json:"flowSyntax"`
	FlowType        string    `json:"flowType"`
	FlowDirection   string    `json:"flowDirection"`
	SubmittedAt     time.Time `json:"submittedAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
	Acknowledgement *struct {
		Status  string `json:"status"`
		Details []struct {
			Level         string `json:"level"`
			Item          string `json:"item"`
			ReasonCode    string `json:"reasonCode"`
			ReasonMessage string `json:"reasonMessage"`
		} `json:"details"`
	} `json:"acknowledgement"`
}

// ack returns the flow's acknowledgement status, its first reason code and its messages.
func (f *paFlow) ack() (status, reason, msg string) {
	if f.Acknowledgement == nil {
		return "Pending", "", ""
	}
	var msgs []string
	for _, d := range f.Acknowledgement.Details {
		if reason == "" && d.Level != "Warning" {
			reason = d.ReasonCode
		}
		m := strings.TrimSpace(d.ReasonCode + ": " + d.ReasonMessage)
		if d.Item != "" {
			m += " (" + d.Item + ")"
		}
		msgs = append(msgs, m)
	}
	return f.Acknowledgement.Status, reason, strings.Join(msgs, "; ")
}

// Deposit submits flux as a flow. Idempotent: it first searches the flows for its
// trackingId (PATrackingID), and a flow found is returned AlreadyThere instead of being sent
// again (XP Z12-013 leaves trackingId unchecked by the PA, so Fluxgate checks); a PA that
// answers AlreadyExistingFlow is handled the same way. Because of that check, a submission
// that failed transiently (its answer lost, perhaps) is tried again within the call, as the
// Pacer's policy says.
func (p *PA) Deposit(ctx context.Context, flux Flux) (Receipt, error) {
	pace := p.api.pace
	for try := 0; ; try++ {
		r, err := p.deposit(ctx, flux)
		if err == nil || IsPermanent(err) || pace == nil || try >= pace.Retries || ctx.Err() != nil {
			return r, err
		}
		if _, held := IsHeld(err); held {
			return r, err
		}
		wait := pace.RetryBase << try
		if sleep(ctx, wait/2+rand.N(wait/2+1)) != nil {
			return r, err
		}
		p.log.Debug("flow submission failed; trying again", "file", flux.Name, "try", try+2, "err", err)
	}
}

func (p *PA) deposit(ctx context.Context, flux Flux) (Receipt, error) {
	syntax, ok := p.cfg.Syntax[flux.Syntax]
	if !ok {
		return Receipt{}, Permanent(fmt.Errorf("pa %s: no flowSyntax for flux syntax %q", p.name, flux.Syntax))
	}
	tracking := PATrackingID(flux)
	if f, err := p.findTracking(ctx, tracking); err != nil {
		return Receipt{}, fmt.Errorf("pa %s: look for %s before depositing: %w", p.name, tracking, err)
	} else if f != nil {
		p.log.Info("flow already on the platform; not sent again", "flowId", f.FlowID, "trackingId", tracking)
		return Receipt{ID: f.FlowID, Location: p.name + " flow " + f.FlowID, At: p.now(), AlreadyThere: true}, nil
	}
	info := map[string]any{"trackingId": tracking, "name": flux.Name, "flowSyntax": syntax, "processingRule": p.cfg.ProcessingRule}
	if p.cfg.FlowProfile != "" {
		info["flowProfile"] = p.cfg.FlowProfile
	}
	if flux.SHA256 != "" {
		info["sha256"] = flux.SHA256
	}
	infoJSON, _ := json.Marshal(info)
	body := func() (io.Reader, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="flowInfo"`)
		h.Set("Content-Type", "application/json")
		w, _ := mw.CreatePart(h)
		w.Write(infoJSON)
		h = textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, flux.Name))
		h.Set("Content-Type", "application/xml")
		if strings.HasSuffix(flux.Name, ".pdf") {
			h.Set("Content-Type", "application/pdf") // a Factur-X
		}
		w, _ = mw.CreatePart(h)
		w.Write(flux.Data)
		mw.Close()
		return &buf, mw.FormDataContentType()
	}
	data, _, err := p.api.do(ctx, request{method: http.MethodPost, path: paFlows, body: body})
	if err != nil {
		if strings.Contains(string(data), "AlreadyExistingFlow") {
			if f, ferr := p.findTracking(ctx, tracking); ferr == nil && f != nil {
				return Receipt{ID: f.FlowID, Location: p.name + " flow " + f.FlowID, At: p.now(), AlreadyThere: true}, nil
			}
		}
		return Receipt{}, fmt.Errorf("pa %s: submit %s: %w", p.name, flux.Name, err)
	}
	var f paFlow
	if err := json.Unmarshal(data, &f); err != nil || f.FlowID == "" {
		return Receipt{}, fmt.Errorf("pa %s: submit %s: the answer has no flowId", p.name, flux.Name)
	}
	at := f.SubmittedAt
	if at.IsZero() {
		at = p.now()
	}
	p.log.Info("flow submitted", "destination", p.name, "file", flux.Name, "flowId", f.FlowID, "trackingId", tracking)
	return Receipt{ID: f.FlowID, Location: p.name + " flow " + f.FlowID, At: at}, nil
}

// searchAnswer is a page of POST /v1/flows/search. The field names of the page are not
// settled by the public swagger excerpt we read: both spellings are accepted.
type searchAnswer struct {
	Results    []paFlow `json:"results"`
	Flows      []paFlow `json:"flows"`
	Cursor     string   `json:"cursor"`
	NextCursor string   `json:"nextCursor"`
}

func (a *searchAnswer) items() []paFlow { return append(a.Results, a.Flows...) }
func (a *searchAnswer) next() string {
	if a.NextCursor != "" {
		return a.NextCursor
	}
	return a.Cursor
}

// search returns every flow matching where, following the cursor.
func (p *PA) search(ctx context.Context, where map[string]any) ([]paFlow, error) {
	var all []paFlow
	cursor := ""
	for range 1000 {
		req := map[string]any{"limit": 100, "where": where}
		if cursor != "" {
			req["cursor"] = cursor
		}
		var ans searchAnswer
		if err := p.api.queryJSON(ctx, paSearch, req, &ans); err != nil {
			return nil, err
		}
		all = append(all, ans.items()...)
		next := ans.next()
		if next == "" || next == cursor || len(ans.items()) == 0 {
			break
		}
		cursor = next
	}
	return all, nil
}

// findTracking returns the flow with trackingId id, nil when there is none.
func (p *PA) findTracking(ctx context.Context, id string) (*paFlow, error) {
	flows, err := p.search(ctx, map[string]any{"trackingId": id})
	if err != nil {
		return nil, err
	}
	for i := range flows {
		if flows[i].TrackingID == id {
			return &flows[i], nil
		}
	}
	return nil, nil
}

// getFlow reads the metadata of flow id.
func (p *PA) getFlow(ctx context.Context, id string) (*paFlow, error) {
	data, _, err := p.api.do(ctx, request{method: http.MethodGet, path: paFlows + "/" + url.PathEscape(id) + "?docType=Metadata"})
	if err != nil {
		return nil, err
	}
	var f paFlow
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("flow %s: unreadable metadata: %w", id, err)
	}
	return &f, nil
}

// Track reports, for each flow id, its acknowledgement (Pending, Ok, Error with the PA's
// details) and, once Ok, the current CDAR lifecycle status of its invoice (200 Déposée …
// 211 Paiement transmis, 213 Rejetée, 501 Irrecevable, with reason code and message).
func (p *PA) Track(ctx context.Context, receiptIDs []string) ([]StatusUpdate, error) {
	ds := make([]Tracked, len(receiptIDs))
	for i, id := range receiptIDs {
		ds[i] = Tracked{Receipt: id}
	}
	return p.TrackKnown(ctx, ds)
}

// TrackKnown is Track sparing the calls that cannot tell anything new: a flow the journal
// knows accepted (Ok, or with a lifecycle status already) is not read again; its invoice's
// lifecycle comes from the lifecycle flows, read once per round for all. A Retry-After
// longer than a call waits ends the round: the deposits not reached have no update, so the
// caller asks them first next time.
func (p *PA) TrackKnown(ctx context.Context, deposits []Tracked) ([]StatusUpdate, error) {
	var out []StatusUpdate
	var errs []error
	lifecycleRead := true
	if err := p.readLifecycle(ctx); err != nil {
		errs = append(errs, fmt.Errorf("pa %s: lifecycle flows: %w", p.name, err))
		lifecycleRead = false
		if _, held := IsHeld(err); held || ctx.Err() != nil {
			return nil, errors.Join(errs...)
		}
	}
	for _, d := range deposits {
		if paAccepted(d.Status) {
			if !lifecycleRead {
				continue // nothing new known of it: asked first next time
			}
			flow := StatusUpdate{Receipt: d.Receipt, Status: "Ok", Label: paAckLabels["Ok"], At: p.now()}
			out = append(out, p.lifecycleUpdates(flow, d.Invoice)...)
			continue
		}
		f, err := p.getFlow(ctx, d.Receipt)
		if err != nil {
			errs = append(errs, fmt.Errorf("pa %s: flow %s: %w", p.name, d.Receipt, err))
			if _, held := IsHeld(err); held || ctx.Err() != nil {
				break
			}
			continue
		}
		status, reason, msg := f.ack()
		at := f.UpdatedAt
		if at.IsZero() {
			at = p.now()
		}
		flow := StatusUpdate{Receipt: d.Receipt, Status: status, Label: paAckLabels[status], Reason: reason, Message: msg, At: at}
		if status == "Error" {
			flow.Final, flow.Rejected = true, true
			out = append(out, flow)
			continue
		}
		inv := d.Invoice
		if inv == "" {
			inv = invoiceOfTracking(f.TrackingID)
		}
		if status != "Ok" || inv == "" {
			out = append(out, flow)
			continue
		}
		out = append(out, p.lifecycleUpdates(flow, inv)...)
	}
	return out, errors.Join(errs...)
}

// paAccepted reports whether status, as the journal recorded it for a flow, says that the
// PA accepted the flow: its acknowledgement cannot change any more.
func paAccepted(status string) bool {
	_, lifecycle := CDARLabels[status]
	return status == "Ok" || lifecycle
}

// lifecycleUpdates returns the update of an accepted flow followed by the current lifecycle
// status of its invoice, when one came; the flow is final when the invoice's status is.
func (p *PA) lifecycleUpdates(flow StatusUpdate, inv string) []StatusUpdate {
	p.mu.Lock()
	sts := slices.Clone(p.lifecycle[inv])
	p.mu.Unlock()
	// The current status only (the latest); the earlier ones were reported by earlier
	// rounds, or are superseded.
	if len(sts) == 0 {
		return []StatusUpdate{flow}
	}
	s := sts[len(sts)-1]
	u := StatusUpdate{Receipt: flow.Receipt, Invoice: inv, Status: s.Code, Label: CDARLabels[s.Code],
		Final: cdarFinal[s.Code], Rejected: cdarRejected[s.Code], Reason: s.Reason, Message: s.Message, At: s.At}
	if u.At.IsZero() {
		u.At = flow.At
	}
	flow.Final = u.Final
	return []StatusUpdate{flow, u}
}

var (
	paAckLabels   = map[string]string{"Pending": "flux en cours de contrôle", "Ok": "flux accepté par la plateforme", "Error": "flux refusé par la plateforme"}
	paAckLabelsEN = map[string]string{"Pending": "flow being checked", "Ok": "flow accepted by the platform", "Error": "flow refused by the platform"}
)

// readLifecycle reads the lifecycle flows updated since the last read and files their
// statuses by invoice number.
func (p *PA) readLifecycle(ctx context.Context) error {
	p.mu.Lock()
	since := p.since
	if since.IsZero() {
		since = p.now().Add(-p.cfg.LifecycleLookback)
	}
	p.mu.Unlock()
	flows, err := p.search(ctx, map[string]any{
		"flowType": p.cfg.LifecycleFlowTypes, "flowDirection": []string{"In"}, "updatedAfter": since.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return err
	}
	latest := since
	for _, f := range flows {
		p.mu.Lock()
		seen := p.seen[f.FlowID]
		p.mu.Unlock()
		if seen || f.FlowID == "" {
			continue
		}
		data, _, err := p.api.do(ctx, request{method: http.MethodGet, path: paFlows + "/" + url.PathEscape(f.FlowID) + "?docType=Original"})
		if err != nil {
			return fmt.Errorf("flow %s: %w", f.FlowID, err)
		}
		sts, perr := ParseCDAR(data)
		if perr != nil {
			p.log.Warn("lifecycle flow not readable; skipped", "flowId", f.FlowID, "err", perr)
		}
		p.mu.Lock()
		p.seen[f.FlowID] = true
		for _, s := range sts {
			if s.At.IsZero() {
				s.At = f.UpdatedAt
			}
			p.lifecycle[s.Invoice] = append(p.lifecycle[s.Invoice], s)
		}
		p.mu.Unlock()
		// Cursor just before the latest update read, so that flows updated in the same
		// instant are read next time (seen keeps them from being read twice).
		if f.UpdatedAt.After(latest) {
			latest = f.UpdatedAt.Add(-time.Second)
		}
	}
	p.mu.Lock()
	if latest.After(p.since) {
		p.since = latest
	}
	for inv := range p.lifecycle {
		slices.SortStableFunc(p.lifecycle[inv], func(a, b CDARStatus) int { return a.At.Compare(b.At) })
	}
	p.mu.Unlock()
	return nil
}
