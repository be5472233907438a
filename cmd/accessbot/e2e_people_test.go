package main

import (
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// sandboxSRE is an Okta group and a Slack user group of approvers used by
// the tests of approvers from groups.
const (
	sandboxSREGroup     = "00gsre"
	sandboxSREUserGroup = "S0SRE"
)

// withDBApprovers replaces the approvers of the db-prod resource with list,
// and adds lines (indented as the resource's keys) after them.
func withDBApprovers(list string, lines ...string) func(string) string {
	return func(cfg string) string {
		old := "    okta_group: " + SandboxGroupDB + "\n    approvers: [bob@example.com, carol@example.com]\n"
		repl := "    okta_group: " + SandboxGroupDB + "\n    approvers: " + list + "\n"
		for _, l := range lines {
			repl += "    " + l + "\n"
		}
		if !strings.Contains(cfg, old) {
			panic("sandbox config changed: db-prod approvers not found")
		}
		return strings.Replace(cfg, old, repl, 1)
	}
}

// sreGroups puts Alice, Bob and Carol in the SRE Okta group and Slack user group.
func sreGroups(sb *Sandbox) {
	sb.Okta.AddGroup(sandboxSREGroup, "SRE")
	for _, p := range []SandboxPerson{Alice, Bob, Carol} {
		sb.Okta.AddMember(sandboxSREGroup, p.OktaID)
	}
	sb.Slack.AddUserGroup(fakeslack.UserGroup{ID: sandboxSREUserGroup, Handle: "sre", Name: "SRE",
		Users: []string{Alice.SlackID, Bob.SlackID, Carol.SlackID}})
}

// noApprovalDM fails if p was sent an approval request after mark.
func (e *e2e) noApprovalDM(mark int, p SandboxPerson) {
	e.t.Helper()
	for _, m := range e.sb.Slack.MessageLog() {
		if _, ok := m.Button(bot.ActionApprove); ok && m.Seq > mark && m.Channel == dm(p) && m.Kind == fakeslack.KindPosted {
			e.t.Fatalf("%s was asked to approve: %s", p.Name, oneLine(m.Text()))
		}
	}
}

// TestApproversFromOktaGroup routes a request to the members of an Okta
// group read page by page, never to the requester who is a member too, and
// refuses the click of a member removed from the group after routing.
func TestApproversFromOktaGroup(t *testing.T) {
	e := startE2EWith(t, sreGroups, withDBApprovers("[okta_group:"+sandboxSREGroup+"]"))
	okta := e.sb.Okta
	okta.SetMaxPage(1) // one member a page: every page must be read

	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 4h migrate the primary")
	bobDM, id := e.approvalDM(mark, Bob)
	e.approvalDM(mark, Carol)
	e.reply(mark, Alice, id)
	e.noApprovalDM(mark, Alice)

	okta.RemoveMember(sandboxSREGroup, Bob.OktaID) // Bob moved team after the request was sent
	mark = e.sb.Slack.Mark()
	e.click(Bob, bobDM, bot.ActionApprove)
	e.reply(mark, Bob, "not an approver")
	if r := e.request(id); r.State != access.StatePending || len(r.Decisions) != 0 {
		t.Fatalf("after a former member's click: %s with %d decisions", r.State, len(r.Decisions))
	}

	e.slash(Carol, "/access", "approve "+id)
	e.waitState(id, access.StateActive)
	e.waitFor("Okta membership", func() bool { return okta.IsMember(SandboxGroupDB, Alice.OktaID) })

	// An approver by group membership may revoke; a former member may not.
	mark = e.sb.Slack.Mark()
	e.slash(Bob, "/access", "revoke "+id)
	e.reply(mark, Bob, "only the holder, an approver")
	if r := e.request(id); r.State != access.StateActive || r.Grant.Removal != nil {
		t.Fatalf("a former member's revoke changed the grant: %s", r.State)
	}
	e.slash(Carol, "/access", "revoke "+id)
	e.waitState(id, access.StateRevoked)
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("revoked, yet Okta still holds the membership")
	}
	e.noRejections()
}

