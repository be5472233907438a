package fakeokta_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/accessbot/accessbot/fake/fakeokta"
)

func uuids(evs []*okta.LogEvent) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Uuid)
	}
	return strings.Join(out, ",")
}

func TestSystemLogEventShapeAndFilters(t *testing.T) {
	srv, c, ctx := setup(t)
	srv.AddApp("0oa2aws", "AWS")
	t0 := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	sso1 := srv.SSO("00u1alice", "0oa1grafana", t0)
	sso2 := srv.SSO("00u2bob", "0oa2aws", t0.Add(time.Minute))
	failed := srv.AddLogEvent(fakeokta.LogEvent{UUID: "fail-1", Published: t0.Add(2 * time.Minute), EventType: "user.authentication.sso",
		Result: "FAILURE", Actor: fakeokta.LogEntity{ID: "00u1alice", Type: "User"},
		Targets: []fakeokta.LogEntity{{ID: "0oa2aws", Type: "AppInstance"}}})
	login := srv.AddLogEvent(fakeokta.LogEvent{Published: t0.Add(3 * time.Minute), EventType: "user.session.start",
		Actor: fakeokta.LogEntity{ID: "00u1alice", Type: "User"}})
	if failed != "fail-1" || login == "" || sso1 == sso2 {
		t.Fatalf("uuids %q %q %q %q", sso1, sso2, failed, login)
	}

	evs, resp, err := c.LogEvent.GetLogs(ctx, query.NewQueryParams(query.WithFilter(`eventType eq "user.authentication.sso"`)))
	if err != nil || uuids(evs) != strings.Join([]string{sso1, sso2, failed}, ",") {
		t.Fatalf("by event type: %s %v", uuids(evs), err)
	}
	e := evs[0]
	if e.EventType != "user.authentication.sso" || e.Outcome.Result != "SUCCESS" || !e.Published.Equal(t0) ||
		e.Actor.Id != "00u1alice" || e.Actor.Type != "User" || e.Actor.AlternateId != "alice@example.com" || e.Actor.DisplayName != "Alice A" ||
		len(e.Target) != 2 || e.Target[0].Id != "0oa1grafana" || e.Target[0].Type != "AppInstance" || e.Target[0].DisplayName != "Grafana" ||
		e.Target[1].Type != "AppUser" {
		t.Errorf("SSO event %+v actor %+v targets %+v", e, e.Actor, e.Target)
	}
	if !resp.HasNextPage() {
		t.Error("a polling request has no next link")
	}

	for _, tc := range []struct{ filter, want string }{
		{`eventType eq "user.authentication.sso" and outcome.result eq "SUCCESS"`, sso1 + "," + sso2},
		{`target.id eq "0oa2aws"`, sso2 + "," + failed},
		{`actor.id eq "00u1alice" and (outcome.result eq "FAILURE" or eventType eq "user.session.start")`, failed + "," + login},
		{`target.type eq "AppInstance" and target.id eq "0oa1grafana"`, sso1},
	} {
		evs, _, err := c.LogEvent.GetLogs(ctx, query.NewQueryParams(query.WithFilter(tc.filter)))
		if err != nil || uuids(evs) != tc.want {
			t.Errorf("filter %s: %s %v, want %s", tc.filter, uuids(evs), err, tc.want)
		}
	}
	if evs, _, err = c.LogEvent.GetLogs(ctx, query.NewQueryParams(query.WithQ("aws bob"))); err != nil || uuids(evs) != sso2 {
		t.Errorf("q: %s %v", uuids(evs), err)
	}

	// Bounded: by published time, either order, no next link at the end.
	bounded := func(opts ...query.ParamOptions) ([]*okta.LogEvent, *okta.Response) {
		t.Helper()
		evs, resp, err := c.LogEvent.GetLogs(ctx, query.NewQueryParams(append([]query.ParamOptions{
			query.WithSince(t0.Add(time.Minute).Format(time.RFC3339)),
			query.WithUntil(t0.Add(3 * time.Minute).Format(time.RFC3339))}, opts...)...))
		if err != nil {
			t.Fatal(err)
		}
		return evs, resp
	}
	if evs, resp := bounded(); uuids(evs) != sso2+","+failed || resp.HasNextPage() {
		t.Errorf("bounded: %s next %q", uuids(evs), resp.NextPage)
	}
	if evs, _ := bounded(query.WithSortOrder("DESCENDING")); uuids(evs) != failed+","+sso2 {
		t.Errorf("bounded descending: %s", uuids(evs))
	}
	evs, resp = bounded(query.WithLimit(1))
	var next []*okta.LogEvent
	if uuids(evs) != sso2 || !resp.HasNextPage() {
		t.Fatalf("bounded page 1: %s", uuids(evs))
	}
	if resp, err = resp.Next(ctx, &next); err != nil || uuids(next) != failed || resp.HasNextPage() {
		t.Errorf("bounded page 2: %s %v next %q", uuids(next), err, resp.NextPage)
	}

	for _, qp := range []*query.Params{
		query.NewQueryParams(query.WithFilter(`eventType sounds "x"`)),
		query.NewQueryParams(query.WithSince("yesterday")),
		query.NewQueryParams(query.WithSortOrder("SIDEWAYS")),
		query.NewQueryParams(query.WithAfter("not-a-cursor")),
	} {
		_, resp, err := c.LogEvent.GetLogs(ctx, qp)
		if oe := oktaError(t, err); resp.StatusCode != http.StatusBadRequest || oe.ErrorCode == "" {
			t.Errorf("%s: %+v", qp.String(), oe)
		}
	}
}

