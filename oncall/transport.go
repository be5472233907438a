package oncall

import (
	"context"
	"net/http"
	"sync"
)

// transport notes, for the call in progress, what go-pagerduty does not pass
// on: whether a response arrived at all (its network errors are flattened to
// text), and the Retry-After of the last one.
type transport struct {
	next http.RoundTripper
}

type callStateKey struct{}

type callState struct {
	mu         sync.Mutex
	status     int    // of the last response; 0 when none arrived
	retryAfter string // its Retry-After header
	netErr     error  // the last failure to get a response
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if st, ok := req.Context().Value(callStateKey{}).(*callState); ok {
		st.mu.Lock()
		if err != nil {
			st.netErr = err
		} else {
			st.status, st.retryAfter, st.netErr = resp.StatusCode, resp.Header.Get("Retry-After"), nil
		}
		st.mu.Unlock()
	}
	return resp, err
}

func withCallState(ctx context.Context) (context.Context, *callState) {
	st := new(callState)
	return context.WithValue(ctx, callStateKey{}, st), st
}

func (st *callState) get() (status int, retryAfter string, netErr error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.status, st.retryAfter, st.netErr
}
