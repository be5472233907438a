package oncall

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakepagerduty"
)

// failFirst answers the first n requests with status (and Retry-After on a
// 429), echoing the credential back as careless servers do.
func failFirst(srv *pdFake, n int, status int, retryAfter time.Duration) {
	srv.FailNext("", fakepagerduty.Fault{Status: status, Times: n, RetryAfter: retryAfter,
		Message: "refused Token token=" + testToken})
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		failures   int
		status     int
		retryAfter time.Duration
		code       string
		requests   int
	}{
		{"500 once is retried", 1, http.StatusInternalServerError, 0, "", 2},
		{"500 twice", 2, http.StatusInternalServerError, 0, access.EUNAVAILABLE, 2},
		{"503 twice", 2, http.StatusServiceUnavailable, 0, access.EUNAVAILABLE, 2},
		{"429 with a short Retry-After is retried", 1, http.StatusTooManyRequests, 0, "", 2},
		{"429 twice", 2, http.StatusTooManyRequests, 0, access.EUNAVAILABLE, 2},
		{"429 with a long Retry-After is not retried", 1, http.StatusTooManyRequests, 30 * time.Second, access.EUNAVAILABLE, 1},
		{"401", 1, http.StatusUnauthorized, 0, access.EUNAUTHORIZED, 1},
		{"403", 1, http.StatusForbidden, 0, access.EINTERNAL, 1},
		{"400", 1, http.StatusBadRequest, 0, access.EINTERNAL, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newPDServer(t)
			srv.setOnCalls(testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 1})
			failFirst(srv, tt.failures, tt.status, tt.retryAfter)
			pd := newTestPD(t, srv, &clock{now: t0})
			got, err := pd.CurrentShifts(testContext(t), "alice@example.com", policyPS1, t0)
			wantCode(t, err, tt.code)
			if n := len(srv.takeRequests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if err == nil {
				wantShifts(t, got, access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1})
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tt.status {
				t.Errorf("cause = %v, want an APIError with status %d", err, tt.status)
			}
			for _, want := range []string{"pagerduty: list on-calls", "refused Token token=[token]"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestErrorWithoutJSON(t *testing.T) {
	srv := newPDServer(t)
	// A proxy in front of PagerDuty answers in plain text.
	srv.FailNext("", fakepagerduty.Fault{Status: http.StatusBadGateway, Body: "bad gateway\n", Times: 100})
	_, err := newTestPD(t, srv, &clock{now: t0}).CurrentShifts(testContext(t), "alice@example.com", policyPS1, t0)
	wantCode(t, err, access.EUNAVAILABLE)
}

func TestUnreachable(t *testing.T) {
	srv := newPDServer(t)
	pd := newTestPD(t, srv, &clock{now: t0})
	srv.Close()
	_, err := pd.CurrentShifts(testContext(t), "alice@example.com", policyPS1, t0)
	wantCode(t, err, access.EUNAVAILABLE)
	wantCode(t, pd.CheckToken(testContext(t)), access.EUNAVAILABLE)
}

func TestUndecodableAnswer(t *testing.T) {
	srv := newPDServer(t)
	srv.FailNext("", fakepagerduty.Fault{ContentType: "application/json",
		Body: `{"oncalls":[{"escalation_level":1,"start":"yesterday"}]}`})
	_, err := newTestPD(t, srv, &clock{now: t0}).CurrentShifts(testContext(t), "alice@example.com", policyPS1, t0)
	wantCode(t, err, access.EINTERNAL)
}

func TestArrayParamsUseBrackets(t *testing.T) {
	srv := newPDServer(t)
	pd := newTestPD(t, srv, &clock{now: t0})
	shifts(t, pd, "alice@example.com", access.OnCallPolicy{Schedules: []string{"PS1"}, EscalationPolicies: []string{"PE1"}}, t0)
	var raw []string
	for _, r := range srv.takeRequests() {
		raw = append(raw, r.Query)
	}
	if len(raw) != 2 || !strings.Contains(raw[0], "schedule_ids%5B%5D=PS1") ||
		!strings.Contains(raw[1], "escalation_policy_ids%5B%5D=PE1") || !strings.Contains(raw[0], "include%5B%5D=users") {
		t.Fatalf("queries = %q, want schedule_ids[] then escalation_policy_ids[], with include[]", raw)
	}
}
