package workflow_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

var ctx = context.Background()

func TestRequestApproveProvisionExpire(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug incident 42")
	wantState(t, r, access.StatePending)
	if got := h.msg.find("", "approval"); len(got) != 2 {
		t.Fatalf("approval DMs = %d, want 2 (bob, carol; never the requester)", len(got))
	}
	if len(h.msg.find(alice.SlackID, "submitted")) != 1 {
		t.Fatal("requester got no confirmation")
	}
	r, err := h.svc.Approve(ctx, bob.SlackID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, r, access.StateActive)
	if !h.prov.holds(alice.Email, group) {
		t.Fatal("approval did not provision at once")
	}
	if !r.Grant.ExpiresAt.Equal(h.clock.Now().Add(time.Hour)) {
		t.Fatalf("expires %v", r.Grant.ExpiresAt)
	}
	if len(h.msg.find(alice.SlackID, "granted")) != 1 {
		t.Fatal("holder not told")
	}

	h.clock.Advance(59 * time.Minute)
	h.sweep()
	wantState(t, h.get(r.ID), access.StateActive)
	h.clock.Advance(time.Minute)
	h.sweep()
	wantState(t, h.get(r.ID), access.StateExpired)
	if h.prov.holds(alice.Email, group) {
		t.Fatal("access not removed at expiry")
	}
	if len(h.msg.find(alice.SlackID, "expired")) != 1 {
		t.Fatal("holder not told of expiry")
	}
	wantEvents(t, h.events(r.ID), access.EventRequested, access.EventApproved, access.EventProvisioned,
		access.EventReminded, access.EventRemovalStarted, access.EventExpired)
}

func TestSelfApprovalAndOutsidersRefused(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug")
	for _, tc := range []struct {
		who  access.User
		code string
	}{{alice, access.EFORBIDDEN}, {eve, access.EFORBIDDEN}, {admin, access.EFORBIDDEN}} {
		_, err := h.svc.Approve(ctx, tc.who.SlackID, r.ID)
		wantCode(t, err, tc.code)
	}
	wantState(t, h.get(r.ID), access.StatePending)
	if g, _ := h.prov.counts(); g != 0 {
		t.Fatalf("grants = %d", g)
	}
	wantEvents(t, h.events(r.ID), access.EventRequested, access.EventRefused, access.EventRefused, access.EventRefused)
}

func TestConcurrentApprovalsProvisionOnce(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug")
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		who := []access.User{bob, carol}[i%2]
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = h.svc.Approve(ctx, who.SlackID, r.ID) }()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantCode(t, err, access.ECONFLICT)
		}
	}
	if g, _ := h.prov.counts(); g != 1 || ok != 1 {
		t.Fatalf("grants = %d, successful clicks = %d; want 1 and 1", g, ok)
	}
}

func TestMinApprovalsTwo(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "grafana", "1h", "dashboards")
	r, err := h.svc.Approve(ctx, bob.SlackID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, r, access.StatePending)
	_, err = h.svc.Approve(ctx, bob.SlackID, r.ID)
	wantCode(t, err, access.ECONFLICT)
	r, err = h.svc.Approve(ctx, carol.SlackID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, r, access.StateActive)
	if !h.prov.holds(alice.Email, app) {
		t.Fatal("app not assigned")
	}
}

func TestDeny(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug")
	r, err := h.svc.Deny(ctx, carol.SlackID, r.ID, "use staging")
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, r, access.StateDenied)
	if len(h.msg.find(alice.SlackID, "denied")) != 1 {
		t.Fatal("requester not told")
	}
	_, err = h.svc.Approve(ctx, bob.SlackID, r.ID)
	wantCode(t, err, access.ECONFLICT)
	if g, _ := h.prov.counts(); g != 0 {
		t.Fatal("denied request provisioned")
	}
}

