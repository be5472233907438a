package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// countingStore counts the store's write transactions.
type countingStore struct {
	access.Store
	mu      sync.Mutex
	updates int
}

func (s *countingStore) Update(ctx context.Context, id string, fn func(r *access.Request) ([]access.Event, error)) (*access.Request, error) {
	s.mu.Lock()
	s.updates++
	s.mu.Unlock()
	return s.Store.Update(ctx, id, fn)
}

func (s *countingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updates
}

// The approval that completes a request carries the answer to "does the
// requester already have this access?": the grant follows it with one more
// write, its activation. When Okta cannot answer then, it is asked again
// before the grant, and the grant still happens.
func TestCompletingApprovalRecordsTheStandingCheck(t *testing.T) {
	for _, hasFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("first_question_fails=%v", hasFails), func(t *testing.T) {
			h := newHarness(t)
			cs := &countingStore{Store: h.store}
			svc := workflow.New(workflow.Options{
				Catalog: access.NewCatalog(resources()), Timing: access.Timing{PendingTTL: 24 * time.Hour},
				Now: h.clock.Now, Logger: zerolog.Nop(),
			}, cs, h.prov, &directory{users: []access.User{alice, bob, carol, eve, admin}}, h.msg, h.pd)
			r, err := svc.Submit(ctx, alice.SlackID, workflow.RequestInput{ResourceID: "aws-prod", Duration: "1h", Reason: "debug"})
			if err != nil {
				t.Fatal(err)
			}
			if hasFails {
				h.prov.fail("has", access.Wrap(access.EUNAVAILABLE, errors.New("okta 503")))
			}
			before := cs.count()
			r, err = svc.Approve(ctx, bob.SlackID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, r, access.StateActive)
			want := 2 // the approval with the check, the activation
			if hasFails {
				want = 3 // the approval, the check, the activation
			}
			if got := cs.count() - before; got != want {
				t.Errorf("%d store writes from approval to grant, want %d", got, want)
			}
			if !r.Grant.Checked || r.Grant.Standing {
				t.Errorf("grant checked=%v standing=%v, want checked and not standing", r.Grant.Checked, r.Grant.Standing)
			}
		})
	}
}

// A slow Okta does not keep an approval unrecorded: the approval waits for
// the standing-access answer only briefly, and the question is asked again
// before the grant.
func TestSlowStandingCheckDoesNotHoldTheApproval(t *testing.T) {
	h := newHarness(t)
	h.prov.hasGate = make(chan struct{})
	r := h.submit(alice, "aws-prod", "1h", "debug")
	done := h.approveLater(bob, r.ID)
	eventually(t, "the approval is still unrecorded while Okta has not answered the standing-access question", func() bool {
		return h.get(r.ID).State == access.StateApproved
	})
	if h.get(r.ID).Grant.Checked {
		t.Fatal("recorded a standing-access answer Okta never gave")
	}
	close(h.prov.hasGate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := h.get(r.ID); got.State != access.StateActive || !got.Grant.Checked {
		t.Fatalf("after Okta answered: %s, checked %v; want active and checked", got.State, got.Grant.Checked)
	}
}
