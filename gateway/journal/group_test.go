package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Transactions asked for while another commits are committed together, in one
// transaction; each caller still gets its own result, and a function that fails is rolled
// back alone.
func TestConcurrentTransactionsCommitTogether(t *testing.T) {
	if testPG != nil {
		t.Skip("SQLite only: PostgreSQL groups its own commits")
	}
	ctx := context.Background()
	j := openTest(t)
	g := j.group
	if g == nil {
		t.Fatal("the SQLite journal does not group its commits")
	}

	// A first transaction holds the journal until the others are queued behind it.
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- j.inTx(ctx, func(tx *sql.Tx) error {
			<-release
			_, err := j.exec(ctx, tx, `INSERT INTO events (at, file_id, flux_id, kind, detail) VALUES (?, 0, 0, 'test', 'first')`, j.now().UTC())
			return err
		})
	}()
	waitQueued := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; {
			g.mu.Lock()
			queued, running := len(g.queue), g.running
			g.mu.Unlock()
			if running && queued == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d transactions queued, want %d", queued, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitQueued(0)
	g.mu.Lock()
	before := g.groups
	g.mu.Unlock()

	const n = 10
	failing := errors.New("refused")
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = j.inTx(ctx, func(tx *sql.Tx) error {
				if _, err := j.exec(ctx, tx, `INSERT INTO events (at, file_id, flux_id, kind, detail) VALUES (?, 0, 0, 'test', ?)`,
					j.now().UTC(), fmt.Sprint(i)); err != nil {
					return err
				}
				if i%3 == 0 {
					return failing // after its insert: the insert must go too
				}
				return nil
			})
		}()
	}
	waitQueued(n)
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}

	g.mu.Lock()
	groups := g.groups - before
	g.mu.Unlock()
	if groups != 1 {
		t.Errorf("%d transactions queued together were committed in %d groups, want 1", n, groups)
	}
	var kept []string
	rows, err := j.db.QueryContext(ctx, `SELECT detail FROM events WHERE kind = 'test' ORDER BY detail`)
	if err := eachRow(rows, err, func() error {
		var d string
		kept = append(kept, d)
		return rows.Scan(&kept[len(kept)-1])
	}); err != nil {
		t.Fatal(err)
	}
	for i, err := range results {
		if wantErr := i%3 == 0; wantErr != errors.Is(err, failing) {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	if want := "[1 2 4 5 7 8 first]"; fmt.Sprint(kept) != want {
		t.Errorf("kept %v, want %s: the failed ones rolled back alone", kept, want)
	}
}

// Two writers of the same file's ack take turns, also within one instance: the second
// waits until the first unlocks. Another file's ack is not held up.
func TestLockAckWithinAnInstance(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	unlock, err := j.LockAck(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	other, err := j.LockAck(ctx, 2)
	if err != nil {
		t.Fatalf("another file's ack lock: %v", err)
	}
	other()
	second := make(chan func(), 1)
	go func() {
		u, err := j.LockAck(ctx, 1)
		if err != nil {
			t.Error(err)
			u = func() {}
		}
		second <- u
	}()
	select {
	case u := <-second:
		u()
		t.Fatal("a second writer got the ack lock while the first held it")
	case <-time.After(50 * time.Millisecond):
	}
	unlock()
	select {
	case u := <-second:
		u()
	case <-time.After(10 * time.Second):
		t.Fatal("the second writer did not get the lock once the first unlocked")
	}
	waiting, cancel := context.WithCancel(ctx)
	unlock, _ = j.LockAck(ctx, 1)
	defer unlock()
	cancel()
	if _, err := j.LockAck(waiting, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("a writer whose context ends while it waits: %v", err)
	}
}
