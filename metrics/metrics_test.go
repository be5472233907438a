package metrics

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape gets /metrics from h and returns the body and its samples.
func scrape(t *testing.T, h http.Handler) (string, []sample) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	var out []sample
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, parseSample(t, line))
	}
	return body, out
}

// parseSample parses `name{k="v",…} value`.
func parseSample(t *testing.T, line string) sample {
	t.Helper()
	s := sample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		t.Fatalf("bad sample line %q", line)
	}
	s.name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for line[0] != '}' {
			eq := strings.IndexByte(line, '=')
			if eq < 0 || line[eq+1] != '"' {
				t.Fatalf("bad labels in %q", line)
			}
			key := line[:eq]
			line = line[eq+2:]
			var val strings.Builder
			for line[0] != '"' {
				if line[0] == '\\' {
					line = line[1:]
					if line[0] == 'n' {
						val.WriteByte('\n')
						line = line[1:]
						continue
					}
				}
				val.WriteByte(line[0])
				line = line[1:]
			}
			s.labels[key] = val.String()
			line = strings.TrimPrefix(line[1:], ",")
		}
		line = line[1:]
	}
	fields := strings.Fields(line)
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		t.Fatalf("bad value in %q: %v", line, err)
	}
	s.value = v
	return s
}

// value returns the value of the sample called name whose labels include
// labels (given as key, value pairs).
func value(samples []sample, name string, labels ...string) (float64, bool) {
next:
	for _, s := range samples {
		if s.name != name {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if got, ok := s.labels[labels[i]]; !ok || got != labels[i+1] {
				continue next
			}
		}
		return s.value, true
	}
	return 0, false
}

// wantValue fails unless the sample exists with value want.
func wantValue(t *testing.T, samples []sample, want float64, name string, labels ...string) {
	t.Helper()
	got, ok := value(samples, name, labels...)
	if !ok {
		t.Errorf("no sample %s%q", name, labels)
		return
	}
	if got != want {
		t.Errorf("%s%q = %v, want %v", name, labels, got, want)
	}
}

func wantAbsent(t *testing.T, samples []sample, name string, labels ...string) {
	t.Helper()
	if v, ok := value(samples, name, labels...); ok {
		t.Errorf("%s%q = %v, want no such sample", name, labels, v)
	}
}

func event(typ access.EventType, resource string, at time.Time, details map[string]string) access.Event {
	return access.Event{Time: at, Type: typ, ResourceID: resource, RequestID: "r1", Details: details}
}

func TestObserveEvent(t *testing.T) {
	m := New()
	requestedAt := map[string]string{access.DetailRequestedAt: t0.Format(time.RFC3339Nano)}
	for _, e := range []access.Event{
		event(access.EventRequested, "aws-prod", t0, nil),
		event(access.EventApproved, "aws-prod", t0.Add(90*time.Second), requestedAt),
		event(access.EventProvisioned, "aws-prod", t0.Add(91*time.Second), nil),
		event(access.EventRemovalStarted, "aws-prod", t0.Add(time.Hour), nil),
		event(access.EventExpired, "aws-prod", t0.Add(time.Hour), nil),
		event(access.EventRequested, "github-admin", t0, nil),
		event(access.EventRequested, "github-admin", t0, nil),
		event(access.EventDenied, "github-admin", t0.Add(10*time.Minute), requestedAt),
		event(access.EventCancelled, "github-admin", t0, requestedAt), // not a decision
		event(access.EventAutoApproved, "github-admin", t0, nil),      // no requested_at
		event(access.EventAutoApproved, "github-admin", t0, map[string]string{access.DetailRequestedAt: "yesterday"}),
		event(access.EventApproved, "github-admin", t0.Add(-time.Second), requestedAt), // clock skew
		event(access.EventBreakGlass, "db-root", t0, nil),
		event(access.EventStandingAccess, "db-root", t0, nil),
		event(access.EventExtended, "db-root", t0, nil),
		event(access.EventRevoked, "db-root", t0, nil),
		event(access.EventRefused, "", t0, nil),
		event(access.EventTimedOut, "db-root", t0, nil),
		event(access.EventFailed, "db-root", t0, nil),
	} {
		m.ObserveEvent(e)
	}
	_, s := scrape(t, m.Handler(nil))

	for _, c := range []struct {
		resource, outcome string
		want              float64
	}{
		{"aws-prod", "requested", 1}, {"aws-prod", "approved", 1},
		{"github-admin", "requested", 2}, {"github-admin", "denied", 1}, {"github-admin", "cancelled", 1},
		{"github-admin", "auto_approved", 2}, {"github-admin", "approved", 1},
		{"db-root", "break_glass", 1}, {"db-root", "timed_out", 1}, {"db-root", "failed", 1},
		{"", "refused", 1},
	} {
		wantValue(t, s, c.want, "accessbot_requests_total", "resource", c.resource, "outcome", c.outcome)
	}
	for _, c := range []struct{ resource, outcome string }{
		{"aws-prod", "provisioned"}, {"aws-prod", "expired"},
		{"db-root", "standing_access"}, {"db-root", "extended"}, {"db-root", "revoked"},
	} {
		wantValue(t, s, 1, "accessbot_grants_total", "resource", c.resource, "outcome", c.outcome)
	}
	wantAbsent(t, s, "accessbot_requests_total", "outcome", "provisioned")
	wantAbsent(t, s, "accessbot_grants_total", "outcome", "requested")
	wantAbsent(t, s, "accessbot_requests_total", "outcome", "removal_started")

	wantValue(t, s, 1, "accessbot_audit_events_total", "type", "removal_started")
	wantValue(t, s, 3, "accessbot_audit_events_total", "type", "requested")

	wantValue(t, s, 1, "accessbot_decision_seconds_count", "resource", "aws-prod")
	wantValue(t, s, 90, "accessbot_decision_seconds_sum", "resource", "aws-prod")
	wantValue(t, s, 1, "accessbot_decision_seconds_bucket", "resource", "aws-prod", "le", "120")
	wantValue(t, s, 0, "accessbot_decision_seconds_bucket", "resource", "aws-prod", "le", "60")
	wantValue(t, s, 1, "accessbot_decision_seconds_count", "resource", "github-admin") // the denial only
	wantValue(t, s, 600, "accessbot_decision_seconds_sum", "resource", "github-admin")
	wantAbsent(t, s, "accessbot_decision_seconds_count", "resource", "db-root")
}

func TestSocketConnected(t *testing.T) {
	m := New()
	h := m.Handler(nil)
	_, s := scrape(t, h)
	wantValue(t, s, 0, "accessbot_socket_connected")
	m.SetSocketConnected(true)
	_, s = scrape(t, h)
	wantValue(t, s, 1, "accessbot_socket_connected")
	m.SetSocketConnected(false)
	_, s = scrape(t, h)
	wantValue(t, s, 0, "accessbot_socket_connected")
}

func TestRuntimeCollectors(t *testing.T) {
	_, s := scrape(t, New().Handler(nil))
	if _, ok := value(s, "go_goroutines"); !ok {
		t.Error("no go_goroutines: Go collector missing")
	}
	if _, ok := value(s, "process_open_fds"); !ok {
		t.Error("no process_open_fds: process collector missing")
	}
}
