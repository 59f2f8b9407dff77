package journal

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func openTest(t testing.TB) *Journal {
	t.Helper()
	if testPG != nil {
		return openPGTest(t)
	}
	j, err := Open(context.Background(), filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func TestFileLifecycle(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id, err := j.ClaimFile(ctx, "ventes", "a.csv", "abc", 12, 0)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := j.Pending(ctx, "ventes")
	if err != nil || len(pending) != 1 || pending[0].State != FileClaimed {
		t.Fatalf("pending after claim = %+v, %v", pending, err)
	}
	invs := []NewInvoice{
		{Seq: 1, Number: "F1", FirstLine: 2, LastLine: 3, Fluxes: []Flux{
			{Destination: "out", Syntax: "ubl", SpoolName: "1-1-ubl.xml", FinalName: "F1_ubl.xml", SHA256: "x"},
			{Destination: "out", Syntax: "cii", SpoolName: "1-1-cii.xml", FinalName: "F1_cii.xml", SHA256: "y"},
		}},
		{Seq: 2, Number: "F2", FirstLine: 4, LastLine: 4, Problems: []Problem{{Rule: "BR-07", Severity: "fatal", Line: 4, BT: []string{"BT-44"}, FR: "nom", EN: "name"}}},
	}
	// Recording twice (a crash after the first record) must not double the invoices.
	for range 2 {
		if err := j.RecordResult(ctx, id, StatusPartial, nil, invs, ""); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.Invoices(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Status != InvoiceQueued || got[1].Status != InvoiceRejected || len(got[0].Fluxes) != 2 {
		t.Fatalf("invoices = %+v", got)
	}
	if p := got[1].Problems; len(p) != 1 || p[0].Rule != "BR-07" || p[0].Line != 4 || p[0].BT[0] != "BT-44" {
		t.Fatalf("problems = %+v", p)
	}
	taken, err := j.NameTaken(ctx, "out", "F1_ubl.xml", id+1)
	if err != nil || !taken {
		t.Fatalf("NameTaken for another file = %v, %v", taken, err)
	}
	if taken, _ := j.NameTaken(ctx, "out", "F1_ubl.xml", id); taken {
		t.Fatal("a file's own fluxes must not count as taken")
	}

	fluxes, err := j.Deliverable(ctx, "out", time.Time{})
	if err != nil || len(fluxes) != 2 {
		t.Fatalf("deliverable = %+v, %v", fluxes, err)
	}
	if err := j.StartDeposit(ctx, fluxes[0].ID); err != nil {
		t.Fatal(err)
	}
	// A flux left depositing by a crash is still deliverable.
	if again, _ := j.Deliverable(ctx, "out", time.Time{}); len(again) != 2 || again[0].State != FluxDepositing {
		t.Fatalf("after StartDeposit: %+v", again)
	}
	if err := j.Deposited(ctx, fluxes[0].ID, "r1", false); err != nil {
		t.Fatal(err)
	}
	got, _ = j.Invoices(ctx, id)
	if got[0].Status != InvoiceQueued {
		t.Fatalf("invoice deposited with one flux of two pending: %s", got[0].Status)
	}
	if err := j.DepositFailed(ctx, fluxes[1].ID, "down", false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if again, _ := j.Deliverable(ctx, "out", time.Time{}); len(again) != 1 || again[0].LastError != "down" || again[0].Attempts != 0 {
		t.Fatalf("after transient failure: %+v", again)
	}
	if err := j.Deposited(ctx, fluxes[1].ID, "r2", false); err != nil {
		t.Fatal(err)
	}
	got, _ = j.Invoices(ctx, id)
	if got[0].Status != InvoiceDeposited {
		t.Fatalf("invoice status = %s, want DEPOSITED", got[0].Status)
	}
	if fluxes[1].FileID != id {
		t.Fatalf("flux's FileID = %d, want %d", fluxes[1].FileID, id)
	}
	if err := j.MoveFile(ctx, id, "archive/a.csv", FileDone); err != nil {
		t.Fatal(err)
	}
	if pending, _ := j.Pending(ctx, "ventes"); len(pending) != 0 {
		t.Fatalf("pending after done = %+v", pending)
	}
}

func TestReopenKeepsStateAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "j.db")
	j, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := j.ClaimFile(ctx, "s", "a.csv", "abc", 1, 0)
	j.Close()
	j, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	f, err := j.File(ctx, id)
	if err != nil || f.Name != "a.csv" || f.SHA256 != "abc" {
		t.Fatalf("file after reopen = %+v, %v", f, err)
	}
}

func TestPermanentFailureLeavesQueue(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id, _ := j.ClaimFile(ctx, "s", "a.csv", "abc", 1, 0)
	if err := j.RecordResult(ctx, id, StatusAccepted, nil, []NewInvoice{{Seq: 1, Number: "F1", Fluxes: []Flux{{Destination: "d", Syntax: "ubl", SpoolName: "s", FinalName: "f"}}}}, ""); err != nil {
		t.Fatal(err)
	}
	fl, _ := j.Deliverable(ctx, "d", time.Time{})
	if err := j.DepositFailed(ctx, fl[0].ID, "refused", true, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if again, _ := j.Deliverable(ctx, "d", time.Time{}); len(again) != 0 {
		t.Fatalf("a permanently refused flux is still queued: %+v", again)
	}
}

func TestIdempotenceLookups(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	first, _ := j.ClaimFile(ctx, "s", "a.csv", "sha-a", 1, 0)
	inv := NewInvoice{Seq: 1, Seller: "FR1", Number: "F1", IssueDate: "2026-11-02", Fluxes: []Flux{{Destination: "d", Syntax: "ubl", SpoolName: "s1", FinalName: "F1"}}}
	if err := j.RecordResult(ctx, first, StatusAccepted, nil, []NewInvoice{inv}, ""); err != nil {
		t.Fatal(err)
	}
	second, _ := j.ClaimFile(ctx, "s", "b.csv", "sha-a", 1, 0)
	if f, ok, err := j.Accepted(ctx, "s", "sha-a", second); err != nil || !ok || f.ID != first {
		t.Fatalf("Accepted = %+v, %v, %v", f, ok, err)
	}
	if _, ok, _ := j.Accepted(ctx, "s", "sha-a", first); ok {
		t.Fatal("a file is not a duplicate of itself")
	}
	if _, ok, _ := j.Accepted(ctx, "other", "sha-a", second); ok {
		t.Fatal("duplicates are per source")
	}
	p, ok, err := j.AcceptedInvoice(ctx, "FR1", "F1", "2026-11-02", second)
	if err != nil || !ok || p.FileID != first || p.FileName != "a.csv" {
		t.Fatalf("AcceptedInvoice = %+v, %v, %v", p, ok, err)
	}
	for _, c := range [][3]string{{"FR2", "F1", "2026-11-02"}, {"FR1", "F1", "2026-11-03"}, {"FR1", "F2", "2026-11-02"}} {
		if _, ok, _ := j.AcceptedInvoice(ctx, c[0], c[1], c[2], second); ok {
			t.Errorf("%v matched", c)
		}
	}
}

func TestBackOffAndRequeue(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id, _ := j.ClaimFile(ctx, "s", "a.csv", "x", 1, 0)
	j.RecordResult(ctx, id, StatusAccepted, nil, []NewInvoice{{Seq: 1, Number: "F1", Fluxes: []Flux{{Destination: "d", Syntax: "ubl", SpoolName: "s1", FinalName: "F1"}}}}, "")
	fl, _ := j.Deliverable(ctx, "d", time.Time{})
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	next := now.Add(time.Minute)
	if err := j.DepositFailed(ctx, fl[0].ID, "down", false, next); err != nil {
		t.Fatal(err)
	}
	if due, _ := j.Deliverable(ctx, "d", now); len(due) != 0 {
		t.Fatal("a flux waiting out its back-off is due")
	}
	if due, _ := j.Deliverable(ctx, "d", next); len(due) != 1 {
		t.Fatal("a flux whose back-off is over is not due")
	}
	if at, ok, err := j.NextAttempt(ctx, "d"); err != nil || !ok || !at.Equal(next) {
		t.Fatalf("NextAttempt = %v, %v, %v", at, ok, err)
	}
	if n, err := j.Requeue(ctx, id); err != nil || n != 1 {
		t.Fatalf("Requeue = %d, %v", n, err)
	}
	if due, _ := j.Deliverable(ctx, "d", now); len(due) != 1 {
		t.Fatal("a requeued flux is not due at once")
	}
	if err := j.DepositFailed(ctx, fl[0].ID, "refused", true, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n, _ := j.Requeue(ctx, 0); n != 1 {
		t.Fatalf("Requeue of all failed = %d", n)
	}
	events, err := j.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	want := []string{EventClaimed, EventProcessed, EventDepositFailed, EventRequeued, EventDepositFailed, EventRequeued}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("events = %v, want %v", kinds, want)
	}
}

func TestStaleAcks(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id, _ := j.ClaimFile(ctx, "s", "a.csv", "x", 1, 0)
	if ids, _ := j.StaleAcks(ctx); len(ids) != 1 || ids[0] != id {
		t.Fatalf("after claim: %v", ids)
	}
	lag, _ := j.AckLag(ctx, id)
	j.AckWritten(ctx, id, lag)
	if ids, _ := j.StaleAcks(ctx); len(ids) != 0 {
		t.Fatalf("after ack: %v", ids)
	}
	j.MoveFile(ctx, id, "archive/a", FileDone)
	if ids, _ := j.StaleAcks(ctx); len(ids) != 1 {
		t.Fatal("a transition must make the ack stale")
	}
}

// A stale ack older than the cutoff (its writer died) is found; a fresh one is left to
// the instance that is about to rewrite it.
func TestStaleAcksBefore(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id, _ := j.ClaimFile(ctx, "s", "a.csv", "x", 1, 0)
	if ids, err := j.StaleAcksBefore(ctx, time.Now().Add(-time.Hour), 10); err != nil || len(ids) != 0 {
		t.Fatalf("StaleAcksBefore(an hour ago) = %v, %v; want none", ids, err)
	}
	if ids, err := j.StaleAcksBefore(ctx, time.Now().Add(time.Hour), 10); err != nil || !slices.Equal(ids, []int64{id}) {
		t.Fatalf("StaleAcksBefore(in an hour) = %v, %v; want [%d]", ids, err, id)
	}
	lag, _ := j.AckLag(ctx, id)
	j.AckWritten(ctx, id, lag)
	if ids, _ := j.StaleAcksBefore(ctx, time.Now().Add(time.Hour), 10); len(ids) != 0 {
		t.Fatalf("StaleAcksBefore after the write = %v", ids)
	}
}

// An ack written from what the journal said before a transition (another instance
// deposited meanwhile) must leave the ack stale: else, were that instance killed before
// its own rewrite, the ack would lag for good with nothing left to catch it up.
func TestAckWrittenKeepsLaterTransitionStale(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id, _ := j.ClaimFile(ctx, "s", "a.csv", "x", 1, 0)
	lag, err := j.AckLag(ctx, id) // the writer reads the journal's view here
	if err != nil || lag == 0 {
		t.Fatalf("AckLag = %d, %v; want > 0 after the claim", lag, err)
	}
	if err := j.MoveFile(ctx, id, "archive/a", FileDone); err != nil { // a transition meanwhile
		t.Fatal(err)
	}
	if err := j.AckWritten(ctx, id, lag); err != nil {
		t.Fatal(err)
	}
	if ids, _ := j.StaleAcks(ctx); !slices.Equal(ids, []int64{id}) {
		t.Fatalf("stale acks %v: the transition after the writer's read must stay stale", ids)
	}
	lag, _ = j.AckLag(ctx, id)
	if err := j.AckWritten(ctx, id, lag); err != nil {
		t.Fatal(err)
	}
	if ids, _ := j.StaleAcks(ctx); len(ids) != 0 {
		t.Fatalf("stale acks %v after an up-to-date write", ids)
	}
}

// FileDone records the move and the ack in one transaction: the ack, rendered with the file
// done, clears the lag read before it plus the move itself; a transition between the read
// and FileDone keeps it stale, and an ack not written (lag -1) leaves it stale.
func TestFileDoneClearsTheAckLagOfItsMove(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	claim := func(name string) int64 {
		id, err := j.ClaimFile(ctx, "s", name, name, 1, 0)
		if err == nil {
			err = j.RecordResult(ctx, id, StatusRejected, nil, nil, "error/"+name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if f, _ := j.File(ctx, id); f.State != FileProcessed || f.StoredName != "error/"+name {
			t.Fatalf("recorded %+v; want processed, stored as error/%s", f, name)
		}
		return id
	}
	stale := func(id int64) bool {
		ids, err := j.StaleAcks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(ids, id)
	}

	done := claim("a.csv")
	lag, _ := j.AckLag(ctx, done)
	if err := j.FileDone(ctx, done, "error/a.csv", lag); err != nil {
		t.Fatal(err)
	}
	if f, _ := j.File(ctx, done); f.State != FileDone || f.StoredName != "error/a.csv" || stale(done) {
		t.Fatalf("after FileDone: %+v, stale %v; want done, ack up to date", f, stale(done))
	}

	raced := claim("b.csv")
	lag, _ = j.AckLag(ctx, raced)
	if err := j.MoveFile(ctx, raced, "error/b.csv", FileProcessed); err != nil { // a transition after the ack's read
		t.Fatal(err)
	}
	if err := j.FileDone(ctx, raced, "error/b.csv", lag); err != nil {
		t.Fatal(err)
	}
	if !stale(raced) {
		t.Fatal("a transition after the ack's read must keep the ack stale")
	}

	unwritten := claim("c.csv")
	if err := j.FileDone(ctx, unwritten, "error/c.csv", -1); err != nil {
		t.Fatal(err)
	}
	if f, _ := j.File(ctx, unwritten); f.State != FileDone || !stale(unwritten) {
		t.Fatalf("after FileDone without ack: %+v, stale %v; want done, ack stale", f, stale(unwritten))
	}
}

// The pipeline's SQLite connection runs with the settings that make a commit durable when
// it returns (sqlitePragmas): WAL synced at every commit, not only at checkpoints.
func TestSQLiteSettings(t *testing.T) {
	if testPG != nil {
		t.Skip("SQLite only")
	}
	ctx := context.Background()
	j := openTest(t)
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000"} {
		var got string
		if err := j.db.QueryRowContext(ctx, `PRAGMA `+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma, got, err, want)
		}
	}
}
