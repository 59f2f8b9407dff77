// Package simulate holds small HTTP servers that follow the published contracts of the
// platforms Fluxgate deposits on — the Chorus Pro API (PISTE) and the AFNOR XP Z12-013 Flow
// Service of an approved platform (PA) — closely enough to run the whole path on one machine
// and to test it. They are not the real platforms: they implement what the public
// documentation says (see /work/shared/specs/fr-einvoicing.md §2, §3, §5.7, §5.8), no more,
// and where it is silent they make a documented choice.
//
// Faults are injected by the caller, deterministically: the next N calls answer 503 or 429
// (with Retry-After), tokens expire on demand, answers can be slowed down, and statuses
// advance one step each time they are asked for, never by the clock. Answers can also be
// lost after the call was processed (AnswerLoser): the platform did the work, the client
// never heard of it — the case that makes a deposit's outcome unknown.
package simulate

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Default credentials the simulators accept (printed by `fluxgate simulate`).
const (
	DefaultClientID     = "fluxgate-sim"
	DefaultClientSecret = "fluxgate-sim-secret"
)

// fault is one injected answer.
type fault struct {
	status     int
	retryAfter string
}

// base holds what both simulators share: OAuth2 client credentials, faults, delays.
type base struct {
	mu           sync.Mutex
	clientID     string
	clientSecret string
	tokenTTL     time.Duration
	tokens       map[string]bool // issued and still valid
	faults       []fault
	delay        time.Duration
	calls        map[string]int // per path, for tests
	tokensIssued int
}

func newBase() base {
	return base{clientID: DefaultClientID, clientSecret: DefaultClientSecret, tokenTTL: time.Hour,
		tokens: map[string]bool{}, calls: map[string]int{}}
}

// SetCredentials sets the client id and secret the token endpoint accepts.
func (b *base) SetCredentials(id, secret string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clientID, b.clientSecret = id, secret
}

// SetTokenTTL sets the expires_in the token endpoint announces (tokens are invalidated only
// by ExpireTokens, so that tests never depend on the clock).
func (b *base) SetTokenTTL(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokenTTL = d
}

// ExpireTokens makes every token issued so far invalid: the next API call with one gets 401.
func (b *base) ExpireTokens() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.tokens)
}

// FailNext makes the next n API calls (not the token endpoint) answer status, with a
// Retry-After header when retryAfter is not empty ("2", or an HTTP date).
func (b *base) FailNext(n, status int, retryAfter string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range n {
		b.faults = append(b.faults, fault{status, retryAfter})
	}
}

// SetDelay slows every answer down by d (a slow platform; clients should time out).
func (b *base) SetDelay(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.delay = d
}

// Calls returns how many calls path received (faulty ones included).
func (b *base) Calls(path string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[path]
}

// TokensIssued returns how many tokens the token endpoint gave.
func (b *base) TokensIssued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokensIssued
}

// token serves the OAuth2 client-credentials grant (form-encoded, or HTTP Basic client
// authentication).
func (b *base) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if id != b.clientID || secret != b.clientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "unknown client or wrong secret"})
		return
	}
	tok := randomID(16)
	b.tokens[tok] = true
	b.tokensIssued++
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": int(b.tokenTTL / time.Second), "scope": r.PostForm.Get("scope")})
}

// guard runs before every API call: delay, injected fault, bearer token. It reports whether
// the call may go on.
func (b *base) guard(w http.ResponseWriter, r *http.Request) bool {
	b.mu.Lock()
	b.calls[r.URL.Path]++
	delay := b.delay
	var f *fault
	if len(b.faults) > 0 {
		f = &b.faults[0]
		b.faults = b.faults[1:]
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	valid := b.tokens[tok]
	b.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return false
		}
	}
	if f != nil {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeJSON(w, f.status, map[string]any{"message": http.StatusText(f.status) + " (simulated)"})
		return false
	}
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "invalid or expired token"})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func readJSON(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, 200<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// InvoiceNumber reads the invoice number (BT-1) of a UBL Invoice or CreditNote (cbc:ID child
// of the root) or of a CII CrossIndustryInvoice (rsm:ExchangedDocument/ram:ID).
func InvoiceNumber(data []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var stack []string
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", errors.New("no invoice number found")
			}
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			n := len(stack)
			if n == 2 && stack[1] == "ID" && (stack[0] == "Invoice" || stack[0] == "CreditNote") ||
				n == 3 && stack[0] == "CrossIndustryInvoice" && stack[1] == "ExchangedDocument" && stack[2] == "ID" {
				return strings.TrimSpace(string(t)), nil
			}
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// Loss is how the answer of a call the platform processed is lost on its way back.
type Loss int

const (
	// Lose503: the call is processed, then the client gets 503 Service Unavailable (the
	// gateway in front of the platform gave up waiting for it).
	Lose503 Loss = iota + 1
	// LoseHang: the call is processed, then no answer comes: the connection stays silent
	// until the client gives up (its time-out), or is dropped after AnswerLoser.MaxHang.
	LoseHang
)

func (l Loss) String() string {
	switch l {
	case Lose503:
		return "processed, then 503"
	case LoseHang:
		return "processed, then no answer"
	}
	return "answered"
}

// AnswerLoser wraps a handler: every call is processed, and the answer of some successful
// ones (2xx) is lost — those queued by LoseNext first, then each with the probability set
// by LoseAtRandom (503 or hang, half and half). A refused call keeps its answer.
type AnswerLoser struct {
	mu      sync.Mutex
	next    []Loss
	rate    float64
	lost    int
	maxHang time.Duration
}

// LoseNext loses, how, the answers of the next n successful calls.
func (l *AnswerLoser) LoseNext(n int, how Loss) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for range n {
		l.next = append(l.next, how)
	}
}

// LoseAtRandom loses the answer of each successful call with probability p (0 stops it).
func (l *AnswerLoser) LoseAtRandom(p float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rate = p
}

// SetMaxHang bounds how long a LoseHang answer keeps the connection silent before dropping
// it (default 5 minutes).
func (l *AnswerLoser) SetMaxHang(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maxHang = d
}

// Lost returns how many answers were lost so far.
func (l *AnswerLoser) Lost() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// pick decides the fate of one successful answer.
func (l *AnswerLoser) pick() (Loss, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	hang := l.maxHang
	if hang <= 0 {
		hang = 5 * time.Minute
	}
	switch {
	case len(l.next) > 0:
		how := l.next[0]
		l.next = l.next[1:]
		l.lost++
		return how, hang
	case l.rate > 0 && mrand.Float64() < l.rate:
		l.lost++
		return Loss(1 + mrand.IntN(2)), hang
	}
	return 0, hang
}

// Wrap returns h with answers lost as configured.
func (l *AnswerLoser) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		how := Loss(0)
		hang := time.Duration(0)
		if rec.status >= 200 && rec.status < 300 {
			how, hang = l.pick()
		}
		switch how {
		case Lose503:
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"message": "Service Unavailable (simulated: the call was processed, its answer lost)"})
		case LoseHang:
			select {
			case <-r.Context().Done():
			case <-time.After(hang):
			}
			panic(http.ErrAbortHandler) // drop the connection without a word
		default:
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			w.Write(rec.body.Bytes())
		}
	})
}

// recorder holds a handler's answer until its fate is decided.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
