package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/accessbot/accessbot/access"
)

func testCanceledContextWritesNothing(t *testing.T, open Opener) {
	e := open(t)
	s := e.Store
	r := FullRequest()
	if err := s.Create(t.Context(), r); err != nil {
		t.Fatalf("Create: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"Create": func() error { return s.Create(ctx, NewRequest("r2", "U1", T0, access.StatePending)) },
		"Update": func() error {
			_, err := s.Update(ctx, r.ID, func(r *access.Request) ([]access.Event, error) {
				t.Error("Update called fn under a canceled context")
				return nil, nil
			})
			return err
		},
		"Get":             func() error { _, err := s.Get(ctx, r.ID); return err },
		"ListByRequester": func() error { _, err := s.ListByRequester(ctx, "U1", false); return err },
		"ListOpen":        func() error { _, err := s.ListOpen(ctx); return err },
		"ListDue":         func() error { _, err := s.ListDue(ctx, T0, 0); return err },
		"Append":          func() error { return s.Append(ctx, Event(access.EventRefused, r)) },
		"Events":          func() error { _, err := s.Events(ctx, access.EventFilter{}); return err },
		"LastSeq":         func() error { _, err := s.LastSeq(ctx); return err },
		"EventsAfter":     func() error { _, err := s.EventsAfter(ctx, 0, 0); return err },
		"NextDue":         func() error { _, err := s.NextDue(ctx, T0); return err },
		"RequestsAfter":   func() error { _, err := s.RequestsAfter(ctx, "", 0); return err },
		"Import": func() error {
			return s.Import(ctx, []*access.Request{NewRequest("r3", "U1", T0, access.StatePending)}, nil)
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: error = %v, want context.Canceled", name, err)
		}
	}
	if _, err := s.Get(t.Context(), "r2"); access.ErrorCode(err) != access.ENOTFOUND {
		t.Errorf("Create under a canceled context stored the request (Get error %v)", err)
	}
	if _, err := s.Get(t.Context(), "r3"); access.ErrorCode(err) != access.ENOTFOUND {
		t.Errorf("Import under a canceled context stored the request (Get error %v)", err)
	}
	AssertEqual(t, "events", len(AllEvents(t, s)), 0)
}
