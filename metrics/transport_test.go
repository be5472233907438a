package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransport(t *testing.T) {
	const secret = "xoxb-0123-secret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/users.info":
			w.WriteHeader(http.StatusOK)
		case "/api/missing":
			w.WriteHeader(http.StatusNotFound)
		case "/api/limited":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/api/broken":
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()

	m := New()
	slack := &http.Client{Transport: m.Transport(ServiceSlack, nil)} // nil: the default transport
	for _, path := range []string{"/api/users.info", "/api/users.info", "/api/missing", "/api/limited", "/api/broken"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path+"?token="+secret, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := slack.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	down := errors.New("dial tcp: connection refused to okta.example?token=" + secret)
	okta := &http.Client{Transport: m.Transport(ServiceOkta, roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, down
	}))}
	if _, err := okta.Get(srv.URL + "/api/v1/users?token=" + secret); err == nil {
		t.Fatal("call through a failing transport succeeded")
	}
	m.Transport(ServicePagerDuty, nil) // never called

	body, s := scrape(t, m.Handler(nil))
	for _, c := range []struct {
		service, outcome string
		want             float64
	}{
		{"slack", "ok", 2}, {"slack", "client_error", 1}, {"slack", "rate_limited", 1},
		{"slack", "server_error", 1}, {"slack", "network_error", 0},
		{"okta", "network_error", 1}, {"okta", "ok", 0},
		{"pagerduty", "ok", 0}, {"pagerduty", "rate_limited", 0},
	} {
		wantValue(t, s, c.want, "accessbot_external_calls_total", "service", c.service, "outcome", c.outcome)
	}
	wantValue(t, s, 5, "accessbot_external_call_seconds_count", "service", "slack")
	wantValue(t, s, 1, "accessbot_external_call_seconds_count", "service", "okta")

	host := strings.TrimPrefix(srv.URL, "http://")
	for _, leak := range []string{secret, "token", host, "/api/", "Bearer", "okta.example"} {
		if strings.Contains(body, leak) {
			t.Errorf("/metrics contains %q", leak)
		}
	}
	for _, smp := range s {
		if strings.HasPrefix(smp.name, "accessbot_external") {
			for k := range smp.labels {
				if k != "service" && k != "outcome" && k != "le" {
					t.Errorf("%s has label %q", smp.name, k)
				}
			}
		}
	}
}

func TestOutcome(t *testing.T) {
	for _, c := range []struct {
		status int
		err    error
		want   string
	}{
		{200, nil, OutcomeOK}, {204, nil, OutcomeOK}, {304, nil, OutcomeOK},
		{400, nil, OutcomeClientError}, {401, nil, OutcomeClientError}, {404, nil, OutcomeClientError},
		{429, nil, OutcomeRateLimited},
		{500, nil, OutcomeServerError}, {503, nil, OutcomeServerError},
		{0, errors.New("timeout"), OutcomeNetworkError},
	} {
		var resp *http.Response
		if c.err == nil {
			resp = &http.Response{StatusCode: c.status}
		}
		if got := outcome(resp, c.err); got != c.want {
			t.Errorf("outcome(%d, %v) = %s, want %s", c.status, c.err, got, c.want)
		}
	}
}
