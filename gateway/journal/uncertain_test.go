package journal

import (
	"context"
	"strings"
	"testing"
	"time"
)

// An uncertain flux is out of the queue (never deposited blindly), keeps its spool file
// (it may be sent again), wakes the runner for its next check, and goes back to the queue
// only by Resend (which leaves a warning on its invoice) or by an operator once its window
// is over.
func TestUncertainFluxLifecycle(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id, _ := j.ClaimFile(ctx, "s", "a.csv", "x", 1, 0)
	j.RecordResult(ctx, id, StatusAccepted, nil, []NewInvoice{{Seq: 1, Number: "F1", Fluxes: []Flux{{Destination: "d", Syntax: "ubl", SpoolName: "s1", FinalName: "F1_ubl.xml"}}}}, "")
	fl, _ := j.Deliverable(ctx, "d", time.Time{})
	fx := fl[0].ID
	since := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	until, next := since.Add(time.Hour), since.Add(10*time.Minute)
	if err := j.StartDeposit(ctx, fx); err != nil {
		t.Fatal(err)
	}
	if left, _ := j.LeftDepositing(ctx, "d"); len(left) != 1 {
		t.Fatalf("left depositing: %v", left)
	}
	if err := j.MarkUncertain(ctx, fx, "HTTP 503", since, until, next); err != nil {
		t.Fatal(err)
	}
	if due, _ := j.Deliverable(ctx, "d", time.Time{}); len(due) != 0 {
		t.Fatal("an uncertain flux is deliverable")
	}
	names := map[string]bool{}
	if err := j.EachSpoolName(ctx, func(name string) { names[name] = true }); err != nil || !names["s1"] {
		t.Fatal("the spool file of an uncertain flux may be removed")
	}
	if at, ok, _ := j.NextAttempt(ctx, "d"); !ok || !at.Equal(next) {
		t.Fatalf("NextAttempt = %v %v, want the next check %v", at, ok, next)
	}
	if due, _ := j.Uncertain(ctx, "d", next.Add(-time.Second)); len(due) != 0 {
		t.Fatal("due for a check before its time")
	}
	due, _ := j.Uncertain(ctx, "d", next)
	if len(due) != 1 || due[0].State != FluxUncertain || !due[0].Uncertain.Since.Equal(since) || !due[0].Uncertain.Until.Equal(until) {
		t.Fatalf("uncertain = %+v", due)
	}
	if err := j.Checked(ctx, fx, next, next.Add(10*time.Minute), "search: HTTP 502"); err != nil {
		t.Fatal(err)
	}
	invs, _ := j.Invoices(ctx, id)
	u := invs[0].Fluxes[0].Uncertain
	if u.Checks != 1 || !u.CheckedAt.Equal(next) || u.CheckError != "search: HTTP 502" {
		t.Fatalf("after a check: %+v", u)
	}
	if note := invs[0].Fluxes[0].UncertainNote("en"); !strings.Contains(note, "not sent again blindly") || !strings.Contains(note, "unanswered: search: HTTP 502") {
		t.Fatalf("note: %q", note)
	}
	if note := invs[0].Fluxes[0].UncertainNote("fr"); !strings.Contains(note, "pas renvoyé à l'aveugle") {
		t.Fatalf("note: %q", note)
	}
	// The window is over (until is an hour ago): an operator may send it again.
	if n, err := j.Requeue(ctx, id); err != nil || n != 1 {
		t.Fatalf("Requeue = %d, %v", n, err)
	}
	if err := j.MarkUncertain(ctx, fx, "time-out", since, until, next); err != nil {
		t.Fatal(err)
	}
	note := Problem{Rule: "FG-RESENT", Severity: "warning", FR: "renvoyé", EN: "re-sent"}
	if err := j.Resend(ctx, fx, until, note); err != nil {
		t.Fatal(err)
	}
	if err := j.Resend(ctx, fx, until, note); err == nil {
		t.Fatal("a flux no longer uncertain was sent again")
	}
	invs, _ = j.Invoices(ctx, id)
	f := invs[0].Fluxes[0]
	if f.State != FluxQueued || f.Uncertain.Resends != 1 || !f.Uncertain.ResentAt.Equal(until) || len(invs[0].Problems) != 1 || invs[0].Problems[0].Rule != "FG-RESENT" {
		t.Fatalf("after Resend: %+v, problems %+v", f, invs[0].Problems)
	}
	if err := j.StartDeposit(ctx, fx); err != nil {
		t.Fatal(err)
	}
	if err := j.MarkUncertain(ctx, fx, "time-out", since, until, next); err != nil {
		t.Fatal(err)
	}
	if err := j.Reconciled(ctx, fx, "CPP1", true); err != nil {
		t.Fatal(err)
	}
	invs, _ = j.Invoices(ctx, id)
	if f := invs[0].Fluxes[0]; f.State != FluxDeposited || f.Receipt != "CPP1" || !f.Tracking || invs[0].Status != InvoiceDeposited {
		t.Fatalf("after Reconciled: %+v, invoice %s", f, invs[0].Status)
	}
	events, _ := j.Events(ctx, id)
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	want := []string{EventClaimed, EventProcessed, EventDepositStarted, EventDepositUncertain, EventRequeued, EventDepositUncertain,
		EventResent, EventDepositStarted, EventDepositUncertain, EventReconciled}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Fatalf("events %v, want %v", kinds, want)
	}
}
