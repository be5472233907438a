package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
	"github.com/accessbot/accessbot/store"
)

// confirmModal waits for the revoke-all confirmation opened for p after
// the view log held n entries, and returns it.
func (e *e2e) confirmModal(p SandboxPerson, n int) fakeslack.View {
	e.t.Helper()
	var v fakeslack.View
	e.waitFor("the revoke-all confirmation", func() bool {
		log := e.sb.Slack.ViewLog()
		for _, x := range log[min(n, len(log)):] {
			if x.User == p.SlackID && x.Open && x.CallbackID == bot.CallbackRevokeAll {
				v = x
				return true
			}
		}
		return false
	})
	return v
}

// confirm submits a revoke-all confirmation with reason.
func (e *e2e) confirm(p SandboxPerson, v fakeslack.View, reason string) {
	e.t.Helper()
	values := map[string]map[string]any{bot.BlockRevokeAllReason: {bot.ActionReasonInput: fakeslack.TextValue(reason)}}
	if _, err := e.sb.Slack.SubmitView(e.ctx(), p.SlackID, v.ID, values); err != nil {
		e.t.Fatalf("confirm revoke-all: %v", err)
	}
}

// orderEvents returns the revoke_all events of the trail.
func (e *e2e) orderEvents() []access.Event {
	e.t.Helper()
	evs, err := e.m.Store().Events(context.Background(), access.EventFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []access.Event
	for _, ev := range evs {
		if ev.Type == access.EventRevokeAll {
			out = append(out, ev)
		}
	}
	return out
}

// TestRevokeAllResource: an admin ends every grant and open request of a
// resource after a confirmation that counts them apart; Okta holds none of
// those memberships afterwards, standing access and other resources are
// untouched, the trail has the order and each end, and the holders, the
// approvers and the audit channel are told.
func TestRevokeAllResource(t *testing.T) {
	e := startE2E(t)
	e.sb.Okta.AddMember(SandboxGroupDB, Dave.OktaID) // Dave is in the group already
	alice, _ := e.grantTo(Alice, "db-prod 4h migrate the schema", Bob)
	mallory, _ := e.grantTo(Mallory, "db-prod 1h read the slow log", Bob)
	dave, _ := e.grantTo(Dave, "db-prod 1h check replication", Carol)
	if !e.request(dave).Grant.Standing {
		t.Fatal("Dave's grant is not recorded as standing access")
	}
	carol, _ := e.ask(Carol, "db-prod 1h vacuum", Bob) // stays pending
	other, _ := e.grantTo(Mallory, "grafana-admin 1h dashboards", Bob, Carol)
	for _, p := range []SandboxPerson{Alice, Mallory} {
		if !e.sb.Okta.IsMember(SandboxGroupDB, p.OktaID) {
			t.Fatalf("%s is not in the group before the order", p.Name)
		}
	}

	mark, views := e.sb.Slack.Mark(), len(e.sb.Slack.ViewLog())
	e.slash(Erin, "/access", "revoke-all db-prod leaked credentials INC-7")
	v := e.confirmModal(Erin, views)
	if text := oneLine(v.Text()); !containsAll(text, "Production database", "3* active grants will end", "1* open request (pending or approved) will be cancelled") {
		t.Fatalf("confirmation does not count 3 grants and 1 open request apart: %s", text)
	}
	if r := e.request(alice); r.State != access.StateActive {
		t.Fatalf("the modal alone changed a grant: %s", r.State)
	}
	e.confirm(Erin, v, "leaked credentials INC-7")

	for _, id := range []string{alice, mallory, dave} {
		e.waitState(id, access.StateRevoked)
	}
	e.waitState(carol, access.StateCancelled)
	for _, p := range []SandboxPerson{Alice, Mallory} {
		if e.sb.Okta.IsMember(SandboxGroupDB, p.OktaID) {
			t.Errorf("Okta: %s is still in the group after revoke-all", p.Name)
		}
	}
	if !e.sb.Okta.IsMember(SandboxGroupDB, Dave.OktaID) {
		t.Error("Okta: Dave's standing membership was removed")
	}
	if !e.sb.Okta.AppAssigned(SandboxAppGrafana, Mallory.OktaID) || e.request(other).State != access.StateActive {
		t.Error("revoke-all of db-prod touched Mallory's Grafana grant")
	}

	orders := e.orderEvents()
	if len(orders) != 1 {
		t.Fatalf("trail holds %d revoke_all events, want 1", len(orders))
	}
	o := orders[0]
	if o.Actor.SlackID != Erin.SlackID || o.ResourceID != "db-prod" || o.Details["reason"] != "leaked credentials INC-7" ||
		o.Details["grants"] != "3" || o.Details["open_requests"] != "1" || o.Details["order"] == "" {
		t.Fatalf("revoke_all event = %+v", o)
	}
	for _, id := range []string{alice, mallory, dave} {
		started := e.lastEvent(id, access.EventRemovalStarted)
		revoked := e.lastEvent(id, access.EventRevoked)
		if started.Actor.SlackID != Erin.SlackID || started.Details["order"] != o.Details["order"] || revoked.Actor.SlackID != Erin.SlackID {
			t.Errorf("request %s: removal_started %+v, revoked %+v", id, started, revoked)
		}
	}
	if c := e.lastEvent(carol, access.EventCancelled); c.Actor.SlackID != Erin.SlackID || c.Details["order"] != o.Details["order"] {
		t.Errorf("pending request's cancelled event = %+v", c)
	}

	e.waitMsg(mark, SandboxAuditChannel, "Revoke-all", "<@U0ERIN>", "db-prod", "3 grants", "1 open request", "leaked credentials INC-7")
	e.waitMsg(mark, dm(Alice), "revoked by <@U0ERIN>", alice, "leaked credentials")
	e.waitMsg(mark, dm(Mallory), "revoked by <@U0ERIN>", mallory)
	e.waitMsg(mark, dm(Carol), "cancelled by <@U0ERIN>", carol)
	e.waitMsg(mark, dm(Bob), carol, "Cancelled by <@U0ERIN>") // the approval DM, redrawn
	e.waitMsg(mark, dm(Bob), "Revoke-all", "db-prod", "3 grants")
	e.reply(mark, Erin, "Revoke-all of", "3 grants", "1 open request")
	e.noRejections()
}

// TestRevokeAllPerson: an admin ends every grant of one person, named as
// typed (@alice) or as Slack escapes it (<@U…|alice>); others keep theirs.
func TestRevokeAllPerson(t *testing.T) {
	e := startE2E(t)
	db, _ := e.grantTo(Alice, "db-prod 4h migrate the schema", Bob)
	graf, _ := e.grantTo(Alice, "grafana-admin 1h dashboards", Bob, Carol)
	mallory, _ := e.grantTo(Mallory, "db-prod 1h read the slow log", Bob)

	views := len(e.sb.Slack.ViewLog())
	e.slash(Erin, "/access", "revoke-all @alice left the company")
	v := e.confirmModal(Erin, views)
	if text := oneLine(v.Text()); !containsAll(text, "<@U0ALICE>", "2* active grants will end", "0* open requests") {
		t.Fatalf("confirmation for @alice: %s", text)
	}
	if _, err := e.sb.Slack.CloseView(e.ctx(), Erin.SlackID, v.ID); err != nil {
		t.Fatal(err)
	}
	if r := e.request(db); r.State != access.StateActive || len(e.orderEvents()) != 0 {
		t.Fatal("a closed confirmation ended something")
	}

	mark, views := e.sb.Slack.Mark(), len(e.sb.Slack.ViewLog())
	e.slash(Erin, "/access", "revoke-all <@U0ALICE|alice> left the company")
	v = e.confirmModal(Erin, views)
	e.confirm(Erin, v, "left the company")
	e.waitState(db, access.StateRevoked)
	e.waitState(graf, access.StateRevoked)
	if e.sb.Okta.IsMember(SandboxGroupDB, Alice.OktaID) || e.sb.Okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Error("Okta still holds Alice's access after revoke-all")
	}
	if !e.sb.Okta.IsMember(SandboxGroupDB, Mallory.OktaID) || e.request(mallory).State != access.StateActive {
		t.Error("revoke-all of Alice touched Mallory's grant")
	}
	o := e.orderEvents()
	if len(o) != 1 || o[0].Subject.SlackID != Alice.SlackID || o[0].Details["grants"] != "2" || o[0].Details["target"] != "person U0ALICE" {
		t.Fatalf("revoke_all events = %+v", o)
	}
	e.waitMsg(mark, SandboxAuditChannel, "Revoke-all", "<@U0ALICE>", "2 grants")
	e.noRejections()
}

