package fakeokta_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/accessbot/accessbot/fake/fakeokta"
)

// allPages follows Link rel="next" from a first page, the way callers of
// the SDK must, and returns every item and the number of pages.
func allPages[T any](t *testing.T, ctx context.Context, first []T, resp *okta.Response, err error) ([]T, int) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	items, pages := first, 1
	for resp.HasNextPage() {
		var next []T
		if resp, err = resp.Next(ctx, &next); err != nil {
			t.Fatal(err)
		}
		items = append(items, next...)
		pages++
	}
	return items, pages
}

// allApps is allPages for the SDK's app listings, which return the App
// interface on the first page but must decode later pages into a concrete
// type (json cannot decode into an interface).
func allApps(t *testing.T, ctx context.Context, first []okta.App, resp *okta.Response, err error) ([]*okta.Application, int) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	var apps []*okta.Application
	for _, a := range first {
		apps = append(apps, a.(*okta.Application))
	}
	rest, pages := allPages(t, ctx, []*okta.Application(nil), resp, nil)
	return append(apps, rest...), pages
}

func groupIDs(gs []*okta.Group) string {
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.Id)
	}
	return strings.Join(ids, ",")
}

func TestListGroupsSearchFilterAndPages(t *testing.T) {
	srv, c, ctx := setup(t)
	srv.PutGroup(fakeokta.Group{ID: "00g2awsprod", Name: "jit-aws-prod", Description: "AWS production"})
	srv.PutGroup(fakeokta.Group{ID: "00g3awsdev", Name: "jit-aws-dev", Description: "AWS development"})
	srv.PutGroup(fakeokta.Group{ID: "00g4gcp", Name: "jit-gcp-prod"})
	srv.PutGroup(fakeokta.Group{ID: "00g5ad", Name: "jit-aws-ad", Type: "APP_GROUP"})

	for _, tc := range []struct {
		name string
		qp   *query.Params
		want string
	}{
		{"sw", query.NewQueryParams(query.WithSearch(`profile.name sw "jit-aws-"`)), "00g2awsprod,00g3awsdev,00g5ad"},
		{"sw and type", query.NewQueryParams(query.WithSearch(`profile.name sw "jit-aws-" and type eq "OKTA_GROUP"`)), "00g2awsprod,00g3awsdev"},
		{"eq or co", query.NewQueryParams(query.WithSearch(`profile.name eq "jit-gcp-prod" or profile.description co "development"`)), "00g3awsdev,00g4gcp"},
		{"parentheses", query.NewQueryParams(query.WithSearch(`type eq "OKTA_GROUP" and (profile.name sw "grafana" or profile.name eq "jit-gcp-prod")`)), "00g1grafana,00g4gcp"},
		{"q prefix", query.NewQueryParams(query.WithQ("jit-aws")), "00g2awsprod,00g3awsdev,00g5ad"},
		{"filter type", query.NewQueryParams(query.WithFilter(`type eq "APP_GROUP"`)), "00g5ad"},
		{"everything", nil, "00g1grafana,00g2awsprod,00g3awsdev,00g4gcp,00g5ad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gs, resp, err := c.Group.ListGroups(ctx, tc.qp)
			all, _ := allPages(t, ctx, gs, resp, err)
			if got := groupIDs(all); got != tc.want {
				t.Errorf("groups %s, want %s", got, tc.want)
			}
		})
	}

	gs, resp, err := c.Group.ListGroups(ctx, query.NewQueryParams(query.WithSearch(`profile.name sw "jit-"`), query.WithLimit(2)))
	all, pages := allPages(t, ctx, gs, resp, err)
	if pages != 2 || groupIDs(all) != "00g2awsprod,00g3awsdev,00g4gcp,00g5ad" {
		t.Errorf("%d pages: %s", pages, groupIDs(all))
	}
	if all[0].Profile.Description != "AWS production" || all[0].Type != "OKTA_GROUP" || all[3].Type != "APP_GROUP" {
		t.Errorf("decoded %+v %+v", all[0].Profile, all[3])
	}
	calls := srv.Calls()
	if q := calls[len(calls)-1].Query; !strings.Contains(q, "after=00g3awsdev") || !strings.Contains(q, "search=") {
		t.Errorf("next page query %q keeps the search and moves the cursor", q)
	}
	if _, resp, err = c.Group.ListGroups(ctx, query.NewQueryParams(query.WithLimit(1))); err != nil ||
		!strings.HasSuffix(resp.Self, "limit=1") || !strings.Contains(resp.NextPage, "after=00g1grafana") {
		t.Errorf("links self %q next %q %v", resp.Self, resp.NextPage, err)
	}

	_, resp, err = c.Group.ListGroups(ctx, query.NewQueryParams(query.WithSearch(`profile.name like "x"`)))
	if oe := oktaError(t, err); oe.ErrorCode != "E0000031" || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad search: %+v", oe)
	}
}

