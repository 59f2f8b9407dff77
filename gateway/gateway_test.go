package gateway

import (
	"bytes"
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
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// env is a gateway's folders in a temporary directory, with the shipped mapping.
type env struct {
	dir                           string
	inbox, acks, outbox, spool    string
	quiet, marker, schedule, lang string
	extra                         string // more source keys, indented as source keys
}

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	return &env{
		dir: dir, inbox: filepath.Join(dir, "inbox"), acks: filepath.Join(dir, "ack"),
		outbox: filepath.Join(dir, "outbox"), spool: filepath.Join(dir, "spool"),
		quiet: "200ms", schedule: "now", lang: "fr",
	}
}

func (e *env) config(t testing.TB) *config.Config {
	t.Helper()
	ready := "{quiet: " + e.quiet + "}"
	if e.marker != "" {
		ready = fmt.Sprintf("{marker: %q}", e.marker)
	}
	yaml := fmt.Sprintf(`
journal: {path: journal.db}
spool: spool
sources:
  - name: ventes
    folder: {path: inbox}
    pattern: "*.csv"
    ready: %s
    rescan: 100ms
    ack: {path: ack, language: %s}
    mapping: %s
    outputs: [ubl, cii]
    destination: outbox
%s
destinations:
  - name: outbox
    folder: {path: outbox}
    schedule: %q
`, ready, e.lang, filepath.Join(testutil.RepoRoot(t), "examples", "mappings", "ventes-csv.xml"), e.extra, e.schedule)
	cfg, err := config.Parse(filepath.Join(e.dir, "fluxgate.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (e *env) open(t testing.TB) *Gateway {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	g, err := New(context.Background(), e.config(t), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// drop copies a shipped export into the inbox, aged past the quiet period as a file that
// was dropped a while ago.
func (e *env) drop(t *testing.T, sample, as string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "exports", sample))
	if err != nil {
		t.Fatal(err)
	}
	e.write(t, as, data)
}

func (e *env) write(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(e.inbox, 0o750); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(e.inbox, name)
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-24 * time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
}

func (e *env) ack(t *testing.T, input string) ack.Document {
	t.Helper()
	name := filepath.Join(e.acks, ack.Name(input))
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("no ack for %s: %v", input, err)
	}
	testutil.ValidateXSD(t, filepath.Join(testutil.RepoRoot(t), "xsd", "ack.xsd"), name)
	var doc ack.Document
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func runOnce(t *testing.T, g *Gateway) Summary {
	t.Helper()
	s, err := g.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) > 0 {
		t.Fatalf("system errors: %v", s.Errors)
	}
	return s
}

// sampleInvoices are the invoice numbers of examples/exports/ventes-2026-11.csv.
var sampleInvoices = []string{"FA2026-1101", "FA2026-1102", "FA2026-1103", "FA2026-1104", "AV2026-0007", "FA2026-1105"}

func TestEndToEndSample(t *testing.T) {
	e := newEnv(t)
	e.drop(t, "ventes-2026-11.csv", "ventes-2026-11.csv")
	s := runOnce(t, e.open(t))
	if s.ExitCode() != 0 || s.Accepted != 1 {
		t.Fatalf("summary = %+v", s)
	}
	var want []string
	for _, n := range sampleInvoices {
		want = append(want, n+"_cii.xml", n+"_ubl.xml")
	}
	slices.Sort(want)
	got := list(t, e.outbox)
	if !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	var files []string
	for _, n := range got {
		files = append(files, filepath.Join(e.outbox, n))
	}
	testutil.CheckInvoice(t, files...)
	if data, _ := os.ReadFile(filepath.Join(e.outbox, "AV2026-0007_ubl.xml")); !bytes.Contains(data, []byte("<CreditNote")) {
		t.Error("the credit note is not written as a UBL CreditNote")
	}

	doc := e.ack(t, "ventes-2026-11.csv")
	if doc.File.Status != "ACCEPTED" || doc.Summary.Deposited != len(sampleInvoices) || len(doc.Invoices) != len(sampleInvoices) {
		t.Fatalf("ack = %+v", doc)
	}
	for _, inv := range doc.Invoices {
		if inv.Status != "DEPOSITED" || len(inv.Fluxes) != 2 || inv.FirstLine == 0 {
			t.Errorf("invoice %s: %+v", inv.Number, inv)
		}
	}
	if !strings.HasPrefix(doc.File.StoredAs, archiveDir+"/") {
		t.Fatalf("stored as %q, want it in %s", doc.File.StoredAs, archiveDir)
	}
	if _, err := os.Stat(filepath.Join(e.inbox, filepath.FromSlash(doc.File.StoredAs))); err != nil {
		t.Fatalf("archived input: %v", err)
	}
	if left := list(t, filepath.Join(e.inbox, processingDir)); len(left) != 0 {
		t.Fatalf("processing/ still holds %v", left)
	}
	if left := list(t, e.spool); len(left) != 0 {
		t.Fatalf("spool still holds %v", left)
	}
}

