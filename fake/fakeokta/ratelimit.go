package fakeokta

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Okta's rate-limit buckets for the Management API, named after the
// endpoints of Okta's "Management rate limits" table. Each bucket has its
// own per-minute limit; a request counts against exactly one of them.
const (
	// BucketApps: /api/v1/apps and everything under /api/v1/apps/{id}/…
	// (app assignment included). 100 a minute on most plans.
	BucketApps = "/api/v1/apps*"
	// BucketAppByID: get, update or delete one app, /api/v1/apps/{id} only.
	BucketAppByID = "/api/v1/apps/{id}"
	// BucketGroups: /api/v1/groups and everything under it except
	// /api/v1/groups/{id} itself; group membership changes are here.
	BucketGroups = "/api/v1/groups*"
	// BucketGroupByID: get, update or delete one group, /api/v1/groups/{id} only.
	BucketGroupByID = "/api/v1/groups/{id}"
	// BucketUsers: create or list users, GET or POST /api/v1/users only.
	BucketUsers = "/api/v1/users"
	// BucketUserGet: get a user by id or login, GET /api/v1/users/{idOrLogin} only.
	BucketUserGet = "GET /api/v1/users/{idOrLogin}"
	// BucketUserByID: update or delete a user, POST, PUT or DELETE /api/v1/users/{id} only.
	BucketUserByID = "/api/v1/users/{id}"
	// BucketLogs: the System Log, /api/v1/logs.
	BucketLogs = "/api/v1/logs"
	// BucketEvents: the old events API, /api/v1/events.
	BucketEvents = "/api/v1/events"
	// BucketOther: most other API actions under /api/v1.
	BucketOther = "/api/v1*"
)

// DefaultConcurrencyLimit is Okta's default limit of simultaneous requests
// per org (API traffic; Office 365 traffic is counted apart).
const DefaultConcurrencyLimit = 75

// OktaRateLimits returns the per-minute limits of Okta's Management rate
// limits table for a Workforce Identity org, by bucket.
func OktaRateLimits() map[string]int {
	return map[string]int{
		BucketApps: 100, BucketAppByID: 500, BucketGroups: 500, BucketGroupByID: 1000,
		BucketUsers: 600, BucketUserGet: 2000, BucketUserByID: 600,
		BucketLogs: 120, BucketEvents: 100, BucketOther: 1200,
	}
}

