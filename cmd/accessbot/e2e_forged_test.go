package main

// End-to-end tests of issue 13, "authorization from stored state, every
// time": every button clicked by someone it was not meant for is refused
// and changes nothing, in the store or in Okta; and a click that names
// another message (another request's DM, the audit channel's break-glass
// post) than the one the bot recorded does not redraw it.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// forgeClick sends block_actions for button b as p, with value in place of
// the button's, claiming to come from the message at channel/ts (or, when
// viewID is set, from that view): a payload made by hand. It carries a
// response_url of its own, as every click does, for the bot's answer.
func (e *e2e) forgeClick(p SandboxPerson, b fakeslack.Button, value, channel, ts, viewID string) {
	e.t.Helper()
	container := map[string]any{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false}
	if viewID != "" {
		container = map[string]any{"type": "view", "view_id": viewID}
	}
	payload := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": p.SlackID, "username": p.Name, "name": p.Name, "team_id": fakeslack.TeamID},
		"api_app_id": fakeslack.AppID, "token": fakeslack.VerificationToken,
		"team":       map[string]any{"id": fakeslack.TeamID, "domain": fakeslack.TeamDomain},
		"trigger_id": e.sb.Slack.IssueTrigger(p.SlackID),
		"actions": []any{map[string]any{
			"type": "button", "action_id": b.ActionID, "block_id": b.BlockID, "value": value,
			"text": map[string]any{"type": "plain_text", "text": b.Text}, "action_ts": "1700000000.000001",
		}},
		"container":    container,
		"response_url": e.sb.Slack.ResponseURL(fmt.Sprintf("forged-%d", e.sb.Slack.Mark())),
	}
	if viewID == "" {
		payload["channel"] = map[string]any{"id": channel}
		payload["message"] = map[string]any{"type": "message", "ts": ts, "text": ""}
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.sb.Slack.Send(e.ctx(), fakeslack.Envelope{Type: "interactive", Payload: raw}); err != nil {
		e.t.Fatal(err)
	}
}

// button returns msg's button with actionID, failing when it has none.
func button(t *testing.T, msg fakeslack.Message, actionID string) fakeslack.Button {
	t.Helper()
	b, ok := msg.Button(actionID)
	if !ok {
		t.Fatalf("message has no %q button: %s", actionID, oneLine(msg.Text()))
	}
	return b
}

// versions records the current version of each message.
func (e *e2e) versions(msgs ...fakeslack.Message) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		cur, ok := e.sb.Slack.MessageAt(m.Channel, m.TS)
		if !ok {
			e.t.Fatalf("no message %s/%s", m.Channel, m.TS)
		}
		out[m.Channel+"/"+m.TS] = cur.Version
	}
	return out
}

// forgeWorld is the state the forged clicks aim at.
type forgeWorld struct {
	grant, pending, glass string            // Alice's db-prod grant, Dave's pending db-prod request, Alice's break-glass
	granted, reminder     fakeslack.Message // Alice's DMs about grant
	bobGrant              fakeslack.Message // Bob's approval DM about grant
	bobPending, carolP    fakeslack.Message // the approvers' DMs about pending
	daveConfirm           fakeslack.Message // Dave's confirmation of pending
	post                  fakeslack.Message // the audit channel's break-glass post about glass
	expires               time.Time
}

func (e *e2e) forgeWorld() forgeWorld {
	e.t.Helper()
	var w forgeWorld
	mark := e.sb.Slack.Mark()
	var dms []fakeslack.Message
	w.grant, dms = e.grantTo(Alice, "db-prod 4h INC-100 the grant", Bob)
	w.bobGrant = dms[0]
	w.granted = e.waitMsg(mark, dm(Alice), "Access granted")
	mark = e.sb.Slack.Mark()
	e.advance(3 * time.Hour)
	w.reminder = e.reminder(mark, Alice, w.grant)
	w.expires = e.request(w.grant).Grant.ExpiresAt

	mark = e.sb.Slack.Mark()
	w.pending, w.bobPending = e.askInline(Dave, "db-prod 1h INC-101 waiting", Bob)
	w.carolP, _ = e.approvalDM(mark, Carol)
	w.daveConfirm = e.waitMsg(mark, dm(Dave), "Your request", w.pending, "was sent to")

	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "breakglass aws-prod-read INC-102 prod down")
	w.glass = e.idIn(e.reply(mark, Alice, "Break-glass access", "granted until").Text())
	w.post = e.waitMsg(mark, SandboxAuditChannel, "break-glass", w.glass)
	button(e.t, w.post, bot.ActionRevoke)
	e.wantTrail(w.glass, access.EventBreakGlass, access.EventProvisioned)
	e.waitFor("the break-glass post recorded", func() bool { return e.request(w.glass).HasMessage(w.post.Channel, w.post.TS) })
	return w
}

