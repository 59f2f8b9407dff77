package journal

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// seedHTTP records two files: one partial (an invoice queued, one rejected by BR-07), one
// rejected by BR-07 twice and BR-CO-10; then deposits one flux and fails another.
func seedHTTP(t *testing.T, j *Journal) (partial, rejected int64) {
	t.Helper()
	ctx := context.Background()
	br07 := func(line int) Problem {
		return Problem{Rule: "BR-07", Severity: "fatal", Line: line, BT: []string{"BT-44"}, FR: "nom", EN: "name"}
	}
	partial, _ = j.ClaimFile(ctx, "ventes", "ventes-11.csv", "a", 10, 0)
	err := j.RecordResult(ctx, partial, StatusPartial, nil, []NewInvoice{
		{Seq: 1, Number: "FA-1", Fluxes: []Flux{{Destination: "out", Syntax: "ubl", SpoolName: "s1", FinalName: "FA-1_ubl.xml"}}},
		{Seq: 2, Number: "FA-2", Problems: []Problem{br07(4), {Rule: "W-1", Severity: "warning"}}},
	}, "")

	if err != nil {
		t.Fatal(err)
	}
	rejected, _ = j.ClaimFile(ctx, "achats", "achats_100%.csv", "b", 10, 0)
	err = j.RecordResult(ctx, rejected, StatusRejected, nil, []NewInvoice{
		{Seq: 1, Number: "FB-1", Problems: []Problem{br07(2), br07(3)}},
		{Seq: 2, Number: "FB-2", Problems: []Problem{{Rule: "BR-CO-10", Severity: "fatal"}}},
	}, "")

	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{partial, rejected} {
		if err := j.MoveFile(ctx, id, "archive/x", FileDone); err != nil {
			t.Fatal(err)
		}
	}
	invs, _ := j.Invoices(ctx, partial)
	fx := invs[0].Fluxes[0]
	j.StartDeposit(ctx, fx.ID)
	j.DepositFailed(ctx, fx.ID, "connection refused", false, time.Now().Add(time.Minute))
	j.StartDeposit(ctx, fx.ID)
	if err := j.Deposited(ctx, fx.ID, "r-1", true); err != nil {
		t.Fatal(err)
	}
	return partial, rejected
}

func TestSearchAndGroup(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "j.db")
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	partial, rejected := seedHTTP(t, w)
	j, err := OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := j.ClaimFile(ctx, "x", "y", "z", 1, 0); err == nil {
		t.Fatal("the reader must not write")
	}
	if err := w.Writable(ctx); err != nil {
		t.Fatalf("the writer is writable: %v", err)
	}
	if err := j.Writable(ctx); err == nil {
		t.Fatal("the reader is not writable")
	}

	ids := func(fs []File, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    FileFilter
		want []int64
	}{
		{"all, newest first", FileFilter{}, []int64{rejected, partial}},
		{"source", FileFilter{Source: "ventes"}, []int64{partial}},
		{"status", FileFilter{Status: StatusRejected}, []int64{rejected}},
		{"by invoice number", FileFilter{Text: "fb-2"}, []int64{rejected}},
		{"by name, % taken literally", FileFilter{Text: "100%"}, []int64{rejected}},
		{"underscore taken literally", FileFilter{Text: "a_h"}, nil},
		{"dates", FileFilter{From: time.Now().Add(time.Hour)}, nil},
		{"to", FileFilter{To: time.Now().Add(time.Hour)}, []int64{rejected, partial}},
		{"processing", FileFilter{Status: ProcessingStatus}, nil},
		{"limit", FileFilter{Limit: 1}, []int64{rejected}},
	} {
		if got := ids(j.SearchFiles(ctx, c.f)); !equalIDs(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}

	groups, err := j.RejectionsByRule(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].Rule != "BR-07" || groups[0].Invoices != 2 || groups[0].Files != 2 ||
		groups[1].Rule != "BR-CO-10" || groups[1].Invoices != 1 {
		t.Fatalf("groups = %+v", groups)
	}

	rows, err := j.InvoicesByStatus(ctx, InvoiceRejected, 0)
	if err != nil || len(rows) != 3 || rows[0].Number != "FB-2" || rows[0].Source != "achats" {
		t.Fatalf("rejected invoices = %+v, %v", rows, err)
	}
	files, _ := j.FileTally(ctx, time.Time{})
	if len(files) != 2 || files[0] != (Tally{"achats", StatusRejected, 1}) {
		t.Fatalf("file tally = %+v", files)
	}
	retries, _ := j.RetryTally(ctx)
	if len(retries) != 1 || retries[0].N != 1 {
		t.Fatalf("retries = %+v", retries)
	}
	act, err := j.Activity(ctx)
	if err != nil || act["out"].LastDeposit.IsZero() {
		t.Fatalf("activity = %+v, %v", act, err)
	}
	if n, err := j.SizeBytes(ctx); err != nil || n <= 0 {
		t.Fatalf("size = %d, %v", n, err)
	}
	done, err := j.FinishedFiles(ctx, 0, time.Time{}, StatusRejected, StatusPartial)
	if got := ids(done, err); !equalIDs(got, []int64{partial, rejected}) {
		t.Fatalf("finished = %v", got)
	}
}

func TestAlertRecords(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	if _, ok, err := j.LastAlert(ctx, "k"); ok || err != nil {
		t.Fatalf("no alert yet: %v %v", ok, err)
	}
	j.RecordAlert(ctx, AlertRecord{Rule: "file_rejected", Key: "k", FileID: 3, Subject: "s", Message: "m", Outcome: AlertFailed})
	j.RecordAlert(ctx, AlertRecord{Rule: "file_rejected", Key: "k", FileID: 3, Subject: "s", Message: "m", Outcome: AlertSent})
	a, ok, err := j.LastAlert(ctx, "k", AlertSent)
	if !ok || err != nil || a.Outcome != AlertSent || a.FileID != 3 {
		t.Fatalf("last = %+v %v %v", a, ok, err)
	}
	if n, _ := j.AlertsSince(ctx, time.Now().Add(-time.Minute), AlertSent); n != 1 {
		t.Fatalf("sent = %d", n)
	}
	if as, _ := j.FileAlerts(ctx, 3); len(as) != 2 {
		t.Fatalf("file alerts = %+v", as)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