// TestApproversFromSlackUserGroup does the same with a Slack user group.
func TestApproversFromSlackUserGroup(t *testing.T) {
	e := startE2EWith(t, sreGroups, withDBApprovers("[slack_usergroup:"+sandboxSREUserGroup+"]"))

	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h rotate the keys")
	bobDM, id := e.approvalDM(mark, Bob)
	carolDM, _ := e.approvalDM(mark, Carol)
	e.reply(mark, Alice, id)
	e.noApprovalDM(mark, Alice)

	e.sb.Slack.SetUserGroupMembers(sandboxSREUserGroup, Carol.SlackID)
	mark = e.sb.Slack.Mark()
	e.click(Bob, bobDM, bot.ActionApprove)
	e.reply(mark, Bob, "not an approver")
	e.click(Carol, carolDM, bot.ActionApprove)
	r := e.waitState(id, access.StateActive)
	if len(r.Decisions) != 1 || !r.Decisions[0].By.Is(access.User{SlackID: Carol.SlackID}) {
		t.Fatalf("decisions = %+v, want Carol's only", r.Decisions)
	}
	e.noRejections()
}

// approvalDMs counts the approval requests sent after mark, per channel.
func (e *e2e) approvalDMs(mark int) map[string]int {
	out := map[string]int{}
	for _, m := range e.sb.Slack.MessageLog() {
		if _, ok := m.Button(bot.ActionApprove); ok && m.Seq > mark && m.Kind == fakeslack.KindPosted {
			out[m.Channel]++
		}
	}
	return out
}

// TestNotifyIsNotWhoMayApprove sends the request only to the notify list;
// an approver who was not sent it sees it in /access list and approves it
// with /access approve.
func TestNotifyIsNotWhoMayApprove(t *testing.T) {
	e := startE2E(t, withDBApprovers("[bob@example.com, carol@example.com]", "notify: [bob@example.com]"))
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h restore a backup")
	_, id := e.approvalDM(mark, Bob)
	e.reply(mark, Alice, id)
	e.noApprovalDM(mark, Carol)

	mark = e.sb.Slack.Mark()
	e.slash(Carol, "/access", "list")
	e.reply(mark, Carol, id)
	e.slash(Dave, "/access", "approve "+id)
	e.reply(mark, Dave, "not an approver")
	e.slash(Carol, "/access", "approve "+id)
	e.reply(mark, Carol, "approved", id)
	r := e.waitState(id, access.StateActive)
	if !r.Decisions[0].By.Is(access.User{SlackID: Carol.SlackID}) {
		t.Fatalf("decided by %+v, want Carol", r.Decisions[0].By)
	}
	e.noRejections()
}

// TestNotifyBeyondTheApproversIsToldOnly: someone on the notify list who
// is not an approver sees the request and, once decided, its outcome, and
// is never offered a button that would only be refused.
func TestNotifyBeyondTheApproversIsToldOnly(t *testing.T) {
	e := startE2E(t, withDBApprovers("[bob@example.com, carol@example.com]", "notify: [bob@example.com, erin@example.com]"))
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h restore a backup")
	asked, id := e.approvalDM(mark, Bob)
	told, err := e.sb.Slack.WaitMessageAfter(e.ctx(), mark, func(m fakeslack.Message) bool {
		return m.Channel == dm(Erin) && strings.Contains(m.Text(), id)
	})
	if err != nil {
		t.Fatalf("Erin was not told of the request: %v\n%s", err, e.dump(mark))
	}
	noButtons := func(m fakeslack.Message) bool {
		for _, a := range []string{bot.ActionApprove, bot.ActionDeny, bot.ActionRevoke} {
			if _, ok := m.Button(a); ok {
				return false
			}
		}
		return true
	}
	if !noButtons(told) {
		t.Fatalf("Erin, who may not decide, was offered buttons: %s", oneLine(told.Text()))
	}
	e.click(Bob, asked, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	if !e.sb.Okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("Okta does not hold the approved grant")
	}
	if _, err := e.sb.Slack.WaitMessageAt(e.ctx(), told.Channel, told.TS, func(m fakeslack.Message) bool {
		return !strings.Contains(m.Text(), "its approvers decide") && strings.Contains(m.Text(), "Approved")
	}); err != nil {
		t.Fatalf("Erin's copy does not show the outcome: %v\n%s", err, e.dump(mark))
	}
	for _, m := range e.sb.Slack.MessageLog() {
		if m.Channel == told.Channel && m.TS == told.TS && !noButtons(m) {
			t.Errorf("Erin's copy offered buttons once redrawn: %s", oneLine(m.Text()))
		}
	}
	e.noRejections()
}

