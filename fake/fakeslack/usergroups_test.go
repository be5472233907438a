package fakeslack_test

import (
	"slices"
	"testing"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

// TestUserGroups checks usergroups.list and usergroups.users.list through
// slack-go: members, disabled groups only on request, counts and member
// lists only on request, no_such_subteam for an unknown group.
func TestUserGroups(t *testing.T) {
	srv := newServer(t)
	srv.AddUserGroup(fakeslack.UserGroup{ID: "S0DBA", Handle: "dba", Name: "Database admins", Users: []string{"U0ALICE", "U0BOB"}})
	srv.AddUserGroup(fakeslack.UserGroup{ID: "S0OLD", Handle: "old-oncall", Name: "Old on-call", Users: []string{"U0BOB"}, Disabled: true})
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))

	groups, err := api.GetUserGroups()
	if err != nil || len(groups) != 1 || groups[0].ID != "S0DBA" || groups[0].Handle != "dba" || !groups[0].IsUserGroup ||
		groups[0].TeamID != fakeslack.TeamID || groups[0].Users != nil || groups[0].UserCount != 0 {
		t.Fatalf("usergroups.list = %+v, %v", groups, err)
	}
	groups, err = api.GetUserGroups(slack.GetUserGroupsOptionIncludeDisabled(true), slack.GetUserGroupsOptionIncludeCount(true),
		slack.GetUserGroupsOptionIncludeUsers(true))
	if err != nil || len(groups) != 2 {
		t.Fatalf("usergroups.list with disabled = %+v, %v", groups, err)
	}
	if g := groups[0]; g.UserCount != 2 || !slices.Equal(g.Users, []string{"U0ALICE", "U0BOB"}) || g.DateDelete != 0 {
		t.Errorf("enabled group %+v", g)
	}
	if g := groups[1]; g.ID != "S0OLD" || g.DateDelete == 0 {
		t.Errorf("a disabled group has date_delete %v", g.DateDelete)
	}

	members, err := api.GetUserGroupMembers("S0DBA")
	if err != nil || !slices.Equal(members, []string{"U0ALICE", "U0BOB"}) {
		t.Errorf("usergroups.users.list = %v, %v", members, err)
	}
	if !srv.SetUserGroupMembers("S0DBA", "U0BOB") {
		t.Fatal("S0DBA not found")
	}
	if members, err := api.GetUserGroupMembers("S0DBA"); err != nil || !slices.Equal(members, []string{"U0BOB"}) {
		t.Errorf("after a change: %v, %v", members, err)
	}
	if _, err := api.GetUserGroupMembers("S0NOPE"); err == nil || err.Error() != "no_such_subteam" {
		t.Errorf("unknown group: %v", err)
	}
	if _, err := api.GetUserGroupMembers("S0OLD"); err == nil || err.Error() != "no_such_subteam" {
		t.Errorf("disabled group without include_disabled: %v", err)
	}
	members, err = api.GetUserGroupMembers("S0OLD", slack.GetUserGroupMembersOptionIncludeDisabled(true))
	if err != nil || !slices.Equal(members, []string{"U0BOB"}) {
		t.Errorf("disabled group with include_disabled: %v, %v", members, err)
	}
	srv.AddUserGroup(fakeslack.UserGroup{ID: "S0EMPTY", Handle: "nobody", Name: "Nobody"})
	if members, err := api.GetUserGroupMembers("S0EMPTY"); err != nil || members == nil || len(members) != 0 {
		t.Errorf("empty group: %#v, %v", members, err)
	}
}

// TestScopes checks that a token's scopes, when the server is given them,
// are listed by auth.test and required by the methods that need them.
func TestScopes(t *testing.T) {
	srv := fakeslack.New(fakeslack.Options{Scopes: []string{"commands", "chat:write", "users:read"}})
	t.Cleanup(srv.Close)
	srv.AddUserGroup(fakeslack.UserGroup{ID: "S0DBA", Handle: "dba", Users: []string{"U0ALICE"}})
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	auth, err := api.AuthTest()
	if err != nil || auth.Header.Get("X-OAuth-Scopes") != "commands,chat:write,users:read" {
		t.Fatalf("auth.test scopes %q, %v", auth.Header.Get("X-OAuth-Scopes"), err)
	}
	_, err = api.GetUserGroupMembers("S0DBA")
	if err == nil || err.Error() != "missing_scope" {
		t.Errorf("usergroups.users.list without usergroups:read: %v", err)
	}
	if calls := srv.Calls("usergroups.users.list"); len(calls) != 1 || calls[0].Error != "missing_scope" {
		t.Errorf("calls %+v", calls)
	}
	if _, err := api.GetUserByEmail("alice@example.com"); err == nil || err.Error() != "missing_scope" {
		t.Errorf("users.lookupByEmail without users:read.email: %v", err)
	}
}
