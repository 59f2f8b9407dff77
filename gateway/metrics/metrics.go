// Package metrics exports the gateway's state to Prometheus. Most families are read from
// the journal and from the gateway's in-memory state at scrape time, as the status pages
// read them, so that there is no second model of the truth; only call latencies and
// pauses, which the journal does not keep, are fed by the delivery's Observer hooks.
// Labels are bounded: sources and destinations come from the configuration, statuses from
// fixed vocabularies; never a file name or an invoice number.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// State is what the collector reads of the running gateway (*gateway.Gateway).
type State interface {
	Sources() []gateway.SourceState
	Destinations() []gateway.DestinationState
}

// Metrics is the registry of the gateway's metrics. It is a delivery.Observer: pass it to
// Gateway.Observe.
type Metrics struct {
	reg      *prometheus.Registry
	deposit  *prometheus.HistogramVec
	tracking *prometheus.HistogramVec
	pauses   *prometheus.CounterVec
}

// Latency buckets, in seconds: from a local folder (milliseconds) to a slow platform API
// (its time-out is a minute by default).
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

// New returns the metrics of the gateway g, reading the journal j (a reader: see
// journal.OpenReader) at each scrape.
func New(g State, j *journal.Journal, version string, log *slog.Logger) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		deposit: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fluxgate_deposit_duration_seconds", Buckets: buckets,
			Help: "Time a deposit call to a destination took, by outcome (ok, transient, permanent).",
		}, []string{"destination", "outcome"}),
		tracking: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fluxgate_tracking_duration_seconds", Buckets: buckets,
			Help: "Time a call asking a platform for the statuses of deposited invoices took, by outcome (ok, error).",
		}, []string{"destination", "outcome"}),
		pauses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fluxgate_destination_pauses_total",
			Help: "Times the breaker paused a destination after repeated failed rounds.",
		}, []string{"destination"}),
	}
	// Every series exists from the start, so that a dashboard or an alert rule sees zeros
	// rather than nothing.
	for _, d := range g.Destinations() {
		for _, o := range []string{"ok", "transient", "permanent"} {
			m.deposit.WithLabelValues(d.Name, o)
		}
		for _, o := range []string{"ok", "error"} {
			m.tracking.WithLabelValues(d.Name, o)
		}
		m.pauses.WithLabelValues(d.Name)
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: "fluxgate_build_info", Help: "The running version.",
		ConstLabels: prometheus.Labels{"version": version}})
	info.Set(1)
	m.reg.MustRegister(m.deposit, m.tracking, m.pauses, info, &collector{g: g, j: j, log: log}, &instances{j: j, log: log},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry holding every family (for tests and other exporters).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format. A family whose journal
// query failed is left out and the others are served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Timeout: 20 * time.Second})
}

// Deposited records a deposit call's latency (delivery.Observer).
func (m *Metrics) Deposited(dest string, _ int, took time.Duration, err error) {
	outcome := "ok"
	switch {
	case err != nil && deposit.IsPermanent(err):
		outcome = "permanent"
	case err != nil:
		outcome = "transient"
	}
	m.deposit.WithLabelValues(dest, outcome).Observe(took.Seconds())
}

// Tracked records a tracking call's latency (delivery.Observer).
func (m *Metrics) Tracked(dest string, took time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.tracking.WithLabelValues(dest, outcome).Observe(took.Seconds())
}

// Paused counts a pause (delivery.Observer).
func (m *Metrics) Paused(dest string, _ time.Time, _ error) { m.pauses.WithLabelValues(dest).Inc() }

