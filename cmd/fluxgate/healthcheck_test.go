package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// TestHealthcheck: 0 when the server answers 200, 1 with one sentence when it answers
// something else or nothing.
func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte("ok\n"))
	}))
	defer srv.Close()
	probe := func(url string) (int, string) {
		var out bytes.Buffer
		code := run(context.Background(), []string{"healthcheck", "--url", url}, &out, &out)
		return code, out.String()
	}
	if code, out := probe(srv.URL + "/healthz"); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("healthy: exit %d, %q", code, out)
	}
	status = http.StatusServiceUnavailable
	if code, out := probe(srv.URL + "/healthz"); code != 1 || !strings.Contains(out, "503") || strings.Count(out, "\n") != 1 {
		t.Fatalf("unhealthy: exit %d, %q", code, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/healthz"
	ln.Close()
	if code, out := probe(closed); code != 1 || !strings.Contains(out, "does not answer") {
		t.Fatalf("no server: exit %d, %q", code, out)
	}
}

// TestDockerfile: the image runs as a non-root user on an empty base, keeps its state in
// volumes, builds the binary with the Makefile target CI runs, and its HEALTHCHECK command
// is one fluxgate accepts (run here against a test server standing for /healthz).
func TestDockerfile(t *testing.T) {
	root := testutil.RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	for _, want := range []string{"\nFROM scratch\n", "\nUSER 10001:10001\n", `VOLUME ["/var/lib/fluxgate", "/srv/fluxgate"]`,
		"RUN make build OUT=/out/fluxgate", `CMD ["run", "-c", "/etc/fluxgate/fluxgate.yaml"]`, `ENTRYPOINT ["/fluxgate"]`} {
		if !strings.Contains(df, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	m := regexp.MustCompile(`(?s)HEALTHCHECK [^\n]*\\\n\s*CMD (\[[^\n]*\])`).FindStringSubmatch(df)
	if m == nil {
		t.Fatal("no HEALTHCHECK CMD [...] in the Dockerfile")
	}
	var args []string
	if err := json.Unmarshal([]byte(m[1]), &args); err != nil || len(args) < 2 || args[0] != "/fluxgate" {
		t.Fatalf("HEALTHCHECK CMD %s: %v", m[1], err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok\n"))
	}))
	defer srv.Close()
	for i, a := range args {
		args[i] = strings.Replace(a, "http://127.0.0.1:8470", srv.URL, 1)
	}
	var out bytes.Buffer
	if code := run(context.Background(), args[1:], &out, &out); code != 0 {
		t.Fatalf("the HEALTHCHECK command %v: exit %d, %s", args, code, out.String())
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil || !bytes.Contains(mk, []byte("\nbuild:\n")) || !bytes.Contains(mk, []byte("CGO_ENABLED=0")) {
		t.Fatalf("the Makefile has no static build target: %v", err)
	}
}
