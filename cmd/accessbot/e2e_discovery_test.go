package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// jitSources discovers the groups whose name starts "JIT AWS" and the apps
// labelled "AWS …"; Bob approves them.
const jitSources = `resource_sources:
  - okta_groups: {search: 'profile.name sw "JIT AWS"'}
    description: 'Discovered: {{ .Description }}'
    policy: standard
    approvers: [bob@example.com]
    refresh: 1h
  - okta_apps: {filter: 'status eq "ACTIVE"', name_prefix: 'AWS '}
    policy: standard
    approvers: [bob@example.com]
    refresh: 30s
`

const (
	groupJITAdmin = "00gjitadmin"
	groupJITRead  = "00gjitread"
	appAWSBilling = "0oaawsbilling"
)

// jitOkta fills Okta with what jitSources matches and a little it does not,
// served one item a page, the first group search answered 429.
func jitOkta(sb *Sandbox) {
	sb.Okta.PutGroup(fakeokta.Group{ID: groupJITAdmin, Name: "JIT AWS Admin", Description: "admin in every account"})
	sb.Okta.PutGroup(fakeokta.Group{ID: groupJITRead, Name: "JIT AWS Read", Description: "read-only"})
	sb.Okta.AddGroup("00gunrelated", "Engineering")
	sb.Okta.AddApp(appAWSBilling, "AWS Billing (read)")
	sb.Okta.AddApp("0oaslack", "Slack")
	sb.Okta.SetMaxPage(1)
	sb.Okta.FailNextMatching(func(r *http.Request) bool {
		return r.URL.Path == "/api/v1/groups" && r.URL.Query().Get("search") != ""
	}, fakeokta.Fault{Status: 429})
}

// A rule's groups and apps become resources that are requested, approved
// and granted like configured ones, and are listed by help.
func TestDiscoveredResourcesRequested(t *testing.T) {
	e := startReloadable(t, jitSources, jitOkta)
	okta := e.sb.Okta
	cat := e.m.Workflow().Catalog()
	for id, target := range map[string]access.Target{
		"jit-aws-admin":    {Kind: access.TargetGroup, ID: groupJITAdmin},
		"jit-aws-read":     {Kind: access.TargetGroup, ID: groupJITRead},
		"aws-billing-read": {Kind: access.TargetApp, ID: appAWSBilling},
	} {
		res, err := cat.Get(id)
		if err != nil {
			t.Fatalf("discovered resource %s missing: %v (catalog %v)", id, err, ids(cat))
		}
		if res.Target != target || !res.IsApprover(Bob.Email) || res.IsApprover(Carol.Email) {
			t.Errorf("%s = %+v, want target %v approved by Bob only", id, res, target)
		}
	}
	if res, _ := cat.Get("jit-aws-admin"); res.Name != "JIT AWS Admin" || res.Description != "Discovered: admin in every account" {
		t.Errorf("name and description = %q, %q", res.Name, res.Description)
	}
	if _, err := cat.Get("engineering"); err == nil {
		t.Error("a group the rule does not match became a resource")
	}
	var retried, paged bool
	for _, c := range okta.Calls() {
		retried = retried || c.Path == "/api/v1/groups" && c.Status == 429
		paged = paged || c.Path == "/api/v1/groups" && strings.Contains(c.Query, "after=")
	}
	if !retried || !paged {
		t.Errorf("discovery did not page through Okta (%t) or did not wait out the 429 (%t)", paged, retried)
	}
	if evs := e.systemEvents(access.EventResourcesRefreshed); len(evs) != 1 || !strings.Contains(evs[0].Details["added"], "jit-aws-admin") {
		t.Errorf("resources_refreshed events = %+v, want one adding the discovered resources", evs)
	}

	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "help")
	e.reply(mark, Alice, "jit-aws-admin", "aws-billing-read")

	id, msg := e.ask(Alice, "jit-aws-admin 1h rotate the keys", Bob)
	e.click(Bob, msg, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	if !okta.IsMember(groupJITAdmin, Alice.OktaID) {
		t.Fatal("the discovered group was not granted")
	}
	app, msg := e.ask(Alice, "aws-billing-read 1h check the invoice", Bob)
	e.click(Bob, msg, bot.ActionApprove)
	e.waitState(app, access.StateActive)
	if !okta.AppAssigned(appAWSBilling, Alice.OktaID) {
		t.Fatal("the discovered app was not assigned")
	}
	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "list")
	e.reply(mark, Alice, "JIT AWS Admin", "AWS Billing (read)")
	e.openHome(Alice)
	e.home(Alice, "the discovered grants listed by name", func(v fakeslack.View) bool {
		return containsAll(v.Text(), "JIT AWS Admin", "AWS Billing (read)")
	})
	e.noRejections()
}

