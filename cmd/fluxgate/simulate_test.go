package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader in two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSimulateCommand(t *testing.T) {
	for _, c := range []struct{ platform, health string }{
		{"chorus", "/cpro/transverses/v1/health-check"},
		{"pa", "/v1/healthcheck"},
	} {
		t.Run(c.platform, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var out, errb syncBuffer
			done := make(chan int, 1)
			go func() { done <- run(ctx, []string{"simulate", c.platform, "--listen", "127.0.0.1:0"}, &out, &errb) }()
			re := regexp.MustCompile(`base_url:\s+(http://\S+)`)
			var base string
			for i := 0; i < 500 && base == ""; i++ {
				if m := re.FindStringSubmatch(out.String()); m != nil {
					base = m[1]
				}
				time.Sleep(10 * time.Millisecond)
			}
			if base == "" {
				cancel()
				t.Fatalf("no base_url printed: %q %q", out.String(), errb.String())
			}
			if !regexp.MustCompile(`not the real platform`).MatchString(out.String()) {
				t.Errorf("the banner does not say it is a simulator: %q", out.String())
			}
			req, _ := http.NewRequest(http.MethodGet, base+c.health, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("health: HTTP %d", resp.StatusCode)
			}
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("exit %d: %s", code, errb.String())
			}
		})
	}
	if code := run(context.Background(), []string{"simulate", "ppf"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Errorf("unknown platform: exit %d", code)
	}
	if code := run(context.Background(), []string{"simulate", "chorus", "--lose-answers", "1.5"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Errorf("--lose-answers 1.5: exit %d, want 2", code)
	}
}
