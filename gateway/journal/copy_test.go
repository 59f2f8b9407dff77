package journal

import (
	"context"
	"strings"
	"testing"
	"time"
)

// An SQLite journal copied into PostgreSQL reads the same there, ids kept, and new rows
// get ids past the copied ones. A target that is not empty is refused.
func TestCopySQLiteToPostgres(t *testing.T) {
	needPG(t)
	ctx := context.Background()
	src := openSQLiteTest(t)
	fileID, fluxes := queuedFile(t, src, "a.csv", "out", 3)
	if err := src.StartDeposit(ctx, fluxes[0]); err != nil {
		t.Fatal(err)
	}
	if err := src.Deposited(ctx, fluxes[0], "receipt-1", true); err != nil {
		t.Fatal(err)
	}
	if _, err := src.SetPause(ctx, "out", time.Now().Add(time.Hour).UTC().Truncate(time.Second), "down"); err != nil {
		t.Fatal(err)
	}
	dst := openPGTest(t)
	counts, err := src.CopyTo(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if counts["files"] != 1 || counts["invoices"] != 3 || counts["fluxes"] != 3 || counts["events"] == 0 || counts["destinations"] != 1 {
		t.Fatalf("copied %v", counts)
	}
	want, _ := src.Invoices(ctx, fileID)
	got, err := dst.Invoices(ctx, fileID)
	if err != nil || len(got) != 3 || got[0].Fluxes[0].Receipt != "receipt-1" || got[0].Fluxes[0].State != FluxDeposited ||
		got[1].Fluxes[0].ID != want[1].Fluxes[0].ID || !got[0].Fluxes[0].DepositedAt.Equal(want[0].Fluxes[0].DepositedAt.Truncate(time.Microsecond)) {
		t.Fatalf("copied invoices %+v (%v), want %+v", got, err, want)
	}
	if f, err := dst.File(ctx, fileID); err != nil || f.Name != "a.csv" || !f.Received.Equal(mustFile(t, src, fileID).Received.Truncate(time.Microsecond)) {
		t.Fatalf("copied file %+v, %v", f, err)
	}
	next, err := dst.ClaimFile(ctx, "ventes", "b.csv", "sha-b", 1, 0)
	if err != nil || next <= fileID {
		t.Fatalf("a new file after the copy: id %d (%v), after %d", next, err, fileID)
	}
	if _, err := src.CopyTo(ctx, dst); err == nil || !strings.Contains(err.Error(), "empty database only") {
		t.Fatalf("copy into a journal that is not empty: %v", err)
	}
}

func mustFile(t *testing.T, j *Journal, id int64) File {
	t.Helper()
	f, err := j.File(ctx0, id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var ctx0 = context.Background()