func TestForgedClicksByAnOutsiderRefused(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	w := e.forgeWorld()
	home := e.openHome(Alice)
	carolHome := e.openHome(Carol)

	const (
		notApprover = "You are not an approver of Production database"
		notHolder   = "Only the holder, an approver of Production database or an admin can revoke this access"
	)
	clicks := []struct {
		name  string
		msg   fakeslack.Message
		id    string // action id
		value string
		words string
	}{
		{"approve", w.bobPending, bot.ActionApprove, w.pending, notApprover},
		{"deny", w.bobPending, bot.ActionDeny, w.pending, notApprover},
		{"cancel", w.daveConfirm, bot.ActionCancel, w.pending, "Only the requester can cancel request " + w.pending},
		{"revoke", w.granted, bot.ActionRevoke, w.grant, notHolder},
		{"extend", w.reminder, bot.ExtendActionID("1h"), w.grant + "|1h", "Only the holder can extend this access"},
		{"let it expire", w.reminder, bot.ActionLetExpire, w.grant, "Only the holder can answer this reminder"},
		{"revoke break-glass", w.post, bot.ActionRevoke, w.glass, "Only the holder, an approver of AWS Production (read) or an admin"},
	}
	before := e.versions(w.granted, w.reminder, w.bobPending, w.carolP, w.daveConfirm, w.post)
	refused := map[string]int{}
	for _, c := range clicks {
		mark := e.sb.Slack.Mark()
		e.forgeClick(Mallory, button(t, c.msg, c.id), c.value, c.msg.Channel, c.msg.TS, "")
		e.reply(mark, Mallory, c.words)
		refused[strings.SplitN(c.value, "|", 2)[0]]++
	}

	// The App Home's buttons, from Alice's and Carol's Home tabs.
	words := map[string]string{
		bot.ActionRevoke: "or an admin can revoke this access", bot.ActionLetExpire: "Only the holder", bot.ActionCancel: "Only the requester",
		bot.ActionApprove: notApprover, bot.ActionDeny: notApprover,
	}
	homeClicks := 0
	for _, v := range []fakeslack.View{home, carolHome} {
		for _, b := range v.Buttons() {
			want, known := words[b.ActionID]
			if strings.HasPrefix(b.ActionID, "extend") {
				want, known = "Only the holder can extend this access", true
			}
			if !known {
				continue // Home's "request access" opens the clicker's own modal
			}
			mark := e.sb.Slack.Mark()
			e.forgeClick(Mallory, b, b.Value, "", "", v.ID)
			e.reply(mark, Mallory, want)
			refused[strings.SplitN(b.Value, "|", 2)[0]]++
			homeClicks++
		}
	}
	if homeClicks < 3 {
		t.Fatalf("the Home tabs offered only %d buttons to forge:\n%s\n%s", homeClicks, oneLine(home.Text()), oneLine(carolHome.Text()))
	}

	e.restart() // stopping waits for every handler to finish
	for id, n := range refused {
		if got := e.countEvents(id, access.EventRefused); got != n {
			t.Errorf("request %s: %d refused events, want %d", id, got, n)
		}
		for _, ev := range e.trail(id) {
			if ev.Type == access.EventRefused && (ev.Actor.SlackID != Mallory.SlackID || ev.Details["code"] != access.EFORBIDDEN) {
				t.Errorf("refusal = %+v", ev)
			}
		}
	}
	g := e.request(w.grant)
	if g.State != access.StateActive || g.Grant.Removal != nil || g.Grant.Extensions != 0 || g.Grant.PendingExtension != "" || !g.Grant.ExpiresAt.Equal(w.expires) {
		t.Fatalf("the grant changed: %s %+v", g.State, g.Grant)
	}
	if p := e.request(w.pending); p.State != access.StatePending || len(p.Decisions) != 0 {
		t.Fatalf("the pending request changed: %s %+v", p.State, p.Decisions)
	}
	if b := e.request(w.glass); b.State != access.StateActive || b.Grant.Removal != nil {
		t.Fatalf("the break-glass changed: %s", b.State)
	}
	if !okta.IsMember(SandboxGroupDB, Alice.OktaID) || !okta.IsMember(SandboxGroupProdRead, Alice.OktaID) || okta.IsMember(SandboxGroupDB, Dave.OktaID) {
		t.Fatal("Okta changed")
	}
	if n := len(oktaWrites(okta, "DELETE")); n != 0 {
		t.Fatalf("%d Okta removals", n)
	}
	if after := e.versions(w.granted, w.reminder, w.bobPending, w.carolP, w.daveConfirm, w.post); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("messages redrawn by refused clicks: %v, before %v", after, before)
	}
	if views := e.sb.Slack.OpenViews(Mallory.SlackID); len(views) != 0 {
		t.Fatal("a forged Deny opened a modal")
	}
	e.noRejections()
}

