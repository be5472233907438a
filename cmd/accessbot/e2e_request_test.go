package main

// End-to-end tests of issue 2: the core loop of request, peer approval,
// Okta provisioning and removal, with its refusals and failure modes.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// askInline is ask, and also waits until the requester was told and the
// request's routing was recorded.
func (e *e2e) askInline(p SandboxPerson, text string, approver SandboxPerson) (string, fakeslack.Message) {
	e.t.Helper()
	mark := e.sb.Slack.Mark()
	id, msg := e.ask(p, text, approver)
	e.reply(mark, p, id, "sent to")
	e.waitRouted(id)
	return id, msg
}

// waitRouted waits until every message about new request id was sent and
// recorded: before that, a jump of the clock would find it half-filed.
func (e *e2e) waitRouted(id string) {
	e.t.Helper()
	e.waitFor("request "+id+" to be routed", func() bool {
		r := e.request(id)
		return len(r.ApproverMessages) > 0 && r.RequesterMessage.TS != ""
	})
}

// trail returns the audit events of request id, in order.
func (e *e2e) trail(id string) []access.Event {
	e.t.Helper()
	evs, err := e.m.Store().Events(context.Background(), access.EventFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []access.Event
	for _, ev := range evs {
		if ev.RequestID == id {
			out = append(out, ev)
		}
	}
	return out
}

// wantTrail waits until the audit trail of request id is exactly want.
func (e *e2e) wantTrail(id string, want ...access.EventType) []access.Event {
	e.t.Helper()
	joined := strings.Join(types(want), ",")
	e.waitFor(fmt.Sprintf("the audit trail of %s to be %v", id, want), func() bool {
		return strings.Join(types(e.events(id)), ",") == joined
	})
	return e.trail(id)
}

// lastEvent returns the last audit event of type typ of request id.
func (e *e2e) lastEvent(id string, typ access.EventType) access.Event {
	e.t.Helper()
	evs := e.trail(id)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			return evs[i]
		}
	}
	e.t.Fatalf("request %s has no %s event", id, typ)
	return access.Event{}
}

// waitDM waits until the message m (by channel and ts) matches cond in its
// current version, woken by the fake Slack at every change.
func (e *e2e) waitDM(what string, m fakeslack.Message, cond func(cur fakeslack.Message) bool) fakeslack.Message {
	e.t.Helper()
	cur, err := e.sb.Slack.WaitMessageAt(e.ctx(), m.Channel, m.TS, cond)
	if err != nil {
		e.t.Fatalf("timed out waiting for %s; message is now: %s", what, oneLine(cur.Text()))
	}
	return cur
}

// hasButton reports whether m has a button with actionID.
func hasButton(m fakeslack.Message, actionID string) bool {
	_, ok := m.Button(actionID)
	return ok
}

// noDM fails if p got a DM after mark whose text contains every word.
func (e *e2e) noDM(mark int, p SandboxPerson, words ...string) {
	e.t.Helper()
	for _, m := range e.sb.Slack.MessageLog() {
		if m.Seq > mark && m.Channel == dm(p) && containsAll(m.Text(), words...) {
			e.t.Fatalf("%s was told %q too early: %s", p.Name, words, oneLine(m.Text()))
		}
	}
}

func TestInlineRequestApprove(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	id, bobDM := e.askInline(Alice, "db-prod 4h INC-7 replica lag", Bob)
	for _, w := range []string{"Production database", "4h", "INC-7 replica lag", "<@U0ALICE>", id} {
		if !containsAll(bobDM.Text(), w) {
			t.Errorf("approval DM lacks %q: %s", w, oneLine(bobDM.Text()))
		}
	}
	if r := e.request(id); r.State != access.StatePending || r.Duration != 4*time.Hour || r.Reason != "INC-7 replica lag" {
		t.Fatalf("stored request = %+v", r)
	}

	mark := e.sb.Slack.Mark()
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitFor("Okta membership", func() bool { return okta.IsMember(SandboxGroupDB, Alice.OktaID) })
	r := e.waitState(id, access.StateActive)
	if got := r.Grant.ExpiresAt.Sub(r.Grant.GrantedAt); got != 4*time.Hour {
		t.Fatalf("grant lasts %v, want 4h", got)
	}
	e.waitMsg(mark, dm(Alice), "Access granted", "Production database")
	evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned)
	if evs[1].Actor.SlackID != Bob.SlackID || evs[0].Actor.SlackID != Alice.SlackID {
		t.Fatalf("actors: requested by %+v, approved by %+v", evs[0].Actor, evs[1].Actor)
	}
	if evs[2].Details["target"] != "group "+SandboxGroupDB {
		t.Fatalf("provisioned details = %v", evs[2].Details)
	}
	if n := okta.GroupAdds(SandboxGroupDB, Alice.OktaID); n != 1 {
		t.Fatalf("group adds = %d, want 1", n)
	}
	e.noRejections()
}

