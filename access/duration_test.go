package access_test

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"90m", 90 * time.Minute, false},
		{"1d", 24 * time.Hour, false},
		{"2w", 14 * 24 * time.Hour, false},
		{"1h30m", 90 * time.Minute, false},
		{" 4H ", 4 * time.Hour, false},
		{"45s", 45 * time.Second, false},
		{"", 0, true},
		{"0h", 0, true},
		{"-1h", 0, true},
		{"h", 0, true},
		{"4", 0, true},
		{"4y", 0, true},
		{"1.5h", 0, true},
		{"9999999999w", 0, true},
	}
	for _, tt := range tests {
		got, err := access.ParseDuration(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatDurationRoundTrips(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 90 * time.Minute, 24 * time.Hour, 8 * 24 * time.Hour, 25*time.Hour + time.Second} {
		s := access.FormatDuration(d)
		back, err := access.ParseDuration(s)
		if err != nil || back != d {
			t.Errorf("%v -> %q -> %v, %v", d, s, back, err)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90m", "1d", "2w", "1h30m", "", "0s", "-1h", "99999999999h", "1x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := access.ParseDuration(s)
		if err != nil {
			return
		}
		if d <= 0 {
			t.Fatalf("ParseDuration(%q) = %v without error", s, d)
		}
		if back, err := access.ParseDuration(access.FormatDuration(d)); err != nil || (d >= time.Second && back != d.Truncate(time.Second)) {
			t.Fatalf("round trip of %q: %v -> %v, %v", s, d, back, err)
		}
	})
}
