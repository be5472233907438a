package main

// End-to-end tests of issue 13: a grant records what it changed in Okta,
// and its removal undoes exactly that, whatever changed in between — the
// directory, the config, the dry-run mode — across restarts on one store.
// Each test asserts what Okta holds afterwards.

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
)

// A second Okta group the sandbox's db-prod resource is moved to.
const groupDBNew = "00gdbprodnew"

// wantRecorded fails unless request id's grant recorded account and target.
func (e *e2e) wantRecorded(id, account string, target access.Target, dryRun bool) *access.Request {
	e.t.Helper()
	r := e.request(id)
	if g := r.Grant; g.Account.ID != account || g.Target != target || g.DryRun != dryRun {
		e.t.Fatalf("grant %s recorded account %+v, target %v, dry run %v; want %s, %v, %v",
			id, g.Account, g.Target, g.DryRun, account, target, dryRun)
	}
	return r
}

// wantMembers fails unless group holds exactly members (Okta ids).
func wantMembers(t *testing.T, okta *fakeokta.Server, group string, members ...string) {
	t.Helper()
	slices.Sort(members)
	if got := okta.Members(group); !slices.Equal(got, members) {
		t.Fatalf("group %s holds %v, want %v", group, got, members)
	}
}

func TestEmailRepointedToAnotherOktaAccount(t *testing.T) {
	for _, standing := range []bool{false, true} {
		name := "new account not a member"
		if standing {
			name = "new account a standing member"
		}
		t.Run(name, func(t *testing.T) {
			e := startE2E(t)
			okta := e.sb.Okta
			id, _ := e.grantTo(Alice, "db-prod 1h INC-90 migrate", Bob)
			e.wantRecorded(id, Alice.OktaID, access.Target{Kind: access.TargetGroup, ID: SandboxGroupDB}, false)
			if !okta.IsMember(SandboxGroupDB, Alice.OktaID) {
				t.Fatal("not granted")
			}

			// While the bot is down, Alice's Okta account is renamed and
			// her address is given to another account.
			e.stop()
			const newAccount = "00ualicenew"
			okta.AddUser(fakeokta.User{ID: Alice.OktaID, Login: "alice.old@example.com", Email: "alice.old@example.com", FirstName: "alice", LastName: "Old"})
			okta.AddUser(fakeokta.User{ID: newAccount, Login: Alice.Email, Email: Alice.Email, FirstName: "alice", LastName: "New"})
			if standing {
				okta.AddMember(SandboxGroupDB, newAccount)
			}
			e.start()

			mark := e.sb.Slack.Mark()
			e.advance(time.Hour)
			e.waitState(id, access.StateExpired)
			if okta.IsMember(SandboxGroupDB, Alice.OktaID) {
				t.Fatal("the account that was granted is still a member")
			}
			if okta.GroupRemovals(SandboxGroupDB, newAccount) != 0 || okta.GroupAdds(SandboxGroupDB, newAccount) != 0 {
				t.Fatal("the account that now has the email was touched")
			}
			if standing {
				wantMembers(t, okta, SandboxGroupDB, newAccount)
			} else {
				wantMembers(t, okta, SandboxGroupDB)
			}
			e.waitMsg(mark, dm(Alice), "expired", "Production database")
			evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned,
				access.EventRemovalStarted, access.EventExpired)
			if x := evs[4]; x.Details["okta_user"] != Alice.OktaID || x.Details["target"] != "group "+SandboxGroupDB {
				t.Fatalf("expired event details = %v", x.Details)
			}
			e.noRejections()
		})
	}
}

