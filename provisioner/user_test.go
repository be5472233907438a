package provisioner

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeokta"
)

func TestUserByLogin(t *testing.T) {
	srv := newOktaServer(t)
	o := newTestOkta(t, srv)
	wantCode(t, o.Grant(testContext(t), "alice@example.com", group1), "")
	if got := srv.members("00g1"); !slices.Equal(got, []string{"00u1"}) {
		t.Fatalf("members = %q, want [00u1]", got)
	}
	want := []string{"GET /api/v1/users/alice@example.com", "PUT /api/v1/groups/00g1/users/00u1"}
	if got := srv.takeRequests(); !slices.Equal(got, want) {
		t.Fatalf("requests = %q, want %q", got, want)
	}
}

func TestUserByEmailSearch(t *testing.T) {
	srv := newOktaServer(t)
	o := newTestOkta(t, srv)
	ctx := testContext(t)
	// Bob's login is "bob"; his email differs in case from what Slack has.
	wantCode(t, o.Grant(ctx, "bob@example.com", group1), "")
	if got := srv.members("00g1"); !slices.Equal(got, []string{"00u2"}) {
		t.Fatalf("members = %q, want [00u2]", got)
	}
	got := srv.takeRequests()
	wantSearch := "GET /api/v1/users?" + url.Values{"search": {`profile.email eq "bob@example.com"`}}.Encode()
	want := []string{"GET /api/v1/users/bob@example.com", wantSearch, "PUT /api/v1/groups/00g1/users/00u2"}
	if !slices.Equal(got, want) {
		t.Fatalf("requests = %q, want %q", got, want)
	}

	// A removal names the account the grant recorded: no look-up by email,
	// whatever the email maps to by then.
	acct := access.Account{ID: "00u2", Login: "bob"}
	wantCode(t, o.Okta.Revoke(ctx, acct, group1), "")
	if got := srv.takeRequests(); !slices.Equal(got, []string{"DELETE /api/v1/groups/00g1/users/00u2"}) {
		t.Fatalf("requests for the removal = %q, want only the DELETE", got)
	}
}

func TestUserNotFound(t *testing.T) {
	srv := newOktaServer(t)
	o := newTestOkta(t, srv)
	err := o.Grant(testContext(t), "nobody@example.com", group1)
	wantCode(t, err, access.ENOTFOUND)
	if got, want := access.ErrorMessage(err), "no Okta user has login or email nobody@example.com"; got != want {
		t.Fatalf("message = %q, want %q", got, want)
	}
	wantCode(t, o.CheckUser(testContext(t), "nobody@example.com"), access.ENOTFOUND)
	// Not remembered: a user created later is found.
	srv.AddUser(fakeokta.User{ID: "00u9", Login: "nobody@example.com", Email: "nobody@example.com"})
	wantCode(t, o.CheckUser(testContext(t), "nobody@example.com"), "")
}

func TestUserAmbiguousEmail(t *testing.T) {
	srv := newOktaServer(t)
	err := newTestOkta(t, srv).Grant(testContext(t), "carol@example.com", group1)
	wantCode(t, err, access.EINVALID)
	if msg := access.ErrorMessage(err); !strings.Contains(msg, "00u3, 00u4") {
		t.Fatalf("message %q does not name both users", msg)
	}
	if got := srv.members("00g1"); len(got) != 0 {
		t.Fatalf("members = %q, want none", got)
	}
}

func TestUserEmailIsQuotedInSearch(t *testing.T) {
	srv := newOktaServer(t)
	srv.AddUser(fakeokta.User{ID: "00u7", Login: "odd", Email: `o"d\d@example.com`})
	wantCode(t, newTestOkta(t, srv).CheckUser(testContext(t), `o"d\d@example.com`), "")
}

func TestUserEmptyEmail(t *testing.T) {
	srv := newOktaServer(t)
	wantCode(t, newTestOkta(t, srv).CheckUser(testContext(t), " "), access.EINVALID)
	if got := srv.takeRequests(); len(got) != 0 {
		t.Fatalf("requests = %q, want none", got)
	}
}

// With a Slack id attribute configured, people are matched by it, not by
// email: an email that moved to another account changes nothing.
func TestUserBySlackIDAttribute(t *testing.T) {
	srv := newOktaServer(t)
	srv.AddUser(fakeokta.User{ID: "00u8", Login: "dana", Email: "alice@example.com", FirstName: "D", LastName: "A",
		Profile: map[string]string{"slackUserId": "U0DANA"}})
	srv.AddUser(fakeokta.User{ID: "00u9", Login: "dana2", Email: "dana2@example.com", FirstName: "D", LastName: "B",
		Profile: map[string]string{"slackUserId": "U0TWIN"}})
	srv.AddUser(fakeokta.User{ID: "00u10", Login: "dana3", Email: "dana3@example.com", FirstName: "D", LastName: "C",
		Profile: map[string]string{"slackUserId": "U0TWIN"}})
	o := newTestOkta(t, srv, func(o *Options) { o.SlackIDAttribute = "slackUserId" })
	ctx := testContext(t)
	a, err := o.FindUser(ctx, access.User{SlackID: "U0DANA", Email: "alice@example.com"})
	wantCode(t, err, "")
	if a.ID != "00u8" || a.Login != "dana" {
		t.Fatalf("account = %+v, want 00u8 (matched by Slack id, whatever the email says)", a)
	}
	_, err = o.FindUser(ctx, access.User{SlackID: "U0NOBODY", Email: "alice@example.com"})
	wantCode(t, err, access.ENOTFOUND)
	_, err = o.FindUser(ctx, access.User{SlackID: "U0TWIN"})
	wantCode(t, err, access.EINVALID)
	_, err = o.FindUser(ctx, access.User{Email: "alice@example.com"})
	wantCode(t, err, access.EINVALID) // no Slack id to match by
}
