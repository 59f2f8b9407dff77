package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/internal/gatewaytest"
)

const (
	opToken = "operator-token-0123456789abcdef"
	roToken = "readonly-token-0123456789abcdef"
)

// served runs a gateway over an accepted, a partial and a rejected file, and serves its
// pages and API with two users: ops (operator) and viewer (read-only).
func served(t *testing.T, users bool) (*gatewaytest.Env, *httptest.Server) {
	t.Helper()
	e := gatewaytest.New(t, gatewaytest.Options{})
	gatewaytest.Drop(t, e.Inbox, "ventes-2026-11.csv", gatewaytest.Sample(t, "ventes-2026-11.csv"))
	gatewaytest.Drop(t, e.Inbox, "partiel.csv", gatewaytest.Partial(t))
	gatewaytest.Drop(t, e.Inbox, "ventes-erreurs.csv", gatewaytest.Sample(t, "ventes-erreurs.csv"))
	if _, err := e.G.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e, serve(t, e, users)
}

func serve(t *testing.T, e *gatewaytest.Env, users bool) *httptest.Server {
	t.Helper()
	hc := &config.HTTPConfig{Listen: "127.0.0.1:0", Language: "fr"}
	if users {
		hc.Auth = []config.HTTPUser{{User: "ops", Role: config.RoleOperator, TokenEnv: "OPS"}, {User: "viewer", Role: config.RoleReadOnly, TokenEnv: "VIEW"}}
	}
	j, err := e.G.OpenJournalReader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	env := map[string]string{"OPS": opToken, "VIEW": roToken}
	s, err := New(Options{HTTP: hc, Gateway: e.G, Journal: j, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test",
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "fluxgate_up 1\n") }),
		Getenv:  func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

type call struct {
	method, path, token, body string
	header                    map[string]string
}

