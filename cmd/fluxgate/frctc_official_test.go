package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/officialxslt"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
)

// TestCheckFRCTCAgreesWithOfficial runs `check --profile fr-ctc` and the official compiled
// BR-FR stylesheets v1.4.0 (Saxon-HE for CII, SaxonJS for UBL, which Saxon 9.9 cannot
// compile) on every example and rule test in ../shared and on documents generated to
// exercise each French rule, and requires the same set of fired BR-FR rule ids per document.
// The generated documents must make every official rule fire at least once per syntax.
func TestCheckFRCTCAgreesWithOfficial(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the official stylesheets")
	}
	bundle := testutil.Shared(t, "reference", "fnfe-ctc-1.4.0")
	shared := testutil.Shared(t)
	dir := t.TempDir()

	var ublFiles, ciiFiles, generated []string
	for i, c := range frCases {
		u, c := frWrite(t, dir, i, c)
		ublFiles, ciiFiles = append(ublFiles, u), append(ciiFiles, c)
		generated = append(generated, u, c)
	}
	mu, mc := mvWrite(t, dir)
	ublFiles, ciiFiles = append(ublFiles, mu...), append(ciiFiles, mc...)
	generated = append(append(generated, mu...), mc...)
	for _, g := range []struct {
		pattern string
		list    *[]string
	}{
		{"examples/invoices/ubl/*", &ublFiles}, {"examples/rule-tests/Invoice-unit-UBL/*.xml", &ublFiles},
		{"examples/rule-tests/CreditNote-unit-UBL/*.xml", &ublFiles},
		{"examples/invoices/cii/*", &ciiFiles}, {"examples/rule-tests/cii/*.xml", &ciiFiles},
	} {
		files, _ := filepath.Glob(filepath.Join(shared, g.pattern))
		if len(files) == 0 {
			testutil.Missing(t, "no documents match %s", g.pattern)
		}
		*g.list = append(*g.list, files...)
	}

	official := officialxslt.SaxonJS(t, filepath.Join(bundle, "UBL/EN16931/2xslt/BR-FR-Flux2-Schematron-UBL.xslt"), ublFiles)
	for f, fs := range officialxslt.Saxon(t, filepath.Join(bundle, "CII/EN16931/2xslt/BR-FR-Flux2-Schematron-CII.xslt"), ciiFiles) {
		official[f] = fs
	}

	profile := invoice.FRCTC()
	fired := map[string]map[string]bool{"ubl": {}, "cii": {}} // rules the generated documents make fire
	agree := 0
	all := append(slices.Clone(ublFiles), ciiFiles...)
	for _, f := range all {
		rep := checkFile(f, profile, "en")
		if rep.Error != "" {
			t.Errorf("%s: check: %s", filepath.Base(f), rep.Error)
			continue
		}
		if fs := official[f]; len(fs) == 1 && fs[0].ID == officialxslt.ErrorID {
			// The official stylesheet stops on this document: check must refuse it too.
			if !slices.ContainsFunc(rep.Findings, func(x checkFinding) bool {
				return x.Severity == "fatal" && strings.Contains(x.Message, "cannot be evaluated")
			}) {
				t.Errorf("%s: the official stylesheet stops (%s), check does not say a rule cannot be evaluated", filepath.Base(f), fs[0].Text)
				continue
			}
			agree++
			continue
		}
		var want []string
		for _, x := range official[f] {
			want = append(want, x.Rule())
		}
		var got []string
		for _, x := range rep.Findings {
			if strings.HasPrefix(x.Rule, "BR-FR") {
				got = append(got, x.Rule)
				if x.Severity != "fatal" {
					t.Errorf("%s: %s is %s; the official FATAL schematrons flag it fatal", filepath.Base(f), x.Rule, x.Severity)
				}
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		want, got = slices.Compact(want), slices.Compact(got)
		if slices.Contains(generated, f) {
			syn := "ubl"
			if strings.HasSuffix(f, ".cii.xml") {
				syn = "cii"
			}
			for _, r := range want {
				fired[syn][r] = true
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: check --profile fr-ctc fires %v, the official stylesheet %v", filepath.Base(f), got, want)
			continue
		}
		agree++
	}
	t.Logf("%d/%d documents agree (%d generated)", agree, len(all), len(generated))

	// Coverage: every official rule fires on some generated document of its syntax.
	for _, syn := range []string{"ubl", "cii"} {
		var missing []string
		for _, r := range profile.Rules {
			if !r.Document || slices.Contains(neverFires[syn], r.ID) || slices.Contains(frOneSyntax[otherSyntax(syn)], r.ID) {
				continue
			}
			if !fired[syn][r.ID] {
				missing = append(missing, r.ID)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s: no generated document makes these rules fire: %v", syn, missing)
		}
	}
}

// frOneSyntax are the official rules of one syntax only.
var frOneSyntax = map[string][]string{
	"ubl": {"BR-FR-32-ID", "BR-FR-MV-BD"},
	"cii": {"BR-FR-31", "BR-FR-32-GLOBALID", "BR-FR-BD-13"},
}

// neverFires are official rules that no document can make fire in that syntax, as v1.4.0
// states them: the UBL context of BR-FR-27 (ubl:Invoice/cac:Item/…) matches no element of a
// UBL invoice.
var neverFires = map[string][]string{
	"ubl": {"BR-FR-27"},
}

func otherSyntax(s string) string {
	if s == "ubl" {
		return "cii"
	}
	return "ubl"
}