func TestResourceRepointedToAnotherGroup(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	okta.AddGroup(groupDBNew, "Production database (new cluster)")
	// On the new group, Carol and Alice herself hold standing memberships
	// the bot never granted.
	okta.AddMember(groupDBNew, Carol.OktaID)
	okta.AddMember(groupDBNew, Alice.OktaID)
	okta.AddMember(SandboxGroupDB, Erin.OktaID) // and Erin on the old one

	old, _ := e.grantTo(Alice, "db-prod 1h INC-91 before the move", Bob)
	e.wantRecorded(old, Alice.OktaID, access.Target{Kind: access.TargetGroup, ID: SandboxGroupDB}, false)

	// The resource moves to the new group.
	e.restartWith(repoint(t, SandboxGroupDB, groupDBNew))

	// A request after the move goes to the new group.
	fresh, _ := e.grantTo(Dave, "db-prod 1h INC-92 after the move", Bob)
	e.wantRecorded(fresh, Dave.OktaID, access.Target{Kind: access.TargetGroup, ID: groupDBNew}, false)
	if !okta.IsMember(groupDBNew, Dave.OktaID) || okta.IsMember(SandboxGroupDB, Dave.OktaID) {
		t.Fatalf("the new grant went to %v / %v", okta.Members(groupDBNew), okta.Members(SandboxGroupDB))
	}
	wantMembers(t, okta, groupDBNew, Alice.OktaID, Carol.OktaID, Dave.OktaID)

	// Both expire: each is removed from the group it was granted on.
	mark := e.sb.Slack.Mark()
	e.advance(time.Hour)
	e.waitState(old, access.StateExpired)
	e.waitState(fresh, access.StateExpired)
	wantMembers(t, okta, SandboxGroupDB, Erin.OktaID)
	wantMembers(t, okta, groupDBNew, Alice.OktaID, Carol.OktaID)
	for _, c := range []struct {
		group, user string
		removals    int
	}{
		{SandboxGroupDB, Alice.OktaID, 1}, {groupDBNew, Dave.OktaID, 1},
		{groupDBNew, Alice.OktaID, 0}, {groupDBNew, Carol.OktaID, 0}, {SandboxGroupDB, Erin.OktaID, 0},
	} {
		if n := okta.GroupRemovals(c.group, c.user); n != c.removals {
			t.Errorf("removals of %s from %s = %d, want %d", c.user, c.group, n, c.removals)
		}
	}
	e.waitMsg(mark, dm(Alice), "expired")
	e.waitMsg(mark, dm(Dave), "expired")
	if x := e.lastEvent(old, access.EventExpired); x.Details["target"] != "group "+SandboxGroupDB {
		t.Fatalf("old grant's expired event = %v", x.Details)
	}
	if x := e.lastEvent(fresh, access.EventExpired); x.Details["target"] != "group "+groupDBNew {
		t.Fatalf("new grant's expired event = %v", x.Details)
	}
	e.noRejections()
}

func TestResourceDeletedWithAGrantActive(t *testing.T) {
	cases := []struct{ name, end string }{
		{"expires on time", "expiry"},
		{"revoked by an admin", "admin"},
		{"revoked by the holder", "holder"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startE2E(t)
			okta := e.sb.Okta
			okta.AddMember(SandboxGroupDB, Carol.OktaID) // standing
			id, _ := e.grantTo(Alice, "db-prod 1h INC-93 last look", Bob)
			expires := e.request(id).Grant.ExpiresAt

			e.restartWith(dropResource(t, "db-prod"))
			for _, res := range e.cfg.Resources() {
				if res.ID == "db-prod" {
					t.Fatal("db-prod is still configured")
				}
			}
			mark := e.sb.Slack.Mark()
			switch tc.end {
			case "expiry":
				e.advance(59 * time.Minute)
				e.sweepNow()
				rem := e.reminder(mark, Alice, id)
				if got := joinIDs(buttonIDs(rem)); got != joinIDs([]string{bot.ActionLetExpire, bot.ActionRevoke}) {
					t.Fatalf("the reminder of a deleted resource offers %s: %s", got, oneLine(rem.Text()))
				}
				if !okta.IsMember(SandboxGroupDB, Alice.OktaID) || e.request(id).State != access.StateActive {
					t.Fatal("removed before its time")
				}
				e.advance(time.Minute)
				r := e.waitState(id, access.StateExpired)
				if r.Grant.EndedAt.Before(expires) {
					t.Fatalf("ended %v before it expired %v", r.Grant.EndedAt, expires)
				}
				e.waitMsg(mark, dm(Alice), "expired", "db-prod")
			case "admin", "holder":
				by := Erin
				if tc.end == "holder" {
					by = Alice
				}
				e.slash(by, "/access", "revoke "+id)
				e.reply(mark, by, id, "revo") // revoked, or its revocation recorded
				e.waitState(id, access.StateRevoked)
				e.waitMsg(mark, dm(Alice), "was revoked by", "<@"+by.SlackID+">")
			}
			wantMembers(t, okta, SandboxGroupDB, Carol.OktaID)
			if n := okta.GroupRemovals(SandboxGroupDB, Alice.OktaID); n != 1 {
				t.Fatalf("removals = %d", n)
			}
			want := []access.EventType{access.EventRequested, access.EventApproved, access.EventProvisioned}
			end := access.EventRevoked
			if tc.end == "expiry" {
				// The 10m reminder fell due at 59m: it is still sent.
				want, end = append(want, access.EventReminded), access.EventExpired
			}
			evs := e.wantTrail(id, append(want, access.EventRemovalStarted, end)...)
			if x := evs[len(evs)-1]; x.Details["target"] != "group "+SandboxGroupDB || x.Details["okta_user"] != Alice.OktaID {
				t.Fatalf("%s event = %v", end, x.Details)
			}
			e.noRejections()
		})
	}
}

