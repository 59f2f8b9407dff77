package deposit_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/simulate"
)

// simClock is a clock a test moves on by hand: the simulator integrates deposits by it.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func newSimClock() *simClock {
	return &simClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
}

func (c *simClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// chorusOn returns a Chorus Pro destination on sim, with HTTP calls cut after timeout.
func chorusOn(t *testing.T, sim *simulate.Chorus, timeout time.Duration, mod func(*deposit.ChorusConfig)) *deposit.Chorus {
	t.Helper()
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	cfg := deposit.ChorusConfig{
		Name: "chorus", BaseURL: srv.URL, TokenURL: srv.URL + simulate.ChorusTokenPath,
		ClientIDEnv: "CID", ClientSecretEnv: "CSECRET", AccountLoginEnv: "CLOGIN", AccountPasswordEnv: "CPASS", Getenv: getenv,
	}
	if mod != nil {
		mod(&cfg)
	}
	d, err := deposit.NewChorus(cfg, &http.Client{Timeout: timeout}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A deposit Chorus Pro processed but whose answer was lost (a 503 from the gateway in front,
// or silence until the client's time-out) fails Uncertain: sending it again blindly would
// deposit it twice.
func TestChorusLostAnswerIsUncertain(t *testing.T) {
	for _, how := range []simulate.Loss{simulate.Lose503, simulate.LoseHang} {
		t.Run(how.String(), func(t *testing.T) {
			sim := simulate.NewChorus()
			sim.SetMaxHang(10 * time.Second)
			d := chorusOn(t, sim, 300*time.Millisecond, nil)
			sim.LoseNextAnswers(1, how)
			_, err := d.Deposit(context.Background(), ublFlux("FA-1"))
			if !deposit.IsUncertain(err) || deposit.IsPermanent(err) {
				t.Fatalf("lost answer: err %v, want an uncertain one", err)
			}
			if n := sim.InvoiceDeposits()["FA-1"]; n != 1 {
				t.Fatalf("the simulator processed %d deposits of FA-1, want 1", n)
			}
		})
	}
}

// What never reached the API, or what it refused before processing, is an ordinary
// transient failure; a 503 on the deposit itself is not: the gateway in front of the API
// may answer it after the API processed the deposit.
func TestChorusRefusalsBeforeProcessing(t *testing.T) {
	sim := simulate.NewChorus()
	d := chorusOn(t, sim, 5*time.Second, nil)
	ctx := context.Background()
	unnumbered := ublFlux("FA-1")
	unnumbered.Invoice = "" // no search before the deposit: the fault falls on the deposit

	sim.FailNext(1, http.StatusTooManyRequests, "2")
	if _, err := d.Deposit(ctx, unnumbered); err == nil || deposit.IsUncertain(err) || deposit.IsPermanent(err) {
		t.Errorf("429: %v, want transient and certain", err)
	}
	sim.FailNext(1, http.StatusServiceUnavailable, "")
	if _, err := d.Deposit(ctx, unnumbered); !deposit.IsUncertain(err) {
		t.Errorf("503 on the deposit: %v, want uncertain", err)
	}

	// The API's address refuses connections: nothing left.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	refused, err := deposit.NewChorus(deposit.ChorusConfig{Name: "chorus", BaseURL: dead, TokenURL: srv.URL + simulate.ChorusTokenPath,
		ClientIDEnv: "CID", ClientSecretEnv: "CSECRET", AccountLoginEnv: "CLOGIN", AccountPasswordEnv: "CPASS", Getenv: getenv}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := refused.Deposit(ctx, unnumbered); err == nil || deposit.IsUncertain(err) || deposit.IsPermanent(err) {
		t.Errorf("connection refused: %v, want transient and certain", err)
	}
	if n := sim.InvoiceDeposits()["FA-1"]; n != 0 {
		t.Errorf("%d deposits processed, want none", n)
	}
}

// Reconcile does not find a deposit before Chorus Pro integrated it, and finds it after,
// with the deposit's numeroFluxDepot as receipt, which tracking then follows.
func TestChorusReconcileWaitsForIntegration(t *testing.T) {
	clock := newSimClock()
	sim := simulate.NewChorus()
	sim.SetClock(clock.now)
	sim.SetIntegrationDelay(5 * time.Minute)
	d := chorusOn(t, sim, 5*time.Second, nil)
	ctx := context.Background()
	sim.LoseNextAnswers(1, simulate.Lose503)
	if _, err := d.Deposit(ctx, ublFlux("FA-1")); !deposit.IsUncertain(err) {
		t.Fatalf("err %v, want uncertain", err)
	}
	query := ublFlux("FA-1")
	query.Data = nil
	if r := d.Reconcile(ctx, []deposit.Flux{query}); len(r) != 1 || r[0].Found || r[0].Err != nil {
		t.Fatalf("before integration: %+v, want not found", r)
	}
	clock.add(6 * time.Minute)
	r := d.Reconcile(ctx, []deposit.Flux{query})
	if len(r) != 1 || !r[0].Found || !strings.HasPrefix(r[0].Receipt.ID, "CPP") {
		t.Fatalf("after integration: %+v, want found with its numeroFluxDepot", r)
	}
	if n := sim.InvoiceDeposits()["FA-1"]; n != 1 {
		t.Fatalf("%d deposits of FA-1, want 1", n)
	}
	if l := last(trackAll(t, d, r[0].Receipt.ID), "FA-1"); l.Status != "MISE_EN_PAIEMENT" || l.Rejected {
		t.Fatalf("tracking the found deposit: %+v", l)
	}
}

// A batch whose answer was lost: the invoices Chorus Pro integrated are found by number, and
// the one it refused at integration through the report of the deposit found for the others
// (sending it again would not mend it); tracking then reports the refusal.
func TestChorusReconcileBatchFindsRefusedInvoice(t *testing.T) {
	clock := newSimClock()
	sim := simulate.NewChorus()
	sim.SetClock(clock.now)
	sim.SetIntegrationDelay(time.Minute)
	sim.RejectAtIntegration("FB-2", "Le code service SERV-X est inconnu.")
	d := chorusOn(t, sim, 5*time.Second, func(c *deposit.ChorusConfig) { c.Batch = 3 })
	ctx := context.Background()
	fluxes := []deposit.Flux{ublFlux("FB-1"), ublFlux("FB-2"), ublFlux("FB-3")}
	sim.LoseNextAnswers(1, simulate.Lose503)
	if _, err := d.DepositBatch(ctx, fluxes); !deposit.IsUncertain(err) {
		t.Fatalf("err %v, want uncertain", err)
	}
	clock.add(2 * time.Minute)
	rs := d.Reconcile(ctx, fluxes)
	for i, r := range rs {
		if !r.Found || r.Receipt.ID != rs[0].Receipt.ID || !strings.HasPrefix(r.Receipt.ID, "CPP") {
			t.Fatalf("flux %d: %+v, want found in the batch's deposit", i, r)
		}
	}
	ups := trackAll(t, d, rs[0].Receipt.ID)
	if l := last(ups, "FB-2"); !l.Rejected || !strings.Contains(l.Message, "SERV-X") {
		t.Errorf("FB-2: %+v, want its refusal", l)
	}
	if l := last(ups, "FB-3"); l.Rejected || l.Status != "MISE_EN_PAIEMENT" {
		t.Errorf("FB-3: %+v", l)
	}
	for _, n := range []string{"FB-1", "FB-2", "FB-3"} {
		if c := sim.InvoiceDeposits()[n]; c != 1 {
			t.Errorf("%s deposited %d times, want 1", n, c)
		}
	}
}

// A second deposit of an invoice that Chorus Pro integrated from the first one is refused
// as a duplicate ("Doublon", in listeErreurDP): tracking reconciles it with the first
// deposit — the invoice is on Chorus Pro once, with the first one's status — instead of
// reporting it rejected.
func TestChorusDuplicateRefusalIsReconciled(t *testing.T) {
	clock := newSimClock()
	sim := simulate.NewChorus()
	sim.SetClock(clock.now)
	sim.SetIntegrationDelay(5 * time.Minute)
	d := chorusOn(t, sim, 5*time.Second, nil)
	ctx := context.Background()
	sim.LoseNextAnswers(1, simulate.Lose503)
	if _, err := d.Deposit(ctx, ublFlux("FA-9")); !deposit.IsUncertain(err) {
		t.Fatalf("err %v, want uncertain", err)
	}
	clock.add(time.Minute) // not integrated yet: the check before sending finds nothing
	again, err := d.Deposit(ctx, ublFlux("FA-9"))
	if err != nil || again.AlreadyThere {
		t.Fatalf("second deposit: %+v, %v", again, err)
	}
	clock.add(10 * time.Minute) // both integrated, the first first
	ups, err := d.Track(ctx, []string{again.ID})
	if err != nil {
		t.Fatal(err)
	}
	inv, flux := last(ups, "FA-9"), last(ups, "")
	if inv.Rejected || inv.PlatformID == "" || inv.Status != "DEPOSEE" || !strings.Contains(inv.Message, "doublon") {
		t.Fatalf("the duplicate: %+v, want reconciled with the first deposit", inv)
	}
	if flux.Status != "IN_REJETE" || flux.Rejected {
		t.Fatalf("the second deposit: %+v, want IN_REJETE, not a rejection", flux)
	}
	if n := sim.InvoiceDeposits()["FA-9"]; n != 2 {
		t.Fatalf("%d deposits of FA-9, want the 2 made", n)
	}
	// Its tracking goes on with the first deposit's statuses to the end.
	if l := last(trackAll(t, d, again.ID), "FA-9"); l.Status != "MISE_EN_PAIEMENT" || l.Rejected || l.PlatformID != inv.PlatformID {
		t.Fatalf("tracking the reconciled duplicate: %+v", l)
	}
}

// Chorus Pro answers Paris local times without an offset: they are stored as the instant
// they are, in UTC (10:00 in Paris in July is 08:00 UTC).
func TestChorusTimesAreParisTime(t *testing.T) {
	clock := newSimClock()
	clock.t = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
	sim := simulate.NewChorus()
	sim.SetClock(clock.now)
	d := chorusOn(t, sim, 5*time.Second, nil)
	r, err := d.Deposit(context.Background(), ublFlux("FA-1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range trackAll(t, d, r.ID) {
		if !u.At.Equal(clock.t) || u.At.Location() != time.UTC {
			t.Fatalf("%s %s at %v, want %v", u.Invoice, u.Status, u.At, clock.t)
		}
	}
}

// The approved platform's path holds under a lost answer: its stable trackingId is looked
// up before sending, so the flow processed the first time is found, not submitted again.
func TestPALostAnswerIsNotDoubled(t *testing.T) {
	for _, how := range []simulate.Loss{simulate.Lose503, simulate.LoseHang} {
		t.Run(how.String(), func(t *testing.T) {
			sim := simulate.NewPA()
			var loser simulate.AnswerLoser
			loser.SetMaxHang(10 * time.Second)
			lossy := loser.Wrap(sim.Handler())
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && r.URL.Path == "/v1/flows" {
					lossy.ServeHTTP(w, r)
					return
				}
				sim.Handler().ServeHTTP(w, r)
			}))
			defer srv.Close()
			d, err := deposit.NewPA(deposit.PAConfig{Name: "pa", BaseURL: srv.URL, TokenURL: srv.URL + simulate.PATokenPath,
				ClientIDEnv: "CID", ClientSecretEnv: "CSECRET", FlowProfile: "CIUS", Getenv: getenv}, &http.Client{Timeout: 300 * time.Millisecond}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			loser.LoseNext(1, how)
			if _, err := d.Deposit(ctx, ublFlux("FB-1")); err == nil || deposit.IsPermanent(err) {
				t.Fatalf("lost answer: %v, want a failure to try again", err)
			}
			r, err := d.Deposit(ctx, ublFlux("FB-1"))
			if err != nil || !r.AlreadyThere {
				t.Fatalf("second try: %+v, %v; want the flow found, AlreadyThere", r, err)
			}
			if n := sim.Calls("/v1/flows"); n != 1 {
				t.Fatalf("%d flows submitted, want 1", n)
			}
		})
	}
}
