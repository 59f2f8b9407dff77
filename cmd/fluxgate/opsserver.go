package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/alert"
	"github.com/fluxgate/fluxgate/gateway/httpapi"
	"github.com/fluxgate/fluxgate/gateway/metrics"
)

// startOps starts the daemon's operating side when it is configured: the HTTP server
// (status pages, JSON API, /healthz, /readyz, /metrics) and the alerts. They run beside
// the pipeline and read the journal through connections of their own. The function it
// returns stops them gracefully and waits for them; call it before closing the gateway.
func startOps(ctx context.Context, g *gateway.Gateway) (stop func(), err error) {
	cfg := g.Config()
	if cfg.HTTP == nil && cfg.Alerts == nil {
		return func() {}, nil
	}
	log := g.Logger()
	reader, err := g.OpenJournalReader(ctx)
	if err != nil {
		return nil, err
	}
	var closers []func() error
	closers = append(closers, reader.Close)
	cleanup := func() {
		for _, c := range closers {
			c()
		}
	}
	m := metrics.New(g, reader, version, log)
	g.Observe(m)

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stop = func() {
		cancel()
		wg.Wait()
		cleanup()
	}
	if cfg.HTTP != nil {
		srv, err := httpapi.New(httpapi.Options{HTTP: cfg.HTTP, Gateway: g, Journal: reader, Metrics: m.Handler(), Log: log, Version: version})
		if err != nil {
			stop()
			return nil, err
		}
		ready, failed := make(chan string, 1), make(chan error, 1)
		wg.Go(func() {
			if err := srv.Serve(ctx, ready); err != nil {
				log.Error("HTTP server stopped", "err", err)
				failed <- err
			}
		})
		select { // a port already taken is an error at the start, not a silent absence
		case <-ready:
		case err := <-failed:
			stop()
			return nil, err
		}
	}
	if cfg.Alerts != nil {
		channels, err := alert.Channels(cfg, nil)
		if err != nil {
			stop()
			return nil, fmt.Errorf("alerts: %w", err)
		}
		// Alerts are recorded: they write through a connection of their own, never the
		// pipeline's.
		w, err := g.OpenJournalWriter(ctx)
		if err != nil {
			stop()
			return nil, err
		}
		closers = append(closers, w.Close)
		public := ""
		if cfg.HTTP != nil {
			public = cfg.HTTP.PublicURL
		}
		e := alert.New(cfg.Alerts, public, g, w, channels, log)
		wg.Go(func() { e.Run(ctx) })
		log.Info("alerts on", "channels", len(channels))
	}
	return stop, nil
}
