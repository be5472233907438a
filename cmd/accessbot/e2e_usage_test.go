package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/workflow"
)

// usageConfig leaves polling to the tests (one poll at start-up, then an
// hour between polls of the loop) and adds grafana-daily, an activity
// resource on the sandbox's Grafana app: kept while used, removed 2h after
// the last use, and 1d after it started in any case.
func usageConfig(t *testing.T) func(string) string {
	return func(cfg string) string {
		const old = "  request_timeout: 5s\n"
		if !strings.Contains(cfg, old) {
			t.Fatalf("the sandbox config no longer has the okta line this test edits:\n%s", cfg)
		}
		cfg = strings.Replace(cfg, old, old+"  usage_poll: 1h\n  reconcile_interval: 1h\n", 1)
		return cfg + `  - id: grafana-daily
    name: Grafana (daily)
    okta_app: ` + SandboxAppGrafana + `
    approvers: [bob@example.com, carol@example.com]
    durations: [1h]
    activity: {idle_after: 2h, max_age: 1d}
`
	}
}

// poll runs one usage poll in the test's goroutine.
func (e *e2e) poll() {
	e.t.Helper()
	if err := e.m.Usage().Poll(e.ctx()); err != nil {
		e.t.Fatalf("usage poll: %v", err)
	}
}

// cursor returns the stored System Log cursor.
func (e *e2e) cursor() string {
	e.t.Helper()
	c, err := e.m.Store().Value(context.Background(), workflow.UsageCursorKey)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// sso records a sign-on of p to app at the bot's clock's time and returns
// that time as the System Log publishes it (to the millisecond).
func (e *e2e) sso(p SandboxPerson, app string) time.Time {
	at := e.sb.Clock.Now().Truncate(time.Millisecond)
	e.sb.Okta.SSO(p.OktaID, app, at)
	return at
}

func wantUsage(t *testing.T, r *access.Request, uses int, first, last time.Time) {
	t.Helper()
	u := r.Grant.Usage
	if u.Uses != uses || !u.First.Equal(first) || !u.Last.Equal(last) {
		t.Fatalf("usage of %s = %d uses, first %s, last %s; want %d, %s, %s", r.ID, u.Uses, u.First, u.Last, uses, first, last)
	}
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// A group resource is used through an app assigned to the group; a sign-on
// into another app, or from before the grant, is not a use. The revocation
// carries the use in the trail.
func TestUsageOfGroupThroughAssignedApp(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	okta := e.sb.Okta
	okta.AddApp("0oapgadmin", "pgAdmin")
	okta.AssignGroupApp(SandboxGroupDB, "0oapgadmin")
	e.sso(Alice, "0oapgadmin") // before the grant
	e.advance(time.Minute)
	id, _ := e.grantTo(Alice, "db-prod 4h migration", Bob)

	e.advance(10 * time.Minute)
	first := e.sso(Alice, "0oapgadmin")
	e.sso(Alice, SandboxAppGrafana) // not assigned to the group
	e.sso(Bob, "0oapgadmin")        // not Alice's grant
	e.advance(20 * time.Minute)
	last := e.sso(Alice, "0oapgadmin")
	e.poll()
	wantUsage(t, e.request(id), 2, first, last)

	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "revoke "+id)
	e.waitState(id, access.StateRevoked)
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("Alice is still in the group after the revocation")
	}
	ev := e.lastEvent(id, access.EventRevoked)
	if ev.Details["uses"] != "2" || ev.Details["first_used"] != rfc(first) || ev.Details["last_used"] != rfc(last) {
		t.Fatalf("revoked details = %v", ev.Details)
	}
	e.waitMsg(mark, dm(Alice), "revoked")
}

