package simulate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PA paths the simulator serves (under its base URL), and its token path.
const (
	PATokenPath = "/oauth/token"
	paFlows     = "/v1/flows"
	paSearch    = "/v1/flows/search"
	paHealth    = "/v1/healthcheck"
)

// PAStatus is one lifecycle status (CDAR) an invoice gets on the simulated platform.
type PAStatus struct {
	Code    string // 200 … 213, 501
	Reason  string // REJ_SEMAN, JUSTIF_ABS, …
	Message string
}

// DefaultPAPath is the lifecycle of an invoice nobody planned otherwise.
var DefaultPAPath = []PAStatus{{Code: "200"}, {Code: "202"}, {Code: "203"}, {Code: "204"}, {Code: "205"}, {Code: "211"}}

// PA simulates the XP Z12-013 Flow Service of an approved platform: flows submitted by its
// client, acknowledged on the next read (Ok, or Error with details), then lifecycle statuses
// that come back as inbound CDAR flows, one step each time the client searches for them.
type PA struct {
	base
	flows   []*paFlow
	next    int
	refuse  map[string]paRefusal // invoice number → acknowledgement error
	paths   map[string][]PAStatus
	now     func() time.Time
	started time.Time
}

type paRefusal struct{ reason, message string }

type paFlow struct {
	info     map[string]any // the flow resource, as served
	original []byte
	invoice  string
	acked    bool // acknowledgement given (Ok or Error)
	refusal  *paRefusal
	path     []PAStatus
	step     int // lifecycle statuses emitted so far
	updated  time.Time
}

// NewPA returns a simulated platform with the default credentials.
func NewPA() *PA {
	return &PA{base: newBase(), refuse: map[string]paRefusal{}, paths: map[string][]PAStatus{}, now: time.Now, next: 100}
}

// RefuseFlow makes the flow of the invoice numbered number acknowledged Error with
// reasonCode (InvalidSchema, FileSizeExceeded, …) and message.
func (p *PA) RefuseFlow(number, reasonCode, message string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse[number] = paRefusal{reasonCode, message}
}

// PlanInvoice sets the lifecycle statuses of the invoice numbered number.
func (p *PA) PlanInvoice(number string, path ...PAStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paths[number] = path
}

// Handler serves the token endpoint and the Flow Service.
func (p *PA) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(PATokenPath, p.token)
	mux.HandleFunc("POST "+paFlows, p.api(p.submit))
	mux.HandleFunc("POST "+paSearch, p.api(p.search))
	mux.HandleFunc("GET "+paFlows+"/{id}", p.api(p.get))
	mux.HandleFunc("GET "+paHealth, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "UP (simulator)"})
	})
	return mux
}

func (p *PA) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if p.guard(w, r) {
			h(w, r)
		}
	}
}

func problem(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"errorCode": code, "errorMessage": msg, "message": msg})
}

// tick returns the simulator's clock, strictly increasing by a second per event so that
// updatedAt orders events even when they happen in the same instant. Called with p.mu held.
func (p *PA) tick() time.Time {
	now := p.now().UTC().Truncate(time.Second)
	if !now.After(p.started) {
		now = p.started.Add(time.Second)
	}
	p.started = now
	return now
}

var paSyntaxes = []string{"CII", "UBL", "Factur-X", "CDAR", "FRR"}