// Okta's polling: every page of a request without until has a next link;
// an empty page means nothing new yet, and polling that link later returns
// what arrived since, each event once.
func TestSystemLogPolling(t *testing.T) {
	srv, c, ctx := setup(t)
	t0 := time.Now().Add(-time.Hour).UTC()
	var want []string
	for i := 0; i < 5; i++ {
		want = append(want, srv.SSO("00u1alice", "0oa1grafana", t0.Add(time.Duration(i)*time.Second)))
	}
	filter := query.WithFilter(`eventType eq "user.authentication.sso"`)
	evs, resp, err := c.LogEvent.GetLogs(ctx, query.NewQueryParams(filter, query.WithLimit(2)))
	if err != nil {
		t.Fatal(err)
	}
	got := uuids(evs)
	pages := 1
	for len(evs) > 0 {
		if !resp.HasNextPage() {
			t.Fatal("a polling page without a next link")
		}
		evs = nil
		if resp, err = resp.Next(ctx, &evs); err != nil {
			t.Fatal(err)
		}
		if len(evs) > 0 {
			got += "," + uuids(evs)
		}
		pages++
	}
	if got != strings.Join(want, ",") || pages != 4 || !resp.HasNextPage() {
		t.Fatalf("%d pages: %s, next %q", pages, got, resp.NextPage)
	}
	// Nothing new: the same link again, empty.
	link := resp.NextPage
	if resp, err = resp.Next(ctx, &evs); err != nil || len(evs) != 0 || resp.NextPage != link {
		t.Fatalf("idle poll: %s %v next %q, want %q", uuids(evs), err, resp.NextPage, link)
	}
	// An event published earlier but stored later still arrives, once.
	late := srv.SSO("00u2bob", "0oa1grafana", t0.Add(-time.Minute))
	srv.AddLogEvent(fakeokta.LogEvent{EventType: "user.session.start"}) // filtered out
	if resp, err = resp.Next(ctx, &evs); err != nil || uuids(evs) != late {
		t.Fatalf("after a new event: %s %v", uuids(evs), err)
	}
	evs = nil
	if _, err = resp.Next(ctx, &evs); err != nil || len(evs) != 0 {
		t.Fatalf("then: %s %v", uuids(evs), err)
	}
}
