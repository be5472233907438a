package oncall

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/accessbot/accessbot/access"
)

// do runs one go-pagerduty call. A 429 or 5xx answer is retried once, after
// Retry-After when it says at most maxRetryWait, else after retryWait; a
// longer Retry-After means no retry, as PagerDuty will not answer sooner and
// the workflow has a fallback (human approval).
func (pd *PagerDuty) do(ctx context.Context, what string, fn func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		cctx, st := withCallState(ctx)
		err := fn(cctx)
		if err == nil {
			return nil
		}
		status, retryAfter, netErr := st.get()
		var ae pagerduty.APIError
		if errors.As(err, &ae) {
			status = ae.StatusCode
		}
		if attempt > 1 || !(status == http.StatusTooManyRequests || status >= 500) {
			return pd.fail(what, status, netErr, err)
		}
		wait, ok := pd.backoff(retryAfter)
		if !ok {
			return pd.fail(what, status, netErr, err)
		}
		pd.log.Debug().Int(fieldStatus, status).Dur(fieldWait, wait).Msg("pagerduty: retrying " + what)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return pd.fail(what, status, netErr, err)
		case <-timer.C:
		}
	}
}

// backoff returns how long to wait before the retry, or false when
// Retry-After asks for longer than maxRetryWait.
func (pd *PagerDuty) backoff(retryAfter string) (time.Duration, bool) {
	if retryAfter == "" {
		return pd.retryWait, true
	}
	var wait time.Duration
	if secs, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil {
		wait = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(retryAfter); err == nil {
		wait = time.Until(at)
	} else {
		return pd.retryWait, true
	}
	if wait > pd.maxRetryWait {
		return 0, false
	}
	return max(wait, 0), true
}

// fail maps a failed call to a domain error, once, here: 401 EUNAUTHORIZED;
// 429, 5xx and failures to get an answer EUNAVAILABLE; anything else
// EINTERNAL. The cause reads "pagerduty: <what>: <what PagerDuty said>".
func (pd *PagerDuty) fail(what string, status int, netErr, err error) error {
	var ae pagerduty.APIError
	if errors.As(err, &ae) {
		// Our own type, so that no SDK type is reachable through the chain.
		err = &APIError{
			Status:  ae.StatusCode,
			Code:    ae.APIError.ErrorObject.Code,
			Message: pd.scrub(ae.Error()),
		}
	}
	code := access.EINTERNAL
	switch {
	case status == http.StatusUnauthorized:
		code = access.EUNAUTHORIZED
	case status == http.StatusTooManyRequests, status >= 500:
		code = access.EUNAVAILABLE
	case status >= 400:
	case netErr != nil || transient(err):
		code = access.EUNAVAILABLE
	}
	return access.Wrap(code, fmt.Errorf("pagerduty: %s: %w", what, err))
}

// transient reports whether err is a failure to hear back in time.
func transient(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// scrub removes the token from text a server sent back.
func (pd *PagerDuty) scrub(s string) string {
	if pd.token == "" {
		return s
	}
	return strings.ReplaceAll(s, pd.token, "[token]")
}

// APIError is what PagerDuty said when it refused a request. It is the cause
// (errors.As) inside the *access.Error that the on-call source returns.
type APIError struct {
	Status  int    // HTTP status
	Code    int    // PagerDuty error code, such as 2100 (not found); 0 when none
	Message string // the status, message, code and details
}

func (e *APIError) Error() string { return e.Message }
