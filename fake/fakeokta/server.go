// Package fakeokta is an in-process fake of the parts of Okta's Management
// API that accessbot uses (users; groups, their members, apps and rules;
// apps and their users; the System Log), shaped so that
// okta-sdk-golang/v2 runs against it unmodified. Every list pages the way
// Okta does: limit, an after cursor, and Link headers rel="self" and
// rel="next" with full URLs.
//
// The SDK must be told it is talking to plain HTTP, and its cache must be
// off or it serves stale group listings after a change:
//
//	srv := fakeokta.New(fakeokta.Options{})
//	defer srv.Close()
//	ctx, client, err := okta.NewClient(ctx,
//		okta.WithOrgUrl(srv.URL()), okta.WithToken(srv.Token()),
//		okta.WithTestingDisableHttpsCheck(true), okta.WithCache(false))
//
// It does not depend on the testing package: it also backs `accessbot demo`.
package fakeokta

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures a Server.
type Options struct {
	// Token is the API token expected as "Authorization: SSWS <token>".
	// Default "okta-fake-token".
	Token string
	// Logf, if set, receives a line per request.
	Logf func(format string, args ...any)
}

// Server is a running fake Okta org. All methods are safe for concurrent use.
type Server struct {
	opts Options
	addr string
	hs   *http.Server

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every state change
	closed   bool
	listener net.Listener // nil while Down
	conns    map[net.Conn]bool
	counter  int64
	latency  time.Duration
	maxPage  int // 0: each endpoint's own page limits

	directory
	calls  []Call
	faults []*pendingFault
	rate   rateLimiter // has its own lock

	inflight sync.WaitGroup // running handlers, awaited by Close
}

// New starts a fake Okta org on 127.0.0.1. Close it when done.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "okta-fake-token"
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("fakeokta: listen: %v", err))
	}
	s := &Server{
		opts:     opts,
		addr:     l.Addr().String(),
		changed:  make(chan struct{}),
		listener: l,
		conns:    map[net.Conn]bool{},
	}
	s.directory.init()
	s.hs = &http.Server{
		Handler:   http.HandlerFunc(s.serveHTTP),
		ConnState: s.trackConn,
	}
	go func() { _ = s.hs.Serve(l) }()
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
	_ = s.hs.Close() // closes connections, so waiting handlers give up
	s.inflight.Wait()
}

// URL is the org URL for okta.WithOrgUrl: "http://127.0.0.1:PORT" (no
// trailing slash; the SDK appends "/api/v1/...").
func (s *Server) URL() string { return "http://" + s.addr }

// Token returns the API token the server accepts.
func (s *Server) Token() string { return s.opts.Token }

// SetLatency delays every response by d (0 to stop). A client that gives up
// is not kept waiting.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Down(true) takes the org offline: the port stops listening, so new
// connections are refused, and open keep-alive connections are closed.
// Down(false) listens on the same port again.
func (s *Server) Down(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if down && s.listener != nil {
		_ = s.listener.Close()
		s.listener = nil
		for c := range s.conns {
			_ = c.Close()
		}
		return
	}
	if !down && s.listener == nil {
		var l net.Listener
		var err error
		for i := 0; i < 50; i++ { // the port was ours a moment ago; retry briefly
			if l, err = net.Listen("tcp", s.addr); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil {
			s.logf("cannot listen on %s again: %v", s.addr, err)
			return
		}
		s.listener = l
		go func() { _ = s.hs.Serve(l) }()
	}
}

func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch state {
	case http.StateNew:
		if s.listener == nil { // accepted just before going down
			_ = c.Close()
			return
		}
		s.conns[c] = true
	case http.StateHijacked, http.StateClosed:
		delete(s.conns, c)
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf("fakeokta: "+format, args...)
	}
}

func (s *Server) nextIDLocked() int64 {
	s.counter++
	return s.counter
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
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
			return fmt.Errorf("fakeokta: server closed")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Call is one recorded request.
type Call struct {
	Method string
	Path   string
	Query  string      // raw query string
	Header http.Header // as sent
	Body   []byte
	Time   time.Time
	Status int // 0 if the connection was dropped without an answer
	// RetryCount is the SDK's X-Okta-Retry-Count header ("" on first
	// tries). The SDK adds a value per retry; this is the last one.
	RetryCount string
}

// IsWrite reports whether the call changes state (PUT, POST, DELETE).
func (c Call) IsWrite() bool {
	return c.Method == http.MethodPut || c.Method == http.MethodPost || c.Method == http.MethodDelete
}

// Calls returns every request received, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Writes returns the PUT, POST and DELETE requests received, oldest first.
func (s *Server) Writes() []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.IsWrite() {
			out = append(out, c)
		}
	}
	return out
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

// statusRecorder remembers the status written.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the connection (to hijack it).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		hijackAndClose(w)
		return
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()

	body := readBody(r)
	call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body,
		Time: time.Now(), RetryCount: lastValue(r.Header, "X-Okta-Retry-Count")}
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		call.Status = rec.status
		s.logf("%s %s -> %d", r.Method, r.URL.RequestURI(), rec.status)
		s.mu.Lock()
		s.calls = append(s.calls, call)
		s.notifyLocked()
		s.mu.Unlock()
	}()

	s.mu.Lock()
	latency := s.latency
	reqID := fmt.Sprintf("fake-%d", s.nextIDLocked())
	s.mu.Unlock()
	w.Header().Set("X-Okta-Request-Id", reqID)
	doneRate, limited := s.limitRate(rec, r)
	defer doneRate()
	if limited {
		return
	}
	if !sleepCtx(r.Context(), latency) {
		return
	}
	if s.applyFault(rec, r, body) {
		return
	}
	if r.Header.Get("Authorization") != "SSWS "+s.opts.Token {
		writeError(rec, http.StatusUnauthorized, "E0000011", "Invalid token provided", reqID)
		return
	}
	s.route(rec, r, body, reqID)
}

func lastValue(h http.Header, key string) string {
	if v := h.Values(key); len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func readBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(r.Body)
	return b
}

// okError is Okta's error body.
type okError struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
	ErrorLink    string `json:"errorLink"`
	ErrorID      string `json:"errorId"`
	ErrorCauses  []any  `json:"errorCauses"`
}

func writeError(w http.ResponseWriter, status int, code, summary, reqID string) {
	writeJSON(w, status, okError{ErrorCode: code, ErrorSummary: summary, ErrorLink: code,
		ErrorID: "oae" + strings.TrimPrefix(reqID, "fake-"), ErrorCauses: []any{}})
}

func writeNotFound(w http.ResponseWriter, what, id, reqID string) {
	writeError(w, http.StatusNotFound, "E0000007", fmt.Sprintf("Not found: Resource not found: %s (%s)", id, what), reqID)
}

// writeJSON answers with Content-Type application/json, which the SDK
// requires to decode any body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeNoContent(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNoContent)
}
