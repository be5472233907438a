package store

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	bolt "go.etcd.io/bbolt"
)

// fill stores n active requests, all due after t0, in batches so that setup
// takes seconds, not minutes.
func fill(b *testing.B, s *Store, n int) {
	b.Helper()
	const batch = 1000
	for start := 0; start < n; start += batch {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				r := newRequest(fmt.Sprintf("req-%07d", i), fmt.Sprintf("U%d", i%500), t0.Add(-time.Duration(i)*time.Second), access.StateActive)
				r.Due = t0.Add(time.Hour + time.Duration(i)*time.Second)
				if err := create(tx, r, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("fill: %v", err)
		}
	}
}

// BenchmarkListDueNothingDue is the expiry sweep's common case: many grants,
// none due. Its cost must not grow with the number stored.
func BenchmarkListDueNothingDue(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("requests=%d", n), func(b *testing.B) {
			s := openTest(b, Options{NoSync: true})
			fill(b, s, n)
			for b.Loop() {
				rs, err := s.ListDue(b.Context(), t0, 100)
				if err != nil || len(rs) != 0 {
					b.Fatalf("ListDue = %d requests, %v; want none", len(rs), err)
				}
			}
		})
	}
}

// BenchmarkUpdate measures one synced transition with one event.
func BenchmarkUpdate(b *testing.B) {
	s := openTest(b, Options{})
	r := newRequest("r1", "U1", t0, access.StateActive)
	if err := s.Create(b.Context(), r); err != nil {
		b.Fatalf("Create: %v", err)
	}
	now := t0
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

// BenchmarkCreate measures storing one new request with its event, synced.
func BenchmarkCreate(b *testing.B) {
	s := openTest(b, Options{})
	i := 0
	for b.Loop() {
		i++
		r := newRequest(fmt.Sprintf("req-%07d", i), "U1", t0.Add(time.Duration(i)*time.Second), access.StatePending)
		r.Due = r.CreatedAt.Add(24 * time.Hour)
		if err := s.Create(b.Context(), r, event(access.EventRequested, r)); err != nil {
			b.Fatalf("Create: %v", err)
		}
	}
}

// BenchmarkUpdateConcurrent is many flows updating their own requests at
// once, as under a burst of clicks: writes waiting for a commit share the
// next one, so a write costs far less than one fsync.
func BenchmarkUpdateConcurrent(b *testing.B) {
	s := openTest(b, Options{})
	const requests = 64
	for i := range requests {
		r := newRequest(fmt.Sprintf("r%d", i), "U1", t0, access.StateActive)
		if err := s.Create(b.Context(), r); err != nil {
			b.Fatalf("Create: %v", err)
		}
	}
	var next atomic.Int64
	b.SetParallelism(requests / runtime.GOMAXPROCS(0))
	b.RunParallel(func(pb *testing.PB) {
		id := fmt.Sprintf("r%d", next.Add(1)%requests)
		now := t0
		for pb.Next() {
			now = now.Add(time.Second)
			_, err := s.Update(b.Context(), id, func(r *access.Request) ([]access.Event, error) {
				r.UpdatedAt = now
				return []access.Event{access.NewEvent(access.EventReminded, access.System, r, now, nil)}, nil
			})
			if err != nil {
				b.Errorf("Update: %v", err)
				return
			}
		}
	})
}
