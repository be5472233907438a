package storetest

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// TestEventSeqGapless numbers events across every way of writing them,
// including writes that fail.
func testEventSeqGapless(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	r := NewRequest("r1", "U1", T0, access.StatePending)

	created := []access.Event{Event(access.EventRequested, r), Event(access.EventAutoApproved, r)}
	if err := s.Create(ctx, r, created...); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := s.Create(ctx, r, Event(access.EventRequested, r)); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("second Create: error %v, want %s", err, access.ECONFLICT)
	}
	if _, err := s.Update(ctx, "r1", func(r *access.Request) ([]access.Event, error) {
		return []access.Event{Event(access.EventApproved, r)}, nil
	}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if _, err := s.Update(ctx, "r1", func(r *access.Request) ([]access.Event, error) {
		return []access.Event{Event(access.EventDenied, r)}, errors.New("refused")
	}); err == nil {
		t.Fatal("failing Update succeeded")
	}
	if err := s.Append(ctx); err != nil {
		t.Fatalf("Append of nothing: %v", err)
	}
	refused := []access.Event{Event(access.EventRefused, r), Event(access.EventBreakGlass, r)}
	if err := s.Append(ctx, refused...); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if created[0].Seq != 0 || refused[1].Seq != 0 {
		t.Error("the store wrote Seq into the caller's events")
	}

	want := []access.Event{created[0], created[1], Event(access.EventApproved, r), refused[0], refused[1]}
	for i := range want {
		want[i].Seq = uint64(i + 1)
	}
	AssertEqual(t, "events", AllEvents(t, s), want)

	last, err := s.LastSeq(ctx)
	if err != nil {
		t.Fatalf("LastSeq: %v", err)
	}
	if last != 5 {
		t.Errorf("LastSeq = %d, want 5", last)
	}
	for _, tc := range []struct {
		after uint64
		limit int
		want  []uint64
	}{
		{0, 0, []uint64{1, 2, 3, 4, 5}},
		{0, -1, []uint64{1, 2, 3, 4, 5}},
		{0, 2, []uint64{1, 2}},
		{2, 2, []uint64{3, 4}},
		{3, 10, []uint64{4, 5}},
		{5, 0, []uint64{}},
		{99, 0, []uint64{}},
		{math.MaxUint64, 0, []uint64{}},
	} {
		got, err := s.EventsAfter(ctx, tc.after, tc.limit)
		if err != nil {
			t.Fatalf("EventsAfter: %v", err)
		}
		AssertEqual(t, "EventsAfter seqs", Seqs(got), tc.want)
	}
}

func testLastSeqEmpty(t *testing.T, open Opener) {
	e := open(t)
	s := e.Store
	last, err := s.LastSeq(t.Context())
	if err != nil || last != 0 {
		t.Errorf("LastSeq of an empty store = %d, %v; want 0, nil", last, err)
	}
}

func testEventsFilter(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	at := func(d time.Duration, res string, actor, subject access.User) access.Event {
		return access.Event{Time: T0.Add(d), Type: access.EventRefused, Actor: actor, Subject: subject, ResourceID: res}
	}
	carol := access.User{SlackID: "U3", Email: "carol@acme.com"}
	if err := s.Append(ctx,
		at(0, "aws", alice, alice),                 // 1
		at(time.Hour, "gcp", bob, alice),           // 2
		at(2*time.Hour, "aws", access.System, bob), // 3
		at(3*time.Hour, "aws", carol, carol),       // 4
	); err != nil {
		t.Fatalf("Append: %v", err)
	}
	for _, tc := range []struct {
		name string
		f    access.EventFilter
		want []uint64
	}{
		{"all", access.EventFilter{}, []uint64{1, 2, 3, 4}},
		{"after seq", access.EventFilter{AfterSeq: 2}, []uint64{3, 4}},
		{"resource", access.EventFilter{ResourceID: "aws"}, []uint64{1, 3, 4}},
		{"actor or subject", access.EventFilter{Email: "BOB@acme.com"}, []uint64{2, 3}},
		{"since inclusive, until exclusive", access.EventFilter{Since: T0.Add(time.Hour), Until: T0.Add(3 * time.Hour)}, []uint64{2, 3}},
		{"combined", access.EventFilter{AfterSeq: 1, ResourceID: "aws", Email: "carol@acme.com"}, []uint64{4}},
		{"none", access.EventFilter{ResourceID: "okta"}, []uint64{}},
	} {
		got, err := s.Events(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: Events: %v", tc.name, err)
		}
		AssertEqual(t, tc.name, Seqs(got), tc.want)
	}
}