// TestNotifyMax sends a request for a group of four approvers to two of them.
func TestNotifyMax(t *testing.T) {
	e := startE2EWith(t, func(sb *Sandbox) {
		sb.Okta.AddGroup(sandboxSREGroup, "SRE")
		for _, p := range []SandboxPerson{Bob, Carol, Dave, Erin} {
			sb.Okta.AddMember(sandboxSREGroup, p.OktaID)
		}
	}, withDBApprovers("[okta_group:"+sandboxSREGroup+"]", "notify_max: 2"))
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h rebuild the index")
	e.reply(mark, Alice, "sent to")
	dms := e.approvalDMs(mark)
	if len(dms) != 2 {
		t.Fatalf("approval DMs went to %v, want 2 of the 4 approvers", dms)
	}
	var id string
	for _, m := range e.sb.Slack.MessageLog() {
		if b, ok := m.Button(bot.ActionApprove); ok && m.Seq > mark {
			id = b.Value
		}
	}
	if r := e.request(id); len(r.Approvers) != 2 {
		t.Fatalf("request records %v as asked, want 2", r.Approvers)
	}
	// Whoever was not asked may still approve.
	for _, p := range []SandboxPerson{Bob, Carol, Dave, Erin} {
		if dms[dm(p)] == 0 {
			e.slash(p, "/access", "approve "+id)
			break
		}
	}
	e.waitState(id, access.StateActive)
}

// TestDepartedApprover: an approver with no Slack account is skipped with
// one warning a day in the audit channel, never an error for the
// requester; with nobody left to ask, the admins are asked and may approve.
func TestDepartedApprover(t *testing.T) {
	frank := SandboxPerson{"frank", "U0FRANK", "00ufrank", "PFRANK", "frank@example.com"}
	e := startE2EWith(t, func(sb *Sandbox) {
		// Frank left: Okta still lists him in the group, Slack no longer knows him.
		sb.Okta.AddUser(fakeokta.User{ID: frank.OktaID, Login: frank.Email, Email: frank.Email, FirstName: "Frank", LastName: "Example"})
		sb.Okta.AddGroup(sandboxSREGroup, "SRE")
		sb.Okta.AddMember(sandboxSREGroup, frank.OktaID)
	}, withDBApprovers("[okta_group:"+sandboxSREGroup+"]"))

	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h fix replication")
	erinDM, id := e.approvalDM(mark, Erin) // the admin
	e.reply(mark, Alice, id, "admins")
	e.waitMsg(mark, SandboxAuditChannel, "approver missing", frank.Email)
	e.waitFor("the request to record that the admins were asked", func() bool { return e.request(id).AdminsAsked })
	e.click(Erin, erinDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	e.waitFor("Okta membership", func() bool { return e.sb.Okta.IsMember(SandboxGroupDB, Alice.OktaID) })

	mark = e.sb.Slack.Mark()
	e.slash(Dave, "/access", "request db-prod 1h second look")
	_, id2 := e.approvalDM(mark, Erin)
	e.reply(mark, Dave, id2, "admins")
	for _, m := range e.sb.Slack.Messages(SandboxAuditChannel) {
		if m.Seq > mark && containsAll(m.Text(), "approver missing") {
			t.Fatalf("a second warning about Frank on the same day: %s", oneLine(m.Text()))
		}
	}
	found := false
	for _, ev := range e.events(id) {
		found = found || ev == access.EventAdminsAsked
	}
	if !found {
		t.Fatalf("audit of %s lacks %s: %v", id, access.EventAdminsAsked, e.events(id))
	}
	e.noRejections()
}

// nudgesIn returns the replies posted after mark in the thread of msg.
func (e *e2e) nudgesIn(mark int, msg fakeslack.Message) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range e.sb.Slack.MessageLog() {
		if m.Seq > mark && m.Kind == fakeslack.KindPosted && m.Channel == msg.Channel && m.ThreadTS == msg.TS {
			out = append(out, m)
		}
	}
	return out
}

