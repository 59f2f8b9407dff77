package deposit

import (
	"testing"
	"time"
)

// Chorus Pro writes Paris local times without an offset (summer UTC+2, winter UTC+1); an
// offset, when given, is obeyed. Every time comes out in UTC.
func TestParseChorusTimeIsParisTime(t *testing.T) {
	def := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-07-01T10:00:00":          time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC),
		"2026-07-01T10:00:00.250":      time.Date(2026, 7, 1, 8, 0, 0, 250e6, time.UTC),
		"2026-01-15 10:00":             time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC),
		"2026-01-15 10:00:30":          time.Date(2026, 1, 15, 9, 0, 30, 0, time.UTC),
		"2026-11-26":                   time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC),
		"2026-07-01T10:00:00+02:00":    time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC),
		"2026-07-01T10:00:00.000+0000": time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC),
		"2026-07-01T10:00:00Z":         time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC),
		"not a date":                   def,
		"":                             def,
	} {
		got := parseChorusTime(in, def)
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseChorusTime(%q) = %v, want %v UTC", in, got, want)
		}
	}
}
