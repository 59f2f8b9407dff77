package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fluxgate/fluxgate/gateway/journal"
)

// The gateways sharing a PostgreSQL journal, as their heartbeats say (none on SQLite): an
// alert rule on fluxgate_instance_up == 0 finds one that died or lost the database.
var (
	instUp        = desc("fluxgate_instance_up", "1 while the instance heartbeats, 0 when it stopped heartbeating without a clean stop (killed, or cut off from the journal's database).", "instance", "host")
	instBeat      = desc("fluxgate_instance_last_heartbeat_timestamp_seconds", "When the instance last heartbeat (Unix time).", "instance", "host")
	instScheduler = desc("fluxgate_instance_scheduler", "1 for the instance elected to run the deposit windows and the tracking.", "instance", "host")
)

type instances struct {
	j   *journal.Journal
	log *slog.Logger
}

func (c *instances) Describe(ch chan<- *prometheus.Desc) {
	ch <- instUp
	ch <- instBeat
	ch <- instScheduler
}

func (c *instances) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ins, err := c.j.Instances(ctx)
	if err != nil {
		c.log.Warn("metrics: journal not read", "err", err)
		ch <- prometheus.NewInvalidMetric(instUp, err)
		return
	}
	for _, in := range ins {
		if !in.Stopped.IsZero() {
			continue
		}
		up, sched := 1.0, 0.0
		if in.Stale {
			up = 0
		}
		if in.Scheduler && !in.Stale {
			sched = 1
		}
		ch <- prometheus.MustNewConstMetric(instUp, prometheus.GaugeValue, up, in.ID, in.Host)
		ch <- prometheus.MustNewConstMetric(instBeat, prometheus.GaugeValue, float64(in.Seen.UnixNano())/1e9, in.ID, in.Host)
		ch <- prometheus.MustNewConstMetric(instScheduler, prometheus.GaugeValue, sched, in.ID, in.Host)
	}
}
