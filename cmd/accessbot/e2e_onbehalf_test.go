package main

import (
	"strings"
	"testing"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// TestRequestOnBehalf: an approver asks for someone else; the person it is
// for is told at once and may decline; neither may approve; the access and
// its recorded Okta account are theirs; every event names both. Where the
// policy is off, or the asker is not allowed, it is refused.
func TestRequestOnBehalf(t *testing.T) {
	e := startE2E(t, withDBApprovers("[bob@example.com, carol@example.com]", "on_behalf: approvers"))
	mark := e.sb.Slack.Mark()
	e.slash(Bob, "/access", "request-for <@U0ALICE|alice> db-prod 4h onboarding to the on-call rota")
	carolDM, id := e.approvalDM(mark, Carol)
	if !containsAll(carolDM.Text(), "<@"+Bob.SlackID+"> asks, for <@"+Alice.SlackID+">") {
		t.Errorf("the approval DM does not name both: %s", oneLine(carolDM.Text()))
	}
	e.waitMsg(mark, dm(Alice), "asked for access", "for you", "onboarding")
	e.reply(mark, Bob, id, "for <@"+Alice.SlackID+">")
	e.noApprovalDM(mark, Bob)

	e.slash(Bob, "/access", "approve "+id)
	e.reply(mark, Bob, "your own request")
	e.click(Carol, carolDM, bot.ActionApprove)
	r := e.waitState(id, access.StateActive)
	e.waitFor("Okta membership of the person it is for", func() bool { return e.sb.Okta.IsMember(SandboxGroupDB, Alice.OktaID) })
	if r.Grant.Account.ID != Alice.OktaID || !r.Requester.Is(access.User{SlackID: Alice.SlackID}) || !r.RequestedBy.Is(access.User{SlackID: Bob.SlackID}) {
		t.Fatalf("grant recorded %+v for %+v asked by %+v", r.Grant.Account, r.Requester, r.RequestedBy)
	}
	if e.sb.Okta.IsMember(SandboxGroupDB, Bob.OktaID) {
		t.Fatal("the asker was given the access")
	}
	evs, err := e.m.Store().Events(e.ctx(), access.EventFilter{RequestID: id})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if !ev.Subject.Is(access.User{SlackID: Alice.SlackID}) || ev.Details[access.DetailRequestedBy] != Bob.Email {
			t.Fatalf("event %s names %+v, requested_by %q", ev.Type, ev.Subject, ev.Details[access.DetailRequestedBy])
		}
	}

	// Declined by the person it is for.
	mark = e.sb.Slack.Mark()
	e.slash(Carol, "/access", "request-for dave@example.com db-prod 1h pairing on the migration")
	_, id2 := e.approvalDM(mark, Bob)
	notice := e.waitMsg(mark, dm(Dave), "asked for access", "for you")
	e.click(Dave, notice, bot.ActionCancel)
	e.waitState(id2, access.StateCancelled)
	e.waitMsg(mark, dm(Carol), "cancelled")
	declined := false
	evs, _ = e.m.Store().Events(e.ctx(), access.EventFilter{RequestID: id2})
	for _, ev := range evs {
		declined = declined || (ev.Type == access.EventCancelled && ev.Details["declined"] == "true" && ev.Actor.Is(access.User{SlackID: Dave.SlackID}))
	}
	if !declined {
		t.Fatalf("no declined cancellation by Dave in %+v", evs)
	}

	// Refused: the policy is off for grafana-admin, and Dave approves nothing here.
	mark = e.sb.Slack.Mark()
	e.slash(Bob, "/access", "request-for <@U0ALICE|alice> grafana-admin 1h dashboards")
	e.reply(mark, Bob, "does not take requests for someone else")
	e.slash(Dave, "/access", "request-for <@U0MALLORY> db-prod 1h because")
	e.reply(mark, Dave, "only its approvers")
	e.slash(Bob, "/access", "request-for <@U0BOB|bob> db-prod 1h myself")
	e.reply(mark, Bob, "that's you")
	e.noRejections()
}

// TestRequestOnBehalfFromTheModal: the request modal's "For someone else"
// picker files the request for the person picked; someone the policy does
// not allow is answered on the modal.
func TestRequestOnBehalfFromTheModal(t *testing.T) {
	e := startE2E(t, withDBApprovers("[bob@example.com, carol@example.com]", "on_behalf: approvers"))
	submit := func(p SandboxPerson, forWhom SandboxPerson) fakeslack.Ack {
		v := e.openModal(p, "db-prod")
		values := map[string]map[string]any{
			bot.BlockResource:                        {bot.ActionResourceSelect: fakeslack.SelectValue("db-prod")},
			blockID(e.t, v, bot.BlockDurationPrefix): {bot.ActionDurationSelect: fakeslack.SelectValue("1h")},
			bot.BlockReason:                          {bot.ActionReasonInput: fakeslack.TextValue("first week setup")},
			blockID(e.t, v, bot.BlockForPrefix):      {bot.ActionFor: fakeslack.UserValue(forWhom.SlackID)},
		}
		ack, err := e.sb.Slack.SubmitView(e.ctx(), p.SlackID, v.ID, values)
		if err != nil {
			t.Fatalf("submit modal: %v", err)
		}
		return ack
	}
	mark := e.sb.Slack.Mark()
	if ack := submit(Bob, Erin); ack.ResponseAction() == "errors" {
		t.Fatalf("modal refused: %v", ack.Errors())
	}
	_, id := e.approvalDM(mark, Carol)
	e.waitMsg(mark, dm(Erin), "asked for access", "for you")
	if r := e.request(id); !r.Requester.Is(access.User{SlackID: Erin.SlackID}) || !r.RequestedBy.Is(access.User{SlackID: Bob.SlackID}) {
		t.Fatalf("request for %+v asked by %+v", r.Requester, r.RequestedBy)
	}
	ack := submit(Dave, Mallory)
	if ack.ResponseAction() != "errors" || !containsAll(strings.Join(mapValues(ack.Errors()), " "), "only its approvers") {
		t.Fatalf("a request for someone else by a non-approver: %v %v", ack.ResponseAction(), ack.Errors())
	}
	e.noRejections()
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
