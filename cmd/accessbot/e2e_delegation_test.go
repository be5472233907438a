package main

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// TestDelegation: a delegate gets the delegator's requests and decides for
// them ("dave for bob" in the trail); a delegate never passes it on (refused
// when set up, and at click time), never decides their own request, and
// the delegation ends on its date.
func TestDelegation(t *testing.T) {
	e := startE2E(t, func(cfg string) string { return cfg + "delegation: {to: anyone, max: 7d}\n" })
	mark := e.sb.Slack.Mark()
	e.slash(Bob, "/access", "delegate <@U0DAVE|dave> until 1d")
	e.reply(mark, Bob, "approves for", "until")
	e.waitMsg(mark, SandboxAuditChannel, "delegation", Dave.SlackID, Bob.SlackID)
	e.waitMsg(mark, dm(Dave), "delegation", Bob.SlackID)

	// Dave approves nothing himself: nothing to pass on.
	e.slash(Dave, "/access", "delegate erin@example.com until 1d db-prod")
	e.reply(mark, Dave, "nothing to delegate")
	e.slash(Bob, "/access", "delegate <@U0DAVE|dave> until 30d")
	e.reply(mark, Bob, "at most 1w")

	// Used: Bob's delegate is asked too, and his approval counts as Bob's.
	mark = e.sb.Slack.Mark()
	e.slash(Carol, "/access", "request db-prod 1h check the replica lag")
	daveDM, id := e.approvalDM(mark, Dave)
	e.approvalDM(mark, Bob)
	e.click(Dave, daveDM, bot.ActionApprove)
	r := e.waitState(id, access.StateActive)
	if d := r.Decisions[0]; !d.By.Is(access.User{SlackID: Dave.SlackID}) || !d.For.Is(access.User{Email: Bob.Email}) {
		t.Fatalf("decision = %+v, want Dave for Bob", d)
	}
	evs, err := e.m.Store().Events(e.ctx(), access.EventFilter{RequestID: id})
	if err != nil {
		t.Fatal(err)
	}
	if ev := evs[1]; ev.Type != access.EventApproved || ev.Details["for"] != Bob.Email {
		t.Fatalf("approval event = %+v, want one for %s", ev, Bob.Email)
	}
	e.waitDM("the approval DM to name both", daveDM, func(m fakeslack.Message) bool {
		return containsAll(m.Text(), "<@"+Dave.SlackID+"> for <@"+Bob.SlackID+">")
	})

	// The delegate's own request: asked to Bob, never decided by Dave.
	mark = e.sb.Slack.Mark()
	e.slash(Dave, "/access", "request db-prod 1h my own change")
	_, own := e.approvalDM(mark, Bob)
	e.slash(Dave, "/access", "approve "+own)
	e.reply(mark, Dave, "your own request")
	e.noApprovalDM(mark, Dave)

	// No chains at click time: Alice (an approver of aws-prod-read, not of
	// db-prod) delegates to Erin, who may not decide for db-prod.
	e.slash(Alice, "/access", "delegate @nobody until 2d") // typed, not picked from Slack's menu
	e.reply(mark, Alice, "can't find @nobody")
	e.slash(Alice, "/access", "delegate @erin until 2d")
	e.reply(mark, Alice, "approves for", "<@"+Erin.SlackID+">")
	e.slash(Erin, "/access", "approve "+own)
	e.reply(mark, Erin, "not an approver")
	if r := e.request(own); r.State != access.StatePending || len(r.Decisions) != 0 {
		t.Fatalf("own request after refusals: %s, %d decisions", r.State, len(r.Decisions))
	}

	// Expired: a day later Dave no longer decides for Bob.
	e.advance(25 * time.Hour)
	mark = e.sb.Slack.Mark()
	e.slash(Mallory, "/access", "request db-prod 1h after the holiday")
	_, later := e.approvalDM(mark, Bob)
	e.noApprovalDM(mark, Dave)
	e.slash(Dave, "/access", "approve "+later)
	e.reply(mark, Dave, "not an approver")

	e.slash(Alice, "/access", "delegate off")
	e.reply(mark, Alice, "has ended")
	e.waitMsg(mark, SandboxAuditChannel, "delegation ended", Alice.SlackID)
	e.slash(Alice, "/access", "delegate off")
	e.reply(mark, Alice, "no delegation in force")
	e.noRejections()
}
