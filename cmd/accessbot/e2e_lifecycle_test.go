package main

// End-to-end tests of issue 4: reminders with one-click extend, early
// revoke, cancel and time-outs.

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// grantTo files `/access request <text>` as p, has the approvers approve it
// until it is active, and returns its id and the approvers' DMs.
func (e *e2e) grantTo(p SandboxPerson, text string, approvers ...SandboxPerson) (string, []fakeslack.Message) {
	e.t.Helper()
	mark := e.sb.Slack.Mark()
	e.slash(p, "/access", "request "+text)
	var id string
	var dms []fakeslack.Message
	for _, a := range approvers {
		m, got := e.approvalDM(mark, a)
		id = got
		dms = append(dms, m)
	}
	for i, a := range approvers {
		e.click(a, dms[i], bot.ActionApprove)
		e.waitFor("approval recorded", func() bool { return len(e.request(id).Decisions) == i+1 })
	}
	e.waitState(id, access.StateActive)
	return id, dms
}

// reminder waits for a reminder DM to p after mark.
func (e *e2e) reminder(mark int, p SandboxPerson, id string) fakeslack.Message {
	e.t.Helper()
	return e.waitMsg(mark, dm(p), "⏰", "Your access to", id, "ends")
}

// sweepNow runs one sweep in the test's goroutine: once it returns,
// everything due at the clock's time has been done.
func (e *e2e) sweepNow() {
	e.t.Helper()
	if err := e.m.Workflow().Sweep(e.ctx()); err != nil {
		e.t.Fatal(err)
	}
}

// buttonIDs lists the action_ids of m's buttons.
func buttonIDs(m fakeslack.Message) []string {
	var out []string
	for _, b := range m.Buttons() {
		out = append(out, b.ActionID)
	}
	return out
}

func TestRemindersOnceEachAcrossRestarts(t *testing.T) {
	e := startE2E(t)
	id, _ := e.grantTo(Alice, "db-prod 4h long migration", Bob)
	r := e.request(id)
	expires := r.Grant.ExpiresAt.UTC().Format(time.RFC3339)

	// The first reminder fell due while the bot was down: it is sent at start-up.
	e.advance(2*time.Hour + 59*time.Minute)
	e.sweepNow()
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned)
	e.stop()
	e.sb.Clock.Advance(2 * time.Minute) // 3h01m: the 1h reminder is due
	mark := e.sb.Slack.Mark()
	e.start()
	first := e.reminder(mark, Alice, id)
	if !containsAll(first.Text(), "Production database", expires) {
		t.Fatalf("reminder does not show the resource and the exact end %s: %s", expires, oneLine(first.Text()))
	}
	want := []string{bot.ExtendActionID("1h"), bot.ExtendActionID("4h"), bot.ActionLetExpire, bot.ActionRevoke}
	if got := buttonIDs(first); joinIDs(got) != joinIDs(want) {
		t.Fatalf("reminder buttons = %v, want %v (1d would end more than max_duration from now)", got, want)
	}
	evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventReminded)
	if evs[3].Details["lead"] != "1h" || evs[3].Details["expires_at"] != expires {
		t.Fatalf("reminded details = %v", evs[3].Details)
	}

	mark = e.sb.Slack.Mark()
	e.advance(49 * time.Minute) // 3h50m: the 10m reminder
	second := e.reminder(mark, Alice, id)
	if !containsAll(second.Text(), expires) {
		t.Fatalf("second reminder: %s", oneLine(second.Text()))
	}
	evs = e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventReminded, access.EventReminded)
	if evs[4].Details["lead"] != "10m" {
		t.Fatalf("second reminded details = %v", evs[4].Details)
	}

	// Neither is sent again: not by more sweeps, not after a restart.
	mark = e.sb.Slack.Mark()
	e.restart()
	e.advance(time.Minute)
	e.sweepNow()
	e.sweepNow()
	for _, m := range e.posted(mark, dm(Alice)) {
		t.Fatalf("after the restart Alice got: %s", oneLine(m.Text()))
	}
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventReminded, access.EventReminded)
	if r := e.request(id); len(r.Grant.RemindersSent) != 2 || r.State != access.StateActive {
		t.Fatalf("reminders sent = %v, state %s", r.Grant.RemindersSent, r.State)
	}
	e.noRejections()
}

