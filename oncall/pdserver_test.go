package oncall

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

const testToken = "pd-s3cr3t-test-token"

// pdServer speaks the PagerDuty REST API v2 the way go-pagerduty expects it:
// Token auth, the vendor Accept header, `[]` array parameters, classic
// offset/limit/more paging, errors as {"error":{"message","code"}}.
type pdServer struct {
	*httptest.Server
	t *testing.T

	mu        sync.Mutex
	users     map[string]testUser
	oncalls   []testOnCall
	maxLimit  int
	requests  []*http.Request
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

type testUser struct {
	name, email string
	hideEmail   bool // answer with a user_reference even when users are included
}

type testOnCall struct {
	user, schedule, policy string // schedule "": null (direct user target)
	level                  int
	start, end             time.Time // zero: null
}

func newPDServer(t *testing.T) *pdServer {
	t.Helper()
	s := &pdServer{
		t: t,
		users: map[string]testUser{
			"PU1": {name: "Alice", email: "alice@example.com"},
			"PU2": {name: "Bob", email: "bob@example.com", hideEmail: true},
			"PU3": {name: "Carol", email: "carol@example.com"},
		},
		maxLimit: 100,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oncalls", s.listOnCalls)
	mux.HandleFunc("GET /users/{id}", s.getUser)
	mux.HandleFunc("GET /abilities", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"abilities": []string{"sso", "teams"}})
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r)
		intercept := s.intercept
		s.mu.Unlock()
		if intercept != nil && intercept(w, r) {
			return
		}
		if r.Header.Get("Authorization") != "Token token="+testToken {
			pdError(w, http.StatusUnauthorized, 2006, "Unauthorized")
			return
		}
		if r.Header.Get("Accept") != "application/vnd.pagerduty+json;version=2" {
			pdError(w, http.StatusNotAcceptable, 2001, "Not Acceptable")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *pdServer) setIntercept(f func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	s.intercept = f
	s.mu.Unlock()
}

func (s *pdServer) setOnCalls(ocs ...testOnCall) {
	s.mu.Lock()
	s.oncalls = ocs
	s.mu.Unlock()
}

// takeRequests returns the requests so far ("GET /path?query") and forgets them.
func (s *pdServer) takeRequests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.requests
	s.requests = nil
	return r
}

func (s *pdServer) count(path string) int {
	n := 0
	for _, r := range s.takeRequests() {
		if r.URL.Path == path {
			n++
		}
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func pdError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "code": code}})
}

func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *pdServer) listOnCalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err1 := time.Parse(time.RFC3339, q.Get("since"))
	until, err2 := time.Parse(time.RFC3339, q.Get("until"))
	if err1 != nil || err2 != nil || until.Before(since) {
		pdError(w, http.StatusBadRequest, 2001, "Invalid Input Provided: since/until")
		return
	}
	limit, offset := 25, 0
	if v := q.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if v := q.Get("offset"); v != "" {
		offset, _ = strconv.Atoi(v)
	}
	limit = min(limit, s.maxLimit)
	schedules, policies := q["schedule_ids[]"], q["escalation_policy_ids[]"]
	withUsers := slices.Contains(q["include[]"], "users")

	s.mu.Lock()
	defer s.mu.Unlock()
	var match []testOnCall
	for _, oc := range s.oncalls {
		// Different filters combine with "and", values of one filter with "or".
		if len(schedules) > 0 && !slices.Contains(schedules, oc.schedule) ||
			len(policies) > 0 && !slices.Contains(policies, oc.policy) {
			continue
		}
		if !oc.start.IsZero() && oc.start.After(until) || !oc.end.IsZero() && !oc.end.After(since) {
			continue
		}
		match = append(match, oc)
	}
	page := []any{}
	for _, oc := range match[min(offset, len(match)):min(offset+limit, len(match))] {
		u := s.users[oc.user]
		user := map[string]any{"id": oc.user, "type": "user_reference", "summary": u.name}
		if withUsers && !u.hideEmail {
			user = map[string]any{"id": oc.user, "type": "user", "summary": u.name, "name": u.name, "email": u.email}
		}
		var schedule any
		if oc.schedule != "" {
			schedule = map[string]any{"id": oc.schedule, "type": "schedule_reference"}
		}
		page = append(page, map[string]any{
			"user": user, "schedule": schedule,
			"escalation_policy": map[string]any{"id": oc.policy, "type": "escalation_policy_reference"},
			"escalation_level":  oc.level, "start": timeOrNull(oc.start), "end": timeOrNull(oc.end),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"oncalls": page, "limit": limit, "offset": offset, "more": offset+limit < len(match), "total": nil,
	})
}

func (s *pdServer) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	u, ok := s.users[id]
	if !ok {
		pdError(w, http.StatusNotFound, 2100, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": map[string]any{
		"id": id, "type": "user", "summary": u.name, "name": u.name, "email": u.email, "time_zone": "UTC",
	}})
}

// clock is a settable clock for the cache.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

var t0 = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

func newTestPD(t *testing.T, srv *pdServer, clk *clock, mod ...func(*Options)) *PagerDuty {
	t.Helper()
	opts := Options{Token: testToken, APIURL: srv.URL + "/", HTTPTimeout: 5 * time.Second, CacheTTL: time.Hour, Now: clk.Now}
	for _, m := range mod {
		m(&opts)
	}
	pd := New(opts)
	pd.retryWait = time.Millisecond
	return pd
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantCode fails unless err carries the domain code ("" for nil), and checks
// that no error ever shows the token.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := access.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
	if err != nil && strings.Contains(err.Error(), testToken) {
		t.Fatalf("error contains the token: %v", err)
	}
}

func shifts(t *testing.T, pd *PagerDuty, email string, p access.OnCallPolicy, now time.Time) []access.Shift {
	t.Helper()
	got, err := pd.CurrentShifts(testContext(t), email, p, now)
	wantCode(t, err, "")
	return got
}

func wantShifts(t *testing.T, got []access.Shift, want ...access.Shift) {
	t.Helper()
	if !slices.EqualFunc(got, want, func(a, b access.Shift) bool {
		return a.ScheduleID == b.ScheduleID && a.EscalationPolicyID == b.EscalationPolicyID &&
			a.Level == b.Level && a.Start.Equal(b.Start) && a.End.Equal(b.End)
	}) {
		t.Fatalf("shifts = %+v, want %+v", got, want)
	}
}