func TestValidation(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name   string
		who    access.User
		in     workflow.RequestInput
		fields []string
	}{
		{"unknown resource", alice, workflow.RequestInput{ResourceID: "nope", Duration: "1h", Reason: "x"}, []string{"resource"}},
		{"duration not offered", alice, workflow.RequestInput{ResourceID: "aws-prod", Duration: "3h", Reason: "x"}, []string{"duration"}},
		{"duration garbage", alice, workflow.RequestInput{ResourceID: "aws-prod", Duration: "soon", Reason: "x"}, []string{"duration"}},
		{"no reason and no duration", alice, workflow.RequestInput{ResourceID: "aws-prod", Reason: "  "}, []string{"duration", "reason"}},
		{"self as approver", alice, workflow.RequestInput{ResourceID: "aws-prod", Duration: "1h", Reason: "x", Approvers: []string{"alice@acme.com"}}, []string{"approvers"}},
		{"non-approver chosen", alice, workflow.RequestInput{ResourceID: "aws-prod", Duration: "1h", Reason: "x", Approvers: []string{"eve@acme.com"}}, []string{"approvers"}},
		{"too few approvers chosen", alice, workflow.RequestInput{ResourceID: "grafana", Duration: "1h", Reason: "x", Approvers: []string{"bob@acme.com"}}, []string{"approvers"}},
		{"on-call duration when not on call", alice, workflow.RequestInput{ResourceID: "aws-prod", Duration: "oncall", Reason: "x"}, []string{"duration"}},
		{"not enough other approvers", bob, workflow.RequestInput{ResourceID: "grafana", Duration: "1h", Reason: "x"}, []string{"resource"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.svc.Validate(ctx, tt.who.SlackID, tt.in)
			wantCode(t, err, access.EINVALID)
			fields := access.ErrorFields(err)
			for _, f := range tt.fields {
				if fields[f] == nil || fields[f].Reason == "" {
					t.Errorf("no message for %s in %v", f, fields)
				}
			}
			if len(fields) != len(tt.fields) {
				t.Errorf("fields = %v, want %v", fields, tt.fields)
			}
		})
	}
}

func TestOneOpenRequestPerResource(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug")
	_, err := h.svc.Submit(ctx, alice.SlackID, workflow.RequestInput{ResourceID: "aws-prod", Duration: "1h", Reason: "again"})
	wantCode(t, err, access.ECONFLICT)
	if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.Submit(ctx, alice.SlackID, workflow.RequestInput{ResourceID: "aws-prod", Duration: "1h", Reason: "again"})
	wantCode(t, err, access.ECONFLICT)
}

func TestProvisionRetriedUntilOktaConfirms(t *testing.T) {
	h := newHarness(t)
	h.prov.fail("grant", access.Wrap(access.EUNAVAILABLE, errors.New("okta 500")), access.Wrap(access.EUNAVAILABLE, errors.New("okta 429")))
	r := h.submit(alice, "aws-prod", "1h", "debug")
	r, err := h.svc.Approve(ctx, bob.SlackID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, r, access.StateApproved)
	if len(h.msg.find(alice.SlackID, "granted")) != 0 {
		t.Fatal("access reported granted before Okta confirmed")
	}
	for i := 0; i < 2; i++ {
		h.clock.Advance(10 * time.Minute)
		h.sweep()
	}
	r = h.get(r.ID)
	wantState(t, r, access.StateActive)
	if g, _ := h.prov.counts(); g != 1 || r.Grant.Provision.Attempts != 2 {
		t.Fatalf("grants %d attempts %d", g, r.Grant.Provision.Attempts)
	}
}

func TestPermanentProvisionFailure(t *testing.T) {
	h := newHarness(t)
	noUser := access.Errorf(access.ENOTFOUND, "no Okta user")
	h.prov.fail("has", noUser, noUser) // asked with the approval, and again before the grant
	r := h.submit(alice, "aws-prod", "1h", "debug")
	r, err := h.svc.Approve(ctx, bob.SlackID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, r, access.StateFailed)
	if len(h.msg.find(alice.SlackID, "failed")) != 1 || len(h.msg.find("#audit", "failed")) != 1 {
		t.Fatal("requester and admins not told")
	}
}

