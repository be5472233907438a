package fakeokta_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/accessbot/accessbot/fake/fakeokta"
)

func setup(t *testing.T, opts ...okta.ConfigSetter) (*fakeokta.Server, *okta.Client, context.Context) {
	t.Helper()
	srv := fakeokta.New(fakeokta.Options{Logf: t.Logf})
	t.Cleanup(srv.Close)
	srv.AddUser(fakeokta.User{ID: "00u1alice", Login: "alice@example.com", Email: "alice@example.com", FirstName: "Alice", LastName: "A"})
	srv.AddUser(fakeokta.User{ID: "00u2bob", Login: "bob@example.com", Email: "Bob@Example.com", FirstName: "Bob", LastName: "B"})
	srv.AddGroup("00g1grafana", "grafana-users")
	srv.AddApp("0oa1grafana", "Grafana")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	base := []okta.ConfigSetter{
		okta.WithOrgUrl(srv.URL()), okta.WithToken(srv.Token()),
		okta.WithTestingDisableHttpsCheck(true), okta.WithCache(false),
	}
	ctx, client, err := okta.NewClient(ctx, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, client, ctx
}

func oktaError(t *testing.T, err error) *okta.Error {
	t.Helper()
	var oe *okta.Error
	if !errors.As(err, &oe) {
		t.Fatalf("want *okta.Error, got %T %v", err, err)
	}
	return oe
}

func TestGetUserAndSearch(t *testing.T) {
	srv, c, ctx := setup(t)
	u, _, err := c.User.GetUser(ctx, "00u1alice")
	if err != nil || (*u.Profile)["email"] != "alice@example.com" || u.Status != "ACTIVE" || u.Created == nil {
		t.Fatalf("GetUser by id: %+v %v", u, err)
	}
	u, _, err = c.User.GetUser(ctx, "Bob@example.COM")
	if err != nil || u.Id != "00u2bob" {
		t.Fatalf("GetUser by login: %+v %v", u, err)
	}
	_, resp, err := c.User.GetUser(ctx, "nobody@example.com")
	if oe := oktaError(t, err); oe.ErrorCode != "E0000007" || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown user: %+v", oe)
	}

	users, _, err := c.User.ListUsers(ctx, query.NewQueryParams(query.WithSearch(`profile.email eq "bob@example.com"`)))
	if err != nil || len(users) != 1 || users[0].Id != "00u2bob" {
		t.Errorf("search by email: %v %v", users, err)
	}
	users, _, err = c.User.ListUsers(ctx, query.NewQueryParams(query.WithFilter(`profile.login eq "alice@example.com"`), query.WithLimit(1)))
	if err != nil || len(users) != 1 || users[0].Id != "00u1alice" {
		t.Errorf("filter by login: %v %v", users, err)
	}
	users, _, err = c.User.ListUsers(ctx, query.NewQueryParams(query.WithSearch(`profile.email eq "x@y" or (status eq "ACTIVE" and profile.firstName sw "al")`)))
	if err != nil || len(users) != 1 || users[0].Id != "00u1alice" {
		t.Errorf("compound search: %v %v", users, err)
	}
	_, _, err = c.User.ListUsers(ctx, query.NewQueryParams(query.WithSearch(`profile.email equals "x"`)))
	if oe := oktaError(t, err); oe.ErrorCode != "E0000031" {
		t.Errorf("bad search: %+v", oe)
	}
	if got := srv.Calls()[3].Query; got != "search=profile.email+eq+%22bob%40example.com%22" {
		t.Errorf("recorded query %q", got)
	}
}

func TestTokenCheck(t *testing.T) {
	srv, c, ctx := setup(t)
	if me, _, err := c.User.GetUser(ctx, "me"); err != nil || me.Id != "00uADMIN" {
		t.Errorf("users/me: %+v %v", me, err)
	}
	_, bad, err := okta.NewClient(ctx, okta.WithOrgUrl(srv.URL()), okta.WithToken("wrong"),
		okta.WithTestingDisableHttpsCheck(true), okta.WithCache(false))
	if err != nil {
		t.Fatal(err)
	}
	_, resp, err := bad.User.GetUser(ctx, "me")
	if oe := oktaError(t, err); oe.ErrorCode != "E0000011" || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %+v", oe)
	}
}

