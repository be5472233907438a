package provisioner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/accessbot/accessbot/access"
)

// fail maps a failed SDK call to a domain error, once, here: 404 ENOTFOUND,
// 401 EUNAUTHORIZED, 403 EFORBIDDEN (the token lacks a permission), 429, 5xx
// and network failures EUNAVAILABLE, anything else EINTERNAL. The cause reads
// "okta: <what>: <what Okta said>".
func (o *Okta) fail(status int, err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	return access.Wrap(code(status, err), fmt.Errorf("okta: %s: %w", what, o.cause(status, err)))
}

func code(status int, err error) string {
	switch {
	case status == http.StatusNotFound:
		return access.ENOTFOUND
	case status == http.StatusUnauthorized:
		return access.EUNAUTHORIZED
	case status == http.StatusForbidden:
		return access.EFORBIDDEN
	case status == http.StatusTooManyRequests, status >= 500:
		return access.EUNAVAILABLE
	case status < 400 && transient(err):
		return access.EUNAVAILABLE
	}
	return access.EINTERNAL
}

// transient reports whether err is a failure to reach Okta or to hear back
// in time, as opposed to a bad answer.
func transient(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// cause replaces the SDK's error with one of ours that keeps what Okta said
// (status, errorCode, errorSummary, errorId), so that no SDK type is reachable
// through the error chain.
func (o *Okta) cause(status int, err error) error {
	var oe *okta.Error
	if errors.As(err, &oe) {
		summary := oe.ErrorSummary
		if summary == "" {
			summary = oe.ErrorDescription
		}
		for _, c := range oe.ErrorCauses {
			for _, v := range c {
				summary += fmt.Sprintf("; %v", v)
			}
		}
		return &APIError{Status: status, Code: oe.ErrorCode, Summary: o.scrub(summary), ID: oe.ErrorId}
	}
	if status == http.StatusTooManyRequests {
		return &APIError{Status: status, Summary: "rate limited; retries exhausted"}
	}
	return err
}

// scrub removes the token from text a server sent back.
func (o *Okta) scrub(s string) string {
	if o.token == "" {
		return s
	}
	return strings.ReplaceAll(s, o.token, "[token]")
}

// APIError is what Okta said when it refused a request. It is the cause
// (errors.As) inside the *access.Error that the provisioner returns.
type APIError struct {
	Status  int    // HTTP status
	Code    string // Okta errorCode, such as E0000007
	Summary string // Okta errorSummary and errorCauses
	ID      string // Okta errorId, to quote to Okta support
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Summary != "" {
		b.WriteString(": " + e.Summary)
	}
	if e.ID != "" {
		b.WriteString(" (errorId " + e.ID + ")")
	}
	return b.String()
}
