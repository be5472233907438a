package fakeslack

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Fault describes how the next calls to a Web API method fail.
type Fault struct {
	// Status is the HTTP status. 0 means 200 with {"ok":false,"error":Error}.
	// 429 answers {"ok":false,"error":"ratelimited"} with a Retry-After header.
	Status int
	// Error is the "error" code of the answer (default "internal_error",
	// or "ratelimited" for 429).
	Error string
	// RetryAfter is sent as Retry-After, rounded up to whole seconds
	// (0 sends "0"). Only used with Status 429.
	RetryAfter time.Duration
	// Times is how many calls fail (default 1).
	Times int
	// Delay holds the answer back this long (or until the client gives up).
	// With Status 0 and Error "" the call is then served normally.
	Delay time.Duration
}

// FailNext makes the next f.Times calls to method fail as f describes.
// method is a Web API method name such as "chat.postMessage", or
// "response_url" for posts to response URLs. Faults queue up in order.
func (s *Server) FailNext(method string, f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], &f)
}

// applyFault consumes one pending fault for method. It reports whether the
// call must be answered with res instead of being served.
func (s *Server) applyFault(ctx context.Context, method string) (res apiResult, faulted bool) {
	s.mu.Lock()
	var f Fault
	queue := s.faults[method]
	if len(queue) == 0 {
		s.mu.Unlock()
		return apiResult{}, false
	}
	f = *queue[0]
	queue[0].Times--
	if queue[0].Times <= 0 {
		s.faults[method] = queue[1:]
	}
	s.mu.Unlock()

	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	switch {
	case f.Status == http.StatusTooManyRequests:
		code := f.Error
		if code == "" {
			code = "ratelimited"
		}
		res = fail(code)
		res.status = f.Status
		secs := int64(math.Ceil(f.RetryAfter.Seconds()))
		res.header = http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}
		return res, true
	case f.Status != 0 && f.Status != http.StatusOK:
		code := f.Error
		if code == "" {
			code = "internal_error"
		}
		res = fail(code)
		res.status = f.Status
		return res, true
	case f.Error != "":
		return fail(f.Error), true
	}
	return apiResult{}, false
}
