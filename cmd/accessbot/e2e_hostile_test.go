package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// Hostile and broken input (issue #6): forged clicks and submissions are
// refused with a specific message, audited where the workflow audits
// refusals, and change nothing; odd text is shown escaped and within Block
// Kit's limits.

// forgedCopy returns a copy of msg, in a channel the fake does not know,
// whose buttons carry value to instead of from: what a person who edits a
// payload by hand would send.
func forgedCopy(t *testing.T, msg fakeslack.Message, from, to string) fakeslack.Message {
	t.Helper()
	raw, err := json.Marshal(msg.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	raw = []byte(strings.ReplaceAll(string(raw), `"value":"`+from+`"`, `"value":"`+to+`"`))
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	return fakeslack.Message{Channel: "D0FORGED", Blocks: blocks}
}

// refusal returns the last refused event about request id, waiting for it.
func (e *e2e) refusal(id string) access.Event {
	e.t.Helper()
	e.waitFor("a refused event", func() bool {
		for _, t := range e.events(id) {
			if t == access.EventRefused {
				return true
			}
		}
		return false
	})
	return e.lastEvent(id, access.EventRefused)
}

func TestForgedClickOnAnotherRequest(t *testing.T) {
	e := startE2E(t)
	// Alice approves aws-prod-read and legitimately holds a DM for Bob's
	// request; she edits the button to name Dave's db-prod request, which
	// only Bob and Carol approve.
	mine, aliceDM := e.ask(Bob, "aws-prod-read 1h INC-30 check the ELB", Alice)
	theirs, _ := e.ask(Dave, "db-prod 1h INC-31 vacuum", Bob) // Bob gets no DM about his own request
	for _, action := range []string{bot.ActionApprove, bot.ActionDeny} {
		mark := e.sb.Slack.Mark()
		if _, err := e.sb.Slack.ClickButtonValue(e.ctx(), Alice.SlackID, forgedCopy(t, aliceDM, mine, theirs), action, theirs); err != nil {
			t.Fatal(err)
		}
		e.reply(mark, Alice, "You are not an approver of Production database")
	}
	e.waitFor("two refusals", func() bool { return len(e.events(theirs)) == 3 })
	for _, ev := range e.trail(theirs)[1:] {
		if ev.Type != access.EventRefused || ev.Actor.SlackID != Alice.SlackID || ev.Details["code"] != access.EFORBIDDEN {
			t.Fatalf("refusal = %+v", ev)
		}
	}
	for _, id := range []string{mine, theirs} {
		if r := e.request(id); r.State != access.StatePending || len(r.Decisions) != 0 {
			t.Fatalf("request %s changed: %s %+v", id, r.State, r.Decisions)
		}
	}
	if views := e.sb.Slack.OpenViews(Alice.SlackID); len(views) != 0 {
		t.Fatal("the forged deny opened a modal")
	}
	if w := e.sb.Okta.Writes(); len(w) != 0 {
		t.Fatalf("Okta writes: %+v", w)
	}
	e.noRejections()
}

func TestClickOnADecidedRequest(t *testing.T) {
	e := startE2E(t)
	mark := e.sb.Slack.Mark()
	id, bobDM := e.ask(Alice, "db-prod 1h INC-32 reindex", Bob)
	carolDM, _ := e.approvalDM(mark, Carol)
	// Carol denies (deny modal, no reason).
	e.click(Carol, carolDM, bot.ActionDeny)
	v, err := e.sb.Slack.WaitView(e.ctx(), func(v fakeslack.View) bool {
		return v.User == Carol.SlackID && v.Open && v.CallbackID == bot.CallbackDeny
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.Slack.SubmitView(e.ctx(), Carol.SlackID, v.ID, nil); err != nil {
		t.Fatal(err)
	}
	e.waitState(id, access.StateDenied)
	before := len(e.events(id))
	// Bob clicks Approve on a copy of his DM from before the decision.
	mark = e.sb.Slack.Mark()
	stale := fakeslack.Message{Channel: "D0STALE", Blocks: bobDM.Blocks}
	if _, err := e.sb.Slack.ClickButtonValue(e.ctx(), Bob.SlackID, stale, bot.ActionApprove, id); err != nil {
		t.Fatal(err)
	}
	e.reply(mark, Bob, "already denied by carol")
	e.waitFor("the refusal audited", func() bool { return len(e.events(id)) == before+1 })
	if ref := e.refusal(id); ref.Actor.SlackID != Bob.SlackID || ref.Details["code"] != access.ECONFLICT || ref.Details["action"] != "approve" {
		t.Fatalf("refusal = %+v", ref)
	}
	if r := e.request(id); r.State != access.StateDenied || len(r.Decisions) != 1 {
		t.Fatalf("request = %s, %+v", r.State, r.Decisions)
	}
	if w := e.sb.Okta.Writes(); len(w) != 0 {
		t.Fatalf("Okta writes: %+v", w)
	}
	e.noRejections()
}

// submitForged sends a view_submission of the request modal v as p with
// state values the modal never offered, the way a hand-edited payload would
// arrive, and returns the ack.
func (e *e2e) submitForged(p SandboxPerson, v fakeslack.View, values map[string]map[string]any) fakeslack.Ack {
	e.t.Helper()
	payload, err := json.Marshal(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": fakeslack.TeamID, "domain": fakeslack.TeamDomain},
		"user":       map[string]any{"id": p.SlackID, "username": p.Name, "name": p.Name, "team_id": fakeslack.TeamID},
		"api_app_id": fakeslack.AppID, "token": fakeslack.VerificationToken, "trigger_id": "1700000000.1.forged",
		"view": map[string]any{"id": v.ID, "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
			"blocks": v.Blocks, "state": map[string]any{"values": values}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	ack, err := e.sb.Slack.Send(e.ctx(), fakeslack.Envelope{Type: "interactive", AcceptsResponsePayload: true, Payload: payload})
	if err != nil {
		e.t.Fatal(err)
	}
	return ack
}

func TestForgedModalValuesRefused(t *testing.T) {
	e := startE2E(t)
	v := e.openModal(Alice, "aws-prod-read")
	durBlock := blockID(t, v, bot.BlockDurationPrefix)
	apprBlock := blockID(t, v, bot.BlockApproversPrefix)
	sel := func(value string) map[string]any {
		return map[string]any{"type": "static_select", "selected_option": map[string]any{"value": value}}
	}
	multi := func(values ...string) map[string]any {
		var opts []any
		for _, x := range values {
			opts = append(opts, map[string]any{"value": x})
		}
		return map[string]any{"type": "multi_static_select", "selected_options": opts}
	}
	form := func(resource, duration, reason string, approvers map[string]any) map[string]map[string]any {
		vals := map[string]map[string]any{
			bot.BlockResource: {bot.ActionResourceSelect: sel(resource)},
			durBlock:          {bot.ActionDurationSelect: sel(duration)},
			bot.BlockReason:   {bot.ActionReasonInput: map[string]any{"type": "plain_text_input", "value": reason}},
		}
		if approvers != nil {
			vals[apprBlock] = map[string]any{bot.ActionApprovers: approvers}
		}
		return vals
	}
	cases := []struct {
		name   string
		values map[string]map[string]any
		block  string
		want   []string
	}{
		{"unknown resource", form("nosuch", "1h", "why", nil), bot.BlockResource, []string{`There is no resource "nosuch"`}},
		{"duration above the maximum", form("aws-prod-read", "2d", "why", nil), durBlock, []string{`"2d" is not an allowed duration`, "Allowed: 1h, 4h, 1d"}},
		{"duration not offered", form("aws-prod-read", "90m", "why", nil), durBlock, []string{`"90m" is not an allowed duration`}},
		{"approver not eligible", form("aws-prod-read", "1h", "why", multi("mallory@example.com")), apprBlock, []string{"mallory@example.com is not an approver"}},
		{"approver index out of range", form("aws-prod-read", "1h", "why", multi("7")), apprBlock, []string{"7 is not an approver"}},
		{"themselves as approver", form("aws-prod-read", "1h", "why", multi("alice@example.com")), apprBlock, []string{"can't approve your own request"}},
		{"10 KB reason", form("aws-prod-read", "1h", strings.Repeat("x", 10240), nil), bot.BlockReason, []string{"10240 characters long", "under 3000"}},
	}
	for _, tc := range cases {
		ack := e.submitForged(Alice, v, tc.values)
		if ack.ResponseAction() != "errors" {
			t.Fatalf("%s: accepted (%s)", tc.name, ack.Payload)
		}
		if got := ack.Errors()[tc.block]; !containsAll(got, tc.want...) {
			t.Errorf("%s: errors %v, want %q on %s", tc.name, ack.Errors(), tc.want, tc.block)
		}
		if len(ack.Payload) > 20000 {
			t.Errorf("%s: ack of %d bytes", tc.name, len(ack.Payload))
		}
	}
	if open, _ := e.m.Store().ListOpen(e.ctx()); len(open) != 0 {
		t.Fatalf("forged submissions filed requests: %+v", open)
	}
	e.noRejections()
}

func TestReplayedEnvelopes(t *testing.T) {
	e := startE2E(t)
	// A modal submission delivered twice files one request.
	v := e.openModal(Alice, "db-prod")
	mark := e.sb.Slack.Mark()
	ack := e.submitModal(Alice, v, "db-prod", "1h", "INC-33 replay")
	bobDM, id := e.approvalDM(mark, Bob)
	if _, err := e.sb.Slack.Redeliver(e.ctx(), ack.Envelope); err != nil {
		t.Fatal(err)
	}
	// A click delivered twice approves once; the same click replayed as a
	// new envelope (a second click) is refused and audited.
	click, err := e.sb.Slack.ClickButton(e.ctx(), Bob.SlackID, bobDM, bot.ActionApprove)
	if err != nil {
		t.Fatal(err)
	}
	e.waitState(id, access.StateActive)
	if _, err := e.sb.Slack.Redeliver(e.ctx(), click.Envelope); err != nil {
		t.Fatal(err)
	}
	mark = e.sb.Slack.Mark()
	replay := click.Envelope
	replay.EnvelopeID = ""
	if _, err := e.sb.Slack.Send(e.ctx(), replay); err != nil {
		t.Fatal(err)
	}
	e.reply(mark, Bob, "already approved by bob")
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventRefused)
	if mine, _ := e.m.Store().ListByRequester(e.ctx(), Alice.SlackID, false); len(mine) != 1 {
		t.Fatalf("Alice has %d requests, want 1", len(mine))
	}
	if n := e.sb.Okta.GroupAdds(SandboxGroupDB, Alice.OktaID); n != 1 {
		t.Fatalf("group adds = %d", n)
	}
	e.noRejections()
}

func TestOddTextShownEscapedAndCut(t *testing.T) {
	e := startE2E(t)
	odd := "INC-34 <!channel> <!here> <@U0MALLORY> &amp; <https://evil.example|click me> *bold* \x00\x07\x1b[31m\u202e " +
		"&lt;!everyone&gt; "
	// Slack escapes &, < and > in slash command text; the reason is cut to fit.
	text := odd + strings.Repeat("é<>", 700)
	escaped := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(text)
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h "+escaped)
	_, id := e.approvalDM(mark, Bob)
	e.reply(mark, Alice, id)
	e.waitMsg(mark, dm(Carol), id)
	for _, m := range e.sb.Slack.MessageLog()[mark:] {
		all := m.RawText + string(m.BlocksJSON)
		for _, bad := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U0MALLORY>", "<https://evil", "\x00", "\x07", "\x1b", "\u202e"} {
			if strings.Contains(all, bad) {
				t.Errorf("[%s %s] shows %q unescaped: %s", m.Kind, m.Channel, bad, oneLine(m.Text()))
			}
		}
	}
	bobDM, _ := e.approvalDM(mark, Bob)
	for _, want := range []string{"&lt;!channel&gt;", "&lt;@U0MALLORY&gt;", "&amp;amp;", "…"} {
		if !strings.Contains(bobDM.Text(), want) {
			t.Errorf("approval DM lacks %q: %s", want, oneLine(bobDM.Text()))
		}
	}
	if r := e.request(id); !strings.Contains(r.Reason, "<!channel>") {
		t.Errorf("the stored reason is not what was typed: %q", r.Reason[:60])
	}
	// 10 KB is refused with a specific answer.
	mark = e.sb.Slack.Mark()
	e.slash(Carol, "/access", "request db-prod 1h "+strings.Repeat("<!channel> ", 1000))
	e.reply(mark, Carol, "characters long", "under 3000")
	e.noRejections()
}