func TestAppAssignmentNeedsTwoApprovals(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	mark := e.sb.Slack.Mark()
	id, bobDM := e.askInline(Alice, "grafana-admin 1h dashboards for the review", Bob)
	carolDM, _ := e.approvalDM(mark, Carol)
	for _, m := range []fakeslack.Message{bobDM, carolDM} {
		if !containsAll(m.Text(), "0 of 2") {
			t.Fatalf("approval DM does not say 0 of 2: %s", oneLine(m.Text()))
		}
	}

	e.click(Bob, bobDM, bot.ActionApprove)
	for _, m := range []fakeslack.Message{bobDM, carolDM} {
		e.waitDM("DM to show 1 of 2", m, func(cur fakeslack.Message) bool {
			return containsAll(cur.Text(), "1 of 2", "<@U0BOB>") && hasButton(cur, bot.ActionApprove)
		})
	}
	if r := e.request(id); r.State != access.StatePending {
		t.Fatalf("after one of two approvals the request is %s", r.State)
	}
	if okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) || len(okta.Writes()) != 0 {
		t.Fatalf("Okta changed after one of two approvals: %+v", okta.Writes())
	}
	first := e.lastEvent(id, access.EventApproved)
	if first.Details["approvals"] != "1" || first.Details["required"] != "2" {
		t.Fatalf("first approval details = %v", first.Details)
	}

	mark = e.sb.Slack.Mark()
	e.click(Carol, carolDM, bot.ActionApprove)
	e.waitFor("Okta app assignment", func() bool { return okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) })
	e.waitState(id, access.StateActive)
	e.waitMsg(mark, dm(Alice), "Access granted", "Grafana admin")
	for _, m := range []fakeslack.Message{bobDM, carolDM} {
		e.waitDM("DM to show the outcome", m, func(cur fakeslack.Message) bool {
			return containsAll(cur.Text(), "Approved by", "<@U0BOB>", "<@U0CAROL>") && !hasButton(cur, bot.ActionApprove)
		})
	}
	if n := okta.AppAssignments(SandboxAppGrafana, Alice.OktaID); n != 1 {
		t.Fatalf("app assignments = %d, want 1", n)
	}
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventApproved, access.EventProvisioned)
	e.noRejections()
}

