package oncall

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

func TestCurrentShiftsBySchedule(t *testing.T) {
	srv := newPDServer(t)
	srv.setOnCalls(
		testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 1, start: t0.Add(-time.Hour), end: t0.Add(time.Hour)},
		testOnCall{user: "PU3", schedule: "PS2", policy: "PE1", level: 2, start: t0.Add(-time.Hour), end: t0.Add(time.Hour)},
	)
	pd := newTestPD(t, srv, &clock{now: t0})
	got := shifts(t, pd, "alice@example.com", access.OnCallPolicy{Schedules: []string{"PS1", "PS2"}}, t0)
	wantShifts(t, got, access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1, Start: t0.Add(-time.Hour), End: t0.Add(time.Hour)})

	reqs := srv.takeRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Header.Get("Authorization") != "Token token="+testToken {
		t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
	}
	if r.Header.Get("Accept") != "application/vnd.pagerduty+json;version=2" {
		t.Errorf("Accept = %q", r.Header.Get("Accept"))
	}
	want := url.Values{
		"schedule_ids[]": {"PS1", "PS2"}, "include[]": {"users"}, "time_zone": {"UTC"},
		"since": {"2024-01-01T12:00:00Z"}, "until": {"2024-01-01T12:00:00Z"}, "limit": {"100"},
	}
	if got := query(t, r); got.Encode() != want.Encode() {
		t.Errorf("query = %s, want %s", got.Encode(), want.Encode())
	}
	if r.Path != "/oncalls" {
		t.Errorf("path = %q, want /oncalls (no double slash from the APIURL)", r.Path)
	}
}

func TestCurrentShiftsByEscalationPolicy(t *testing.T) {
	srv := newPDServer(t)
	srv.setOnCalls(
		testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 1, start: t0.Add(-time.Hour), end: t0.Add(time.Hour)},
		testOnCall{user: "PU1", policy: "PE1", level: 3}, // permanent: direct target, no schedule
		testOnCall{user: "PU1", schedule: "PS9", policy: "PE2", level: 1, start: t0.Add(-time.Hour), end: t0.Add(time.Hour)},
		testOnCall{user: "PU3", schedule: "PS1", policy: "PE1", level: 2, start: t0.Add(-time.Hour), end: t0.Add(2 * time.Hour)},
	)
	pd := newTestPD(t, srv, &clock{now: t0})
	got := shifts(t, pd, "Alice@Example.COM", access.OnCallPolicy{EscalationPolicies: []string{"PE1"}}, t0)
	// Every level is returned: filtering by level is the policy's job.
	wantShifts(t, got,
		access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1, Start: t0.Add(-time.Hour), End: t0.Add(time.Hour)},
		access.Shift{EscalationPolicyID: "PE1", Level: 3},
	)
	if q := query(t, srv.takeRequests()[0]); !slices.Equal(q["escalation_policy_ids[]"], []string{"PE1"}) || q.Has("schedule_ids[]") {
		t.Errorf("query = %s, want escalation_policy_ids[]=PE1 only", q.Encode())
	}
}

// PagerDuty combines different filters with "and"; a policy that trusts a
// schedule and an escalation policy must see the entries of either.
func TestCurrentShiftsBySchedulesAndPolicies(t *testing.T) {
	srv := newPDServer(t)
	srv.setOnCalls(
		testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 1, start: t0.Add(-time.Hour), end: t0.Add(time.Hour)},
		testOnCall{user: "PU1", schedule: "PS2", policy: "PE2", level: 2, start: t0.Add(-time.Hour), end: t0.Add(time.Hour)},
	)
	pd := newTestPD(t, srv, &clock{now: t0})
	got := shifts(t, pd, "alice@example.com", access.OnCallPolicy{Schedules: []string{"PS1"}, EscalationPolicies: []string{"PE1", "PE2"}}, t0)
	wantShifts(t, got,
		access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1, Start: t0.Add(-time.Hour), End: t0.Add(time.Hour)},
		access.Shift{ScheduleID: "PS2", EscalationPolicyID: "PE2", Level: 2, Start: t0.Add(-time.Hour), End: t0.Add(time.Hour)},
	)
}

