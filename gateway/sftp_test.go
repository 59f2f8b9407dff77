package gateway

import (
	"context"
	"encoding/xml"
	"fmt"
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
	cfg, err := ParseConfig(filepath.Join(dir, "fluxgate.yaml"), []byte(yaml))
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

func TestSFTPConfigValidation(t *testing.T) {
	base := func(folder string) string {
		return fmt.Sprintf(`
sources:
  - name: s
    folder: %s
    mapping: m.xml
    destination: d
destinations:
  - name: d
    folder: {path: out}
`, folder)
	}
	cases := map[string]string{
		`{path: in, sftp: {host: h, user: u, key_file: k, known_hosts: kh}}`:    "not both",
		`{sftp: {host: h, user: u, key_file: k}}`:                               "always verified",
		`{sftp: {host: h, user: u, known_hosts: kh}}`:                           "no credentials",
		`{sftp: {user: u, key_file: k, known_hosts: kh}}`:                       "host is missing",
		`{sftp: {host: h, user: u, password_env: "s3cret!", known_hosts: kh}}`:  "environment variable",
		`{sftp: {host: h, user: u, key_file: k, host_key: x, known_hosts: kh}}`: "one of known_hosts and host_key",
		`{sftp: {host: h, user: u, key_file: k, known_hosts: kh, verify: no}}`:  "verify",
		`{}`: "folder.path is missing",
	}
	for folder, want := range cases {
		_, err := ParseConfig("/x/fluxgate.yaml", []byte(base(folder)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want it to mention %q", folder, err, want)
		}
	}
	if _, err := ParseConfig("/x/fluxgate.yaml", []byte(base(`{sftp: {host: h, user: u, key_file: k, known_hosts: kh}}`))); err != nil {
		t.Fatalf("a valid sftp folder: %v", err)
	}
}

func TestFilenameTemplate(t *testing.T) {
	at := time.Date(2026, 11, 26, 21, 40, 0, 0, time.UTC)
	v := filenameVars{Invoice: "FA2026-0107", Syntax: "cii", Seq: 3, FileID: 12, Source: "ventes", Input: "export nov.csv", Date: at}
	for tmpl, want := range map[string]string{
		"":                                    "FA2026-0107_cii.xml",
		"{invoice}_{syntax}.xml":              "FA2026-0107_cii.xml",
		"{date}_{seq}_{fileid}.xml":           "20261126_3_12.xml",
		"{source}-{input}-{date:2006-01}.xml": "ventes-export-nov-2026-11.xml",
		"{date:2006/01/02}{invoice}.xml":      "2026-11-26FA2026-0107.xml",
	} {
		if err := checkFilenameTemplate(tmpl); err != nil {
			t.Errorf("%q: %v", tmpl, err)
		}
		if got := expandFilename(tmpl, v); got != want {
			t.Errorf("%q gives %q, want %q", tmpl, got, want)
		}
	}
	for _, bad := range []string{"{nope}.xml", "out/{invoice}.xml", ".{invoice}", "{invoice.xml", "{seq:3}"} {
		if checkFilenameTemplate(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := uniqueFilename("FA_ubl.xml", 4, 2); got != "FA_ubl_4-2.xml" {
		t.Errorf("unique = %q", got)
	}
}
