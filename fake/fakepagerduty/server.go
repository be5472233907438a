// Package fakepagerduty is an in-process fake of the parts of PagerDuty's
// REST API v2 that accessbot uses (on-calls and users), shaped so that
// go-pagerduty runs against it unmodified:
//
//	srv := fakepagerduty.New(fakepagerduty.Options{})
//	defer srv.Close()
//	pd := pagerduty.NewClient(srv.Token(), pagerduty.WithAPIEndpoint(srv.URL()))
//
// It does not depend on the testing package: it also backs `accessbot demo`.
package fakepagerduty

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a Server.
type Options struct {
	// Token is the API token expected as "Authorization: Token token=<token>".
	// Default "pd-fake-token".
	Token string
	// Logf, if set, receives a line per request.
	Logf func(format string, args ...any)
}

// Server is a running fake PagerDuty. All methods are safe for concurrent use.
type Server struct {
	opts Options
	hs   *httptest.Server

	mu      sync.Mutex
	changed chan struct{}
	closed  bool

	users     map[string]User
	schedules map[string]string // id -> name
	policies  map[string]string // id -> name
	oncalls   []OnCall
	maxLimit  int // the largest page PagerDuty answers
	calls     []Call
	faults    []*pendingFault
	held      int // requests that have reached a Fault's Hold
}

// New starts a fake PagerDuty on 127.0.0.1. Close it when done.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "pd-fake-token"
	}
	s := &Server{
		opts:      opts,
		changed:   make(chan struct{}),
		users:     map[string]User{},
		schedules: map[string]string{},
		policies:  map[string]string{},
		maxLimit:  100,
	}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Close stops the server. It is safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.notifyLocked()
	s.mu.Unlock()
	s.hs.Close()
}

// URL is the API endpoint for pagerduty.WithAPIEndpoint:
// "http://127.0.0.1:PORT" (no trailing slash).
func (s *Server) URL() string { return s.hs.URL }

// Token returns the API token the server accepts.
func (s *Server) Token() string { return s.opts.Token }

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf("fakepagerduty: "+format, args...)
	}
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Call is one recorded request.
type Call struct {
	Method string
	Path   string
	Query  string      // raw query string
	Header http.Header // as sent, so tests can check Authorization and Accept
	Time   time.Time
	Status int
}

// Calls returns every request received, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// WaitCall returns the first recorded call matching pred, waiting until one
// arrives (and is answered) or ctx ends.
func (s *Server) WaitCall(ctx context.Context, pred func(Call) bool) (Call, error) {
	var found Call
	err := s.waitFor(ctx, func() bool {
		for _, c := range s.calls {
			if pred(c) {
				found = c
				return true
			}
		}
		return false
	})
	return found, err
}

// WaitHeld waits until n requests in all have reached a Fault's Hold (and
// are held there until it is closed), or ctx ends.
func (s *Server) WaitHeld(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.held >= n })
}

// waitFor blocks until check (run with s.mu held) is true or ctx ends.
func (s *Server) waitFor(ctx context.Context, check func() bool) error {
	for {
		s.mu.Lock()
		if check() {
			s.mu.Unlock()
			return nil
		}
		ch, closed := s.changed, s.closed
		s.mu.Unlock()
		if closed {
			return fmt.Errorf("fakepagerduty: server closed")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// SetMaxLimit lowers the largest page the server answers (PagerDuty's is
// 100), so that paging shows with a few entries.
func (s *Server) SetMaxLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxLimit = n
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Time: time.Now()}
	defer func() {
		call.Status = rec.status
		s.logf("%s %s -> %d", r.Method, r.URL.RequestURI(), rec.status)
		s.mu.Lock()
		s.calls = append(s.calls, call)
		s.notifyLocked()
		s.mu.Unlock()
	}()
	if s.applyFault(rec, r) {
		return
	}
	if r.Header.Get("Authorization") != "Token token="+s.opts.Token {
		writeError(rec, http.StatusUnauthorized, "Unauthorized", 2006)
		return
	}
	if r.Method != http.MethodGet {
		writeError(rec, http.StatusMethodNotAllowed, "Method Not Allowed", 2000)
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/oncalls":
		s.listOnCalls(rec, r)
	case path == "/users":
		s.listUsers(rec, r)
	case strings.HasPrefix(path, "/users/") && strings.Count(path, "/") == 2:
		s.getUser(rec, r, strings.TrimPrefix(path, "/users/"))
	case path == "/abilities":
		writeJSON(rec, http.StatusOK, map[string]any{"abilities": []string{"teams", "read_only_users", "urgencies"}})
	default:
		writeError(rec, http.StatusNotFound, "Not Found", 2100)
	}
}

// writeJSON answers with Content-Type application/json: go-pagerduty only
// decodes error bodies whose Content-Type starts with it.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, message string, code int, details ...string) {
	e := map[string]any{"message": message, "code": code}
	if len(details) > 0 {
		e["errors"] = details
	}
	writeJSON(w, status, map[string]any{"error": e})
}

// Fault describes how matching requests fail.
type Fault struct {
	// Status is the HTTP status (429, 500...). 0 with a Delay only delays.
	Status int
	// Times is how many requests fail (default 1).
	Times int
	// Delay holds the answer back (or until the client gives up).
	Delay time.Duration
	// RetryAfter is sent as Retry-After (whole seconds, rounded up) on a 429.
	// go-pagerduty never retries by itself: callers see APIError.RateLimited().
	RetryAfter time.Duration
	// Message overrides the error message (what a careless server might
	// quote back, a token for instance).
	Message string
	// Body, when set, is answered verbatim with Status (200 when 0) and
	// ContentType (default "text/plain; charset=utf-8") instead of
	// PagerDuty's JSON error: a proxy's HTML page, or an answer the client
	// cannot decode.
	Body        string
	ContentType string
	// Hold, when not nil, holds each matching request until it is closed (or
	// the client gives up), then applies the rest of the fault; with nothing
	// else set the request is then served normally. WaitHeld tells when
	// requests have arrived.
	Hold <-chan struct{}
}

type pendingFault struct {
	prefix string
	fault  Fault
	left   int
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// FailNext makes the next f.Times requests whose path starts with
// pathPrefix (e.g. "/oncalls"; "" for any) fail as f describes.
func (s *Server) FailNext(pathPrefix string, f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{prefix: pathPrefix, fault: f, left: f.Times})
}

func (s *Server) applyFault(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	var f *Fault
	for i, pf := range s.faults {
		if strings.HasPrefix(r.URL.Path, pf.prefix) {
			cp := pf.fault
			f = &cp
			if pf.left--; pf.left <= 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			break
		}
	}
	s.mu.Unlock()
	if f == nil {
		return false
	}
	if f.Hold != nil {
		s.mu.Lock()
		s.held++
		s.notifyLocked()
		s.mu.Unlock()
		select {
		case <-f.Hold:
		case <-r.Context().Done():
			return true
		}
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
	}
	switch {
	case f.Body != "":
		w.Header().Set("Content-Type", orDefault(f.ContentType, "text/plain; charset=utf-8"))
		if f.Status == 0 {
			f.Status = http.StatusOK
		}
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return true
	case f.Status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(f.RetryAfter.Seconds())), 10))
		writeError(w, f.Status, orDefault(f.Message, "Rate Limit Exceeded"), 2020)
		return true
	case f.Status != 0:
		writeError(w, f.Status, orDefault(f.Message, http.StatusText(f.Status)), 2000)
		return true
	}
	return false
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
