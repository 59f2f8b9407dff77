package deposit

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/officialxslt"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// cdarNameRe reads the invoice number and status code from an official example's name:
// UC4_F202500006_04-CDV-207_En_litige.xml.
var cdarNameRe = regexp.MustCompile(`^UC\d+_(F\d+)_\d+-CDV-(\d{3})_`)

// TestCDAROfficialExamples reads every official example CDAR message of the FNFE-MPE
// v1.4.0 test set: one status each, with the invoice number, the code, the seller's SIREN,
// the reason of a dispute and the time of the status.
func TestCDAROfficialExamples(t *testing.T) {
	files, _ := filepath.Glob(testutil.Shared(t, "examples", "cdar", "*.xml"))
	if len(files) == 0 {
		testutil.Missing(t, "no official CDAR examples")
	}
	for _, f := range files {
		m := cdarNameRe.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			t.Fatalf("%s: unexpected name", f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sts, err := ParseCDAR(data)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if len(sts) != 1 {
			t.Errorf("%s: %d statuses, want 1", filepath.Base(f), len(sts))
			continue
		}
		s := sts[0]
		if s.Invoice != m[1] || s.Code != m[2] || s.Seller != "100000009" || s.At.IsZero() {
			t.Errorf("%s: read %+v", filepath.Base(f), s)
		}
		if s.Code == "207" && (s.Reason != "TX_TVA_ERR" || s.Message != "Taux de TVA erroné") {
			t.Errorf("%s: dispute reason %q %q", filepath.Base(f), s.Reason, s.Message)
		}
	}
}

// cdarWith derives from the official dispute example (207) a message with another status:
// code, label and, where the official rules require one, a reason allowed for that code.
func cdarWith(t *testing.T, code, reason string) []byte {
	t.Helper()
	base := "UC4_F202500006_04-CDV-207_En_litige.xml"
	if code == "212" {
		base = "UC1_F202500003_07-CDV-212_Encaissee.xml" // carries the amounts collected (BR-FR-CDV-14)
	}
	data, err := os.ReadFile(testutil.Shared(t, "examples", "cdar", base))
	if err != nil {
		testutil.Missing(t, "official CDAR example: %v", err)
	}
	s := string(data)
	s = regexp.MustCompile(`<ram:ProcessConditionCode>\d+</ram:ProcessConditionCode>`).ReplaceAllString(s, "<ram:ProcessConditionCode>"+code+"</ram:ProcessConditionCode>")
	s = regexp.MustCompile(`<ram:ProcessCondition>[^<]*</ram:ProcessCondition>`).ReplaceAllString(s, "<ram:ProcessCondition>"+CDARLabels[code]+"</ram:ProcessCondition>")
	if code != "212" {
		if reason == "" {
			s = regexp.MustCompile(`(?s)<ram:SpecifiedDocumentStatus>.*</ram:SpecifiedDocumentStatus>`).ReplaceAllString(s, "")
		} else {
			s = strings.Replace(s, "<ram:ReasonCode>TX_TVA_ERR</ram:ReasonCode>", "<ram:ReasonCode>"+reason+"</ram:ReasonCode>", 1)
		}
	}
	return []byte(s)
}

// TestCDARLifecycleCodes: every status code of the lifecycle (200 to 213, and 501) in a
// message the official CDAR schema and schematron accept is read, and maps to an ack
// status: its label in French and English, whether it ends the invoice's lifecycle, whether
// it means the invoice was refused.
func TestCDARLifecycleCodes(t *testing.T) {
	cases := []struct {
		code, reason    string
		final, rejected bool
	}{
		{"200", "", false, false}, {"201", "", false, false}, {"202", "", false, false}, {"203", "", false, false},
		{"204", "", false, false}, {"205", "", false, false}, {"206", "QTE_ERR", false, false},
		{"207", "TX_TVA_ERR", false, false}, {"208", "JUSTIF_ABS", false, false}, {"209", "", false, false},
		{"210", "DOUBLON", true, true}, {"211", "", true, false}, {"212", "", true, false},
		{"213", "REJ_SEMAN", true, true}, {"501", "IRR_SYNTAX", true, true},
	}
	dir := t.TempDir()
	var files []string
	for _, c := range cases {
		data := cdarWith(t, c.code, c.reason)
		f := filepath.Join(dir, "CDV-"+c.code+".xml")
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)

		sts, err := ParseCDAR(data)
		if err != nil || len(sts) != 1 {
			t.Fatalf("%s: %v %v", c.code, sts, err)
		}
		s := sts[0]
		if s.Code != c.code || s.Reason != c.reason {
			t.Errorf("%s: read code %q reason %q", c.code, s.Code, s.Reason)
		}
		p := &PA{lifecycle: map[string][]CDARStatus{s.Invoice: sts}}
		ups := p.lifecycleUpdates(StatusUpdate{Receipt: "FLOW-1", Status: "Ok"}, s.Invoice)
		if len(ups) != 2 {
			t.Fatalf("%s: %d updates", c.code, len(ups))
		}
		u := ups[1]
		if u.Status != c.code || u.Final != c.final || u.Rejected != c.rejected || ups[0].Final != c.final {
			t.Errorf("%s: update %+v, want final %v rejected %v", c.code, u, c.final, c.rejected)
		}
		fr, en := StatusLabel(u.Status, u.Label, "fr"), StatusLabel(u.Status, u.Label, "en")
		if fr == "" || en == "" || fr == en && c.code != "201" {
			t.Errorf("%s: labels %q / %q", c.code, fr, en)
		}
	}
	// The derived messages are valid official messages: D22B schema and CDAR schematron.
	bundle := testutil.Shared(t, "reference", "fnfe-ctc-1.4.0", "CDAR")
	testutil.ValidateXSD(t, filepath.Join(bundle, "1xsd-CDAR_D22B_uncoupled", "CrossDomainAcknowledgementAndResponse_100pD22B.xsd"), files...)
	for f, fs := range officialxslt.Saxon(t, filepath.Join(bundle, "2xslt", "BR-FR-CDV-Schematron-CDAR.xslt"), files) {
		for _, x := range fs {
			if x.Flag == "fatal" {
				t.Errorf("%s: the official CDAR schematron reports %s: %s", filepath.Base(f), x.ID, x.Text)
			}
		}
	}
}

// TestCDARNestedStatus: a status inside the reason block (SpecifiedDocumentStatus/
// ProcessConditionCode, MDT-115) is not the invoice's status (MDT-105).
func TestCDARNestedStatus(t *testing.T) {
	data := cdarWith(t, "207", "TX_TVA_ERR")
	data = []byte(strings.Replace(string(data), "<ram:ReasonCode>TX_TVA_ERR</ram:ReasonCode>",
		"<ram:ProcessConditionCode>205</ram:ProcessConditionCode><ram:ReasonCode>TX_TVA_ERR</ram:ReasonCode>", 1))
	sts, err := ParseCDAR(data)
	if err != nil || len(sts) != 1 || sts[0].Code != "207" {
		t.Fatalf("read %+v, %v; want the status 207", sts, err)
	}
}