func (p *PA) submit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		problem(w, http.StatusBadRequest, "InvalidRequest", "multipart/form-data expected: "+err.Error())
		return
	}
	var info struct {
		TrackingID     string `json:"trackingId"`
		Name           string `json:"name"`
		FlowSyntax     string `json:"flowSyntax"`
		FlowProfile    string `json:"flowProfile"`
		ProcessingRule string `json:"processingRule"`
		SHA256         string `json:"sha256"`
	}
	raw := r.FormValue("flowInfo")
	if raw == "" {
		if fh := r.MultipartForm.File["flowInfo"]; len(fh) > 0 {
			f, _ := fh[0].Open()
			b, _ := io.ReadAll(f)
			f.Close()
			raw = string(b)
		}
	}
	if err := json.Unmarshal([]byte(raw), &info); err != nil {
		problem(w, http.StatusBadRequest, "InvalidRequest", "flowInfo: JSON expected")
		return
	}
	switch {
	case info.Name == "" || len(info.Name) > 255:
		problem(w, http.StatusBadRequest, "InvalidRequest", "flowInfo.name is required (at most 255 characters)")
		return
	case !slices.Contains(paSyntaxes, info.FlowSyntax):
		problem(w, http.StatusBadRequest, "InvalidRequest", "flowInfo.flowSyntax must be one of "+strings.Join(paSyntaxes, ", "))
		return
	case len(info.TrackingID) > 64:
		problem(w, http.StatusBadRequest, "InvalidRequest", "flowInfo.trackingId is at most 64 characters")
		return
	}
	fhs := r.MultipartForm.File["file"]
	if len(fhs) == 0 {
		problem(w, http.StatusBadRequest, "InvalidRequest", "the file part is missing")
		return
	}
	f, err := fhs[0].Open()
	if err != nil {
		problem(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	data, _ := io.ReadAll(f)
	f.Close()
	if len(data) > 100<<20 {
		problem(w, http.StatusRequestEntityTooLarge, "FileSizeExceeded", "a flow is at most 100 MB")
		return
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])

	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	now := p.tick()
	fl := &paFlow{original: data, updated: now}
	fl.info = map[string]any{"flowId": fmt.Sprintf("FLOW-%06d", p.next), "trackingId": info.TrackingID, "name": info.Name,
		"flowSyntax": info.FlowSyntax, "flowProfile": info.FlowProfile, "processingRule": info.ProcessingRule,
		"sha256": digest, "submittedAt": now, "updatedAt": now, "flowType": "CustomerInvoice", "flowDirection": "Out",
		"processingRuleSource": "Input", "acknowledgement": map[string]any{"status": "Pending"}}
	number, nerr := InvoiceNumber(data)
	fl.invoice = number
	switch {
	case info.SHA256 != "" && !strings.EqualFold(info.SHA256, digest):
		fl.refusal = &paRefusal{"ChecksumMismatch", "the sha256 given differs from the file's"}
	case nerr != nil:
		fl.refusal = &paRefusal{"InvalidSchema", "not a UBL or CII invoice: " + nerr.Error()}
	case p.duplicate(digest):
		fl.refusal = &paRefusal{"AlreadyExistingFlow", "this file was received already"}
	default:
		if r, ok := p.refuse[number]; ok {
			fl.refusal = &r
		}
	}
	fl.path = p.paths[number]
	if len(fl.path) == 0 {
		fl.path = DefaultPAPath
	}
	p.flows = append(p.flows, fl)
	writeJSON(w, http.StatusAccepted, fl.info)
}

// duplicate reports whether a flow with the digest was received already and not refused.
func (p *PA) duplicate(digest string) bool {
	for _, f := range p.flows {
		if f.info["sha256"] == digest && f.info["flowDirection"] == "Out" && f.refusal == nil {
			return true
		}
	}
	return false
}

// get serves GET /v1/flows/{id}: the metadata (acknowledging a pending flow: it moves on
// each time it is read), or the original file.
func (p *PA) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.flows {
		if f.info["flowId"] != id {
			continue
		}
		switch r.URL.Query().Get("docType") {
		case "", "Metadata":
			if !f.acked && f.info["flowDirection"] == "Out" {
				p.acknowledge(f)
			}
			writeJSON(w, http.StatusOK, f.info)
		case "Original":
			w.Header().Set("Content-Type", "application/xml")
			w.Write(f.original)
		default:
			problem(w, http.StatusBadRequest, "InvalidRequest", "docType: Metadata or Original (the simulator has no converted or readable view)")
		}
		return
	}
	problem(w, http.StatusNotFound, "NotFound", "no flow "+id)
}

// acknowledge gives a submitted flow its acknowledgement. Called with p.mu held.
func (p *PA) acknowledge(f *paFlow) {
	f.acked = true
	f.updated = p.tick()
	f.info["updatedAt"] = f.updated
	if f.refusal != nil {
		f.info["acknowledgement"] = map[string]any{"status": "Error", "details": []map[string]any{{
			"level": "Error", "item": f.info["name"], "reasonCode": f.refusal.reason, "reasonMessage": f.refusal.message}}}
		return
	}
	f.info["acknowledgement"] = map[string]any{"status": "Ok"}
}

