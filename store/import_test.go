package store

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

func TestImportIndexesLikeCreate(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, Options{})
	if err := s.Create(ctx, newRequest("old", "U1", t0, access.StatePending), event(access.EventRequested, newRequest("old", "U1", t0, access.StatePending))); err != nil {
		t.Fatalf("Create: %v", err)
	}
	active := newRequest("r-active", "U1", t0.Add(time.Minute), access.StateActive)
	active.Due = t0.Add(time.Hour)
	expired := newRequest("r-expired", "U2", t0.Add(2*time.Minute), access.StateExpired)
	events := []access.Event{event(access.EventProvisioned, active), event(access.EventExpired, expired)}
	if err := s.Import(ctx, []*access.Request{active, expired}, events); err != nil {
		t.Fatalf("Import: %v", err)
	}

	got, err := s.Get(ctx, "r-active")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	assertEqual(t, "imported request", got, active)
	assertEqual(t, "due index", dueIndex(t, s), []string{dueEntry(active.Due, "r-active")})
	assertEqual(t, "open index", openIndex(t, s), []string{"old", "r-active"})
	assertEqual(t, "requester index", requesterIndex(t, s), []string{
		requesterEntry("U1", t0, "old"),
		requesterEntry("U1", t0.Add(time.Minute), "r-active"),
		requesterEntry("U2", t0.Add(2*time.Minute), "r-expired"),
	})
	assertEqual(t, "event seqs", seqs(allEvents(t, s)), []uint64{1, 2, 3})
	if evs := allEvents(t, s); evs[2].Type != access.EventExpired || evs[2].RequestID != "r-expired" {
		t.Errorf("last event = %s of %s, want expired of r-expired", evs[2].Type, evs[2].RequestID)
	}
}

func TestImportConflictWritesNothing(t *testing.T) {
	ctx := t.Context()
	for name, batch := range map[string][]*access.Request{
		"stored already":   {newRequest("new", "U1", t0, access.StateActive), newRequest("old", "U1", t0, access.StateActive)},
		"twice in a batch": {newRequest("new", "U1", t0, access.StateActive), newRequest("new", "U1", t0, access.StateActive)},
	} {
		t.Run(name, func(t *testing.T) {
			s := openTest(t, Options{})
			if err := s.Create(ctx, newRequest("old", "U2", t0, access.StateExpired)); err != nil {
				t.Fatalf("Create: %v", err)
			}
			err := s.Import(ctx, batch, []access.Event{event(access.EventRequested, batch[0])})
			if access.ErrorCode(err) != access.ECONFLICT {
				t.Fatalf("Import = %v, want ECONFLICT", err)
			}
			if _, err := s.Get(ctx, "new"); access.ErrorCode(err) != access.ENOTFOUND {
				t.Errorf("Get(new) after a failed import = %v, want ENOTFOUND", err)
			}
			assertEqual(t, "open index", openIndex(t, s), []string{})
			assertEqual(t, "events", len(allEvents(t, s)), 0)
		})
	}
}
