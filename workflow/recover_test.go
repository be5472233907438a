package workflow_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// A changed pending_ttl or reminders applies, at the next start, to the
// requests already stored: their due times are worked out again.
func TestRecoverReschedulesUnderNewTiming(t *testing.T) {
	h := newHarness(t)
	pending := h.submit(alice, "aws-prod", "1h", "debug")
	granted := h.submit(carol, "aws-prod", "4h", "deploy")
	if _, err := h.svc.Approve(ctx, bob.SlackID, granted.ID); err != nil {
		t.Fatal(err)
	}
	g := h.get(granted.ID)
	wantState(t, g, access.StateActive)
	if !h.get(pending.ID).Due.Equal(pending.CreatedAt.Add(24 * time.Hour)) {
		t.Fatalf("pending due %v before the change", h.get(pending.ID).Due)
	}

	timing := access.Timing{PendingTTL: 2 * time.Hour, Reminders: []time.Duration{30 * time.Minute}}
	next := workflow.New(workflow.Options{Catalog: access.NewCatalog(resources()), Timing: timing, Now: h.clock.Now, Logger: zerolog.Nop()},
		h.store, h.prov, &directory{users: []access.User{alice, bob, carol, eve, admin}}, h.msg, h.pd)
	rescheduled, recorded, err := next.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rescheduled != 2 || recorded != 0 {
		t.Fatalf("Recover = %d rescheduled, %d recorded; want 2, 0", rescheduled, recorded)
	}
	if got, want := h.get(pending.ID).Due, pending.CreatedAt.Add(2*time.Hour); !got.Equal(want) {
		t.Errorf("pending request due %v, want %v (the new pending_ttl)", got, want)
	}
	if got, want := h.get(granted.ID).Due, g.Grant.ExpiresAt.Add(-30*time.Minute); !got.Equal(want) {
		t.Errorf("grant due %v, want %v (the new reminder lead)", got, want)
	}
	if again, _, err := next.Recover(ctx); err != nil || again != 0 {
		t.Errorf("a second Recover rescheduled %d (%v), want 0", again, err)
	}
}

// A grant stored by an older accessbot, without the Okta account it acted
// on, has it looked up and recorded once at start-up, with its target from
// its provisioned event; the trail says so.
func TestRecoverRecordsLegacyGrants(t *testing.T) {
	h := newHarness(t)
	now := h.clock.Now()
	old := &access.Request{ID: "legacy1", Kind: access.KindAccess, Requester: alice, ResourceID: "aws-prod", Duration: time.Hour,
		Reason: "old", State: access.StateActive, CreatedAt: now, UpdatedAt: now,
		Grant: access.Grant{Checked: true, GrantedAt: now, ExpiresAt: now.Add(time.Hour)}}
	old.Due = old.Grant.ExpiresAt
	provisioned := access.NewEvent(access.EventProvisioned, access.System, old, now, map[string]string{"target": "group 00gOLD"})
	if err := h.store.Create(ctx, old, provisioned); err != nil {
		t.Fatal(err)
	}
	_, recorded, err := h.svc.Recover(ctx)
	if err != nil || recorded != 1 {
		t.Fatalf("Recover recorded %d (%v), want 1", recorded, err)
	}
	r := h.get("legacy1")
	if r.Grant.Account.ID != "okta-"+alice.Email || r.Grant.Target != (access.Target{Kind: access.TargetGroup, ID: "00gOLD"}) || r.Unrecorded() {
		t.Fatalf("grant after Recover = %+v", r.Grant)
	}
	evs, err := h.store.Events(ctx, access.EventFilter{RequestID: "legacy1"})
	if err != nil || len(evs) != 2 || evs[1].Type != access.EventGrantRecorded || evs[1].Details["target"] != "group 00gOLD" {
		t.Fatalf("trail = %+v (%v), want provisioned then grant_recorded", evs, err)
	}
	// The removal takes it from the recorded group, not the resource's current one.
	h.prov.mu.Lock()
	h.prov.held[key(alice.Email, access.Target{Kind: access.TargetGroup, ID: "00gOLD"})] = true
	h.prov.mu.Unlock()
	h.clock.Advance(time.Hour)
	h.sweep()
	wantState(t, h.get("legacy1"), access.StateExpired)
	if h.prov.holds(alice.Email, access.Target{Kind: access.TargetGroup, ID: "00gOLD"}) {
		t.Fatal("the legacy grant's group still holds alice")
	}
}

// A grant prepared for real by a run before dry run was switched on is not
// made by the dry run: it is given up, and what an earlier attempt may have
// landed is removed for real.
func TestRealGrantNotMadeAfterDryRunSwitchedOn(t *testing.T) {
	h := newHarness(t)
	h.prov.fail("grant", access.Wrap(access.EUNAVAILABLE, errors.New("okta 500")))
	r := h.submit(alice, "aws-prod", "1h", "debug")
	if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	got := h.get(r.ID)
	wantState(t, got, access.StateApproved)
	if !got.Grant.Changes() {
		t.Fatalf("grant = %+v, want a real grant recorded before the failed attempt", got.Grant)
	}
	dry := workflow.New(workflow.Options{Catalog: access.NewCatalog(resources()), Timing: access.Timing{PendingTTL: 24 * time.Hour},
		DryRun: true, Now: h.clock.Now, Logger: zerolog.Nop()},
		h.store, h.prov, &directory{users: []access.User{alice, bob, carol, eve, admin}}, h.msg, h.pd)
	h.clock.Advance(time.Minute)
	if err := dry.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got = h.get(r.ID)
	wantState(t, got, access.StateFailed)
	if grants, revokes := h.prov.counts(); grants != 0 || revokes != 1 {
		t.Fatalf("Okta saw %d grants and %d removals, want 0 and 1 (whatever the first attempt landed, removed for real)", grants, revokes)
	}
	if n, ok := h.msg.lastTo(alice.SlackID, string(access.NoticeFailed)); !ok || n.Request.State != access.StateFailed {
		t.Fatalf("alice was not told the grant failed: %+v", n)
	}
}