// A grant never used says so: no first_used or last_used in the trail,
// "not used since you got it" in the reminder.
func TestUnusedGrantReminderAndExpiry(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	id, _ := e.grantTo(Alice, "db-prod 4h migration", Bob)
	e.poll()
	mark := e.sb.Slack.Mark()
	e.advance(3*time.Hour + time.Minute)
	rem := e.reminder(mark, Alice, id)
	if !strings.Contains(rem.Text(), "not used since you got it") {
		t.Fatalf("reminder: %s", oneLine(rem.Text()))
	}
	e.advance(time.Hour)
	e.waitState(id, access.StateExpired)
	ev := e.lastEvent(id, access.EventExpired)
	if ev.Details["uses"] != "0" || ev.Details["first_used"] != "" || ev.Details["last_used"] != "" {
		t.Fatalf("expired details = %v", ev.Details)
	}
}

// A stop after a page's uses were counted and before its cursor was saved
// reads the page again at start-up: what was counted is not counted again,
// what was not is.
func TestUsageCountedOnceAcrossRestartMidPage(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	id, _ := e.grantTo(Alice, "db-prod 4h migration", Bob)
	okta := e.sb.Okta
	okta.AddApp("0oapgadmin", "pgAdmin")
	okta.AssignGroupApp(SandboxGroupDB, "0oapgadmin")
	bobID, _ := e.grantTo(Bob, "db-prod 4h migration", Carol)
	e.poll()
	before := e.cursor()
	if before == "" {
		t.Fatal("no cursor saved after a poll")
	}

	e.advance(time.Minute)
	a1 := e.sso(Alice, "0oapgadmin")
	e.poll() // Alice's use counted, the cursor moved past it
	wantUsage(t, e.request(id), 1, a1, a1)
	e.stop()

	// Bob's sign-on lands on the same page (from before), and the bot is
	// left as a stop between counting Alice's use and saving the cursor
	// leaves it.
	b1 := e.sso(Bob, "0oapgadmin")
	st, err := openStore(context.Background(), e.cfg.Store, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetValue(context.Background(), workflow.UsageCursorKey, before); err != nil {
		t.Fatal(err)
	}
	st.Close()

	e.start() // polls at start-up
	e.poll()
	wantUsage(t, e.request(id), 1, a1, a1)
	wantUsage(t, e.request(bobID), 1, b1, b1)
	e.restart()
	e.poll()
	wantUsage(t, e.request(id), 1, a1, a1)
	wantUsage(t, e.request(bobID), 1, b1, b1)
}

// The System Log failing (500) or rate-limiting past the retries (429)
// leaves the cursor where it was; the next poll counts the use once.
func TestUsageLogFaultsKeepTheCursor(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	id, _ := e.grantTo(Alice, "grafana-daily activity dashboards", Bob)
	// The poll the bot makes at start-up must not take the faults below:
	// once it has asked Okta, the test's poll waits for it to finish.
	e.waitFor("the start-up poll", func() bool { return logCalls(e.sb.Okta) > 0 })
	e.poll()
	before := e.cursor()
	e.advance(time.Minute)
	used := e.sso(Alice, SandboxAppGrafana)

	okta := e.sb.Okta
	okta.FailNext("GET", "/api/v1/logs", fakeokta.Fault{Status: 500})
	if err := e.m.Usage().Poll(e.ctx()); access.ErrorCode(err) != access.EUNAVAILABLE {
		t.Fatalf("poll during a 500 = %v, want EUNAVAILABLE", err)
	}
	if e.cursor() != before || e.request(id).Grant.Usage.Uses != 0 {
		t.Fatalf("a failed poll moved the cursor (%q → %q) or counted", before, e.cursor())
	}

	// Three 429s: the client waits out X-Rate-Limit-Reset twice, then gives
	// the poll up.
	okta.FailNext("GET", "/api/v1/logs", fakeokta.Fault{Status: 429, Times: 3})
	if err := e.m.Usage().Poll(e.ctx()); access.ErrorCode(err) != access.EUNAVAILABLE {
		t.Fatalf("poll while rate-limited = %v, want EUNAVAILABLE", err)
	}
	if e.cursor() != before || e.request(id).Grant.Usage.Uses != 0 {
		t.Fatal("a rate-limited poll moved the cursor or counted")
	}
	// One 429: waited out, and the poll goes on.
	okta.FailNext("GET", "/api/v1/logs", fakeokta.Fault{Status: 429})
	e.poll()
	wantUsage(t, e.request(id), 1, used, used)
	e.poll()
	wantUsage(t, e.request(id), 1, used, used)
	if e.cursor() == before {
		t.Fatal("the cursor did not move after a successful poll")
	}
}

// An activity grant stays while it is used and is removed idle_after after
// the last use; the removal carries the use.
func TestActivityGrantKeptAliveByUseThenIdle(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	okta := e.sb.Okta
	id, _ := e.grantTo(Alice, "grafana-daily activity daily dashboards", Bob)
	r := e.request(id)
	if r.Activity == nil || !r.Grant.ExpiresAt.Equal(r.Grant.GrantedAt.Add(2*time.Hour)) {
		t.Fatalf("activity grant ends %s, want 2h after %s", r.Grant.ExpiresAt, r.Grant.GrantedAt)
	}
	var first, last time.Time
	for i := range 3 { // a use every 90 minutes: 4h30m, past the first idle end
		e.advance(90 * time.Minute)
		last = e.sso(Alice, SandboxAppGrafana)
		if i == 0 {
			first = last
		}
		e.poll()
		e.sweepNow()
		r = e.request(id)
		if r.State != access.StateActive || !r.Grant.ExpiresAt.Equal(last.Add(2*time.Hour)) {
			t.Fatalf("after use %d: state %s, ends %s; want active until %s", i+1, r.State, r.Grant.ExpiresAt, last.Add(2*time.Hour))
		}
		if !okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
			t.Fatal("the app was unassigned while in use")
		}
	}
	mark := e.sb.Slack.Mark()
	e.advance(2*time.Hour - 5*time.Minute) // the 10m reminder counts back from the idle removal
	rem := e.waitMsg(mark, dm(Alice), "⏰", id, "unless you use it", "last used")
	if got := joinIDs(buttonIDs(rem)); got != joinIDs([]string{bot.ActionKeep, bot.ActionRevoke}) {
		t.Fatalf("activity reminder buttons = %s", got)
	}
	e.advance(5 * time.Minute)
	e.waitState(id, access.StateExpired)
	if okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Fatal("the app is still assigned after the idle removal")
	}
	ev := e.lastEvent(id, access.EventExpired)
	if ev.Details["uses"] != "3" || ev.Details["first_used"] != rfc(first) || ev.Details["last_used"] != rfc(last) || ev.Details["duration"] != "activity" {
		t.Fatalf("expired details = %v", ev.Details)
	}
}

