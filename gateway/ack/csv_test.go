package ack

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/fluxgate/fluxgate/gateway/journal"
)

var update = flag.Bool("update", false, "rewrite the golden CSV acks in testdata/")

// csvSample is sample() with what a CSV reader must survive: a platform status, a deposit
// that failed and waits, a message holding the separator, quotes, accents, the euro sign
// and a character Windows-1252 cannot hold, and a warning before the fatal problem.
func csvSample() (journal.File, []journal.Invoice) {
	f, invs := sample()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	invs[0].Fluxes[0].Platform = journal.PlatformStatus{ID: "4242", Status: "IN_INTEGRE", Label: "intégré", At: t0}
	invs[0].Fluxes[0].Tracking = true
	invs[1].Fluxes[0].LastError = "connexion refusée"
	invs[1].Fluxes[0].Attempts = 2
	invs[2].Problems = append([]journal.Problem{{Rule: "FG-W1", Severity: "warning", FR: "avertissement", EN: "warning"}}, invs[2].Problems...)
	invs = append(invs, journal.Invoice{Seq: 4, Number: "F4;bis", Status: journal.InvoiceRejected, FirstLine: 7, LastLine: 7,
		Problems: []journal.Problem{{Rule: "BR-CO-10", Severity: "fatal", Line: 7,
			FR: "Montant \"total\" ≠ somme des lignes ; écart de 0,01 €\npar ligne",
			EN: "Total \"amount\" ≠ sum of lines; off by €0.01\nper line"}}})
	return f, invs
}

// TestCSVGolden compares each CSV ack, byte for byte, with its golden file: header, one line
// per invoice (or one for a file without invoices), ';' separated, CRLF, in the encoding asked.
// `go test ./gateway/ack -run CSVGolden -update` rewrites them after a deliberate change.
func TestCSVGolden(t *testing.T) {
	f, invs := csvSample()
	now := time.Date(2026, 11, 26, 11, 0, 0, 0, time.UTC)
	empty := journal.File{Source: "ventes", Name: "vide.csv", SHA256: strings.Repeat("0", 64), Status: journal.StatusRejected, State: journal.FileDone,
		Problems: []journal.Problem{{Rule: "FG-EMPTY", Severity: "fatal", FR: "Le fichier est vide.", EN: "The file is empty."}}}
	for _, c := range []struct {
		golden, lang, encoding string
		file                   journal.File
		invs                   []journal.Invoice
	}{
		{"partial-fr.windows-1252.csv", "fr", "", f, invs}, // the default encoding
		{"partial-en.utf-8.csv", "en", "utf-8", f, invs},
		{"empty-fr.utf-8-bom.csv", "fr", "utf-8-bom", empty, nil},
	} {
		t.Run(c.golden, func(t *testing.T) {
			golden(t, c.golden, render(t, c.file, c.invs, c.lang, now, nil, FormatCSV, c.encoding))
		})
	}
}

// golden compares got, byte for byte, with testdata/name (rewritten first with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range min(len(g), len(w)) {
		if !bytes.Equal(g[i], w[i]) {
			t.Fatalf("ack differs from %s at line %d:\n got %q\nwant %q", path, i+1, g[i], w[i])
		}
	}
	t.Fatalf("ack differs from %s: %d lines, want %d", path, len(g), len(w))
}

