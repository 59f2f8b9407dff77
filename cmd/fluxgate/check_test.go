package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/syntax"
	"github.com/fluxgate/fluxgate/invoice/ubl"
)

// runCLI runs the command line and returns its exit status, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func example(t *testing.T, syn, name string) string {
	t.Helper()
	return testutil.Shared(t, "examples", "invoices", syn, name)
}

// invalidUBL writes a UBL invoice without a number (BR-02, fatal) and returns its path.
func invalidUBL(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(example(t, "ubl", "ubl-tc434-example1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	inv, _, err := ubl.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	inv.Number = ""
	out, err := ubl.Write(inv)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "no-number.xml")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckExitCodes(t *testing.T) {
	valid := []string{
		example(t, "ubl", "ubl-tc434-example1.xml"),
		example(t, "ubl", "ubl-tc434-creditnote1.xml"),
		example(t, "cii", "CII_example1.xml"),
	}
	notXML := writeTemp(t, "notxml.xml", "this is not XML <")
	notInvoice := writeTemp(t, "order.xml", `<?xml version="1.0"?><Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>`)
	invalid := invalidUBL(t)
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		inOut string
	}{
		{"valid", append([]string{"check"}, valid...), 0, "valid"},
		{"fatal", []string{"check", invalid}, 1, "BR-02"},
		{"fatal among valid", []string{"check", valid[0], invalid}, 1, "INVALID"},
		{"not XML", []string{"check", notXML}, 2, ""},
		{"not an invoice", []string{"check", valid[0], notInvoice, invalid}, 2, ""},
		{"missing file", []string{"check", filepath.Join(t.TempDir(), "nope.xml")}, 2, ""},
		{"bad format", []string{"check", "--format", "yaml", valid[0]}, 2, ""},
		{"no file", []string{"check"}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.inOut) {
				t.Errorf("stdout lacks %q:\n%s", tc.inOut, out)
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	valid := example(t, "cii", "CII_example1.xml")
	cn := example(t, "ubl", "ubl-tc434-creditnote1.xml")
	invalid := invalidUBL(t)
	notXML := writeTemp(t, "broken.xml", "<Invoice>")
	code, out, errOut := runCLI(t, "check", "--format", "json", "--lang", "en", valid, cn, invalid, notXML)
	if code != 2 {
		t.Errorf("exit %d, want 2 (stderr %s)", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want one per file:\n%s", len(lines), out)
	}
	type finding struct {
		Rule     string   `json:"rule"`
		Severity string   `json:"severity"`
		BT       []string `json:"bt"`
		Location string   `json:"location"`
		Message  string   `json:"message"`
	}
	type report struct {
		File     string    `json:"file"`
		Syntax   string    `json:"syntax"`
		Valid    *bool     `json:"valid"`
		Findings []finding `json:"findings"`
		Error    string    `json:"error"`
	}
	var reps []report
	for _, l := range lines {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &raw); err != nil {
			t.Fatalf("not one JSON object per line: %v\n%s", err, l)
		}
		for _, k := range []string{"file", "valid", "findings"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("no %q in %s", k, l)
			}
		}
		var r report
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		reps = append(reps, r)
	}
	want := []struct {
		file, syntax string
		valid        bool
	}{{valid, "cii", true}, {cn, "ubl-creditnote", true}, {invalid, "ubl-invoice", false}, {notXML, "", false}}
	for i, w := range want {
		r := reps[i]
		if r.File != w.file || r.Syntax != w.syntax || r.Valid == nil || *r.Valid != w.valid {
			t.Errorf("line %d: file %s syntax %q valid %v, want %s %q %v", i+1, r.File, r.Syntax, r.Valid, w.file, w.syntax, w.valid)
		}
	}
	if reps[3].Error == "" {
		t.Error("the broken file has no error")
	}
	var br02 *finding
	for i, f := range reps[2].Findings {
		if f.Rule == "BR-02" {
			br02 = &reps[2].Findings[i]
		}
		if f.Severity != "fatal" && f.Severity != "warning" {
			t.Errorf("severity %q", f.Severity)
		}
	}
	if br02 == nil {
		t.Fatalf("BR-02 not reported: %+v", reps[2].Findings)
	}
	if br02.Severity != "fatal" || len(br02.BT) != 1 || br02.BT[0] != "BT-1" || br02.Location != "/Invoice" ||
		!strings.Contains(br02.Message, "invoice number") {
		t.Errorf("BR-02 finding: %+v", *br02)
	}
}

func TestConvert(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		in, to string
		want   syntax.Syntax
	}{
		{example(t, "ubl", "ubl-tc434-example1.xml"), "cii", syntax.CII},
		{example(t, "ubl", "ubl-tc434-creditnote1.xml"), "cii", syntax.CII},
		{example(t, "cii", "CII_example1.xml"), "ubl", syntax.UBLInvoice},
	} {
		out := filepath.Join(dir, filepath.Base(tc.in)+"."+tc.to+".xml")
		code, _, errOut := runCLI(t, "convert", "--to", tc.to, tc.in, "-o", out)
		if code != 0 {
			t.Fatalf("convert %s: exit %d: %s", tc.in, code, errOut)
		}
		testutil.CheckInvoice(t, out)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		s, inv, vs, err := syntax.Read(data)
		if err != nil || s != tc.want {
			t.Fatalf("%s: syntax %q, err %v", out, s, err)
		}
		if vs = append(vs, syntax.Check(s, inv, nil)...); invoice.HasFatal(vs) {
			t.Errorf("%s: fatal findings after conversion: %v", out, vs)
		}
		// The converted file checks clean on the command line too.
		if code, stdout, _ := runCLI(t, "check", out); code != 0 {
			t.Errorf("check %s: exit %d\n%s", out, code, stdout)
		}
	}

	// Standard output without -o.
	code, stdout, _ := runCLI(t, "convert", "--to", "ubl", example(t, "cii", "CII_example2.xml"))
	if code != 0 || !strings.Contains(stdout, "<Invoice") {
		t.Errorf("convert to stdout: exit %d, output %.80q", code, stdout)
	}
	notXML := writeTemp(t, "x.xml", "garbage")
	for _, args := range [][]string{
		{"convert", "--to", "pdf", example(t, "cii", "CII_example2.xml")},
		{"convert", example(t, "cii", "CII_example2.xml")},
		{"convert", "--to", "cii", notXML},
	} {
		if code, _, _ := runCLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestConvertRefusesWhatCIICannotHold: CII D16B holds one preceding invoice reference (BG-3),
// so converting an invoice with two is refused (exit 1) rather than losing one.
func TestConvertRefusesWhatCIICannotHold(t *testing.T) {
	data, err := os.ReadFile(example(t, "ubl", "ubl-tc434-example1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	inv, _, err := ubl.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	inv.PrecedingInvoices = []invoice.PrecedingInvoice{{Number: "A-1"}, {Number: "A-2"}}
	out, err := ubl.Write(inv)
	if err != nil {
		t.Fatal(err)
	}
	in := writeTemp(t, "two-preceding.xml", string(out))
	target := filepath.Join(t.TempDir(), "out.xml")
	code, _, errOut := runCLI(t, "convert", "--to", "cii", in, "-o", target)
	if code != 1 || !strings.Contains(errOut, "preceding invoice") {
		t.Errorf("exit %d, stderr %q; want 1 naming the preceding invoices", code, errOut)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("output written anyway: %v", err)
	}
}