func TestCurrentShiftsNotOnCall(t *testing.T) {
	srv := newPDServer(t)
	srv.setOnCalls(testOnCall{user: "PU3", schedule: "PS1", policy: "PE1", level: 1})
	pd := newTestPD(t, srv, &clock{now: t0})
	if got := shifts(t, pd, "alice@example.com", access.OnCallPolicy{Schedules: []string{"PS1"}}, t0); len(got) != 0 {
		t.Fatalf("shifts = %+v, want none", got)
	}
	// No filter: PagerDuty would list everyone; nothing is asked.
	if got := shifts(t, pd, "carol@example.com", access.OnCallPolicy{}, t0); len(got) != 0 {
		t.Fatalf("shifts without filters = %+v, want none", got)
	}
	if got := shifts(t, pd, "", access.OnCallPolicy{Schedules: []string{"PS1"}}, t0); len(got) != 0 {
		t.Fatalf("shifts of no email = %+v, want none", got)
	}
	if n := srv.count("/oncalls"); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

func TestCurrentShiftsPages(t *testing.T) {
	srv := newPDServer(t)
	srv.SetMaxLimit(2)
	var ocs []testOnCall
	for i := range 6 {
		ocs = append(ocs, testOnCall{user: "PU3", schedule: "PS1", policy: "PE1", level: i + 1})
	}
	srv.setOnCalls(append(ocs, testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 7})...)
	pd := newTestPD(t, srv, &clock{now: t0})
	got := shifts(t, pd, "alice@example.com", access.OnCallPolicy{Schedules: []string{"PS1"}}, t0)
	wantShifts(t, got, access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 7})
	var offsets []string
	for _, r := range srv.takeRequests() {
		offsets = append(offsets, query(t, r).Get("offset"))
	}
	if want := []string{"", "2", "4", "6"}; !slices.Equal(offsets, want) {
		t.Fatalf("offsets = %q, want %q", offsets, want)
	}
}

func TestCurrentShiftsFetchesMissingEmail(t *testing.T) {
	srv := newPDServer(t)
	srv.setOnCalls(testOnCall{user: "PU2", schedule: "PS1", policy: "PE1", level: 1})
	clk := &clock{now: t0}
	pd := newTestPD(t, srv, clk, func(o *Options) { o.CacheTTL = time.Minute })
	p := access.OnCallPolicy{Schedules: []string{"PS1"}}
	wantShifts(t, shifts(t, pd, "bob@example.com", p, t0), access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1})
	reqs := srv.takeRequests()
	if len(reqs) != 2 || reqs[1].Path != "/users/PU2" {
		t.Fatalf("requests = %v, want /oncalls then /users/PU2", reqs)
	}
	// The email is remembered past the on-call list.
	now := t0.Add(2 * time.Minute)
	clk.set(now)
	wantShifts(t, shifts(t, pd, "bob@example.com", p, now), access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1})
	if n := srv.count("/users/PU2"); n != 0 {
		t.Fatalf("%d user requests after the first, want 0", n)
	}
}

func TestCurrentShiftsUserGone(t *testing.T) {
	srv := newPDServer(t)
	srv.setOnCalls(
		testOnCall{user: "PUX", schedule: "PS1", policy: "PE1", level: 1},
		testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 2},
	)
	pd := newTestPD(t, srv, &clock{now: t0})
	got := shifts(t, pd, "alice@example.com", access.OnCallPolicy{Schedules: []string{"PS1"}}, t0)
	wantShifts(t, got, access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 2})
}

func TestCheckToken(t *testing.T) {
	srv := newPDServer(t)
	wantCode(t, newTestPD(t, srv, &clock{now: t0}).CheckToken(testContext(t)), "")
	if n := srv.count("/abilities"); n != 1 {
		t.Fatalf("%d requests to /abilities, want 1", n)
	}
	bad := newTestPD(t, srv, &clock{now: t0}, func(o *Options) { o.Token = "wrong" })
	wantCode(t, bad.CheckToken(testContext(t)), access.EUNAUTHORIZED)
}

func TestNewDefaults(t *testing.T) {
	pd := New(Options{Token: testToken})
	if pd.ttl != DefaultCacheTTL || pd.httpTimeout != DefaultHTTPTimeout || pd.now == nil {
		t.Fatalf("defaults: ttl %v, timeout %v", pd.ttl, pd.httpTimeout)
	}
}
