package oncall

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakepagerduty"
)

const testToken = "pd-s3cr3t-test-token"

// pdFake is the shared fake PagerDuty with the people these tests use, and a
// cursor into its recorded calls.
type pdFake struct {
	*fakepagerduty.Server
	URL string

	mu   sync.Mutex
	seen int // calls already returned by takeRequests
}

// testOnCall is an on-call entry; a zero start or end is null (unbounded).
type testOnCall struct {
	user, schedule, policy string // schedule "": null (direct user target)
	level                  int
	start, end             time.Time
}

func newPDServer(t *testing.T) *pdFake {
	t.Helper()
	srv := fakepagerduty.New(fakepagerduty.Options{Token: testToken, Logf: t.Logf})
	t.Cleanup(srv.Close)
	srv.AddUser(fakepagerduty.User{ID: "PU1", Name: "Alice", Email: "alice@example.com"})
	srv.AddUser(fakepagerduty.User{ID: "PU2", Name: "Bob", Email: "bob@example.com", ReferenceOnly: true})
	srv.AddUser(fakepagerduty.User{ID: "PU3", Name: "Carol", Email: "carol@example.com"})
	// Every request the adapter makes carries PagerDuty's versioned media
	// type; without it PagerDuty may answer in another API version.
	t.Cleanup(func() {
		for _, c := range srv.Calls() {
			if got := c.Header.Get("Accept"); got != "application/vnd.pagerduty+json;version=2" {
				t.Errorf("%s %s: Accept = %q", c.Method, c.Path, got)
			}
		}
	})
	return &pdFake{Server: srv, URL: srv.URL()}
}

func ptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *pdFake) setOnCalls(ocs ...testOnCall) {
	var out []fakepagerduty.OnCall
	for _, oc := range ocs {
		out = append(out, fakepagerduty.OnCall{UserID: oc.user, ScheduleID: oc.schedule, EscalationPolicyID: oc.policy,
			Level: oc.level, Start: ptr(oc.start), End: ptr(oc.end)})
	}
	s.SetOnCalls(out)
}

// takeRequests returns the calls since the last take.
func (s *pdFake) takeRequests() []fakepagerduty.Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	calls := s.Calls()
	got := calls[s.seen:]
	s.seen = len(calls)
	return got
}

// count takes the calls since the last take and counts those to path.
func (s *pdFake) count(path string) int {
	n := 0
	for _, c := range s.takeRequests() {
		if c.Path == path {
			n++
		}
	}
	return n
}

func query(t *testing.T, c fakepagerduty.Call) url.Values {
	t.Helper()
	q, err := url.ParseQuery(c.Query)
	if err != nil {
		t.Fatalf("query %q: %v", c.Query, err)
	}
	return q
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

func newTestPD(t *testing.T, srv *pdFake, clk *clock, mod ...func(*Options)) *PagerDuty {
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
