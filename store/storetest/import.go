package storetest

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

func testImportIndexesLikeCreate(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	if err := s.Create(ctx, NewRequest("old", "U1", T0, access.StatePending), Event(access.EventRequested, NewRequest("old", "U1", T0, access.StatePending))); err != nil {
		t.Fatalf("Create: %v", err)
	}
	active := NewRequest("r-active", "U1", T0.Add(time.Minute), access.StateActive)
	active.Due = T0.Add(time.Hour)
	expired := NewRequest("r-expired", "U2", T0.Add(2*time.Minute), access.StateExpired)
	events := []access.Event{Event(access.EventProvisioned, active), Event(access.EventExpired, expired)}
	if err := s.Import(ctx, []*access.Request{active, expired}, events); err != nil {
		t.Fatalf("Import: %v", err)
	}

	got, err := s.Get(ctx, "r-active")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	AssertEqual(t, "imported request", got, active)
	AssertEqual(t, "due index", dueIndex(t, e), []string{DueEntry(active.Due, "r-active")})
	AssertEqual(t, "open index", openIndex(t, e), []string{"old", "r-active"})
	AssertEqual(t, "requester index", requesterIndex(t, e), []string{
		RequesterEntry("U1", T0, "old"),
		RequesterEntry("U1", T0.Add(time.Minute), "r-active"),
		RequesterEntry("U2", T0.Add(2*time.Minute), "r-expired"),
	})
	AssertEqual(t, "event seqs", Seqs(AllEvents(t, s)), []uint64{1, 2, 3})
	if evs := AllEvents(t, s); evs[2].Type != access.EventExpired || evs[2].RequestID != "r-expired" {
		t.Errorf("last event = %s of %s, want expired of r-expired", evs[2].Type, evs[2].RequestID)
	}
}

func testImportConflictWritesNothing(t *testing.T, open Opener) {
	ctx := t.Context()
	for name, batch := range map[string][]*access.Request{
		"stored already":   {NewRequest("new", "U1", T0, access.StateActive), NewRequest("old", "U1", T0, access.StateActive)},
		"twice in a batch": {NewRequest("new", "U1", T0, access.StateActive), NewRequest("new", "U1", T0, access.StateActive)},
	} {
		t.Run(name, func(t *testing.T) {
			e := open(t)
			s := e.Store
			if err := s.Create(ctx, NewRequest("old", "U2", T0, access.StateExpired)); err != nil {
				t.Fatalf("Create: %v", err)
			}
			err := s.Import(ctx, batch, []access.Event{Event(access.EventRequested, batch[0])})
			if access.ErrorCode(err) != access.ECONFLICT {
				t.Fatalf("Import = %v, want ECONFLICT", err)
			}
			if _, err := s.Get(ctx, "new"); access.ErrorCode(err) != access.ENOTFOUND {
				t.Errorf("Get(new) after a failed import = %v, want ENOTFOUND", err)
			}
			AssertEqual(t, "open index", openIndex(t, e), []string{})
			AssertEqual(t, "events", len(AllEvents(t, s)), 0)
		})
	}
}