func TestClicksNamingAnotherMessageRedrawNothing(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	w := e.forgeWorld()

	// Carol approves Dave's request; the clicked message she names is the
	// break-glass post. The approval counts (it is hers to give); the
	// workflow redraws the messages it recorded, and nothing else.
	e.forgeClick(Carol, button(t, w.carolP, bot.ActionApprove), w.pending, w.post.Channel, w.post.TS, "")
	e.waitState(w.pending, access.StateActive)
	e.waitDM("Bob's DM to show the approval", w.bobPending, func(cur fakeslack.Message) bool { return !hasButton(cur, bot.ActionApprove) })
	e.waitDM("Dave's confirmation to show it", w.daveConfirm, func(cur fakeslack.Message) bool { return !hasButton(cur, bot.ActionCancel) })
	e.restart() // stopping waits for every handler: the messages are as the workflow left them
	// Messages of other requests must not change at all. Dave's request's
	// own may be redrawn from its state (a stale click on it prompts that),
	// so they must still show it, and nothing else.
	before := e.versions(w.post, w.granted, w.reminder)

	// Clicks by people entitled to them, each naming a message that is not
	// the one the button came from and not in their own DM with the bot.
	clicks := []struct {
		name  string
		by    SandboxPerson
		b     fakeslack.Button
		value string
		at    fakeslack.Message
	}{
		// Stale approvals (ECONFLICT) redraw an unrecorded copy only in the clicker's own DM.
		{"approve again on the audit post", Carol, button(t, w.carolP, bot.ActionApprove), w.pending, w.post},
		{"deny on the requester's DM", Bob, button(t, w.bobPending, bot.ActionDeny), w.pending, w.granted},
		{"let it expire on another request's DM", Alice, button(t, w.reminder, bot.ActionLetExpire), w.grant, w.bobPending},
		{"let it expire on the audit post", Alice, button(t, w.reminder, bot.ActionLetExpire), w.grant, w.post},
		{"extend on the audit post", Alice, button(t, w.reminder, bot.ExtendActionID("1h")), w.grant + "|1h", w.post},
	}
	for _, c := range clicks {
		e.forgeClick(c.by, c.b, c.value, c.at.Channel, c.at.TS, "")
	}
	e.restart() // stopping waits for their handlers: all done while the grant is active
	e.forgeClick(Erin, button(t, w.granted, bot.ActionRevoke), w.grant, w.post.Channel, w.post.TS, "")
	e.waitState(w.grant, access.StateRevoked) // the admin's revocation went through
	e.restart()                               // stopping waits for every handler to finish
	if after := e.versions(w.post, w.granted, w.reminder); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("messages redrawn by clicks that named them: %v, before %v", after, before)
	}
	for _, m := range []fakeslack.Message{w.bobPending, w.daveConfirm} {
		cur, _ := e.sb.Slack.MessageAt(m.Channel, m.TS)
		if text := cur.Text(); !containsAll(text, w.pending, "Approved by <@U0CAROL>") || containsAll(text, w.grant) || containsAll(text, w.glass) ||
			hasButton(cur, bot.ActionApprove) || hasButton(cur, bot.ActionCancel) {
			t.Fatalf("%s now shows: %s", m.Channel, oneLine(text))
		}
	}
	cur, _ := e.sb.Slack.MessageAt(w.post.Channel, w.post.TS)
	if !hasButton(cur, bot.ActionRevoke) || !containsAll(cur.Text(), w.glass) {
		t.Fatalf("the break-glass post now reads: %s", oneLine(cur.Text()))
	}
	if r := e.request(w.glass); r.State != access.StateActive {
		t.Fatalf("the break-glass is %s", r.State)
	}
	// The clicks were taken as what they were: Alice's answers to her own
	// reminder went through (the extension was filed, and ended with the
	// grant), the stale decisions were refused as already decided.
	if n := e.countEvents(w.grant, access.EventRefused); n != 0 {
		t.Fatalf("%d of Alice's clicks on her own grant were refused", n)
	}
	mine, err := e.m.Store().ListByRequester(e.ctx(), Alice.SlackID, false)
	if err != nil {
		t.Fatal(err)
	}
	extensions := 0
	for _, r := range mine {
		if r.Kind == access.KindExtension && r.ParentID == w.grant {
			extensions++
		}
	}
	if extensions != 1 {
		t.Fatalf("%d extension requests filed, want 1", extensions)
	}
	for _, ev := range e.trail(w.pending) {
		if ev.Type == access.EventRefused && ev.Details["code"] != access.ECONFLICT {
			t.Fatalf("refusal = %+v", ev)
		}
	}
	if n := e.countEvents(w.pending, access.EventRefused); n != 2 {
		t.Fatalf("%d refused decisions, want 2", n)
	}
	// The post's own Revoke, clicked by an admin, does redraw it.
	e.click(Erin, cur, bot.ActionRevoke)
	e.waitState(w.glass, access.StateRevoked)
	e.waitDM("the break-glass post to show the revocation", w.post, func(cur fakeslack.Message) bool { return !hasButton(cur, bot.ActionRevoke) })
	if okta.IsMember(SandboxGroupProdRead, Alice.OktaID) {
		t.Fatal("the revoked break-glass is still in Okta")
	}
	// Okta: the revoked grant is gone, Dave's grant is not.
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) || !okta.IsMember(SandboxGroupDB, Dave.OktaID) {
		t.Fatalf("Okta: db %v, prod-read %v", okta.Members(SandboxGroupDB), okta.Members(SandboxGroupProdRead))
	}
	e.noRejections()
}

