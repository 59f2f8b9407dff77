package gateway

import (
	"context"
	"database/sql"
	"encoding/xml"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/internal/pgtest"
)

// An ack left stale by an instance killed between a transition and the ack's rewrite,
// and that never starts again, is caught up by the scheduler once the lag is older than
// stale_after: no start is needed for it.
func TestSchedulerCatchesUpADeadInstancesStaleAck(t *testing.T) {
	dsn := pgtest.Database(t)
	t.Setenv("FG_TEST_PG_DSN", dsn)
	e := newEnv(t)
	e.quiet = "50ms"
	cfg := e.config(t)
	cfg.Journal.Driver, cfg.Journal.DSNEnv = "postgres", "FG_TEST_PG_DSN"
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	g, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(w, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() { cancel(); <-done }()
	e.drop(t, "ventes-2026-11.csv", "lot.csv")
	ackFile := filepath.Join(e.acks, "lot.csv.ack.xml")
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Settled: deposited, the ack up to date, nothing left for this instance to rewrite.
	waitFor(t, func() bool {
		data, err := os.ReadFile(ackFile)
		var doc ack.Document
		var stale int
		db.QueryRow(`SELECT COUNT(*) FROM files WHERE ack_stale <> 0`).Scan(&stale)
		return err == nil && xml.Unmarshal(data, &doc) == nil && doc.Summary.Deposited == len(sampleInvoices) && stale == 0
	})
	waitFor(t, func() bool { return g.Scheduler() })

	// A dead instance's transition, an hour ago, whose ack it never rewrote.
	if err := os.Remove(ackFile); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE files SET ack_stale = ack_stale + 1, updated_at = $1`, time.Now().UTC().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, err := os.Stat(ackFile)
		return err == nil
	})
}
