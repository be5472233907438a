package access_test

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

var (
	t0    = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	alice = access.User{SlackID: "U0ALICE", Email: "alice@acme.com", Name: "alice"}
	bob   = access.User{SlackID: "U0BOB", Email: "bob@acme.com", Name: "bob"}
	carol = access.User{SlackID: "U0CAROL", Email: "carol@acme.com", Name: "carol"}
	eve   = access.User{SlackID: "U0EVE", Email: "eve@acme.com", Name: "eve"}
)

func resource(minApprovals int) *access.Resource {
	return &access.Resource{
		ID: "aws-prod", Name: "AWS Production", Target: access.Target{Kind: access.TargetGroup, ID: "00g1"},
		Approvers: []string{"alice@acme.com", "bob@acme.com", "carol@acme.com"},
		Durations: []time.Duration{time.Hour, 4 * time.Hour}, MaxDuration: 8 * time.Hour,
		MinApprovals: minApprovals, Extension: access.DefaultExtensionPolicy,
	}
}

func pending(requester access.User) *access.Request {
	return &access.Request{ID: "r1", Kind: access.KindAccess, Requester: requester, ResourceID: "aws-prod",
		Duration: time.Hour, Reason: "incident", State: access.StatePending, CreatedAt: t0}
}

func withState(r *access.Request, s access.State) *access.Request {
	r.State = s
	return r
}

func TestApproveRules(t *testing.T) {
	tests := []struct {
		name       string
		req        *access.Request
		by         access.User
		min        int
		wantCode   string
		wantState  access.State
		wantDecide bool
	}{
		{"approver approves", pending(alice), bob, 1, "", access.StateApproved, true},
		{"self-approval refused even for an approver", pending(alice), alice, 1, access.EFORBIDDEN, access.StatePending, false},
		{"self-approval refused when matched by email only", pending(alice), access.User{SlackID: "U0OTHER", Email: "ALICE@acme.com"}, 1, access.EFORBIDDEN, access.StatePending, false},
		{"outsider refused", pending(alice), eve, 1, access.EFORBIDDEN, access.StatePending, false},
		{"approved request is not approved again", withState(pending(alice), access.StateApproved), bob, 1, access.ECONFLICT, access.StateApproved, false},
		{"denied request cannot be approved", withState(pending(alice), access.StateDenied), bob, 1, access.ECONFLICT, access.StateDenied, false},
		{"cancelled request cannot be approved", withState(pending(alice), access.StateCancelled), bob, 1, access.ECONFLICT, access.StateCancelled, false},
		{"timed-out request cannot be approved", withState(pending(alice), access.StateTimedOut), bob, 1, access.ECONFLICT, access.StateTimedOut, false},
		{"first of two approvals keeps it pending", pending(alice), bob, 2, "", access.StatePending, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decided, err := tt.req.Approve(tt.by, resource(tt.min), resource(tt.min).ListedApprovers(), t0)
			if got := access.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("error code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if tt.req.State != tt.wantState || decided != tt.wantDecide {
				t.Fatalf("state = %s decided = %v, want %s %v", tt.req.State, decided, tt.wantState, tt.wantDecide)
			}
		})
	}
}

func TestMinApprovalsNeedsDistinctApprovers(t *testing.T) {
	r, res := pending(alice), resource(2)
	if decided, err := r.Approve(bob, res, res.ListedApprovers(), t0); err != nil || decided {
		t.Fatalf("first approval: decided=%v err=%v", decided, err)
	}
	if _, err := r.Approve(bob, res, res.ListedApprovers(), t0); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("same approver twice: err = %v, want conflict", err)
	}
	if decided, err := r.Approve(carol, res, res.ListedApprovers(), t0.Add(time.Minute)); err != nil || !decided {
		t.Fatalf("second approver: decided=%v err=%v", decided, err)
	}
	if r.State != access.StateApproved || len(r.Approvals()) != 2 || !r.DecidedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("got state %s, %d approvals, decided at %v", r.State, len(r.Approvals()), r.DecidedAt)
	}
}

func TestOneDenyDenies(t *testing.T) {
	r, res := pending(alice), resource(2)
	if _, err := r.Approve(bob, res, res.ListedApprovers(), t0); err != nil {
		t.Fatal(err)
	}
	if err := r.Deny(carol, res, res.ListedApprovers(), "not during the freeze", t0); err != nil {
		t.Fatal(err)
	}
	if r.State != access.StateDenied {
		t.Fatalf("state = %s, want denied", r.State)
	}
	if d, ok := r.Decider(); !ok || !d.By.Is(carol) || d.Reason != "not during the freeze" {
		t.Fatalf("decider = %+v %v", d, ok)
	}
	_, err := r.Approve(carol, res, res.ListedApprovers(), t0)
	if r, p, _ := access.ErrorReason(err); r != access.ReasonDecidedBy || p.State != access.StateDenied || p.Person != "carol" {
		t.Fatalf("reason = %s %+v, want decided_by: denied by carol", r, p)
	}
}