// joinIDs joins ids for comparison.
func joinIDs(ids []string) string {
	out := ""
	for _, id := range ids {
		out += id + ","
	}
	return out
}

func TestExtendWithoutApproval(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	id, _ := e.grantTo(Alice, "grafana-admin 1h fix the alerts", Bob, Carol)
	original := e.request(id).Grant.ExpiresAt

	mark := e.sb.Slack.Mark()
	e.advance(50 * time.Minute) // only the 10m reminder: 1h is not shorter than the grant
	rem := e.reminder(mark, Alice, id)
	mark = e.sb.Slack.Mark()
	if _, err := e.sb.Slack.ClickButtonValue(e.ctx(), Alice.SlackID, rem, bot.ExtendActionID("1h"), id+"|1h"); err != nil {
		t.Fatal(err)
	}
	e.waitFor("new expiry", func() bool { return e.request(id).Grant.ExpiresAt.Equal(original.Add(time.Hour)) })
	e.waitMsg(mark, dm(Alice), "was extended", "now ends")
	e.waitDM("the reminder to say extended", rem, func(cur fakeslack.Message) bool {
		return containsAll(cur.Text(), "Extended") && !hasButton(cur, bot.ExtendActionID("1h"))
	})
	evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventApproved, access.EventProvisioned,
		access.EventReminded, access.EventExtended)
	if x := evs[5]; x.Actor.SlackID != Alice.SlackID || x.Details["by"] != "1h" || x.Details["extensions"] != "1" {
		t.Fatalf("extended event = %+v", x)
	}

	// Past the original end the access is still there. The grant now lasts
	// 2h, so the 1h reminder applies too: it is due at once, with no Extend
	// left (max_extensions: 1).
	mark = e.sb.Slack.Mark()
	e.advance(15 * time.Minute)
	e.sweepNow()
	if !okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) || e.request(id).State != access.StateActive {
		t.Fatal("access removed at the original expiry")
	}
	if n := okta.AppUnassignments(SandboxAppGrafana, Alice.OktaID); n != 0 {
		t.Fatalf("unassignments = %d", n)
	}
	last := e.reminder(mark, Alice, id)
	if hasButton(last, bot.ExtendActionID("1h")) || !containsAll(last.Text(), "can't be extended any more") ||
		!hasButton(last, bot.ActionRevoke) {
		t.Fatalf("reminder after the last extension: %s (buttons %v)", oneLine(last.Text()), buttonIDs(last))
	}

	// A second extension is refused with the reason.
	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "extend "+id+" 1h")
	e.reply(mark, Alice, "extended 1 times, the most its policy allows")
	ref := e.lastEvent(id, access.EventRefused)
	if ref.Details["action"] != "extend" || ref.Actor.SlackID != Alice.SlackID || ref.Details["code"] != access.EFORBIDDEN {
		t.Fatalf("refused event = %+v", ref)
	}
	if got := e.request(id).Grant.ExpiresAt; !got.Equal(original.Add(time.Hour)) {
		t.Fatalf("a refused extension moved the end to %v", got)
	}

	mark = e.sb.Slack.Mark()
	e.advance(45 * time.Minute) // 10m before the new end
	e.reminder(mark, Alice, id)
	e.advance(10 * time.Minute)
	e.waitFor("removal at the new end", func() bool { return !okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) })
	e.waitState(id, access.StateExpired)
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventApproved, access.EventProvisioned,
		access.EventReminded, access.EventExtended, access.EventReminded, access.EventRefused, access.EventReminded,
		access.EventRemovalStarted, access.EventExpired)
	e.noRejections()
}

