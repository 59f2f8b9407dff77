package gateway

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/internal/pgtest"
)

// Two gateways on one PostgreSQL journal, watching one drop folder and depositing into one
// outbox (a shared file system here; SFTP and SIGKILL in cmd/fluxgate's harness): every
// file is processed by one of them, every invoice deposited once, every ack agrees, and
// exactly one of them is the scheduler. When the scheduler stops, the other is elected.
func TestTwoInstancesShareOneJournal(t *testing.T) {
	t.Setenv("FG_TEST_PG_DSN", pgtest.Database(t))
	e := newEnv(t)
	e.quiet = "50ms"
	open := func() *Gateway {
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
		return g
	}
	a, b := open(), open()
	if a.Instance() == "" || a.Instance() == b.Instance() {
		t.Fatalf("instance ids %q and %q", a.Instance(), b.Instance())
	}
	const files = 20
	header, rows, _ := bytes.Cut(sampleBytes(t, "ventes-2026-11.csv"), []byte("\n"))
	for i := range files {
		body := bytes.ReplaceAll(rows, []byte("FA2026-"), fmt.Appendf(nil, "F%03d-", i))
		body = bytes.ReplaceAll(body, []byte("AV2026-"), fmt.Appendf(nil, "A%03d-", i))
		e.write(t, fmt.Sprintf("lot-%03d.csv", i), append(append(append([]byte{}, header...), '\n'), body...))
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	doneA, doneB := make(chan error, 1), make(chan error, 1)
	go func() { doneA <- a.Run(ctxA) }()
	go func() { doneB <- b.Run(ctxB) }()
	defer func() { stopA(); stopB(); <-doneA; <-doneB }()

	fluxes := files * len(sampleInvoices) * 2 // UBL and CII
	acksAgree := func() bool {
		for i := range files {
			data, err := os.ReadFile(filepath.Join(e.acks, ack.Name(fmt.Sprintf("lot-%03d.csv", i))))
			var doc ack.Document
			if err != nil || xml.Unmarshal(data, &doc) != nil || doc.File.Status != "ACCEPTED" || doc.Summary.Deposited != len(sampleInvoices) {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if len(stored(t, e, archiveDir)) == files && len(list(t, e.outbox)) >= fluxes && acksAgree() {
			break
		}
		if time.Now().After(deadline) {
			for i := range files {
				data, _ := os.ReadFile(filepath.Join(e.acks, ack.Name(fmt.Sprintf("lot-%03d.csv", i))))
				var doc ack.Document
				xml.Unmarshal(data, &doc)
				t.Logf("lot-%03d: %s %+v", i, doc.File.Status, doc.Summary)
			}
			t.Fatalf("after 60s: %d archived, %d fluxes deposited; in the inbox %v, in processing %v",
				len(stored(t, e, archiveDir)), len(list(t, e.outbox)), list(t, e.inbox), stored(t, e, processingDir))
		}
	}
	if n := len(list(t, e.outbox)); n != fluxes {
		t.Errorf("%d fluxes in the outbox, want %d (one deposited twice?)", n, fluxes)
	}
	rep, err := b.Status(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != files {
		t.Errorf("%d files in the journal, want %d (a file claimed twice?)", len(rep.Files), files)
	}
	schedulers := 0
	for _, in := range rep.Instances {
		if in.Scheduler {
			schedulers++
		}
		if in.Stale || !in.Stopped.IsZero() {
			t.Errorf("instance %+v", in)
		}
	}
	if len(rep.Instances) != 2 || schedulers != 1 || a.Scheduler() == b.Scheduler() {
		t.Fatalf("instances %+v, a scheduler %v, b %v", rep.Instances, a.Scheduler(), b.Scheduler())
	}
	// The scheduler stops: its stop is recorded, and the other is elected.
	leader, stop, done, other := a, stopA, doneA, b
	if b.Scheduler() {
		leader, stop, done, other = b, stopB, doneB, a
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil // for the deferred wait
	waitFor(t, func() bool { return other.Scheduler() })
	rep, err = other.Status(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range rep.Instances {
		if in.ID == leader.Instance() && in.Stopped.IsZero() {
			t.Errorf("the stopped instance is not recorded stopped: %+v", in)
		}
	}
}

// The database goes down under a running instance: it pauses (nothing is lost, the
// process goes on) and, once the database is back, finishes what was dropped meanwhile.
func TestInstancePausesWhileTheDatabaseIsDown(t *testing.T) {
	pg := pgtest.New(t)
	dsn, err := pg.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
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
	e.drop(t, "ventes-2026-11.csv", "before.csv")
	waitFor(t, func() bool { return len(list(t, e.outbox)) == 2*len(sampleInvoices) })

	if err := pg.Pause(); err != nil {
		t.Fatal(err)
	}
	header, rows, _ := bytes.Cut(sampleBytes(t, "ventes-2026-11.csv"), []byte("\n"))
	body := bytes.ReplaceAll(rows, []byte("FA2026-"), []byte("FB2026-"))
	body = bytes.ReplaceAll(body, []byte("AV2026-"), []byte("AB2026-"))
	e.write(t, "during.csv", append(append(append([]byte{}, header...), '\n'), body...))
	time.Sleep(time.Second) // the watcher sees it and cannot claim it
	select {
	case err := <-done:
		t.Fatalf("the gateway stopped while the database was down: %v", err)
	default:
	}
	if err := pg.Resume(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(list(t, e.outbox)) == 4*len(sampleInvoices) })
	// Both acks end in agreement: one whose rewrite the outage cut is caught up.
	for _, name := range []string{"before.csv", "during.csv"} {
		waitFor(t, func() bool {
			data, err := os.ReadFile(filepath.Join(e.acks, ack.Name(name)))
			var doc ack.Document
			return err == nil && xml.Unmarshal(data, &doc) == nil && doc.Summary.Deposited == len(sampleInvoices)
		})
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
