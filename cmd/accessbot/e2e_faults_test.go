package main

import (
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// Faults at the edges (issue #6): Okta slow, refusing connections or
// rate-limiting, Slack rate-limiting or failing a DM, PagerDuty unreachable.
// Each is retried with capped, jittered backoff (driven here with the
// sandbox clock) and nothing is lost.

// retryUntil advances the sandbox clock to each next attempt that next
// reports (zero: no attempt pending) and waits for the bot to make it, until
// done holds. It returns the waits the bot chose, in order.
func (e *e2e) retryUntil(id string, next func(r *access.Request) time.Time, done func(r *access.Request) bool) []time.Duration {
	e.t.Helper()
	var waits []time.Duration
	r := e.request(id)
	for !done(r) {
		at := next(r)
		if at.IsZero() {
			e.t.Fatalf("request %s (%s) has no next attempt", id, r.State)
		}
		waits = append(waits, at.Sub(r.UpdatedAt))
		e.advance(at.Sub(e.sb.Clock.Now()) + time.Millisecond)
		e.waitFor("the next attempt", func() bool {
			r = e.request(id)
			return done(r) || next(r).After(at)
		})
		if len(waits) > 20 {
			e.t.Fatalf("request %s still not done after %d attempts", id, len(waits))
		}
	}
	return waits
}

func provisionNext(r *access.Request) time.Time { return r.Grant.Provision.NextAt }

func removalNext(r *access.Request) time.Time {
	if r.Grant.Removal == nil {
		return time.Time{}
	}
	return r.Grant.Removal.Retry.NextAt
}

// checkBackoff asserts the workflow's schedule: exponential from 2 s, capped
// at 5 min, each wait jittered down by at most 10% (so retries after an
// outage do not all arrive at once).
func checkBackoff(t *testing.T, waits []time.Duration) {
	t.Helper()
	d := 2 * time.Second
	for i, w := range waits {
		if w < d-d/10 || w > d {
			t.Errorf("wait before attempt %d = %v, want within [%v, %v]", i+2, w, d-d/10, d)
		}
		d = min(2*d, 5*time.Minute)
	}
}

func TestOktaSlowerThanTheClientTimeout(t *testing.T) {
	e := startE2E(t, func(cfg string) string {
		return strings.Replace(cfg, "request_timeout: 5s", "request_timeout: 1s", 1)
	})
	okta := e.sb.Okta
	// Okta holds the grant longer than the client waits: the attempt fails
	// (Okta never applies it: the client went away), and is retried.
	okta.FailNext("PUT", "/api/v1/groups/", fakeokta.Fault{Delay: 3 * time.Second})
	id, bobDM := e.ask(Alice, "db-prod 1h INC-12 slow queries", Bob)
	mark := e.sb.Slack.Mark()
	e.click(Bob, bobDM, bot.ActionApprove)
	evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisionFailed)
	// net/http words the same time-out as "Client.Timeout exceeded" or as
	// "context deadline exceeded", depending on where the request was.
	if why := evs[2].Details["error"]; !containsAll(why, "Timeout") && !containsAll(why, "deadline exceeded") {
		t.Errorf("provision_failed error = %q, want the client time-out", why)
	}
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("member although the grant timed out")
	}
	e.noDM(mark, Alice, "Access granted")
	checkBackoff(t, e.retryUntil(id, provisionNext, func(r *access.Request) bool { return r.State == access.StateActive }))
	e.waitMsg(mark, dm(Alice), "Access granted")

	// The removal too: slow, timed out, retried until Okta confirms.
	okta.FailNext("DELETE", "/api/v1/groups/", fakeokta.Fault{Delay: 3 * time.Second})
	e.advance(time.Hour)
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisionFailed, access.EventProvisioned,
		access.EventRemovalStarted, access.EventRemovalFailed)
	if !okta.IsMember(SandboxGroupDB, Alice.OktaID) || e.request(id).State != access.StateActive {
		t.Fatal("a timed-out removal must leave the grant active with its removal pending")
	}
	checkBackoff(t, e.retryUntil(id, removalNext, func(r *access.Request) bool { return r.State == access.StateExpired }))
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("still a member")
	}
	if n := okta.GroupAdds(SandboxGroupDB, Alice.OktaID); n != 1 {
		t.Fatalf("group adds = %d, want 1", n)
	}
	e.noRejections()
}

