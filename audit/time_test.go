package audit

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-03-01T08:30:00Z", time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)},
		{"2026-03-01T08:30:00.5+01:00", time.Date(2026, 3, 1, 7, 30, 0, 5e8, time.UTC)},
		{"2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"7d", now.Add(-7 * 24 * time.Hour)},
		{"24h", now.Add(-24 * time.Hour)},
		{" 1h30m ", now.Add(-90 * time.Minute)},
	} {
		got, err := ParseTime(tc.in, now)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{"", "yesterday", "-7d", "0h", "2026-13-01", "2026-03-01 08:30"} {
		if _, err := ParseTime(in, now); access.ErrorCode(err) != access.EINVALID {
			t.Errorf("ParseTime(%q): error %v, want %s", in, err, access.EINVALID)
		}
	}
}
