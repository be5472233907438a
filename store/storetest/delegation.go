package storetest

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// testDelegations: a delegation round-trips every field, a new one of the
// same delegator replaces it, and its events are appended with it.
func testDelegations(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t).Store
	if ds, err := s.Delegations(ctx); err != nil || len(ds) != 0 {
		t.Fatalf("empty store: %v, %v", ds, err)
	}
	alice := access.User{SlackID: "U1", Email: "alice@acme.com", Name: "alice"}
	d := access.Delegation{
		From: alice, To: bob, Since: T0, Until: T0.Add(72 * time.Hour),
		Resources: []string{"db-prod", "aws"}, Ended: T0.Add(time.Hour),
	}
	ev := access.Event{Time: T0, Type: access.EventType("delegated"), Actor: alice, Subject: bob}
	if err := s.PutDelegation(ctx, d, ev); err != nil {
		t.Fatalf("PutDelegation: %v", err)
	}
	ds, err := s.Delegations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	AssertEqual(t, "delegations", ds, []access.Delegation{d})

	d2 := access.Delegation{From: alice, To: bob, Since: T0.Add(2 * time.Hour), Until: T0.Add(3 * time.Hour)}
	carol := access.Delegation{From: access.User{SlackID: "U3", Email: "carol@acme.com"}, To: alice, Since: T0, Until: T0.Add(time.Hour)}
	if err := s.PutDelegation(ctx, d2); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDelegation(ctx, carol); err != nil {
		t.Fatal(err)
	}
	ds, err = s.Delegations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	AssertEqual(t, "delegations after a replacement", ds, []access.Delegation{d2, carol})
	if err := s.PutDelegation(ctx, access.Delegation{To: bob}); err == nil {
		t.Fatal("a delegation without a delegator's Slack id was stored")
	}
	evs, err := s.Events(ctx, access.EventFilter{})
	if err != nil || len(evs) != 1 || evs[0].Type != "delegated" || evs[0].Seq != 1 {
		t.Fatalf("events = %+v, %v; want the one delegated event", evs, err)
	}
}
