package workflow_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

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
// appended together: consecutive sequence numbers (in any order), one time.
func sameCommit(t *testing.T, h *harness, typ access.EventType, ids []string) {
	t.Helper()
	evs, err := h.store.Events(context.Background(), access.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	times := map[time.Time]bool{}
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
		seqs = append(seqs, last.Seq)
		times[last.Time] = true
	}
	slices.Sort(seqs)
	if seqs[len(seqs)-1]-seqs[0] != uint64(len(seqs)-1) || len(times) != 1 {
		t.Errorf("%s events of %v are seqs %v at %d times: not one commit", typ, ids, seqs, len(times))
	}
}

// stoppingStore fails every single-request update once stop is set, as a
// process that died right after a transaction would never make them.
type stoppingStore struct {
	access.Store
	stop atomic.Bool
}

func (s *stoppingStore) Update(ctx context.Context, id string, fn func(r *access.Request) ([]access.Event, error)) (*access.Request, error) {
	if s.stop.Load() {
		return nil, errors.New("the process stopped")
	}
	return s.Store.Update(ctx, id, fn)
}

// Revoking a bundle records every member's removal in the bundle's own
// transaction: if nothing after it happens (the process died), the sweep
// of the next run still removes every member.
func TestBundleRevokeSurvivesAStopRightAfterIt(t *testing.T) {
	h := newHarness(t, withKit)
	ctx := context.Background()
	st := &stoppingStore{Store: h.store}
	opts := workflow.Options{Now: h.clock.Now, Logger: zerolog.Nop(), Timing: access.Timing{PendingTTL: 24 * time.Hour}}
	withKit(&opts)
	svc := workflow.New(opts, st, h.prov, &directory{users: []access.User{alice, bob, carol, eve, admin}}, h.msg, h.pd)
	b, err := svc.Submit(ctx, eve.SlackID, workflow.RequestInput{ResourceID: "kit", Duration: "1h", Reason: "incident"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, bob.SlackID, b.ID); err != nil {
		t.Fatal(err)
	}
	b = h.get(b.ID)
	wantState(t, b, access.StateActive)

	st.stop.Store(true)
	svc.Revoke(ctx, eve.SlackID, b.ID) // fails after its transaction: nothing more is written
	for _, id := range append([]string{b.ID}, b.Members...) {
		if r := h.get(id); r.Grant.Removal == nil || r.Grant.Removal.Outcome != access.StateRevoked {
			t.Fatalf("request %s (%s) has no revocation recorded: %+v", id, r.ResourceID, r.Grant.Removal)
		}
	}
	st.stop.Store(false)
	if err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range append([]string{b.ID}, b.Members...) {
		wantState(t, h.get(id), access.StateRevoked)
	}
	if h.prov.holds(eve.Email, group) || h.prov.holds(eve.Email, app) {
		t.Error("a member of the revoked bundle is still held after the next sweep")
	}
}
