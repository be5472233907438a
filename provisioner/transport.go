package provisioner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/rs/zerolog"
)

// transport notes the HTTP status of each response in the call's state, so
// that errors can be classified even when the SDK drops the response (it does
// after the last 429 retry).
type transport struct {
	next http.RoundTripper
	log  zerolog.Logger
}

type callStateKey struct{}

// callState is what transport learnt during one SDK call.
type callState struct {
	status atomic.Int32 // of the last response; 0 when none arrived
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		if errors.Is(err, io.EOF) {
			// The SDK retries io.EOF at once and without limit; make it
			// give up, and leave waiting and retrying to our caller.
			err = fmt.Errorf("connection closed: %v", err)
		}
		return nil, err
	}
	if st, ok := req.Context().Value(callStateKey{}).(*callState); ok {
		st.status.Store(int32(resp.StatusCode))
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		t.log.Debug().Str(fieldMethod, req.Method).Str(fieldPath, req.URL.Path).
			Str("rate_limit_reset", resp.Header.Get("X-Rate-Limit-Reset")).Msg("okta: rate limited")
	}
	return resp, nil
}

// call runs one SDK call (with its rate-limit retries and pages) and returns
// the HTTP status of the last response it got, or 0 when none arrived.
func call(ctx context.Context, fn func(ctx context.Context) (*okta.Response, error)) (int, error) {
	st := new(callState)
	resp, err := fn(context.WithValue(ctx, callStateKey{}, st))
	if resp != nil && resp.Response != nil {
		return resp.StatusCode, err
	}
	return int(st.status.Load()), err
}