func TestDenyWithReason(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	mark := e.sb.Slack.Mark()
	id, bobDM := e.askInline(Alice, "db-prod 1h schema migration", Bob)
	carolDM, _ := e.approvalDM(mark, Carol)

	e.click(Carol, carolDM, bot.ActionDeny)
	modal, err := e.sb.Slack.WaitView(e.ctx(), func(v fakeslack.View) bool {
		return v.User == Carol.SlackID && v.Open && v.CallbackID == bot.CallbackDeny
	})
	if err != nil {
		t.Fatalf("no deny modal: %v", err)
	}
	if !containsAll(modal.Text(), id, "Production database") {
		t.Fatalf("deny modal does not name the request: %s", oneLine(modal.Text()))
	}
	mark = e.sb.Slack.Mark()
	values := map[string]map[string]any{bot.BlockDenyReason: {bot.ActionReasonInput: fakeslack.TextValue("not during the change freeze")}}
	if ack, err := e.sb.Slack.SubmitView(e.ctx(), Carol.SlackID, modal.ID, values); err != nil || ack.ResponseAction() != "" {
		t.Fatalf("submit deny modal: %v %s", err, ack.Payload)
	}
	e.waitState(id, access.StateDenied)
	e.waitMsg(mark, dm(Alice), "denied", "<@U0CAROL>", "not during the change freeze")
	for _, m := range []fakeslack.Message{bobDM, carolDM} {
		e.waitDM("DM to show the denial", m, func(cur fakeslack.Message) bool {
			return containsAll(cur.Text(), "Denied by", "<@U0CAROL>", "change freeze") &&
				!hasButton(cur, bot.ActionApprove) && !hasButton(cur, bot.ActionDeny)
		})
	}
	evs := e.wantTrail(id, access.EventRequested, access.EventDenied)
	if d := evs[1]; d.Actor.SlackID != Carol.SlackID || d.Details["reason"] != "not during the change freeze" {
		t.Fatalf("denied event = %+v", d)
	}
	if w := okta.Writes(); len(w) != 0 {
		t.Fatalf("Okta writes after a denial: %+v", w)
	}
	// A denied request shows no buttons any more.
	if _, err := e.sb.Slack.ClickButtonValue(e.ctx(), Bob.SlackID, bobDM, bot.ActionApprove, id); err == nil {
		t.Fatal("the denied request's DM still has an Approve button")
	}
	e.noRejections()
}

func TestRefusedClicks(t *testing.T) {
	cases := []struct {
		name      string
		requester SandboxPerson
		resource  string
		owner     SandboxPerson // whose approval DM is clicked
		clicker   SandboxPerson
		action    string
		want      string
		why       access.Reason // what the trail says
	}{
		{"self-approval", Alice, "db-prod", Bob, Alice, bot.ActionApprove, "can't approve or deny your own request", access.ReasonOwnRequest},
		{"self-approval by an approver", Bob, "aws-prod-read", Carol, Bob, bot.ActionApprove, "can't approve or deny your own request", access.ReasonOwnRequest},
		{"self-denial", Alice, "db-prod", Carol, Alice, bot.ActionDeny, "can't approve or deny your own request", access.ReasonOwnRequest},
		{"outsider approves", Alice, "db-prod", Bob, Mallory, bot.ActionApprove, "You are not an approver of Production database", access.ReasonNotApprover},
		{"outsider denies", Alice, "db-prod", Bob, Mallory, bot.ActionDeny, "You are not an approver of Production database", access.ReasonNotApprover},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t)
			id, ownerDM := e.askInline(tc.requester, tc.resource+" 1h look at the slow queries", tc.owner)
			mark := e.sb.Slack.Mark()
			if _, err := e.sb.Slack.ClickButtonValue(e.ctx(), tc.clicker.SlackID, ownerDM, tc.action, id); err != nil {
				t.Fatal(err)
			}
			msg := e.reply(mark, tc.clicker, tc.want)
			if !msg.Ephemeral {
				t.Fatalf("refusal was not ephemeral: %+v", msg)
			}
			evs := e.wantTrail(id, access.EventRequested, access.EventRefused)
			ref := evs[1]
			wantAction := map[string]string{bot.ActionApprove: "approve", bot.ActionDeny: "deny"}[tc.action]
			if ref.Actor.SlackID != tc.clicker.SlackID || ref.Details["action"] != wantAction ||
				ref.Details["code"] != access.EFORBIDDEN || ref.Details["why"] != string(tc.why) {
				t.Fatalf("refused event = %+v", ref)
			}
			r := e.request(id)
			if r.State != access.StatePending || len(r.Decisions) != 0 {
				t.Fatalf("request changed: %s, decisions %+v", r.State, r.Decisions)
			}
			if w := e.sb.Okta.Writes(); len(w) != 0 {
				t.Fatalf("Okta writes: %+v", w)
			}
			if views := e.sb.Slack.OpenViews(tc.clicker.SlackID); len(views) != 0 {
				t.Fatalf("a modal was opened for %s: %+v", tc.clicker.Name, views[0].CallbackID)
			}
			cur, _ := e.sb.Slack.MessageAt(ownerDM.Channel, ownerDM.TS)
			if !hasButton(cur, bot.ActionApprove) || cur.Version != ownerDM.Version {
				t.Fatalf("the approver's DM changed: %s", oneLine(cur.Text()))
			}
			e.noRejections()
		})
	}
}