func TestStandingAccessNeverRemoved(t *testing.T) {
	h := newHarness(t)
	h.prov.held[key(alice.Email, group)] = true
	r := h.submit(alice, "aws-prod", "1h", "debug")
	r, err := h.svc.Approve(ctx, bob.SlackID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Grant.Standing || len(h.msg.find(alice.SlackID, "standing")) != 1 {
		t.Fatal("standing access not recognised and told")
	}
	h.clock.Advance(2 * time.Hour)
	h.sweep()
	wantState(t, h.get(r.ID), access.StateExpired)
	if g, rv := h.prov.counts(); g != 0 || rv != 0 || !h.prov.holds(alice.Email, group) {
		t.Fatalf("standing access touched: grants %d revokes %d", g, rv)
	}
}

func TestRemovalRetriedAndAlerted(t *testing.T) {
	h := newHarness(t, func(o *workflow.Options) { o.RemovalAlertAfter = 2 })
	r := h.submit(alice, "aws-prod", "1h", "debug")
	if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	down := access.Wrap(access.EUNAVAILABLE, errors.New("connection refused"))
	h.prov.fail("revoke", down, down, down)
	h.clock.Advance(time.Hour)
	for i := 0; i < 3; i++ {
		h.sweep()
		got := h.get(r.ID)
		wantState(t, got, access.StateActive)
		if got.Grant.Removal == nil || got.Grant.Removal.Retry.Attempts != i+1 {
			t.Fatalf("removal not recorded as pending: %+v", got.Grant.Removal)
		}
		h.clock.Advance(10 * time.Minute)
	}
	if n := len(h.msg.find("#audit", "removal_failing")); n != 1 {
		t.Fatalf("audit channel alerted %d times, want once", n)
	}
	h.sweep()
	wantState(t, h.get(r.ID), access.StateExpired)
	if h.prov.holds(alice.Email, group) {
		t.Fatal("access still held")
	}
}

func TestRevokeRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		by   access.User
		code string
	}{{"holder", alice, ""}, {"approver", carol, ""}, {"admin", admin, ""}, {"outsider", eve, access.EFORBIDDEN}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			r := h.submit(alice, "aws-prod", "1h", "debug")
			if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
				t.Fatal(err)
			}
			got, err := h.svc.Revoke(ctx, tc.by.SlackID, r.ID)
			wantCode(t, err, tc.code)
			if tc.code != "" {
				wantState(t, h.get(r.ID), access.StateActive)
				return
			}
			wantState(t, got, access.StateRevoked)
			if h.prov.holds(alice.Email, group) {
				t.Fatal("still held")
			}
			if got.Grant.Removal.By.SlackID != tc.by.SlackID {
				t.Fatalf("revoked by %+v", got.Grant.Removal.By)
			}
		})
	}
}

func TestCancelAndTimeOut(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug")
	_, err := h.svc.Cancel(ctx, bob.SlackID, r.ID)
	wantCode(t, err, access.EFORBIDDEN)
	r, err = h.svc.Cancel(ctx, alice.SlackID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, r, access.StateCancelled)
	if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("approve after cancel: %v", err)
	}

	r = h.submit(alice, "aws-prod", "1h", "debug again")
	h.clock.Advance(24 * time.Hour)
	h.sweep()
	wantState(t, h.get(r.ID), access.StateTimedOut)
	if len(h.msg.find(alice.SlackID, "timed_out")) != 1 {
		t.Fatal("requester not told of time-out")
	}
}

func TestRemindersOnceEach(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "4h", "migration")
	if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(3 * time.Hour)
	h.sweep()
	h.sweep()
	if n := len(h.msg.find(alice.SlackID, "reminder")); n != 1 {
		t.Fatalf("reminders at 1h lead = %d", n)
	}
	h.clock.Advance(50 * time.Minute)
	h.sweep()
	if n := len(h.msg.find(alice.SlackID, "reminder")); n != 2 {
		t.Fatalf("reminders after 10m lead = %d", n)
	}
}

