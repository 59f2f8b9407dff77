package gateway

import (
	"context"
	"encoding/xml"
	"fmt"
	"github.com/fluxgate/fluxgate/gateway/config"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/internal/sshdtest"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// sftpGateway configures a gateway whose source and destination are both on the SFTP
// server srv: inbox/ (acks in ack/) and outbox/, flux names from a template.
func sftpGateway(t *testing.T, srv *sshdtest.Server) *Gateway {
	t.Helper()
	dir := t.TempDir()
	conn := fmt.Sprintf("host: %s, port: %d, user: %s, key_file: %s, known_hosts: %s, max_backoff: 100ms",
		srv.Host, srv.Port, srv.User, srv.UserKey.File, srv.KnownHosts)
	yaml := fmt.Sprintf(`
journal: {path: journal.db}
spool: spool
sources:
  - name: ventes
    folder: {sftp: {%s, path: inbox}}
    pattern: "*.csv"
    ready: {quiet: 300ms}
    rescan: 100ms
    ack: {path: ack}
    mapping: %s
    outputs: [ubl]
    destination: platform
destinations:
  - name: platform
    folder: {sftp: {%s, path: deposits/in}}
    filename: "{date:2006}_{invoice}.{syntax}.xml"
`, conn, filepath.Join(testutil.RepoRoot(t), "examples", "mappings", "ventes-csv.xml"), conn)
	cfg, err := config.Parse(filepath.Join(dir, "fluxgate.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	g, err := New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func runSFTPRoute(t *testing.T, srv *sshdtest.Server) {
	g := sftpGateway(t, srv)
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "exports", "ventes-2026-11.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Another party uploads the export.
	up := srv.Client(t)
	w, err := up.Create("inbox/ventes.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	w.Close()

	var s Summary
	deadline := time.Now().Add(30 * time.Second) // a safety net only
	for s.Files == 0 {
		s = runOnce(t, g)
		if time.Now().After(deadline) {
			t.Fatalf("the file was never taken: %+v", s)
		}
	}
	if s.Accepted != 1 {
		t.Fatalf("summary = %+v", s)
	}
	year := time.Now().Format("2006")
	var want []string
	for _, n := range sampleInvoices {
		want = append(want, year+"_"+n+".ubl.xml")
	}
	slices.Sort(want)
	if got := list(t, filepath.Join(srv.Root, "deposits", "in")); !slices.Equal(got, want) {
		t.Fatalf("deposited on the server: %v, want %v", got, want)
	}
	ackFile := filepath.Join(srv.Root, "ack", ack.Name("ventes.csv")) // ack.path: relative to the login directory
	raw, err := os.ReadFile(ackFile)
	if err != nil {
		t.Fatalf("no ack on the server: %v (acks: %v)", err, list(t, filepath.Join(srv.Root, "ack")))
	}
	var doc ack.Document
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.File.Status != "ACCEPTED" || doc.Summary.Deposited != len(sampleInvoices) {
		t.Fatalf("ack = %+v", doc)
	}
	if !strings.HasPrefix(doc.File.StoredAs, archiveDir+"/") {
		t.Fatalf("stored as %q", doc.File.StoredAs)
	}
	if _, err := os.Stat(filepath.Join(srv.Root, "inbox", filepath.FromSlash(doc.File.StoredAs))); err != nil {
		t.Fatalf("archived on the server: %v", err)
	}
	for _, dir := range []string{"ack", filepath.Join("deposits", "in"), "inbox"} {
		for _, n := range list(t, filepath.Join(srv.Root, dir)) {
			if strings.HasSuffix(n, ".tmp") {
				t.Fatalf("temporary file left in %s: %s", dir, n)
			}
		}
	}
}

func TestSFTPRouteInProcess(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	runSFTPRoute(t, &srv.Server)
}

func TestSFTPRouteOpenSSH(t *testing.T) {
	srv := sshdtest.StartOpenSSH(t)
	runSFTPRoute(t, &srv.Server)
}
