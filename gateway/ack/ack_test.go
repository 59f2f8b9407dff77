package ack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

func sample() (journal.File, []journal.Invoice) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	f := journal.File{ID: 1, Source: "ventes", Name: "ventes.csv", SHA256: strings.Repeat("a", 64), Size: 42,
		State: journal.FileDone, Status: journal.StatusPartial, StoredName: ".fluxgate/archive/x.csv", Received: t0}
	invs := []journal.Invoice{
		{Seq: 1, Number: "F1", IssueDate: "2026-11-02", Status: journal.InvoiceDeposited, FirstLine: 2, LastLine: 3,
			Fluxes: []journal.Flux{{Destination: "outbox", Syntax: "ubl", FinalName: "F1_ubl.xml", State: journal.FluxDeposited, Receipt: "F1_ubl.xml", DepositedAt: t0}}},
		{Seq: 2, Number: "F2", Status: journal.InvoiceQueued, FirstLine: 4, LastLine: 4,
			Fluxes: []journal.Flux{{Destination: "outbox", Syntax: "cii", FinalName: "F2_cii.xml", State: journal.FluxQueued}}},
		{Seq: 3, Number: "F3", Status: journal.InvoiceRejected, FirstLine: 5, LastLine: 6,
			Problems: []journal.Problem{{Rule: "BR-07", Severity: "fatal", Line: 5, Field: "ClientNom", BT: []string{"BT-44"}, MappingLine: 20,
				FR: "Le nom de l'acheteur est obligatoire.", EN: "The buyer name is required."}}},
	}
	return f, invs
}

func TestCountsAndLanguage(t *testing.T) {
	f, invs := sample()
	doc := build(t, f, invs, "fr", time.Now(), nil)
	if s := doc.Summary; s.Invoices != 3 || s.Deposited != 1 || s.Queued != 1 || s.Rejected != 1 {
		t.Fatalf("summary = %+v", s)
	}
	if got := doc.Invoices[2].Problems[0]; got.Message != "Le nom de l'acheteur est obligatoire." || got.Line != 5 || got.BT != "BT-44" {
		t.Fatalf("problem = %+v", got)
	}
	if w := doc.Invoices[1].Fluxes[0].Waiting; !strings.Contains(w, "outbox") {
		t.Fatalf("a queued flux must say what it waits for, got %q", w)
	}
	en := build(t, f, invs, "en", time.Now(), nil)
	if got := en.Invoices[2].Problems[0].Message; got != "The buyer name is required." {
		t.Fatalf("english message = %q", got)
	}
}

func TestXMLValidatesAgainstSchema(t *testing.T) {
	f, invs := sample()
	many, manyInvs := manySample(24)
	empty := journal.File{Source: "s", Name: "vide.csv", SHA256: strings.Repeat("0", 64), Status: journal.StatusRejected, State: journal.FileProcessed,
		Problems: []journal.Problem{{Rule: "FG-EMPTY", Severity: "fatal", FR: "vide", EN: "empty"}}}
	dir := t.TempDir()
	var files []string
	for i, data := range [][]byte{
		render(t, f, invs, "fr", time.Now(), nil, FormatXML, ""),
		render(t, empty, nil, "en", time.Now(), nil, FormatXML, ""),
		render(t, many, manyInvs, "en", manyNow, manyDests(), FormatXML, ""),
	} {
		name := filepath.Join(dir, Name("f"+string(rune('0'+i))+".csv"))
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	testutil.ValidateXSD(t, filepath.Join(testutil.RepoRoot(t), "xsd", "ack.xsd"), files...)
}

func TestName(t *testing.T) {
	if got := Name("sub/ventes.csv"); got != "ventes.csv.ack.xml" {
		t.Fatalf("Name = %q", got)
	}
}

// An input name too long for its ack (".ack.xml" and a temporary name around it must fit in
// 255 bytes) gives an ack name that fits and still says which file: its beginning, a digest
// that keeps two such names apart, its extension.
func TestLongNames(t *testing.T) {
	long := strings.Repeat("é", 120) + ".csv" // 244 bytes
	other := strings.Repeat("é", 120) + "x.csv"
	received := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, n := range []string{Name(long), SupersededName(long, received, 1<<62)} {
		if len(n)+TempOverhead > MaxName || !utf8.ValidString(n) || !strings.HasPrefix(n, strings.Repeat("é", 50)) || !strings.Contains(n, ".csv.") {
			t.Errorf("%q (%d bytes)", n, len(n))
		}
	}
	if Name(long) == Name(other) {
		t.Error("two long names share an ack")
	}
	if got := ShortName("ventes.csv", 20); got != "ventes.csv" {
		t.Errorf("a short name is kept: %q", got)
	}
	if got := ShortName(strings.Repeat("a", 40)+".csv", 20); len(got) != 20 || !strings.HasSuffix(got, ".csv") || !strings.HasPrefix(got, "aaaaaaa~") {
		t.Errorf("ShortName = %q", got)
	}
}