func TestExtension(t *testing.T) {
	t.Run("without approval", func(t *testing.T) {
		h := newHarness(t)
		r := h.submit(alice, "grafana", "1h", "dashboards")
		h.svc.Approve(ctx, bob.SlackID, r.ID)
		r, _ = h.svc.Approve(ctx, carol.SlackID, r.ID)
		expires := r.Grant.ExpiresAt
		r, err := h.svc.Extend(ctx, alice.SlackID, r.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Grant.ExpiresAt.Equal(expires.Add(time.Hour)) {
			t.Fatalf("expiry %v, want %v", r.Grant.ExpiresAt, expires.Add(time.Hour))
		}
		_, err = h.svc.Extend(ctx, alice.SlackID, r.ID, time.Hour)
		wantCode(t, err, access.EFORBIDDEN) // max_extensions: 1
		_, err = h.svc.Extend(ctx, bob.SlackID, r.ID, time.Hour)
		wantCode(t, err, access.EFORBIDDEN) // not the holder
	})
	t.Run("with approval", func(t *testing.T) {
		h := newHarness(t)
		r := h.submit(alice, "aws-prod", "1h", "debug")
		r, _ = h.svc.Approve(ctx, bob.SlackID, r.ID)
		expires := r.Grant.ExpiresAt
		ext, err := h.svc.Extend(ctx, alice.SlackID, r.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if ext.Kind != access.KindExtension || ext.State != access.StatePending {
			t.Fatalf("extension request %+v", ext)
		}
		_, err = h.svc.Extend(ctx, alice.SlackID, r.ID, time.Hour)
		wantCode(t, err, access.ECONFLICT) // one waiting at a time
		if _, err := h.svc.Approve(ctx, alice.SlackID, ext.ID); access.ErrorCode(err) != access.EFORBIDDEN {
			t.Fatalf("self-approved extension: %v", err)
		}
		if _, err := h.svc.Approve(ctx, carol.SlackID, ext.ID); err != nil {
			t.Fatal(err)
		}
		got := h.get(r.ID)
		if !got.Grant.ExpiresAt.Equal(expires.Add(time.Hour)) || got.Grant.PendingExtension != "" {
			t.Fatalf("grant after approved extension: %+v", got.Grant)
		}
		wantState(t, h.get(ext.ID), access.StateExtended)
		if g, _ := h.prov.counts(); g != 1 {
			t.Fatalf("an extension must not grant again: %d grants", g)
		}
	})
	t.Run("dies with the grant", func(t *testing.T) {
		h := newHarness(t)
		r := h.submit(alice, "aws-prod", "1h", "debug")
		h.svc.Approve(ctx, bob.SlackID, r.ID)
		ext, err := h.svc.Extend(ctx, alice.SlackID, r.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Hour)
		h.sweep()
		wantState(t, h.get(r.ID), access.StateExpired)
		wantState(t, h.get(ext.ID), access.StateCancelled)
	})
}

func TestOnCallAutoApproval(t *testing.T) {
	shift := access.Shift{ScheduleID: "PSCHED1", Level: 1, End: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	t.Run("primary on call is auto-approved", func(t *testing.T) {
		h := newHarness(t)
		h.pd.shifts[alice.Email] = []access.Shift{shift}
		r := h.submit(alice, "aws-prod", "oncall", "paged for INC-9")
		wantState(t, r, access.StateActive)
		if !r.Grant.ExpiresAt.Equal(shift.End) {
			t.Fatalf("until shift end: expires %v, want %v", r.Grant.ExpiresAt, shift.End)
		}
		if len(h.msg.find("", "approval")) != 0 || len(h.msg.find("", "auto_approved")) != 2 {
			t.Fatal("approvers must get an FYI, not buttons")
		}
		wantEvents(t, h.events(r.ID), access.EventRequested, access.EventAutoApproved, access.EventProvisioned)
	})
	t.Run("level 2 is not auto-approved", func(t *testing.T) {
		h := newHarness(t)
		h.pd.shifts[alice.Email] = []access.Shift{{ScheduleID: "PSCHED1", Level: 2}}
		wantState(t, h.submit(alice, "aws-prod", "1h", "paged"), access.StatePending)
	})
	t.Run("PagerDuty error falls back to approvers", func(t *testing.T) {
		h := newHarness(t)
		h.pd.err = access.Wrap(access.EUNAVAILABLE, errors.New("pagerduty 500"))
		r := h.submit(alice, "aws-prod", "1h", "paged")
		wantState(t, r, access.StatePending)
		if len(h.msg.find(alice.SlackID, "oncall_fallback")) != 1 || len(h.msg.find("", "approval")) != 2 {
			t.Fatal("fallback not told or not routed")
		}
	})
}

func TestBreakGlass(t *testing.T) {
	h := newHarness(t)
	h.pd.shifts[alice.Email] = []access.Shift{{ScheduleID: "PSCHED1", Level: 1}}
	_, err := h.svc.BreakGlass(ctx, eve.SlackID, "aws-prod", "prod down")
	wantCode(t, err, access.EFORBIDDEN)
	_, err = h.svc.BreakGlass(ctx, alice.SlackID, "grafana", "prod down")
	wantCode(t, err, access.EFORBIDDEN)
	_, err = h.svc.BreakGlass(ctx, alice.SlackID, "aws-prod", " ")
	wantCode(t, err, access.EINVALID)
	if g, _ := h.prov.counts(); g != 0 {
		t.Fatal("refused break-glass granted something")
	}
	r, err := h.svc.BreakGlass(ctx, alice.SlackID, "aws-prod", "prod down")
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, r, access.StateActive)
	if r.Grant.ExpiresAt.Sub(r.Grant.GrantedAt) != time.Hour {
		t.Fatalf("break-glass lasts %v", r.Grant.ExpiresAt.Sub(r.Grant.GrantedAt))
	}
	if len(h.msg.find("#audit", "break_glass")) != 1 || len(h.msg.find("", "break_glass")) != 3 {
		t.Fatal("audit channel and both approvers must be told")
	}
	if _, err := h.svc.Revoke(ctx, bob.SlackID, r.ID); err != nil {
		t.Fatal(err)
	}
	if h.prov.holds(alice.Email, group) {
		t.Fatal("revoked break-glass still held")
	}
	evs, _ := h.store.Events(ctx, access.EventFilter{})
	refused := 0
	for _, e := range evs {
		if e.Type == access.EventRefused {
			refused++
		}
	}
	if refused != 3 {
		t.Fatalf("refused attempts audited = %d, want 3", refused)
	}
}

func TestDryRunMakesNoOktaChanges(t *testing.T) {
	h := newHarness(t, func(o *workflow.Options) { o.DryRun = true })
	r := h.submit(alice, "aws-prod", "1h", "trying it out")
	r, err := h.svc.Approve(ctx, bob.SlackID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, r, access.StateActive)
	h.clock.Advance(time.Hour)
	h.sweep()
	wantState(t, h.get(r.ID), access.StateExpired)
	if g, rv := h.prov.counts(); g != 0 || rv != 0 {
		t.Fatalf("dry run changed Okta: %d grants, %d revokes", g, rv)
	}
}

func TestRestartCatchesUpOverdueGrants(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug")
	h.svc.Approve(ctx, bob.SlackID, r.ID)
	h.clock.Advance(5 * time.Hour) // the bot was down
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- h.svc.Run(runCtx, time.Hour) }()
	deadline := time.After(10 * time.Second)
	for h.get(r.ID).State != access.StateExpired {
		select {
		case <-deadline:
			t.Fatal("overdue grant not removed at start-up")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	<-done
}

func TestCheckDeciderRefusalsAudited(t *testing.T) {
	h := newHarness(t)
	r := h.submit(alice, "aws-prod", "1h", "debug")
	for _, tc := range []struct {
		name string
		who  access.User
		code string
	}{
		{"requester", alice, access.EFORBIDDEN},
		{"outsider", eve, access.EFORBIDDEN},
		{"approver", bob, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, h.svc.CheckDecider(ctx, tc.who.SlackID, r.ID), tc.code)
		})
	}
	wantState(t, h.get(r.ID), access.StatePending)
	wantEvents(t, h.events(r.ID), access.EventRequested, access.EventRefused, access.EventRefused)
}

// A decision that lands while the approval messages are still being sent
// cannot redraw the ones not recorded yet; routing must redraw them after.
func TestChangeWhileRoutingRedrawsEveryMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(h *harness, id string) error
		want access.State
	}{
		{"approved", func(h *harness, id string) error { _, err := h.svc.Approve(ctx, bob.SlackID, id); return err }, access.StateActive},
		{"denied", func(h *harness, id string) error { _, err := h.svc.Deny(ctx, bob.SlackID, id, "no"); return err }, access.StateDenied},
		{"cancelled", func(h *harness, id string) error { _, err := h.svc.Cancel(ctx, alice.SlackID, id); return err }, access.StateCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var once sync.Once
			var actErr error
			h.msg.mu.Lock()
			h.msg.onSend = func(s sent) {
				if s.Kind == "approval" && s.To == bob.SlackID {
					once.Do(func() { actErr = tc.act(h, s.Request.ID) })
				}
			}
			h.msg.mu.Unlock()
			r := h.submit(alice, "aws-prod", "1h", "debug")
			if actErr != nil {
				t.Fatal(actErr)
			}
			wantState(t, h.get(r.ID), tc.want)
			for _, to := range []string{bob.SlackID, carol.SlackID} {
				if last, _ := h.msg.lastTo(to, "approval"); last.Request.State != tc.want {
					t.Errorf("%s's approval message shows %s, want %s", to, last.Request.State, tc.want)
				}
			}
			if last, _ := h.msg.lastTo(alice.SlackID, string(access.NoticeSubmitted)); last.Request.State != tc.want {
				t.Errorf("the requester's confirmation shows %s, want %s", last.Request.State, tc.want)
			}
		})
	}
}