func TestForgedDenySubmissionRefused(t *testing.T) {
	e := startE2E(t)
	db, _ := e.askInline(Dave, "db-prod 1h INC-111 waiting", Bob)           // Bob and Carol approve db-prod
	prod, _ := e.askInline(Dave, "aws-prod-read 1h INC-112 waiting", Alice) // Alice, Bob and Carol approve aws-prod-read
	// A deny form nobody opened, naming a request in its private_metadata:
	// Mallory approves nothing; Alice approves aws-prod-read, not db-prod.
	for _, c := range []struct {
		by    SandboxPerson
		id    string
		words string
	}{
		{Mallory, db, "You are not an approver of Production database"},
		{Mallory, prod, "You are not an approver of AWS Production (read)"},
		{Alice, db, "You are not an approver of Production database"},
	} {
		mark := e.sb.Slack.Mark()
		v := fakeslack.View{ID: "V0FORGED", CallbackID: bot.CallbackDeny, PrivateMetadata: c.id}
		e.submitForged(c.by, v, map[string]map[string]any{
			bot.BlockDenyReason: {bot.ActionReasonInput: map[string]any{"type": "plain_text_input", "value": "forged"}},
		})
		e.reply(mark, c.by, c.words)
	}
	for _, id := range []string{db, prod} {
		if r := e.request(id); r.State != access.StatePending || len(r.Decisions) != 0 {
			t.Fatalf("request %s changed: %s %+v", id, r.State, r.Decisions)
		}
	}
	e.waitFor("the refusals audited", func() bool {
		return e.countEvents(db, access.EventRefused) == 2 && e.countEvents(prod, access.EventRefused) == 1
	})
	if w := e.sb.Okta.Writes(); len(w) != 0 {
		t.Fatalf("Okta writes: %+v", w)
	}
	e.noRejections()
}