// TestKillSwitchRefusedForNonAdmins: revoke-all, pause and resume by anyone
// but an admin are refused with words that say so, audited, and change
// nothing.
func TestKillSwitchRefusedForNonAdmins(t *testing.T) {
	e := startE2E(t)
	id, _ := e.grantTo(Alice, "db-prod 1h migrate", Bob)
	views := len(e.sb.Slack.ViewLog())
	for _, cmd := range []string{"revoke-all db-prod I want it gone", "revoke-all @alice me neither", "pause db-prod", "resume db-prod"} {
		mark := e.sb.Slack.Mark()
		e.slash(Bob, "/access", cmd)
		e.reply(mark, Bob, "Only accessbot's admins", "attempt was recorded")
	}
	if len(e.sb.Slack.ViewLog()) != views {
		t.Error("a confirmation was opened for a non-admin")
	}
	if r := e.request(id); r.State != access.StateActive || !e.sb.Okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Error("a refused revoke-all changed the grant")
	}
	ps, err := e.m.Store().Pauses(context.Background())
	if err != nil || len(ps) != 0 {
		t.Fatalf("pauses after a refused pause: %v, %v", ps, err)
	}
	actions := map[string]int{}
	for _, ev := range e.refusals(Bob) {
		if ev.Details["why"] == string(access.ReasonAdminsOnly) {
			actions[ev.Details["action"]]++
		}
	}
	if actions["revoke_all"] != 2 || actions["pause"] != 1 || actions["resume"] != 1 {
		t.Fatalf("audited refusals by action = %v", actions)
	}
}

