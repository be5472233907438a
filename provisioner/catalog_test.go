package provisioner

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeokta"
)

func TestSearchGroupsAllPages(t *testing.T) {
	srv := newOktaServer(t)
	for i := 1; i <= 5; i++ {
		srv.PutGroup(fakeokta.Group{ID: fmt.Sprintf("00gA%d", i), Name: fmt.Sprintf("jit-aws-%d", i), Description: fmt.Sprintf("account %d", i)})
	}
	srv.PutGroup(fakeokta.Group{ID: "00gB", Name: "jit-aws-imported", Type: "APP_GROUP"})
	srv.SetMaxPage(2)
	o := newTestOkta(t, srv)
	srv.takeRequests()
	got, err := o.SearchGroups(testContext(t), `profile.name sw "jit-aws-" and type eq "OKTA_GROUP"`)
	wantCode(t, err, "")
	var ids []string
	for _, g := range got {
		ids = append(ids, g.ID)
	}
	if want := []string{"00gA1", "00gA2", "00gA3", "00gA4", "00gA5"}; !slices.Equal(ids, want) {
		t.Fatalf("groups = %q, want %q", ids, want)
	}
	if got[2] != (access.OktaGroup{ID: "00gA3", Name: "jit-aws-3", Description: "account 3"}) {
		t.Fatalf("group = %+v", got[2])
	}
	if reqs := srv.takeRequests(); len(reqs) != 3 || !strings.Contains(reqs[2], "after=00gA4") || !strings.Contains(reqs[2], "search=") {
		t.Fatalf("requests = %q, want three pages of the same search", reqs)
	}
}

func TestSearchGroupsErrors(t *testing.T) {
	srv := newOktaServer(t)
	srv.SetMaxPage(1)
	o := newTestOkta(t, srv)
	ctx := testContext(t)
	_, err := o.SearchGroups(ctx, `profile.name resembles "x"`)
	wantCode(t, err, access.EINVALID)

	// A 500 on the second page fails the search: no partial list.
	first := true
	srv.FailNextMatching(func(r *http.Request) bool {
		if r.URL.Path != "/api/v1/groups" {
			return false
		}
		if first {
			first = false
			return false
		}
		return true
	}, fakeokta.Fault{Status: http.StatusInternalServerError})
	got, err := o.SearchGroups(ctx, "")
	wantCode(t, err, access.EUNAVAILABLE)
	if got != nil {
		t.Fatalf("groups after a failed page = %+v, want none", got)
	}
	var ae *APIError
	if !strings.Contains(err.Error(), "okta: search groups") || !errors.As(err, &ae) || ae.Status != http.StatusInternalServerError {
		t.Fatalf("err = %v", err)
	}
	// The next search goes through.
	got, err = o.SearchGroups(ctx, "")
	wantCode(t, err, "")
	if len(got) != 3 {
		t.Fatalf("groups = %+v", got)
	}

	bad := newTestOkta(t, srv, func(o *Options) { o.Token = "wrong" })
	_, err = bad.SearchGroups(ctx, "")
	wantCode(t, err, access.EUNAUTHORIZED)
}

func TestListAppsAndGroupApps(t *testing.T) {
	srv := newOktaServer(t)
	srv.PutApp(fakeokta.App{ID: "0oa2", Label: "AWS Prod", Name: "amazon_aws"})
	srv.PutApp(fakeokta.App{ID: "0oa3", Label: "AWS Old", Name: "amazon_aws", Status: "INACTIVE"})
	srv.PutApp(fakeokta.App{ID: "0oa4", Label: "aws sandbox"})
	srv.PutApp(fakeokta.App{ID: "0oa5", Label: "Jira"})
	srv.SetMaxPage(1)
	o := newTestOkta(t, srv)
	ctx := testContext(t)

	got, err := o.ListApps(ctx, `status eq "ACTIVE"`, "aws")
	wantCode(t, err, "")
	want := []access.OktaApp{{ID: "0oa2", Label: "AWS Prod", Status: "ACTIVE"}, {ID: "0oa4", Label: "aws sandbox", Status: "ACTIVE"}}
	if !slices.Equal(got, want) {
		t.Fatalf("apps = %+v, want %+v", got, want)
	}
	all, err := o.ListApps(ctx, "", "")
	wantCode(t, err, "")
	if len(all) != 5 || all[2].Status != "INACTIVE" {
		t.Fatalf("all apps = %+v", all)
	}
	_, err = o.ListApps(ctx, `label eq "x"`, "")
	wantCode(t, err, access.EINVALID)

	for _, id := range []string{"0oa5", "0oa2", "0oa1"} {
		srv.AssignGroupApp("00g2", id)
	}
	got, err = o.GroupApps(ctx, "00g2")
	wantCode(t, err, "")
	if want := []access.OktaApp{{ID: "0oa1", Label: "Grafana", Status: "ACTIVE"}, {ID: "0oa2", Label: "AWS Prod", Status: "ACTIVE"},
		{ID: "0oa5", Label: "Jira", Status: "ACTIVE"}}; !slices.Equal(got, want) {
		t.Fatalf("group apps = %+v, want %+v", got, want)
	}
	_, err = o.GroupApps(ctx, "00gX")
	wantCode(t, err, access.ENOTFOUND)
}