func TestGroupMembership(t *testing.T) {
	srv, c, ctx := setup(t)
	for i := 0; i < 2; i++ { // PUT is idempotent
		resp, err := c.Group.AddUserToGroup(ctx, "00g1grafana", "00u1alice")
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("AddUserToGroup: %v", err)
		}
	}
	if !srv.IsMember("00g1grafana", "00u1alice") || srv.GroupAdds("00g1grafana", "00u1alice") != 2 {
		t.Errorf("members %v adds %d", srv.Members("00g1grafana"), srv.GroupAdds("00g1grafana", "00u1alice"))
	}
	users, _, err := c.Group.ListGroupUsers(ctx, "00g1grafana", nil)
	if err != nil || len(users) != 1 || users[0].Id != "00u1alice" {
		t.Errorf("ListGroupUsers: %v %v", users, err)
	}
	groups, _, err := c.User.ListUserGroups(ctx, "00u1alice")
	if err != nil || len(groups) != 1 || groups[0].Profile.Name != "grafana-users" {
		t.Errorf("ListUserGroups: %v %v", groups, err)
	}
	for i := 0; i < 2; i++ { // DELETE is idempotent too
		if _, err := c.Group.RemoveUserFromGroup(ctx, "00g1grafana", "00u1alice"); err != nil {
			t.Fatalf("RemoveUserFromGroup: %v", err)
		}
	}
	if srv.IsMember("00g1grafana", "00u1alice") || srv.GroupRemovals("00g1grafana", "00u1alice") != 2 {
		t.Error("still a member")
	}
	_, err = c.Group.AddUserToGroup(ctx, "00gNOPE", "00u1alice")
	if oe := oktaError(t, err); oe.ErrorCode != "E0000007" {
		t.Errorf("unknown group: %+v", oe)
	}
	if w := srv.Writes(); len(w) != 5 || w[0].Method != http.MethodPut || w[0].Path != "/api/v1/groups/00g1grafana/users/00u1alice" {
		t.Errorf("writes %+v", w)
	}
}

func TestListGroupUsersPagination(t *testing.T) {
	srv, c, ctx := setup(t)
	for _, id := range []string{"00u3", "00u4", "00u5"} {
		srv.AddUser(fakeokta.User{ID: id, Login: id + "@example.com", Email: id + "@example.com"})
	}
	for _, id := range []string{"00u1alice", "00u2bob", "00u3", "00u4", "00u5"} {
		srv.AddMember("00g1grafana", id)
	}
	users, resp, err := c.Group.ListGroupUsers(ctx, "00g1grafana", query.NewQueryParams(query.WithLimit(2)))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	pages := 1
	for {
		for _, u := range users {
			ids = append(ids, u.Id)
		}
		if !resp.HasNextPage() {
			break
		}
		var next []*okta.User
		if resp, err = resp.Next(ctx, &next); err != nil {
			t.Fatal(err)
		}
		users = next
		pages++
	}
	if pages != 3 || strings.Join(ids, ",") != "00u1alice,00u2bob,00u3,00u4,00u5" {
		t.Errorf("%d pages: %v", pages, ids)
	}
	last := srv.Calls()[len(srv.Calls())-1]
	if last.Query != "after=00u4&limit=2" {
		t.Errorf("last page query %q", last.Query)
	}
}

