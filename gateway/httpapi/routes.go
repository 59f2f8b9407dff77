package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	if s.opts.Metrics != nil {
		m.Handle("GET /metrics", s.authed(s.opts.Metrics))
	}
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(staticFS)))

	m.Handle("GET /{$}", s.page(s.dashboardPage))
	m.Handle("GET /files", s.page(s.filesPage))
	m.Handle("GET /files/{id}", s.page(s.journeyPage))
	m.Handle("GET /files/{id}/ack", s.page(s.downloadAck))
	m.Handle("GET /files/{id}/input", s.page(s.downloadInput))
	m.Handle("GET /rejections", s.page(s.rejectionsPage))
	m.Handle("GET /alerts", s.page(s.alertsPage))
	m.Handle("POST /files/{id}/retry", s.form(s.retryForm))
	m.Handle("POST /files/{id}/reprocess", s.form(s.reprocessForm))
	m.Handle("POST /destinations/{name}/resume", s.form(s.resumeForm))

	m.Handle("GET /api/v1/files", s.api(s.apiFiles))
	m.Handle("GET /api/v1/files/{id}", s.api(s.apiFile))
	m.Handle("GET /api/v1/invoices", s.api(s.apiInvoices))
	m.Handle("GET /api/v1/rejections", s.api(s.apiRejections))
	m.Handle("GET /api/v1/sources", s.api(s.apiSources))
	m.Handle("GET /api/v1/instances", s.api(s.apiInstances))
	m.Handle("GET /api/v1/destinations", s.api(s.apiDestinations))
	m.Handle("GET /api/v1/csrf", s.api(s.apiCSRF))
	m.Handle("POST /api/v1/files/{id}/retry", s.apiAction(s.apiRetry))
	m.Handle("POST /api/v1/files/{id}/reprocess", s.apiAction(s.apiReprocess))
	m.Handle("POST /api/v1/destinations/{name}/resume", s.apiAction(s.apiResume))
}

// ServeHTTP answers with the routes; under /api/ what no route takes (unknown path, wrong
// method) is answered in JSON too.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		if _, pattern := s.mux.Handler(r); pattern == "" {
			rec := &statusRecorder{header: http.Header{}}
			s.mux.ServeHTTP(rec, r)
			msg := fmt.Sprintf("no %s %s in this API: see docs/http-api.md", r.Method, r.URL.Path)
			if rec.status == http.StatusMethodNotAllowed {
				msg = fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, rec.header.Get("Allow"))
				w.Header().Set("Allow", rec.header.Get("Allow"))
			}
			writeError(w, max(rec.status, 400), msg)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// statusRecorder keeps what the mux answers for a request no route takes.
type statusRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *statusRecorder) WriteHeader(code int)        { r.status = code }

// authed lets through the requests of configured users (anyone on a server without users).
func (s *Server) authed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.auth.authenticate(r)
		if err != nil {
			s.log.Warn("request refused: not authenticated", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", err)
			if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/metrics" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="fluxgate"`)
				writeError(w, http.StatusUnauthorized, err.Error())
				return
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="Fluxgate", charset="UTF-8"`)
			http.Error(w, "401: "+err.Error(), http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r.WithContext(withUser(r.Context(), u)))
	})
}

// operatorOnly refuses the actions of read-only users and cross-origin browser requests,
// and bounds the body.
func (s *Server) operatorOnly(h http.Handler, refuse func(http.ResponseWriter, *http.Request, int, string)) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refuse(w, r, http.StatusForbidden, "cross-origin request refused: use the page served by Fluxgate itself")
	}))
	return s.authed(cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := userOf(r.Context())
		if !u.Operator {
			s.log.Warn("action refused: read-only user", "user", u.Name, "path", r.URL.Path)
			refuse(w, r, http.StatusForbidden, "user "+u.Name+" is read-only: an operator may do this")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		h.ServeHTTP(w, r)
	})))
}

// form is a page's POST: operators only, with the form's CSRF token.
func (s *Server) form(h http.HandlerFunc) http.Handler {
	return s.operatorOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.auth.checkCSRF(userOf(r.Context()), r.PostFormValue("csrf")) {
			s.log.Warn("form refused: missing or wrong CSRF token", "user", userOf(r.Context()).Name, "path", r.URL.Path)
			s.refusePage(w, r, http.StatusForbidden, "missing or wrong CSRF token: reload the page and try again")
			return
		}
		h(w, r)
	}), s.refusePage)
}

// apiAction is an API POST: operators only; a bearer token proves the request is no
// browser's, otherwise the X-CSRF-Token header must carry the token of GET /api/v1/csrf.
func (s *Server) apiAction(h http.HandlerFunc) http.Handler {
	return s.operatorOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := userOf(r.Context())
		if !u.Bearer && !s.auth.checkCSRF(u, r.Header.Get("X-CSRF-Token")) {
			writeError(w, http.StatusForbidden, "missing or wrong CSRF token: authenticate with a bearer token, or send the X-CSRF-Token header from GET /api/v1/csrf")
			return
		}
		h(w, r)
	}), func(w http.ResponseWriter, _ *http.Request, code int, msg string) { writeError(w, code, msg) })
}

// api is a JSON GET for any authenticated user.
func (s *Server) api(h http.HandlerFunc) http.Handler { return s.authed(h) }

// apiError is the body of every API error.
type apiError struct {
	Status int    `json:"status"`
	Error  string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{Status: code, Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// badRequest is an error in what the client sent (4xx), as opposed to ours (500).
type badRequest struct {
	code int
	msg  string
}

func (e badRequest) Error() string { return e.msg }

func badInput(code int, format string, args ...any) error {
	return badRequest{code, fmt.Sprintf(format, args...)}
}

// statusOf is the HTTP status of err: its own for a badRequest, 500 otherwise.
func statusOf(err error) (int, string) {
	var br badRequest
	if errors.As(err, &br) {
		return br.code, br.msg
	}
	return http.StatusInternalServerError, "internal error: " + err.Error()
}