func TestExtendWithApproval(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	id, _ := e.grantTo(Alice, "db-prod 1h long query", Bob)
	original := e.request(id).Grant.ExpiresAt

	mark := e.sb.Slack.Mark()
	e.advance(50 * time.Minute)
	rem := e.reminder(mark, Alice, id)
	mark = e.sb.Slack.Mark()
	if _, err := e.sb.Slack.ClickButtonValue(e.ctx(), Alice.SlackID, rem, bot.ExtendActionID("4h"), id+"|4h"); err != nil {
		t.Fatal(err)
	}
	carolDM, extID := e.approvalDM(mark, Carol)
	e.approvalDM(mark, Bob)
	if extID == id || !containsAll(carolDM.Text(), "Extension request", "has held", "50m", "+4h", "<@U0ALICE>") {
		t.Fatalf("extension approval DM (%s): %s", extID, oneLine(carolDM.Text()))
	}
	e.waitDM("the reminder to say it was sent", rem, func(cur fakeslack.Message) bool {
		return containsAll(cur.Text(), extID, "sent to") && !hasButton(cur, bot.ExtendActionID("1h"))
	})
	ext := e.request(extID)
	if ext.Kind != access.KindExtension || ext.ParentID != id || ext.State != access.StatePending {
		t.Fatalf("extension request = %+v", ext)
	}
	if g := e.request(id); g.Grant.ExpiresAt != original || g.Grant.PendingExtension != extID || g.State != access.StateActive {
		t.Fatalf("grant while the extension waits: expires %v, pending %q, %s", g.Grant.ExpiresAt, g.Grant.PendingExtension, g.State)
	}
	// One extension waits at a time.
	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "extend "+id+" 1h")
	e.reply(mark, Alice, "already waiting for approval", extID)

	mark = e.sb.Slack.Mark()
	e.click(Carol, carolDM, bot.ActionApprove)
	e.waitFor("new expiry", func() bool { return e.request(id).Grant.ExpiresAt.Equal(original.Add(4 * time.Hour)) })
	e.waitState(extID, access.StateExtended)
	e.waitMsg(mark, dm(Alice), "was extended", "Approved by", "<@U0CAROL>")
	evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventReminded,
		access.EventRefused, access.EventExtended)
	if x := evs[5]; x.Actor.SlackID != Carol.SlackID || x.Details["extension_request"] != extID || x.Details["by"] != "4h" {
		t.Fatalf("extended event = %+v", x)
	}
	e.wantTrail(extID, access.EventExtensionRequested, access.EventApproved)
	if g := e.request(id); g.Grant.PendingExtension != "" || g.Grant.Extensions != 1 {
		t.Fatalf("grant after the extension: pending %q, extensions %d", g.Grant.PendingExtension, g.Grant.Extensions)
	}

	e.advance(15 * time.Minute) // past the original end
	e.sweepNow()
	if !okta.IsMember(SandboxGroupDB, Alice.OktaID) || e.request(id).State != access.StateActive {
		t.Fatal("access removed at the original expiry")
	}
	e.noRejections()
}

func TestOnCallHolderExtendsWithoutApproval(t *testing.T) {
	e := startE2E(t)
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request aws-prod-read 1h INC-46 still digging")
	id := e.idIn(e.reply(mark, Alice, "auto-approved").Text())
	r := e.waitState(id, access.StateActive)

	// aws-prod-read needs approval to extend, except for the on-call.
	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "extend "+id+" 1h")
	e.reply(mark, Alice, "Extended", id, "now ends")
	if got := e.request(id).Grant.ExpiresAt; !got.Equal(r.Grant.ExpiresAt.Add(time.Hour)) {
		t.Fatalf("expires %v, want %v", got, r.Grant.ExpiresAt.Add(time.Hour))
	}
	for _, m := range e.posted(mark, dm(Bob)) {
		if hasButton(m, bot.ActionApprove) {
			t.Fatalf("the on-call holder's extension went to an approver: %s", oneLine(m.Text()))
		}
	}
	evs := e.wantTrail(id, access.EventRequested, access.EventAutoApproved, access.EventProvisioned, access.EventExtended)
	if x := evs[3]; x.Actor.SlackID != Alice.SlackID || x.Details["schedule"] != SandboxSchedule || x.Details["by"] != "1h" {
		t.Fatalf("extended event = %+v", x)
	}
	e.noRejections()
}

