package main

// End-to-end tests of issue 13: dry run belongs to the grant; approvals
// count only people who are approvers when the decision is made; refused
// break-glass attempts reach the audit channel once in a while, with a
// count; grants stored by an older accessbot get their account and target
// recorded at start-up and are removed from that target.

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/store"
)

func TestDryRunGrantNeverRemovesAHandMadeMembership(t *testing.T) {
	e := startE2E(t, withDryRun)
	okta := e.sb.Okta
	id, _ := e.grantTo(Dave, "db-prod 1h INC-103 trying it out", Bob)
	e.wantRecorded(id, Dave.OktaID, access.Target{Kind: access.TargetGroup, ID: SandboxGroupDB}, true)
	if w := okta.Writes(); len(w) != 0 {
		t.Fatalf("a dry-run grant wrote to Okta: %+v", w)
	}
	// An admin gives Dave the access by hand; then dry run is switched off.
	okta.AddMember(SandboxGroupDB, Dave.OktaID)
	e.restartWith()
	if e.cfg.Okta.DryRun {
		t.Fatal("still in dry run")
	}

	mark := e.sb.Slack.Mark()
	e.advance(time.Hour)
	e.waitState(id, access.StateExpired)
	if !okta.IsMember(SandboxGroupDB, Dave.OktaID) {
		t.Fatal("the expiry of a dry-run grant removed a membership made by hand")
	}
	if w := okta.Writes(); len(w) != 0 {
		t.Fatalf("Okta writes: %+v", w)
	}
	e.waitMsg(mark, dm(Dave), "expired")
	evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventRemovalStarted, access.EventExpired)
	for _, ev := range evs[2:] {
		if ev.Details["dry_run"] != "true" {
			t.Fatalf("%s event of a dry-run grant: %v", ev.Type, ev.Details)
		}
	}
	e.noRejections()
}

func TestRealGrantRemovedForRealInDryRun(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	okta.AddMember(SandboxGroupDB, Carol.OktaID) // standing
	id, _ := e.grantTo(Alice, "db-prod 1h INC-104 real", Bob)
	e.wantRecorded(id, Alice.OktaID, access.Target{Kind: access.TargetGroup, ID: SandboxGroupDB}, false)
	e.restartWith(withDryRun)
	if !e.cfg.Okta.DryRun {
		t.Fatal("not in dry run")
	}
	// A new grant in dry run changes nothing in Okta...
	dry, _ := e.grantTo(Dave, "db-prod 1h INC-105 dry", Bob)

	// ...and both expire: the real one is really removed.
	e.advance(time.Hour)
	e.waitState(id, access.StateExpired)
	e.waitState(dry, access.StateExpired)
	wantMembers(t, okta, SandboxGroupDB, Carol.OktaID)
	if n := okta.GroupRemovals(SandboxGroupDB, Alice.OktaID); n != 1 {
		t.Fatalf("removals = %d", n)
	}
	if okta.GroupAdds(SandboxGroupDB, Dave.OktaID) != 0 || okta.GroupRemovals(SandboxGroupDB, Dave.OktaID) != 0 {
		t.Fatal("the dry-run grant wrote to Okta")
	}
	evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventRemovalStarted, access.EventExpired)
	for _, ev := range evs[3:] {
		if ev.Details["dry_run"] != "false" {
			t.Fatalf("%s event of a real grant removed in dry run: %v", ev.Type, ev.Details)
		}
	}
	if x := e.lastEvent(dry, access.EventExpired); x.Details["dry_run"] != "true" {
		t.Fatalf("dry-run grant's expired event: %v", x.Details)
	}
	e.waitFor("the log to say so", func() bool {
		for _, l := range strings.Split(e.logs.String(), "\n") {
			if strings.Contains(l, `"level":"warn"`) && strings.Contains(l, "removing a real grant although the bot runs in dry run") && strings.Contains(l, id) {
				return true
			}
		}
		return false
	})
	e.noRejections()
}

// grafanaApprovers returns a config edit that sets grafana-admin's approvers.
func grafanaApprovers(t *testing.T, emails string) func(string) string {
	return func(text string) string {
		t.Helper()
		const old = "okta_app: " + SandboxAppGrafana + "\n    approvers: [bob@example.com, carol@example.com]\n"
		if !strings.Contains(text, old) {
			t.Fatal("grafana-admin's approvers are not where the test expects them")
		}
		return strings.Replace(text, old, "okta_app: "+SandboxAppGrafana+"\n    approvers: ["+emails+"]\n", 1)
	}
}

