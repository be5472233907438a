package workflow_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// An approval redraws each approver's message and the requester's
// confirmation when it is recorded and again once Okta granted it, in that
// order: nobody looks at Approve buttons of an approved request, and the
// last redraw shows the grant.
func TestApprovalRedrawsEachMessageWithTheDecisionThenTheGrant(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug")
	if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []access.User{bob, carol} {
		ups := h.msg.redrawsTo(p.SlackID, "approval")
		if got := states(ups); len(got) != 2 || got[0] != access.StateApproved || got[1] != access.StateActive {
			t.Errorf("%s's approval DM was redrawn as %v, want approved, then active", p.Name, got)
		}
	}
	if ups := h.msg.redrawsTo(alice.SlackID, "submitted"); len(ups) == 0 || ups[len(ups)-1].Request.State != access.StateActive {
		t.Errorf("the requester's confirmation was redrawn as %v, want active last", states(ups))
	}
}

// A grant that fails and will be retried still takes the buttons away:
// the approvers see the approval.
func TestApprovalRedrawnWhenGrantWillBeRetried(t *testing.T) {
	h := newHarness(t)
	h.prov.fail("grant", access.Wrap(access.EUNAVAILABLE, errors.New("okta 500")))
	r := h.submit(alice, "aws-prod", "1h", "debug")
	if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	if ups := h.msg.redrawsTo(carol.SlackID, "approval"); len(ups) != 1 || ups[0].Request.State != access.StateApproved {
		t.Fatalf("carol's approval DM was redrawn as %v, want once, approved", states(ups))
	}
}

// While Okta is slow, the approvers see "approved, granting…" meanwhile,
// and the grant once Okta answers, in that order.
func TestSlowGrantRedrawnMeanwhile(t *testing.T) {
	h := newHarness(t)
	h.prov.grantGate = make(chan struct{})
	r := h.submit(alice, "aws-prod", "1h", "debug")
	done := h.approveLater(bob, r.ID)
	eventually(t, "approvers still see buttons of a grant Okta has not answered", func() bool {
		return len(h.msg.redrawsTo(carol.SlackID, "approval")) > 0
	})
	close(h.prov.grantGate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ups := h.msg.redrawsTo(carol.SlackID, "approval")
	if got := states(ups); len(got) != 2 || got[0] != access.StateApproved || got[1] != access.StateActive {
		t.Fatalf("carol's approval DM was redrawn as %v, want approved, then active", got)
	}
}

func states(ss []sent) []access.State {
	var out []access.State
	for _, s := range ss {
		out = append(out, s.Request.State)
	}
	return out
}

// A request's approvers are asked at once, not one after the other: no
// approver's DM waits for another's round trip to Slack.
func TestApproversAskedTogether(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	arrived, together := 0, make(chan struct{})
	h.msg.onSend = func(s sent) {
		if s.Kind != "approval" {
			return
		}
		mu.Lock()
		if arrived++; arrived == 2 { // bob's and carol's DMs are both in flight
			close(together)
		}
		mu.Unlock()
		select {
		case <-together:
		case <-time.After(10 * time.Second):
			t.Error("an approval DM waited for the other to be sent first")
		}
	}
	h.submit(alice, "aws-prod", "1h", "debug")
	if got := len(h.msg.find("", "approval")); got != 2 {
		t.Fatalf("%d approval DMs, want 2", got)
	}
}