func TestRevokeOfADeletedResourceRefusedForOthers(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	id, _ := e.grantTo(Alice, "db-prod 1h INC-94 last look", Bob)
	e.restartWith(dropResource(t, "db-prod"))
	// Bob approved db-prod, but db-prod is gone: approvers of a resource
	// that is no longer configured are nobody's.
	for _, p := range []SandboxPerson{Bob, Mallory} {
		mark := e.sb.Slack.Mark()
		e.slash(p, "/access", "revoke "+id)
		e.reply(mark, p, "Only the holder", "or an admin can revoke this access")
	}
	if r := e.request(id); r.State != access.StateActive || r.Grant.Removal != nil || !okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatalf("a refused revoke changed the grant: %s %+v", r.State, r.Grant.Removal)
	}
	e.noRejections()
}

func TestResourceMovedFromAGroupToAnApp(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	const app = "0oadbconsole"
	okta.AddApp(app, "Database console")
	okta.AssignApp(app, Alice.OktaID) // standing on the app
	id, _ := e.grantTo(Alice, "db-prod 1h INC-108 before the move", Bob)
	e.restartWith(func(text string) string {
		return strings.Replace(text, "okta_group: "+SandboxGroupDB+"\n", "okta_app: "+app+"\n", 1)
	})
	e.advance(time.Hour)
	e.waitState(id, access.StateExpired)
	wantMembers(t, okta, SandboxGroupDB)
	if !okta.AppAssigned(app, Alice.OktaID) || okta.AppUnassignments(app, Alice.OktaID) != 0 {
		t.Fatal("the standing app assignment was touched")
	}
	if x := e.lastEvent(id, access.EventExpired); x.Details["target"] != "group "+SandboxGroupDB {
		t.Fatalf("expired event = %v", x.Details)
	}
	e.noRejections()
}

func TestRequestPendingAcrossARepointGoesToTheNewGroup(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	okta.AddGroup(groupDBNew, "Production database (new cluster)")
	id, bobDM := e.askInline(Alice, "db-prod 1h INC-109 filed before the move", Bob)
	e.restartWith(repoint(t, SandboxGroupDB, groupDBNew))
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	e.wantRecorded(id, Alice.OktaID, access.Target{Kind: access.TargetGroup, ID: groupDBNew}, false)
	wantMembers(t, okta, groupDBNew, Alice.OktaID)
	wantMembers(t, okta, SandboxGroupDB)
	e.advance(time.Hour)
	e.waitState(id, access.StateExpired)
	wantMembers(t, okta, groupDBNew)
	e.noRejections()
}

func TestGrantRetriedAcrossARepointStaysOnItsRecordedGroup(t *testing.T) {
	e := startE2E(t)
	okta := e.sb.Okta
	okta.AddGroup(groupDBNew, "Production database (new cluster)")
	okta.AddMember(groupDBNew, Carol.OktaID) // standing on the new group
	okta.FailNext(http.MethodPut, "/api/v1/groups/", fakeokta.Fault{Status: http.StatusServiceUnavailable})
	id, bobDM := e.askInline(Alice, "db-prod 1h INC-110 Okta hiccup", Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisionFailed)
	recorded := e.wantRecorded(id, Alice.OktaID, access.Target{Kind: access.TargetGroup, ID: SandboxGroupDB}, false)

	// The resource moves while the grant waits for its retry: the retry
	// grants what was recorded, and the removal takes exactly that away.
	e.restartWith(repoint(t, SandboxGroupDB, groupDBNew))
	e.retryUntil(id, provisionNext, func(r *access.Request) bool { return r.State == access.StateActive })
	if !okta.IsMember(SandboxGroupDB, Alice.OktaID) || okta.IsMember(groupDBNew, Alice.OktaID) {
		t.Fatalf("retried grant: old group %v, new group %v", okta.Members(SandboxGroupDB), okta.Members(groupDBNew))
	}
	e.advance(recorded.Duration)
	e.waitState(id, access.StateExpired)
	wantMembers(t, okta, SandboxGroupDB)
	wantMembers(t, okta, groupDBNew, Carol.OktaID)
	e.noRejections()
}
