package main

import (
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeokta"
)

// forbidStandingDB marks db-prod, the last resource of the sandbox config,
// standing: forbidden. Apply it before usageConfig, which adds a resource.
func forbidStandingDB(t *testing.T) func(string) string {
	return func(cfg string) string {
		if !strings.HasSuffix(cfg, "    policy: standard\n") || !strings.Contains(cfg, "  - id: db-prod\n") {
			t.Fatalf("db-prod is no longer the last resource of the sandbox config:\n%s", cfg)
		}
		return cfg + "    standing: forbidden\n"
	}
}

// reconcile runs one reconcile in the test's goroutine.
func (e *e2e) reconcile() {
	e.t.Helper()
	if err := e.m.Reconciler().Reconcile(e.ctx()); err != nil {
		e.t.Fatalf("reconcile: %v", err)
	}
}

// drift returns the drift events of the trail.
func (e *e2e) drift() []access.Event {
	e.t.Helper()
	evs, err := e.m.Store().Events(e.ctx(), access.EventFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []access.Event
	for _, ev := range evs {
		if ev.Type == access.EventDrift {
			out = append(out, ev)
		}
	}
	return out
}

// A membership removed by hand ends its grant as removed_outside, with no
// call to remove it, and the holder and the audit channel hear of it.
func TestDriftMembershipRemovedByHand(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	okta := e.sb.Okta
	id, _ := e.grantTo(Alice, "db-prod 4h migration", Bob)
	e.reconcile()
	if r := e.request(id); r.State != access.StateActive {
		t.Fatalf("a reconcile with nothing changed ended the grant: %s", r.State)
	}
	okta.RemoveMember(SandboxGroupDB, Alice.OktaID)
	mark := e.sb.Slack.Mark()
	e.reconcile()
	r := e.waitState(id, access.StateRemovedOutside)
	if r.Grant.EndedAt.IsZero() {
		t.Fatal("no end recorded")
	}
	ev := e.lastEvent(id, access.EventRemovedOutside)
	if ev.Details["okta_user"] != Alice.OktaID || ev.Details["target"] != "group "+SandboxGroupDB || ev.Details["uses"] != "0" {
		t.Fatalf("removed_outside details = %v", ev.Details)
	}
	if n := okta.GroupRemovals(SandboxGroupDB, Alice.OktaID); n != 0 {
		t.Fatalf("the bot called Okta to remove a membership already gone: %d removals", n)
	}
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("Alice is back in the group")
	}
	e.waitMsg(mark, dm(Alice), "removed in Okta outside accessbot")
	e.waitMsg(mark, SandboxAuditChannel, "Removed outside accessbot", id)
	if d := e.drift(); len(d) != 0 {
		t.Fatalf("a removal by hand was reported as drift: %+v", d)
	}
}

// A person the bot removed who is added back by hand is reported once, as
// drift, and left in place; the bot's own grants and removals never are.
func TestDriftReaddedByHandAfterExpiry(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	okta := e.sb.Okta
	id, _ := e.grantTo(Alice, "db-prod 1h query", Bob)
	e.advance(time.Hour + time.Minute)
	e.waitState(id, access.StateExpired)
	e.reconcile()
	if d := e.drift(); len(d) != 0 {
		t.Fatalf("the bot's own removal was reported as drift: %+v", d)
	}

	okta.AddMember(SandboxGroupDB, Alice.OktaID) // by hand
	mark := e.sb.Slack.Mark()
	e.reconcile()
	e.reconcile()
	d := e.drift()
	if len(d) != 1 || d[0].ResourceID != "db-prod" || d[0].Subject.Email != Alice.Email || d[0].Details["kind"] != access.DriftReadded ||
		d[0].Details["okta_user"] != Alice.OktaID || d[0].Details["by_rule"] != "false" {
		t.Fatalf("drift events = %+v", d)
	}
	e.waitMsg(mark, SandboxAuditChannel, "Drift", Alice.Email, "given back outside accessbot")
	if !okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("the bot removed access it did not grant")
	}

	// Granted again through the bot: explained, not drift; gone and back by
	// hand once more: reported again.
	okta.RemoveMember(SandboxGroupDB, Alice.OktaID)
	e.reconcile()
	okta.AddMember(SandboxGroupDB, Alice.OktaID)
	e.reconcile()
	if n := len(e.drift()); n != 2 {
		t.Fatalf("%d drift events after the access came back a second time, want 2", n)
	}
}

// Members of a standing: forbidden resource the bot did not grant are
// reported once each, a group rule's named as such; the bot's grants are not.
func TestDriftStandingForbidden(t *testing.T) {
	e := startE2E(t, forbidStandingDB(t), usageConfig(t))
	okta := e.sb.Okta
	id, _ := e.grantTo(Alice, "db-prod 4h migration", Bob)
	okta.AddMember(SandboxGroupDB, Dave.OktaID) // standing, by hand
	okta.AddUser(fakeokta.User{ID: Mallory.OktaID, Login: Mallory.Email, Email: Mallory.Email, FirstName: Mallory.Name, LastName: "Example",
		Status: "ACTIVE", Profile: map[string]string{"department": "Contractors"}})
	okta.AddGroupRule(fakeokta.GroupRule{ID: "0prmallory", Name: "Contractors", GroupIDs: []string{SandboxGroupDB},
		Expression: `user.department == "Contractors"`})
	okta.AddRuleMember("0prmallory", Mallory.OktaID)
	okta.AddMember(SandboxGroupProdRead, Carol.OktaID) // aws-prod-read allows standing access

	mark := e.sb.Slack.Mark()
	e.reconcile()
	e.reconcile()
	d := e.drift()
	if len(d) != 2 {
		t.Fatalf("drift events = %+v, want Dave and Mallory once each", d)
	}
	byUser := map[string]access.Event{}
	for _, ev := range d {
		byUser[ev.Details["okta_user"]] = ev
	}
	if ev := byUser[Dave.OktaID]; ev.Details["kind"] != access.DriftStanding || ev.Details["by_rule"] != "false" {
		t.Fatalf("Dave's drift = %+v", ev)
	}
	if ev := byUser[Mallory.OktaID]; ev.Details["kind"] != access.DriftStanding || ev.Details["by_rule"] != "true" {
		t.Fatalf("Mallory's drift = %+v", ev)
	}
	e.waitMsg(mark, SandboxAuditChannel, "Drift", Mallory.Email, "standing: forbidden", "group rule")
	if !okta.IsMember(SandboxGroupDB, Dave.OktaID) || !okta.IsMember(SandboxGroupDB, Mallory.OktaID) {
		t.Fatal("the bot removed standing access it did not grant")
	}
	if r := e.request(id); r.State != access.StateActive {
		t.Fatalf("the bot's own grant changed: %s", r.State)
	}
}
