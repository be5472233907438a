package workflow_test

import (
	"context"
	"strings"
	"testing"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// members lists who the fake provisioner holds in a target, then runs
// during (the bot acting while Okta's pages are read).
type members struct {
	prov   *provisioner
	during func()
}

func (m *members) list(t access.Target) []access.Member {
	m.prov.mu.Lock()
	var out []access.Member
	for k := range m.prov.held {
		if email, target, _ := strings.Cut(k, "|"); target == t.String() {
			out = append(out, access.Member{UserID: "okta-" + email, Login: email, Email: email})
		}
	}
	m.prov.mu.Unlock()
	if m.during != nil {
		m.during()
		m.during = nil
	}
	return out
}

func (m *members) GroupMembers(_ context.Context, id string) ([]access.Member, error) {
	return m.list(access.Target{Kind: access.TargetGroup, ID: id}), nil
}

func (m *members) AppUsers(_ context.Context, id string) ([]access.Member, error) {
	return m.list(access.Target{Kind: access.TargetApp, ID: id}), nil
}

func driftEvents(t *testing.T, h *harness) []access.Event {
	t.Helper()
	evs, err := h.store.Events(context.Background(), access.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []access.Event
	for _, e := range evs {
		if e.Type == access.EventDrift || e.Type == access.EventRemovedOutside {
			out = append(out, e)
		}
	}
	return out
}

// What the bot grants or removes while the members are being listed is
// neither a removal by hand nor drift.
func TestReconcileIgnoresTheBotsOwnChangesDuringTheListing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	bobs := h.submit(bob, "aws-prod", "1h", "debug")
	if _, err := h.svc.Approve(ctx, alice.SlackID, bobs.ID); err != nil {
		t.Fatal(err)
	}
	wantState(t, h.get(bobs.ID), access.StateActive)
	alices := h.submit(alice, "aws-prod", "1h", "debug")

	m := &members{prov: h.prov}
	rec := workflow.NewReconciler(h.svc, workflow.ReconcileOptions{Members: m})
	// While Okta's pages are read (Bob listed, Alice not yet), Alice's
	// request is approved and granted and Bob's grant is revoked.
	m.during = func() {
		if _, err := h.svc.Approve(ctx, bob.SlackID, alices.ID); err != nil {
			t.Error(err)
		}
		if _, err := h.svc.Revoke(ctx, bob.SlackID, bobs.ID); err != nil {
			t.Error(err)
		}
	}
	if err := rec.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	wantState(t, h.get(alices.ID), access.StateActive)
	wantState(t, h.get(bobs.ID), access.StateRevoked)
	if evs := driftEvents(t, h); len(evs) != 0 {
		t.Fatalf("the bot's own changes were reported: %+v", evs)
	}
	if err := rec.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if evs := driftEvents(t, h); len(evs) != 0 {
		t.Fatalf("a second reconcile reported: %+v", evs)
	}
}
