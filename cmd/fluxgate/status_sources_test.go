package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway"
)

// The text status says beside the journal which source folders could not be listed, and
// why: a host key refused pauses the source.
func TestStatusTextShowsSourcesThatCannotBeListed(t *testing.T) {
	rep := gateway.StatusReport{Sources: []gateway.SourceStatus{
		{Name: "ventes", Folder: "sftp://u@h:22/in", Error: "host key of h:22 has CHANGED: …", Paused: true},
		{Name: "achats", Folder: "sftp://u@h:22/achats", Error: "dial tcp h:22: connection refused"},
		{Name: "local", Folder: "/srv/in"},
	}}
	var out bytes.Buffer
	printStatus(&out, rep, nil, time.Now())
	for _, want := range []string{
		"Source ventes (sftp://u@h:22/in) PAUSED: host key of h:22 has CHANGED",
		"Source achats (sftp://u@h:22/achats) cannot be listed: dial tcp h:22: connection refused",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status does not show %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Source local") {
		t.Errorf("a source listed fine is reported:\n%s", out.String())
	}
}
