package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/mapping"
)

func TestTestMappingExamples(t *testing.T) {
	root := testutil.RepoRoot(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"test-mapping", filepath.Join(root, "examples")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, s := range []string{"ok   ventes-csv/ventes-2026-11.csv", "ok   ventes-csv/ventes-erreurs.csv", "ok   factures-dos/factures-dos-2026-11.txt", "ok   erp-xml/erp-export-2026-11-30.xml", "ok   caisse-csv/caisse-2026-11.csv"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, stdout.String())
		}
	}
}

// copyTree copies the examples into a scratch folder that the test may change.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTestMappingReportsADifference(t *testing.T) {
	root := testutil.RepoRoot(t)
	dir := t.TempDir()
	copyTree(t, filepath.Join(root, "examples"), dir)
	// A mapping change: the payment means code of every invoice changes.
	p := filepath.Join(dir, "mappings", "ventes-csv.xml")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(data, []byte(`<entry key="VIR">30</entry>`), []byte(`<entry key="VIR">31</entry>`), 1), 0o644)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"test-mapping", dir}, &stdout, &stderr)
	out := stdout.String()
	if code != 1 || !strings.Contains(out, "FAIL ventes-csv/ventes-2026-11.csv") || !strings.Contains(out, "FA2026-1101_ubl.xml") ||
		!strings.Contains(out, "-   ") || !strings.Contains(out, ">30<") || !strings.Contains(out, ">31<") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "ok   factures-dos") {
		t.Errorf("other tests should pass:\n%s", out)
	}
	// --update accepts the change.
	stdout.Reset()
	if code := run(context.Background(), []string{"test-mapping", "--update", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("update: exit %d %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"test-mapping", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("after update: exit %d\n%s", code, stdout.String())
	}
	if code := run(context.Background(), []string{"test-mapping", t.TempDir()}, &stdout, &stderr); code != 2 {
		t.Errorf("empty folder: exit %d, want 2", code)
	}
}

func TestMapExplain(t *testing.T) {
	root := testutil.RepoRoot(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"map", "--explain", "-m", filepath.Join(root, "examples", "mappings", "factures-dos.xml"), filepath.Join(root, "examples", "exports", "factures-dos-2026-11.txt")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, s := range []string{
		"== F000004512 (lines 1-7)",
		`BG-25[1] BT-129 invoiced quantity = "38.25"`,
		"from factures-dos-2026-11.txt:2 [Quantite (69-77)], mapping line",
		`Quantite = "38,250"`,
		`BT-115 amount due for payment = "1074.46"`,
		"computed: BT-112 − BT-113 + BT-114",
		`type "380" became "381"`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("explain output lacks %q", s)
		}
	}
	if strings.Contains(out, "<Invoice") {
		t.Error("--explain without -o printed the invoices")
	}
}

func TestTestMappingGroupsIdenticalDiffs(t *testing.T) {
	root := testutil.RepoRoot(t)
	dir := t.TempDir()
	copyTree(t, filepath.Join(root, "examples"), dir)
	p := filepath.Join(dir, "mappings", "ventes-csv.xml")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(data, []byte(`<entry key="VIR">30</entry>`), []byte(`<entry key="VIR">31</entry>`), 1), 0o644)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"test-mapping", dir}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d", code)
	}
	out := stdout.String()
	// One account per kind of change, naming every file it concerns; expected (-) before got (+).
	if n := strings.Count(out, "files differ the same way"); n != 2 || !strings.Contains(out, "AV2026-0007_ubl.xml, FA2026-1101_ubl.xml") {
		t.Fatalf("grouping:\n%s", out)
	}
	minus, plus := strings.Index(out, "-   75      <cbc:PaymentMeansCode>30<"), strings.Index(out, "+   75      <cbc:PaymentMeansCode>31<")
	if minus < 0 || plus < 0 || minus > plus {
		t.Fatalf("order:\n%s", out)
	}
}

func TestFindingLineLeavesOutWhatIsUnknown(t *testing.T) {
	for _, c := range []struct {
		pos  mapping.Position
		want string
	}{
		{mapping.Position{Line: 4, Column: "Client", MappingLine: 7}, "line 4 [Client] BT-44 BR-07 fatal (mapping line 7): m"},
		{mapping.Position{}, "BT-44 BR-07 fatal: m"},
	} {
		if got := findingLine(c.pos, "BT-44", "BR-07", "fatal", "m"); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

// TestFileRejectedFindingHasNoLineZero: a file-level error without a line (an empty file)
// says none, not "line 0 []".
func TestFileRejectedFindingHasNoLineZero(t *testing.T) {
	if got := fileRejectedLine(&mapping.FileError{EN: "the file is empty"}); got != "FILE REJECTED: the file is empty" {
		t.Fatalf("got %q", got)
	}
	if got := fileRejectedLine(&mapping.FileError{Line: 3, Column: "Qté", EN: "bad"}); got != "FILE REJECTED line 3 [Qté]: bad" {
		t.Fatalf("got %q", got)
	}
}
