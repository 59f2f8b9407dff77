package gateway

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// A file dropped under a 250-character name leaves no room for the names the gateway gives
// it (a dated name in error/, its ack): it is acknowledged REJECTED at once, with a
// shortened ack name, and moved out of the drop folder under a shortened name, so that no
// scan takes it again.
func TestLongFileNameRejectedAndPutAway(t *testing.T) {
	e := newEnv(t)
	name := strings.Repeat("n", 246) + ".csv"
	e.write(t, name, sampleBytes(t, "ventes-2026-11.csv"))
	g := e.open(t)
	if s := runOnce(t, g); s.Files != 1 || s.Rejected != 1 {
		t.Fatalf("summary = %+v", s)
	}
	if n := len(ack.Name(name)); n+ack.TempOverhead > ack.MaxName {
		t.Fatalf("ack name of %d bytes", n)
	}
	doc := e.ack(t, name)
	if doc.File.Name != name || doc.File.Status != "REJECTED" || len(doc.Problems) != 1 || doc.Problems[0].Rule != "FG-NAME-TOO-LONG" ||
		!strings.Contains(doc.Problems[0].Message, "250 octets") {
		t.Fatalf("ack = %+v", doc)
	}
	if !strings.HasPrefix(doc.File.StoredAs, errorDir+"/") {
		t.Fatalf("stored as %q", doc.File.StoredAs)
	}
	if left := list(t, e.inbox); len(left) != 1 || left[0] != ".fluxgate" {
		t.Fatalf("the drop folder still holds %v", left)
	}
	stored := stored(t, e, errorDir)
	if len(stored) != 1 || len(stored[0]) > ack.MaxName || !strings.Contains(stored[0], strings.Repeat("n", 100)) || !strings.HasSuffix(stored[0], ".csv") {
		t.Fatalf("error/ holds %v", stored)
	}
	// Nothing is taken again, nothing is retried.
	if s := runOnce(t, g); s.Files != 0 {
		t.Fatalf("taken again: %+v", s)
	}
	if pending, _ := g.journal.Pending(context.Background(), "ventes"); len(pending) != 0 {
		t.Fatalf("files left pending: %+v", pending)
	}
}

// A file whose processing keeps failing while its folder answers (here the spool turned
// into a file after the start) is tried maxResumeFailures times, counted in the journal,
// then acknowledged REJECTED, moved into error/ and logged as an error; it is not tried
// again.
func TestResumeThatKeepsFailingEndsRejected(t *testing.T) {
	e := newEnv(t)
	e.drop(t, "ventes-2026-11.csv", "v.csv")
	logs := &recordedLog{}
	g, err := New(context.Background(), e.config(t), slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	os.RemoveAll(e.spool)
	os.WriteFile(e.spool, []byte("not a folder any more"), 0o600)

	for i := 1; i < maxResumeFailures; i++ {
		g.RunOnce(context.Background())
		if data, err := os.ReadFile(filepath.Join(e.acks, ack.Name("v.csv"))); err == nil && bytes.Contains(data, []byte("REJECTED")) {
			t.Fatalf("rejected after %d failures", i)
		}
	}
	if logs.count(slog.LevelError, "file abandoned after repeated failures") != 0 {
		t.Fatal("abandoned too early")
	}
	g.RunOnce(context.Background()) // the last attempt allowed
	doc := e.ack(t, "v.csv")
	if doc.File.Status != "REJECTED" || len(doc.Problems) != 1 || doc.Problems[0].Rule != "FG-STUCK" ||
		!strings.Contains(doc.Problems[0].Message, "5 essais") || !strings.HasPrefix(doc.File.StoredAs, errorDir+"/") {
		t.Fatalf("ack = %+v", doc)
	}
	if got := stored(t, e, errorDir); len(got) != 1 {
		t.Fatalf("error/ holds %v", got)
	}
	if logs.count(slog.LevelError, "file abandoned after repeated failures") != 1 {
		t.Fatalf("no alert-worthy log line:\n%s", logs)
	}
	g.RunOnce(context.Background())
	events, _ := g.journal.Events(context.Background(), 1)
	failures := 0
	for _, ev := range events {
		if ev.Kind == journal.EventResumeFailed {
			failures++
		}
	}
	if failures != maxResumeFailures || logs.count(slog.LevelError, "file abandoned after repeated failures") != 1 {
		t.Fatalf("%d failures recorded, want %d; log:\n%s", failures, maxResumeFailures, logs)
	}
}

// recordedLog is a slog handler that keeps every record, for tests that look for a line.
type recordedLog struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *recordedLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *recordedLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *recordedLog) WithGroup(string) slog.Handler            { return l }
func (l *recordedLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}

func (l *recordedLog) count(level slog.Level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		if r.Level == level && r.Message == msg {
			n++
		}
	}
	return n
}

func (l *recordedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b bytes.Buffer
	for _, r := range l.recs {
		b.WriteString(r.Level.String() + " " + r.Message)
		r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
		b.WriteByte('\n')
	}
	return b.String()
}
