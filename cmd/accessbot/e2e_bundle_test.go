package main

import (
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
)

// debugKit bundles a group (db-prod) and an app (grafana-admin); Bob and
// Carol approve both, so they approve the bundle; one approval will do.
const debugKit = `bundles:
  - id: debug-kit
    name: Debug kit
    description: the database and Grafana, for an incident
    resources: [db-prod, grafana-admin]
    min_approvals: 1
`

// members returns the member requests of bundle request id, by resource.
func (e *e2e) bundleMembers(id string) map[string]*access.Request {
	e.t.Helper()
	b := e.request(id)
	out := map[string]*access.Request{}
	for _, m := range b.Members {
		r := e.request(m)
		out[r.ResourceID] = r
	}
	return out
}

// One request and one decision grant a group and an app; the app, refused
// once by Okta, is retried like any grant, and the bundle is granted only
// when both are; reminded once; extended together; revoked together.
func TestBundleGrantedExtendedRevokedTogether(t *testing.T) {
	e := startE2E(t, func(s string) string { return s + debugKit })
	okta := e.sb.Okta
	okta.FailNext("POST", "/api/v1/apps/"+SandboxAppGrafana+"/users", fakeokta.Fault{Status: 500})

	mark := e.sb.Slack.Mark()
	id, bobDM := e.ask(Alice, "debug-kit 4h INC-7 the dashboards lie", Bob)
	if !strings.Contains(bobDM.Text(), "bundle of db-prod, grafana-admin") {
		t.Errorf("the approval request does not say what the bundle grants: %s", oneLine(bobDM.Text()))
	}
	if n := len(e.sb.Slack.Messages(dm(Bob))); n != 1 {
		t.Errorf("Bob got %d messages, want one approval request for the whole bundle", n)
	}
	e.click(Bob, bobDM, bot.ActionApprove)

	// The group is granted at once; the app waits for a retry, and so does the bundle.
	e.waitFor("the bundle's members to be filed", func() bool { return len(e.request(id).Members) == 2 })
	var members map[string]*access.Request
	e.waitFor("db-prod granted and grafana refused once", func() bool {
		members = e.bundleMembers(id)
		return members["db-prod"].State == access.StateActive && members["grafana-admin"].Grant.Provision.Attempts == 1
	})
	if !okta.IsMember(SandboxGroupDB, Alice.OktaID) || okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Fatal("Okta does not hold what the first attempt should have left")
	}
	if b := e.request(id); b.State != access.StateApproved {
		t.Fatalf("the bundle is %s with a member still refused, want approved (not granted)", b.State)
	}
	e.reply(mark, Alice, "Access granted", "Production database")
	e.noDM(mark, Alice, "Access granted: Debug kit")

	next := members["grafana-admin"].Grant.Provision.NextAt
	e.advance(next.Sub(e.sb.Clock.Now()) + time.Second)
	b := e.waitState(id, access.StateActive)
	members = e.bundleMembers(id)
	if !okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Fatal("the retried member was not assigned")
	}
	for res, m := range members {
		if m.State != access.StateActive || !m.Grant.ExpiresAt.Equal(b.Grant.ExpiresAt) || m.Grant.Target.IsZero() {
			t.Errorf("member %s: %s until %v on %v, want active until the bundle's %v on its own target", res, m.State, m.Grant.ExpiresAt, m.Grant.Target, b.Grant.ExpiresAt)
		}
	}
	e.reply(mark, Alice, "Access granted", "Grafana admin")
	e.reply(mark, Alice, "Access granted", "Debug kit")

	// Reminded once, for the bundle; extended together (the bundle's extension needs approval).
	mark = e.sb.Slack.Mark()
	e.advance(b.Grant.ExpiresAt.Sub(e.sb.Clock.Now()) - time.Hour + time.Second)
	reminder := e.waitMsg(mark, dm(Alice), "Debug kit", "Extend")
	e.waitFor("the reminder to be recorded", func() bool { return len(e.request(id).Grant.RemindersSent) == 1 })
	for _, m := range e.sb.Slack.Messages(dm(Alice)) {
		if m.Seq > mark && m.Seq != reminder.Seq && containsAll(m.Text(), "Extend") {
			t.Errorf("a second reminder: %s", oneLine(m.Text()))
		}
	}
	mark = e.sb.Slack.Mark()
	e.click(Alice, reminder, bot.ExtendActionID("1h"))
	approval, ext := e.approvalDM(mark, Carol)
	e.click(Carol, approval, bot.ActionApprove)
	e.waitState(ext, access.StateExtended)
	want := b.Grant.ExpiresAt.Add(time.Hour)
	e.waitFor("the bundle and its members to end an hour later", func() bool {
		if !e.request(id).Grant.ExpiresAt.Equal(want) {
			return false
		}
		for _, m := range e.bundleMembers(id) {
			if !m.Grant.ExpiresAt.Equal(want) {
				return false
			}
		}
		return true
	})

	// Revoking a member revokes the bundle, and with it every member.
	e.slash(Alice, "/access", "revoke "+members["db-prod"].ID)
	e.waitState(id, access.StateRevoked)
	for _, m := range e.bundleMembers(id) {
		e.waitState(m.ID, access.StateRevoked)
	}
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) || okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Error("Okta still holds a member of the revoked bundle")
	}
	if okta.GroupRemovals(SandboxGroupDB, Alice.OktaID) != 1 || okta.AppUnassignments(SandboxAppGrafana, Alice.OktaID) != 1 {
		t.Error("each member should have been removed from its recorded target exactly once")
	}
	e.noRejections()
}

