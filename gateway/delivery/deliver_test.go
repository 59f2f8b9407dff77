package delivery

import (
	"testing"
	"time"
)

func TestBreakerPausesAndResumes(t *testing.T) {
	var b breaker
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i := 1; i < breakerThreshold; i++ {
		if opened, _ := b.failure(now); opened {
			t.Fatalf("opened after %d failures", i)
		}
	}
	opened, until := b.failure(now)
	if !opened || !until.Equal(now.Add(breakerCooldown)) {
		t.Fatalf("failure %d: opened %v until %v", breakerThreshold, opened, until)
	}
	if ok, _ := b.allow(now.Add(time.Minute)); ok {
		t.Fatal("an open breaker let a round through")
	}
	if ok, _ := b.allow(until); !ok {
		t.Fatal("the breaker did not resume by itself after its cool-down")
	}
	_, until = b.failure(until) // the trial round failed too: a longer pause
	if !until.Equal(now.Add(breakerCooldown).Add(2 * breakerCooldown)) {
		t.Fatalf("second pause until %v", until)
	}
	b.success()
	if ok, _ := b.allow(now); !ok {
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