func TestRejectedSample(t *testing.T) {
	e := newEnv(t)
	e.drop(t, "ventes-erreurs.csv", "ventes-erreurs.csv")
	s := runOnce(t, e.open(t))
	if s.ExitCode() != 1 || s.Rejected != 1 {
		t.Fatalf("summary = %+v, want one rejected file and exit 1", s)
	}
	doc := e.ack(t, "ventes-erreurs.csv")
	if doc.File.Status != "REJECTED" || doc.Summary.Rejected != len(doc.Invoices) {
		t.Fatalf("ack = %+v", doc)
	}
	type key struct {
		rule string
		line int
	}
	found := map[key]ack.Problem{}
	for _, inv := range doc.Invoices {
		for _, p := range inv.Problems {
			found[key{p.Rule, p.Line}] = p
		}
	}
	buyer, ok := found[key{"BR-07", 2}]
	if !ok || buyer.BT != "BT-44" || buyer.Field == "" || !strings.Contains(buyer.Message, "acheteur") {
		t.Errorf("missing buyer name not reported on line 2 with its field and a French message: %+v", found)
	}
	if vat, ok := found[key{"FG-MAP-LOOKUP", 4}]; !ok || !strings.Contains(vat.Message, "19,6") {
		t.Errorf("unknown VAT rate not reported on line 4: %+v", found)
	}
	if got := list(t, e.outbox); len(got) != 0 {
		t.Fatalf("outbox = %v, want nothing", got)
	}
	if !strings.HasPrefix(doc.File.StoredAs, errorDir+"/") {
		t.Fatalf("stored as %q, want it in %s", doc.File.StoredAs, errorDir)
	}
}

func TestAckInEnglish(t *testing.T) {
	e := newEnv(t)
	e.lang = "en"
	e.drop(t, "ventes-erreurs.csv", "x.csv")
	runOnce(t, e.open(t))
	doc := e.ack(t, "x.csv")
	if doc.Language != "en" || !strings.Contains(doc.Invoices[0].Problems[0].Message, "buyer") {
		t.Fatalf("ack = %+v", doc.Invoices[0])
	}
}

func TestPartialFile(t *testing.T) {
	e := newEnv(t)
	good, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "exports", "ventes-2026-11.csv"))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "exports", "ventes-erreurs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// The good export followed by the bad one's rows (without its header).
	_, badRows, _ := bytes.Cut(bad, []byte("\n"))
	e.write(t, "mixed.csv", append(good, badRows...))
	s := runOnce(t, e.open(t))
	if s.Partial != 1 || s.ExitCode() != 1 {
		t.Fatalf("summary = %+v", s)
	}
	doc := e.ack(t, "mixed.csv")
	if doc.File.Status != "PARTIAL" || doc.Summary.Deposited != len(sampleInvoices) || doc.Summary.Rejected == 0 {
		t.Fatalf("ack summary = %+v", doc.Summary)
	}
	if got := len(list(t, e.outbox)); got != 2*len(sampleInvoices) {
		t.Fatalf("outbox holds %d files, want %d", got, 2*len(sampleInvoices))
	}
}

