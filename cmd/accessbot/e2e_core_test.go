package main

import (
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// blockID returns the id of the view's block that starts with prefix.
func blockID(t *testing.T, v fakeslack.View, prefix string) string {
	t.Helper()
	for _, b := range v.Blocks {
		if id, _ := b["block_id"].(string); strings.HasPrefix(id, prefix) {
			return id
		}
	}
	t.Fatalf("view %s has no block %s*", v.ID, prefix)
	return ""
}

// openModal runs /access as p, picks resource and returns the updated modal.
func (e *e2e) openModal(p SandboxPerson, resource string) fakeslack.View {
	e.t.Helper()
	e.slash(p, "/access", "")
	v, err := e.sb.Slack.WaitView(e.ctx(), func(v fakeslack.View) bool {
		return v.User == p.SlackID && v.Open && v.CallbackID == bot.CallbackRequest
	})
	if err != nil {
		e.t.Fatalf("no request modal: %v", err)
	}
	if _, err := e.sb.Slack.ViewAction(e.ctx(), p.SlackID, v.ID, bot.BlockResource, bot.ActionResourceSelect, resource); err != nil {
		e.t.Fatal(err)
	}
	v, err = e.sb.Slack.WaitView(e.ctx(), func(u fakeslack.View) bool {
		return u.ID == v.ID && strings.Contains(blockIDs(u), bot.BlockDurationPrefix) && strings.Contains(u.Text(), "")
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.viewFor(v.ID, resource)
}

// viewFor waits until view id shows the durations of resource.
func (e *e2e) viewFor(id, resource string) fakeslack.View {
	e.t.Helper()
	v, err := e.sb.Slack.WaitView(e.ctx(), func(v fakeslack.View) bool {
		if v.ID != id {
			return false
		}
		sel, ok := v.Element(bot.BlockResource, bot.ActionResourceSelect)
		if !ok {
			return false
		}
		init, _ := sel["initial_option"].(map[string]any)
		return init != nil && init["value"] == resource
	})
	if err != nil {
		e.t.Fatalf("modal never showed %s: %v", resource, err)
	}
	return v
}

func blockIDs(v fakeslack.View) string {
	var ids []string
	for _, b := range v.Blocks {
		if id, ok := b["block_id"].(string); ok {
			ids = append(ids, id)
		}
	}
	return strings.Join(ids, " ")
}

// submitModal submits the request modal with a duration and reason.
func (e *e2e) submitModal(p SandboxPerson, v fakeslack.View, resource, duration, reason string) fakeslack.Ack {
	e.t.Helper()
	values := map[string]map[string]any{
		bot.BlockResource:                        {bot.ActionResourceSelect: fakeslack.SelectValue(resource)},
		blockID(e.t, v, bot.BlockDurationPrefix): {bot.ActionDurationSelect: fakeslack.SelectValue(duration)},
		bot.BlockReason:                          {bot.ActionReasonInput: fakeslack.TextValue(reason)},
	}
	ack, err := e.sb.Slack.SubmitView(e.ctx(), p.SlackID, v.ID, values)
	if err != nil {
		e.t.Fatalf("submit modal: %v", err)
	}
	return ack
}

// approvalDM waits for the approval request DM to p after mark and returns it
// with the request id from its Approve button.
func (e *e2e) approvalDM(mark int, p SandboxPerson) (fakeslack.Message, string) {
	e.t.Helper()
	msg, err := e.sb.Slack.WaitMessageAfter(e.ctx(), mark, func(m fakeslack.Message) bool {
		_, ok := m.Button(bot.ActionApprove)
		return m.Channel == dm(p) && ok
	})
	if err != nil {
		e.t.Fatalf("%s got no approval request: %v\n%s", p.Name, err, e.dump(mark))
	}
	b, _ := msg.Button(bot.ActionApprove)
	return msg, b.Value
}

func TestModalRequestApproveExpire(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	mark := e.sb.Slack.Mark()
	v := e.openModal(Alice, "db-prod")
	ack := e.submitModal(Alice, v, "db-prod", "4h", "investigate INC-1 on the primary")
	if ack.ResponseAction() == "errors" {
		t.Fatalf("modal refused: %v", ack.Errors())
	}
	bobDM, id := e.approvalDM(mark, Bob)
	for _, w := range []string{"Production database", "4h", "investigate INC-1", "alice"} {
		if !containsAll(bobDM.Text(), w) {
			t.Errorf("approval DM lacks %q: %s", w, oneLine(bobDM.Text()))
		}
	}
	carolDM, _ := e.approvalDM(mark, Carol)
	e.reply(mark, Alice, id) // confirmation DM to the requester
	for _, m := range e.sb.Slack.Messages(dm(Alice)) {
		if _, ok := m.Button(bot.ActionApprove); ok {
			t.Fatal("the requester was asked to approve their own request")
		}
	}

	mark = e.sb.Slack.Mark()
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitFor("Okta membership", func() bool { return okta.IsMember(SandboxGroupDB, Alice.OktaID) })
	r := e.waitState(id, access.StateActive)
	if got := r.Grant.ExpiresAt.Sub(r.Grant.GrantedAt); got != 4*time.Hour {
		t.Fatalf("grant lasts %v", got)
	}
	e.waitMsg(mark, dm(Alice), "Production database")
	// Every approver's DM now shows the outcome and who decided, without Approve.
	for _, m := range []fakeslack.Message{bobDM, carolDM} {
		e.waitFor("approver DM updated", func() bool {
			cur, ok := e.sb.Slack.MessageAt(m.Channel, m.TS)
			_, approve := cur.Button(bot.ActionApprove)
			return ok && !approve && containsAll(cur.Text(), "bob")
		})
	}

	mark = e.sb.Slack.Mark()
	e.advance(4 * time.Hour)
	e.waitFor("Okta removal", func() bool { return !okta.IsMember(SandboxGroupDB, Alice.OktaID) })
	e.waitState(id, access.StateExpired)
	e.waitMsg(mark, dm(Alice), "expired")
	if n := okta.GroupAdds(SandboxGroupDB, Alice.OktaID); n != 1 {
		t.Fatalf("group adds = %d", n)
	}
	// The clock jumped past both reminders straight to expiry: none is sent late.
	want := []access.EventType{access.EventRequested, access.EventApproved, access.EventProvisioned,
		access.EventRemovalStarted, access.EventExpired}
	if got := e.events(id); len(got) != len(want) || strings.Join(types(got), ",") != strings.Join(types(want), ",") {
		t.Fatalf("audit = %v, want %v", got, want)
	}
	e.noRejections()
}

func types(ts []access.EventType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}