func TestDenyRules(t *testing.T) {
	res := resource(1)
	if err := pending(alice).Deny(alice, res, res.ListedApprovers(), "", t0); access.ErrorCode(err) != access.EFORBIDDEN {
		t.Fatalf("self-deny: %v", err)
	}
	if err := pending(alice).Deny(eve, res, res.ListedApprovers(), "", t0); access.ErrorCode(err) != access.EFORBIDDEN {
		t.Fatalf("outsider deny: %v", err)
	}
	if err := withState(pending(alice), access.StateActive).Deny(bob, res, res.ListedApprovers(), "", t0); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("deny active: %v", err)
	}
}

func TestCancelAndTimeOut(t *testing.T) {
	if err := pending(alice).Cancel(bob, t0); access.ErrorCode(err) != access.EFORBIDDEN {
		t.Fatalf("cancel by other: %v", err)
	}
	r := pending(alice)
	if err := r.Cancel(alice, t0); err != nil || r.State != access.StateCancelled {
		t.Fatalf("cancel: %v %s", err, r.State)
	}
	if err := r.Cancel(alice, t0); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("cancel twice: %v", err)
	}
	r = pending(alice)
	if err := r.TimeOut(time.Hour, t0.Add(59*time.Minute)); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("early time-out: %v", err)
	}
	if err := r.TimeOut(time.Hour, t0.Add(time.Hour)); err != nil || r.State != access.StateTimedOut {
		t.Fatalf("time-out: %v %s", err, r.State)
	}
}

func TestGrantLifeCycle(t *testing.T) {
	res := resource(1)
	r := pending(alice)
	if err := r.Activate(res.MaxDuration, t0); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("activate pending: %v", err)
	}
	if _, err := r.Approve(bob, res, res.ListedApprovers(), t0); err != nil {
		t.Fatal(err)
	}
	if err := r.ProvisionFailed("okta 500", false, t0.Add(2*time.Second)); err != nil || r.State != access.StateApproved {
		t.Fatalf("retryable failure: %v %s", err, r.State)
	}
	granted := t0.Add(10 * time.Second)
	if err := prep(r).Activate(res.MaxDuration, granted); err != nil {
		t.Fatal(err)
	}
	if r.State != access.StateActive || !r.Grant.ExpiresAt.Equal(granted.Add(time.Hour)) {
		t.Fatalf("clock must start at provisioning: %s expires %v", r.State, r.Grant.ExpiresAt)
	}
	if err := r.CompleteRemoval(granted); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("removal completed before it was recorded: %v", err)
	}
	if err := r.BeginRemoval(access.StateExpired, access.System, "", r.Grant.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	if err := r.BeginRemoval(access.StateRevoked, bob, "", r.Grant.ExpiresAt); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("second removal: %v", err)
	}
	if err := r.RemovalFailed("okta down", r.Grant.ExpiresAt.Add(time.Minute)); err != nil || r.State != access.StateActive {
		t.Fatalf("removal failure must keep the grant active until Okta confirms: %v %s", err, r.State)
	}
	if err := r.CompleteRemoval(r.Grant.ExpiresAt.Add(time.Minute)); err != nil || r.State != access.StateExpired {
		t.Fatalf("complete removal: %v %s", err, r.State)
	}
}

func TestProvisionGiveUpFails(t *testing.T) {
	r := withState(pending(alice), access.StateApproved)
	if err := r.ProvisionFailed("no such group", true, t0); err != nil || r.State != access.StateFailed {
		t.Fatalf("give up: %v %s", err, r.State)
	}
}

func TestUntilShiftEndIsCapped(t *testing.T) {
	tests := []struct {
		name     string
		shiftEnd time.Time
		want     time.Time
	}{
		{"shift ends before max", t0.Add(3 * time.Hour), t0.Add(3 * time.Hour)},
		{"shift ends after max", t0.Add(30 * time.Hour), t0.Add(8 * time.Hour)},
		{"open-ended shift", time.Time{}, t0.Add(8 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := withState(pending(alice), access.StateApproved)
			r.UntilShiftEnd, r.ShiftEnd = true, tt.shiftEnd
			if err := prep(r).Activate(8*time.Hour, t0); err != nil {
				t.Fatal(err)
			}
			if !r.Grant.ExpiresAt.Equal(tt.want) {
				t.Fatalf("expires %v, want %v", r.Grant.ExpiresAt, tt.want)
			}
		})
	}
}

