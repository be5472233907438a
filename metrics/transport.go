package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Services, the values of the service label.
const (
	ServiceSlack     = "slack"
	ServiceOkta      = "okta"
	ServicePagerDuty = "pagerduty"
)

// Outcomes of an external call, the values of the outcome label.
const (
	OutcomeOK           = "ok"            // any status below 400
	OutcomeClientError  = "client_error"  // 4xx other than 429
	OutcomeServerError  = "server_error"  // 5xx
	OutcomeRateLimited  = "rate_limited"  // 429
	OutcomeNetworkError = "network_error" // no response: DNS, connect, TLS, timeout, cancel
)

var outcomes = []string{OutcomeOK, OutcomeClientError, OutcomeServerError, OutcomeRateLimited, OutcomeNetworkError}

// Transport returns an http.RoundTripper that sends requests through next
// (http.DefaultTransport when nil) and counts them in
// accessbot_external_calls_total and accessbot_external_call_seconds under
// service, one of the Service constants. Only the service, the outcome and
// the time until the response headers are recorded, never the URL, the
// headers or the error, which can hold tokens. Slack reports most errors as
// 200 with "ok": false; those count as ok, since the body is not read here.
func (m *Metrics) Transport(service string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	t := &transport{next: next, calls: map[string]prometheus.Counter{}, seconds: m.externalTime.WithLabelValues(service)}
	for _, o := range outcomes {
		// Creating every series up front makes rates of rare outcomes
		// start from zero instead of being absent.
		t.calls[o] = m.externalCalls.WithLabelValues(service, o)
	}
	return t
}

type transport struct {
	next    http.RoundTripper
	calls   map[string]prometheus.Counter // by outcome; read-only once built
	seconds prometheus.Observer
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	t.seconds.Observe(time.Since(start).Seconds())
	t.calls[outcome(resp, err)].Inc()
	return resp, err
}

// outcome classifies the result of one round trip.
func outcome(resp *http.Response, err error) string {
	switch {
	case err != nil || resp == nil:
		return OutcomeNetworkError
	case resp.StatusCode == http.StatusTooManyRequests:
		return OutcomeRateLimited
	case resp.StatusCode >= 500:
		return OutcomeServerError
	case resp.StatusCode >= 400:
		return OutcomeClientError
	}
	return OutcomeOK
}
