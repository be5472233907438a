package fakeokta

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault describes how matching requests fail.
type Fault struct {
	// Status is the HTTP status to answer (429, 500, 503...). 0 with a Delay
	// only delays the request, which is then served normally.
	Status int
	// Times is how many matching requests fail (default 1).
	Times int
	// Delay holds the answer back (or until the client gives up).
	Delay time.Duration
	// RateLimitReset sets X-Rate-Limit-Reset to now+RateLimitReset (epoch
	// seconds) on a 429. okta-sdk-golang waits reset − Date + 1 seconds
	// (capped at its MaxBackoff) before retrying, so 0 means a 1 s wait.
	RateLimitReset time.Duration
	// CloseConnection drops the connection without answering. The SDK sees
	// io.EOF and retries at once (without counting it against MaxRetries).
	CloseConnection bool
	// ErrorCode and ErrorSummary override the error body.
	ErrorCode, ErrorSummary string
	// Hold, when set, holds the request until it is closed (or the
	// client gives up), after Delay: a test opens the gate at the moment it
	// chooses instead of guessing a delay.
	Hold <-chan struct{}
	// AfterApplying serves the request first (a write takes effect) and
	// then answers as the fault says: Okta changed the data but the client
	// heard an error or nothing (a gateway timeout, a dropped connection).
	AfterApplying bool
}

// Matcher selects the requests a fault applies to.
type Matcher func(r *http.Request) bool

// MatchRequest matches requests with the given method ("" for any) whose
// path starts with pathPrefix (e.g. "/api/v1/groups/").
func MatchRequest(method, pathPrefix string) Matcher {
	return func(r *http.Request) bool {
		return (method == "" || r.Method == method) && strings.HasPrefix(r.URL.Path, pathPrefix)
	}
}

type pendingFault struct {
	match Matcher
	fault Fault
	left  int
}

// FailNext makes the next f.Times requests with this method ("" for any)
// and path prefix fail as f describes. Faults are matched in the order they
// were added.
func (s *Server) FailNext(method, pathPrefix string, f Fault) {
	s.FailNextMatching(MatchRequest(method, pathPrefix), f)
}

// FailNextMatching is FailNext with an arbitrary matcher.
func (s *Server) FailNextMatching(m Matcher, f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{match: m, fault: f, left: f.Times})
}

// applyFault consumes the first pending fault matching r and applies it. It
// reports whether the request has been dealt with.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, body []byte) bool {
	s.mu.Lock()
	var f *Fault
	for i, pf := range s.faults {
		if pf.match(r) {
			cp := pf.fault
			f = &cp
			pf.left--
			if pf.left <= 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			break
		}
	}
	s.mu.Unlock()
	if f == nil {
		return false
	}
	if !sleepCtx(r.Context(), f.Delay) {
		return true
	}
	if f.Hold != nil {
		select {
		case <-f.Hold:
		case <-r.Context().Done():
			return true
		}
	}
	reqID := w.Header().Get("X-Okta-Request-Id")
	if f.AfterApplying && r.Header.Get("Authorization") == "SSWS "+s.opts.Token {
		s.route(discardWriter{http.Header{}}, r, body, reqID)
	}
	switch {
	case f.CloseConnection:
		hijackAndClose(w)
		return true
	case f.Status == http.StatusTooManyRequests:
		now := time.Now()
		reset := now.Unix() + int64(math.Ceil(f.RateLimitReset.Seconds()))
		w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
		w.Header().Set("X-Rate-Limit-Limit", "600")
		w.Header().Set("X-Rate-Limit-Remaining", "0")
		w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(reset, 10))
		writeError(w, f.Status, orDefault(f.ErrorCode, "E0000047"),
			orDefault(f.ErrorSummary, "API call exceeded rate limit due to too many requests."), reqID)
		return true
	case f.Status != 0:
		writeError(w, f.Status, orDefault(f.ErrorCode, "E0000009"),
			orDefault(f.ErrorSummary, http.StatusText(f.Status)), reqID)
		return true
	}
	return false
}

func hijackAndClose(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	conn, _, err := rc.Hijack()
	if err != nil {
		return
	}
	_ = conn.Close()
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// discardWriter takes an answer nobody will read.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}