// search serves POST /v1/flows/search. A search for lifecycle flows (flowType …LC) first
// moves every acknowledged invoice one step along its lifecycle: a new inbound CDAR flow.
func (p *PA) search(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
		Where  struct {
			UpdatedAfter  *time.Time `json:"updatedAfter"`
			UpdatedBefore *time.Time `json:"updatedBefore"`
			FlowType      []string   `json:"flowType"`
			FlowDirection []string   `json:"flowDirection"`
			TrackingID    string     `json:"trackingId"`
			AckStatus     string     `json:"ackStatus"`
		} `json:"where"`
	}
	if err := readJSON(r, &req); err != nil {
		problem(w, http.StatusBadRequest, "InvalidRequest", "JSON body expected: "+err.Error())
		return
	}
	limit := req.Limit
	if limit <= 0 {
		limit = 25
	}
	limit = min(limit, 100)
	p.mu.Lock()
	defer p.mu.Unlock()
	if req.Cursor == "" && slices.ContainsFunc(req.Where.FlowType, func(t string) bool { return strings.HasSuffix(t, "LC") }) {
		p.emitLifecycle()
	}
	var found []map[string]any
	for _, f := range p.flows {
		in := f.info
		switch {
		case req.Where.TrackingID != "" && in["trackingId"] != req.Where.TrackingID,
			len(req.Where.FlowType) > 0 && !slices.Contains(req.Where.FlowType, in["flowType"].(string)),
			len(req.Where.FlowDirection) > 0 && !slices.Contains(req.Where.FlowDirection, in["flowDirection"].(string)),
			req.Where.UpdatedAfter != nil && !f.updated.After(*req.Where.UpdatedAfter),
			req.Where.UpdatedBefore != nil && !f.updated.Before(*req.Where.UpdatedBefore),
			req.Where.AckStatus != "" && in["acknowledgement"].(map[string]any)["status"] != req.Where.AckStatus:
			continue
		}
		found = append(found, in)
	}
	start := atoi(req.Cursor)
	end := min(len(found), start+limit)
	ans := map[string]any{"limit": limit, "results": found[min(start, len(found)):end]}
	if end < len(found) {
		ans["nextCursor"] = strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, ans)
}

// emitLifecycle moves every acknowledged, accepted invoice one status along its path, as an
// inbound CDAR flow. Called with p.mu held.
func (p *PA) emitLifecycle() {
	for _, f := range slices.Clone(p.flows) {
		if f.info["flowDirection"] != "Out" || !f.acked || f.refusal != nil || f.step >= len(f.path) {
			continue
		}
		st := f.path[f.step]
		f.step++
		p.next++
		now := p.tick()
		lc := &paFlow{original: cdar(f.invoice, st, now), invoice: f.invoice, acked: true, updated: now}
		lc.info = map[string]any{"flowId": fmt.Sprintf("FLOW-%06d", p.next), "name": fmt.Sprintf("CDAR_%s_%s.xml", f.invoice, st.Code),
			"flowSyntax": "CDAR", "flowType": "CustomerInvoiceLC", "flowDirection": "In", "submittedAt": now, "updatedAt": now,
			"acknowledgement": map[string]any{"status": "Ok"}}
		p.flows = append(p.flows, lc)
	}
}

// cdar writes a minimal CDAR (D22B) lifecycle message for one invoice status.
func cdar(invoice string, st PAStatus, at time.Time) []byte {
	e := html.EscapeString
	status := ""
	if st.Reason != "" || st.Message != "" {
		status = "\n        <ram:SpecifiedDocumentStatus><ram:ReasonCode>" + e(st.Reason) + "</ram:ReasonCode><ram:Reason>" + e(st.Message) + "</ram:Reason></ram:SpecifiedDocumentStatus>"
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossDomainAcknowledgementAndResponse xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>REGULATED</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn.cpro.gouv.fr:1p0:CDV:invoice</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>CDV-` + e(invoice) + `-` + st.Code + `</ram:ID></rsm:ExchangedDocument>
  <rsm:AcknowledgementDocument>
    <ram:TypeCode>23</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="204">` + at.UTC().Format("20060102150405") + `</udt:DateTimeString></ram:IssueDateTime>
    <ram:ReferenceReferencedDocument>
      <ram:IssuerAssignedID>` + e(invoice) + `</ram:IssuerAssignedID>
      <ram:ProcessConditionCode>` + st.Code + `</ram:ProcessConditionCode>` + status + `
    </ram:ReferenceReferencedDocument>
  </rsm:AcknowledgementDocument>
</rsm:CrossDomainAcknowledgementAndResponse>
`)
}
