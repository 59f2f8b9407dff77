package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/invoice/facturx"
	"github.com/fluxgate/fluxgate/invoice/syntax"
)

// TestCheckFacturX: check reads a Factur-X PDF (its attached CII is checked, with the French
// rules too), and says in one sentence why a PDF is not one.
func TestCheckFacturX(t *testing.T) {
	dir := t.TempDir()
	inv := frBase()
	pdf, err := facturx.Write(inv)
	if err != nil {
		t.Fatal(err)
	}
	ublData, err := syntax.Write(syntax.OutputUBL, inv)
	if err != nil {
		t.Fatal(err)
	}
	notCII, err := facturx.WithXML(inv, ublData)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	good := write("good.pdf", pdf)
	code, out, errOut := runCLI(t, "check", "--profile", "fr-ctc", good)
	if code != 0 || !strings.Contains(out, "facturx (cii), valid") {
		t.Fatalf("valid Factur-X: %d\n%s%s", code, out, errOut)
	}
	for _, c := range []struct {
		name string
		data []byte
		say  string
	}{
		{"no-attachment.pdf", bytes.ReplaceAll(pdf, []byte("(factur-x.xml)"), []byte("(facture.xml1)")), "the PDF has no factur-x.xml attachment: it is not a Factur-X invoice"},
		{"broken.pdf", []byte("%PDF-1.7\n1 0 obj <<"), "the PDF cannot be read"},
		{"ubl-inside.pdf", notCII, "the factur-x.xml attachment of the PDF is not a CII invoice (found a ubl-invoice document): a Factur-X carries CII"},
	} {
		f := write(c.name, c.data)
		code, out, errOut := runCLI(t, "check", f)
		if code != 2 || !strings.Contains(errOut, c.say) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%s: exit %d, want 2 and one line saying %q\n%s%s", c.name, code, c.say, out, errOut)
		}
	}
}
