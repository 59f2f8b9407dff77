package metrics

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/fluxgate/fluxgate/internal/gatewaytest"
)

// families are the metric families the issue asks for, by what they show.
var families = []string{
	"fluxgate_files_total",                        // files by source and status
	"fluxgate_files_in_progress",                  //
	"fluxgate_invoices",                           // invoices by source and status
	"fluxgate_fluxes",                             // queue per destination
	"fluxgate_fluxes_deposited_total",             // fluxes deposited by destination
	"fluxgate_deposit_duration_seconds",           // deposit latency
	"fluxgate_tracking_duration_seconds",          // tracking latency
	"fluxgate_deposit_retries_total",              // retries
	"fluxgate_destination_paused",                 // breaker state
	"fluxgate_destination_failed_rounds",          //
	"fluxgate_destination_pauses_total",           // pauses
	"fluxgate_source_up",                          // source connection state
	"fluxgate_source_last_scan_timestamp_seconds", // last successful scan
	"fluxgate_source_files_waiting",               // files waiting, and why
	"fluxgate_journal_size_bytes",                 // journal size
	"fluxgate_platform_statuses_total",            // platform statuses received
	"fluxgate_build_info",
}

// sums adds up every series of each family (a histogram counts its observations).
func sums(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		var s float64
		for _, x := range mf.Metric {
			s += value(mf.GetType(), x)
		}
		out[mf.GetName()] = s
	}
	return out
}

func value(typ dto.MetricType, m *dto.Metric) float64 {
	switch typ {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_HISTOGRAM:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}

func TestEveryFamilyMovesWithWork(t *testing.T) {
	ctx := context.Background()
	e := gatewaytest.New(t, gatewaytest.Options{WithPA: true})
	j, err := e.G.OpenJournalReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	m := New(e.G, j, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.G.Observe(m)
	before := sums(t, m)

	gatewaytest.Drop(t, e.Inbox, "ventes-2026-11.csv", gatewaytest.Sample(t, "ventes-2026-11.csv"))
	gatewaytest.Drop(t, e.Inbox, "partiel.csv", gatewaytest.Partial(t))
	gatewaytest.Drop(t, e.Inbox, "ventes-erreurs.csv", gatewaytest.Sample(t, "ventes-erreurs.csv"))
	gatewaytest.Drop(t, e.Inbox, "notes.txt", []byte("not an export")) // waits: excluded by the pattern
	gatewaytest.Drop(t, e.Achats, "achats.csv", gatewaytest.Renumbered(t, "ventes-2026-11.csv", "P"))
	// The outbox cannot take the first invoice (a folder squats its name): the first round
	// fails and so do five retries: five failed calls in a row pause the destination.
	blocker := filepath.Join(e.Outbox, "FA2026-1101_ubl.xml")
	if err := os.MkdirAll(blocker, 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := e.G.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		e.G.Retry(ctx, 0)
	}
	paused := sums(t, m)
	if paused["fluxgate_destination_paused"] != 1 || paused["fluxgate_destination_pauses_total"] < 1 {
		t.Fatalf("after five failed rounds the outbox is paused: paused=%v pauses=%v",
			paused["fluxgate_destination_paused"], paused["fluxgate_destination_pauses_total"])
	}
	if paused["fluxgate_destination_failed_rounds"] < 5 {
		t.Fatalf("failed rounds = %v", paused["fluxgate_destination_failed_rounds"])
	}
	os.Remove(blocker)
	if err := e.G.Resume("outbox"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.G.Retry(ctx, 0); err != nil {
		t.Fatalf("the outbox is back: %v", err)
	}
	if _, err := e.G.RunOnce(ctx); err != nil { // tracking
		t.Fatal(err)
	}
	after := sums(t, m)

	for _, f := range families {
		if _, ok := after[f]; !ok {
			t.Errorf("family %s is not exported", f)
			continue
		}
		switch f {
		case "fluxgate_files_in_progress", "fluxgate_destination_paused", "fluxgate_destination_failed_rounds", "fluxgate_build_info":
			continue // zero before and after the work, as it should
		}
		if after[f] == before[f] {
			t.Errorf("family %s did not move: %v", f, after[f])
		}
	}
	if after["fluxgate_deposit_retries_total"] != 6 {
		t.Errorf("retries = %v, want 6", after["fluxgate_deposit_retries_total"])
	}
	if after["fluxgate_files_total"] != 4 || after["fluxgate_source_files_waiting"] != 1 {
		t.Errorf("files = %v, waiting = %v", after["fluxgate_files_total"], after["fluxgate_source_files_waiting"])
	}

	// The exposition names no file and no invoice.
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, leak := range []string{"ventes-erreurs", "FA2026", "notes.txt"} {
		if strings.Contains(body, leak) {
			t.Errorf("the metrics show %q as a label", leak)
		}
	}
	if !strings.Contains(body, `fluxgate_files_total{source="ventes",status="PARTIAL"} 1`) {
		t.Errorf("exposition:\n%s", body)
	}
}
