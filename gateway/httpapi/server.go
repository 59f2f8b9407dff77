// Package httpapi is the daemon's HTTP side: /healthz and /readyz, /metrics, the status
// pages (server-rendered, embedded, French by default) and the JSON API under /api/v1,
// with the operator's actions (retry, reprocess, resume) as POSTs. It reads the journal
// through a reader of its own and the gateway's in-memory state, like `fluxgate status`:
// no second model of the truth. It never takes part in the pipeline: a slow page or a
// stuck client holds up nothing but itself.
package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// Gateway is what the server reads of the running gateway and asks of it
// (*gateway.Gateway).
type Gateway interface {
	Sources() []gateway.SourceState
	Destinations() []gateway.DestinationState
	Ready(ctx context.Context) error
	Requeue(ctx context.Context, fileID int64) (int, error)
	Reprocess(ctx context.Context, ref, mapping string) (int64, string, error)
	Resume(destination string) error
	OpenInput(ctx context.Context, fileID int64) (io.ReadCloser, string, error)
	OpenAck(ctx context.Context, fileID int64) (io.ReadCloser, string, error)
	Config() *config.Config
}

// Options configure a Server.
type Options struct {
	HTTP    *config.HTTPConfig
	Gateway Gateway
	Journal *journal.Journal // a reader (journal.OpenReader)
	Metrics http.Handler     // served at /metrics; nil leaves it out
	Log     *slog.Logger
	Version string
	// Getenv reads the users' tokens; nil means os.Getenv (and the _FILE variants).
	Getenv func(string) string
}

// Server serves the pages, the API, health and metrics.
type Server struct {
	opts  Options
	cfg   *config.HTTPConfig
	g     Gateway
	j     *journal.Journal
	log   *slog.Logger
	auth  *authenticator
	pages *pages
	mux   *http.ServeMux
}

// New prepares a server; it reads the users' tokens now, so that a missing one is an error
// at the start, not a locked door later.
func New(o Options) (*Server, error) {
	if o.HTTP == nil || o.Gateway == nil || o.Journal == nil {
		return nil, errors.New("httpapi: HTTP configuration, gateway and journal are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	auth, err := newAuthenticator(o.HTTP.Auth, o.Getenv)
	if err != nil {
		return nil, err
	}
	p, err := newPages()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, cfg: o.HTTP, g: o.Gateway, j: o.Journal, log: o.Log.With("component", "http"), auth: auth, pages: p, mux: http.NewServeMux()}
	s.routes()
	return s, nil
}

// Handler is the server's whole handler: authentication, cross-origin protection, routes.
func (s *Server) Handler() http.Handler { return s }

// Serve listens on the configured address and serves until ctx is done, then stops
// gracefully: requests in hand are finished (a reprocessing started by an operator is not
// cut), for at most 30 seconds. ready, when not nil, receives the address listened on.
func (s *Server) Serve(ctx context.Context, ready chan<- string) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("http: listen on %s: %w", s.cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if t := s.cfg.TLS; t != nil {
		cfg := s.opts.Gateway.Config()
		cert, err := tls.LoadX509KeyPair(cfg.Path(t.CertFile), cfg.Path(t.KeyFile))
		if err != nil {
			ln.Close()
			return fmt.Errorf("http: TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	s.log.Info("status pages and API listening", "url", scheme+"://"+ln.Addr().String()+"/", "users", len(s.cfg.Auth))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(stop)
	<-done
	s.log.Info("status pages and API stopped")
	if err != nil {
		return fmt.Errorf("http: shutdown: %w", err)
	}
	return nil
}
