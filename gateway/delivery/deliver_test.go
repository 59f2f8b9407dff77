package delivery

import (
	"errors"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
)

func TestBreakerPausesAndResumes(t *testing.T) {
	var b breaker
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	down := errors.New("HTTP 503: unavailable")
	for i := 1; i < BreakerThreshold; i++ {
		b.failure(down)
		if _, open, _, _ := b.settle(now); open {
			t.Fatalf("opened after %d failed calls", i)
		}
	}
	b.success() // one call answered: the count starts again
	for range BreakerThreshold - 1 {
		b.failure(down)
	}
	if _, open, _, _ := b.settle(now); open {
		t.Fatal("failures not in a row opened the breaker")
	}
	b.failure(down)
	changed, open, until, reason := b.settle(now)
	if !changed || !open || !until.Equal(now.Add(breakerCooldown)) || reason != down.Error() {
		t.Fatalf("call %d in a row: changed %v open %v until %v reason %q", BreakerThreshold, changed, open, until, reason)
	}
	if ok, _ := b.allow(now.Add(time.Minute), false); ok {
		t.Fatal("an open breaker let a round through")
	}
	if ok, _ := b.allow(now.Add(time.Minute), true); !ok {
		t.Fatal("a forced round (run --once) may probe an open breaker")
	}
	if ok, _ := b.allow(until, false); !ok {
		t.Fatal("the breaker did not let a probe through after its cool-down")
	}
	b.failure(down) // the probe failed: a longer pause, at once
	if _, _, until2, _ := b.settle(until); !until2.Equal(until.Add(2 * breakerCooldown)) {
		t.Fatalf("second pause until %v", until2)
	}
	b.success() // a call succeeded (a tracking call, say): closed before the pause ends
	if changed, open, _, _ := b.settle(until); !changed || open {
		t.Fatalf("after a success: changed %v open %v", changed, open)
	}
	if ok, _ := b.allow(until, false); !ok {
		t.Fatal("success did not close the breaker")
	}
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	for n := 1; n < 30; n++ {
		d := backoff(n)
		want := RetryBase
		for i := 1; i < n && want < retryMax; i++ {
			want *= 2
		}
		want = min(want, retryMax)
		if d < want/2 || d > want {
			t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, want/2, want)
		}
	}
}

func TestPlatformRefusalNamesStatusAndReason(t *testing.T) {
	p := platformProblem("pa", deposit.StatusUpdate{Status: "210", Label: "Refusée", Reason: "REJ_SEMAN", Message: "Commande inconnue", Rejected: true})
	if p.Rule != "PLATFORM-REJ_SEMAN" ||
		p.FR != "La plateforme pa a refusé la facture : 210 Refusée, motif REJ_SEMAN : Commande inconnue" ||
		p.EN != "Platform pa refused the invoice: 210 Refused, reason REJ_SEMAN: Commande inconnue" {
		t.Fatalf("problem %+v", p)
	}
	p = platformProblem("chorus", deposit.StatusUpdate{Status: "REJETEE", Label: "rejetée", Message: "SIRET inconnu", Rejected: true})
	if p.Rule != "PLATFORM-REJETEE" || p.FR != "La plateforme chorus a refusé la facture : rejetée (REJETEE) : SIRET inconnu" ||
		p.EN != "Platform chorus refused the invoice: rejected (REJETEE): SIRET inconnu" {
		t.Fatalf("problem %+v", p)
	}
}
