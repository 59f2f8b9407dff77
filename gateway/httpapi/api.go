package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/journal"
	mappinglang "github.com/fluxgate/fluxgate/mapping"
)

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz answers 200 when the gateway can work, 503 with every reason otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.g.Ready(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready:\n%s\n", err)
		return
	}
	fmt.Fprintln(w, "ready")
}

// answer writes v, or the error as JSON: the client's fault as 4xx, ours as 500 (logged).
func (s *Server) answer(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		code, msg := statusOf(err)
		if code >= 500 {
			s.log.Error("API request failed", "path", r.URL.Path, "err", err)
		}
		writeError(w, code, msg)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiFiles(w http.ResponseWriter, r *http.Request) {
	f, err := s.fileFilter(r.URL.Query())
	if err != nil {
		s.answer(w, r, nil, err)
		return
	}
	files, err := s.j.SearchFiles(r.Context(), f)
	out := struct {
		Files  []fileView `json:"files"`
		Limit  int        `json:"limit"`
		Offset int        `json:"offset"`
	}{Files: []fileView{}, Limit: f.Limit, Offset: f.Offset}
	for _, file := range files {
		out.Files = append(out.Files, newFileView(file))
	}
	s.answer(w, r, out, err)
}

func (s *Server) apiFile(w http.ResponseWriter, r *http.Request) {
	id, err := fileID(r)
	if err != nil {
		s.answer(w, r, nil, err)
		return
	}
	page, err := pageOf(r.URL.Query())
	if err != nil {
		s.answer(w, r, nil, err)
		return
	}
	d, err := s.fileDetail(r.Context(), id, page, "/api/v1/files/"+strconv.FormatInt(id, 10))
	s.answer(w, r, d, err)
}

// invoiceStatuses are the values of /api/v1/invoices?status=.
var invoiceStatuses = []string{journal.InvoiceQueued, journal.InvoiceDeposited, journal.InvoiceRejected, journal.InvoiceDuplicate}

func (s *Server) apiInvoices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for key := range q {
		if key != "status" && key != "limit" {
			s.answer(w, r, nil, badInput(http.StatusBadRequest, "unknown parameter %q: use status and limit", key))
			return
		}
	}
	status := strings.ToUpper(q.Get("status"))
	if status != "" && !contains(invoiceStatuses, status) {
		s.answer(w, r, nil, badInput(http.StatusBadRequest, "unknown status %q: use one of %s", q.Get("status"), strings.Join(invoiceStatuses, ", ")))
		return
	}
	limit, err := intParam(q, "limit", 100, 1, 1000)
	if err != nil {
		s.answer(w, r, nil, err)
		return
	}
	rows, err := s.j.InvoicesByStatus(r.Context(), status, limit)
	out := struct {
		Invoices []invoiceView `json:"invoices"`
	}{Invoices: []invoiceView{}}
	for _, row := range rows {
		v := newInvoiceView(row.Invoice)
		v.Source, v.FileName = row.Source, row.FileName
		out.Invoices = append(out.Invoices, v)
	}
	s.answer(w, r, out, err)
}

type ruleGroupView struct {
	Rule     string          `json:"rule"`
	Invoices int             `json:"invoices"`
	Files    int             `json:"files"`
	Last     time.Time       `json:"last"`
	Example  journal.Problem `json:"example"`
	FileIDs  []int64         `json:"fileIds"`
}

func (s *Server) rejections(r *http.Request) ([]ruleGroupView, time.Time, error) {
	days, err := intParam(r.URL.Query(), "days", 30, 1, 3660)
	if err != nil {
		return nil, time.Time{}, err
	}
	since := time.Now().AddDate(0, 0, -days)
	groups, err := s.j.RejectionsByRule(r.Context(), since)
	out := []ruleGroupView{}
	for _, g := range groups {
		out = append(out, ruleGroupView{Rule: g.Rule, Invoices: g.Invoices, Files: g.Files, Last: g.Last, Example: g.Example, FileIDs: g.FileIDs})
	}
	return out, since, err
}

func (s *Server) apiRejections(w http.ResponseWriter, r *http.Request) {
	groups, since, err := s.rejections(r)
	s.answer(w, r, struct {
		Since time.Time       `json:"since"`
		Rules []ruleGroupView `json:"rules"`
	}{since, groups}, err)
}

func (s *Server) apiSources(w http.ResponseWriter, r *http.Request) {
	v, err := s.sources(r.Context())
	s.answer(w, r, struct {
		Sources []sourceView `json:"sources"`
	}{v}, err)
}

// apiInstances lists the gateways sharing a PostgreSQL journal (none on SQLite).
func (s *Server) apiInstances(w http.ResponseWriter, r *http.Request) {
	v, err := s.j.Instances(r.Context())
	type instanceView struct {
		ID        string     `json:"id"`
		Host      string     `json:"host"`
		PID       int        `json:"pid"`
		Version   string     `json:"version"`
		Started   time.Time  `json:"started"`
		Seen      time.Time  `json:"lastHeartbeat"`
		Stopped   *time.Time `json:"stopped,omitempty"`
		Scheduler bool       `json:"scheduler"`
		Stale     bool       `json:"silent"`
	}
	out := []instanceView{}
	for _, in := range v {
		iv := instanceView{in.ID, in.Host, in.PID, in.Version, in.Started, in.Seen, nil, in.Scheduler, in.Stale}
		if !in.Stopped.IsZero() {
			iv.Stopped = &in.Stopped
		}
		out = append(out, iv)
	}
	s.answer(w, r, struct {
		Instances []instanceView `json:"instances"`
	}{out}, err)
}

