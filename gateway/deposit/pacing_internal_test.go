package deposit

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// countingAPI answers 503 to every call but the token's, and counts the calls per path.
func countingAPI(t *testing.T) (*apiClient, func(string) int) {
	t.Helper()
	var mu sync.Mutex
	calls := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"t","expires_in":3600}`))
			return
		}
		mu.Lock()
		calls[r.URL.Path]++
		mu.Unlock()
		http.Error(w, `{"message":"processed, maybe"}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	c := &apiClient{http: srv.Client(), base: srv.URL, log: slog.New(slog.DiscardHandler),
		tokens: &tokenSource{http: srv.Client(), url: srv.URL + "/token", now: time.Now}}
	p := NewPacer(0, 0)
	p.RetryBase = time.Millisecond
	c.setPacer(p)
	return c, func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return calls[path]
	}
}

// A deposit whose answer is a 503 may have been processed: it is never sent again from the
// HTTP client; a query is.
func TestOnlyQueriesAreTriedAgainAfterAnAmbiguousFailure(t *testing.T) {
	c, calls := countingAPI(t)
	ctx := context.Background()
	if err := c.postJSON(ctx, "/deposit", map[string]string{"x": "y"}, nil); err == nil {
		t.Fatal("503 hidden")
	}
	if n := calls("/deposit"); n != 1 {
		t.Fatalf("the deposit was sent %d times after a 503, want 1", n)
	}
	if err := c.queryJSON(ctx, "/search", map[string]string{"x": "y"}, nil); err == nil {
		t.Fatal("503 hidden")
	}
	if n := calls("/search"); n != 1+DefaultRetries {
		t.Fatalf("the search was sent %d times, want %d", n, 1+DefaultRetries)
	}
	c.queries = map[string]bool{"/report": true}
	c.postJSON(ctx, "/report", nil, nil)
	if n := calls("/report"); n != 1+DefaultRetries {
		t.Fatalf("a path declared a query was sent %d times, want %d", n, 1+DefaultRetries)
	}
}

// A request refused before any connection (nobody listens) never reached the server: it is
// tried again even when it is not a query.
func TestARequestThatNeverLeftIsTriedAgain(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tries := 0
	p := NewPacer(0, 0)
	p.RetryBase = time.Millisecond
	err = p.call(context.Background(), notSent, func() error {
		tries++
		_, err := http.Post("http://"+addr+"/deposit", "text/plain", nil)
		return err
	})
	if err == nil || tries != 1+DefaultRetries {
		t.Fatalf("%d tries, err %v: want %d", tries, err, 1+DefaultRetries)
	}
}
