package main

// End-to-end tests of issue 13, "nothing untracked": a grant Okta applied
// but answered with an error is removed when the bot gives up on it; an
// approved request still waiting for Okta can be cancelled or revoked, and
// whatever landed is removed, even a grant that lands afterwards.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// countEvents counts request id's audit events of type typ.
func (e *e2e) countEvents(id string, typ access.EventType) int {
	e.t.Helper()
	n := 0
	for _, t := range e.events(id) {
		if t == typ {
			n++
		}
	}
	return n
}

func TestGrantAppliedButAnsweredWithAnErrorIsRemovedWhenGivenUp(t *testing.T) {
	cases := []struct {
		name     string
		fault    fakeokta.Fault
		failures int // provision_failed events before the bot gives up
	}{
		// Every attempt lands and is answered 500, until the 10th is given up.
		{"500 every time", fakeokta.Fault{Status: http.StatusInternalServerError, Times: 10, AfterApplying: true}, 9},
		// A permanent error is given up at once.
		{"403 once", fakeokta.Fault{Status: http.StatusForbidden, AfterApplying: true}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t)
			okta := e.sb.Okta
			okta.AddMember(SandboxGroupDB, Carol.OktaID) // standing, someone else
			okta.FailNext(http.MethodPut, "/api/v1/groups/", tc.fault)
			id, bobDM := e.askInline(Alice, "db-prod 1h INC-95 flaky Okta", Bob)
			mark := e.sb.Slack.Mark()
			e.click(Bob, bobDM, bot.ActionApprove)
			e.waitFor("the first attempt to be recorded", func() bool { return e.request(id).Grant.Provision.Attempts >= 1 })
			if okta.GroupAdds(SandboxGroupDB, Alice.OktaID) < 1 {
				t.Fatal("the first attempt did not land")
			}
			// Given up: the removal of what landed runs at once.
			e.retryUntil(id, provisionNext, func(r *access.Request) bool { return r.State.Final() || r.Grant.Removal != nil })

			r := e.waitState(id, access.StateFailed)
			if okta.IsMember(SandboxGroupDB, Alice.OktaID) {
				t.Fatal("the grant that landed was left in Okta")
			}
			wantMembers(t, okta, SandboxGroupDB, Carol.OktaID)
			if adds, removals := okta.GroupAdds(SandboxGroupDB, Alice.OktaID), okta.GroupRemovals(SandboxGroupDB, Alice.OktaID); adds != tc.failures+1 || removals != 1 {
				t.Fatalf("adds %d, removals %d; want %d, 1", adds, removals, tc.failures+1)
			}
			if r.Grant.Standing || r.Grant.Account.ID != Alice.OktaID {
				t.Fatalf("grant recorded %+v", r.Grant)
			}
			e.waitMsg(mark, dm(Alice), "could not grant", id)
			e.waitMsg(mark, SandboxAuditChannel, "could not grant", id)
			e.noDM(mark, Alice, "Access granted")
			want := []access.EventType{access.EventRequested, access.EventApproved}
			for range tc.failures {
				want = append(want, access.EventProvisionFailed)
			}
			evs := e.wantTrail(id, append(want, access.EventRemovalStarted, access.EventFailed)...)
			if x := evs[len(evs)-1]; x.Details["okta_user"] != Alice.OktaID || x.Details["target"] != "group "+SandboxGroupDB {
				t.Fatalf("failed event = %v", x.Details)
			}

			// Failed means gone: nothing later grants or removes anything.
			writes := len(okta.Writes())
			e.advance(2 * time.Hour)
			e.sweepNow()
			if w := okta.Writes(); len(w) != writes {
				t.Fatalf("Okta writes after the request failed: %+v", w[writes:])
			}
			e.noRejections()
		})
	}
}

