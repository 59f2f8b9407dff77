package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/simulate"
)

// fixture is a deliverer on a real journal and a real spool.
type fixture struct {
	j     *journal.Journal
	spool folder.Folder
	g     *Deliverer
	clock time.Time
	mu    sync.Mutex
	acks  map[int64]int // ack rewrites per file
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	j, err := journal.Open(context.Background(), filepath.Join(dir, "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	spool, err := folder.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{j: j, spool: spool, clock: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), acks: map[int64]int{}}
	f.g = &Deliverer{Journal: j, Spool: spool, Log: slog.New(slog.DiscardHandler), Now: f.now,
		WriteAck: func(_ context.Context, id int64) error {
			f.mu.Lock()
			f.acks[id]++
			f.mu.Unlock()
			return nil
		}}
	return f
}

func (f *fixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.clock = f.clock.Add(d)
	f.mu.Unlock()
}

// queue records a file of n invoices with one UBL flux each for destination, spooled.
func (f *fixture) queue(t *testing.T, destination string, n int) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := f.j.ClaimFile(ctx, "ventes", "v.csv", fmt.Sprint("sha", n), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var invs []journal.NewInvoice
	for i := range n {
		num := fmt.Sprintf("FA-%05d", i+1)
		data := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:ID>` + num + `</cbc:ID></Invoice>
`)
		sum := sha256.Sum256(data)
		spooled := fmt.Sprintf("%d-%s.xml", id, num)
		if err := f.spool.WriteAtomic(ctx, spooled, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		invs = append(invs, journal.NewInvoice{Seq: i + 1, Number: num, Fluxes: []journal.Flux{{Destination: destination, Syntax: "ubl",
			SpoolName: spooled, FinalName: num + "_ubl.xml", SHA256: hex.EncodeToString(sum[:])}}})
	}
	if err := f.j.RecordResult(ctx, id, journal.StatusAccepted, nil, invs, ""); err != nil {
		t.Fatal(err)
	}
	return id
}

// states counts the fluxes of file id by state.
func (f *fixture) states(t *testing.T, id int64) map[string]int {
	t.Helper()
	invs, err := f.j.Invoices(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, inv := range invs {
		for _, fx := range inv.Fluxes {
			out[fx.State]++
		}
	}
	return out
}

// paServer serves the PA simulator behind wrap.
func paServer(t *testing.T, wrap func(http.Handler) http.Handler) (*simulate.PA, *deposit.PA) {
	t.Helper()
	sim := simulate.NewPA()
	h := sim.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env := map[string]string{"CID": simulate.DefaultClientID, "CSECRET": simulate.DefaultClientSecret}
	pa, err := deposit.NewPA(deposit.PAConfig{Name: "pa", BaseURL: srv.URL, TokenURL: srv.URL + simulate.PATokenPath,
		ClientIDEnv: "CID", ClientSecretEnv: "CSECRET", Getenv: func(k string) string { return env[k] }}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return sim, pa
}

func (b *breaker) everOpened() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opened > 0 || !b.openUntil.IsZero()
}

// Under 30% of calls failing at random (503, the token endpoint included), every flux ends
// deposited, each once, and the breaker never pauses the destination.
func TestRandomFailuresDoNotStopDeposits(t *testing.T) {
	f := newFixture(t)
	rng := rand.New(rand.NewPCG(2026, 11))
	var mu sync.Mutex
	failed := 0
	sim, pa := paServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			fail := rng.Float64() < 0.3
			if fail {
				failed++
			}
			mu.Unlock()
			if fail {
				http.Error(w, `{"message":"unavailable (injected)"}`, http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	d := NewDestination(pa, config.DestinationConfig{Name: "pa", Rate: &config.Rate{PerSecond: 1000, Burst: 1000}}, config.Schedule{Now: true})
	d.Pacer().RetryBase = time.Millisecond
	const n = 60
	file := f.queue(t, "pa", n)
	ctx := context.Background()
	var rounds int
	for rounds = 1; rounds <= 10; rounds++ {
		f.g.Deliver(ctx, d, false)
		if d.breaker.everOpened() {
			t.Fatalf("round %d: the breaker opened under random failures", rounds)
		}
		if rounds == 1 {
			if got := f.states(t, file)[journal.FluxDeposited]; got < n*9/10 {
				t.Fatalf("the first round deposited %d of %d fluxes under 30%% failures", got, n)
			}
		}
		if f.states(t, file)[journal.FluxDeposited] == n {
			break
		}
		f.advance(retryMax + time.Minute) // past every back-off
	}
	if got := f.states(t, file); got[journal.FluxDeposited] != n {
		t.Fatalf("after %d rounds: %v", rounds, got)
	}
	if submitted := sim.Calls("/v1/flows"); submitted != n {
		t.Fatalf("%d flows submitted for %d invoices", submitted, n)
	}
	if failed < n/2 {
		t.Fatalf("only %d failures injected: the test tests nothing", failed)
	}
}

// blocking is a folder destination whose first deposit signals that it is in hand and then
// waits for release (or for its context to end).
type blocking struct {
	deposit.Destination
	once    sync.Once
	inHand  chan struct{}
	release chan struct{}
}

func (b *blocking) Deposit(ctx context.Context, fx deposit.Flux) (deposit.Receipt, error) {
	first := false
	b.once.Do(func() { first = true })
	if first {
		close(b.inHand)
		select {
		case <-b.release:
		case <-ctx.Done():
			return deposit.Receipt{}, ctx.Err()
		}
	}
	return b.Destination.Deposit(ctx, fx)
}

func blockingOutbox(t *testing.T) (*blocking, *folder.Local) {
	t.Helper()
	out, err := folder.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &blocking{Destination: deposit.NewFolder("outbox", out), inHand: make(chan struct{}), release: make(chan struct{})}, out
}

// A stop during a big round finishes the flux in hand and leaves the others queued, untried.
func TestStopEndsTheRoundAfterTheFluxInHand(t *testing.T) {
	f := newFixture(t)
	dest, out := blockingOutbox(t)
	d := NewDestination(dest, config.DestinationConfig{Name: "outbox"}, config.Schedule{Now: true})
	const n = 200
	file := f.queue(t, "outbox", n)
	stop := make(chan struct{})
	done := make(chan error)
	go func() { done <- f.g.Round(context.Background(), stop, d, false) }()
	<-dest.inHand
	close(stop)
	close(dest.release)
	if err := <-done; err != nil {
		t.Fatalf("round: %v", err)
	}
	if got := f.states(t, file); got[journal.FluxDeposited] != 1 || got[journal.FluxQueued] != n-1 {
		t.Fatalf("after a stop: %v, want the flux in hand deposited and %d queued", got, n-1)
	}
	files, err := out.List(context.Background(), ".")
	if err != nil || len(files) != 1 {
		t.Fatalf("outbox holds %d files (%v), want 1", len(files), err)
	}
	fluxes, _ := f.j.Deliverable(context.Background(), "outbox", time.Time{})
	for _, fx := range fluxes {
		if fx.Attempts != 0 || fx.LastError != "" {
			t.Fatalf("flux %s was touched after the stop: %+v", fx.FinalName, fx)
		}
	}
}

// When the grace period of a stop ends (its context is cancelled) with the flux still in
// hand, the round ends at once and the journal keeps that flux as depositing: the next start
// checks the destination before sending it again.
func TestGraceEndCutsTheFluxInHand(t *testing.T) {
	f := newFixture(t)
	dest, _ := blockingOutbox(t)
	d := NewDestination(dest, config.DestinationConfig{Name: "outbox"}, config.Schedule{Now: true})
	file := f.queue(t, "outbox", 20)
	ctx, cancel := context.WithCancel(context.Background())
	stop := make(chan struct{})
	done := make(chan error)
	go func() { done <- f.g.Round(ctx, stop, d, false) }()
	<-dest.inHand
	close(stop)
	cancel() // shutdown_timeout is over
	<-done
	if got := f.states(t, file); got[journal.FluxDepositing] != 1 || got[journal.FluxQueued] != 19 {
		t.Fatalf("after the grace period: %v, want 1 depositing and 19 queued", got)
	}
	if d.breaker.everOpened() || d.breaker.failures != 0 {
		t.Fatal("a stop counted as a failure of the destination")
	}
}

// Tracking has its own ticker: a destination woken all the time (a frequent cron, back-off
// timers, files processed) is still tracked.
func TestTrackingRunsWhateverWakesTheDestination(t *testing.T) {
	f := newFixture(t)
	sim, pa := paServer(t, nil)
	sched, err := config.ParseSchedule("@every 1s")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDestination(pa, config.DestinationConfig{Name: "pa"}, sched)
	file := f.queue(t, "pa", 1)
	ctx := context.Background()
	if err := f.g.Deliver(ctx, d, true); err != nil {
		t.Fatal(err)
	}
	if got := f.states(t, file); got[journal.FluxDeposited] != 1 {
		t.Fatalf("not deposited: %v", got)
	}
	d.TrackEvery = 20 * time.Millisecond
	d.TrackDelay = time.Hour // only the ticker may track here
	searches := sim.Calls("/v1/flows/search")
	stop := make(chan struct{})
	ran := make(chan struct{})
	go func() {
		f.g.Run(ctx, stop, d)
		close(ran)
	}()
	defer func() {
		close(stop)
		<-ran
	}()
	for {
		d.Kick() // wake the runner as often as it can take it
		if sim.Calls("/v1/flows/search") > searches {
			return // a tracking round asked for the lifecycle flows
		}
		time.Sleep(time.Millisecond)
	}
}

// A tracking round that the platform cuts short (Retry-After) asks, next time, first the
// fluxes it did not reach.
func TestTrackingAsksFirstWhatTheLastRoundDidNotReach(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var order []string
	budget := 1000 // flow reads answered before the platform says 429
	_, pa := paServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				mu.Lock()
				if budget == 0 {
					mu.Unlock()
					w.Header().Set("Retry-After", "3600")
					http.Error(w, `{"message":"rate limit"}`, http.StatusTooManyRequests)
					return
				}
				budget--
				order = append(order, r.URL.Path)
				mu.Unlock()
				// The platform keeps every flow pending: each is asked about every round.
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(rec.Code)
				w.Write(bytes.ReplaceAll(rec.Body.Bytes(), []byte(`"status":"Ok"`), []byte(`"status":"Pending"`)))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	d := NewDestination(pa, config.DestinationConfig{Name: "pa"}, config.Schedule{Now: true})
	held := time.Now()
	d.Pacer().Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return held
	}
	f.queue(t, "pa", 6)
	ctx := context.Background()
	if err := f.g.Deliver(ctx, d, true); err != nil {
		t.Fatal(err)
	}
	tracked, _ := f.j.TrackQueue(ctx, "pa")
	flow := map[string]string{} // flow path → invoice
	for _, fx := range tracked {
		flow["/v1/flows/"+fx.Receipt] = fx.Invoice
	}
	mu.Lock()
	budget = 2
	mu.Unlock()
	if err := f.g.Track(ctx, d); err == nil {
		t.Fatal("a round cut by a 429 said nothing")
	}
	mu.Lock()
	first := order
	order, budget = nil, 1000
	held = held.Add(2 * time.Hour) // the Retry-After is over
	mu.Unlock()
	if err := f.g.Track(ctx, d); err != nil {
		t.Fatal(err)
	}
	var got1, got2 []string // the deposited flows read, not the lifecycle flows
	for _, p := range first {
		if inv, ok := flow[p]; ok {
			got1 = append(got1, inv)
		}
	}
	for _, p := range order {
		if inv, ok := flow[p]; ok {
			got2 = append(got2, inv)
		}
	}
	if len(got1) != 2 || len(got2) != 6 {
		t.Fatalf("rounds asked %v then %v", got1, got2)
	}
	if got2[4] != got1[0] || got2[5] != got1[1] {
		t.Fatalf("second round asked %v after a first round that reached %v only: the others must come first", got2, got1)
	}
}

// A platform that asks to wait (Retry-After) longer than a call waits stops the round: the
// others wait behind the retry of the flux that was told so, and the journal says it for
// their acks.
func TestRetryAfterHoldsTheOthersBehindOneRetry(t *testing.T) {
	f := newFixture(t)
	sim, pa := paServer(t, nil)
	d := NewDestination(pa, config.DestinationConfig{Name: "pa"}, config.Schedule{Now: true})
	file := f.queue(t, "pa", 5)
	sim.FailNext(1, http.StatusTooManyRequests, "3600")
	err := f.g.Deliver(context.Background(), d, false)
	if !errors.Is(err, ErrHeld) {
		t.Fatalf("round: %v, want it held", err)
	}
	if n := sim.Calls("/v1/flows/search") + sim.Calls("/v1/flows"); n != 1 {
		t.Fatalf("%d calls after the platform asked to wait an hour, want 1", n)
	}
	fluxes, _ := f.j.Deliverable(context.Background(), "pa", time.Time{})
	if len(fluxes) != 5 || fluxes[0].Attempts != 1 || fluxes[0].NextAttempt.Before(f.now().Add(59*time.Minute)) {
		t.Fatalf("the flux told to wait: %+v", fluxes[0])
	}
	for _, fx := range fluxes[1:] {
		if fx.Attempts != 0 || fx.LastError != "" {
			t.Fatalf("flux %s was tried while the platform asked to wait: %+v", fx.FinalName, fx)
		}
	}
	states, err := f.j.DestinationStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s := states["pa"]; s.HeldBy != fluxes[0].FinalName || s.HeldUntil.Before(time.Now().Add(59*time.Minute)) {
		t.Fatalf("destination state %+v", s)
	}
	if f.acks[file] == 0 {
		t.Fatal("the acks of the fluxes waiting behind the retry were not rewritten")
	}
	if d.breaker.everOpened() {
		t.Fatal("a Retry-After paused the destination")
	}
}

// failingOnce fails the deposit of one flux, transiently, every time it is asked.
type failingOnce struct {
	deposit.Destination
	name  string
	tries atomic.Int32
}

func (f *failingOnce) Deposit(ctx context.Context, fx deposit.Flux) (deposit.Receipt, error) {
	if fx.Name == f.name {
		f.tries.Add(1)
		return deposit.Receipt{}, errors.New("the server hung up")
	}
	return f.Destination.Deposit(ctx, fx)
}

// A round takes the queue a page at a time, to its end, and never takes again a flux that
// failed earlier in the same round, even forced (run --once ignores back-offs).
func TestRoundGoesThroughEveryPageOnce(t *testing.T) {
	f := newFixture(t)
	out, err := folder.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dest := &failingOnce{Destination: deposit.NewFolder("outbox", out), name: "FA-00001_ubl.xml"}
	d := NewDestination(dest, config.DestinationConfig{Name: "outbox"}, config.Schedule{Now: true})
	f.g.Page = 10
	const n = 2*10 + 3
	file := f.queue(t, "outbox", n)
	if err := f.g.Round(context.Background(), nil, d, true); err == nil {
		t.Error("the round reports no failure")
	}
	if got := f.states(t, file); got[journal.FluxDeposited] != n-1 || got[journal.FluxQueued] != 1 {
		t.Errorf("after the round: %v, want %d deposited and the failing one queued", got, n-1)
	}
	if tries := dest.tries.Load(); tries != 1 {
		t.Errorf("the failing flux was tried %d times in one round, want 1", tries)
	}
}
