package ubl

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

var updateRules = flag.Bool("update-rules", false, "regenerate the embedded official rule data from ../shared")

// TestSyntaxRulesData checks that the embedded UBL syntax rules are exactly those of the
// official schematron in ../shared (regenerate with -update-rules).
func TestSyntaxRulesData(t *testing.T) {
	src := testutil.Shared(t, "reference", "fnfe-ctc-1.4.0", "UBL", "EN16931", "schematron", "EN16931-UBL-validation-preprocessed.sch")
	data, err := os.ReadFile(src)
	if err != nil {
		testutil.Missing(t, "official schematron: %v", err)
	}
	s, err := schematron.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	trimmed := s.Filter(func(a *schematron.Assert) bool { return strings.HasPrefix(a.ID, "UBL-") })
	want := trimmed.Marshal("The UBL syntax rules (UBL-CR, UBL-SR, UBL-DT) of the official EN 16931 validation artefacts 1.3.16 "+
		"(CEN/TC 434, EUPL 1.2), trimmed from EN16931-UBL-validation-preprocessed.sch as the FNFE-MPE bundle 1.4.0 carries it. "+
		"Generated: go test ./invoice/ubl -run TestSyntaxRulesData -update-rules", true)
	if *updateRules {
		if err := os.WriteFile(filepath.Join("en16931-syntax.sch"), want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(want, syntaxRulesData) {
		t.Fatal("en16931-syntax.sch differs from the official schematron: run go test ./invoice/ubl -run TestSyntaxRulesData -update-rules")
	}
	if n := len(syntaxRules().Asserts()); n < 700 {
		t.Errorf("%d UBL syntax rules, want the official 756", n)
	}
}