func TestApprovalOfARemovedApproverNoLongerCounts(t *testing.T) {
	e := startE2E(t, grafanaApprovers(t, "bob@example.com, carol@example.com, dave@example.com"))
	okta := e.sb.Okta
	mark := e.sb.Slack.Mark()
	id, bobDM := e.askInline(Alice, "grafana-admin 1h INC-106 dashboards", Bob) // min_approvals: 2
	carolDM, _ := e.approvalDM(mark, Carol)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitFor("Bob's approval", func() bool { return len(e.request(id).Decisions) == 1 })

	// Bob leaves the approvers.
	e.restartWith(grafanaApprovers(t, "carol@example.com, dave@example.com"))
	e.click(Carol, carolDM, bot.ActionApprove)
	e.waitFor("Carol's approval", func() bool { return len(e.request(id).Decisions) == 2 })
	e.sweepNow()
	if r := e.request(id); r.State != access.StatePending {
		t.Fatalf("after Bob (no longer an approver) and Carol the request is %s", r.State)
	}
	if okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Fatal("assigned on one eligible approval")
	}
	// Bob can't approve again either.
	mark = e.sb.Slack.Mark()
	if _, err := e.sb.Slack.ClickButtonValue(e.ctx(), Bob.SlackID, bobDM, bot.ActionApprove, id); err != nil {
		t.Fatal(err)
	}
	e.reply(mark, Bob, "You are not an approver of Grafana admin")

	// Dave, an approver now, approves from his Home tab.
	home := e.openHome(Dave)
	if !homeButton(home, bot.ActionApprove, id) {
		t.Fatalf("Dave's Home does not offer the request: %s", oneLine(home.Text()))
	}
	if _, err := e.sb.Slack.ClickHomeButton(e.ctx(), Dave.SlackID, bot.ActionApprove, id); err != nil {
		t.Fatal(err)
	}
	e.waitState(id, access.StateActive)
	if !okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Fatal("not assigned after two eligible approvals")
	}
	evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventApproved, access.EventRefused,
		access.EventApproved, access.EventProvisioned)
	for i, want := range map[int]string{1: "1", 2: "1", 4: "2"} {
		if got := evs[i].Details["approvals"]; got != want {
			t.Errorf("approved event %d by %s counts %s approvals, want %s", i, evs[i].Actor.Name, got, want)
		}
	}
	if evs[4].Actor.SlackID != Dave.SlackID {
		t.Fatalf("decided by %+v", evs[4].Actor)
	}
	// Nor may Bob revoke it: he approves nothing now.
	mark = e.sb.Slack.Mark()
	e.slash(Bob, "/access", "revoke "+id)
	e.reply(mark, Bob, "Only the holder, an approver of Grafana admin or an admin can revoke this access")
	if r := e.request(id); r.State != access.StateActive || r.Grant.Removal != nil || !okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Fatalf("a refused revoke changed the grant: %s %+v", r.State, r.Grant.Removal)
	}
	e.noRejections()
}

func TestRefusedBreakGlassAnnouncedOncePerTenMinutes(t *testing.T) {
	e := startE2E(t)
	mark := e.sb.Slack.Mark()
	for i := 0; i < 20; i++ {
		m := e.sb.Slack.Mark()
		e.slash(Mallory, "/access", "breakglass aws-prod-read prod down, let me in")
		e.reply(m, Mallory, "only for people on call")
	}
	e.waitFor("20 refusals in the trail", func() bool { return len(e.refusals(Mallory)) == 20 })
	posts := func() []string {
		var out []string
		for _, m := range e.posted(mark, SandboxAuditChannel) {
			if containsAll(m.Text(), "<@U0MALLORY>") {
				out = append(out, m.Text())
			}
		}
		return out
	}
	if got := posts(); len(got) != 1 {
		t.Fatalf("%d audit channel posts for 20 refused attempts, want 1: %q", len(got), got)
	}

	// Ten minutes later, the next attempt is posted again, with the count.
	e.advance(9*time.Minute + 59*time.Second)
	e.slash(Mallory, "/access", "breakglass aws-prod-read still down")
	e.waitFor("21 refusals", func() bool { return len(e.refusals(Mallory)) == 21 })
	if got := posts(); len(got) != 1 {
		t.Fatalf("posted again within ten minutes: %q", got)
	}
	e.advance(time.Second)
	e.slash(Mallory, "/access", "breakglass aws-prod-read still down")
	e.waitFor("a second post", func() bool { return len(posts()) == 2 })
	if got := posts()[1]; !containsAll(got, "20 more attempts were refused since the last notice") {
		t.Fatalf("second post: %s", oneLine(got))
	}
	e.waitFor("22 refusals in the trail", func() bool { return len(e.refusals(Mallory)) == 22 })
	if w := e.sb.Okta.Writes(); len(w) != 0 {
		t.Fatalf("refused break-glass wrote to Okta: %+v", w)
	}
	e.noRejections()
}