func active(t *testing.T, d time.Duration) *access.Request {
	t.Helper()
	r := withState(pending(alice), access.StateApproved)
	r.Duration = d
	if err := prep(r).Activate(8*time.Hour, t0); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestExtensionPolicy(t *testing.T) {
	res := resource(1)
	res.Extension = access.ExtensionPolicy{MaxExtensions: 1}
	r := active(t, time.Hour)
	if err := r.Extend(3*time.Hour, res, t0); access.ErrorCode(err) != access.EINVALID {
		t.Fatalf("duration not offered: %v", err)
	}
	if err := r.Extend(4*time.Hour, res, t0); err != nil {
		t.Fatal(err)
	}
	if !r.Grant.ExpiresAt.Equal(t0.Add(5*time.Hour)) || r.Grant.Extensions != 1 {
		t.Fatalf("expires %v after %d extensions", r.Grant.ExpiresAt, r.Grant.Extensions)
	}
	if err := r.Extend(time.Hour, res, t0); access.ErrorCode(err) != access.EFORBIDDEN {
		t.Fatalf("past max_extensions: %v", err)
	}
	res.Extension.MaxExtensions = 5
	if err := r.Extend(4*time.Hour, res, t0); access.ErrorCode(err) != access.EINVALID {
		t.Fatalf("beyond max_duration from now: %v", err)
	}
}

func TestReminders(t *testing.T) {
	leads := []time.Duration{time.Hour, 10 * time.Minute}
	r := active(t, 4*time.Hour)
	timing := access.Timing{Reminders: leads}
	if due := r.NextDue(timing); !due.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("next due %v, want the 1h reminder", due)
	}
	if got := r.DueReminders(leads, t0.Add(2*time.Hour)); len(got) != 0 {
		t.Fatalf("nothing due yet, got %v", got)
	}
	// The bot was down across both lead times: both are due, one message.
	got := r.DueReminders(leads, t0.Add(3*time.Hour+55*time.Minute))
	if len(got) != 2 {
		t.Fatalf("due = %v, want both leads", got)
	}
	r.Grant.RemindersSent = got
	if due := r.NextDue(timing); !due.Equal(r.Grant.ExpiresAt) {
		t.Fatalf("after reminders, next due %v, want expiry", due)
	}
	short := active(t, time.Hour)
	if got := short.DueReminders(leads, t0.Add(55*time.Minute)); len(got) != 1 || got[0] != 10*time.Minute {
		t.Fatalf("a lead as long as the grant is skipped: %v", got)
	}
}

func TestNextDueByState(t *testing.T) {
	timing := access.Timing{PendingTTL: 24 * time.Hour}
	routed := pending(alice)
	routed.Routed = true
	if due := routed.NextDue(timing); !due.Equal(t0.Add(24 * time.Hour)) {
		t.Fatalf("pending due %v", due)
	}
	for _, s := range []access.State{access.StateDenied, access.StateExpired, access.StateRevoked, access.StateCancelled, access.StateTimedOut, access.StateFailed} {
		if due := withState(pending(alice), s).NextDue(timing); !due.IsZero() {
			t.Fatalf("%s: due %v, want never", s, due)
		}
		if !s.Final() {
			t.Fatalf("%s must be final", s)
		}
	}
}

func TestOnCallTrust(t *testing.T) {
	p := &access.OnCallPolicy{Schedules: []string{"PSCHED1"}, EscalationPolicies: []string{"PEP1"}, MaxEscalationLevel: 1}
	tests := []struct {
		name  string
		shift access.Shift
		want  bool
	}{
		{"primary on trusted schedule", access.Shift{ScheduleID: "PSCHED1", Level: 1}, true},
		{"level 2 beyond max level", access.Shift{ScheduleID: "PSCHED1", EscalationPolicyID: "PEP1", Level: 2}, false},
		{"trusted escalation policy", access.Shift{EscalationPolicyID: "PEP1", Level: 1}, true},
		{"other schedule", access.Shift{ScheduleID: "POTHER", Level: 1}, false},
	}
	for _, tt := range tests {
		if got := p.Trusts(tt.shift); got != tt.want {
			t.Errorf("%s: Trusts = %v, want %v", tt.name, got, tt.want)
		}
	}
	var none *access.OnCallPolicy
	if none.Trusts(access.Shift{ScheduleID: "PSCHED1", Level: 1}) {
		t.Error("a resource without on-call trusts no shift")
	}
}