// collector reads the journal and the gateway's state at each scrape.
type collector struct {
	g   State
	j   *journal.Journal
	log *slog.Logger
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	filesTotal = desc("fluxgate_files_total", "Files finished, by source and status (ACCEPTED, PARTIAL, REJECTED, DUPLICATE).", "source", "status")
	filesBusy  = desc("fluxgate_files_in_progress", "Files claimed and not finished yet, by source.", "source")
	invoices   = desc("fluxgate_invoices", "Invoices in the journal by source and current status (QUEUED, DEPOSITED, REJECTED, DUPLICATE).", "source", "status")
	fluxes     = desc("fluxgate_fluxes", "Flux files by destination and state (queued, depositing, deposited, failed): the queue is queued + depositing.", "destination", "state")
	deposited  = desc("fluxgate_fluxes_deposited_total", "Flux files deposited, by destination.", "destination")
	retries    = desc("fluxgate_deposit_retries_total", "Deposit attempts that repeated an earlier failed one, by destination.", "destination")
	platform   = desc("fluxgate_platform_statuses_total", "Statuses platforms sent back about deposited invoices, by destination and status code.", "destination", "status")
	jsize      = desc("fluxgate_journal_size_bytes", "Size of the journal database.")
	srcUp      = desc("fluxgate_source_up", "1 when the latest listing of the source folder succeeded, 0 when it failed or none was made yet.", "source")
	srcScan    = desc("fluxgate_source_last_scan_timestamp_seconds", "When the source folder was last listed successfully (Unix time; 0 never).", "source")
	srcWait    = desc("fluxgate_source_files_waiting", "Files the latest listing saw and did not take, by source and reason.", "source", "reason")
	dstPaused  = desc("fluxgate_destination_paused", "1 while the breaker pauses the destination's deposits.", "destination")
	dstFails   = desc("fluxgate_destination_failed_rounds", "Consecutive failed deposit rounds of the destination (the breaker pauses at 5).", "destination")
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{filesTotal, filesBusy, invoices, fluxes, deposited, retries, platform, jsize, srcUp, srcScan, srcWait, dstPaused, dstFails} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sources, dests := c.g.Sources(), c.g.Destinations()

	// Series of every configured source and destination exist even at zero.
	busy := map[string]float64{}
	delivered := map[string]float64{}
	retried := map[string]float64{}
	for _, s := range sources {
		busy[s.Name] = 0
	}
	for _, d := range dests {
		delivered[d.Name], retried[d.Name] = 0, 0
	}
	c.tally(ch, filesTotal, func() ([]journal.Tally, error) { return c.j.FileTally(ctx, time.Time{}) }, func(t journal.Tally) bool {
		if t.Status == journal.ProcessingStatus {
			busy[t.Group] += float64(t.N)
			return false
		}
		return true
	}, prometheus.CounterValue)
	for s, n := range busy {
		ch <- prometheus.MustNewConstMetric(filesBusy, prometheus.GaugeValue, n, s)
	}
	c.tally(ch, invoices, func() ([]journal.Tally, error) { return c.j.InvoiceTally(ctx) }, nil, prometheus.GaugeValue)
	c.tally(ch, fluxes, func() ([]journal.Tally, error) { return c.j.FluxTally(ctx) }, func(t journal.Tally) bool {
		if t.Status == journal.FluxDeposited {
			delivered[t.Group] += float64(t.N)
		}
		return true
	}, prometheus.GaugeValue)
	for d, n := range delivered {
		ch <- prometheus.MustNewConstMetric(deposited, prometheus.CounterValue, n, d)
	}
	if ts, err := c.j.RetryTally(ctx); err != nil {
		c.fail(ch, retries, err)
	} else {
		for _, t := range ts {
			retried[t.Group] += float64(t.N)
		}
		for d, n := range retried {
			ch <- prometheus.MustNewConstMetric(retries, prometheus.CounterValue, n, d)
		}
	}
	c.tally(ch, platform, func() ([]journal.Tally, error) { return c.j.PlatformTally(ctx) }, nil, prometheus.CounterValue)
	if n, err := c.j.SizeBytes(ctx); err != nil {
		c.fail(ch, jsize, err)
	} else {
		ch <- prometheus.MustNewConstMetric(jsize, prometheus.GaugeValue, float64(n))
	}

	for _, s := range sources {
		up, scan := 0.0, 0.0
		if s.Up {
			up = 1
		}
		if !s.LastScan.IsZero() {
			scan = float64(s.LastScan.UnixMilli()) / 1000
		}
		ch <- prometheus.MustNewConstMetric(srcUp, prometheus.GaugeValue, up, s.Name)
		ch <- prometheus.MustNewConstMetric(srcScan, prometheus.GaugeValue, scan, s.Name)
		waiting := map[string]float64{}
		for _, k := range gateway.WaitKinds {
			waiting[k] = 0
		}
		for _, w := range s.Waiting {
			waiting[w.Kind]++
		}
		for k, n := range waiting {
			ch <- prometheus.MustNewConstMetric(srcWait, prometheus.GaugeValue, n, s.Name, k)
		}
	}
	for _, d := range dests {
		paused := 0.0
		if d.Paused() {
			paused = 1
		}
		ch <- prometheus.MustNewConstMetric(dstPaused, prometheus.GaugeValue, paused, d.Name)
		ch <- prometheus.MustNewConstMetric(dstFails, prometheus.GaugeValue, float64(d.Failures), d.Name)
	}
}

// tally sends one metric per row of a journal tally; keep, when set, filters the rows.
func (c *collector) tally(ch chan<- prometheus.Metric, d *prometheus.Desc, query func() ([]journal.Tally, error), keep func(journal.Tally) bool, vt prometheus.ValueType) {
	ts, err := query()
	if err != nil {
		c.fail(ch, d, err)
		return
	}
	for _, t := range ts {
		if keep != nil && !keep(t) {
			continue
		}
		ch <- prometheus.MustNewConstMetric(d, vt, float64(t.N), t.Group, t.Status)
	}
}

func (c *collector) fail(ch chan<- prometheus.Metric, d *prometheus.Desc, err error) {
	c.log.Warn("metrics: journal not read", "err", err)
	ch <- prometheus.NewInvalidMetric(d, err)
}
