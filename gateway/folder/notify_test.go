package folder

import (
	"testing"
	"time"
)

// A notification into a folder where nothing happened for a while is followed by a scan at
// once (a dropped file's quiet period starts when it was dropped); one amid a burst waits
// notifyDelay, so that a burst costs one scan per notifyDelay.
func TestNotifyWait(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if got := notifyWait(now, time.Time{}); got != firstNotifyDelay {
		t.Errorf("first notification: wait %s, want %s", got, firstNotifyDelay)
	}
	if got := notifyWait(now, now.Add(-time.Minute)); got != firstNotifyDelay {
		t.Errorf("after a quiet minute: wait %s, want %s", got, firstNotifyDelay)
	}
	if got := notifyWait(now, now.Add(-notifyDelay/2)); got != notifyDelay {
		t.Errorf("amid a burst: wait %s, want %s", got, notifyDelay)
	}
}