// TestNudgeAndEscalation: the requester nudges once (a second nudge within
// 30 minutes is refused); after timing.nudge_after the approvers who have
// not answered are reminded in their DM's thread; after escalation.after
// the escalation approver is asked and may approve. Each is in the trail.
func TestNudgeAndEscalation(t *testing.T) {
	e := startE2E(t, withDBApprovers("[bob@example.com, carol@example.com]",
		"escalation: {after: 4h, approvers: [dave@example.com]}"))
	start := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h vacuum the big table")
	bobDM, id := e.approvalDM(start, Bob)
	carolDM, _ := e.approvalDM(start, Carol)
	confirm := e.reply(start, Alice, id, "sent to")
	e.waitFor("the confirmation's Nudge button", func() bool {
		m, ok := e.sb.Slack.MessageAt(confirm.Channel, confirm.TS)
		_, nudge := m.Button(bot.ActionNudge)
		confirm = m
		return ok && nudge
	})
	e.waitFor("the approvers' messages to be recorded", func() bool { return len(e.request(id).ApproverMessages) == 2 })

	mark := e.sb.Slack.Mark()
	e.click(Alice, confirm, bot.ActionNudge)
	for _, m := range []fakeslack.Message{bobDM, carolDM} {
		e.waitFor("a nudge in the approver's thread", func() bool { return len(e.nudgesIn(mark, m)) == 1 })
	}
	if n := e.nudgesIn(mark, bobDM)[0]; !containsAll(n.Text(), "reminds you", id) {
		t.Fatalf("nudge says: %s", oneLine(n.Text()))
	}
	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "nudge "+id)
	e.reply(mark, Alice, "less than 30 minutes ago")
	e.slash(Bob, "/access", "nudge "+id)
	e.reply(mark, Bob, "only the requester")

	mark = e.sb.Slack.Mark()
	e.advance(time.Hour) // timing.nudge_after, by default
	for _, m := range []fakeslack.Message{bobDM, carolDM} {
		e.waitFor("the automatic nudge in the approver's thread", func() bool { return len(e.nudgesIn(mark, m)) == 1 })
	}
	e.noApprovalDM(start, Dave)

	mark = e.sb.Slack.Mark()
	e.advance(3 * time.Hour) // escalation.after from the request
	daveDM, _ := e.approvalDM(mark, Dave)
	if !containsAll(daveDM.Text(), "escalated") {
		t.Errorf("the escalation DM does not say so: %s", oneLine(daveDM.Text()))
	}
	if n := len(e.nudgesIn(mark, bobDM)); n != 0 {
		t.Errorf("Bob was nudged %d more times; the bot nudges once", n)
	}
	e.click(Dave, daveDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)

	var nudged, escalated int
	for _, ev := range e.events(id) {
		switch ev {
		case access.EventNudged:
			nudged++
		case access.EventEscalated:
			escalated++
		}
	}
	if nudged != 2 || escalated != 1 {
		t.Fatalf("trail has %d nudges and %d escalations, want 2 and 1: %v", nudged, escalated, e.events(id))
	}
	e.noRejections()
}

// TestChooseApproverFromAGroup: the form offers a group's members as
// approvers to choose, and a request to the one chosen goes to them only.
func TestChooseApproverFromAGroup(t *testing.T) {
	e := startE2EWith(t, sreGroups, withDBApprovers("[slack_usergroup:"+sandboxSREUserGroup+"]"))
	mark := e.sb.Slack.Mark()
	v := e.openModal(Dave, "db-prod")
	v, err := e.sb.Slack.WaitView(e.ctx(), func(u fakeslack.View) bool {
		el, ok := u.Element(bot.BlockApproversPrefix+"db-prod", bot.ActionApprovers)
		opts, _ := el["options"].([]any)
		return u.ID == v.ID && ok && len(opts) == 3
	})
	if err != nil {
		t.Fatalf("the form does not offer the group's three members: %v", err)
	}
	values := map[string]map[string]any{
		bot.BlockResource:                    {bot.ActionResourceSelect: fakeslack.SelectValue("db-prod")},
		bot.BlockDurationPrefix + "db-prod":  {bot.ActionDurationSelect: fakeslack.SelectValue("1h")},
		bot.BlockReason:                      {bot.ActionReasonInput: fakeslack.TextValue("reindex")},
		bot.BlockApproversPrefix + "db-prod": {bot.ActionApprovers: fakeslack.MultiSelectValues(Carol.Email)},
	}
	if ack, err := e.sb.Slack.SubmitView(e.ctx(), Dave.SlackID, v.ID, values); err != nil || ack.ResponseAction() == "errors" {
		t.Fatalf("submit: %v %v", err, ack.Errors())
	}
	_, id := e.approvalDM(mark, Carol)
	e.reply(mark, Dave, id)
	e.noApprovalDM(mark, Bob)
	e.noApprovalDM(mark, Alice)
}
