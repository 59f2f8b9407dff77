package deposit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/simulate"
)

// pacedPA is newPA with a pacer whose retries wait a millisecond, behind handler wrap (nil:
// the simulator as is).
func pacedPA(t *testing.T, p *deposit.Pacer, wrap func(http.Handler) http.Handler) (*simulate.PA, *deposit.PA) {
	t.Helper()
	sim := simulate.NewPA()
	h := sim.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	d, err := deposit.NewPA(deposit.PAConfig{Name: "pa", BaseURL: srv.URL, TokenURL: srv.URL + simulate.PATokenPath,
		ClientIDEnv: "CID", ClientSecretEnv: "CSECRET", Getenv: getenv}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.RetryBase = time.Millisecond
	d.SetPacer(p)
	return sim, d
}

// outcomes records what the pacer tells its observer.
type outcomes struct {
	mu         sync.Mutex
	ok, failed int
}

func (o *outcomes) observe(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err == nil {
		o.ok++
	} else {
		o.failed++
	}
}

func TestPacerPacesEveryCallTheTokenIncluded(t *testing.T) {
	// One call an hour, in bursts of two: the token call and the search take the burst, so
	// the submission must wait an hour, which its deadline does not allow.
	p := deposit.NewPacer(1.0/3600, 2)
	p.Retries = 0
	sim, d := pacedPA(t, p, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := d.Deposit(ctx, ublFlux("FB-1"))
	if err == nil || deposit.IsPermanent(err) {
		t.Fatalf("deposit beyond the rate: %v, want a transient error", err)
	}
	if tok, search, submit := sim.TokensIssued(), sim.Calls("/v1/flows/search"), sim.Calls("/v1/flows"); tok != 1 || search != 1 || submit != 0 {
		t.Fatalf("token %d, search %d, submit %d: want 1, 1, 0 (every call paced by one limiter)", tok, search, submit)
	}
}

func TestTransientFailuresAreTriedAgainWithinTheCall(t *testing.T) {
	p := deposit.NewPacer(0, 0)
	var seen outcomes
	p.Observe(seen.observe)
	tokenFailures := 2
	var mu sync.Mutex
	sim, d := pacedPA(t, p, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			fail := r.URL.Path == simulate.PATokenPath && tokenFailures > 0
			if fail {
				tokenFailures--
			}
			mu.Unlock()
			if fail {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	sim.FailNext(deposit.DefaultRetries, http.StatusServiceUnavailable, "")
	r, err := d.Deposit(context.Background(), ublFlux("FB-1"))
	if err != nil {
		t.Fatalf("a few 503s (the token's included) failed the deposit: %v", err)
	}
	if r.AlreadyThere || sim.Calls("/v1/flows") != 1 {
		t.Fatalf("receipt %+v after %d submissions, want one", r, sim.Calls("/v1/flows"))
	}
	if seen.failed != 0 || seen.ok == 0 {
		t.Fatalf("observer: %d ok, %d failed; a call that succeeded after tries is one success", seen.ok, seen.failed)
	}
	// More failures than tries: the call fails, once for the observer.
	sim.FailNext(deposit.DefaultRetries+1, http.StatusServiceUnavailable, "")
	if _, err := d.Track(context.Background(), []string{r.ID}); err == nil {
		t.Fatal("Track hid a call that failed every try")
	}
	if seen.failed != 1 {
		t.Fatalf("observer heard %d failures, want 1", seen.failed)
	}
}

func TestRetryAfterHoldsEveryCall(t *testing.T) {
	p := deposit.NewPacer(0, 0)
	sim, d := pacedPA(t, p, nil)
	r, err := d.Deposit(context.Background(), ublFlux("FB-1"))
	if err != nil {
		t.Fatal(err)
	}
	gets := func() int { return sim.Calls("/v1/flows/" + r.ID) }
	sim.FailNext(1, http.StatusTooManyRequests, "120")
	_, err = d.Track(context.Background(), []string{r.ID, r.ID})
	if until, held := deposit.IsHeld(err); !held || until.Before(time.Now().Add(100*time.Second)) {
		t.Fatalf("tracking told to wait 120s: %v", err)
	}
	if gets() != 0 {
		t.Fatalf("%d flows read after the platform asked to wait", gets())
	}
	// A deposit is held too, without a call, and says how long the platform asked for.
	before := sim.Calls("/v1/flows/search")
	_, err = d.Deposit(context.Background(), ublFlux("FB-2"))
	if after, ok := deposit.RetryAfter(err); !ok || after < 100*time.Second || sim.Calls("/v1/flows/search") != before {
		t.Fatalf("deposit while held: %v (retry after %v), %d searches", err, after, sim.Calls("/v1/flows/search")-before)
	}
	if until, held := p.HeldUntil(); !held || until.Before(time.Now()) {
		t.Fatalf("pacer held until %v, %v", until, held)
	}
}

func TestKnownTrackerSparesAcceptedFlows(t *testing.T) {
	sim, d := pacedPA(t, deposit.NewPacer(0, 0), nil)
	ctx := context.Background()
	r1, err := d.Deposit(ctx, ublFlux("FB-1"))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := d.Deposit(ctx, ublFlux("FB-2"))
	if err != nil {
		t.Fatal(err)
	}
	gets := func() int { return sim.Calls("/v1/flows/"+r1.ID) + sim.Calls("/v1/flows/"+r2.ID) }
	ups, err := d.TrackKnown(ctx, []deposit.Tracked{{Receipt: r1.ID, Invoice: "FB-1"}, {Receipt: r2.ID, Invoice: "FB-2"}})
	if err != nil || gets() != 2 {
		t.Fatalf("first round: %d flows read, %v", gets(), err)
	}
	// Both acknowledged Ok now: their lifecycle comes from the lifecycle flows, no flow is
	// read again.
	for range 3 {
		ups, err = d.TrackKnown(ctx, []deposit.Tracked{{Receipt: r1.ID, Invoice: "FB-1", Status: "Ok"}, {Receipt: r2.ID, Invoice: "FB-2", Status: "203"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if gets() != 2 {
		t.Fatalf("%d flows read; accepted flows must not be read again", gets())
	}
	var lifecycle int
	for _, u := range ups {
		if u.Invoice != "" {
			lifecycle++
		}
	}
	if lifecycle != 2 {
		t.Fatalf("updates %+v: want each invoice's lifecycle status", ups)
	}
}

func TestStatusLabelsInTheAckLanguage(t *testing.T) {
	for _, c := range []struct{ code, label, lang, want string }{
		{"210", "Refusée", "fr", "Refusée"},
		{"210", "Refusée", "en", "Refused"},
		{"MISE_EN_PAIEMENT", "mise en paiement", "en", "payment sent"},
		{"IN_INTEGRE_PARTIEL", "rejetée à l'intégration", "en", "rejected at integration"},
		{"Error", "", "fr", "flux refusé par la plateforme"},
		{"XYZ", "autre chose", "en", "autre chose"},
	} {
		if got := deposit.StatusLabel(c.code, c.label, c.lang); got != c.want {
			t.Errorf("StatusLabel(%s, %q, %s) = %q, want %q", c.code, c.label, c.lang, got, c.want)
		}
	}
}