func TestApprovalOfARemovedApproverNoLongerCounts(t *testing.T) {
	r, res := pending(alice), resource(2)
	if decided, err := r.Approve(bob, res, res.ListedApprovers(), t0); err != nil || decided {
		t.Fatalf("bob's approval: decided=%v err=%v", decided, err)
	}
	res.Approvers = []string{"alice@acme.com", "carol@acme.com", "eve@acme.com"} // bob left the approvers
	if decided, err := r.Approve(carol, res, res.ListedApprovers(), t0); err != nil || decided {
		t.Fatalf("carol's approval after bob left: decided=%v err=%v, want still pending", decided, err)
	}
	if decided, err := r.Approve(eve, res, res.ListedApprovers(), t0); err != nil || !decided {
		t.Fatalf("eve's approval: decided=%v err=%v, want approved", decided, err)
	}
}

func TestCancelOfAnApprovedRequestRemovesWhatMayHaveLanded(t *testing.T) {
	r := withState(pending(alice), access.StateApproved)
	acct := access.Account{ID: "00u1", Login: "alice@acme.com"}
	if err := r.Prepare(acct, access.Target{Kind: access.TargetGroup, ID: "00g1"}, false, false); err != nil {
		t.Fatal(err)
	}
	if err := r.Cancel(bob, t0); access.ErrorCode(err) != access.EFORBIDDEN {
		t.Fatalf("cancel by another: %v, want forbidden", err)
	}
	if err := r.Cancel(alice, t0); err != nil {
		t.Fatal(err)
	}
	if r.State != access.StateApproved || r.Grant.Removal == nil || r.Grant.Removal.Outcome != access.StateCancelled {
		t.Fatalf("after cancel: state %s removal %+v, want a pending removal ending cancelled", r.State, r.Grant.Removal)
	}
	if err := r.Activate(time.Hour, t0); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("activate after cancel: %v, want conflict", err)
	}
	if err := r.CompleteRemoval(t0); err != nil || r.State != access.StateCancelled {
		t.Fatalf("complete: %v, state %s", err, r.State)
	}
}

func TestGivingUpOnAGrantRemovesItOnlyWhenItChangedSomething(t *testing.T) {
	target := access.Target{Kind: access.TargetGroup, ID: "00g1"}
	acct := access.Account{ID: "00u1"}
	tests := []struct {
		name            string
		prepare         bool
		standing, dry   bool
		wantState       access.State
		wantRemovalOpen bool
	}{
		{"never prepared: nothing can have landed", false, false, false, access.StateFailed, false},
		{"prepared real grant: removed before it fails", true, false, false, access.StateApproved, true},
		{"standing access: never removed", true, true, false, access.StateFailed, false},
		{"dry run: nothing was changed", true, false, true, access.StateFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := withState(pending(alice), access.StateApproved)
			if tt.prepare {
				if err := r.Prepare(acct, target, tt.standing, tt.dry); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.ProvisionFailed("okta: 500", true, t0); err != nil {
				t.Fatal(err)
			}
			if r.State != tt.wantState || (r.Grant.Removal != nil) != tt.wantRemovalOpen {
				t.Fatalf("state %s removal %+v", r.State, r.Grant.Removal)
			}
			if tt.wantRemovalOpen {
				if err := r.CompleteRemoval(t0); err != nil || r.State != access.StateFailed {
					t.Fatalf("complete removal: %v, state %s", err, r.State)
				}
			}
		})
	}
}

func TestPrepareKeepsWhatTheFirstAttemptRecorded(t *testing.T) {
	r := withState(pending(alice), access.StateApproved)
	first := access.Account{ID: "00u1"}
	if err := r.Prepare(first, access.Target{Kind: access.TargetGroup, ID: "00g1"}, false, false); err != nil {
		t.Fatal(err)
	}
	if err := r.Prepare(access.Account{ID: "00u2"}, access.Target{Kind: access.TargetGroup, ID: "00g2"}, true, true); err != nil {
		t.Fatal(err)
	}
	if r.Grant.Account != first || r.Grant.Target.ID != "00g1" || r.Grant.Standing || r.Grant.DryRun {
		t.Fatalf("grant = %+v, want the first attempt's record", r.Grant)
	}
}

// prep records what the grant changes, as provisioning does before Activate.
func prep(r *access.Request) *access.Request {
	_ = r.Prepare(access.Account{ID: "00u1"}, access.Target{Kind: access.TargetGroup, ID: "00g1"}, false, false)
	return r
}
