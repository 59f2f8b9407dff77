package journal

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// pgPair opens two instances, a and b, on one fresh PostgreSQL journal, with one clock the
// test moves.
func pgPair(t *testing.T) (a, b *Journal, clock *fakeClock) {
	t.Helper()
	needPG(t)
	dsn, err := testPG.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clock = &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	return pgInstance(t, dsn, "a", clock), pgInstance(t, dsn, "b", clock), clock
}

// pgInstance opens the journal at dsn as instance id, and heartbeats once.
func pgInstance(t *testing.T, dsn, id string, clock *fakeClock) *Journal {
	t.Helper()
	ctx := context.Background()
	j, err := OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	j.now = clock.Now
	j.SetInstance(id)
	if err := j.Heartbeat(ctx, Instance{ID: id, Host: "h", PID: 1, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	return j
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func ids(fs []Flux) []int64 {
	var out []int64
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// A flux leased by one instance is not given to another until the lease runs out; then the
// other takes it, and the first can no longer renew it (so it does not send it).
func TestLeaseIsExclusiveUntilItRunsOut(t *testing.T) {
	ctx := context.Background()
	a, b, clock := pgPair(t)
	_, fluxes := queuedFile(t, a, "f1", "out", 3)
	lease := time.Minute
	got, err := a.LeaseDeliverable(ctx, "out", clock.Now(), clock.Now().Add(lease))
	if err != nil || len(got) != 3 {
		t.Fatalf("a leases %v, %v", ids(got), err)
	}
	if got, err := b.LeaseDeliverable(ctx, "out", clock.Now(), clock.Now().Add(lease)); err != nil || len(got) != 0 {
		t.Fatalf("b leases %v while a holds them (%v)", ids(got), err)
	}
	clock.Add(30 * time.Second)
	if held, err := a.RenewLease(ctx, fluxes[:1], clock.Now().Add(lease)); err != nil || !held[fluxes[0]] {
		t.Fatalf("a renews: %v, %v", held, err)
	}
	clock.Add(45 * time.Second) // fluxes[1:] ran out; fluxes[0] was renewed
	got, err = b.LeaseDeliverable(ctx, "out", clock.Now(), clock.Now().Add(lease))
	if err != nil || fmt.Sprint(ids(got)) != fmt.Sprint(fluxes[1:]) {
		t.Fatalf("b takes over %v (%v), want %v", ids(got), err, fluxes[1:])
	}
	held, err := a.RenewLease(ctx, fluxes, clock.Now().Add(lease))
	if err != nil || len(held) != 1 || !held[fluxes[0]] {
		t.Fatalf("a still holds %v (%v), want only %d", held, err, fluxes[0])
	}
	// A deposited flux is not leased again, whoever asks.
	if err := b.StartDeposit(ctx, fluxes[1]); err != nil {
		t.Fatal(err)
	}
	if err := b.Deposited(ctx, fluxes[1], "r1", false); err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * lease)
	got, _ = a.LeaseDeliverable(ctx, "out", clock.Now(), clock.Now().Add(lease))
	if fmt.Sprint(ids(got)) != fmt.Sprint([]int64{fluxes[0], fluxes[2]}) {
		t.Fatalf("after the leases ran out a gets %v", ids(got))
	}
	// A clean stop frees at once what the instance held.
	if err := a.InstanceStopped(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.LeaseDeliverable(ctx, "out", clock.Now(), clock.Now().Add(lease)); len(got) != 2 {
		t.Fatalf("after a stopped b gets %v", ids(got))
	}
}

// Instances leasing at the same moment never get the same flux.
func TestConcurrentLeasesNeverOverlap(t *testing.T) {
	ctx := context.Background()
	a, b, clock := pgPair(t)
	for i := range 5 {
		queuedFile(t, a, fmt.Sprintf("f%d", i), "out", 20)
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for _, j := range []*Journal{a, b, a, b} {
		wg.Go(func() {
			for range 5 {
				got, err := j.LeaseDeliverable(ctx, "out", clock.Now(), clock.Now().Add(time.Hour))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, f := range got {
					if prev, ok := seen[f.ID]; ok && prev != j.instance {
						t.Errorf("flux %d leased by %s and %s", f.ID, prev, j.instance)
					}
					seen[f.ID] = j.instance
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 100 {
		t.Fatalf("%d fluxes leased, want 100", len(seen))
	}
}

// A file claimed by a live instance is not taken over; one claimed by an instance that
// stopped heartbeating is. Two instances claiming one dropped file at once: one is refused.
func TestClaimsAcrossInstances(t *testing.T) {
	ctx := context.Background()
	a, b, clock := pgPair(t)
	id, err := a.ClaimFile(ctx, "ventes", "x.csv", "s1", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ClaimFile(ctx, "ventes", "x.csv", "s1", 1, 0); !errors.Is(err, ErrClaimedElsewhere) {
		t.Fatalf("a second claim of x.csv: %v", err)
	}
	if ok, err := b.TakeOver(ctx, id); err != nil || ok {
		t.Fatalf("b takes over a live claim: %v, %v", ok, err)
	}
	if ok, err := a.TakeOver(ctx, id); err != nil || !ok {
		t.Fatalf("a resumes its own claim: %v, %v", ok, err)
	}
	clock.Add(StaleAfter / 2)
	if err := a.Heartbeat(ctx, Instance{ID: "a", Host: "h", PID: 1, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	clock.Add(StaleAfter - time.Second)
	if ok, _ := b.TakeOver(ctx, id); ok {
		t.Fatal("b took over the claim of an instance that heartbeat within StaleAfter")
	}
	if orphans, err := b.Orphans(ctx, "ventes"); err != nil || len(orphans) != 0 {
		t.Fatalf("orphans of a live instance: %v, %v", orphans, err)
	}
	clock.Add(2 * time.Second)
	if err := b.Heartbeat(ctx, Instance{ID: "b", Host: "h", PID: 2, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	if orphans, err := b.Orphans(ctx, "ventes"); err != nil || len(orphans) != 1 || orphans[0].ID != id {
		t.Fatalf("orphans of a stale instance: %v, %v", orphans, err)
	}
	if ok, err := b.TakeOver(ctx, id); err != nil || !ok {
		t.Fatalf("b takes over the claim of a stale instance: %v, %v", ok, err)
	}
	if orphans, _ := b.Orphans(ctx, "ventes"); len(orphans) != 0 {
		t.Fatalf("a file taken over is still an orphan: %v", orphans)
	}
	if ok, _ := a.TakeOver(ctx, id); ok {
		t.Fatal("a, back, took its file back from b")
	}
	// a, back from a partition, cannot record its processing on top of b's.
	if err := a.RecordResult(ctx, id, StatusAccepted, nil, nil, ""); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("a records the result of a file b took over: %v", err)
	}
	if err := a.MoveFile(ctx, id, "x", FileDone); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("a moves a file b took over: %v", err)
	}
	if _, err := a.ResumeFailed(ctx, id, "x"); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("a counts a failure of a file b took over: %v", err)
	}
	if err := b.RecordResult(ctx, id, StatusAccepted, nil, nil, ""); err != nil {
		t.Fatalf("b records its result: %v", err)
	}
	ins, err := b.Instances(ctx)
	if err != nil || len(ins) != 2 {
		t.Fatalf("instances: %+v, %v", ins, err)
	}
	for _, in := range ins {
		if in.Stale != (in.ID == "a") {
			t.Errorf("instance %s stale=%v", in.ID, in.Stale)
		}
	}
	// A lone (SQLite) journal owns every file.
	if ok, err := openSQLiteTest(t).TakeOver(ctx, id); err != nil || !ok {
		t.Fatalf("a lone instance: %v, %v", ok, err)
	}
}

// One scheduler at a time; when it goes, another is elected.
func TestSchedulerElection(t *testing.T) {
	ctx := context.Background()
	a, b, _ := pgPair(t)
	ea, eb := a.NewElector(), b.NewElector()
	if ok, err := ea.Try(ctx); err != nil || !ok {
		t.Fatalf("a: %v, %v", ok, err)
	}
	for range 3 {
		if ok, err := eb.Try(ctx); err != nil || ok {
			t.Fatalf("b elected beside a: %v, %v", ok, err)
		}
		if ok, _ := ea.Try(ctx); !ok {
			t.Fatal("a lost the lead")
		}
	}
	ea.Resign()
	if ok, err := eb.Try(ctx); err != nil || !ok {
		t.Fatalf("b after a resigned: %v, %v", ok, err)
	}
	// The leader's session ends (its process was killed, or the database cut it): the
	// lock goes with it, the leader finds out at its next Try, and another is elected.
	var dsnDB string
	if err := b.db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&dsnDB); err != nil {
		t.Fatal(err)
	}
	c := pgInstance(t, testPG.DSN(dsnDB), "c", &fakeClock{t: time.Now()})
	ec := c.NewElector()
	if ok, _ := ec.Try(ctx); ok {
		t.Fatal("c elected beside b")
	}
	if _, err := c.db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid != pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if ok, err := eb.Try(ctx); ok || err == nil {
		t.Fatalf("b still leads after its session ended: %v, %v", ok, err)
	}
	// The server ends the terminated session a moment later, and releases its lock then.
	ok, err := ec.Try(ctx)
	for i := 0; err == nil && !ok && i < 500; i++ {
		time.Sleep(10 * time.Millisecond)
		ok, err = ec.Try(ctx)
	}
	if err != nil || !ok {
		t.Fatalf("c after b's session ended: %v, %v", ok, err)
	}
	if eb.Leader() || !ec.Leader() {
		t.Fatalf("leaders: b %v, c %v", eb.Leader(), ec.Leader())
	}
	_ = a
}

func openSQLiteTest(t *testing.T) *Journal {
	t.Helper()
	saved := testPG
	testPG = nil
	defer func() { testPG = saved }()
	return openTest(t)
}