// BucketOf returns the rate-limit bucket of a request, or "" for paths
// outside /api/v1.
func BucketOf(method, path string) string {
	rest, ok := strings.CutPrefix(path, "/api/v1/")
	if !ok {
		return ""
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	switch parts[0] {
	case "apps":
		if len(parts) == 2 {
			return BucketAppByID
		}
		return BucketApps
	case "groups":
		if len(parts) == 2 {
			return BucketGroupByID
		}
		return BucketGroups
	case "users":
		switch {
		case len(parts) == 1 && (method == http.MethodGet || method == http.MethodPost):
			return BucketUsers
		case len(parts) == 2 && method == http.MethodGet:
			return BucketUserGet
		case len(parts) == 2 && (method == http.MethodPost || method == http.MethodPut || method == http.MethodDelete):
			return BucketUserByID
		}
	case "logs":
		return BucketLogs
	case "events":
		return BucketEvents
	}
	return BucketOther
}

// rateLimiter enforces per-bucket windows and the org's concurrency limit.
// It has its own lock so that counting never waits for the directory.
type rateLimiter struct {
	mu          sync.Mutex
	buckets     map[string]*rateBucket // only buckets with a limit
	concurrency int                    // 0: not enforced
	inFlight    int
	maxInFlight int
	requests    map[string]int // by bucket, every request
	limited     map[string]int // by bucket, 429s for the bucket's window
	concLimited int            // 429s for the concurrency limit
}

type rateBucket struct {
	limit  int
	window time.Duration
	end    time.Time // of the current window; zero before the first request
	count  int       // requests let through in the current window
}

// SetRateLimit makes the fake enforce limit requests per window in bucket
// (one of the Bucket constants), as Okta does per minute: every response in
// the bucket carries X-Rate-Limit-Limit, -Remaining and -Reset (the window's
// end, in epoch seconds) with a Date header, and requests over the limit get
// 429 with Okta's E0000047 body. A window starts at the whole second of the
// first request after the previous one ended; window is rounded up to whole
// seconds, because X-Rate-Limit-Reset has no finer resolution (0: a minute).
// A limit of 0 stops enforcing the bucket. The first call also turns on the
// org's concurrency limit at DefaultConcurrencyLimit, unless
// SetConcurrencyLimit chose one.
func (s *Server) SetRateLimit(bucket string, limit int, window time.Duration) {
	rl := s.rateLimits()
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if limit <= 0 {
		delete(rl.buckets, bucket)
		return
	}
	if window <= 0 {
		window = time.Minute
	}
	window = (window + time.Second - 1).Truncate(time.Second)
	rl.buckets[bucket] = &rateBucket{limit: limit, window: window}
	if rl.concurrency == 0 {
		rl.concurrency = DefaultConcurrencyLimit
	}
}

// EnforceOktaRateLimits enforces OktaRateLimits per minute and the default
// concurrency limit, like a real org.
func (s *Server) EnforceOktaRateLimits() {
	for b, n := range OktaRateLimits() {
		s.SetRateLimit(b, n, time.Minute)
	}
}

// SetConcurrencyLimit answers 429 to a request that arrives while n others
// are in flight (being handled, including any latency set by SetLatency).
// Its headers then report the concurrency limit, as Okta's do: X-Rate-Limit-
// Limit n, -Remaining 0, and a -Reset one second ahead (an estimate, as
// Okta says of its own). 0 stops enforcing it.
func (s *Server) SetConcurrencyLimit(n int) {
	rl := s.rateLimits()
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.concurrency = max(n, 0)
}

// RateStats is what the fake counted since it started.
type RateStats struct {
	Requests           map[string]int // every request, by bucket
	Limited            map[string]int // answered 429 because the bucket's window was spent, by bucket
	ConcurrencyLimited int            // answered 429 because too many requests were in flight
	MaxInFlight        int            // the most requests in flight at once
}

// RateStats returns the counts so far.
func (s *Server) RateStats() RateStats {
	rl := s.rateLimits()
	rl.mu.Lock()
	defer rl.mu.Unlock()
	st := RateStats{Requests: map[string]int{}, Limited: map[string]int{},
		ConcurrencyLimited: rl.concLimited, MaxInFlight: rl.maxInFlight}
	for b, n := range rl.requests {
		st.Requests[b] = n
	}
	for b, n := range rl.limited {
		st.Limited[b] = n
	}
	return st
}

// rateLimits returns the server's limiter, its maps made on first use so
// that New needs no change.
func (s *Server) rateLimits() *rateLimiter {
	rl := &s.rate
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.buckets == nil {
		rl.buckets, rl.requests, rl.limited = map[string]*rateBucket{}, map[string]int{}, map[string]int{}
	}
	return rl
}

// limitRate counts r against its bucket and the concurrency limit, sets the
// rate-limit headers, and answers 429 when a limit is exceeded. It returns
// the function to call when the request is done, and whether r has been
// answered.
func (s *Server) limitRate(w http.ResponseWriter, r *http.Request) (done func(), answered bool) {
	rl := s.rateLimits()
	bucket := BucketOf(r.Method, r.URL.Path)
	now := time.Now()
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.requests[bucket]++
	if rl.concurrency > 0 && rl.inFlight >= rl.concurrency {
		rl.concLimited++
		setRateHeaders(w, now, rl.concurrency, 0, now.Truncate(time.Second).Add(time.Second))
		writeRateLimited(w)
		return func() {}, true
	}
	if b := rl.buckets[bucket]; b != nil {
		if !now.Before(b.end) {
			b.end = now.Truncate(time.Second).Add(b.window)
			b.count = 0
		}
		if b.count >= b.limit {
			rl.limited[bucket]++
			setRateHeaders(w, now, b.limit, 0, b.end)
			writeRateLimited(w)
			return func() {}, true
		}
		b.count++
		setRateHeaders(w, now, b.limit, b.limit-b.count, b.end)
	}
	rl.inFlight++
	rl.maxInFlight = max(rl.maxInFlight, rl.inFlight)
	return func() {
		rl.mu.Lock()
		rl.inFlight--
		rl.mu.Unlock()
	}, false
}

func setRateHeaders(w http.ResponseWriter, now time.Time, limit, remaining int, reset time.Time) {
	h := w.Header()
	// okta-sdk-golang waits X-Rate-Limit-Reset − Date + 1 seconds after a
	// 429, so the two must come from the same clock.
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(reset.Unix(), 10))
}

func writeRateLimited(w http.ResponseWriter) {
	writeError(w, http.StatusTooManyRequests, "E0000047",
		"API call exceeded rate limit due to too many requests.", w.Header().Get("X-Okta-Request-Id"))
}