func TestAppAssignment(t *testing.T) {
	srv, c, ctx := setup(t)
	au, _, err := c.Application.AssignUserToApplication(ctx, "0oa1grafana", okta.AppUser{
		Id: "00u1alice", Scope: "USER", Credentials: &okta.AppUserCredentials{UserName: "alice@example.com"},
	})
	if err != nil || au.Id != "00u1alice" || au.Credentials.UserName != "alice@example.com" {
		t.Fatalf("assign: %+v %v", au, err)
	}
	if !srv.AppAssigned("0oa1grafana", "00u1alice") || srv.AppAssignments("0oa1grafana", "00u1alice") != 1 {
		t.Error("not assigned")
	}
	if w := srv.Writes(); len(w) != 1 || !strings.Contains(string(w[0].Body), `"id":"00u1alice"`) {
		t.Errorf("writes %+v", w)
	}
	if got, _, err := c.Application.GetApplicationUser(ctx, "0oa1grafana", "00u1alice", nil); err != nil || got.Scope != "USER" {
		t.Errorf("get app user: %+v %v", got, err)
	}
	app, _, err := c.Application.GetApplication(ctx, "0oa1grafana", okta.NewApplication(), nil)
	if err != nil || app.(*okta.Application).Label != "Grafana" {
		t.Errorf("get app: %+v %v", app, err)
	}
	if _, err := c.Application.DeleteApplicationUser(ctx, "0oa1grafana", "00u1alice", nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.Application.DeleteApplicationUser(ctx, "0oa1grafana", "00u1alice", nil)
	if oe := oktaError(t, err); oe.ErrorCode != "E0000007" {
		t.Errorf("second delete: %+v", oe)
	}
	_, _, err = c.Application.GetApplicationUser(ctx, "0oa1grafana", "00u1alice", nil)
	if oe := oktaError(t, err); oe.ErrorCode != "E0000007" {
		t.Errorf("get unassigned: %+v", oe)
	}
	_, _, err = c.Application.AssignUserToApplication(ctx, "0oa1grafana", okta.AppUser{Id: "00uNOPE"})
	if oe := oktaError(t, err); oe.ErrorCode != "E0000007" {
		t.Errorf("assign unknown user: %+v", oe)
	}
}

func TestRateLimitRetryHonoured(t *testing.T) {
	srv, c, ctx := setup(t)
	srv.FailNext(http.MethodPut, "/api/v1/groups/", fakeokta.Fault{Status: http.StatusTooManyRequests})
	start := time.Now()
	if _, err := c.Group.AddUserToGroup(ctx, "00g1grafana", "00u2bob"); err != nil {
		t.Fatal(err)
	}
	// reset = now, so the SDK waits reset − Date + 1 = 1 s.
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("retried after %v, before the rate limit reset", d)
	}
	calls := srv.Calls()
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 204 || calls[1].RetryCount != "1" {
		t.Errorf("calls %+v", calls)
	}
	if srv.GroupAdds("00g1grafana", "00u2bob") != 1 {
		t.Error("not added exactly once")
	}
}

func TestRateLimitExhausted(t *testing.T) {
	srv, c, ctx := setup(t, okta.WithRateLimitMaxRetries(0))
	srv.FailNext("", "/api/v1/users", fakeokta.Fault{Status: http.StatusTooManyRequests, Times: 5})
	_, _, err := c.User.GetUser(ctx, "00u1alice")
	if err == nil || !strings.Contains(err.Error(), "too many requests") {
		t.Errorf("err %v", err)
	}
}

func TestServerErrorsDropsDownAndLatency(t *testing.T) {
	srv, c, ctx := setup(t)
	srv.FailNext(http.MethodGet, "/api/v1/users/", fakeokta.Fault{Status: 500})
	_, resp, err := c.User.GetUser(ctx, "00u1alice")
	if oe := oktaError(t, err); resp.StatusCode != 500 || oe.ErrorCode != "E0000009" {
		t.Errorf("500: %+v", oe)
	}

	// Dropped connections look like io.EOF, which the SDK retries.
	srv.FailNext("", "/api/v1/users/", fakeokta.Fault{CloseConnection: true, Times: 2})
	if _, _, err := c.User.GetUser(ctx, "00u1alice"); err != nil {
		t.Errorf("after dropped connections: %v", err)
	}

	srv.Down(true)
	if _, _, err := c.User.GetUser(ctx, "00u1alice"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("down: %v", err)
	}
	srv.Down(false)
	if _, _, err := c.User.GetUser(ctx, "00u1alice"); err != nil {
		t.Errorf("back up: %v", err)
	}

	srv.SetLatency(5 * time.Second)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := c.User.GetUser(short, "00u1alice"); err == nil {
		t.Error("no timeout")
	}
	if time.Since(start) > 2*time.Second {
		t.Error("client context was not honoured")
	}
	srv.SetLatency(0)
	got, err := srv.WaitCall(ctx, func(c fakeokta.Call) bool { return c.Status == 0 && c.Path == "/api/v1/users/00u1alice" })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("abandoned call: %+v", got)
}