func do(t *testing.T, srv *httptest.Server, c call) (int, string, http.Header) {
	t.Helper()
	if c.method == "" {
		c.method = "GET"
	}
	req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestAPIAnswers(t *testing.T) {
	_, srv := served(t, true)
	code, body, _ := do(t, srv, call{path: "/api/v1/files", token: roToken})
	var files struct {
		Files []fileView `json:"files"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &files) != nil || len(files.Files) != 3 {
		t.Fatalf("files: %d %s", code, body)
	}
	byStatus := map[string]fileView{}
	for _, f := range files.Files {
		byStatus[f.Status] = f
	}
	rej := byStatus["REJECTED"]
	if rej.Name != "ventes-erreurs.csv" || byStatus["PARTIAL"].Name != "partiel.csv" || byStatus["ACCEPTED"].Name != "ventes-2026-11.csv" {
		t.Fatalf("statuses: %+v", byStatus)
	}

	code, body, _ = do(t, srv, call{path: rej.Links.API, token: roToken})
	var d fileDetail
	if code != 200 || json.Unmarshal([]byte(body), &d) != nil || len(d.Invoices) != 2 || len(d.Events) == 0 {
		t.Fatalf("file: %d %s", code, body)
	}
	p := d.Invoices[0].Problems[0]
	if p.Rule == "" || p.Line == 0 || p.FR == "" {
		t.Fatalf("a finding has its rule, line and message: %+v", p)
	}

	for _, c := range []struct {
		path, want string
	}{
		{"/api/v1/files?status=rejected&q=erreurs", "ventes-erreurs.csv"},
		{"/api/v1/files?q=FE2026-9001", "partiel.csv"},
		{"/api/v1/invoices?status=REJECTED", "FE2026-2002"},
		{"/api/v1/sources", `"state": "up"`},
		{"/api/v1/destinations", `"name": "outbox"`},
		{"/api/v1/rejections", `"rule": "BR-07"`},
	} {
		code, body, _ := do(t, srv, call{path: c.path, token: roToken})
		if code != 200 || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d, want %q in\n%s", c.path, code, c.want, body)
		}
	}
}

// Bad input gets a clear 4xx in JSON, never a 500.
func TestAPIBadInput(t *testing.T) {
	_, srv := served(t, true)
	basicOps := map[string]string{"Authorization": "Basic " + basic("ops", opToken)}
	for _, c := range []struct {
		name string
		call
		code int
		want string
	}{
		{"unknown id", call{path: "/api/v1/files/999", token: roToken}, 404, "no file 999"},
		{"id not a number", call{path: "/api/v1/files/abc", token: roToken}, 400, "not a file id"},
		{"negative id", call{path: "/api/v1/files/-3", token: roToken}, 400, "not a file id"},
		{"bad status filter", call{path: "/api/v1/files?status=LOST", token: roToken}, 400, "unknown status"},
		{"unknown filter", call{path: "/api/v1/files?colour=red", token: roToken}, 400, "unknown filter"},
		{"bad date", call{path: "/api/v1/files?from=yesterday", token: roToken}, 400, "not a date"},
		{"bad limit", call{path: "/api/v1/files?limit=0", token: roToken}, 400, "limit"},
		{"unknown source", call{path: "/api/v1/files?source=achats", token: roToken}, 400, "unknown source"},
		{"bad invoice status", call{path: "/api/v1/invoices?status=PAID", token: roToken}, 400, "unknown status"},
		{"unknown path", call{path: "/api/v1/nothing", token: roToken}, 404, "no GET /api/v1/nothing"},
		{"wrong method", call{method: "DELETE", path: "/api/v1/files", token: opToken}, 405, "not allowed"},
		{"no token", call{path: "/api/v1/files"}, 401, "authentication required"},
		{"wrong token", call{path: "/api/v1/files", token: "not-the-token-at-all-0000"}, 401, "matches no configured user"},
		{"wrong basic password", call{path: "/api/v1/files", header: map[string]string{"Authorization": "Basic " + basic("ops", "guess")}}, 401, "wrong user or token"},
		{"read-only retries", call{method: "POST", path: "/api/v1/files/1/retry", token: roToken}, 403, "read-only"},
		{"basic auth without CSRF", call{method: "POST", path: "/api/v1/files/1/retry", header: basicOps}, 403, "CSRF"},
		{"nothing to retry", call{method: "POST", path: "/api/v1/files/1/retry", token: opToken}, 409, "no failed or waiting flux"},
		{"retry unknown file", call{method: "POST", path: "/api/v1/files/999/retry", token: opToken}, 404, "no file 999"},
		{"resume unknown destination", call{method: "POST", path: "/api/v1/destinations/nowhere/resume", token: opToken}, 404, "no destination"},
		{"mapping outside", call{method: "POST", path: "/api/v1/files/1/reprocess", token: opToken, body: `{"mapping": "../../etc/x.xml"}`}, 400, "relative to the configuration"},
		{"mapping missing", call{method: "POST", path: "/api/v1/files/1/reprocess", token: opToken, body: `{"mapping": "missing.xml"}`}, 422, "cannot be used"},
		{"bad body", call{method: "POST", path: "/api/v1/files/1/reprocess", token: opToken, body: `{"mappin": 1}`}, 400, "body"},
		{"cross-origin", call{method: "POST", path: "/api/v1/files/1/retry", token: opToken, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 403, "cross-origin"},
	} {
		code, body, hdr := do(t, srv, c.call)
		if code != c.code || !strings.Contains(body, c.want) || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s\n%s, want %d %q in JSON", c.name, code, hdr.Get("Content-Type"), body, c.code, c.want)
		}
	}
	// With the CSRF token, basic auth may act.
	h := map[string]string{"Authorization": "Basic " + basic("ops", opToken), "X-CSRF-Token": ""}
	_, body, _ := do(t, srv, call{path: "/api/v1/csrf", header: h})
	var v struct{ Token string }
	json.Unmarshal([]byte(body), &v)
	h["X-CSRF-Token"] = v.Token
	if code, body, _ := do(t, srv, call{method: "POST", path: "/api/v1/destinations/outbox/resume", header: h}); code != 200 {
		t.Fatalf("resume with basic auth and CSRF: %d %s", code, body)
	}

	// A page's form without its token is refused.
	form := url.Values{"csrf": {""}}
	req, _ := http.NewRequest("POST", srv.URL+"/files/1/retry", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("ops", opToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "CSRF") {
		t.Fatalf("form without CSRF: %d %s", resp.StatusCode, b)
	}
	// Pages: a bad filter is a 400 page, an unknown file a 404 page.
	for path, want := range map[string]int{"/files?status=LOST": 400, "/files/999": 404, "/files/x": 400, "/files/999/ack": 404} {
		if code, _, _ := do(t, srv, call{path: path, token: roToken}); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
}

func TestHealthReadinessAndMetricsAuth(t *testing.T) {
	e, srv := served(t, true)
	if code, body, _ := do(t, srv, call{path: "/healthz"}); code != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	if code, body, _ := do(t, srv, call{path: "/readyz"}); code != 200 {
		t.Fatalf("readyz: %d %q", code, body)
	}
	if code, _, _ := do(t, srv, call{path: "/metrics"}); code != 401 {
		t.Fatalf("metrics need a user when users are configured: %d", code)
	}
	if code, _, _ := do(t, srv, call{path: "/metrics", token: roToken}); code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	// The drop folder goes away: not ready, with the reason.
	os.RemoveAll(e.Inbox)
	e.G.Status(context.Background(), time.Now()) // lists the sources
	if code, body, _ := do(t, srv, call{path: "/readyz"}); code != 503 || !strings.Contains(body, "source ventes: unreachable since") {
		t.Fatalf("readyz without the drop folder: %d %q", code, body)
	}
}

func basic(user, pass string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func TestPagesRender(t *testing.T) {
	_, srv := served(t, true)
	for _, path := range []string{"/", "/files", "/files?status=REJECTED&from=2020-01-01&to=2099-12-31&q=v", "/files/1", "/files/2", "/files/3", "/rejections", "/alerts", "/?lang=en", "/files/1/ack", "/files/1/input", "/static/style.css"} {
		for _, tok := range []string{opToken, roToken} {
			code, body, _ := do(t, srv, call{path: path, token: tok})
			if code != 200 {
				t.Errorf("%s: %d\n%s", path, code, body)
			}
		}
	}
}
