package main

// End-to-end tests of issue 5: /healthz, /readyz and /metrics on the
// optional HTTP listener.

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
)

// withHTTP turns the health and metrics listener on, on a free port.
func withHTTP(cfg string) string { return cfg + "http:\n  listen: 127.0.0.1:0\n" }

// httpGet fetches path from the bot's HTTP listener.
func (e *e2e) httpGet(path string) (int, string) {
	e.t.Helper()
	addr := e.m.HTTPAddr()
	if addr == "" {
		e.t.Fatal("the HTTP listener is off")
	}
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// scrape returns /metrics as series ("name{label="v",…}" as exposed, labels
// sorted by name) to value.
func (e *e2e) scrape() map[string]float64 {
	e.t.Helper()
	code, body := e.httpGet("/metrics")
	if code != http.StatusOK {
		e.t.Fatalf("GET /metrics = %d: %s", code, body)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			e.t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func TestReadyzFollowsTheSlackConnection(t *testing.T) {
	e := startE2E(t, withHTTP)
	if code, body := e.httpGet("/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	e.waitFor("/readyz 200", func() bool { code, _ := e.httpGet("/readyz"); return code == http.StatusOK })

	// Slack drops the connection and refuses new ones for a while.
	connections := e.sb.Slack.ConnectionCount()
	e.sb.Slack.FailConnectionsOpen(1000, "")
	e.sb.Slack.DropConnections()
	var body string
	e.waitFor("/readyz 503", func() bool {
		var code int
		code, body = e.httpGet("/readyz")
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(body, "not connected to Slack") {
		t.Errorf("/readyz says %q", body)
	}
	if code, _ := e.httpGet("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d while Slack is down; the process is alive", code)
	}
	if v := e.scrape()["accessbot_socket_connected"]; v != 0 {
		t.Errorf("accessbot_socket_connected = %v while Slack is down", v)
	}

	e.sb.Slack.FailConnectionsOpen(0, "")
	if err := e.sb.Slack.WaitConnectionCount(e.ctx(), connections+1); err != nil {
		t.Fatalf("the bot did not reconnect: %v", err)
	}
	e.waitFor("/readyz 200 after reconnecting", func() bool { code, _ := e.httpGet("/readyz"); return code == http.StatusOK })
	if v := e.scrape()["accessbot_socket_connected"]; v != 1 {
		t.Errorf("accessbot_socket_connected = %v after reconnecting", v)
	}
}

func TestMetricsAfterAFlow(t *testing.T) {
	e := startE2E(t, withHTTP)
	id, bobDM := e.ask(Alice, "db-prod 4h INC-3 metrics", Bob)
	e.advance(90 * time.Second)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)

	want := map[string]float64{
		`accessbot_requests_total{outcome="requested",resource="db-prod"}`:      1,
		`accessbot_requests_total{outcome="approved",resource="db-prod"}`:       1,
		`accessbot_grants_total{outcome="provisioned",resource="db-prod"}`:      1,
		`accessbot_decision_seconds_count{resource="db-prod"}`:                  1,
		`accessbot_decision_seconds_sum{resource="db-prod"}`:                    90,
		`accessbot_decision_seconds_bucket{resource="db-prod",le="60"}`:         0,
		`accessbot_decision_seconds_bucket{resource="db-prod",le="120"}`:        1,
		`accessbot_active_grants`:                                               1,
		`accessbot_removals_pending`:                                            0,
		`accessbot_removals_failing`:                                            0,
		`accessbot_socket_connected`:                                            1,
		`accessbot_audit_events_total{type="requested"}`:                        1,
		`accessbot_audit_events_total{type="approved"}`:                         1,
		`accessbot_audit_events_total{type="provisioned"}`:                      1,
		`accessbot_external_calls_total{outcome="server_error",service="okta"}`: 0,
	}
	var got map[string]float64
	e.waitFor("metrics of the flow", func() bool {
		got = e.scrape()
		for k, v := range want {
			if have, ok := got[k]; !ok || have != v {
				return false
			}
		}
		return true
	})
	// Calls to Slack and Okta are counted and timed.
	for _, service := range []string{"slack", "okta"} {
		if got[`accessbot_external_calls_total{outcome="ok",service="`+service+`"}`] < 1 ||
			got[`accessbot_external_call_seconds_count{service="`+service+`"}`] < 1 {
			t.Errorf("no %s calls counted: %v", service, pick(got, service))
		}
	}
	_, body := e.httpGet("/metrics")
	for _, name := range []string{"accessbot_requests_total counter", "accessbot_grants_total counter", "accessbot_decision_seconds histogram",
		"accessbot_active_grants gauge", "accessbot_removals_pending gauge", "accessbot_removals_failing gauge",
		"accessbot_external_calls_total counter", "accessbot_external_call_seconds histogram", "accessbot_socket_connected gauge",
		"accessbot_audit_events_total counter"} {
		if !strings.Contains(body, "# TYPE "+name+"\n") {
			t.Errorf("/metrics has no # TYPE %s", name)
		}
	}

	// The grant expires: the gauge drops and the outcome is counted.
	e.advance(4 * time.Hour)
	e.waitState(id, access.StateExpired)
	e.waitFor("metrics after expiry", func() bool {
		got = e.scrape()
		return got[`accessbot_active_grants`] == 0 && got[`accessbot_grants_total{outcome="expired",resource="db-prod"}`] == 1
	})
}

// pick returns the series whose name mentions s, for failure messages.
func pick(m map[string]float64, s string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if strings.Contains(k, s) {
			out[k] = v
		}
	}
	return out
}