func TestDoubleApprovalProvisionsOnce(t *testing.T) {
	t.Run("same approver twice", func(t *testing.T) {
		e := startE2E(t)
		id, bobDM := e.askInline(Alice, "db-prod 1h restore a table", Bob)
		e.click(Bob, bobDM, bot.ActionApprove)
		e.waitState(id, access.StateActive)
		mark := e.sb.Slack.Mark()
		// The DM was redrawn without Approve; a stale copy of it still has one.
		if _, err := e.sb.Slack.ClickButtonValue(e.ctx(), Bob.SlackID, fakeslack.Message{Channel: "D0STALE", Blocks: bobDM.Blocks}, bot.ActionApprove, id); err != nil {
			t.Fatal(err)
		}
		e.reply(mark, Bob, "already approved")
		e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventRefused)
		if n := e.sb.Okta.GroupAdds(SandboxGroupDB, Alice.OktaID); n != 1 {
			t.Fatalf("group adds = %d, want 1", n)
		}
		e.noRejections()
	})
	t.Run("two approvers at once", func(t *testing.T) {
		e := startE2E(t)
		mark := e.sb.Slack.Mark()
		id, bobDM := e.askInline(Alice, "db-prod 1h restore a table", Bob)
		carolDM, _ := e.approvalDM(mark, Carol)
		mark = e.sb.Slack.Mark()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, c := range []struct {
			p   SandboxPerson
			msg fakeslack.Message
		}{{Bob, bobDM}, {Carol, carolDM}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.sb.Slack.ClickButton(e.ctx(), c.p.SlackID, c.msg, bot.ActionApprove)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		e.waitState(id, access.StateActive)
		// The loser's refusal may be audited before or after the grant.
		e.waitFor("four audit events", func() bool { return len(e.events(id)) == 4 })
		evs := e.trail(id)
		counts := map[access.EventType]int{}
		for _, ev := range evs {
			counts[ev.Type]++
		}
		if counts[access.EventApproved] != 1 || counts[access.EventProvisioned] != 1 || counts[access.EventRefused] != 1 ||
			evs[0].Type != access.EventRequested || evs[1].Type != access.EventApproved {
			t.Fatalf("audit trail = %v", e.events(id))
		}
		loser := Bob
		if evs[1].Actor.SlackID == Bob.SlackID {
			loser = Carol
		}
		if ref := e.lastEvent(id, access.EventRefused); ref.Actor.SlackID != loser.SlackID || ref.Details["code"] != access.ECONFLICT {
			t.Fatalf("refused event = %+v", ref)
		}
		e.reply(mark, loser, "already approved")
		if n := e.sb.Okta.GroupAdds(SandboxGroupDB, Alice.OktaID); n != 1 {
			t.Fatalf("group adds = %d, want 1", n)
		}
		if r := e.request(id); len(r.Decisions) != 1 {
			t.Fatalf("decisions = %+v", r.Decisions)
		}
		e.noRejections()
	})
}