// TestCSVReadsBack: what a CSV reader gets from the default (Windows-1252) ack is the
// header, one record per invoice with every column, and the messages intact (but for what
// Windows-1252 cannot hold), each on one line.
func TestCSVReadsBack(t *testing.T) {
	f, invs := csvSample()
	data := render(t, f, invs, "fr", time.Now(), nil, FormatCSV, "windows-1252")
	if !bytes.HasSuffix(data, []byte("\r\n")) || bytes.Count(data, []byte("\n")) != len(invs)+1 {
		t.Fatalf("want %d CRLF-ended lines, got %q", len(invs)+1, data)
	}
	utf8, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(utf8))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ";") != strings.Join(CSVHeader, ";") {
		t.Fatalf("header = %v", recs[0])
	}
	want := [][]string{
		{"ventes.csv", "PARTIAL", "F1", "DEPOSITED", "F1_ubl.xml", "IN_INTEGRE", "", ""},
		{"ventes.csv", "PARTIAL", "F2", "QUEUED", "F2_cii.xml", "", "", "dépôt vers outbox en échec (essai 2) : connexion refusée ; il sera réessayé"},
		{"ventes.csv", "PARTIAL", "F3", "REJECTED", "", "", "BR-07", "Le nom de l'acheteur est obligatoire."},
		{"ventes.csv", "PARTIAL", "F4;bis", "REJECTED", "", "", "BR-CO-10", "Montant \"total\" ? somme des lignes ; écart de 0,01 € par ligne"},
	}
	for i, w := range want {
		if got := recs[i+1]; strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("line %d:\n got %q\nwant %q", i+2, got, w)
		}
	}
}

// TestCSVDefusesFormulas: a cell an export filled (file name, invoice number, message) that
// begins as a formula would in a spreadsheet reads back with a leading '; plain numbers,
// and cells that begin otherwise, read back as they were.
func TestCSVDefusesFormulas(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"=HYPERLINK(\"http://x\";\"clic\")", "'=HYPERLINK(\"http://x\";\"clic\")"},
		{"+33 6 12", "'+33 6 12"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'=1+1"}, // CRLF line ends: encoding/csv drops a lone CR, after the '
		{"-", "'-"},
		{"-1,5e3", "'-1,5e3"},
		{"-12", "-12"},
		{"+3,50", "+3,50"},
		{"-0.5", "-0.5"},
		{"F-1=2", "F-1=2"},
		{"", ""},
	} {
		f, invs := csvSample()
		f.Name = c.in
		invs = invs[2:3] // rejected: its message is the problem's
		invs[0].Number = c.in
		invs[0].Problems = []journal.Problem{{Rule: "BR-07", Severity: "fatal", FR: c.in, EN: c.in}}
		data := render(t, f, invs, "fr", time.Now(), nil, FormatCSV, "utf-8")
		r := csv.NewReader(bytes.NewReader(data))
		r.Comma = ';'
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		want := strings.Join(strings.Fields(c.want), " ") // messages are kept on one line
		if c.want == "'\t=1+1" {
			want = "'=1+1" // the whitespace went first, so nothing is left to defuse
		}
		if got := recs[1]; got[0] != c.want || got[2] != c.want || got[7] != want {
			t.Errorf("%q: file %q, invoice %q, message %q; want %q, %q", c.in, got[0], got[2], got[7], c.want, want)
		}
	}
}

func TestFormatsAndNames(t *testing.T) {
	f, invs := sample()
	xmlName := SupersededName("export.csv", f.Received, 7)
	if got := FileName(xmlName, FormatXML); got != "export.csv.20261126-100000-7.ack.xml" {
		t.Errorf("XML ack name = %q", got)
	}
	if got := FileName(xmlName, FormatCSV); got != "export.csv.20261126-100000-7.ack.csv" {
		t.Errorf("CSV ack name = %q", got)
	}
	if !bytes.HasPrefix(render(t, f, invs, "fr", time.Now(), nil, FormatXML, ""), []byte("<?xml")) ||
		!bytes.HasPrefix(render(t, f, invs, "fr", time.Now(), nil, FormatCSV, ""), []byte("file;")) {
		t.Error("each format must hold its own rendering")
	}
	r := NewRenderer(f, countsOf(invs), "fr", time.Now(), nil)
	var buf bytes.Buffer
	if err := r.Render(&buf, "pdf", "", eachOf(invs)); err == nil || !strings.Contains(err.Error(), "write xml or csv") {
		t.Errorf("unknown format: %v", err)
	}
	if err := r.CSV(&buf, "ebcdic", eachOf(invs)); err == nil || !strings.Contains(err.Error(), "windows-1252") {
		t.Errorf("unknown encoding: %v", err)
	}
}
