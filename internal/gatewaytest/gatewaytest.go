// Package gatewaytest runs a real gateway in a temporary folder for the tests of the
// packages around it (status pages, metrics, alerts): the shipped CSV mapping, a local drop
// folder, a local outbox and, when asked, an approved platform served by the in-repo
// simulator (which follows the published contract; it is not the real platform).
package gatewaytest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/simulate"
)

// Env is a gateway and its folders.
type Env struct {
	Dir    string
	Inbox  string // source "ventes" → destination "outbox"
	Acks   string
	Outbox string
	Achats string // source "achats" → destination "plateforme" (a PA), when WithPA
	PA     *simulate.PA
	Config *config.Config
	G      *gateway.Gateway
}

// Options shape the environment.
type Options struct {
	WithPA bool   // add the "achats" source and the "plateforme" PA destination
	Extra  string // YAML appended to the configuration (http:, alerts:), at top level
	Log    io.Writer
}

// New writes the configuration and opens the gateway (closed at the end of the test).
func New(t testing.TB, o Options) *Env {
	t.Helper()
	dir := t.TempDir()
	e := &Env{Dir: dir, Inbox: filepath.Join(dir, "inbox"), Acks: filepath.Join(dir, "ack"), Outbox: filepath.Join(dir, "outbox"),
		Achats: filepath.Join(dir, "achats")}
	mapping := filepath.Join(testutil.RepoRoot(t), "examples", "mappings", "ventes-csv.xml")
	srcPA, destPA := "", ""
	if o.WithPA {
		e.PA = simulate.NewPA()
		srv := httptest.NewServer(e.PA.Handler())
		t.Cleanup(srv.Close)
		t.Setenv("FG_TEST_PA_ID", simulate.DefaultClientID)
		t.Setenv("FG_TEST_PA_SECRET", simulate.DefaultClientSecret)
		srcPA = fmt.Sprintf(`  - name: achats
    folder: {path: achats}
    pattern: "*.csv"
    ready: {quiet: 100ms}
    rescan: 100ms
    ack: {path: ack-achats}
    mapping: %s
    outputs: [ubl]
    destination: plateforme
`, mapping)
		destPA = fmt.Sprintf(`  - name: plateforme
    schedule: now
    pa: {base_url: %s, token_url: %s%s, client_id_env: FG_TEST_PA_ID, client_secret_env: FG_TEST_PA_SECRET, flow_profile: CIUS}
`, srv.URL, srv.URL, simulate.PATokenPath)
	}
	yaml := fmt.Sprintf(`
journal: {path: journal.db}
spool: spool
sources:
  - name: ventes
    folder: {path: inbox}
    pattern: "*.csv"
    workers: 1 # files take journal ids in name order: the tests open /files/1, /files/2…
    ready: {quiet: 100ms}
    rescan: 100ms
    ack: {path: ack}
    mapping: %s
    outputs: [ubl, cii]
    destination: outbox
%sdestinations:
  - name: outbox
    folder: {path: outbox}
    schedule: now
%s%s
`, mapping, srcPA, destPA, o.Extra)
	path := filepath.Join(dir, "fluxgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o640); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	e.Config = cfg
	w := o.Log
	if w == nil {
		w = io.Discard
		if testing.Verbose() {
			w = os.Stderr
		}
	}
	g, err := gateway.New(context.Background(), cfg, slog.New(slog.NewTextHandler(w, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	e.G = g
	return e
}

// Sample returns a shipped export.
func Sample(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "exports", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Partial is an export of two invoices, one valid (FA2026-9102) and one without the
// buyer's name (FE2026-9001, rejected by BR-07): its file is PARTIAL.
func Partial(t testing.TB) []byte {
	t.Helper()
	good := bytes.Split(Sample(t, "ventes-2026-11.csv"), []byte("\n"))
	bad := bytes.Split(Sample(t, "ventes-erreurs.csv"), []byte("\n"))
	var out [][]byte
	out = append(out, good[0])
	for _, l := range good[1:] {
		if bytes.HasPrefix(l, []byte("FA2026-1102;")) {
			out = append(out, bytes.Replace(l, []byte("FA2026-1102"), []byte("FA2026-9102"), 1))
		}
	}
	for _, l := range bad[1:] {
		if bytes.HasPrefix(l, []byte("FE2026-2001;")) {
			out = append(out, bytes.Replace(l, []byte("FE2026-2001"), []byte("FE2026-9001"), 1))
		}
	}
	return append(bytes.Join(out, []byte("\n")), '\n')
}

// Renumbered is a shipped export whose invoice numbers get letter after their first two
// letters (FA2026-1101 → FAP2026-1101), so that they are other invoices than the sample's.
func Renumbered(t testing.TB, name, letter string) []byte {
	t.Helper()
	data := Sample(t, name)
	for _, prefix := range []string{"FA2026-", "AV2026-", "FE2026-"} {
		data = bytes.ReplaceAll(data, []byte(prefix), []byte(prefix[:2]+letter+prefix[2:]))
	}
	return data
}

// Drop writes data into folder dir as name, aged past the quiet period.
func Drop(t testing.TB, dir, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
}
