package workflow_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// announced returns the kinds of the notices posted to the audit channel, in order.
func (h *harness) announced() []string {
	h.msg.mu.Lock()
	defer h.msg.mu.Unlock()
	var out []string
	for _, s := range h.msg.msgs {
		if s.To == "#audit" {
			out = append(out, s.Kind)
		}
	}
	return out
}

func wantAnnounced(t *testing.T, h *harness, want ...string) {
	t.Helper()
	if got := h.announced(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("audit channel heard %v, want %v", got, want)
	}
}

// The audit channel hears every decision (once the access is real, or the
// denial), every break-glass (granted or refused), every revocation and
// every failure; routine expiries, reminders and cancellations stay in the
// audit trail only.
func TestAuditChannelHearsDecisionsAndFailures(t *testing.T) {
	t.Run("approved then expired", func(t *testing.T) {
		h := newHarness(t)
		r := h.submit(alice, "aws-prod", "1h", "debug INC-7")
		if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Hour)
		h.sweep()
		wantState(t, h.get(r.ID), access.StateExpired)
		wantAnnounced(t, h, "granted")
	})
	t.Run("denied", func(t *testing.T) {
		h := newHarness(t)
		r := h.submit(alice, "aws-prod", "1h", "debug")
		if _, err := h.svc.Deny(ctx, carol.SlackID, r.ID, "use staging"); err != nil {
			t.Fatal(err)
		}
		wantAnnounced(t, h, "denied")
	})
	t.Run("cancelled", func(t *testing.T) {
		h := newHarness(t)
		r := h.submit(alice, "aws-prod", "1h", "debug")
		if _, err := h.svc.Cancel(ctx, alice.SlackID, r.ID); err != nil {
			t.Fatal(err)
		}
		wantAnnounced(t, h)
	})
	t.Run("auto-approved on call, extended, revoked", func(t *testing.T) {
		h := newHarness(t)
		h.pd.shifts[alice.Email] = []access.Shift{{ScheduleID: "PSCHED1", Level: 1}}
		r := h.submit(alice, "aws-prod", "1h", "paged")
		wantState(t, r, access.StateActive)
		if _, err := h.svc.Extend(ctx, alice.SlackID, r.ID, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Revoke(ctx, bob.SlackID, r.ID); err != nil {
			t.Fatal(err)
		}
		wantAnnounced(t, h, "granted", "extended", "revoked")
	})
	t.Run("extension approved by a person", func(t *testing.T) {
		h := newHarness(t)
		r := h.submit(alice, "aws-prod", "1h", "debug")
		h.svc.Approve(ctx, bob.SlackID, r.ID)
		ext, err := h.svc.Extend(ctx, alice.SlackID, r.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Approve(ctx, carol.SlackID, ext.ID); err != nil {
			t.Fatal(err)
		}
		wantAnnounced(t, h, "granted", "extended")
	})
	t.Run("break-glass granted and refused", func(t *testing.T) {
		h := newHarness(t)
		h.pd.shifts[alice.Email] = []access.Shift{{ScheduleID: "PSCHED1", Level: 1}}
		if _, err := h.svc.BreakGlass(ctx, eve.SlackID, "aws-prod", "prod down"); access.ErrorCode(err) != access.EFORBIDDEN {
			t.Fatalf("eve is not on call: %v", err)
		}
		if _, err := h.svc.BreakGlass(ctx, alice.SlackID, "aws-prod", " "); access.ErrorCode(err) != access.EINVALID {
			t.Fatalf("no reason: %v", err) // a typo, not announced
		}
		if _, err := h.svc.BreakGlass(ctx, alice.SlackID, "aws-prod", "prod down"); err != nil {
			t.Fatal(err)
		}
		wantAnnounced(t, h, "break_glass_refused", "break_glass")
		h.msg.mu.Lock()
		refused := h.msg.msgs[0]
		h.msg.mu.Unlock()
		if refused.To != "#audit" || !refused.Request.Requester.Is(eve) || refused.Request.ResourceID != "aws-prod" || refused.Request.Reason != "prod down" {
			t.Fatalf("refusal announced as %+v", refused)
		}
	})
	t.Run("grant failed for good", func(t *testing.T) {
		h := newHarness(t)
		h.prov.fail("grant", access.Errorf(access.ENOTFOUND, "no Okta user alice@acme.com"))
		r := h.submit(alice, "aws-prod", "1h", "debug")
		if _, err := h.svc.Approve(ctx, bob.SlackID, r.ID); err != nil {
			t.Fatal(err)
		}
		wantState(t, h.get(r.ID), access.StateFailed)
		wantAnnounced(t, h, "failed")
	})
}
