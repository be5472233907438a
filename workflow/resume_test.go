package workflow_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// fileUnrouted stores a pending request the way Submit does just before
// routing it, as if the bot had been killed right after the commit.
func fileUnrouted(t *testing.T, h *harness, who access.User, resource string) *access.Request {
	t.Helper()
	now := h.clock.Now()
	r := &access.Request{ID: "crashed1", Kind: access.KindAccess, Requester: who, ResourceID: resource,
		Duration: time.Hour, Reason: "filed before a crash", Approvers: []string{"bob@acme.com", "carol@acme.com"},
		State: access.StatePending, CreatedAt: now, UpdatedAt: now}
	r.Due = r.NextDue(access.Timing{PendingTTL: 24 * time.Hour})
	if err := h.store.Create(ctx, r, access.NewEvent(access.EventRequested, who, r, now, nil)); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSweepRoutesRequestFiledBeforeACrash(t *testing.T) {
	h := newHarness(t)
	r := fileUnrouted(t, h, alice, "aws-prod")
	h.sweep()
	if got := h.msg.find("", "approval"); len(got) != 0 {
		t.Fatalf("approval DMs from a sweep within the route grace = %d, want 0: the flow that filed it may still be routing it", len(got))
	}
	h.clock.Advance(access.RouteGrace)
	h.sweep()
	if got := h.msg.find("", "approval"); len(got) != 2 {
		t.Fatalf("approval DMs after the sweep = %d, want 2", len(got))
	}
	if len(h.msg.find(alice.SlackID, "submitted")) != 1 {
		t.Fatal("requester not told")
	}
	got := h.get(r.ID)
	wantState(t, got, access.StatePending)
	if !got.Routed || len(got.ApproverMessages) != 2 || !got.Due.Equal(got.CreatedAt.Add(24*time.Hour)) {
		t.Fatalf("routed %v, %d approver messages, due %v", got.Routed, len(got.ApproverMessages), got.Due)
	}
	h.sweep()
	if got := h.msg.find("", "approval"); len(got) != 2 {
		t.Fatalf("a second sweep sent it again: %d approval DMs", len(got))
	}
	if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	wantState(t, h.get(r.ID), access.StateActive)
}

func TestSweepAutoApprovesOnCallRequestFiledBeforeACrash(t *testing.T) {
	h := newHarness(t)
	h.pd.shifts[alice.Email] = []access.Shift{{ScheduleID: "PSCHED1", Level: 1}}
	r := fileUnrouted(t, h, alice, "aws-prod")
	h.clock.Advance(access.RouteGrace)
	h.sweep()
	wantState(t, h.get(r.ID), access.StateActive)
	if len(h.msg.find("", "approval")) != 0 {
		t.Fatal("an on-call requester's request went to approvers")
	}
}

func TestSweepTimesOutUnroutedRequestPastItsTTL(t *testing.T) {
	h := newHarness(t)
	r := fileUnrouted(t, h, alice, "aws-prod")
	h.clock.Advance(25 * time.Hour) // the bot was down for a day
	h.sweep()
	wantState(t, h.get(r.ID), access.StateTimedOut)
	if len(h.msg.find("", "approval")) != 0 {
		t.Fatal("approvers were asked about a request that had timed out")
	}
}

// blockingMessenger holds the first approval DM until released, so a test
// can sweep while Submit is routing.
type blockingMessenger struct {
	*messenger
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (b *blockingMessenger) SendApproval(ctx context.Context, to access.User, r access.Request, res access.Resource, toldOnly bool) (access.MessageRef, error) {
	b.once.Do(func() {
		close(b.entered)
		<-b.release
	})
	return b.messenger.SendApproval(ctx, to, r, res, toldOnly)
}

func TestSweepLeavesRequestBeingRoutedAlone(t *testing.T) {
	h := newHarness(t)
	bm := &blockingMessenger{messenger: h.msg, entered: make(chan struct{}), release: make(chan struct{})}
	svc := workflow.New(workflow.Options{
		Catalog: access.NewCatalog(resources()),
		Timing:  access.Timing{PendingTTL: 24 * time.Hour},
		Now:     h.clock.Now, Logger: zerolog.Nop(),
	}, h.store, h.prov, &directory{users: []access.User{alice, bob, carol, eve, admin}}, bm, h.pd)
	done := make(chan *access.Request, 1)
	go func() {
		r, err := svc.Submit(ctx, alice.SlackID, workflow.RequestInput{ResourceID: "aws-prod", Duration: "1h", Reason: "debug"})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	<-bm.entered
	if err := svc.Sweep(ctx); err != nil { // the request is due, unrouted, and being routed
		t.Fatal(err)
	}
	close(bm.release)
	r := <-done
	if err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.msg.find("", "approval"); len(got) != 2 {
		t.Fatalf("approval DMs = %d, want 2: the sweep must not route a request Submit is routing", len(got))
	}
	if got := h.get(r.ID); !got.Routed {
		t.Fatal("not marked routed")
	}
}

// A click on a request decided while the bot was down (its DMs were never
// redrawn) is refused and redraws the stale DMs, so nobody clicks again.
func TestConflictingClickRedrawsStaleApprovals(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug")
	if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	before := h.msg.updates("approval")
	_, err := h.svc.Approve(ctx, carol.SlackID, r.ID)
	wantCode(t, err, access.ECONFLICT)
	if got := h.msg.updates("approval"); got != before+2 {
		t.Fatalf("approval DMs redrawn %d times after the refused click, want 2", got-before)
	}
	// Refusals of outsiders redraw nothing: they learn nothing of the request.
	before = h.msg.updates("approval")
	_, err = h.svc.Approve(ctx, eve.SlackID, r.ID)
	wantCode(t, err, access.EFORBIDDEN)
	if got := h.msg.updates("approval"); got != before {
		t.Fatalf("an outsider's click redrew %d messages", got-before)
	}
}

// updates counts redraws of messages of kind.
func (m *messenger) updates(kind string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.msgs {
		if s.Kind == kind && s.Update {
			n++
		}
	}
	return n
}

// blockingProvisioner holds the first Grant (or, with revoke, Revoke) until
// released, then lets it fail with err.
type blockingProvisioner struct {
	*provisioner
	revoke  bool
	once    sync.Once
	entered chan struct{}
	release chan struct{}
	err     error
}

func (b *blockingProvisioner) block() bool {
	first := false
	b.once.Do(func() {
		first = true
		close(b.entered)
		<-b.release
	})
	return first
}

func (b *blockingProvisioner) Grant(ctx context.Context, email access.Account, t access.Target) error {
	if !b.revoke && b.block() {
		return b.err
	}
	return b.provisioner.Grant(ctx, email, t)
}

func (b *blockingProvisioner) Revoke(ctx context.Context, email access.Account, t access.Target) error {
	if b.revoke && b.block() {
		return b.err
	}
	return b.provisioner.Revoke(ctx, email, t)
}

// listedStore tells when ListDue has returned something.
type listedStore struct {
	access.Store
	listed chan struct{}
	once   sync.Once
}

func (s *listedStore) ListDue(ctx context.Context, now time.Time, limit int) ([]*access.Request, error) {
	rs, err := s.Store.ListDue(ctx, now, limit)
	if len(rs) > 0 {
		s.once.Do(func() { close(s.listed) })
	}
	return rs, err
}

// A sweep that found an approved request due while its first grant attempt
// was still running must not try again the moment that attempt fails: the
// backoff it recorded stands.
func TestBackoffNotBypassedByAQueuedSweep(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug")
	bp := &blockingProvisioner{provisioner: h.prov, entered: make(chan struct{}), release: make(chan struct{}),
		err: access.Wrap(access.EUNAVAILABLE, context.DeadlineExceeded)}
	ls := &listedStore{Store: h.store, listed: make(chan struct{})}
	svc := workflow.New(workflow.Options{
		Catalog: access.NewCatalog(resources()),
		Timing:  access.Timing{PendingTTL: 24 * time.Hour},
		Now:     h.clock.Now, Logger: zerolog.Nop(),
	}, ls, bp, &directory{users: []access.User{alice, bob, carol, eve, admin}}, h.msg, h.pd)
	approved := make(chan error, 1)
	go func() { _, err := svc.Approve(ctx, bob.SlackID, r.ID); approved <- err }()
	<-bp.entered // approved, first grant attempt in flight
	swept := make(chan error, 1)
	go func() { swept <- svc.Sweep(ctx) }()
	<-ls.listed // the sweep has it as due
	close(bp.release)
	if err := <-approved; err != nil {
		t.Fatal(err)
	}
	if err := <-swept; err != nil {
		t.Fatal(err)
	}
	got := h.get(r.ID)
	wantState(t, got, access.StateApproved)
	if got.Grant.Provision.Attempts != 1 || !got.Grant.Provision.NextAt.After(h.clock.Now()) {
		t.Fatalf("provision = %+v, want one failed attempt and a later retry", got.Grant.Provision)
	}
	if g, _ := h.prov.counts(); g != 0 {
		t.Fatalf("the queued sweep granted at once (%d grants), ignoring the backoff", g)
	}
	h.clock.Advance(2 * time.Second)
	if err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	wantState(t, h.get(r.ID), access.StateActive)
}

// The same for a removal: a revocation whose first Okta call is failing
// while a sweep has the grant queued is retried after its backoff, not at
// once.
func TestRemovalBackoffNotBypassedByAQueuedSweep(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug")
	if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	bp := &blockingProvisioner{provisioner: h.prov, revoke: true, entered: make(chan struct{}), release: make(chan struct{}),
		err: access.Wrap(access.EUNAVAILABLE, context.DeadlineExceeded)}
	ls := &listedStore{Store: h.store, listed: make(chan struct{})}
	svc := workflow.New(workflow.Options{
		Catalog: access.NewCatalog(resources()),
		Timing:  access.Timing{PendingTTL: 24 * time.Hour},
		Now:     h.clock.Now, Logger: zerolog.Nop(),
	}, ls, bp, &directory{users: []access.User{alice, bob, carol, eve, admin}}, h.msg, h.pd)
	revoked := make(chan error, 1)
	go func() { _, err := svc.Revoke(ctx, alice.SlackID, r.ID); revoked <- err }()
	<-bp.entered // removal recorded, first Okta call in flight
	swept := make(chan error, 1)
	go func() { swept <- svc.Sweep(ctx) }()
	<-ls.listed
	close(bp.release)
	if err := <-revoked; err != nil {
		t.Fatal(err)
	}
	if err := <-swept; err != nil {
		t.Fatal(err)
	}
	got := h.get(r.ID)
	wantState(t, got, access.StateActive)
	if rm := got.Grant.Removal; rm == nil || rm.Retry.Attempts != 1 || !rm.Retry.NextAt.After(h.clock.Now()) {
		t.Fatalf("removal = %+v, want one failed attempt and a later retry", got.Grant.Removal)
	}
	if _, revokes := h.prov.counts(); revokes != 0 {
		t.Fatalf("the queued sweep removed at once (%d removals), ignoring the backoff", revokes)
	}
	h.clock.Advance(2 * time.Second)
	if err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	wantState(t, h.get(r.ID), access.StateRevoked)
}