// A group renamed (so its id changes) and a group deleted in Okta between
// refreshes: neither old resource is requestable any more, and both active
// grants still end on time from the group they recorded.
func TestDiscoveredGroupRenamedOrRemoved(t *testing.T) {
	e := startReloadable(t, jitSources, jitOkta)
	okta := e.sb.Okta
	admin, msg := e.ask(Alice, "jit-aws-admin 1h rotate the keys", Bob)
	e.click(Bob, msg, bot.ActionApprove)
	read, msg := e.ask(Alice, "jit-aws-read 1h look at the logs", Bob)
	e.click(Bob, msg, bot.ActionApprove)
	e.waitState(admin, access.StateActive)
	e.waitState(read, access.StateActive)

	okta.RenameGroup(groupJITAdmin, "JIT AWS Administrator")
	okta.DeleteGroup(groupJITRead)
	if err := e.m.RefreshSources(e.ctx()); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	cat := e.m.Workflow().Catalog()
	if _, err := cat.Get("jit-aws-admin"); err == nil {
		t.Error("the renamed group is still requestable under its old id")
	}
	if _, err := cat.Get("jit-aws-read"); err == nil {
		t.Error("the deleted group is still requestable")
	}
	if res, err := cat.Get("jit-aws-administrator"); err != nil || res.Target.ID != groupJITAdmin {
		t.Errorf("the renamed group's new resource = %+v, %v", res, err)
	}
	evs := e.systemEvents(access.EventResourcesRefreshed)
	if last := evs[len(evs)-1].Details; last["removed"] != "jit-aws-admin,jit-aws-read" || last["added"] != "jit-aws-administrator" {
		t.Errorf("refresh summary = %v", last)
	}
	mark := e.sb.Slack.Mark()
	e.slash(Carol, "/access", "request jit-aws-read 1h again")
	e.reply(mark, Carol, `no resource "jit-aws-read"`)

	e.advance(time.Hour + time.Second)
	e.waitState(admin, access.StateExpired)
	e.waitState(read, access.StateExpired)
	if okta.IsMember(groupJITAdmin, Alice.OktaID) || okta.GroupRemovals(groupJITAdmin, Alice.OktaID) != 1 {
		t.Error("the renamed group's grant was not removed from its recorded group")
	}
	asked := false
	for _, c := range okta.Calls() {
		asked = asked || c.Method == "DELETE" && c.Path == "/api/v1/groups/"+groupJITRead+"/users/"+Alice.OktaID && c.Status == 404
	}
	if !asked || okta.IsMember(groupJITRead, Alice.OktaID) {
		t.Error("the deleted group's grant was not removed from its recorded group (Okta's 404 counts as done)")
	}
}

// More than 100 resources: the modal's resource menu is an external
// select, searched through block_suggestion; a match can be requested.
func TestModalSearchesManyResources(t *testing.T) {
	many := func(sb *Sandbox) {
		for i := range 150 {
			sb.Okta.PutGroup(fakeokta.Group{ID: fmt.Sprintf("00gteam%03d", i), Name: fmt.Sprintf("JIT AWS Team %03d", i)})
		}
	}
	e := startReloadable(t, jitSources, many)
	if n := len(e.m.Workflow().Catalog().All()); n != 153 {
		t.Fatalf("catalog holds %d resources, want 3 configured + 150 discovered", n)
	}
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "")
	v, err := e.sb.Slack.WaitView(e.ctx(), func(v fakeslack.View) bool {
		return v.User == Alice.SlackID && v.Open && v.CallbackID == bot.CallbackRequest
	})
	if err != nil {
		t.Fatalf("no request modal: %v", err)
	}
	all, err := e.sb.Slack.Suggest(e.ctx(), Alice.SlackID, v.ID, bot.BlockResource, bot.ActionResourceSelect, "")
	if err != nil {
		t.Fatalf("suggest with nothing typed: %v", err)
	}
	if len(all.Options) != 100 {
		t.Errorf("an empty query suggests %d options, want the first 100", len(all.Options))
	}
	got, err := e.sb.Slack.Suggest(e.ctx(), Alice.SlackID, v.ID, bot.BlockResource, bot.ActionResourceSelect, "team 042")
	if err != nil {
		t.Fatalf("suggest: %v", err)
	}
	if len(got.Options) != 1 || got.Options[0].Value != "jit-aws-team-042" || got.Options[0].Text != "JIT AWS Team 042" {
		t.Fatalf("searching \"team 042\" suggests %+v, want only JIT AWS Team 042", got.Options)
	}
	if _, err := e.sb.Slack.ViewAction(e.ctx(), Alice.SlackID, v.ID, bot.BlockResource, bot.ActionResourceSelect, "jit-aws-team-042"); err != nil {
		t.Fatal(err)
	}
	v = e.viewFor(v.ID, "jit-aws-team-042")
	ack := e.submitModal(Alice, v, "jit-aws-team-042", "1h", "deploy the team's stack")
	if ack.ResponseAction() == "errors" {
		t.Fatalf("modal refused: %v", ack.Errors())
	}
	_, id := e.approvalDM(mark, Bob)
	if r := e.request(id); r.ResourceID != "jit-aws-team-042" {
		t.Errorf("request for %s, want jit-aws-team-042", r.ResourceID)
	}
	e.noRejections()
}

func ids(cat *access.Catalog) []string {
	var out []string
	for _, r := range cat.All() {
		out = append(out, r.ID)
	}
	return out
}
