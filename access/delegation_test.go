package access_test

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

func TestNewDelegationRules(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	bob := access.User{SlackID: "UB", Email: "bob@acme.com"}
	dave := access.User{SlackID: "UD", Email: "dave@acme.com"}
	approvers := access.DelegationPolicy{}
	anyone := access.DelegationPolicy{To: access.DelegateToAnyone, Max: 48 * time.Hour}
	tests := []struct {
		name         string
		to           access.User
		until        time.Time
		p            access.DelegationPolicy
		from, toAppr bool
		reason       access.Reason
	}{
		{"ok", dave, now.Add(24 * time.Hour), approvers, true, true, ""},
		{"to anyone", dave, now.Add(24 * time.Hour), anyone, true, false, ""},
		{"self", bob, now.Add(time.Hour), approvers, true, true, access.ReasonDelegateSelf},
		{"chain: delegator approves nothing", dave, now.Add(time.Hour), anyone, false, true, access.ReasonNothingToDelegate},
		{"delegate not an approver", dave, now.Add(time.Hour), approvers, true, false, access.ReasonDelegateNotApprover},
		{"past", dave, now, approvers, true, true, access.ReasonDelegationPast},
		{"default max 30d", dave, now.Add(31 * 24 * time.Hour), approvers, true, true, access.ReasonDelegationTooLong},
		{"policy max", dave, now.Add(49 * time.Hour), anyone, true, true, access.ReasonDelegationTooLong},
	}
	for _, tt := range tests {
		_, err := access.NewDelegation(bob, tt.to, tt.until, nil, tt.p, tt.from, tt.toAppr, now)
		got, _, _ := access.ErrorReason(err)
		if got != tt.reason {
			t.Errorf("%s: reason %q (%v), want %q", tt.name, got, err, tt.reason)
		}
	}
}

// TestDelegatorFor: only an active delegation, covering the resource,
// from someone who approves in their own right and has not decided, and
// never for the requester.
func TestDelegatorFor(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	alice := access.User{SlackID: "UA", Email: "alice@acme.com"}
	bob := access.User{SlackID: "UB", Email: "bob@acme.com"}
	dave := access.User{SlackID: "UD", Email: "dave@acme.com"}
	erin := access.User{SlackID: "UE", Email: "erin@acme.com"}
	approvers := access.ApproverSet{People: []access.User{{Email: "bob@acme.com"}, {Email: "alice@acme.com"}}}
	r := &access.Request{ID: "r", Requester: alice, ResourceID: "db", State: access.StatePending}
	d := access.Delegation{From: bob, To: dave, Since: now.Add(-time.Hour), Until: now.Add(time.Hour)}

	if from, ok := r.DelegatorFor(dave, approvers, []access.Delegation{d}, now); !ok || !from.Is(bob) {
		t.Fatalf("Dave for Bob: %v %v", from, ok)
	}
	if _, ok := r.DelegatorFor(dave, approvers, []access.Delegation{d}, now.Add(time.Hour)); ok {
		t.Error("a delegation counted at its end")
	}
	other := d
	other.Resources = []string{"aws"}
	if _, ok := r.DelegatorFor(dave, approvers, []access.Delegation{other}, now); ok {
		t.Error("a delegation for another resource counted")
	}
	chain := access.Delegation{From: dave, To: erin, Since: d.Since, Until: d.Until}
	if _, ok := r.DelegatorFor(erin, approvers, []access.Delegation{d, chain}, now); ok {
		t.Error("a chained delegation counted")
	}
	forRequester := access.Delegation{From: alice, To: dave, Since: d.Since, Until: d.Until}
	if _, ok := r.DelegatorFor(dave, approvers, []access.Delegation{forRequester}, now); ok {
		t.Error("the requester's delegate decided for the requester")
	}
	res := &access.Resource{ID: "db", Name: "DB", MinApprovals: 1}
	if _, err := r.ApproveFor(dave, bob, res, approvers, now); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.DelegatorFor(dave, approvers, []access.Delegation{d}, now); ok {
		t.Error("a delegation counted for an approver who has decided")
	}
}
