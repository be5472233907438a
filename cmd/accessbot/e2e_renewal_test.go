package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// usedUntilMaxAgeReminder grants Alice the daily Grafana activity grant,
// uses it every hour until its reminder before max_age, and returns the
// grant's id and that reminder.
func usedUntilMaxAgeReminder(e *e2e) (string, fakeslack.Message) {
	e.t.Helper()
	id, _ := e.grantTo(Alice, "grafana-daily activity daily dashboards", Bob)
	granted := e.request(id).Grant.GrantedAt
	mark := e.sb.Slack.Mark()
	for e.sb.Clock.Now().Before(granted.Add(23 * time.Hour)) {
		e.advance(time.Hour)
		e.sso(Alice, SandboxAppGrafana)
		e.poll()
		e.sweepNow()
	}
	return id, e.waitMsg(mark, dm(Alice), "⏰", id, "maximum age")
}

// oktaAppRemovals counts the DELETEs of Alice's Grafana assignment.
func (e *e2e) oktaAppRemovals() int {
	n := 0
	for _, c := range e.sb.Okta.Writes() {
		if c.Method == http.MethodDelete && strings.Contains(c.Path, SandboxAppGrafana) {
			n++
		}
	}
	return n
}

// At max_age an activity grant must be approved again: Ask again on the
// last reminder files the request, and an approval before the end hands
// the access over with no gap: Okta never sees it removed.
func TestActivityGrantAskedAgainAtMaxAge(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	okta := e.sb.Okta
	id, rem := usedUntilMaxAgeReminder(e)

	mark := e.sb.Slack.Mark()
	e.click(Mallory, rem, bot.ActionRenew)
	e.reply(mark, Mallory, "Only the holder can ask to keep this access")
	e.click(Alice, rem, bot.ActionRenew)
	e.reply(mark, Alice, "Asked again")
	bobDM, renewal := e.approvalDM(mark, Bob)
	if renewal == id {
		t.Fatal("the renewal reused the grant's id")
	}
	if r := e.request(renewal); r.Renews != id || r.Activity == nil || r.State != access.StatePending {
		t.Fatalf("renewal = %+v", r)
	}
	e.click(Alice, rem, bot.ActionRenew)
	e.reply(mark, Alice, "already asked again")

	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(renewal, access.StateActive)
	e.waitState(id, access.StateRenewed)
	if !okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) || e.oktaAppRemovals() != 0 {
		t.Fatalf("assigned %v, %d removals: the handover must not remove the access", okta.AppAssigned(SandboxAppGrafana, Alice.OktaID), e.oktaAppRemovals())
	}
	old, next := e.request(id), e.request(renewal)
	if next.Grant.Account != old.Grant.Account || next.Grant.Target != old.Grant.Target || next.Grant.Standing {
		t.Fatalf("renewal grant %+v, want the old grant's account and target, not standing", next.Grant)
	}
	if evs := e.trail(id); len(evs) == 0 || evs[len(evs)-1].Type != access.EventRenewed || evs[len(evs)-1].Details["renewed_by"] != renewal {
		t.Fatalf("the old grant's trail does not end with its handover to %s: %v", renewal, evs)
	}

	// The old max_age passes while the renewal is used: nothing is removed.
	e.advance(90 * time.Minute)
	e.sso(Alice, SandboxAppGrafana)
	e.poll()
	e.sweepNow()
	if !okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) || e.request(renewal).State != access.StateActive {
		t.Fatal("the access went at the old grant's max_age although it was renewed")
	}
	// Unused for idle_after, the renewal ends like any activity grant.
	e.advance(2*time.Hour + time.Minute)
	e.poll()
	e.sweepNow()
	e.waitState(renewal, access.StateExpired)
	if okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) || e.oktaAppRemovals() != 1 {
		t.Fatalf("after the renewal went idle: assigned %v, %d removals; want removed once", okta.AppAssigned(SandboxAppGrafana, Alice.OktaID), e.oktaAppRemovals())
	}
}

// Approved only after the old grant reached max_age and was removed, the
// renewal is granted anew.
func TestActivityRenewalApprovedAfterTheEnd(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	okta := e.sb.Okta
	id, rem := usedUntilMaxAgeReminder(e)
	mark := e.sb.Slack.Mark()
	e.click(Alice, rem, bot.ActionRenew)
	bobDM, renewal := e.approvalDM(mark, Bob)

	e.advance(2 * time.Hour)
	e.sweepNow()
	e.waitState(id, access.StateExpired)
	if okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Fatal("still assigned after max_age")
	}
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(renewal, access.StateActive)
	if !okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) || e.request(renewal).Grant.Standing {
		t.Fatalf("renewal after the end: assigned %v, standing %v; want granted anew", okta.AppAssigned(SandboxAppGrafana, Alice.OktaID), e.request(renewal).Grant.Standing)
	}
}