func TestGivenUpWithStandingAccessLeavesItInPlace(t *testing.T) {
	cases := []struct {
		name string
		arm  func(okta *fakeokta.Server)
		end  access.State
	}{
		// Okta refuses to say whether she is a member: the bot gives up
		// before it recorded anything, so it changes nothing.
		{"check refused", func(okta *fakeokta.Server) {
			okta.FailNext(http.MethodGet, "/api/v1/users/"+Alice.OktaID+"/groups", fakeokta.Fault{Status: http.StatusForbidden})
		}, access.StateFailed},
		// Okta would fail the grant, but she already is a member: the bot
		// never asks it to add her, and never removes her.
		{"grant would fail", func(okta *fakeokta.Server) {
			okta.FailNext(http.MethodPut, "/api/v1/groups/", fakeokta.Fault{Status: http.StatusForbidden, AfterApplying: true})
		}, access.StateExpired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t)
			okta := e.sb.Okta
			okta.AddMember(SandboxGroupDB, Alice.OktaID) // granted by someone else, long ago
			tc.arm(okta)
			id, bobDM := e.askInline(Alice, "db-prod 1h INC-96 standing", Bob)
			e.click(Bob, bobDM, bot.ActionApprove)
			e.waitFor("the request to settle", func() bool {
				s := e.request(id).State
				return s == access.StateFailed || s == access.StateActive
			})
			e.advance(time.Hour)
			e.waitState(id, tc.end)
			if !okta.IsMember(SandboxGroupDB, Alice.OktaID) {
				t.Fatal("standing membership removed")
			}
			for _, c := range okta.Writes() {
				if c.Method == http.MethodDelete || c.Status < 300 {
					t.Fatalf("Okta write for standing access: %+v", c)
				}
			}
			e.noRejections()
		})
	}
}

// waitingForOkta files db-prod for Alice, has Bob approve it, and returns
// once a first grant attempt failed (the request stays approved, retrying).
func (e *e2e) waitingForOkta(reason string) (string, fakeslack.Message) {
	e.t.Helper()
	mark := e.sb.Slack.Mark()
	id, bobDM := e.askInline(Alice, "db-prod 1h "+reason, Bob)
	confirm := e.waitMsg(mark, dm(Alice), "Your request", id, "was sent to")
	e.click(Bob, bobDM, bot.ActionApprove)
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisionFailed)
	if r := e.request(id); r.State != access.StateApproved {
		e.t.Fatalf("request is %s, want approved and retrying", r.State)
	}
	return id, confirm
}

func TestCancelAndRevokeWhileWaitingForOkta(t *testing.T) {
	cases := []struct {
		name string
		by   SandboxPerson
		how  string // "command" or "button" (a copy of the Cancel button from before the approval)
		end  access.State
	}{
		{"requester cancels", Alice, "command", access.StateCancelled},
		{"requester clicks Cancel", Alice, "button", access.StateCancelled},
		{"approver revokes", Bob, "command", access.StateRevoked},
		{"admin revokes", Erin, "command", access.StateRevoked},
		{"holder revokes", Alice, "revoke", access.StateRevoked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t)
			okta := e.sb.Okta
			// Every grant lands in Okta and is answered 500.
			okta.FailNext(http.MethodPut, "/api/v1/groups/", fakeokta.Fault{Status: http.StatusInternalServerError, Times: 100, AfterApplying: true})
			id, confirm := e.waitingForOkta("INC-97 waiting")
			if !okta.IsMember(SandboxGroupDB, Alice.OktaID) {
				t.Fatal("the failed attempt did not land")
			}

			mark := e.sb.Slack.Mark()
			switch {
			case tc.how == "button":
				stale := fakeslack.Message{Channel: "D0STALE", Blocks: confirm.Blocks}
				if _, err := e.sb.Slack.ClickButtonValue(e.ctx(), Alice.SlackID, stale, bot.ActionCancel, id); err != nil {
					t.Fatal(err)
				}
			case tc.end == access.StateCancelled:
				e.slash(tc.by, "/access", "cancel "+id)
				e.reply(mark, tc.by, id)
			default:
				e.slash(tc.by, "/access", "revoke "+id)
				e.reply(mark, tc.by, id)
			}
			r := e.waitState(id, tc.end)
			if okta.IsMember(SandboxGroupDB, Alice.OktaID) {
				t.Fatal("what landed was left in Okta")
			}
			if r.Grant.Removal == nil || r.Grant.Removal.By.SlackID != tc.by.SlackID {
				t.Fatalf("removal = %+v", r.Grant.Removal)
			}
			end := access.EventCancelled
			if tc.end == access.StateRevoked {
				end = access.EventRevoked
				e.waitMsg(mark, dm(Alice), "was revoked by", "<@"+tc.by.SlackID+">")
			}
			evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisionFailed, access.EventRemovalStarted, end)
			for _, ev := range evs[3:] {
				if ev.Actor.SlackID != tc.by.SlackID {
					t.Fatalf("%s by %+v", ev.Type, ev.Actor)
				}
			}

			// No retry grants it again.
			writes := len(okta.Writes())
			e.advance(10 * time.Minute)
			e.sweepNow()
			if w := okta.Writes(); len(w) != writes || okta.IsMember(SandboxGroupDB, Alice.OktaID) {
				t.Fatalf("Okta writes after the request ended: %+v", w[writes:])
			}
			e.noDM(mark, Alice, "Access granted")
			e.noRejections()
		})
	}
}

