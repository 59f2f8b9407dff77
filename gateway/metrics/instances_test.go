package metrics

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/pgtest"
)

// /metrics has one series per running instance of a shared journal: up, scheduler, last
// heartbeat; a stopped one has none.
func TestInstanceMetrics(t *testing.T) {
	ctx := context.Background()
	j, err := journal.OpenPostgres(ctx, pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, in := range []journal.Instance{{ID: "gw-a", Host: "h1", PID: 1, Version: "1", Scheduler: true}, {ID: "gw-b", Host: "h2", PID: 2, Version: "1"}, {ID: "gw-c", Host: "h3", PID: 3, Version: "1"}} {
		if err := j.Heartbeat(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.InstanceStopped(ctx, "gw-c"); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&instances{j: j, log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "instance" {
					labels = l.GetValue()
				}
			}
			got[f.GetName()+"/"+labels] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"fluxgate_instance_up/gw-a": 1, "fluxgate_instance_up/gw-b": 1,
		"fluxgate_instance_scheduler/gw-a": 1, "fluxgate_instance_scheduler/gw-b": 0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if _, ok := got["fluxgate_instance_up/gw-c"]; ok {
		t.Error("a stopped instance has a series")
	}
	if got["fluxgate_instance_last_heartbeat_timestamp_seconds/gw-a"] < 1e9 {
		t.Errorf("last heartbeat: %v", got)
	}
}