func TestUserGroupsPagesAndCallRecords(t *testing.T) {
	srv, c, ctx := setup(t)
	for _, g := range []string{"00g2", "00g3"} {
		srv.AddGroup(g, "group-"+g)
	}
	for _, g := range []string{"00g1grafana", "00g2", "00g3"} {
		srv.AddMember(g, "00u1alice")
	}
	srv.SetMaxPage(2)
	groups, resp, err := c.User.ListUserGroups(ctx, "00u1alice")
	if err != nil || len(groups) != 2 || !resp.HasNextPage() {
		t.Fatalf("first page: %v %v", groups, err)
	}
	var next []*okta.Group
	if resp, err = resp.Next(ctx, &next); err != nil || len(next) != 1 || next[0].Id != "00g3" || resp.HasNextPage() {
		t.Fatalf("second page: %v %v", next, err)
	}
	calls := srv.Calls()
	if last := calls[len(calls)-1]; last.Query != "after=00g2" || last.Header.Get("Accept") != "application/json" ||
		last.Header.Get("Authorization") != "SSWS "+srv.Token() {
		t.Errorf("last call %+v", last)
	}
	srv.SetMaxPage(0)
	if groups, _, err = c.User.ListUserGroups(ctx, "00u1alice"); err != nil || len(groups) != 3 {
		t.Errorf("without a page cap: %v %v", groups, err)
	}

	srv.AssignApp("0oa1grafana", "00u2bob")
	if name, ok := srv.AppUserName("0oa1grafana", "00u2bob"); !ok || name != "bob@example.com" {
		t.Errorf("AppUserName = %q %v", name, ok)
	}
	if _, ok := srv.AppUserName("0oa1grafana", "00u1alice"); ok {
		t.Error("AppUserName of an unassigned user")
	}
}

func TestRetryCountIsTheLastValue(t *testing.T) {
	srv, c, ctx := setup(t)
	srv.FailNext("", "/api/v1/users/", fakeokta.Fault{Status: http.StatusTooManyRequests, Times: 2, RateLimitReset: -time.Second})
	if _, _, err := c.User.GetUser(ctx, "00u1alice"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, call := range srv.Calls() {
		got = append(got, call.RetryCount)
	}
	if strings.Join(got, ",") != ",1,2" {
		t.Errorf("retry counts %q", got)
	}
}

func TestFaultAfterApplying(t *testing.T) {
	srv, c, ctx := setup(t)
	srv.FailNext(http.MethodPut, "/api/v1/groups/", fakeokta.Fault{Status: 500, AfterApplying: true})
	resp, err := c.Group.AddUserToGroup(ctx, "00g1grafana", "00u1alice")
	if oe := oktaError(t, err); resp.StatusCode != 500 || oe.ErrorCode != "E0000009" {
		t.Fatalf("answer: %+v", oe)
	}
	if !srv.IsMember("00g1grafana", "00u1alice") || srv.GroupAdds("00g1grafana", "00u1alice") != 1 {
		t.Fatal("the write did not take effect before the error")
	}
}

func TestFaultHeldUntilReleased(t *testing.T) {
	srv, c, ctx := setup(t)
	gate := make(chan struct{})
	srv.FailNext(http.MethodPut, "/api/v1/groups/", fakeokta.Fault{Hold: gate})
	done := make(chan error, 1)
	go func() {
		_, err := c.Group.AddUserToGroup(ctx, "00g1grafana", "00u1alice")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("answered before the gate opened: %v", err)
	case <-time.After(50 * time.Millisecond): // a request that is not held answers well within this
	}
	if srv.IsMember("00g1grafana", "00u1alice") {
		t.Fatal("applied while held")
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !srv.IsMember("00g1grafana", "00u1alice") {
		t.Fatal("not applied once released")
	}
}