func TestCancelWhileWaitingRefusedForOthers(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	okta.FailNext(http.MethodPut, "/api/v1/groups/", fakeokta.Fault{Status: http.StatusInternalServerError, Times: 100, AfterApplying: true})
	id, _ := e.waitingForOkta("INC-98 waiting")
	for _, c := range []struct {
		p          SandboxPerson
		cmd, words string
	}{
		{Bob, "cancel", "Only the requester can cancel"},
		{Mallory, "cancel", "Only the requester can cancel"},
		{Mallory, "revoke", "Only the holder, an approver of Production database or an admin"},
	} {
		mark := e.sb.Slack.Mark()
		e.slash(c.p, "/access", c.cmd+" "+id)
		e.reply(mark, c.p, c.words)
	}
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisionFailed,
		access.EventRefused, access.EventRefused, access.EventRefused)
	if r := e.request(id); r.State != access.StateApproved || r.Grant.Removal != nil {
		t.Fatalf("request = %s, removal %+v", r.State, r.Grant.Removal)
	}
	e.noRejections()
}

func TestCancelledWhileTheGrantIsInFlight(t *testing.T) {
	cases := []struct {
		name  string
		fault fakeokta.Fault // how the held PUT ends
		by    SandboxPerson  // who ends the request meanwhile
		end   access.State
		adds  int
	}{
		{"lands after a cancel", fakeokta.Fault{}, Alice, access.StateCancelled, 1},
		{"lands after a revoke, answered 500", fakeokta.Fault{Status: http.StatusInternalServerError, AfterApplying: true}, Bob, access.StateRevoked, 1},
		{"fails after a revoke", fakeokta.Fault{Status: http.StatusInternalServerError}, Erin, access.StateRevoked, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t)
			okta := e.sb.Okta
			gate := make(chan struct{})
			arrived := make(chan struct{}, 1)
			okta.FailNextMatching(func(r *http.Request) bool {
				if r.Method != http.MethodPut || !strings.HasPrefix(r.URL.Path, "/api/v1/groups/") {
					return false
				}
				select {
				case arrived <- struct{}{}:
				default:
				}
				return true
			}, fakeokta.Fault{Hold: gate, Status: tc.fault.Status, AfterApplying: tc.fault.AfterApplying})
			id, bobDM := e.askInline(Alice, "db-prod 1h INC-99 in flight", Bob)
			e.click(Bob, bobDM, bot.ActionApprove)
			select {
			case <-arrived:
			case <-time.After(wait):
				t.Fatal("the grant never reached Okta")
			}

			// The request ends while Okta is still working on the grant.
			mark := e.sb.Slack.Mark()
			cmd := "revoke "
			if tc.end == access.StateCancelled {
				cmd = "cancel "
			}
			e.slash(tc.by, "/access", cmd+id)
			e.reply(mark, tc.by, id)
			e.waitFor("the end recorded", func() bool { return e.request(id).Grant.Removal != nil })
			close(gate) // Okta answers only now

			r := e.waitState(id, tc.end)
			e.waitFor("nothing left in Okta", func() bool { return !okta.IsMember(SandboxGroupDB, Alice.OktaID) })
			if adds := okta.GroupAdds(SandboxGroupDB, Alice.OktaID); adds != tc.adds {
				t.Fatalf("adds %d, want %d", adds, tc.adds)
			}
			if tc.adds > 0 && okta.GroupRemovals(SandboxGroupDB, Alice.OktaID) < 1 {
				t.Fatal("what landed was never removed")
			}
			if r.Grant.Removal.By.SlackID != tc.by.SlackID {
				t.Fatalf("removal = %+v", r.Grant.Removal)
			}
			final := e.events(id)
			if last := final[len(final)-1]; last != access.EventType(tc.end) {
				t.Fatalf("trail ends %v", final)
			}
			// No retry grants it again.
			writes := len(okta.Writes())
			e.advance(10 * time.Minute)
			e.sweepNow()
			if w := okta.Writes(); len(w) != writes || okta.IsMember(SandboxGroupDB, Alice.OktaID) {
				t.Fatalf("Okta writes after the request ended: %+v", w[writes:])
			}
			e.noDM(mark, Alice, "Access granted")
			e.noRejections()
		})
	}
}