// TestRevokeAllUnderRateLimit: with the fake Okta enforcing a small bucket
// for group membership, a revoke-all of many grants finishes without a
// storm of 429s: the removals go at the pace the budget allows.
func TestRevokeAllUnderRateLimit(t *testing.T) {
	e := startE2E(t)
	const n = 60
	ids := e.seedGrants(n, "db-prod", SandboxGroupDB)
	// 40 a second, of which the default share lets accessbot use 20: the
	// 60 removals need three windows.
	e.sb.Okta.SetRateLimit(fakeokta.BucketGroups, 40, time.Second)

	views := len(e.sb.Slack.ViewLog())
	e.slash(Erin, "/access", "revoke-all db-prod compromised")
	v := e.confirmModal(Erin, views)
	if !containsAll(v.Text(), "60* active grants") {
		t.Fatalf("confirmation: %s", oneLine(v.Text()))
	}
	e.confirm(Erin, v, "compromised")
	for _, id := range ids {
		e.waitState(id, access.StateRevoked)
	}
	if members := e.sb.Okta.Members(SandboxGroupDB); len(members) != 0 {
		t.Fatalf("Okta group still holds %d members: %v", len(members), members)
	}
	st := e.sb.Okta.RateStats()
	sent, limited := st.Requests[fakeokta.BucketGroups], st.Limited[fakeokta.BucketGroups]+st.ConcurrencyLimited
	t.Logf("group bucket: %d requests, %d answered 429, at most %d in flight", sent, limited, st.MaxInFlight)
	if sent < n {
		t.Fatalf("the fake counted %d group requests, want at least %d", sent, n)
	}
	if limited > 1 {
		t.Fatalf("%d of %d group requests were answered 429: the removals did not keep to the budget", limited, sent)
	}
	if strings.Count(e.logs.String(), `"order"`) == 0 {
		t.Error("the log does not name the order")
	}
}