func TestRenameDeleteGroupAndGroupApps(t *testing.T) {
	srv, c, ctx := setup(t)
	srv.RenameGroup("00g1grafana", "grafana-admins")
	if g, _, err := c.Group.GetGroup(ctx, "00g1grafana"); err != nil || g.Profile.Name != "grafana-admins" {
		t.Errorf("renamed: %+v %v", g, err)
	}
	for _, id := range []string{"0oa2aws", "0oa3gcp", "0oa4jira"} {
		srv.AddApp(id, strings.ToUpper(id[4:]))
		srv.AssignGroupApp("00g1grafana", id)
	}
	srv.AssignGroupApp("00g1grafana", "0oa1grafana")
	apps, resp, err := c.Group.ListAssignedApplicationsForGroup(ctx, "00g1grafana", query.NewQueryParams(query.WithLimit(3)))
	all, pages := allApps(t, ctx, apps, resp, err)
	var ids []string
	for _, a := range all {
		ids = append(ids, a.Id)
	}
	if pages != 2 || strings.Join(ids, ",") != "0oa1grafana,0oa2aws,0oa3gcp,0oa4jira" {
		t.Errorf("%d pages: %v", pages, ids)
	}
	srv.DeleteGroup("00g1grafana")
	if _, _, err := c.Group.GetGroup(ctx, "00g1grafana"); oktaError(t, err).ErrorCode != "E0000007" {
		t.Errorf("deleted group: %v", err)
	}
	if _, _, err := c.Group.ListAssignedApplicationsForGroup(ctx, "00g1grafana", nil); oktaError(t, err).ErrorCode != "E0000007" {
		t.Errorf("apps of a deleted group: %v", err)
	}
}

func TestGroupRulesAndRuleMembers(t *testing.T) {
	srv, c, ctx := setup(t)
	srv.AddUser(fakeokta.User{ID: "00u3carol", Login: "carol@example.com", Email: "carol@example.com",
		Profile: map[string]string{"department": "Engineering"}})
	srv.AddGroup("00g2eng", "engineering")
	srv.AddGroupRule(fakeokta.GroupRule{ID: "0pr1eng", Name: "Engineers", Expression: `user.department=="Engineering"`,
		GroupIDs: []string{"00g1grafana", "00g2eng"}})
	srv.AddGroupRule(fakeokta.GroupRule{ID: "0pr2old", Name: "Old rule", Expression: `user.title=="x"`,
		GroupIDs: []string{"00g2eng"}, Status: "INACTIVE"})
	srv.AddRuleMember("0pr1eng", "00u3carol")
	srv.AddMember("00g1grafana", "00u1alice")

	if !srv.IsMember("00g2eng", "00u3carol") || srv.MemberRule("00g1grafana", "00u3carol") != "0pr1eng" ||
		srv.MemberRule("00g1grafana", "00u1alice") != "" {
		t.Errorf("rule memberships: %v", srv.Members("00g1grafana"))
	}
	rules, resp, err := c.Group.ListGroupRules(ctx, query.NewQueryParams(query.WithLimit(1)))
	all, pages := allPages(t, ctx, rules, resp, err)
	if pages != 2 || len(all) != 2 {
		t.Fatalf("%d pages, %d rules", pages, len(all))
	}
	r := all[0]
	if r.Id != "0pr1eng" || r.Status != "ACTIVE" || r.Type != "group_rule" ||
		r.Conditions.Expression.Value != `user.department=="Engineering"` ||
		r.Conditions.Expression.Type != "urn:okta:expression:1.0" ||
		strings.Join(r.Actions.AssignUserToGroups.GroupIds, ",") != "00g1grafana,00g2eng" {
		t.Errorf("rule %+v", r)
	}
	if all[1].Status != "INACTIVE" {
		t.Errorf("second rule %+v", all[1])
	}
	if rules, _, err = c.Group.ListGroupRules(ctx, query.NewQueryParams(query.WithSearch("old"))); err != nil ||
		len(rules) != 1 || rules[0].Id != "0pr2old" {
		t.Errorf("search rules: %v %v", rules, err)
	}
	users, _, err := c.Group.ListGroupUsers(ctx, "00g1grafana", nil)
	if err != nil || len(users) != 2 || (*users[1].Profile)["department"] != "Engineering" {
		t.Errorf("members with custom profile attributes: %v %v", users, err)
	}
	// Removing the member through the API ends the rule's hold as well.
	if _, err := c.Group.RemoveUserFromGroup(ctx, "00g1grafana", "00u3carol"); err != nil || srv.MemberRule("00g1grafana", "00u3carol") != "" {
		t.Errorf("removed: %v", err)
	}
}