// max_age ends an activity grant used all the time.
func TestActivityGrantEndsAtMaxAge(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	okta := e.sb.Okta
	id, _ := e.grantTo(Alice, "grafana-daily activity daily dashboards", Bob)
	granted := e.request(id).Grant.GrantedAt
	for e.sb.Clock.Now().Before(granted.Add(23 * time.Hour)) {
		e.advance(time.Hour)
		e.sso(Alice, SandboxAppGrafana)
		e.poll()
		e.sweepNow()
		if r := e.request(id); r.State != access.StateActive {
			t.Fatalf("%s after the grant: %s, want active while used", e.sb.Clock.Now().Sub(granted), r.State)
		}
	}
	if r := e.request(id); !r.Grant.ExpiresAt.Equal(granted.Add(24 * time.Hour)) {
		t.Fatalf("ends %s, want max_age after the start, %s", r.Grant.ExpiresAt, granted.Add(24*time.Hour))
	}
	mark := e.sb.Slack.Mark()
	e.advance(time.Hour)
	e.sso(Alice, SandboxAppGrafana)
	e.poll()
	e.waitState(id, access.StateExpired)
	if okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Fatal("the app is still assigned after max_age")
	}
	e.waitMsg(mark, dm(Alice), "expired")
}

// Keep it counts as a use, once per idle_after; Remove now removes.
func TestActivityKeepItAndRemoveNow(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	okta := e.sb.Okta
	id, _ := e.grantTo(Alice, "grafana-daily activity daily dashboards", Bob)
	mark := e.sb.Slack.Mark()
	e.advance(time.Hour) // the 1h reminder before the idle removal
	rem := e.waitMsg(mark, dm(Alice), "⏰", id, "not used since you got it")

	e.click(Mallory, rem, bot.ActionKeep)
	e.reply(mark, Mallory, "Only the holder can answer this reminder")
	kept := e.sb.Clock.Now()
	e.click(Alice, rem, bot.ActionKeep)
	e.waitFor("Keep it recorded", func() bool { return e.request(id).Grant.Usage.Uses == 1 })
	r := e.request(id)
	if !r.Grant.ExpiresAt.Equal(kept.Add(2*time.Hour)) || !r.Grant.Usage.Last.Equal(kept) {
		t.Fatalf("after Keep it: ends %s, last use %s; want %s and %s", r.Grant.ExpiresAt, r.Grant.Usage.Last, kept.Add(2*time.Hour), kept)
	}
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventReminded, access.EventRefused, access.EventKept)

	mark = e.sb.Slack.Mark()
	e.advance(time.Hour)
	rem = e.waitMsg(mark, dm(Alice), "⏰", id, "last used 1h ago")
	e.click(Alice, rem, bot.ActionKeep) // within idle_after of the last Keep it
	e.reply(mark, Alice, "kept this access already")
	if n := e.request(id).Grant.Usage.Uses; n != 1 {
		t.Fatalf("a second Keep it within idle_after counted: %d uses", n)
	}
	e.click(Alice, rem, bot.ActionRevoke)
	e.waitState(id, access.StateRevoked)
	if okta.AppAssigned(SandboxAppGrafana, Alice.OktaID) {
		t.Fatal("the app is still assigned after Remove now")
	}
	if ev := e.lastEvent(id, access.EventRevoked); ev.Details["uses"] != "1" || ev.Details["last_used"] != rfc(kept) {
		t.Fatalf("revoked details = %v", ev.Details)
	}
}

