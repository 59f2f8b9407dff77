package journal

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// queuedFile records a processed file with n invoices, one flux each to destination.
func queuedFile(t *testing.T, j *Journal, name, destination string, n int) (int64, []int64) {
	t.Helper()
	ctx := context.Background()
	id, err := j.ClaimFile(ctx, "ventes", name, "sha-"+name, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var invs []NewInvoice
	for i := range n {
		num := fmt.Sprintf("%s-%d", name, i)
		invs = append(invs, NewInvoice{Seq: i + 1, Number: num, Fluxes: []Flux{{Destination: destination, Syntax: "ubl",
			SpoolName: num + ".xml", FinalName: num + "_ubl.xml", SHA256: "x"}}})
	}
	if err := j.RecordResult(ctx, id, StatusAccepted, nil, invs, ""); err != nil {
		t.Fatal(err)
	}
	got, err := j.Invoices(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var fluxes []int64
	for _, inv := range got {
		fluxes = append(fluxes, inv.Fluxes[0].ID)
	}
	return id, fluxes
}

func TestDestinationPauseAndHold(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	waiting, _ := queuedFile(t, j, "a.csv", "pa", 2)
	other, _ := queuedFile(t, j, "b.csv", "outbox", 1)
	for _, id := range []int64{waiting, other} {
		lag, _ := j.AckLag(ctx, id)
		if err := j.AckWritten(ctx, id, lag); err != nil {
			t.Fatal(err)
		}
	}
	until := time.Date(2026, 11, 26, 10, 5, 0, 0, time.UTC)
	files, err := j.SetPause(ctx, "pa", until, "HTTP 503: unavailable")
	if err != nil || !slices.Equal(files, []int64{waiting}) {
		t.Fatalf("SetPause = %v, %v; want the file waiting for pa", files, err)
	}
	if stale, _ := j.StaleAcks(ctx); !slices.Equal(stale, []int64{waiting}) {
		t.Fatalf("stale acks %v: the waiting file's ack must say the pause", stale)
	}
	if _, err := j.SetHold(ctx, "pa", until.Add(time.Minute), "F1_ubl.xml", "HTTP 429"); err != nil {
		t.Fatal(err)
	}
	states, err := j.DestinationStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := states["pa"]
	if !s.PausedUntil.Equal(until) || s.PauseReason != "HTTP 503: unavailable" || !s.Paused(until.Add(-time.Second)) || s.Paused(until) {
		t.Fatalf("pause %+v (setting the hold must keep it)", s)
	}
	if !s.HeldUntil.Equal(until.Add(time.Minute)) || s.HeldBy != "F1_ubl.xml" || !s.Held(until) {
		t.Fatalf("hold %+v", s)
	}
	if _, err := j.SetPause(ctx, "pa", time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	states, _ = j.DestinationStates(ctx)
	if s := states["pa"]; !s.PausedUntil.IsZero() || s.HeldBy != "F1_ubl.xml" {
		t.Fatalf("after resuming: %+v", s)
	}
}

func TestTrackQueueAsksTheLeastRecentlyAskedFirst(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	_, ids := queuedFile(t, j, "a.csv", "pa", 4)
	for _, id := range ids {
		if err := j.Deposited(ctx, id, fmt.Sprint("R", id), true); err != nil {
			t.Fatal(err)
		}
	}
	order := func() []int64 {
		fs, err := j.TrackQueue(ctx, "pa")
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return out
	}
	if got := order(); !slices.Equal(got, ids) {
		t.Fatalf("never asked: %v, want %v", got, ids)
	}
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	// A round reached the first two only: the two others come first next time.
	if err := j.MarkTracked(ctx, ids[:2], t0); err != nil {
		t.Fatal(err)
	}
	if got, want := order(), []int64{ids[2], ids[3], ids[0], ids[1]}; !slices.Equal(got, want) {
		t.Fatalf("after a short round: %v, want %v", got, want)
	}
	if err := j.MarkTracked(ctx, []int64{ids[2], ids[3], ids[0]}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, want := order(), []int64{ids[1], ids[0], ids[2], ids[3]}; !slices.Equal(got, want) {
		t.Fatalf("after another round: %v, want %v", got, want)
	}
}