func (s *Server) apiDestinations(w http.ResponseWriter, r *http.Request) {
	v, err := s.destinations(r.Context())
	s.answer(w, r, struct {
		Destinations []destinationView `json:"destinations"`
	}{v}, err)
}

func (s *Server) apiCSRF(w http.ResponseWriter, r *http.Request) {
	u := userOf(r.Context())
	writeJSON(w, http.StatusOK, struct {
		Token    string `json:"token"`
		User     string `json:"user"`
		Operator bool   `json:"operator"`
	}{s.auth.csrfToken(u), u.Name, u.Operator})
}

// actionResult is what an action did.
type actionResult struct {
	Message string `json:"message"`
	FileID  int64  `json:"fileId,omitempty"`
	Status  string `json:"status,omitempty"`
	Fluxes  int    `json:"fluxes,omitempty"`
}

// retry requeues the failed fluxes of the file in the path; the daemon deposits them.
func (s *Server) retry(r *http.Request) (actionResult, error) {
	id, err := fileID(r)
	if err != nil {
		return actionResult{}, err
	}
	n, err := s.g.Requeue(r.Context(), id)
	if errors.Is(err, journal.ErrNotFound) {
		return actionResult{}, badInput(http.StatusNotFound, "no file %d in the journal", id)
	}
	if err != nil {
		return actionResult{}, err
	}
	s.log.Info("retry asked", "user", userOf(r.Context()).Name, "file", id, "fluxes", n)
	if n == 0 {
		return actionResult{}, badInput(http.StatusConflict, "file %d has no failed or waiting flux to retry", id)
	}
	return actionResult{FileID: id, Fluxes: n, Message: fmt.Sprintf("%d flux(es) requeued; the deposit round starts now", n)}, nil
}

// reprocess runs the file in the path through its source again, with mapping when given:
// a mapping file inside the configuration's folder, named relative to it.
func (s *Server) reprocess(r *http.Request, mapping string) (actionResult, error) {
	id, err := fileID(r)
	if err != nil {
		return actionResult{}, err
	}
	f, err := s.j.File(r.Context(), id)
	if errors.Is(err, journal.ErrNotFound) {
		return actionResult{}, badInput(http.StatusNotFound, "no file %d in the journal", id)
	}
	if err != nil {
		return actionResult{}, err
	}
	if f.State != journal.FileDone || f.StoredName == "" {
		return actionResult{}, badInput(http.StatusConflict, "file %d is still being processed (%s): wait for it to finish", id, f.State)
	}
	path := ""
	if mapping = strings.TrimSpace(mapping); mapping != "" {
		if path, err = s.mappingPath(mapping); err != nil {
			return actionResult{}, err
		}
		if _, err := mappinglang.Load(path); err != nil {
			return actionResult{}, badInput(http.StatusUnprocessableEntity, "mapping %s cannot be used: %v", mapping, err)
		}
	}
	s.log.Info("reprocess asked", "user", userOf(r.Context()).Name, "file", id, "mapping", mapping)
	// The file in hand is finished even if the client goes away.
	newID, status, err := s.g.Reprocess(context.WithoutCancel(r.Context()), fmt.Sprint(id), path)
	if err != nil {
		return actionResult{FileID: newID}, fmt.Errorf("reprocess file %d: %w", id, err)
	}
	return actionResult{FileID: newID, Status: status, Message: fmt.Sprintf("file %d reprocessed as file %d: %s", id, newID, status)}, nil
}

// mappingPath resolves a mapping named by an operator: relative to the configuration's
// folder, an .xml file, never outside that folder.
func (s *Server) mappingPath(name string) (string, error) {
	dir := s.g.Config().Dir
	if filepath.IsAbs(name) || !filepath.IsLocal(filepath.FromSlash(name)) || !strings.EqualFold(filepath.Ext(name), ".xml") {
		return "", badInput(http.StatusBadRequest, "mapping %q: name an .xml file relative to the configuration's folder (%s), without ..", name, dir)
	}
	return filepath.Join(dir, filepath.FromSlash(name)), nil
}

func (s *Server) resume(r *http.Request) (actionResult, error) {
	name := r.PathValue("name")
	if err := s.g.Resume(name); err != nil {
		if errors.Is(err, gateway.ErrUnknown) {
			return actionResult{}, badInput(http.StatusNotFound, "no destination %q", name)
		}
		return actionResult{}, err
	}
	s.log.Info("resume asked", "user", userOf(r.Context()).Name, "destination", name)
	return actionResult{Message: fmt.Sprintf("destination %s resumed; a deposit round starts now", name)}, nil
}

func (s *Server) apiRetry(w http.ResponseWriter, r *http.Request) {
	res, err := s.retry(r)
	s.answer(w, r, res, err)
}

func (s *Server) apiReprocess(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Mapping string `json:"mapping"`
	}
	if r.ContentLength != 0 {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			s.answer(w, r, nil, badInput(http.StatusBadRequest, "body: %v (send {\"mapping\": \"mappings/other.xml\"} or nothing)", err))
			return
		}
	}
	res, err := s.reprocess(r, body.Mapping)
	s.answer(w, r, res, err)
}

func (s *Server) apiResume(w http.ResponseWriter, r *http.Request) {
	res, err := s.resume(r)
	s.answer(w, r, res, err)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
