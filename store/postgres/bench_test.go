package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/store/postgres/pgtest"
	"github.com/accessbot/accessbot/store/storetest"
)

// BenchmarkListDueNothingDue is the expiry sweep's common case: many
// grants, none due. The partial due index makes it one index seek, so its
// cost must not grow with the number stored.
func BenchmarkListDueNothingDue(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("requests=%d", n), func(b *testing.B) {
			url := pgtest.URL(b)
			s, err := Open(b.Context(), url, Options{})
			if err != nil {
				b.Fatalf("Open: %v", err)
			}
			defer s.Close()
			const batch = 10_000
			for start := 0; start < n; start += batch {
				var rs []*access.Request
				for i := start; i < min(start+batch, n); i++ {
					r := storetest.NewRequest(fmt.Sprintf("req-%07d", i), fmt.Sprintf("U%d", i%500), storetest.T0.Add(-time.Duration(i)*time.Second), access.StateActive)
					r.Due = storetest.T0.Add(time.Hour + time.Duration(i)*time.Second)
					rs = append(rs, r)
				}
				if err := s.Import(b.Context(), rs, nil); err != nil {
					b.Fatalf("fill: %v", err)
				}
			}
			if _, err := s.pool.Exec(b.Context(), "ANALYZE requests"); err != nil {
				b.Fatalf("analyze: %v", err)
			}
			b.ResetTimer()
			for b.Loop() {
				rs, err := s.ListDue(b.Context(), storetest.T0, 100)
				if err != nil || len(rs) != 0 {
					b.Fatalf("ListDue = %d requests, %v; want none", len(rs), err)
				}
			}
		})
	}
}

// BenchmarkUpdate measures one transition with one event: a row lock, the
// write, the counter and the event, committed.
func BenchmarkUpdate(b *testing.B) {
	s, err := Open(b.Context(), pgtest.URL(b), Options{})
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	defer s.Close()
	r := storetest.NewRequest("r1", "U1", storetest.T0, access.StateActive)
	if err := s.Create(b.Context(), r); err != nil {
		b.Fatalf("Create: %v", err)
	}
	now := storetest.T0
	for b.Loop() {
		now = now.Add(time.Second)
		_, err := s.Update(b.Context(), "r1", func(r *access.Request) ([]access.Event, error) {
			r.UpdatedAt, r.Due = now, now.Add(time.Hour)
			return []access.Event{access.NewEvent(access.EventReminded, access.System, r, now, nil)}, nil
		})
		if err != nil {
			b.Fatalf("Update: %v", err)
		}
	}
}
