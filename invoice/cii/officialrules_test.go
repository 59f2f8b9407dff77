package cii

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

var updateRules = flag.Bool("update-rules", false, "regenerate the embedded official rule data from ../shared")

// TestSyntaxRulesData checks that the embedded CII syntax rules are exactly those of the
// official schematron in ../shared (regenerate with -update-rules).
func TestSyntaxRulesData(t *testing.T) {
	src := testutil.Shared(t, "reference", "fnfe-ctc-1.4.0", "CII", "EN16931", "schematron", "EN16931-CII-validation-preprocessed.sch")
	data, err := os.ReadFile(src)
	if err != nil {
		testutil.Missing(t, "official schematron: %v", err)
	}
	s, err := schematron.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	trimmed := s.Filter(func(a *schematron.Assert) bool { return strings.HasPrefix(a.ID, "CII-") })
	want := trimmed.Marshal("The CII syntax rules (CII-SR, CII-DT) of the official EN 16931 validation artefacts 1.3.16 "+
		"(CEN/TC 434, EUPL 1.2), trimmed from EN16931-CII-validation-preprocessed.sch as the FNFE-MPE bundle 1.4.0 carries it. "+
		"Generated: go test ./invoice/cii -run TestSyntaxRulesData -update-rules", true)
	if *updateRules {
		if err := os.WriteFile("en16931-syntax.sch", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(want, syntaxRulesData) {
		t.Fatal("en16931-syntax.sch differs from the official schematron: run go test ./invoice/cii -run TestSyntaxRulesData -update-rules")
	}
	if n := len(syntaxRules().Asserts()); n < 500 {
		t.Errorf("%d CII syntax rules, want the official 583", n)
	}
}