func TestListAppsFilterQueryAndPages(t *testing.T) {
	srv, c, ctx := setup(t)
	srv.PutApp(fakeokta.App{ID: "0oa2aws", Label: "AWS Production", Name: "amazon_aws"})
	srv.PutApp(fakeokta.App{ID: "0oa3awsold", Label: "AWS Legacy", Name: "amazon_aws", Status: "INACTIVE"})
	srv.PutApp(fakeokta.App{ID: "0oa4jira", Label: "Jira"})
	srv.AssignApp("0oa4jira", "00u1alice")
	srv.AssignGroupApp("00g1grafana", "0oa2aws")

	appIDs := func(qp *query.Params) string {
		t.Helper()
		apps, resp, err := c.Application.ListApplications(ctx, qp)
		all, _ := allApps(t, ctx, apps, resp, err)
		var ids []string
		for _, a := range all {
			ids = append(ids, a.Id)
		}
		return strings.Join(ids, ",")
	}
	for _, tc := range []struct {
		name string
		qp   *query.Params
		want string
	}{
		{"active", query.NewQueryParams(query.WithFilter(`status eq "ACTIVE"`)), "0oa1grafana,0oa2aws,0oa4jira"},
		{"label prefix", query.NewQueryParams(query.WithQ("aws")), "0oa2aws,0oa3awsold"},
		{"active with prefix", query.NewQueryParams(query.WithFilter(`status eq "ACTIVE"`), query.WithQ("AWS")), "0oa2aws"},
		{"by user", query.NewQueryParams(query.WithFilter(`user.id eq "00u1alice"`)), "0oa4jira"},
		{"by group", query.NewQueryParams(query.WithFilter(`group.id eq "00g1grafana"`)), "0oa2aws"},
		{"all, a page at a time", query.NewQueryParams(query.WithLimit(1)), "0oa1grafana,0oa2aws,0oa3awsold,0oa4jira"},
	} {
		if got := appIDs(tc.qp); got != tc.want {
			t.Errorf("%s: apps %s, want %s", tc.name, got, tc.want)
		}
	}
	apps, _, err := c.Application.ListApplications(ctx, query.NewQueryParams(query.WithQ("AWS L")))
	if err != nil || len(apps) != 1 || apps[0].(*okta.Application).Status != "INACTIVE" || apps[0].(*okta.Application).Label != "AWS Legacy" {
		t.Errorf("decoded app: %+v %v", apps, err)
	}
	_, _, err = c.Application.ListApplications(ctx, query.NewQueryParams(query.WithFilter(`label eq "x"`)))
	if oktaError(t, err).ErrorCode != "E0000031" {
		t.Errorf("unsupported filter: %v", err)
	}
}

func TestListAppUsersPages(t *testing.T) {
	srv, c, ctx := setup(t)
	for _, id := range []string{"00u3", "00u4", "00u5"} {
		srv.AddUser(fakeokta.User{ID: id, Login: id + "@example.com", Email: id + "@example.com"})
	}
	for _, id := range []string{"00u1alice", "00u2bob", "00u3", "00u4", "00u5"} {
		srv.AssignApp("0oa1grafana", id)
	}
	users, resp, err := c.Application.ListApplicationUsers(ctx, "0oa1grafana", query.NewQueryParams(query.WithLimit(2)))
	all, pages := allPages(t, ctx, users, resp, err)
	var ids []string
	for _, u := range all {
		ids = append(ids, u.Id+"="+u.Credentials.UserName)
	}
	if pages != 3 || strings.Join(ids, ",") != "00u1alice=alice@example.com,00u2bob=bob@example.com,00u3=00u3@example.com,00u4=00u4@example.com,00u5=00u5@example.com" {
		t.Errorf("%d pages: %v", pages, ids)
	}
}
