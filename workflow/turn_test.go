package workflow_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// queuedProvisioner makes each Revoke wait for its turn, as the Okta pacer
// does during a mass removal, until the test hands out a turn; a wait ends
// as the pacer's does when the call's access.Turn stops it.
type queuedProvisioner struct {
	*provisioner
	waiting chan struct{} // gets a value when a Revoke starts waiting
	turns   chan struct{} // a Revoke goes once it receives from it
}

func (q *queuedProvisioner) Revoke(ctx context.Context, a access.Account, t access.Target) error {
	if err := q.waitTurn(ctx); err != nil {
		return err
	}
	return q.provisioner.Revoke(ctx, a, t)
}

func (q *queuedProvisioner) waitTurn(ctx context.Context) error {
	turn := access.TurnFrom(ctx)
	if turn.Waiting != nil {
		defer turn.Waiting()()
	}
	q.waiting <- struct{}{}
	select {
	case <-q.turns:
		return nil
	case <-turn.Stop:
		return fmt.Errorf("fake pacer: %w", access.ErrNoTurn)
	case <-ctx.Done():
		return access.Wrap(access.EUNAVAILABLE, ctx.Err())
	}
}

// expiredGrant approves a grant through h, lets its hour run out, and
// returns a service that sweeps it through a queued provisioner.
func expiredGrant(t *testing.T, h *harness, workTimeout time.Duration) (*access.Request, *workflow.Service, *queuedProvisioner) {
	t.Helper()
	r := h.submit(alice, "aws-prod", "1h", "debug")
	r, err := h.svc.Approve(ctx, bob.SlackID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, r, access.StateActive)
	h.clock.Advance(time.Hour)
	q := &queuedProvisioner{provisioner: h.prov, waiting: make(chan struct{}, 1), turns: make(chan struct{})}
	svc := workflow.New(workflow.Options{
		Catalog: access.NewCatalog(resources()), Timing: access.Timing{PendingTTL: 24 * time.Hour},
		Now: h.clock.Now, WorkTimeout: workTimeout,
	}, h.store, q, &directory{users: []access.User{alice, bob, carol, eve, admin}}, h.msg, h.pd)
	return r, svc, q
}

// A removal that waits for its turn at Okta far longer than the sweep's
// work timeout is not cut: the wait is not work, so it is neither a failed
// attempt nor put off by a backoff.
func TestQueuedRemovalOutlastsWorkTimeout(t *testing.T) {
	h := newHarness(t)
	const workTimeout = 20 * time.Millisecond
	r, svc, q := expiredGrant(t, h, workTimeout)
	swept := make(chan error, 1)
	go func() { swept <- svc.Sweep(context.Background()) }()
	<-q.waiting
	time.Sleep(10 * workTimeout) // the removal's time in the queue, ten work timeouts long
	select {
	case q.turns <- struct{}{}:
	case err := <-swept:
		t.Fatalf("the sweep gave up while the removal waited for its turn (%v)", err)
	}
	if err := <-swept; err != nil {
		t.Fatal(err)
	}
	got := h.get(r.ID)
	wantState(t, got, access.StateExpired)
	if h.prov.holds(alice.Email, group) {
		t.Fatal("Okta still holds the grant")
	}
	if got.Grant.Removal.Retry.Attempts != 0 {
		t.Fatalf("the wait was recorded as %d failed attempts: %q", got.Grant.Removal.Retry.Attempts, got.Grant.Removal.Retry.LastError)
	}
}

// A shutdown ends a removal's wait for its turn at once, records no failed
// attempt, and leaves the removal for the next start.
func TestShutdownEndsWaitForTurn(t *testing.T) {
	h := newHarness(t)
	r, svc, q := expiredGrant(t, h, time.Minute)
	sweepCtx, stop := context.WithCancel(context.Background())
	swept := make(chan error, 1)
	go func() { swept <- svc.Sweep(sweepCtx) }()
	<-q.waiting
	stop()
	select {
	case <-swept:
	case <-time.After(30 * time.Second):
		t.Fatal("the sweep still waits for a turn 30 s after the shutdown")
	}
	got := h.get(r.ID)
	wantState(t, got, access.StateActive)
	if got.Grant.Removal == nil || got.Grant.Removal.Retry.Attempts != 0 {
		t.Fatalf("removal = %+v, want it recorded and not failed", got.Grant.Removal)
	}
	if !h.prov.holds(alice.Email, group) {
		t.Fatal("the grant is gone from Okta although no call was made")
	}

	// The next start removes it.
	h.sweep()
	wantState(t, h.get(r.ID), access.StateExpired)
	if h.prov.holds(alice.Email, group) {
		t.Fatal("Okta still holds the grant after the next start's sweep")
	}
}