func TestRedeliveredEnvelopesChangeNothing(t *testing.T) {
	e := startE2E(t)
	ctx := e.ctx()
	mark := e.sb.Slack.Mark()
	cmdAck, err := e.sb.Slack.SlashCommand(ctx, Alice.SlackID, "/access", "request grafana-admin 1h rotate the datasource keys", "C0GENERAL")
	if err != nil {
		t.Fatal(err)
	}
	bobDM, id := e.approvalDM(mark, Bob)
	carolDM, _ := e.approvalDM(mark, Carol)
	e.reply(mark, Alice, id, "sent to")
	// Until the DMs are recorded, a decision is redrawn by the routing step,
	// which could land after the snapshot below.
	e.waitRouted(id)
	clickAck, err := e.sb.Slack.ClickButton(ctx, Bob.SlackID, bobDM, bot.ActionApprove)
	if err != nil {
		t.Fatal(err)
	}
	// Both approvers' DMs are redrawn together; wait for each, so that no
	// redraw of the click lands after the snapshot below.
	e.waitDM("1 of 2", carolDM, func(cur fakeslack.Message) bool { return containsAll(cur.Text(), "1 of 2") })
	e.waitDM("1 of 2", bobDM, func(cur fakeslack.Message) bool { return containsAll(cur.Text(), "1 of 2") })
	e.wantTrail(id, access.EventRequested, access.EventApproved)

	// Slack thinks both acks were lost and sends the envelopes again.
	before := len(e.sb.Slack.MessageLog())
	beforeEvents, _ := e.m.Store().Events(context.Background(), access.EventFilter{})
	for _, env := range []fakeslack.Envelope{cmdAck.Envelope, clickAck.Envelope} {
		if _, err := e.sb.Slack.Redeliver(ctx, env); err != nil {
			t.Fatalf("redeliver %s: %v", env.Type, err)
		}
	}
	// The bot recognised both as repeats...
	e.waitFor("both redeliveries recognised", func() bool {
		n := 0
		for _, line := range strings.Split(e.logs.String(), "\n") {
			if strings.Contains(line, "envelope delivered again") &&
				(strings.Contains(line, cmdAck.Envelope.EnvelopeID) || strings.Contains(line, clickAck.Envelope.EnvelopeID)) {
				n++
			}
		}
		return n == 2
	})
	// ...and did nothing: not even a refusal or a message.
	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "list")
	e.reply(mark, Alice, id)
	for _, m := range e.sb.Slack.MessageLog()[before:] {
		if m.Seq < mark || m.Kind != fakeslack.KindResponseURL && m.Kind != fakeslack.KindCommandAck {
			t.Fatalf("a redelivered envelope caused a message: [%s %s] %s", m.Kind, m.Channel, oneLine(m.Text()))
		}
	}
	afterEvents, _ := e.m.Store().Events(context.Background(), access.EventFilter{})
	if len(afterEvents) != len(beforeEvents) {
		t.Fatalf("redelivery added audit events: %v", afterEvents[len(beforeEvents):])
	}
	open, _ := e.m.Store().ListByRequester(context.Background(), Alice.SlackID, false)
	if len(open) != 1 {
		t.Fatalf("Alice has %d requests, want 1", len(open))
	}
	if r := e.request(id); r.State != access.StatePending || len(r.Decisions) != 1 {
		t.Fatalf("request = %s with %d decisions", r.State, len(r.Decisions))
	}
	if w := e.sb.Okta.Writes(); len(w) != 0 {
		t.Fatalf("Okta writes: %+v", w)
	}
	e.noRejections()
}