// A member Okta refuses for good fails the bundle: the member granted is
// removed again, so no part of it is left half-held.
func TestBundleMemberGivenUpRemovesTheRest(t *testing.T) {
	e := startE2E(t, func(s string) string { return s + debugKit })
	okta := e.sb.Okta
	okta.FailNext("POST", "/api/v1/apps/"+SandboxAppGrafana+"/users", fakeokta.Fault{Status: 404, ErrorCode: "E0000007", ErrorSummary: "Not found"})
	id, bobDM := e.ask(Alice, "debug-kit 1h INC-8", Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateFailed)
	members := e.bundleMembers(id)
	e.waitState(members["grafana-admin"].ID, access.StateFailed)
	e.waitState(members["db-prod"].ID, access.StateFailed)
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) || okta.GroupRemovals(SandboxGroupDB, Alice.OktaID) != 1 {
		t.Error("the member granted was not removed when its bundle failed")
	}
}

// A bundle ends with all its parts at once, each removed from its recorded
// target; a cancelled pending bundle files no parts at all.
func TestBundleExpiresTogether(t *testing.T) {
	e := startE2E(t, func(s string) string { return s + debugKit })
	okta := e.sb.Okta
	id, bobDM := e.ask(Alice, "debug-kit 1h INC-9", Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	b := e.waitState(id, access.StateActive)
	e.advance(b.Grant.ExpiresAt.Sub(e.sb.Clock.Now()) + time.Second)
	e.waitState(id, access.StateExpired)
	for _, m := range e.bundleMembers(id) {
		if r := e.waitState(m.ID, access.StateExpired); !r.Grant.EndedAt.Equal(e.request(id).Grant.EndedAt) {
			t.Errorf("member %s ended %v, the bundle %v", m.ResourceID, r.Grant.EndedAt, e.request(id).Grant.EndedAt)
		}
	}
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) || okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Error("Okta still holds a part of the expired bundle")
	}

	pending, _ := e.ask(Carol, "debug-kit 1h INC-10", Bob)
	e.slash(Carol, "/access", "cancel "+pending)
	if r := e.waitState(pending, access.StateCancelled); len(r.Members) != 0 {
		t.Errorf("a cancelled bundle filed parts: %v", r.Members)
	}
}
