package workflow_test

import (
	"context"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

func withKit(o *workflow.Options) {
	kit := access.Resource{ID: "kit", Name: "Kit", Members: []string{"aws-prod", "grafana"},
		Approvers: []string{"bob@acme.com", "carol@acme.com"}, Durations: []time.Duration{time.Hour}, MaxDuration: 8 * time.Hour,
		MinApprovals: 1, Extension: access.ExtensionPolicy{MaxExtensions: 1, RequiresApproval: false}}
	o.Catalog = access.NewCatalog(append(resources(), kit))
}

// Extending and revoking a bundle reach every member in the same
// transaction as the bundle: one store commit, so a crash cannot leave a
// revoked bundle's member granted, or a member ending before its bundle.
func TestBundleChangesAllMembersInOneTransaction(t *testing.T) {
	h := newHarness(t, withKit)
	ctx := context.Background()
	b := h.submit(eve, "kit", "1h", "incident")
	if b.Kind != access.KindBundle {
		t.Fatalf("kind = %s", b.Kind)
	}
	if _, err := h.svc.Approve(ctx, bob.SlackID, b.ID); err != nil {
		t.Fatal(err)
	}
	b = h.get(b.ID)
	wantState(t, b, access.StateActive)
	if !h.prov.holds(eve.Email, group) || !h.prov.holds(eve.Email, app) {
		t.Fatal("not every member was granted")
	}

	if _, err := h.svc.Extend(ctx, eve.SlackID, b.Members[1], time.Hour); err != nil { // a member's Extend extends the bundle
		t.Fatal(err)
	}
	extended := h.get(b.ID)
	sameCommit(t, h, access.EventExtended, append([]string{b.ID}, b.Members...))
	for _, id := range b.Members {
		if m := h.get(id); !m.Grant.ExpiresAt.Equal(extended.Grant.ExpiresAt) {
			t.Errorf("member %s ends %v, bundle %v", m.ResourceID, m.Grant.ExpiresAt, extended.Grant.ExpiresAt)
		}
	}

	if _, err := h.svc.Revoke(ctx, eve.SlackID, b.Members[0]); err != nil {
		t.Fatal(err)
	}
	sameCommit(t, h, access.EventRemovalStarted, append([]string{b.ID}, b.Members...))
	for _, id := range append([]string{b.ID}, b.Members...) {
		wantState(t, h.get(id), access.StateRevoked)
	}
	if h.prov.holds(eve.Email, group) || h.prov.holds(eve.Email, app) {
		t.Error("a member of the revoked bundle is still held")
	}
}

// sameCommit checks that the last event of type typ of each request was
// appended together: consecutive sequence numbers, one time.
func sameCommit(t *testing.T, h *harness, typ access.EventType, ids []string) {
	t.Helper()
	evs, err := h.store.Events(context.Background(), access.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	var at time.Time
	for _, id := range ids {
		var last access.Event
		for _, e := range evs {
			if e.RequestID == id && e.Type == typ {
				last = e
			}
		}
		if last.Seq == 0 {
			t.Fatalf("request %s has no %s event", id, typ)
		}
		if len(seqs) > 0 && (last.Seq != seqs[len(seqs)-1]+1 || !last.Time.Equal(at)) {
			t.Errorf("%s of %s is seq %d at %v, not in the commit of the one before (seq %d at %v)", typ, id, last.Seq, last.Time, seqs[len(seqs)-1], at)
		}
		seqs, at = append(seqs, last.Seq), last.Time
	}
}