// TestPauseAndResume: a paused resource refuses new requests at once and
// approvals of pending ones, saying who paused it and since when; the
// pause shows in list and help, is announced, survives a restart, and
// after resume both work again.
func TestPauseAndResume(t *testing.T) {
	e := startE2E(t)
	pending, bobDM := e.ask(Mallory, "db-prod 1h read the slow log", Bob)
	e.waitRouted(pending)

	mark := e.sb.Slack.Mark()
	e.slash(Erin, "/access", "pause db-prod INC-8 investigating")
	e.reply(mark, Erin, "Production database", "is paused")
	e.waitMsg(mark, SandboxAuditChannel, "Paused", "<@U0ERIN>", "db-prod", "INC-8 investigating")
	if ev := e.lastPauseEvent(access.EventPaused); ev.Actor.SlackID != Erin.SlackID || ev.Details["reason"] != "INC-8 investigating" {
		t.Fatalf("paused event = %+v", ev)
	}

	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h migrate")
	e.reply(mark, Alice, "Production database is paused by erin since", "INC-8 investigating", "no new requests")
	e.noRequestsFor(Alice, "db-prod")

	mark = e.sb.Slack.Mark()
	e.click(Bob, bobDM, bot.ActionApprove)
	e.reply(mark, Bob, "is paused by erin", "can't be approved", "stays pending")
	if r := e.request(pending); r.State != access.StatePending || len(r.Decisions) != 0 {
		t.Fatalf("approval of a paused resource's request went through: %s, %d decisions", r.State, len(r.Decisions))
	}
	if e.sb.Okta.GroupAdds(SandboxGroupDB, Mallory.OktaID) != 0 {
		t.Fatal("Okta was called for a paused resource")
	}
	if ev := e.lastEvent(pending, access.EventRefused); ev.Details["why"] != string(access.ReasonPausedApproval) {
		t.Fatalf("refused approval event = %+v", ev)
	}

	mark = e.sb.Slack.Mark()
	e.slash(Carol, "/access", "list")
	e.reply(mark, Carol, "Paused resources", "Production database", "paused by <@U0ERIN>")
	mark = e.sb.Slack.Mark()
	e.slash(Carol, "/access", "help")
	e.reply(mark, Carol, "`db-prod` — Production database", "paused", "revoke-all")
	if _, err := e.sb.Slack.SendEvent(e.ctx(), map[string]any{"type": "app_home_opened", "user": Carol.SlackID, "channel": dm(Carol), "tab": "home"}); err != nil {
		t.Fatal(err)
	}
	e.home(Carol, "shows the pause", func(v fakeslack.View) bool {
		return containsAll(v.Text(), "Paused resources", "Production database", "paused by <@U0ERIN>")
	})

	e.restart()
	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h migrate")
	e.reply(mark, Alice, "is paused by erin")
	e.noRequestsFor(Alice, "db-prod")

	mark = e.sb.Slack.Mark()
	e.slash(Erin, "/access", "resume db-prod")
	e.reply(mark, Erin, "no longer paused")
	e.waitMsg(mark, SandboxAuditChannel, "Resumed", "<@U0ERIN>", "db-prod")
	e.lastPauseEvent(access.EventResumed)

	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(pending, access.StateActive)
	if !e.sb.Okta.IsMember(SandboxGroupDB, Mallory.OktaID) {
		t.Fatal("approved after resume, but Okta does not hold the grant")
	}
	id, _ := e.grantTo(Alice, "db-prod 1h migrate", Bob)
	if !e.sb.Okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatalf("request %s after resume: Okta does not hold the grant", id)
	}
	e.noRejections()
}

// lastPauseEvent returns the newest event of typ about db-prod.
func (e *e2e) lastPauseEvent(typ access.EventType) access.Event {
	e.t.Helper()
	evs, err := e.m.Store().Events(context.Background(), access.EventFilter{ResourceID: "db-prod"})
	if err != nil {
		e.t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			return evs[i]
		}
	}
	e.t.Fatalf("no %s event for db-prod", typ)
	return access.Event{}
}