func TestPendingExtensionDiesWithItsGrant(t *testing.T) {
	e := startE2E(t)
	id, _ := e.grantTo(Alice, "db-prod 1h long query", Bob)
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "extend "+id+" 1h")
	bobDM, extID := e.approvalDM(mark, Bob)
	e.reply(mark, Alice, extID, "sent to")
	e.waitRouted(extID)

	e.advance(time.Hour) // nobody decided before the grant ended
	e.waitState(id, access.StateExpired)
	e.waitState(extID, access.StateCancelled)
	e.waitDM("the extension DM to say so", bobDM, func(cur fakeslack.Message) bool {
		return !hasButton(cur, bot.ActionApprove) && containsAll(cur.Text(), "no longer applies")
	})
	e.wantTrail(extID, access.EventExtensionRequested, access.EventNudged, access.EventCancelled) // nudged after timing.nudge_after
	e.noRejections()
}

func TestRevokeNow(t *testing.T) {
	cases := []struct {
		name string
		by   SandboxPerson
		how  string // "granted", "reminder", "approval" (a button on that DM) or "command"
	}{
		{"holder, granted DM", Alice, "granted"},
		{"holder, reminder", Alice, "reminder"},
		{"holder, command", Alice, "command"},
		{"approver, approval DM", Carol, "approval"},
		{"approver, command", Carol, "command"},
		{"admin, command", Erin, "command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t)
			okta := e.sb.Okta
			mark := e.sb.Slack.Mark()
			id, dms := e.grantTo(Alice, "db-prod 4h rotate credentials", Bob)
			carolDM, _ := e.approvalDM(mark, Carol)
			granted := e.waitMsg(mark, dm(Alice), "Access granted")

			mark = e.sb.Slack.Mark()
			switch tc.how {
			case "granted":
				e.click(tc.by, granted, bot.ActionRevoke)
			case "reminder":
				e.advance(3 * time.Hour)
				rem := e.reminder(mark, Alice, id)
				mark = e.sb.Slack.Mark()
				e.click(tc.by, rem, bot.ActionRevoke)
			case "approval":
				cur := e.waitDM("a Revoke button on the approver DM", carolDM, func(cur fakeslack.Message) bool {
					return hasButton(cur, bot.ActionRevoke)
				})
				e.click(tc.by, cur, bot.ActionRevoke)
			case "command":
				e.slash(tc.by, "/access", "revoke "+id)
				// "revoked", or "revocation … is recorded" when a sweep took
				// the removal over first: both say so.
				e.reply(mark, tc.by, id, "revo")
			}
			e.waitFor("Okta removal", func() bool { return !okta.IsMember(SandboxGroupDB, Alice.OktaID) })
			r := e.waitState(id, access.StateRevoked)
			if r.Grant.Removal == nil || r.Grant.Removal.By.SlackID != tc.by.SlackID {
				t.Fatalf("removal = %+v", r.Grant.Removal)
			}
			e.waitMsg(mark, dm(Alice), "was revoked by", "<@"+tc.by.SlackID+">")
			for _, m := range append(dms, carolDM) {
				e.waitDM("approver DM to show the revocation", m, func(cur fakeslack.Message) bool {
					return !hasButton(cur, bot.ActionRevoke) && containsAll(cur.Text(), "Revoked by", "<@"+tc.by.SlackID+">")
				})
			}
			want := []access.EventType{access.EventRequested, access.EventApproved, access.EventProvisioned}
			if tc.how == "reminder" {
				want = append(want, access.EventReminded)
			}
			evs := e.wantTrail(id, append(want, access.EventRemovalStarted, access.EventRevoked)...)
			for _, ev := range evs[len(evs)-2:] {
				if ev.Actor.SlackID != tc.by.SlackID {
					t.Fatalf("%s by %+v, want %s", ev.Type, ev.Actor, tc.by.Name)
				}
			}
			// Revoked means gone: a late expiry does nothing more.
			e.advance(5 * time.Hour)
			e.sweepNow()
			if n := okta.GroupRemovals(SandboxGroupDB, Alice.OktaID); n != 1 {
				t.Fatalf("group removals = %d, want 1", n)
			}
			e.wantTrail(id, append(want, access.EventRemovalStarted, access.EventRevoked)...)
			e.noRejections()
		})
	}
}

