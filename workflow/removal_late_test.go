package workflow_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// With two replicas, one can end an approved request (its removal finding
// nothing in Okta yet) while the other's grant call is in flight; that
// grant then lands after the end. It is recorded at once and removed again,
// and a failed removal is retried by the sweep of any replica until Okta
// confirms it, without a reconcile taking it for drift meanwhile: Okta is
// left as it was before the request.
func TestGrantLandingAfterAnotherReplicaEndedItIsRemovedUntilConfirmed(t *testing.T) {
	h := newHarness(t)
	other := h.replica()
	h.prov.grantGate = make(chan struct{})
	r := h.submit(alice, "aws-prod", "1h", "debug")
	done := h.approveLater(bob, r.ID)
	eventually(t, "the grant recorded what it changes before its call", func() bool { return h.get(r.ID).Grant.Prepared() })
	if _, err := other.Cancel(ctx, alice.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	if st := h.get(r.ID).State; st != access.StateCancelled {
		t.Fatalf("state %s after the other replica's cancel, want cancelled", st)
	}
	h.prov.fail("revoke", access.Wrap(access.EUNAVAILABLE, errors.New("okta 503")))
	close(h.prov.grantGate) // the grant lands after the end, and its first removal fails
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !h.prov.holds(alice.Email, group) {
		t.Fatal("the late grant did not land: the test set-up is wrong")
	}
	left := h.get(r.ID)
	if left.Grant.Leftover == nil || left.Due.IsZero() {
		t.Fatalf("a late grant whose removal failed is not recorded for another try: leftover %+v, due %v", left.Grant.Leftover, left.Due)
	}

	// Meanwhile a reconcile finds the membership the request's end removed
	// held again: the bot's own doing, being removed, so not drift.
	// (Twice: the first takes any membership the trail has just removed
	// for the bot's own; the second knows the removal is older.)
	rec := workflow.NewReconciler(other, workflow.ReconcileOptions{Members: &members{prov: h.prov}})
	for range 2 {
		if err := rec.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if evs := driftEvents(t, h); len(evs) != 0 {
		t.Fatalf("the late grant being removed was reported as drift: %+v", evs)
	}

	h.clock.Advance(time.Hour) // past the backoff
	if err := other.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if h.prov.holds(alice.Email, group) {
		t.Fatal("Okta still holds the late grant after the sweep")
	}
	if end := h.get(r.ID); end.Grant.Leftover != nil || !end.Due.IsZero() || end.State != access.StateCancelled {
		t.Fatalf("after the removal: leftover %+v, due %v, state %s; want none, none, cancelled", end.Grant.Leftover, end.Due, end.State)
	}
	evs := h.events(r.ID)
	for _, want := range []access.EventType{access.EventCancelled, access.EventLateGrant, access.EventRemovalFailed, access.EventLateGrantRemoved} {
		if !slices.Contains(evs, want) {
			t.Errorf("the trail lacks %s: %v", want, evs)
		}
	}
}