// everShown reports whether any version of the message at m's channel and
// ts (the current one and its history) contains all of words.
func (e *e2e) everShown(m fakeslack.Message, words ...string) bool {
	for _, cur := range e.sb.Slack.Messages(m.Channel) {
		if cur.TS != m.TS {
			continue
		}
		for _, v := range append(cur.History, cur) {
			if containsAll(v.Text(), words...) {
				return true
			}
		}
	}
	return false
}

func TestHolderCannotRewriteMessagesRecordedForTheirRequest(t *testing.T) {
	e := startE2E(t)
	w := e.forgeWorld()
	bobG := w.bobGrant

	// The holder's own answers to a reminder (Let it expire, Extend), sent
	// naming messages the store recorded for the same request but that are
	// not hers to answer: the audit channel's break-glass post, and an
	// approver's DM. The block_id, which picks how a notice is redrawn,
	// is hers to choose too.
	for _, c := range []struct {
		id, value string
		at        fakeslack.Message
	}{
		{bot.ActionLetExpire, w.glass, w.post},
		{bot.ExtendActionID("1h"), w.glass + "|1h", w.post},
		{bot.ActionLetExpire, w.grant, bobG},
		{bot.ExtendActionID("1h"), w.grant + "|1h", bobG},
	} {
		e.forgeClick(Alice, fakeslack.Button{ActionID: c.id, BlockID: "notice_actions:" + string(access.NoticeReminder), Text: "forged"},
			c.value, c.at.Channel, c.at.TS, "")
	}
	e.restart() // stopping waits for every handler to finish
	for _, m := range []fakeslack.Message{w.post, bobG} {
		for _, words := range [][]string{{"OK:", "will expire"}, {"Extended"}, {"Your access"}} {
			if e.everShown(m, words...) {
				cur, _ := e.sb.Slack.MessageAt(m.Channel, m.TS)
				t.Errorf("the holder rewrote %s/%s, which now reads: %s", m.Channel, m.TS, oneLine(cur.Text()))
				break
			}
		}
	}
	if cur, _ := e.sb.Slack.MessageAt(w.post.Channel, w.post.TS); !containsAll(cur.Text(), "Break-glass", "<@U0ALICE>") || !hasButton(cur, bot.ActionRevoke) {
		t.Fatalf("the break-glass post now reads: %s", oneLine(cur.Text()))
	}
	e.noRejections()
}

func TestForgedExtendValuesRefused(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	id, _ := e.grantTo(Alice, "grafana-admin 1h INC-115 dashboards", Bob, Carol) // extends without approval, once
	mark := e.sb.Slack.Mark()
	e.advance(50 * time.Minute)
	rem := e.reminder(mark, Alice, id)
	expires := e.request(id).Grant.ExpiresAt
	b := button(t, rem, bot.ExtendActionID("1h"))
	for _, value := range []string{id + "|0s", id + "|-1h", id + "|90m", id + "|1d", id + "|1h|1h", id + "|1y", id, "|1h", id + "|", "nosuch|1h", strings.Repeat("x", 5000) + "|1h"} {
		mark := e.sb.Slack.Mark()
		e.forgeClick(Alice, b, value, rem.Channel, rem.TS, "")
		if _, err := e.sb.Slack.WaitMessageAfter(e.ctx(), mark, func(m fakeslack.Message) bool {
			return m.Kind == fakeslack.KindResponseURL || m.Kind == fakeslack.KindEphemeral
		}); err != nil {
			t.Fatalf("extend %.40q: no answer: %v", value, err)
		}
		if g := e.request(id); !g.Grant.ExpiresAt.Equal(expires) || g.Grant.Extensions != 0 || g.Grant.PendingExtension != "" {
			t.Fatalf("extend %.40q changed the grant: expires %v, extensions %d", value, g.Grant.ExpiresAt, g.Grant.Extensions)
		}
	}
	if !okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Fatal("the grant was removed")
	}
	e.noRejections()
}