func TestRevokeRefusedForOthers(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	mark := e.sb.Slack.Mark()
	id, _ := e.grantTo(Alice, "db-prod 4h rotate credentials", Bob)
	granted := e.waitMsg(mark, dm(Alice), "Access granted")

	mark = e.sb.Slack.Mark()
	e.slash(Mallory, "/access", "revoke "+id)
	e.reply(mark, Mallory, "Only the holder, an approver of Production database or an admin can revoke this access")
	mark = e.sb.Slack.Mark()
	e.click(Mallory, granted, bot.ActionRevoke) // a forwarded copy of Alice's DM
	e.reply(mark, Mallory, "Only the holder, an approver of Production database or an admin can revoke this access")

	evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventRefused, access.EventRefused)
	for _, ev := range evs[3:] {
		if ev.Actor.SlackID != Mallory.SlackID || ev.Details["action"] != "revoke" || ev.Details["code"] != access.EFORBIDDEN {
			t.Fatalf("refused event = %+v", ev)
		}
	}
	if r := e.request(id); r.State != access.StateActive || r.Grant.Removal != nil {
		t.Fatalf("request after refused revokes: %s, removal %+v", r.State, r.Grant.Removal)
	}
	if !okta.IsMember(SandboxGroupDB, Alice.OktaID) || okta.GroupRemovals(SandboxGroupDB, Alice.OktaID) != 0 {
		t.Fatal("a refused revoke changed Okta")
	}
	if cur, _ := e.sb.Slack.MessageAt(granted.Channel, granted.TS); !hasButton(cur, bot.ActionRevoke) {
		t.Fatal("the holder's DM lost its Revoke button")
	}
	e.noRejections()
}

func TestCancelByRequester(t *testing.T) {
	cases := []struct{ name, how string }{
		{"button", "button"},
		{"command", "command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t)
			mark := e.sb.Slack.Mark()
			e.slash(Alice, "/access", "request db-prod 1h read the slow log")
			bobDM, id := e.approvalDM(mark, Bob)
			carolDM, _ := e.approvalDM(mark, Carol)
			confirm := e.waitMsg(mark, dm(Alice), "Your request", id, "was sent to")

			mark = e.sb.Slack.Mark()
			if tc.how == "button" {
				e.click(Alice, confirm, bot.ActionCancel)
			} else {
				e.slash(Alice, "/access", "cancel "+id)
				e.reply(mark, Alice, id, "was cancelled")
			}
			e.waitState(id, access.StateCancelled)
			for _, m := range []fakeslack.Message{bobDM, carolDM} {
				e.waitDM("approver DM to show the cancellation", m, func(cur fakeslack.Message) bool {
					return !hasButton(cur, bot.ActionApprove) && !hasButton(cur, bot.ActionDeny) && containsAll(cur.Text(), "Cancelled by requester")
				})
			}
			e.waitDM("the confirmation to drop Cancel", confirm, func(cur fakeslack.Message) bool {
				return !hasButton(cur, bot.ActionCancel) && containsAll(cur.Text(), "Cancelled")
			})
			evs := e.wantTrail(id, access.EventRequested, access.EventCancelled)
			if evs[1].Actor.SlackID != Alice.SlackID {
				t.Fatalf("cancelled by %+v", evs[1].Actor)
			}
			// A cancelled request can't be approved any more.
			if _, err := e.sb.Slack.ClickButtonValue(e.ctx(), Bob.SlackID, bobDM, bot.ActionApprove, id); err == nil {
				t.Fatal("the cancelled request still has an Approve button")
			}
			if w := e.sb.Okta.Writes(); len(w) != 0 {
				t.Fatalf("Okta writes: %+v", w)
			}
			e.noRejections()
		})
	}
}

