package provisioner

import (
	"net/http"
	"slices"
	"testing"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeokta"
)

func TestGroupMembersByRule(t *testing.T) {
	srv := newOktaServer(t)
	srv.AddUser(fakeokta.User{ID: "00u5", Login: "dan@example.com", Email: "dan@example.com",
		Profile: map[string]string{"department": "Engineering", "title": "SRE"}})
	srv.AddUser(fakeokta.User{ID: "00u6", Login: "erin@example.com", Email: "erin@example.com",
		Profile: map[string]string{"department": "Sales"}})
	srv.AddGroupRule(fakeokta.GroupRule{ID: "0pr1", Name: "SREs", GroupIDs: []string{"00g1"},
		Expression: `user.department == "Engineering" AND (user.title == "SRE" || user.title == "On-call")`})
	srv.AddGroupRule(fakeokta.GroupRule{ID: "0pr2", Name: "Old", GroupIDs: []string{"00g1"}, Status: "INACTIVE",
		Expression: `user.department == "Sales"`})
	srv.AddGroupRule(fakeokta.GroupRule{ID: "0pr3", Name: "Complex", GroupIDs: []string{"00g2"},
		Expression: `String.startsWith(user.login, "erin")`})
	srv.AddRuleMember("0pr1", "00u5")
	srv.AddMember("00g1", "00u1") // by hand
	srv.AddMember("00g1", "00u6") // by hand; only an inactive rule matches her
	srv.AddRuleMember("0pr3", "00u6")
	srv.AddMember("00g2", "00u2")
	srv.SetMaxPage(1)
	o := newTestOkta(t, srv)
	ctx := testContext(t)

	got, err := o.GroupMembers(ctx, "00g1")
	wantCode(t, err, "")
	want := []access.Member{
		{UserID: "00u1", Login: "alice@example.com", Email: "alice@example.com"},
		{UserID: "00u5", Login: "dan@example.com", Email: "dan@example.com", ByRule: true},
		{UserID: "00u6", Login: "erin@example.com", Email: "erin@example.com"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("members = %+v, want %+v", got, want)
	}
	for _, m := range got { // the fake agrees on who a rule added
		if (srv.MemberRule("00g1", m.UserID) != "") != m.ByRule {
			t.Errorf("%s: ByRule %v, fake's rule %q", m.UserID, m.ByRule, srv.MemberRule("00g1", m.UserID))
		}
	}
	// A rule whose expression cannot be evaluated here may hold anyone.
	got, err = o.GroupMembers(ctx, "00g2")
	wantCode(t, err, "")
	if len(got) != 2 || !got[0].ByRule || !got[1].ByRule {
		t.Fatalf("members of a group with a complex rule = %+v, want all ByRule", got)
	}
	got, err = o.GroupMembers(ctx, "00g3")
	wantCode(t, err, "")
	if len(got) != 0 {
		t.Fatalf("members of an empty group = %+v", got)
	}
	_, err = o.GroupMembers(ctx, "00gX")
	wantCode(t, err, access.ENOTFOUND)
	srv.FailNext(http.MethodGet, "/api/v1/groups/rules", fakeokta.Fault{Status: http.StatusServiceUnavailable})
	_, err = o.GroupMembers(ctx, "00g1")
	wantCode(t, err, access.EUNAVAILABLE)
}

func TestAppUsersAllPages(t *testing.T) {
	srv := newOktaServer(t)
	for _, id := range []string{"00u1", "00u2", "00u3"} {
		srv.AssignApp("0oa1", id)
	}
	srv.SetMaxPage(2)
	o := newTestOkta(t, srv)
	ctx := testContext(t)
	srv.takeRequests()
	got, err := o.AppUsers(ctx, "0oa1")
	wantCode(t, err, "")
	want := []access.Member{
		{UserID: "00u1", Login: "alice@example.com", Email: "alice@example.com"},
		{UserID: "00u2", Login: "bob", Email: "Bob@Example.com"},
		{UserID: "00u3", Login: "carol1", Email: "carol@example.com"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("app users = %+v, want %+v", got, want)
	}
	if reqs := srv.takeRequests(); len(reqs) != 2 {
		t.Fatalf("requests = %q, want two pages", reqs)
	}
	_, err = o.AppUsers(ctx, "0oaX")
	wantCode(t, err, access.ENOTFOUND)

	srv.FailNextMatching(func(r *http.Request) bool { return r.URL.Query().Get("after") != "" },
		fakeokta.Fault{Status: http.StatusInternalServerError})
	got, err = o.AppUsers(ctx, "0oa1")
	wantCode(t, err, access.EUNAVAILABLE)
	if got != nil {
		t.Fatalf("app users after a failed page = %+v", got)
	}
}
