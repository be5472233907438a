package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// testPauses pauses and resumes resources: a pause is kept until resumed,
// its events are numbered with the rest of the trail, and a refused pause
// or resume writes nothing.
func testPauses(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t).Store
	if ps, err := s.Pauses(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("Pauses of an empty store = %v, %v; want none", ps, err)
	}
	erin := access.User{SlackID: "U5", Email: "erin@acme.com", Name: "Erin"}
	db := access.Pause{ResourceID: "db-prod", By: erin, At: T0, Reason: "INC-9: leaked key ✓"}
	aws := access.Pause{ResourceID: "aws-prod-read", By: erin, At: T0.Add(time.Minute)}
	ev := func(typ access.EventType, res string) access.Event {
		return access.Event{Time: T0, Type: typ, Actor: erin, ResourceID: res}
	}
	if err := s.PauseResource(ctx, db, ev(access.EventPaused, "db-prod")); err != nil {
		t.Fatalf("PauseResource: %v", err)
	}
	if err := s.PauseResource(ctx, aws, ev(access.EventPaused, "aws-prod-read")); err != nil {
		t.Fatalf("PauseResource: %v", err)
	}
	again := db
	again.Reason = "twice"
	if err := s.PauseResource(ctx, again, ev(access.EventPaused, "db-prod")); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("second PauseResource: error %v, want %s", err, access.ECONFLICT)
	}
	ps, err := s.Pauses(ctx)
	if err != nil {
		t.Fatalf("Pauses: %v", err)
	}
	if want := []access.Pause{aws, db}; !reflect.DeepEqual(ps, want) {
		t.Fatalf("Pauses = %+v\nwant %+v", ps, want)
	}
	if err := s.ResumeResource(ctx, "db-prod", ev(access.EventResumed, "db-prod")); err != nil {
		t.Fatalf("ResumeResource: %v", err)
	}
	if err := s.ResumeResource(ctx, "db-prod", ev(access.EventResumed, "db-prod")); access.ErrorCode(err) != access.ENOTFOUND {
		t.Fatalf("second ResumeResource: error %v, want %s", err, access.ENOTFOUND)
	}
	if ps, err = s.Pauses(ctx); err != nil || !reflect.DeepEqual(ps, []access.Pause{aws}) {
		t.Fatalf("Pauses after resume = %+v, %v; want only %+v", ps, err, aws)
	}
	evs, err := s.Events(ctx, access.EventFilter{})
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var got []access.EventType
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Errorf("event %d has seq %d", i, e.Seq)
		}
		got = append(got, e.Type)
	}
	if want := []access.EventType{access.EventPaused, access.EventPaused, access.EventResumed}; !reflect.DeepEqual(got, want) {
		t.Errorf("trail = %v, want %v (a refused pause or resume writes nothing)", got, want)
	}
}
