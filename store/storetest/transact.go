package storetest

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Transact changes several requests and creates others in one transaction,
// with their events and index entries; a refusal of any part writes nothing.
func testTransact(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	grant := NewRequest("g1", "U1", T0, access.StateActive)
	grant.Due = T0.Add(time.Hour)
	if err := s.Create(ctx, grant, Event(access.EventProvisioned, grant)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	ext := NewRequest("x1", "U1", T0.Add(time.Minute), access.StatePending)
	ext.Kind, ext.ParentID, ext.Due = access.KindExtension, "g1", T0.Add(2*time.Hour)

	// A refusal, an unknown id and an existing id to create each write nothing.
	refusal := access.Refuse(access.ECONFLICT, access.ReasonExtensionWaiting, access.Params{})
	if _, err := s.Transact(ctx, []string{"g1"}, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		rs[0].Grant.PendingExtension = "x1"
		return []*access.Request{ext}, []access.Event{Event(access.EventExtensionRequested, ext)}, refusal
	}); err != refusal {
		t.Errorf("Transact error = %v, want fn's error unchanged", err)
	}
	if _, err := s.Transact(ctx, []string{"g1", "nope"}, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		t.Error("fn called although a request is missing")
		return nil, nil, nil
	}); access.ErrorCode(err) != access.ENOTFOUND {
		t.Errorf("Transact over a missing id: %v, want %s", err, access.ENOTFOUND)
	}
	if _, err := s.Transact(ctx, []string{"g1"}, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		rs[0].Grant.PendingExtension = "g1"
		return []*access.Request{NewRequest("g1", "U1", T0, access.StatePending)}, []access.Event{Event(access.EventRequested, grant)}, nil
	}); access.ErrorCode(err) != access.ECONFLICT {
		t.Errorf("Transact creating an existing id: %v, want %s", err, access.ECONFLICT)
	}
	stored, err := s.Get(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	AssertEqual(t, "grant after refusals", stored, grant)
	AssertEqual(t, "seqs after refusals", Seqs(AllEvents(t, s)), []uint64{1})

	rs, err := s.Transact(ctx, []string{"g1"}, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		rs[0].Grant.PendingExtension = "x1"
		return []*access.Request{ext}, []access.Event{Event(access.EventExtensionRequested, ext)}, nil
	})
	if err != nil {
		t.Fatalf("Transact: %v", err)
	}
	if len(rs) != 2 || rs[0].ID != "g1" || rs[1].ID != "x1" || rs[0].Grant.PendingExtension != "x1" {
		t.Fatalf("Transact returned %+v, want the grant then the extension", rs)
	}
	if got, err := s.Get(ctx, "x1"); err != nil {
		t.Fatal(err)
	} else {
		AssertEqual(t, "created", got, ext)
	}
	AssertEqual(t, "seqs", Seqs(AllEvents(t, s)), []uint64{1, 2})
	AssertEqual(t, "due index", dueIndex(t, e), []string{DueEntry(grant.Due, "g1"), DueEntry(ext.Due, "x1")})
	AssertEqual(t, "open index", openIndex(t, e), []string{"g1", "x1"})

	// Both sides of an applied extension move together.
	_, err = s.Transact(ctx, []string{"x1", "g1"}, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		rs[0].State, rs[0].Due = access.StateExtended, time.Time{}
		rs[1].Grant.PendingExtension, rs[1].Due = "", T0.Add(3*time.Hour)
		return nil, []access.Event{Event(access.EventExtended, rs[1])}, nil
	})
	if err != nil {
		t.Fatalf("Transact: %v", err)
	}
	AssertEqual(t, "due index after", dueIndex(t, e), []string{DueEntry(T0.Add(3*time.Hour), "g1")})
	AssertEqual(t, "open index after", openIndex(t, e), []string{"g1"})
	AssertEqual(t, "seqs after", Seqs(AllEvents(t, s)), []uint64{1, 2, 3})
}