func TestFileLevelErrors(t *testing.T) {
	cases := []struct {
		name, content, rule string
	}{
		{"empty.csv", "", "FG-"},
		{"garbage.csv", "\x00\x01\x02\xff\xfe binary", "FG-"},
		{"header-only.csv", "NumFacture;TypePiece\r\n", "FG-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.write(t, c.name, []byte(c.content))
			s := runOnce(t, e.open(t))
			if s.Rejected != 1 {
				t.Fatalf("summary = %+v", s)
			}
			doc := e.ack(t, c.name)
			if doc.File.Status != "REJECTED" || len(doc.Problems) == 0 || !strings.HasPrefix(doc.Problems[0].Rule, c.rule) || doc.Problems[0].Message == "" {
				t.Fatalf("ack = %+v", doc)
			}
			if !strings.HasPrefix(doc.File.StoredAs, errorDir+"/") {
				t.Fatalf("stored as %q", doc.File.StoredAs)
			}
		})
	}
}

func TestScheduledDestinationHoldsFluxesInSpool(t *testing.T) {
	e := newEnv(t)
	e.schedule = "0 2 * * *" // nightly: it will not fire during the test
	g := e.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	e.drop(t, "ventes-2026-11.csv", "v.csv")
	waitFor(t, func() bool {
		data, err := os.ReadFile(filepath.Join(e.acks, ack.Name("v.csv")))
		return err == nil && bytes.Contains(data, []byte(`status="ACCEPTED"`)) && bytes.Contains(data, []byte("storedAs"))
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	doc := e.ack(t, "v.csv")
	if doc.Summary.Queued != len(sampleInvoices) || doc.Summary.Deposited != 0 {
		t.Fatalf("before the schedule fires: %+v", doc.Summary)
	}
	if got := list(t, e.outbox); len(got) != 0 {
		t.Fatalf("outbox before the schedule fires = %v", got)
	}
	if got := len(list(t, e.spool)); got != 2*len(sampleInvoices) {
		t.Fatalf("spool holds %d files", got)
	}
	// --once deposits whatever waits, whatever the schedule.
	runOnce(t, g)
	doc = e.ack(t, "v.csv")
	if doc.Summary.Deposited != len(sampleInvoices) {
		t.Fatalf("after --once: %+v", doc.Summary)
	}
	if got := len(list(t, e.outbox)); got != 2*len(sampleInvoices) {
		t.Fatalf("outbox holds %d files", got)
	}
}

func TestFileBeingWrittenIsNotTaken(t *testing.T) {
	e := newEnv(t)
	e.quiet = "300ms"
	g := e.open(t)
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "exports", "ventes-2026-11.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(e.inbox, 0o750); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(e.inbox, "slow.csv")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	// A slow export: one byte every 20ms until the run below is over, then the rest.
	stop := make(chan struct{})
	written := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				written <- n
				return
			case <-time.After(20 * time.Millisecond):
				if n < len(data)-1 {
					f.Write(data[n : n+1])
					n++
				} else {
					// Keep touching it: still being written as far as anyone can tell.
					now := time.Now()
					os.Chtimes(name, now, now)
				}
			}
		}
	}()
	s := runOnce(t, g)
	close(stop)
	n := <-written
	if s.Files != 0 {
		t.Fatalf("a file still being written was taken: %+v", s)
	}
	if !slices.ContainsFunc(s.Waiting, func(w folder.Waiting) bool { return w.File.Name == "slow.csv" && w.Settling }) {
		t.Fatalf("the file is not reported as still changing: %+v", s.Waiting)
	}
	f.Write(data[n:])
	f.Close()
	s = runOnce(t, g)
	if s.Accepted != 1 {
		t.Fatalf("once complete: %+v", s)
	}
	if doc := e.ack(t, "slow.csv"); len(doc.Invoices) != len(sampleInvoices) {
		t.Fatalf("the complete file gave %d invoices", len(doc.Invoices))
	}
}

func TestMarkerReadiness(t *testing.T) {
	e := newEnv(t)
	e.marker = "{name}.ok"
	g := e.open(t)
	e.drop(t, "ventes-2026-11.csv", "v.csv")
	if s := runOnce(t, g); s.Files != 0 {
		t.Fatalf("taken without its marker: %+v", s)
	}
	e.write(t, "v.csv.ok", nil)
	if s := runOnce(t, g); s.Accepted != 1 {
		t.Fatalf("not taken with its marker: %+v", s)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// spoolFiles lists the flux files in the spool (not its hidden working files).
func (e *env) spoolFiles(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(e.spool)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		if !strings.HasPrefix(en.Name(), ".") {
			names = append(names, en.Name())
		}
	}
	return names
}
