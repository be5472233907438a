package fakeokta_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/accessbot/accessbot/fake/fakeokta"
)

func TestBucketOf(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/api/v1/apps/0oa1/users", fakeokta.BucketApps},
		{"DELETE", "/api/v1/apps/0oa1/users/00u1", fakeokta.BucketApps},
		{"GET", "/api/v1/apps", fakeokta.BucketApps},
		{"GET", "/api/v1/apps/0oa1", fakeokta.BucketAppByID},
		{"PUT", "/api/v1/groups/00g1/users/00u1", fakeokta.BucketGroups},
		{"DELETE", "/api/v1/groups/00g1/users/00u1", fakeokta.BucketGroups},
		{"GET", "/api/v1/groups", fakeokta.BucketGroups},
		{"GET", "/api/v1/groups/00g1", fakeokta.BucketGroupByID},
		{"GET", "/api/v1/users", fakeokta.BucketUsers},
		{"GET", "/api/v1/users/alice@example.com", fakeokta.BucketUserGet},
		{"GET", "/api/v1/users/me", fakeokta.BucketUserGet},
		{"DELETE", "/api/v1/users/00u1", fakeokta.BucketUserByID},
		{"GET", "/api/v1/users/00u1/groups", fakeokta.BucketOther},
		{"GET", "/api/v1/logs", fakeokta.BucketLogs},
		{"GET", "/api/v1/org", fakeokta.BucketOther},
		{"GET", "/oauth2/v1/keys", ""},
	} {
		if got := fakeokta.BucketOf(tc.method, tc.path); got != tc.want {
			t.Errorf("BucketOf(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

// TestRateLimitHeadersAndWindow spends a bucket through the SDK: every
// answer carries Okta's headers, the one over the limit is Okta's 429, and
// the window's end is the reset the headers announced.
func TestRateLimitHeadersAndWindow(t *testing.T) {
	last := &lastResponse{}
	srv, c, ctx := setup(t, okta.WithRateLimitMaxRetries(0), okta.WithHttpClientPtr(&http.Client{Transport: last}))
	srv.SetRateLimit(fakeokta.BucketGroups, 3, 30*time.Second) // long enough not to end mid-test
	var reset string
	for i := range 3 {
		resp, err := c.Group.AddUserToGroup(ctx, "00g1grafana", "00u1alice")
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		h := resp.Header
		if h.Get("X-Rate-Limit-Limit") != "3" || h.Get("X-Rate-Limit-Remaining") != strconv.Itoa(2-i) || h.Get("Date") == "" {
			t.Fatalf("call %d headers: %v", i, h)
		}
		if i == 0 {
			reset = h.Get("X-Rate-Limit-Reset")
		} else if h.Get("X-Rate-Limit-Reset") != reset {
			t.Fatalf("call %d: reset moved from %s to %s within a window", i, reset, h.Get("X-Rate-Limit-Reset"))
		}
	}
	end, _ := strconv.ParseInt(reset, 10, 64)
	if left := time.Until(time.Unix(end, 0)); left <= 0 || left > 30*time.Second {
		t.Fatalf("reset %s is %v away, want within the 30 s window", reset, left)
	}
	// The SDK drops the response of its last 429, so the headers are read
	// from the transport.
	if _, err := c.Group.AddUserToGroup(ctx, "00g1grafana", "00u1alice"); err == nil || last.get().StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th call: want 429, got %v", err)
	}
	if resp := last.get(); resp.Header.Get("X-Rate-Limit-Remaining") != "0" || resp.Header.Get("X-Rate-Limit-Reset") != reset {
		t.Fatalf("429 headers: %v", resp.Header)
	}
	// GET /groups/{id}/users is in the same bucket; other buckets are not limited, and carry no headers.
	if _, _, err := c.Group.ListGroupUsers(ctx, "00g1grafana", nil); err == nil || last.get().Header.Get("X-Rate-Limit-Limit") != "3" {
		t.Fatalf("GET /groups/{id}/users is in the same, spent, bucket: %v", err)
	}
	if _, resp, err := c.User.GetUser(ctx, "00u1alice"); err != nil || resp.Header.Get("X-Rate-Limit-Limit") != "" {
		t.Fatalf("unlimited bucket: %v %v", resp, err)
	}

	// Okta's error body, as a client that reads it sees it.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/api/v1/groups", nil)
	req.Header.Set("Authorization", "SSWS "+srv.Token())
	raw, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Body.Close()
	var body struct{ ErrorCode, ErrorSummary string }
	if err := json.NewDecoder(raw.Body).Decode(&body); err != nil || raw.StatusCode != 429 || body.ErrorCode != "E0000047" {
		t.Fatalf("429 body: %d %+v %v", raw.StatusCode, body, err)
	}

	st := srv.RateStats()
	if st.Requests[fakeokta.BucketGroups] != 6 || st.Limited[fakeokta.BucketGroups] != 3 || st.Requests[fakeokta.BucketUserGet] != 1 {
		t.Fatalf("stats: %+v", st)
	}
}

// TestRateLimitWindowRollsOver: once the announced reset has passed, the
// bucket is full again.
func TestRateLimitWindowRollsOver(t *testing.T) {
	srv, c, ctx := setup(t, okta.WithRateLimitMaxRetries(0))
	srv.SetRateLimit(fakeokta.BucketGroups, 1, time.Second)
	resp, err := c.Group.AddUserToGroup(ctx, "00g1grafana", "00u1alice")
	if err != nil {
		t.Fatal(err)
	}
	end, err := strconv.ParseInt(resp.Header.Get("X-Rate-Limit-Reset"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(time.Unix(end, 0)))
	resp, err = c.Group.AddUserToGroup(ctx, "00g1grafana", "00u1alice")
	if err != nil || resp.Header.Get("X-Rate-Limit-Remaining") != "0" || resp.Header.Get("X-Rate-Limit-Reset") == strconv.FormatInt(end, 10) {
		t.Fatalf("after the window: %v %v", resp, err)
	}
}

// TestRateLimitSDKWaitsForReset: the SDK's own retry waits for the reset
// the 429 announced, and then succeeds in the next window.
func TestRateLimitSDKWaitsForReset(t *testing.T) {
	srv, c, ctx := setup(t, okta.WithRateLimitMaxRetries(1))
	srv.SetRateLimit(fakeokta.BucketApps, 1, time.Second)
	// Two calls in a row may straddle a window's end; a few more cannot
	// all do so.
	var resp *okta.Response
	var last, prev fakeokta.Call
	for i := 0; i < 5 && prev.Status != 429; i++ {
		var err error
		if _, resp, err = c.Application.ListApplicationUsers(ctx, "0oa1grafana", nil); err != nil {
			t.Fatalf("call %d: the retry after the reset should succeed: %v", i, err)
		}
		if calls := srv.Calls(); len(calls) >= 2 {
			last, prev = calls[len(calls)-1], calls[len(calls)-2]
		}
	}
	if prev.Status != 429 || last.Status != 200 || last.RetryCount != "1" || resp.Header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Fatalf("want a 429 then a retry that succeeds; got %+v then %+v", prev, last)
	}
	reset, _ := strconv.ParseInt(resp.Header.Get("X-Rate-Limit-Reset"), 10, 64)
	if !last.Time.After(time.Unix(reset-1, 0)) {
		t.Fatalf("retried at %v, before the window that ends at %d began", last.Time, reset)
	}
}

// TestConcurrencyLimit: a request that finds the org's limit of requests in
// flight gets 429 with the concurrency headers; the counters show it.
func TestConcurrencyLimit(t *testing.T) {
	last := &lastResponse{}
	srv, c, ctx := setup(t, okta.WithRateLimitMaxRetries(0), okta.WithHttpClientPtr(&http.Client{Transport: last}))
	srv.SetConcurrencyLimit(2)
	srv.SetLatency(time.Hour) // held until released below
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _ = c.User.GetUser(ctx, "00u1alice")
		}()
	}
	waitUntil(t, func() bool { return srv.RateStats().MaxInFlight == 2 })
	_, _, err := c.User.GetUser(ctx, "00u2bob")
	if resp := last.get(); err == nil || resp.StatusCode != 429 || resp.Header.Get("X-Rate-Limit-Limit") != "2" ||
		resp.Header.Get("X-Rate-Limit-Remaining") != "0" || resp.Header.Get("X-Rate-Limit-Reset") == "" {
		t.Fatalf("want a concurrency 429, got %v %v", last.get(), err)
	}
	st := srv.RateStats()
	if st.ConcurrencyLimited != 1 || st.MaxInFlight != 2 || st.Requests[fakeokta.BucketUserGet] != 3 {
		t.Fatalf("stats: %+v", st)
	}
	srv.Close() // lets the two held requests go
	wg.Wait()
}

// waitUntil polls cond until it holds, failing the test after 10 s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lastResponse is a transport that keeps the last response it carried.
type lastResponse struct {
	mu   sync.Mutex
	resp *http.Response
}

func (l *lastResponse) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		l.mu.Lock()
		l.resp = resp
		l.mu.Unlock()
	}
	return resp, err
}

func (l *lastResponse) get() *http.Response {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.resp == nil {
		return &http.Response{}
	}
	return l.resp
}
