package postgres

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/store/storetest"
)

// TestReplicasShareOneTrail has two stores on one database (two replicas)
// update one request and append events at once, while a third follows the
// trail as the audit mirror does: no update is lost, and the follower never
// sees an event before every earlier one (numbers commit in order), so it
// never skips one.
func TestReplicasShareOneTrail(t *testing.T) {
	ctx := t.Context()
	a, url := openTest(t)
	b, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatalf("Open b: %v", err)
	}
	defer b.Close()
	follower, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatalf("Open follower: %v", err)
	}
	defer follower.Close()

	r := storetest.NewRequest("r1", "U1", storetest.T0, access.StateActive)
	if err := a.Create(ctx, r, storetest.Event(access.EventRequested, r)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	const workers, each = 4, 40
	var writing sync.WaitGroup
	var stop atomic.Bool
	for i := range workers {
		st := []*Store{a, b}[i%2]
		writing.Go(func() {
			for j := range each {
				var err error
				if j%3 == 0 {
					err = st.Append(ctx, storetest.Event(access.EventRefused, r), storetest.Event(access.EventRefused, r))
				} else {
					_, err = st.Update(ctx, "r1", func(r *access.Request) ([]access.Event, error) {
						r.Grant.Extensions++
						return []access.Event{storetest.Event(access.EventExtended, r)}, nil
					})
				}
				if err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
		})
	}
	var followed []access.Event
	var following sync.WaitGroup
	following.Go(func() {
		var last uint64
		for {
			done := stop.Load() // read before the batch, so the last batch sees every commit
			evs, err := follower.EventsAfter(ctx, last, 7)
			if err != nil {
				t.Errorf("EventsAfter: %v", err)
				return
			}
			for _, e := range evs {
				if e.Seq != last+1 {
					t.Errorf("the follower saw event %d after %d", e.Seq, last)
					return
				}
				last = e.Seq
				followed = append(followed, e)
			}
			if done && len(evs) == 0 {
				return
			}
		}
	})
	writing.Wait()
	stop.Store(true)
	following.Wait()

	got, err := b.Get(ctx, "r1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	updates := 0
	for j := range each {
		if j%3 != 0 {
			updates++
		}
	}
	updates *= workers
	if got.Grant.Extensions != updates {
		t.Errorf("Extensions = %d, want %d: an update was lost", got.Grant.Extensions, updates)
	}
	want := 1 + updates + 2*(workers*each-updates)
	if len(followed) != want {
		t.Errorf("the follower saw %d events, want %d", len(followed), want)
	}
	storetest.AssertEqual(t, "the follower's events", followed, storetest.AllEvents(t, a))
}