func TestGrantOfAnOlderVersionRecordedAtStartAndRemoved(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	okta.AddGroup(groupDBNew, "Production database (new cluster)")
	okta.AddMember(groupDBNew, Alice.OktaID) // standing on the group db-prod points to now
	okta.AddMember(SandboxGroupDB, Alice.OktaID)
	e.stop()

	// What an accessbot from before grants recorded their account left in
	// the store: an active grant on db-prod's group of the time, known only
	// from its provisioned event; db-prod has moved since.
	now := e.sb.Clock.Now()
	alice := access.User{SlackID: Alice.SlackID, Email: Alice.Email, Name: Alice.Name}
	bob := access.User{SlackID: Bob.SlackID, Email: Bob.Email, Name: Bob.Name}
	r := &access.Request{
		ID: "legacy01", Kind: access.KindAccess, Requester: alice, ResourceID: "db-prod", Duration: time.Hour,
		Reason: "INC-107 from before the upgrade", Approvers: []string{Bob.Email, Carol.Email}, State: access.StateActive,
		CreatedAt: now.Add(-11 * time.Minute), UpdatedAt: now.Add(-10 * time.Minute), DecidedAt: now.Add(-10 * time.Minute),
		Decisions: []access.Decision{{By: bob, At: now.Add(-10 * time.Minute), Approve: true}},
		Grant:     access.Grant{Checked: true, GrantedAt: now.Add(-10 * time.Minute), ExpiresAt: now.Add(50 * time.Minute)},
		Routed:    true,
	}
	r.Due = r.Grant.ExpiresAt
	expires := r.Grant.ExpiresAt.Format(time.RFC3339)
	st, err := store.Open(filepath.Join(e.sb.Dir, "accessbot.db"), store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Create(context.Background(), r,
		access.NewEvent(access.EventRequested, alice, r, r.CreatedAt, map[string]string{"duration": "1h"}),
		access.NewEvent(access.EventApproved, bob, r, r.DecidedAt, map[string]string{"approvals": "1", "required": "1"}),
		access.NewEvent(access.EventProvisioned, access.System, r, r.Grant.GrantedAt,
			map[string]string{"target": "group " + SandboxGroupDB, "expires_at": expires}))
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	e.cfg = e.config(repoint(t, SandboxGroupDB, groupDBNew))
	e.start()
	ev := e.lastEvent(r.ID, access.EventGrantRecorded)
	if ev.Details["okta_user"] != Alice.OktaID || ev.Details["target"] != "group "+SandboxGroupDB || ev.Details["dry_run"] != "false" {
		t.Fatalf("grant_recorded event = %+v", ev)
	}
	e.wantRecorded(r.ID, Alice.OktaID, access.Target{Kind: access.TargetGroup, ID: SandboxGroupDB}, false)
	if !containsAll(e.logs.String(), "grant made by an older accessbot") {
		t.Fatal("the start-up did not log the recorded grant")
	}

	mark := e.sb.Slack.Mark()
	e.advance(50 * time.Minute)
	e.waitState(r.ID, access.StateExpired)
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("the old grant was not removed from the group it was made on")
	}
	wantMembers(t, okta, groupDBNew, Alice.OktaID)
	if okta.GroupRemovals(groupDBNew, Alice.OktaID) != 0 {
		t.Fatal("removed from the group db-prod points to now")
	}
	e.waitMsg(mark, dm(Alice), "expired")
	e.wantTrail(r.ID, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventGrantRecorded,
		access.EventRemovalStarted, access.EventExpired)

	// Recorded once: a restart finds nothing more to record.
	e.restart()
	e.wantTrail(r.ID, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventGrantRecorded,
		access.EventRemovalStarted, access.EventExpired)
	e.noRejections()
}

func TestTimingChangesReachStoredRequests(t *testing.T) {
	// The automatic nudge is put past the new time-out, so that the
	// pending request's next due time is the time-out's, before and after.
	e := startE2E(t, func(text string) string {
		return strings.Replace(text, "pending_ttl: 24h", "pending_ttl: 24h\n  nudge_after: 12h", 1)
	})
	pending, _ := e.askInline(Dave, "db-prod 1h INC-113 nobody answers", Bob)
	grant, _ := e.grantTo(Alice, "db-prod 4h INC-114 long job", Bob)

	// pending_ttl 24h → 1h and reminders [1h, 10m] → [30m], then a restart.
	e.restartWith(func(text string) string {
		text = strings.Replace(text, "pending_ttl: 24h", "pending_ttl: 1h", 1)
		return strings.Replace(text, "reminders: [1h, 10m]", "reminders: [30m]", 1)
	})
	if !containsAll(e.logs.String(), `"rescheduled":2`) {
		t.Fatal("the start-up did not reschedule the two stored requests")
	}
	mark := e.sb.Slack.Mark()
	e.advance(time.Hour)
	e.waitState(pending, access.StateTimedOut)
	if x := e.lastEvent(pending, access.EventTimedOut); x.Details["pending_ttl"] != "1h" {
		t.Fatalf("timed_out event = %v", x.Details)
	}
	wantMembers(t, e.sb.Okta, SandboxGroupDB, Alice.OktaID) // Dave's request never granted
	e.advance(2*time.Hour + 29*time.Minute)
	e.sweepNow()
	e.noDM(mark, Alice, "⏰")
	e.advance(time.Minute) // 30m before the end
	rem := e.reminder(mark, Alice, grant)
	if x := e.lastEvent(grant, access.EventReminded); x.Details["lead"] != "30m" {
		t.Fatalf("reminded event = %v (%s)", x.Details, oneLine(rem.Text()))
	}
	e.wantTrail(grant, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventReminded)
	e.noRejections()
}
