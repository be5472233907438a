package provisioner

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeokta"
)

// readAll reads from cursor until a page comes back empty, and returns the
// events and the cursor to poll next.
func readAll(t *testing.T, l *UsageLog, cursor string) ([]access.UseEvent, string) {
	t.Helper()
	var all []access.UseEvent
	for {
		evs, next, err := l.Read(testContext(t), cursor)
		wantCode(t, err, "")
		if next == "" {
			t.Fatal("Read returned no cursor")
		}
		cursor = next
		if len(evs) == 0 {
			return all, cursor
		}
		all = append(all, evs...)
	}
}

func eventIDs(evs []access.UseEvent) []string {
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return ids
}

func TestUsageLogReadsSignOnsAndResumesAfterRestart(t *testing.T) {
	srv := newOktaServer(t)
	srv.AddApp("0oa2", "AWS")
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	var want []string
	for i := range 5 {
		want = append(want, srv.SSO("00u1", "0oa1", t0.Add(time.Duration(i)*time.Minute)))
		if i == 2 { // neither a failed sign-on nor another event type counts
			srv.AddLogEvent(fakeokta.LogEvent{EventType: "user.authentication.sso", Result: "FAILURE",
				Actor: fakeokta.LogEntity{ID: "00u2", Type: "User"}, Targets: []fakeokta.LogEntity{{ID: "0oa1", Type: "AppInstance"}}})
			srv.AddLogEvent(fakeokta.LogEvent{EventType: "user.session.start", Actor: fakeokta.LogEntity{ID: "00u2", Type: "User"}})
		}
	}
	want = append(want, srv.SSO("00u2", "0oa2", t0.Add(time.Hour)))
	srv.takeRequests()

	o := newTestOkta(t, srv)
	since := time.Now().Add(-time.Hour).Truncate(time.Second)
	log := o.UsageLog(UsageOptions{PageSize: 2, Since: since})
	evs, cursor, err := log.Read(testContext(t), "")
	wantCode(t, err, "")
	if !slices.Equal(eventIDs(evs), want[:2]) {
		t.Fatalf("first page = %q, want %q", eventIDs(evs), want[:2])
	}
	if evs[1] != (access.UseEvent{ID: want[1], UserID: "00u1", AppID: "0oa1", At: t0.Add(time.Minute)}) {
		t.Fatalf("event = %+v", evs[1])
	}
	q, err := url.ParseQuery(srv.Calls()[len(srv.Calls())-1].Query)
	if err != nil || q.Get("filter") != `eventType eq "user.authentication.sso" and outcome.result eq "SUCCESS"` ||
		q.Get("sortOrder") != "ASCENDING" || q.Get("limit") != "2" || q.Get("since") != since.UTC().Format(time.RFC3339) {
		t.Fatalf("first request query = %v", q)
	}

	// The process restarts with the persisted cursor: a new client, the rest once.
	o = newTestOkta(t, srv)
	log = o.UsageLog(UsageOptions{PageSize: 2, Since: since})
	rest, idle := readAll(t, log, cursor)
	if got := append(eventIDs(evs), eventIDs(rest)...); !slices.Equal(got, want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
	if rest[3].UserID != "00u2" || rest[3].AppID != "0oa2" {
		t.Fatalf("last event = %+v", rest[3])
	}

	// Nothing new: the same cursor again, and no events.
	evs, again, err := log.Read(testContext(t), idle)
	wantCode(t, err, "")
	if len(evs) != 0 || again != idle {
		t.Fatalf("idle read = %+v, cursor %q, want none and %q", evs, again, idle)
	}
}

// A restart in the middle of a page: the last read returned fewer events
// than a page, the bot went down, sign-ons went on; the next read returns
// exactly those that came after.
func TestUsageLogRestartMidPage(t *testing.T) {
	srv := newOktaServer(t)
	t0 := time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
	first := srv.SSO("00u1", "0oa1", t0)
	log := newTestOkta(t, srv).UsageLog(UsageOptions{PageSize: 3})
	evs, cursor, err := log.Read(testContext(t), "")
	wantCode(t, err, "")
	if !slices.Equal(eventIDs(evs), []string{first}) {
		t.Fatalf("first read = %q", eventIDs(evs))
	}
	var later []string
	for i := range 4 { // more than the rest of that page
		later = append(later, srv.SSO("00u2", "0oa1", t0.Add(time.Duration(i+1)*time.Second)))
	}
	log = newTestOkta(t, srv).UsageLog(UsageOptions{PageSize: 3})
	got, _ := readAll(t, log, cursor)
	if !slices.Equal(eventIDs(got), later) {
		t.Fatalf("after the restart = %q, want %q", eventIDs(got), later)
	}
}

func TestUsageLogFailures(t *testing.T) {
	srv := newOktaServer(t)
	ids := []string{srv.SSO("00u1", "0oa1", time.Now().Add(-time.Minute)), srv.SSO("00u2", "0oa1", time.Now().Add(-time.Minute))}
	log := newTestOkta(t, srv).UsageLog(UsageOptions{PageSize: 1})
	ctx := testContext(t)
	evs, cursor, err := log.Read(ctx, "")
	wantCode(t, err, "")

	// Okta fails the second page: nothing is lost, the same cursor works later.
	srv.FailNext(http.MethodGet, "/api/v1/logs", fakeokta.Fault{Status: http.StatusInternalServerError})
	_, next, err := log.Read(ctx, cursor)
	wantCode(t, err, access.EUNAVAILABLE)
	if next != "" {
		t.Fatalf("cursor after a failure = %q", next)
	}
	rest, _ := readAll(t, log, cursor)
	if got := append(eventIDs(evs), eventIDs(rest)...); !slices.Equal(got, ids) {
		t.Fatalf("events = %q, want %q", got, ids)
	}

	for _, bad := range []string{"after=1", "/api/v1/users?after=1", "http://elsewhere.example/api/v1/logs?after=1", "/api/v1/logs", "%zz"} {
		_, _, err := log.Read(ctx, bad)
		wantCode(t, err, access.EINVALID)
	}
	srv.FailNext(http.MethodGet, "/api/v1/logs", fakeokta.Fault{Status: http.StatusTooManyRequests, Times: 10, RateLimitReset: -time.Second})
	_, _, err = newTestOkta(t, srv, func(o *Options) { o.RateLimitMaxRetries = 1 }).UsageLog(UsageOptions{}).Read(ctx, cursor)
	wantCode(t, err, access.EUNAVAILABLE)
	srv.ClearFaults()
	_, _, err = newTestOkta(t, srv, func(o *Options) { o.Token = "wrong" }).UsageLog(UsageOptions{}).Read(ctx, "")
	wantCode(t, err, access.EUNAUTHORIZED)
}