func TestCancelRefusedForOthers(t *testing.T) {
	e := startE2E(t)
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h read the slow log")
	bobDM, id := e.approvalDM(mark, Bob)
	confirm := e.waitMsg(mark, dm(Alice), "Your request", id, "was sent to")

	mark = e.sb.Slack.Mark()
	e.click(Bob, confirm, bot.ActionCancel) // an approver, on a copy of Alice's confirmation
	e.reply(mark, Bob, "Only the requester can cancel request "+id)
	mark = e.sb.Slack.Mark()
	e.slash(Mallory, "/access", "cancel "+id)
	e.reply(mark, Mallory, "Only the requester can cancel request "+id)

	evs := e.wantTrail(id, access.EventRequested, access.EventRefused, access.EventRefused)
	if evs[1].Actor.SlackID != Bob.SlackID || evs[2].Actor.SlackID != Mallory.SlackID || evs[1].Details["action"] != "cancel" {
		t.Fatalf("refused events = %+v", evs[1:])
	}
	if r := e.request(id); r.State != access.StatePending {
		t.Fatalf("request is %s", r.State)
	}
	if cur, _ := e.sb.Slack.MessageAt(bobDM.Channel, bobDM.TS); !hasButton(cur, bot.ActionApprove) || cur.Version != bobDM.Version {
		t.Fatal("the approver's DM changed")
	}
	// Still pending, so the requester may still cancel it.
	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "cancel "+id)
	e.reply(mark, Alice, "was cancelled")
	e.waitState(id, access.StateCancelled)
	e.noRejections()
}

func TestPendingRequestTimesOut(t *testing.T) {
	e := startE2E(t)
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h read the slow log")
	bobDM, id := e.approvalDM(mark, Bob)
	carolDM, _ := e.approvalDM(mark, Carol)
	e.waitMsg(mark, dm(Alice), "Your request", id)
	e.waitRouted(id)

	e.advance(23*time.Hour + 59*time.Minute)
	e.sweepNow()
	if r := e.request(id); r.State != access.StatePending {
		t.Fatalf("timed out early: %s", r.State)
	}
	mark = e.sb.Slack.Mark()
	e.advance(time.Minute) // 24h: timing.pending_ttl
	e.waitState(id, access.StateTimedOut)
	e.waitMsg(mark, dm(Alice), "timed out", id)
	for _, m := range []fakeslack.Message{bobDM, carolDM} {
		e.waitDM("approver DM to show the time-out", m, func(cur fakeslack.Message) bool {
			return !hasButton(cur, bot.ActionApprove) && containsAll(cur.Text(), "Timed out")
		})
	}
	evs := e.wantTrail(id, access.EventRequested, access.EventNudged, access.EventTimedOut) // nudged after timing.nudge_after
	if to := evs[2]; to.Actor.Is(access.User{SlackID: Alice.SlackID}) || to.Details["pending_ttl"] != "1d" {
		t.Fatalf("timed_out event = %+v", to)
	}
	// A late click is refused.
	mark = e.sb.Slack.Mark()
	if _, err := e.sb.Slack.ClickButtonValue(e.ctx(), Bob.SlackID, fakeslack.Message{Channel: "D0STALE", Blocks: bobDM.Blocks}, bot.ActionApprove, id); err != nil {
		t.Fatal(err)
	}
	e.reply(mark, Bob, "already timed out")
	if w := e.sb.Okta.Writes(); len(w) != 0 {
		t.Fatalf("Okta writes: %+v", w)
	}
	e.noRejections()
}
