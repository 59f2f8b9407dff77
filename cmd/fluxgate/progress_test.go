package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// TestProgressBar: a bar counts with its rate, a known total shows its percentage, and the
// command's own lines clear the bar before they are written.
func TestProgressBar(t *testing.T) {
	var term bytes.Buffer
	p := newProgress(&term, -1, "files", 0)
	for range 3 {
		p.FileDone()
	}
	p.InvoiceMapped() // beside a bar of files, invoices are counted in its description
	p.Done()
	if s := term.String(); !strings.Contains(s, "3 files") && !strings.Contains(s, "(3/-") || !strings.Contains(s, "files/s") || !strings.Contains(s, "1 invoices") {
		t.Fatalf("a bar of files shows no count, rate or invoices: %q", s)
	}

	term.Reset()
	p = newProgress(&term, 4, "tests", 0)
	p.Add(2)
	out := &aboveBar{p.lockedBar, &term, &term}
	io.WriteString(out, "ok   a/b\n")
	if s := term.String(); !strings.HasSuffix(s, "ok   a/b\n"+p.bar.String()) {
		t.Fatalf("after a line the bar is drawn again below it: %q", s)
	}
	p.Add(2)
	p.Done()
	s := term.String()
	if !strings.Contains(s, "50%") || !strings.Contains(s, "(2/4") || !strings.Contains(s, "\r ") {
		t.Fatalf("a bar of 4 tests: %q", s)
	}
	if i := strings.Index(s, "ok   a/b\n"); i < 1 || s[i-1] != '\r' {
		t.Fatalf("a line written during the bar must follow the clearing of the bar: %q", s)
	}

	var nilBar *progress // what startProgress gives off a terminal: every method does nothing
	nilBar.Add(1)
	nilBar.FileDone()
	nilBar.InvoiceMapped()
	nilBar.Done()
	if r := strings.NewReader("x"); nilBar.Reader(r) != r {
		t.Fatal("off a terminal the export is read as it is")
	}
}

// TestNoProgressOffTerminal: when the output is a pipe or a file (a scheduled task, a log),
// run --once, map and test-mapping print their lines and no bar.
func TestNoProgressOffTerminal(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "ventes-2026-11.csv")
	root := testutil.RepoRoot(t)
	for _, args := range [][]string{
		{"run", "--once", "-c", cfg},
		{"map", "-m", filepath.Join(root, "examples", "mappings", "ventes-csv.xml"), "-o", filepath.Join(dir, "map"), filepath.Join(root, "examples", "exports", "ventes-2026-11.csv")},
		{"test-mapping", filepath.Join(root, "examples")},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&got, r); close(done) }()
		code := run(context.Background(), args, w, w)
		w.Close()
		<-done
		if code != 0 || got.Len() == 0 || strings.ContainsAny(got.String(), "\r█") || strings.Contains(got.String(), "/s)") {
			t.Errorf("%v: exit %d, output with a bar or none:\n%q", args, code, got.String())
		}
	}
}
