package deposit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Secret reads the secret held by the environment variable named name or, when that is
// unset, by the file that the variable name_FILE points to (the convention of container and
// service managers' secret files; one trailing newline is dropped). Secrets never live in
// the configuration file; a missing one is an error that names where it was looked for,
// never a value.
func Secret(getenv func(string) string, what, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%s: name the environment variable that holds it", what)
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := getenv(name); v != "" {
		return v, nil
	}
	file := getenv(name + "_FILE")
	if file == "" {
		return "", fmt.Errorf("%s: environment variable %s (or %s_FILE naming a file) is not set", what, name, name)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: read the secret file named by %s_FILE: %w", what, name, err)
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if v == "" {
		return "", fmt.Errorf("%s: the secret file named by %s_FILE is empty", what, name)
	}
	return v, nil
}

// tokenSource fetches and caches an OAuth2 access token with the client-credentials grant
// (RFC 6749 §4.4). A token is refreshed a minute (or a tenth of its life) before it expires,
// and at once when the API refuses it. The token call is paced and tried again like any
// other call of the destination.
type tokenSource struct {
	http                   *http.Client
	url, id, secret, scope string
	now                    func() time.Time
	pace                   *Pacer

	mu      sync.Mutex
	token   string
	expires time.Time
}

func (ts *tokenSource) get(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.token != "" && ts.now().Before(ts.expires) {
		return ts.token, nil
	}
	// Refused credentials do not mend within a round; a server error or a lost answer may.
	again := func(err error) bool {
		return !isStatus(err, http.StatusBadRequest) && !isStatus(err, http.StatusUnauthorized)
	}
	err := ts.pace.call(ctx, again, func() error { return ts.fetch(ctx) })
	if err != nil {
		return "", tokenError{err}
	}
	return ts.token, nil
}

// fetch makes one token request. Called with ts.mu held.
func (ts *tokenSource) fetch(ctx context.Context) error {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {ts.id}, "client_secret": {ts.secret}}
	if ts.scope != "" {
		form.Set("scope", ts.scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.url, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := ts.http.Do(req)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("token: %w (from %s)", &httpStatusError{resp.StatusCode, excerpt(body)}, ts.url)
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized {
			// Not permanent: the invoices are fine, the credentials are not; they wait.
			err = fmt.Errorf("%w (check the client id and secret of the API account)", err)
		}
		return withRetryAfter(err, resp)
	}
	var tok struct {
		AccessToken string      `json:"access_token"`
		ExpiresIn   json.Number `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return fmt.Errorf("token: unreadable answer from %s", ts.url)
	}
	life := time.Hour
	if n, err := tok.ExpiresIn.Int64(); err == nil && n > 0 {
		life = time.Duration(n) * time.Second
	}
	margin := min(time.Minute, life/10)
	ts.token, ts.expires = tok.AccessToken, ts.now().Add(life-margin)
	return nil
}

// invalidate forgets token, if it is still the cached one.
func (ts *tokenSource) invalidate(token string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.token == token {
		ts.token = ""
	}
}

// apiClient calls a platform's JSON API with a bearer token, and says which failures are
// worth retrying.
type apiClient struct {
	http   *http.Client
	base   string
	tokens *tokenSource
	header http.Header // sent on every call (cpro-account)
	log    *slog.Logger
	pace   *Pacer // nil: calls go at once and are not tried again
	// queries are the paths whose POST only reads (a search): tried again like a GET.
	queries map[string]bool
}

func (c *apiClient) setPacer(p *Pacer) {
	c.pace = p
	c.tokens.pace = p
}

// request is one API call; body is built again when the call is retried.
type request struct {
	method, path string
	body         func() (io.Reader, string) // reader and content type; nil for none
	// query says that the call only reads, so that trying it again cannot do anything twice.
	query bool
}

// httpStatusError is a refused call.
type httpStatusError struct {
	status int
	msg    string
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.msg) }

// do sends r and returns the body of a 2xx answer. A 401 gets one more try with a fresh
// token. Errors are classified: network failures, 408, 429, 5xx, 401/403/404 (a
// configuration or subscription matter, not the invoice's fault) are transient, with the
// server's Retry-After; other 4xx answers are Permanent. With a Pacer, every exchange is
// paced, and a transient failure is tried again within the call when the request only reads
// or never reached the server: a deposit whose answer was lost is not sent twice from here.
func (c *apiClient) do(ctx context.Context, r request) ([]byte, int, error) {
	query := r.query || r.method == http.MethodGet || c.queries[strings.SplitN(r.path, "?", 2)[0]]
	again := func(err error) bool {
		var tok tokenError
		if errors.As(err, &tok) {
			return false // the token call was tried again already
		}
		return query || notSent(err)
	}
	var data []byte
	var status int
	refreshed := false
	err := c.pace.call(ctx, again, func() error {
		var err error
		for {
			data, status, err = c.exchange(ctx, r)
			if status == http.StatusUnauthorized && !refreshed {
				refreshed = true
				c.log.Debug("token refused; fetching a new one", "path", r.path)
				if err := c.pace.Wait(ctx); err != nil {
					return err
				}
				continue
			}
			return err
		}
	})
	return data, status, err
}

// exchange sends r once. A 401 invalidates the token it used.
func (c *apiClient) exchange(ctx context.Context, r request) ([]byte, int, error) {
	token, err := c.tokens.get(ctx)
	if err != nil {
		return nil, 0, err
	}
	var body io.Reader
	var ctype string
	if r.body != nil {
		body, ctype = r.body()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return nil, 0, Permanent(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	resp.Body.Close()
	if rerr != nil {
		return nil, resp.StatusCode, fmt.Errorf("%s %s: read answer: %w", r.method, r.path, rerr)
	}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return data, s, nil
	case s == http.StatusUnauthorized, s == http.StatusForbidden, s == http.StatusNotFound,
		s == http.StatusRequestTimeout, s == http.StatusTooManyRequests, s >= 500:
		if s == http.StatusUnauthorized {
			c.tokens.invalidate(token)
		}
		err := fmt.Errorf("%s %s: %w", r.method, r.path, &httpStatusError{s, excerpt(data)})
		return data, s, withRetryAfter(err, resp)
	default:
		return data, s, Permanent(fmt.Errorf("%s %s: %w", r.method, r.path, &httpStatusError{s, excerpt(data)}))
	}
}

// postJSON sends in as JSON and decodes the answer into out.
func (c *apiClient) postJSON(ctx context.Context, path string, in, out any) error {
	return c.sendJSON(ctx, path, false, in, out)
}

// queryJSON is postJSON for a POST that only reads (a search): tried again when it fails.
func (c *apiClient) queryJSON(ctx context.Context, path string, in, out any) error {
	return c.sendJSON(ctx, path, true, in, out)
}

func (c *apiClient) sendJSON(ctx context.Context, path string, query bool, in, out any) error {
	payload, err := json.Marshal(in)
	if err != nil {
		return Permanent(err)
	}
	data, _, err := c.do(ctx, request{method: http.MethodPost, path: path, query: query, body: func() (io.Reader, string) {
		return bytes.NewReader(payload), "application/json;charset=utf-8"
	}})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("POST %s: unreadable answer: %w", path, err)
	}
	return nil
}

// withRetryAfter attaches the Retry-After of resp (seconds or an HTTP date) to err.
func withRetryAfter(err error, resp *http.Response) error {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return err
	}
	if n, perr := strconv.Atoi(v); perr == nil && n >= 0 {
		return retryAfterError{err, time.Duration(n) * time.Second}
	}
	if t, perr := http.ParseTime(v); perr == nil {
		return retryAfterError{err, max(0, time.Until(t))}
	}
	return err
}

// excerpt is what an error answer says, shortened: the message field of a JSON body when it
// has one, else its first characters.
func excerpt(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		for _, k := range []string{"libelle", "message", "error_description", "detail", "title", "error"} {
			if s, ok := m[k].(string); ok && s != "" {
				return s
			}
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		s = "(empty answer)"
	}
	return s
}

// isStatus reports whether err is a refused call with HTTP status code.
func isStatus(err error, code int) bool {
	var h *httpStatusError
	return errors.As(err, &h) && h.status == code
}