// The inline word activity is refused, saying what is allowed, where the
// resource does not offer it.
func TestActivityRefusedWhereNotOffered(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod activity migration")
	e.reply(mark, Alice, "does not offer access while you use it")
}

// Approvers of an extension see whether the access was used.
func TestExtensionShowsUse(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	e.sb.Okta.AddApp("0oapgadmin", "pgAdmin")
	e.sb.Okta.AssignGroupApp(SandboxGroupDB, "0oapgadmin")
	id, _ := e.grantTo(Alice, "db-prod 1h long query", Bob)
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "extend "+id+" 1h")
	dm, ext := e.approvalDM(mark, Carol)
	if !containsAll(dm.Text(), "Extension request", "not been used") {
		t.Fatalf("extension DM of an unused grant: %s", oneLine(dm.Text()))
	}
	e.slash(Alice, "/access", "cancel "+ext)
	e.waitState(ext, access.StateCancelled)

	e.advance(10 * time.Minute)
	e.sso(Alice, "0oapgadmin")
	e.advance(20 * time.Minute)
	e.poll()
	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "extend "+id+" 1h")
	dm, ext = e.approvalDM(mark, Carol)
	if !containsAll(dm.Text(), "Extension request", "It was used once, last 20m ago") {
		t.Fatalf("extension DM of a used grant: %s", oneLine(dm.Text()))
	}
	ev := e.lastEvent(ext, access.EventExtensionRequested)
	if ev.Details["uses"] != "1" || ev.Details["last_used"] == "" {
		t.Fatalf("extension_requested details = %v", ev.Details)
	}
}

// logCalls counts the System Log requests the fake Okta received.
func logCalls(okta *fakeokta.Server) int {
	n := 0
	for _, c := range okta.Calls() {
		if c.Path == "/api/v1/logs" {
			n++
		}
	}
	return n
}
