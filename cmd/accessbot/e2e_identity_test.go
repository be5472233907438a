package main

// End-to-end tests of issue 13's identity rule: people of another Slack
// team, guests (unless allowed) and unconfirmed emails neither request nor
// approve, whatever the email on their profile says, and Okta is never
// touched for them.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// The people identity checks tell apart. Each has an Okta account with the
// email on their Slack profile, so only the identity rule stands between
// them and access.
var (
	// Gus is a multi-channel guest of the sandbox workspace.
	Gus = SandboxPerson{"gus", "U0GUS", "00ugus", "PGUS", "gus@example.com"}
	// Xena is a Slack Connect user: her account belongs to a partner's team.
	Xena = SandboxPerson{"xena", "U0XENA", "00uxena", "PXENA", "xena@example.com"}
	// Sis works in a sister workspace of the same Enterprise Grid org.
	Sis = SandboxPerson{"sis", "W0SIS", "00usis", "PSIS", "sis@example.com"}
	// Nell's email is not confirmed by Slack.
	Nell = SandboxPerson{"nell", "U0NELL", "00unell", "PNELL", "nell@example.com"}
)

const (
	identityEnterprise = "E0FAKE"
	identityGroup      = "00gvault"
)

// vaultResource is approved by Bob and by the people under test, so their
// clicks are refused for who they are, not for not being approvers.
const vaultResource = `  - id: vault-admin
    name: Vault admin
    okta_group: ` + identityGroup + `
    approvers: [bob@example.com, gus@example.com, xena@example.com, sis@example.com, nell@example.com]
    policy: standard
`

// startIdentityE2E is startE2E with the sandbox workspace in an Enterprise
// Grid org and the people above added before accessbot starts (its
// start-up checks look the approvers up). extra is appended to the config.
func startIdentityE2E(t *testing.T, extra string) *e2e {
	t.Helper()
	sb := NewSandbox(t.TempDir(), time.Time{})
	t.Cleanup(sb.Close)
	sb.Slack.SetEnterprise(identityEnterprise, "Example Holdings")
	for _, p := range []struct {
		person SandboxPerson
		slack  fakeslack.User
	}{
		{Gus, fakeslack.User{IsRestricted: true}},
		{Xena, fakeslack.User{TeamID: "T0PARTNER"}},
		{Sis, fakeslack.User{TeamID: "T0SISTER", EnterpriseID: identityEnterprise}},
		{Nell, fakeslack.User{EmailUnconfirmed: true}},
	} {
		u := p.slack
		u.ID, u.Name, u.RealName, u.Email = p.person.SlackID, p.person.Name, strings.ToUpper(p.person.Name[:1])+p.person.Name[1:], p.person.Email
		sb.Slack.AddUser(u)
		sb.Okta.AddUser(fakeokta.User{ID: p.person.OktaID, Login: p.person.Email, Email: p.person.Email, FirstName: p.person.Name, LastName: "Example", Status: "ACTIVE"})
	}
	sb.Okta.AddGroup(identityGroup, "Vault admin")
	return launchE2E(t, sb, sb.ConfigYAML(vaultResource+extra))
}

// oktaUntouched fails unless Okta holds nothing for p and was never asked
// to change anything for them.
func (e *e2e) oktaUntouched(p SandboxPerson) {
	e.t.Helper()
	for _, g := range []string{SandboxGroupProdRead, SandboxGroupDB, identityGroup} {
		if e.sb.Okta.IsMember(g, p.OktaID) || e.sb.Okta.GroupAdds(g, p.OktaID) != 0 {
			e.t.Errorf("Okta group %s: %s is a member or was added", g, p.Name)
		}
	}
	if e.sb.Okta.AppAssigned(SandboxAppGrafana, p.OktaID) || e.sb.Okta.AppAssignments(SandboxAppGrafana, p.OktaID) != 0 {
		e.t.Errorf("Okta app: %s is assigned or was", p.Name)
	}
}

// noRequestsBy fails if the store holds any request of p.
func (e *e2e) noRequestsBy(p SandboxPerson) {
	e.t.Helper()
	rs, err := e.m.Store().ListByRequester(context.Background(), p.SlackID, false)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(rs) != 0 {
		e.t.Errorf("%s has %d requests stored, first %s in state %s", p.Name, len(rs), rs[0].ID, rs[0].State)
	}
}