func TestRestartRemovesOverdueGrants(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	dbID, bobDM := e.askInline(Alice, "db-prod 1h fix the index", Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(dbID, access.StateActive)
	mark := e.sb.Slack.Mark()
	appID, _ := e.askInline(Dave, "grafana-admin 4h alert rules", Bob)
	carolDM, _ := e.approvalDM(mark, Carol)
	bobApp, _ := e.approvalDM(mark, Bob)
	e.click(Bob, bobApp, bot.ActionApprove)
	e.waitDM("1 of 2", carolDM, func(cur fakeslack.Message) bool { return containsAll(cur.Text(), "1 of 2") })
	e.click(Carol, carolDM, bot.ActionApprove)
	e.waitState(appID, access.StateActive)

	// The bot is down while the first grant's time runs out.
	e.stop()
	e.sb.Clock.Advance(90 * time.Minute)
	mark = e.sb.Slack.Mark()
	e.start() // no advance, no kick: the start-up sweep alone must do it
	e.waitFor("overdue removal", func() bool { return !okta.IsMember(SandboxGroupDB, Alice.OktaID) })
	r := e.waitState(dbID, access.StateExpired)
	if r.Grant.EndedAt.Before(r.Grant.ExpiresAt) {
		t.Fatalf("ended %v before it expired %v", r.Grant.EndedAt, r.Grant.ExpiresAt)
	}
	e.waitMsg(mark, dm(Alice), "expired", "Production database")
	e.wantTrail(dbID, access.EventRequested, access.EventApproved, access.EventProvisioned,
		access.EventRemovalStarted, access.EventExpired)
	// The grant that still has time left is untouched.
	if !okta.AppAssigned(SandboxAppGrafana, Dave.OktaID) || e.request(appID).State != access.StateActive {
		t.Fatal("the grant that is not due was removed")
	}
	e.wantTrail(appID, access.EventRequested, access.EventApproved, access.EventApproved, access.EventProvisioned)
	e.noRejections()
}

func TestStandingAccessIsNeverRemoved(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	okta.AddMember(SandboxGroupDB, Alice.OktaID) // granted by someone else, long ago
	id, bobDM := e.askInline(Alice, "db-prod 1h vacuum", Bob)
	mark := e.sb.Slack.Mark()
	e.click(Bob, bobDM, bot.ActionApprove)
	r := e.waitState(id, access.StateActive)
	if !r.Grant.Standing {
		t.Fatal("the grant is not marked as standing access")
	}
	e.waitMsg(mark, dm(Alice), "already had access", "will not remove it")
	e.waitDM("approver DM to say so", bobDM, func(cur fakeslack.Message) bool {
		return containsAll(cur.Text(), "already had this access")
	})

	mark = e.sb.Slack.Mark()
	e.advance(time.Hour)
	e.waitState(id, access.StateExpired)
	e.waitMsg(mark, dm(Alice), "left the access you already had in place")
	if !okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("standing membership was removed at expiry")
	}
	if w := okta.Writes(); len(w) != 0 {
		t.Fatalf("Okta writes for standing access: %+v", w)
	}
	evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventStandingAccess,
		access.EventRemovalStarted, access.EventExpired)
	if !strings.Contains(evs[4].Details["standing"], "left in place") {
		t.Fatalf("expired event details = %v", evs[4].Details)
	}
	e.noRejections()
}

func TestOktaFailuresRetriedUntilGranted(t *testing.T) {
	cases := []struct {
		name     string
		fault    fakeokta.Fault
		failures int // provision_failed events: the SDK retries 429 itself, twice
	}{
		{"500", fakeokta.Fault{Status: 500, Times: 2}, 2},
		// X-Rate-Limit-Reset already passed: the SDK retries at once, twice,
		// then gives up and the workflow's backoff takes over.
		{"429", fakeokta.Fault{Status: 429, Times: 3, RateLimitReset: -time.Second}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t)
			okta := e.sb.Okta
			okta.FailNext("PUT", "/api/v1/groups/", tc.fault)
			id, bobDM := e.askInline(Alice, "db-prod 1h disk full", Bob)
			mark := e.sb.Slack.Mark()
			e.click(Bob, bobDM, bot.ActionApprove)
			e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisionFailed)
			r := e.request(id)
			if r.State != access.StateApproved || r.Grant.Provision.NextAt.IsZero() {
				t.Fatalf("after a failed grant: %s, next attempt %v", r.State, r.Grant.Provision.NextAt)
			}

			// Drive the sweep's backoff with the clock until Okta takes it.
			for r.State == access.StateApproved {
				e.noDM(mark, Alice, "Access granted")
				next := r.Grant.Provision.NextAt
				if wait := next.Sub(e.sb.Clock.Now()); wait <= 0 || wait > 10*time.Second {
					t.Fatalf("next attempt in %v", wait)
				}
				e.advance(next.Sub(e.sb.Clock.Now()) + time.Second)
				e.waitFor("a retry", func() bool {
					r = e.request(id)
					return r.State != access.StateApproved || r.Grant.Provision.NextAt.After(next)
				})
			}
			r = e.waitState(id, access.StateActive)
			if !okta.IsMember(SandboxGroupDB, Alice.OktaID) {
				t.Fatal("not a member after the retries")
			}
			granted := e.waitMsg(mark, dm(Alice), "Access granted")
			if granted.Time.Before(lastOktaPut(okta).Time) {
				t.Fatal("the requester was told before Okta confirmed")
			}
			if got := r.Grant.ExpiresAt.Sub(r.Grant.GrantedAt); got != time.Hour {
				t.Fatalf("grant lasts %v; its clock must start when Okta confirmed", got)
			}
			failed := 0
			for _, c := range oktaWrites(okta, "PUT") {
				if c.Status == tc.fault.Status {
					failed++
				}
			}
			if failed != tc.fault.Times {
				t.Fatalf("%d PUTs answered %d, want %d", failed, tc.fault.Status, tc.fault.Times)
			}
			want := []access.EventType{access.EventRequested, access.EventApproved}
			for range tc.failures {
				want = append(want, access.EventProvisionFailed)
			}
			e.wantTrail(id, append(want, access.EventProvisioned)...)
			if n := okta.GroupAdds(SandboxGroupDB, Alice.OktaID); n != 1 {
				t.Fatalf("group adds = %d, want 1", n)
			}
			e.noRejections()
		})
	}
}

