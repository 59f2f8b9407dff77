package ack

import (
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/journal"
)

// A problem without a line (one of the whole file, or of the whole invoice) never reads
// line 0 in the ack.
func TestNoLineZero(t *testing.T) {
	f, invs := sample()
	invs[2].Problems = append(invs[2].Problems, journal.Problem{Rule: "BR-CO-15", Severity: "fatal", FR: "total", EN: "total"})
	f.Problems = []journal.Problem{{Rule: "FG-CHANGED", Severity: "fatal", FR: "changé", EN: "changed"}}
	data := render(t, f, invs, "fr", time.Now(), nil, FormatXML, "")
	if strings.Contains(string(data), `line="0"`) || strings.Contains(string(data), `Line="0"`) || strings.Contains(string(data), `mappingLine="0"`) {
		t.Fatalf("line 0 in the ack:\n%s", data)
	}
}
