package journal

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func (c *stmtCache) has(q string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.shared[q] != nil
}

// A statement met in a transaction is prepared for the pool once the transaction ends (on
// SQLite's single connection, preparing it inside would wait for itself), and the next
// transactions use it: the same transitions give the same rows.
func TestStatementsArePreparedOnceAndShared(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	const claim = `INSERT INTO files (source, name, sha256, size, state, stored_name, received_at, updated_at, reprocess_of, claimed_by) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?) RETURNING id`
	if j.stmts.has(claim) {
		t.Fatal("prepared before its first use")
	}
	first, fluxes := queuedFile(t, j, "a.csv", "out", 2)
	if !j.stmts.has(claim) {
		t.Fatal("not prepared after its first transaction")
	}
	second, _ := queuedFile(t, j, "b.csv", "out", 2)
	if second <= first {
		t.Fatalf("second claim got id %d after %d", second, first)
	}
	// Booleans go through prepared statements as through text (PostgreSQL's integer flags).
	for range 2 {
		if err := j.StartDeposits(ctx, fluxes); err != nil {
			t.Fatal(err)
		}
		if err := j.DepositedAll(ctx, []DepositedFlux{{fluxes[0], "r0"}, {fluxes[1], "r1"}}, true); err != nil {
			t.Fatal(err)
		}
	}
	tracked, err := j.Tracked(ctx, "out")
	if err != nil || len(tracked) != 2 || !tracked[0].Tracking || tracked[1].Receipt != "r1" {
		t.Fatalf("tracked = %+v, %v", tracked, err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := j.File(ctx, first); err == nil {
		t.Fatal("a closed journal still answers")
	}
}

// Goroutines sharing the journal, each in its own transactions and lookups, prepare each
// statement once and never use one another's (go test -race).
func TestStatementCacheIsConcurrencySafe(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				id, err := j.ClaimFile(ctx, "ventes", "f.csv", "sha", int64(g*10+i), 0)
				if err == nil {
					_, err = j.NameTaken(ctx, "out", "x.xml", id)
				}
				if err == nil {
					var f File
					if f, err = j.File(ctx, id); err == nil && f.Size != int64(g*10+i) {
						t.Errorf("file %d has size %d, want %d", id, f.Size, g*10+i)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(j.stmts.local); n != 0 {
		t.Errorf("%d transactions' statements kept after they ended", n)
	}
}

// The status pages' read-only journal has statements of its own, on its own connections.
func TestReaderHasItsOwnStatements(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "j.db")
	j, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	id, _ := queuedFile(t, j, "a.csv", "out", 1)
	r, err := OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for range 2 {
		if f, err := r.File(ctx, id); err != nil || f.Name != "a.csv" {
			t.Fatalf("reader: %+v, %v", f, err)
		}
	}
	if r.stmts == j.stmts || len(r.stmts.shared) == 0 {
		t.Error("the reader does not prepare its own statements")
	}
}

// Every way of listing fluxes says which file each came from, so that a deposit round
// needs no lookup per flux to rewrite the acks.
func TestFluxesKnowTheirFile(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	j.SetInstance("a") // PostgreSQL: the cluster's lease path
	a, _ := queuedFile(t, j, "a.csv", "out", 2)
	b, _ := queuedFile(t, j, "b.csv", "out", 1)
	want := map[int64]int64{}
	for _, file := range []int64{a, b} {
		invs, err := j.Invoices(ctx, file)
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range invs {
			for _, fx := range inv.Fluxes {
				if fx.FileID != file {
					t.Errorf("Invoices: flux %d of file %d says file %d", fx.ID, file, fx.FileID)
				}
				want[fx.ID] = file
			}
		}
	}
	listed := map[string][]Flux{}
	var err error
	if listed["Deliverable"], err = j.Deliverable(ctx, "out", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if listed["LeaseDeliverable"], err = j.LeaseDeliverable(ctx, "out", time.Time{}, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for how, fluxes := range listed {
		if len(fluxes) != 3 {
			t.Errorf("%s: %d fluxes, want 3", how, len(fluxes))
		}
		for _, fx := range fluxes {
			if fx.FileID != want[fx.ID] {
				t.Errorf("%s: flux %d says file %d, want %d", how, fx.ID, fx.FileID, want[fx.ID])
			}
		}
	}
}

// A statement that cannot be prepared fails with its own error, in a transaction or not
// (PostgreSQL would answer a second try in the same transaction with "transaction
// aborted").
func TestPreparationErrorsAreTheStatements(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	const bad = `UPDATE files SET nosuch = 1 WHERE id = ?`
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		_, err := j.exec(ctx, tx, bad, 1)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("in a transaction: %v", err)
	}
	if err := j.queryRow(ctx, nil, `SELECT nosuch FROM files`).Scan(new(int)); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("on its own: %v", err)
	}
	if j.stmts.has(bad) {
		t.Error("a statement that failed is kept")
	}
}

// A full cache keeps what it holds and runs new texts unprepared, with the same results.
func TestFullCacheRunsTextsAsTheyAre(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	id, _ := queuedFile(t, j, "a.csv", "out", 1)
	for i := len(j.stmts.shared); i < maxShared; i++ {
		if err := j.queryRow(ctx, nil, fmt.Sprintf(`SELECT %d`, i)).Scan(new(int)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(j.stmts.shared); n != maxShared {
		t.Fatalf("%d statements kept, want %d", n, maxShared)
	}
	if f, err := j.File(ctx, id); err != nil || f.Name != "a.csv" {
		t.Fatalf("File: %+v, %v", f, err)
	}
	if _, err := j.StaleAcks(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(j.stmts.shared); n != maxShared {
		t.Errorf("%d statements kept after new ones ran, want %d", n, maxShared)
	}
}
