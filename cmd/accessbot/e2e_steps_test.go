package main

import (
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// withDBSteps gives db-prod two approval steps: Bob or Carol, then Carol
// or Dave (Carol is in both).
func withDBSteps(cfg string) string {
	old := "    okta_group: " + SandboxGroupDB + "\n    approvers: [bob@example.com, carol@example.com]\n"
	if !strings.Contains(cfg, old) {
		panic("sandbox config changed: db-prod approvers not found")
	}
	return strings.Replace(cfg, old, "    okta_group: "+SandboxGroupDB+"\n    approval_steps:\n"+
		"      - approvers: [bob@example.com, carol@example.com]\n"+
		"      - approvers: [carol@example.com, dave@example.com]\n", 1)
}

// TestApprovalSteps: the second step is asked only once the first
// approved, says which step it is and who approved before; a person in
// both steps approves once; a deny in step 2 ends the request.
func TestApprovalSteps(t *testing.T) {
	e := startE2E(t, withDBSteps)
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h rotate the replica")
	_, id := e.approvalDM(mark, Bob)
	carolDM, _ := e.approvalDM(mark, Carol)
	e.reply(mark, Alice, id)
	e.noApprovalDM(mark, Dave)
	if !containsAll(carolDM.Text(), "step 1 of 2") {
		t.Errorf("the step-1 DM does not say its step: %s", oneLine(carolDM.Text()))
	}
	e.slash(Dave, "/access", "approve "+id)
	e.reply(mark, Dave, "not an approver") // step 2 is not asked yet

	mark = e.sb.Slack.Mark()
	e.click(Carol, carolDM, bot.ActionApprove)
	daveDM, _ := e.approvalDM(mark, Dave)
	if !containsAll(daveDM.Text(), "step 2 of 2", "earlier steps approved by <@"+Carol.SlackID+">") {
		t.Errorf("the step-2 DM does not say its step and who approved before: %s", oneLine(daveDM.Text()))
	}
	e.noApprovalDM(mark, Carol) // in both steps, asked once
	if r := e.request(id); r.State != access.StatePending || r.Step != 1 {
		t.Fatalf("after step 1: %s in step %d", r.State, r.Step)
	}
	e.slash(Carol, "/access", "approve "+id)
	e.reply(mark, Carol, "already approved")

	// The reminder after timing.nudge_after goes to step 2, not to Bob of step 1.
	bobDM, _ := e.approvalDM(0, Bob)
	e.advance(time.Hour)
	e.waitFor("the nudge in Dave's thread", func() bool { return len(e.nudgesIn(mark, daveDM)) == 1 })
	e.waitFor("the nudge to be recorded", func() bool {
		for _, ev := range e.events(id) {
			if ev == access.EventNudged {
				return true
			}
		}
		return false
	})
	if n := e.nudgesIn(mark, bobDM); len(n) != 0 {
		t.Fatalf("Bob of step 1 was nudged in step 2: %s", oneLine(n[0].Text()))
	}
	e.click(Dave, daveDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	e.waitFor("Okta membership", func() bool { return e.sb.Okta.IsMember(SandboxGroupDB, Alice.OktaID) })

	// A deny in step 2 ends it.
	mark = e.sb.Slack.Mark()
	e.slash(Mallory, "/access", "request db-prod 1h look around")
	bobDM, id2 := e.approvalDM(mark, Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	daveDM2, _ := e.approvalDM(mark, Dave)
	e.click(Dave, daveDM2, bot.ActionDeny)
	modal, err := e.sb.Slack.WaitView(e.ctx(), func(v fakeslack.View) bool {
		return v.User == Dave.SlackID && v.Open && v.CallbackID == bot.CallbackDeny
	})
	if err != nil {
		t.Fatalf("no deny modal: %v", err)
	}
	values := map[string]map[string]any{bot.BlockDenyReason: {bot.ActionReasonInput: fakeslack.TextValue("not without a ticket")}}
	if _, err := e.sb.Slack.SubmitView(e.ctx(), Dave.SlackID, modal.ID, values); err != nil {
		t.Fatal(err)
	}
	r := e.waitState(id2, access.StateDenied)
	if len(r.Decisions) != 2 || r.Decisions[1].Step != 1 || r.Decisions[1].Approve {
		t.Fatalf("decisions = %+v", r.Decisions)
	}
	if e.sb.Okta.IsMember(SandboxGroupDB, Mallory.OktaID) {
		t.Fatal("a denied request was granted")
	}
	e.noRejections()
}

// TestApprovalStepNobodyReachable: a step whose approvers have all left
// goes to the admins, who may approve it.
func TestApprovalStepNobodyReachable(t *testing.T) {
	e := startE2E(t, func(cfg string) string {
		return strings.Replace(withDBSteps(cfg), "      - approvers: [carol@example.com, dave@example.com]\n",
			"      - approvers: [frank@example.com]\n", 1)
	})
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h restore last night's dump")
	bobDM, id := e.approvalDM(mark, Bob)
	mark = e.sb.Slack.Mark()
	e.click(Bob, bobDM, bot.ActionApprove)
	erinDM, _ := e.approvalDM(mark, Erin)
	if !containsAll(erinDM.Text(), "step 2 of 2", "accessbot admin") {
		t.Errorf("the admin's DM does not say why it came to them: %s", oneLine(erinDM.Text()))
	}
	e.waitMsg(mark, SandboxAuditChannel, "approver missing", "frank@example.com")
	e.click(Erin, erinDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	e.waitFor("Okta membership", func() bool { return e.sb.Okta.IsMember(SandboxGroupDB, Alice.OktaID) })
}