func TestOktaRemovalRetriedUntilConfirmed(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	id, bobDM := e.askInline(Alice, "db-prod 1h disk full", Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	// The click's flow ends by redrawing Alice's confirmation with the grant;
	// wait for it, so that its redraw cannot land after the expiry below.
	confirmation, _ := e.sb.Slack.MessageAt(e.request(id).RequesterMessage.Channel, e.request(id).RequesterMessage.TS)
	e.waitDM("Alice's confirmation to show the grant", confirmation, func(cur fakeslack.Message) bool {
		return containsAll(cur.Text(), "Access active until")
	})
	okta.FailNext("DELETE", "/api/v1/groups/", fakeokta.Fault{Status: 500, Times: 2})

	mark := e.sb.Slack.Mark()
	e.advance(time.Hour)
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned,
		access.EventRemovalStarted, access.EventRemovalFailed)
	r := e.request(id)
	for r.State == access.StateActive {
		// Not marked removed, and the holder not told, before Okta confirmed.
		// (Her request's confirmation may say "Expired; removing access in
		// Okta…" meanwhile: that is true.)
		if r.Grant.Removal == nil || !okta.IsMember(SandboxGroupDB, Alice.OktaID) {
			t.Fatalf("removal = %+v, member %v", r.Grant.Removal, okta.IsMember(SandboxGroupDB, Alice.OktaID))
		}
		e.noDM(mark, Alice, "expired and was removed")
		next := r.Grant.Removal.Retry.NextAt
		e.advance(next.Sub(e.sb.Clock.Now()) + time.Second)
		e.waitFor("a retry", func() bool {
			r = e.request(id)
			return r.State != access.StateActive || r.Grant.Removal.Retry.NextAt.After(next)
		})
	}
	e.waitState(id, access.StateExpired)
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("still a member")
	}
	e.waitMsg(mark, dm(Alice), "expired and was removed")
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned,
		access.EventRemovalStarted, access.EventRemovalFailed, access.EventRemovalFailed, access.EventExpired)
	e.noRejections()
}

func TestOktaRateLimitWaitsForReset(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	// Okta says the limit resets within the second: the SDK waits for it
	// (about a second, in real time) and tries again on its own.
	okta.FailNext("PUT", "/api/v1/groups/", fakeokta.Fault{Status: 429, RateLimitReset: 0})
	id, bobDM := e.askInline(Alice, "db-prod 1h disk full", Bob)
	mark := e.sb.Slack.Mark()
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	e.waitMsg(mark, dm(Alice), "Access granted")
	puts := oktaWrites(okta, "PUT")
	if len(puts) != 2 || puts[0].Status != 429 || puts[1].RetryCount != "1" {
		t.Fatalf("PUTs = %+v", puts)
	}
	if gap := puts[1].Time.Sub(puts[0].Time); gap < 500*time.Millisecond {
		t.Fatalf("retried %v after the 429, before X-Rate-Limit-Reset", gap)
	}
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned)
	e.noRejections()
}

func lastOktaPut(okta *fakeokta.Server) fakeokta.Call {
	puts := oktaWrites(okta, "PUT")
	if len(puts) == 0 {
		return fakeokta.Call{}
	}
	return puts[len(puts)-1]
}

