package fakeslack

import "testing"

// TestNextTS checks that timestamps look like Slack's (seconds, a dot and
// six digits) and keep increasing across the seconds boundary.
func TestNextTS(t *testing.T) {
	s := &Server{}
	for count, want := range map[int64]string{
		1: "1700000000.000100", 2: "1700000000.000200", 9999: "1700000000.999900",
		10000: "1700000001.000000", 10001: "1700000001.000100", 123456: "1700000012.345600",
	} {
		s.tsCount = count - 1
		if got := s.nextTSLocked(); got != want {
			t.Errorf("ts #%d = %q, want %q", count, got, want)
		}
	}
}
