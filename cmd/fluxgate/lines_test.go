package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/mapping"
)

// Problems without a line print no "line 0" in status or in map's findings.
func TestNoLineZero(t *testing.T) {
	var rep gateway.StatusReport
	var f gateway.FileReport
	f.ID, f.Source, f.Name, f.Status = 1, "ventes", "v.csv", "REJECTED"
	f.Problems = []journal.Problem{{Rule: "FG-EMPTY", Severity: "fatal", EN: "The file holds no invoice."}}
	f.Invoices = []journal.Invoice{{Number: "F1", Status: "REJECTED", Problems: []journal.Problem{
		{Rule: "BR-CO-15", Severity: "fatal", EN: "totals"}, {Rule: "BR-07", Severity: "fatal", Line: 4, EN: "buyer"}}}}
	rep.Files = append(rep.Files, f)
	var out bytes.Buffer
	printStatus(&out, rep, nil, time.Now())
	if s := out.String(); strings.Contains(s, "line 0") || !strings.Contains(s, "FG-EMPTY: The file holds no invoice.") ||
		!strings.Contains(s, "BR-CO-15: totals") || !strings.Contains(s, "BR-07 line 4: buyer") {
		t.Fatalf("status:\n%s", s)
	}
	if got := where(mapping.Position{File: "v.csv"}); got != "v.csv" {
		t.Fatalf("where = %q", got)
	}
}