// noRequestsFor fails if p has a request for resource stored.
func (e *e2e) noRequestsFor(p SandboxPerson, resource string) {
	e.t.Helper()
	rs, err := e.m.Store().ListByRequester(context.Background(), p.SlackID, false)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range rs {
		if r.ResourceID == resource {
			e.t.Fatalf("%s has request %s for %s (%s) while it is paused", p.Name, r.ID, resource, r.State)
		}
	}
}

// seedGrants stores n active grants of resource (an Okta group) to new
// people, as accessbot records the grants it made, and puts them in the
// group in Okta; it returns the request ids.
func (e *e2e) seedGrants(n int, resource, group string) []string {
	e.t.Helper()
	now := e.sb.Clock.Now().UTC()
	var ids []string
	for i := range n {
		u := SandboxPerson{Name: fmt.Sprintf("user%02d", i), SlackID: fmt.Sprintf("U0USER%02d", i), OktaID: fmt.Sprintf("00uuser%02d", i), Email: fmt.Sprintf("user%02d@example.com", i)}
		e.sb.Slack.AddUser(fakeslack.User{ID: u.SlackID, Name: u.Name, RealName: u.Name, Email: u.Email})
		e.sb.Okta.AddUser(fakeokta.User{ID: u.OktaID, Login: u.Email, Email: u.Email, FirstName: u.Name, LastName: "Example", Status: "ACTIVE"})
		e.sb.Okta.AddMember(group, u.OktaID)
		r := &access.Request{
			ID: fmt.Sprintf("seed%04d", i), Kind: access.KindAccess, Requester: access.User{SlackID: u.SlackID, Email: u.Email, Name: u.Name},
			ResourceID: resource, Duration: 4 * time.Hour, Reason: "on-call rotation", State: access.StateActive,
			CreatedAt: now, UpdatedAt: now, DecidedAt: now,
			Grant: access.Grant{Checked: true, Account: access.Account{ID: u.OktaID, Login: u.Email},
				Target: access.Target{Kind: access.TargetGroup, ID: group}, GrantedAt: now, ExpiresAt: now.Add(4 * time.Hour)},
		}
		r.Due = r.NextDue(e.cfg.Timing())
		if err := e.m.Store().Create(context.Background(), r); err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

// TestRevokeAllFinishesAfterRestart: a bot stopped while an order's
// removals wait for Okta's budget finishes them when it starts again, from
// what the store holds.
func TestRevokeAllFinishesAfterRestart(t *testing.T) {
	e := startE2E(t)
	ids := e.seedGrants(8, "db-prod", SandboxGroupDB)
	// Two a second, one of them accessbot's: the removals take seconds.
	e.sb.Okta.SetRateLimit(fakeokta.BucketGroups, 2, time.Second)
	views := len(e.sb.Slack.ViewLog())
	e.slash(Erin, "/access", "revoke-all db-prod compromised")
	e.confirm(Erin, e.confirmModal(Erin, views), "compromised")
	e.waitFor("the first ordered removal", func() bool {
		for _, id := range ids {
			if e.request(id).State == access.StateRevoked {
				return true
			}
		}
		return false
	})
	e.stop()
	st, err := store.Open(filepath.Join(e.sb.Dir, "accessbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	left := 0
	for _, id := range ids {
		r, err := st.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if r.State == access.StateActive {
			left++
			if !r.Grant.Removal.Urgent() {
				t.Fatalf("request %s: the stored removal does not carry the order: %+v", id, r.Grant.Removal)
			}
		}
	}
	if left == 0 {
		t.Fatal("every removal was done before the stop; the test shows nothing")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d removals left at the stop", left, len(ids))
	e.sb.Okta.SetRateLimit(fakeokta.BucketGroups, 0, 0)
	e.start()
	for _, id := range ids {
		if r := e.waitState(id, access.StateRevoked); r.Grant.Removal.By.SlackID != Erin.SlackID {
			t.Errorf("request %s revoked by %+v, want the admin who gave the order", id, r.Grant.Removal.By)
		}
	}
	if members := e.sb.Okta.Members(SandboxGroupDB); len(members) != 0 {
		t.Fatalf("Okta group still holds %v after the restart", members)
	}
	if len(e.orderEvents()) != 1 {
		t.Fatal("the restart recorded the order again")
	}
}