// TestIdentityRefusesRequests: a guest, a Slack Connect user and an
// unconfirmed email are told why they cannot request, nothing is filed and
// Okta is untouched; a member of a sister workspace of the Grid org
// requests, is approved and gets access.
func TestIdentityRefusesRequests(t *testing.T) {
	e := startIdentityE2E(t, "")
	for _, c := range []struct {
		who   SandboxPerson
		words []string
	}{
		{Gus, []string{"You are a guest in this workspace", "guests can't request or approve access here", "ask an admin"}},
		{Xena, []string{"belongs to another organization", "only members of this workspace can request or approve"}},
		{Nell, []string{"Slack has not confirmed the email on your profile"}},
	} {
		mark := e.sb.Slack.Mark()
		e.slash(c.who, "/access", "request db-prod 1h INC-7 look at the replica")
		e.reply(mark, c.who, c.words...)
		// The request form opens, then says the same instead of the inputs.
		e.slash(c.who, "/access", "")
		if _, err := e.sb.Slack.WaitView(e.ctx(), func(v fakeslack.View) bool {
			return v.User == c.who.SlackID && v.Open && containsAll(v.Text(), c.words[0])
		}); err != nil {
			t.Errorf("%s's request form does not say %q: %v", c.who.Name, c.words[0], err)
		}
	}
	// Sis is not refused: once her request is decided, all is settled.
	id, bobDM := e.ask(Sis, "db-prod 1h INC-7 look at the replica", Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	if !e.sb.Okta.IsMember(SandboxGroupDB, Sis.OktaID) {
		t.Error("Sis, of a sister workspace of the Grid org, did not get the access approved for her")
	}
	for _, p := range []SandboxPerson{Gus, Xena, Nell} {
		e.noRequestsBy(p)
		e.oktaUntouched(p)
	}
	e.noRejections()
}

// TestIdentityRefusesApprovals: approvers who are guests, of another team or
// unconfirmed are not asked, and their forged clicks on another approver's
// message are refused with the reason; the request stays pending and Okta
// untouched until an approver who may act decides.
func TestIdentityRefusesApprovals(t *testing.T) {
	e := startIdentityE2E(t, "")
	id, bobDM := e.ask(Alice, "vault-admin 1h rotate the root token", Bob)
	sisDM, _ := e.approvalDM(0, Sis)
	if b, _ := sisDM.Button(bot.ActionApprove); b.Value != id {
		t.Fatalf("Sis was asked about %s, want %s", b.Value, id)
	}
	e.waitRouted(id)
	for _, p := range []SandboxPerson{Gus, Xena, Nell} {
		if msgs := e.sb.Slack.Messages(dm(p)); len(msgs) != 0 {
			t.Errorf("%s, who may not approve, was sent %d messages: %s", p.Name, len(msgs), oneLine(msgs[0].Text()))
		}
	}
	for _, c := range []struct {
		who   SandboxPerson
		words string
	}{
		{Gus, "You are a guest in this workspace"},
		{Xena, "belongs to another organization"},
		{Nell, "has not confirmed the email"},
	} {
		mark := e.sb.Slack.Mark()
		e.click(c.who, bobDM, bot.ActionApprove)
		e.reply(mark, c.who, c.words)
		mark = e.sb.Slack.Mark()
		e.click(c.who, bobDM, bot.ActionDeny)
		e.reply(mark, c.who, c.words)
	}
	if r := e.request(id); r.State != access.StatePending || len(r.Approvals()) != 0 {
		t.Fatalf("after refused clicks the request is %s with %d approvals", r.State, len(r.Approvals()))
	}
	if e.sb.Okta.IsMember(identityGroup, Alice.OktaID) || e.sb.Okta.GroupAdds(identityGroup, Alice.OktaID) != 0 {
		t.Fatal("Okta changed for Alice before anyone who may approve did")
	}
	e.click(Sis, sisDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	if !e.sb.Okta.IsMember(identityGroup, Alice.OktaID) {
		t.Error("Sis's approval did not give Alice the access")
	}
	for _, p := range []SandboxPerson{Gus, Xena, Nell} {
		e.oktaUntouched(p)
	}
	e.noRejections()
}

// TestIdentityAllowGuests: with identity.allow_guests a guest requests,
// approves and gets access like a member; people of another team are
// still refused.
func TestIdentityAllowGuests(t *testing.T) {
	e := startIdentityE2E(t, "identity:\n  allow_guests: true\n")
	id, bobDM := e.ask(Gus, "db-prod 1h INC-8 check the failover", Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	if !e.sb.Okta.IsMember(SandboxGroupDB, Gus.OktaID) {
		t.Error("the guest's approved request did not reach Okta")
	}

	aid, _ := e.ask(Alice, "vault-admin 1h rotate the root token", Bob)
	gusDM, _ := e.approvalDM(0, Gus)
	e.click(Gus, gusDM, bot.ActionApprove)
	e.waitState(aid, access.StateActive)
	if r := e.request(aid); len(r.Approvals()) != 1 || !r.Approvals()[0].By.Is(access.User{SlackID: Gus.SlackID}) {
		t.Errorf("approvals %+v; want Gus's", r.Approvals())
	}

	mark := e.sb.Slack.Mark()
	e.slash(Xena, "/access", "request db-prod 1h INC-8")
	e.reply(mark, Xena, "belongs to another organization")
	e.noRequestsBy(Xena)
	e.oktaUntouched(Xena)
	e.noRejections()
}
