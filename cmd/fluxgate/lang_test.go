package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// TestLang: map and status speak French by default, as the acks do, and English with
// --lang en, given before or after the command; another language is one clear error.
func TestLang(t *testing.T) {
	root := testutil.RepoRoot(t)
	m := filepath.Join(root, "examples", "mappings", "ventes-csv.xml")
	export := filepath.Join(root, "examples", "exports", "ventes-erreurs.csv")
	const fr, en = "La facture doit indiquer le nom de l'acheteur", "The invoice must contain the buyer name"

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"map", "-m", m, export}, fr},
		{[]string{"map", "--lang", "en", "-m", m, export}, en},
		{[]string{"--lang", "en", "map", "-m", m, export}, en},
	} {
		code, _, errOut := runCLI(t, c.args...)
		if code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr lacks %q:\n%s", c.args, code, c.want, errOut)
		}
	}

	dir := t.TempDir()
	cfg := writeConfig(t, dir, "ventes-erreurs.csv")
	if code, _, errOut := runCLI(t, "run", "--once", "-c", cfg); code != 1 {
		t.Fatalf("run --once: exit %d\n%s", code, errOut)
	}
	for lang, want := range map[string]string{"": fr, "fr": fr, "en": en} {
		args := []string{"status", "-c", cfg}
		if lang != "" {
			args = append(args, "--lang", lang)
		}
		if code, out, errOut := runCLI(t, args...); code != 0 || !strings.Contains(out, want) {
			t.Errorf("%v: exit %d, output lacks %q:\n%s%s", args, code, want, out, errOut)
		}
	}

	for _, cmd := range [][]string{{"map", "-m", m, export}, {"status", "-c", cfg}, {"test-mapping", dir}} {
		args := append([]string{"--lang", "de"}, cmd...)
		if code, _, errOut := runCLI(t, args...); code != 2 || !strings.Contains(errOut, `--lang "de": write fr or en`) {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestLangCheck: check follows the same --lang, before or after the command.
func TestLangCheck(t *testing.T) {
	invalid := invalidUBL(t) // BR-02: no invoice number
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", invalid}, "La facture doit avoir un numéro (BT-1)"},
		{[]string{"--lang", "en", "check", invalid}, "The invoice must have an invoice number (BT-1)"},
		{[]string{"check", "--lang", "en", invalid}, "The invoice must have an invoice number (BT-1)"},
	} {
		code, out, errOut := runCLI(t, c.args...)
		if code != 1 || !strings.Contains(out+errOut, c.want) {
			t.Errorf("%v: exit %d, output lacks %q:\n%s%s", c.args, code, c.want, out, errOut)
		}
	}
}