func TestBadInputGetsSpecificAnswers(t *testing.T) {
	e := startE2E(t)
	commands := []struct {
		text string
		want []string
	}{
		{"request nosuch 4h reason", []string{`There is no resource "nosuch"`, "aws-prod-read, grafana-admin, db-prod"}},
		{"request db-prod 4y reason", []string{`"4y" is not an allowed duration for Production database`, "Allowed: 1h, 4h, 1d"}},
		{"request db-prod 3h reason", []string{`"3h" is not an allowed duration for Production database`, "Allowed: 1h, 4h, 1d"}},
		{"request db-prod 4h", []string{"Missing the reason", "/access request <resource-id> <duration> <reason…>"}},
		{"request", []string{"Missing the resource id", "/access request"}},
		{"frobnicate", []string{`I don't know the command "frobnicate"`, "/access request", "/access cancel"}},
		{"cancel", []string{"Missing the request id", "/access cancel <request-id>"}},
		{"cancel zzzzzzzz", []string{"There is no request zzzzzzzz"}},
		{"revoke zzzzzzzz", []string{"There is no request zzzzzzzz"}},
	}
	for _, c := range commands {
		mark := e.sb.Slack.Mark()
		e.slash(Alice, "/access", c.text)
		e.reply(mark, Alice, c.want...)
	}
	if open, _ := e.m.Store().ListOpen(context.Background()); len(open) != 0 {
		t.Fatalf("bad input filed requests: %+v", open)
	}

	// The modal: a blank reason, and "until my shift ends" once the shift is over.
	v := e.openModal(Alice, "aws-prod-read")
	durBlock := blockID(t, v, bot.BlockDurationPrefix)
	v, err := e.sb.Slack.WaitView(e.ctx(), func(u fakeslack.View) bool {
		el, _ := u.Element(durBlock, bot.ActionDurationSelect)
		return u.ID == v.ID && slices.Contains(optionValues(el), "oncall")
	})
	if err != nil {
		t.Fatalf("on-call Alice is not offered oncall: %v", err)
	}
	ack := e.submitModal(Alice, v, "aws-prod-read", "1h", "   ")
	if ack.ResponseAction() != "errors" || !containsAll(ack.Errors()[bot.BlockReason], "Give a reason") || len(ack.Errors()) != 1 {
		t.Fatalf("blank reason: %s %v", ack.ResponseAction(), ack.Errors())
	}
	e.sb.SetOnCall(e.sb.Clock.Now().Add(8*time.Hour), Bob) // Alice's shift is over
	e.advance(2 * time.Second)                             // past the on-call cache
	ack = e.submitModal(Alice, v, "aws-prod-read", "oncall", "INC-9 checking the load balancer")
	if ack.ResponseAction() != "errors" || !containsAll(ack.Errors()[durBlock], "not on call", "Allowed: 1h, 4h, 1d") || len(ack.Errors()) != 1 {
		t.Fatalf("oncall when not on call: %s %v", ack.ResponseAction(), ack.Errors())
	}
	if open, _ := e.m.Store().ListOpen(context.Background()); len(open) != 0 {
		t.Fatalf("refused modals filed requests: %+v", open)
	}

	// The bot keeps working: the same modal, corrected, goes through.
	mark := e.sb.Slack.Mark()
	ack = e.submitModal(Alice, v, "aws-prod-read", "1h", "INC-9 checking the load balancer")
	if ack.ResponseAction() == "errors" {
		t.Fatalf("valid modal refused: %v", ack.Errors())
	}
	_, id := e.approvalDM(mark, Carol)
	e.reply(mark, Alice, id)
	e.wantTrail(id, access.EventRequested)
	e.noRejections()
}

// optionValues lists the option values of a select element.
func optionValues(el map[string]any) []string {
	var out []string
	opts, _ := el["options"].([]any)
	for _, o := range opts {
		if m, ok := o.(map[string]any); ok {
			if v, ok := m["value"].(string); ok {
				out = append(out, v)
			}
		}
	}
	return out
}
