package workflow_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// Swapping the settings while requests are filed, approved and swept: every
// flow sees one whole catalog (run with -race), and a resource that leaves
// the catalog keeps its grant's removal on the recorded target.
func TestReconfigureWhileFlowsRun(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	held := h.submit(eve, "aws-prod", "1h", "before the reload")
	if _, err := h.svc.Approve(ctx, bob.SlackID, held.ID); err != nil {
		t.Fatal(err)
	}
	wantState(t, h.get(held.ID), access.StateActive)

	onlyGrafana := access.NewCatalog(resources()[1:])
	both := access.NewCatalog(resources())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 200 {
			cat := both
			if i%2 == 0 {
				cat = onlyGrafana
			}
			if _, err := h.svc.Reconfigure(ctx, workflow.Settings{Catalog: cat, Timing: access.Timing{PendingTTL: 24 * time.Hour}}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 20 {
			r, err := h.svc.Submit(ctx, alice.SlackID, workflow.RequestInput{ResourceID: "grafana", Duration: "1h", Reason: "during reloads"})
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := h.svc.Cancel(ctx, alice.SlackID, r.ID); err != nil {
				t.Error(err)
				return
			}
			if err := h.svc.Sweep(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()

	prev, err := h.svc.Reconfigure(ctx, workflow.Settings{Catalog: onlyGrafana, Timing: access.Timing{PendingTTL: 24 * time.Hour}})
	if err != nil || prev == nil {
		t.Fatalf("reconfigure: %v", err)
	}
	if _, err := h.svc.Catalog().Get("aws-prod"); err == nil {
		t.Fatal("aws-prod is still requestable after leaving the catalog")
	}
	h.clock.Advance(time.Hour + time.Second)
	h.sweep()
	wantState(t, h.get(held.ID), access.StateExpired)
	if h.prov.holds(eve.Email, group) {
		t.Error("the grant of a resource that left the catalog was not removed from its recorded group")
	}
}

// A reload that changes the reminders reschedules open grants at once.
func TestReconfigureReschedules(t *testing.T) {
	h := newHarness(t, func(o *workflow.Options) { o.Timing.Reminders = nil })
	ctx := context.Background()
	r := h.submit(eve, "aws-prod", "4h", "long job")
	if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	before := h.get(r.ID)
	if !before.Due.Equal(before.Grant.ExpiresAt) {
		t.Fatalf("without reminders the grant is due at its expiry, got %v", before.Due)
	}
	if _, err := h.svc.Reconfigure(ctx, workflow.Settings{Catalog: h.svc.Catalog(),
		Timing: access.Timing{PendingTTL: 24 * time.Hour, Reminders: []time.Duration{time.Hour}}}); err != nil {
		t.Fatal(err)
	}
	if after := h.get(r.ID); !after.Due.Equal(after.Grant.ExpiresAt.Add(-time.Hour)) {
		t.Errorf("after adding a 1h reminder the grant is due %v, want an hour before its expiry %v", after.Due, after.Grant.ExpiresAt)
	}
}
