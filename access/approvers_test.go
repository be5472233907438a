package access_test

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

func TestParseApproverEntry(t *testing.T) {
	tests := []struct {
		in   string
		want access.ApproverEntry
		ok   bool
	}{
		{"Alice@Acme.com", access.ApproverEntry{Kind: access.ApproverEmail, Value: "alice@acme.com"}, true},
		{"okta_group:00gSRE", access.ApproverEntry{Kind: access.ApproverOktaGroup, Value: "00gSRE"}, true},
		{" slack_usergroup: S0SRE ", access.ApproverEntry{Kind: access.ApproverSlackUserGroup, Value: "S0SRE"}, true},
		{"slack_usergroup:@sre", access.ApproverEntry{Kind: access.ApproverSlackUserGroup, Value: "@sre"}, true}, // config says what is wrong
		{"okta_group:", access.ApproverEntry{Kind: access.ApproverOktaGroup}, false},
		{"github_team:sre", access.ApproverEntry{}, false},
		{"", access.ApproverEntry{Kind: access.ApproverEmail}, false},
	}
	for _, tt := range tests {
		got, ok := access.ParseApproverEntry(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseApproverEntry(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && got.String() != tt.want.String() {
			t.Errorf("String() = %q", got.String())
		}
	}
}

// TestDeciders: who may decide is the set resolved now; the admins join it
// only for a request that had to go to them; a person missing from a set
// that could not be read whole is told to try again, not refused.
func TestDeciders(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	res := &access.Resource{ID: "db", Name: "DB", Approvers: []string{"okta_group:00g1"}, MinApprovals: 1}
	alice := access.User{SlackID: "UA", Email: "alice@acme.com"}
	bob := access.User{SlackID: "UB", Email: "bob@acme.com"}
	erin := access.User{SlackID: "UE", Email: "erin@acme.com"}
	group := access.ApproverSet{People: []access.User{{Email: "bob@acme.com"}, alice}}
	r := &access.Request{ID: "r1", Requester: alice, State: access.StatePending}

	if err := r.CheckDecider(alice, res, group); access.ErrorCode(err) != access.EFORBIDDEN {
		t.Errorf("requester in the group: %v, want EFORBIDDEN", err)
	}
	if err := r.CheckDecider(erin, res, r.Deciders(group, []string{"erin@acme.com"})); access.ErrorCode(err) != access.EFORBIDDEN {
		t.Errorf("admin of a request the approvers got: %v, want EFORBIDDEN", err)
	}
	r.AdminsAsked = true
	if err := r.CheckDecider(erin, res, r.Deciders(group, []string{"erin@acme.com"})); err != nil {
		t.Errorf("admin of a request sent to the admins: %v", err)
	}
	partial := access.ApproverSet{Unreadable: res.ApproverEntries()}
	if err := r.CheckDecider(bob, res, partial); access.ErrorCode(err) != access.EUNAVAILABLE {
		t.Errorf("group unreadable: %v, want EUNAVAILABLE", err)
	}
	// Bob approved, then left the group: his approval no longer counts.
	if decided, err := r.Approve(bob, res, group, t0); err != nil || !decided {
		t.Fatalf("approve = %v, %v", decided, err)
	}
	if n := r.EligibleApprovals(access.ApproverSet{People: []access.User{alice}}); n != 0 {
		t.Errorf("approvals counted after Bob left: %d", n)
	}
}

// TestApprovalInSteps: approvals count per step; the step advances, then
// the last one approves; nobody approves twice across steps.
func TestApprovalInSteps(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	res := &access.Resource{ID: "db", Name: "DB", Steps: []access.ApprovalStep{
		{Approvers: []string{"bob@acme.com", "carol@acme.com"}, MinApprovals: 1},
		{Approvers: []string{"carol@acme.com", "dave@acme.com"}, MinApprovals: 1},
	}}
	alice := access.User{SlackID: "UA", Email: "alice@acme.com"}
	carol := access.User{SlackID: "UC", Email: "carol@acme.com"}
	dave := access.User{SlackID: "UD", Email: "dave@acme.com"}
	step := func(r *access.Request) access.ApproverSet {
		var s access.ApproverSet
		for _, e := range r.DeciderEntries(res) {
			s.Add(access.User{Email: e.Value})
		}
		return s
	}
	r := &access.Request{ID: "r", Requester: alice, State: access.StatePending}
	if err := r.CheckDecider(dave, res, step(r)); access.ErrorCode(err) != access.EFORBIDDEN {
		t.Fatalf("step-2 approver in step 1: %v", err)
	}
	if decided, err := r.Approve(carol, res, step(r), t0); err != nil || decided || r.Step != 1 {
		t.Fatalf("step 1: decided %v, %v, step %d", decided, err, r.Step)
	}
	if _, err := r.Approve(carol, res, step(r), t0); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("Carol again in step 2: %v, want ECONFLICT", err)
	}
	if decided, err := r.Approve(dave, res, step(r), t0); err != nil || !decided {
		t.Fatalf("step 2: decided %v, %v", decided, err)
	}
}
