package folder

import (
	"testing"
	"time"
)

// A notification into a folder where nothing happened for a while is followed by a scan
// at once (a dropped file's quiet period starts when it was dropped). Amid a burst, scans
// start ten times their duration apart: a small folder is listed again a few milliseconds
// after the previous listing (a file dropped just after another is seen at once too), a big
// one less often, and never less than once a second.
func TestNotifyWait(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	small := 100 * time.Microsecond // a listing of a few files
	for _, c := range []struct {
		what     string
		lastScan time.Time
		took     time.Duration
		want     time.Duration
	}{
		{"first notification", time.Time{}, 0, notifySettle},
		{"after a quiet minute", now.Add(-time.Minute), small, notifySettle},
		{"small folder, amid a burst", now.Add(-time.Millisecond), small, minNotifyGap - time.Millisecond},
		{"small folder, the previous scan long enough ago", now.Add(-minNotifyGap), small, notifySettle},
		{"big folder, amid a burst", now.Add(-100 * time.Millisecond), 50 * time.Millisecond, 400 * time.Millisecond},
		{"huge folder, amid a burst", now, 5 * time.Second, maxNotifyGap},
	} {
		if got := notifyWait(now, c.lastScan, c.took); got != c.want {
			t.Errorf("%s: wait %s, want %s", c.what, got, c.want)
		}
	}
}
