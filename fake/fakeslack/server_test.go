package fakeslack

import (
	"fmt"
	"testing"
)

func TestNextTS(t *testing.T) {
	s := &Server{}
	for _, count := range []int64{1, 2, 9999, 10000, 10001, 123456} {
		s.tsCount = count - 1
		micros := count * 100
		want := fmt.Sprintf("%d.%06d", 1700000000+micros/1000000, micros%1000000)
		if got := s.nextTSLocked(); got != want {
			t.Errorf("ts #%d = %q, want %q", count, got, want)
		}
	}
}