func TestOktaDownGrantAndRemovalRetriedAndAlerted(t *testing.T) {
	e := startE2E(t) // timing.removal_alert_after: 3
	okta := e.sb.Okta
	id, bobDM := e.ask(Alice, "db-prod 1h INC-13 replica lag", Bob)
	okta.Down(true) // connection refused
	mark := e.sb.Slack.Mark()
	e.click(Bob, bobDM, bot.ActionApprove)
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisionFailed)
	waits := e.retryUntil(id, provisionNext, func(r *access.Request) bool { return r.Grant.Provision.Attempts >= 3 })
	if r := e.request(id); r.State != access.StateApproved {
		t.Fatalf("after 3 refused connections the request is %s, want approved (retrying)", r.State)
	}
	okta.Down(false)
	waits = append(waits, e.retryUntil(id, provisionNext, func(r *access.Request) bool { return r.State == access.StateActive })...)
	checkBackoff(t, waits)
	e.waitMsg(mark, dm(Alice), "Access granted")

	// Okta goes down again before the grant ends: the removal is recorded,
	// retried with backoff, visible as pending, and loudly alerted on after
	// the third failure, once.
	okta.Down(true)
	mark = e.sb.Slack.Mark()
	e.advance(time.Hour)
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisionFailed, access.EventProvisionFailed,
		access.EventProvisionFailed, access.EventProvisioned, access.EventRemovalStarted, access.EventRemovalFailed)
	waits = e.retryUntil(id, removalNext, func(r *access.Request) bool { return r.Grant.Removal.Retry.Attempts >= 3 })
	alert := e.waitMsg(mark, SandboxAuditChannel, "removal failing", id)
	if !containsAll(alert.Text(), "Okta could not be reached", "3 times") {
		t.Errorf("audit channel alert: %s", oneLine(alert.Text()))
	}
	e.waitFor("the loud log line", func() bool {
		for _, l := range strings.Split(e.logs.String(), "\n") {
			if strings.Contains(l, `"level":"error"`) && strings.Contains(l, "removal keeps failing") && strings.Contains(l, id) {
				return true
			}
		}
		return false
	})
	r := e.request(id)
	if r.State != access.StateActive || r.Grant.Removal == nil || !r.Grant.Removal.Alerted || !r.Grant.EndedAt.IsZero() {
		t.Fatalf("store: state %s, removal %+v", r.State, r.Grant.Removal)
	}
	lmark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "list")
	e.reply(lmark, Alice, "removal pending", "3 time(s)", id)

	// It keeps trying — the waits double up to the 5-minute cap — and says
	// so only once.
	waits = append(waits, e.retryUntil(id, removalNext, func(r *access.Request) bool { return r.Grant.Removal.Retry.Attempts >= 10 })...)
	checkBackoff(t, waits)
	if !okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("membership gone while Okta was down")
	}
	okta.Down(false)
	e.retryUntil(id, removalNext, func(r *access.Request) bool { return r.State == access.StateExpired })
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("still a member after Okta came back")
	}
	e.waitMsg(mark, dm(Alice), "expired")
	alerts := 0
	for _, m := range e.sb.Slack.MessageLog() {
		if m.Seq > mark && m.Channel == SandboxAuditChannel && containsAll(m.Text(), "removal failing") {
			alerts++
		}
	}
	if alerts != 1 {
		t.Fatalf("audit channel alerted %d times, want once", alerts)
	}
	failed := 0
	for _, ev := range e.trail(id) {
		if ev.Type == access.EventRemovalFailed {
			failed++
		}
	}
	if failed != 10 {
		t.Fatalf("removal_failed events = %d, want 10", failed)
	}
	e.noRejections()
}

func TestSlackRateLimitIsWaitedOut(t *testing.T) {
	e := startE2E(t)
	// The first approval DM posted (Bob's or Carol's: they go out together)
	// is answered 429 Retry-After: 1; slack-go waits and sends it again.
	e.sb.Slack.FailNext("chat.postMessage", fakeslack.Fault{Status: 429, RetryAfter: time.Second})
	mark := e.sb.Slack.Mark()
	id, bobDM := e.ask(Alice, "db-prod 1h INC-14 lock contention", Bob)
	e.approvalDM(mark, Carol)
	var limited, sent *fakeslack.Call
	for _, c := range e.sb.Slack.Calls("chat.postMessage") {
		if c.Status == 429 && limited == nil {
			limited = &c
		} else if limited != nil && c.Status == 200 && c.Form.Get("channel") == limited.Form.Get("channel") && sent == nil {
			sent = &c
		}
	}
	if limited == nil || sent == nil {
		t.Fatal("no 429 followed by a successful retry of the same post")
	}
	if gap := sent.Time.Sub(limited.Time); gap < time.Second {
		t.Fatalf("retried %v after the 429, before Retry-After", gap)
	}
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	e.noRejections()
}

