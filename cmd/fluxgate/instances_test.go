package main

import (
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/journal"
)

// status lists the instances sharing a PostgreSQL journal, in French or English: the
// scheduler, and one that went silent, said as such.
func TestPrintInstances(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ins := []journal.Instance{
		{ID: "gw-a", Host: "h1", PID: 1, Version: "1.4.0", Started: now.Add(-time.Hour), Seen: now, Scheduler: true},
		{ID: "gw-b", Host: "h2", PID: 2, Version: "1.4.0", Started: now.Add(-time.Hour), Seen: now.Add(-2 * time.Minute), Stale: true},
	}
	var en, fr strings.Builder
	printInstances("en", &en, ins, now)
	printInstances("fr", &fr, ins, now)
	for _, want := range []string{"gw-a  h1 pid 1", "running, scheduler", "gw-b  h2 pid 2", "SILENT since 2026-12-01 09:58:00 UTC (no heartbeat for 2m0s)"} {
		if !strings.Contains(en.String(), want) {
			t.Errorf("en lacks %q:\n%s", want, en.String())
		}
	}
	for _, want := range []string{"en marche, ordonnanceur", "MUETTE depuis"} {
		if !strings.Contains(fr.String(), want) {
			t.Errorf("fr lacks %q:\n%s", want, fr.String())
		}
	}
	var none strings.Builder
	printInstances("en", &none, nil, now)
	if none.Len() != 0 {
		t.Errorf("a lone gateway prints %q", none.String())
	}
}