func TestSlackErrorOnOneApprovalDM(t *testing.T) {
	e := startE2E(t)
	// The first approval DM fails with a 500 (not retried: a post may have
	// landed); the other approver is still asked and can decide.
	e.sb.Slack.FailNext("chat.postMessage", fakeslack.Fault{Status: 500})
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h INC-15 failover drill")
	e.waitFor("both approval DMs tried", func() bool { return len(e.sb.Slack.Calls("chat.postMessage")) >= 2 })
	var failed fakeslack.Call // the DMs go out together: either may be the one that failed
	for _, c := range e.sb.Slack.Calls("chat.postMessage") {
		if c.Status == 500 {
			failed = c
			break
		}
	}
	if failed.Status != 500 {
		t.Fatalf("no approval DM was answered 500: %+v", e.sb.Slack.Calls("chat.postMessage"))
	}
	lost, asked := Bob, Carol
	if failed.Form.Get("channel") == dm(Carol) {
		lost, asked = Carol, Bob
	} else if failed.Form.Get("channel") != dm(Bob) {
		t.Fatalf("the failed post went to %s, not an approver", failed.Form.Get("channel"))
	}
	msg, id := e.approvalDM(mark, asked)
	e.reply(mark, Alice, id)
	e.waitFor("the failure logged", func() bool { return strings.Contains(e.logs.String(), "send approval request") })
	for _, m := range e.sb.Slack.Messages(dm(lost)) {
		if hasButton(m, bot.ActionApprove) {
			t.Fatalf("%s got a DM although the post failed", lost.Name)
		}
	}
	e.click(asked, msg, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	e.noRejections()
}

func TestPagerDutyUnreachableFallsBackToApprovers(t *testing.T) {
	e := startE2E(t, func(cfg string) string {
		// Nothing listens there: connection refused.
		return strings.Replace(cfg, "api_url: "+pagerDutyURL(cfg), "api_url: http://127.0.0.1:1", 1)
	})
	// Alice is on call, but PagerDuty cannot say so: her request goes to people.
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request aws-prod-read 1h INC-16 dashboards red")
	bobDM, id := e.approvalDM(mark, Bob)
	e.waitMsg(mark, dm(Alice), "PagerDuty could not be asked")
	if r := e.request(id); r.State != access.StatePending || r.OnCall != nil {
		t.Fatalf("request = %s, on call %+v", r.State, r.OnCall)
	}
	// Break-glass is refused, with a way forward, and audited.
	bmark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "breakglass aws-prod-read prod is down")
	e.reply(bmark, Alice, "PagerDuty could not be asked", "/access request aws-prod-read")
	if w := e.sb.Okta.Writes(); len(w) != 0 {
		t.Fatalf("Okta writes without approval: %+v", w)
	}
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	e.noRejections()
}

// pagerDutyURL finds pagerduty.api_url in a sandbox config.
func pagerDutyURL(cfg string) string {
	_, rest, _ := strings.Cut(cfg, "pagerduty:\n")
	_, rest, _ = strings.Cut(rest, "api_url: ")
	url, _, _ := strings.Cut(rest, "\n")
	return url
}

func TestOktaRateLimitOnRemoval(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	id, bobDM := e.ask(Alice, "db-prod 1h INC-17 slow disk", Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	// First a 429 whose X-Rate-Limit-Reset has passed, three times: the SDK
	// retries twice at once and gives up; the bot records the failure and
	// tries again after its backoff. Then a 429 that resets within the
	// second: the SDK waits for it and the removal goes through.
	okta.FailNext("DELETE", "/api/v1/groups/", fakeokta.Fault{Status: 429, Times: 3, RateLimitReset: -time.Second})
	okta.FailNext("DELETE", "/api/v1/groups/", fakeokta.Fault{Status: 429, RateLimitReset: 0})
	e.advance(time.Hour)
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned,
		access.EventRemovalStarted, access.EventRemovalFailed)
	if why := e.lastEvent(id, access.EventRemovalFailed).Details["error"]; !containsAll(why, "429") {
		t.Errorf("removal_failed error = %q", why)
	}
	checkBackoff(t, e.retryUntil(id, removalNext, func(r *access.Request) bool { return r.State == access.StateExpired }))
	deletes := oktaWrites(okta, "DELETE")
	if len(deletes) != 5 || deletes[4].Status != 204 || deletes[4].RetryCount != "1" {
		t.Fatalf("DELETEs = %+v", deletes)
	}
	if gap := deletes[4].Time.Sub(deletes[3].Time); gap < 500*time.Millisecond {
		t.Fatalf("retried %v after the 429, before X-Rate-Limit-Reset", gap)
	}
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned,
		access.EventRemovalStarted, access.EventRemovalFailed, access.EventExpired)
	e.noRejections()
}
