// Package metrics exposes accessbot's Prometheus metrics and its health
// endpoints. Counters are fed from the audit trail (ObserveEvent) and from the
// HTTP clients of the vendor SDKs (Transport); gauges about open requests are
// read from the store at scrape time (RegisterState), so they need no
// bookkeeping and cannot drift.
package metrics

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/accessbot/accessbot/access"
)

// Metrics holds accessbot's metrics in a registry of their own, with the Go
// runtime and process collectors. All methods are safe for concurrent use.
type Metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	grants        *prometheus.CounterVec
	decision      *prometheus.HistogramVec
	auditEvents   *prometheus.CounterVec
	externalCalls *prometheus.CounterVec
	externalTime  *prometheus.HistogramVec
	socket        prometheus.GaugeFunc
	socketUp      atomic.Pointer[func() bool] // read at scrape time
	state         *stateCollector
	leader        prometheus.Gauge
	budget        *budgetCollector // registered by RegisterOktaBudget
	budgetOnce    sync.Once
}

// requestOutcomes and grantOutcomes are the audit event types counted by
// accessbot_requests_total and accessbot_grants_total.
var (
	requestOutcomes = map[access.EventType]bool{
		access.EventRequested: true, access.EventApproved: true, access.EventDenied: true,
		access.EventAutoApproved: true, access.EventBreakGlass: true, access.EventCancelled: true,
		access.EventTimedOut: true, access.EventFailed: true, access.EventRefused: true,
	}
	grantOutcomes = map[access.EventType]bool{
		access.EventProvisioned: true, access.EventStandingAccess: true, access.EventExpired: true,
		access.EventRevoked: true, access.EventExtended: true,
	}
	// decisions are the events that may end a request's wait for an answer.
	decisions = map[access.EventType]bool{
		access.EventApproved: true, access.EventDenied: true, access.EventAutoApproved: true,
	}
)

// New returns the metrics, registered in a new registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessbot_requests_total",
			Help: "Access requests by resource and outcome (the audit event type: requested, approved, denied, auto_approved, break_glass, cancelled, timed_out, failed, refused).",
		}, []string{"resource", "outcome"}),
		grants: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessbot_grants_total",
			Help: "Grant changes by resource and outcome (provisioned, standing_access, expired, revoked, extended).",
		}, []string{"resource", "outcome"}),
		decision: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "accessbot_decision_seconds",
			Help:    "Time from a request to its approval or denial.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600},
		}, []string{"resource"}),
		auditEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessbot_audit_events_total",
			Help: "Audit events committed, by type.",
		}, []string{"type"}),
		externalCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accessbot_external_calls_total",
			Help: "HTTP calls to Slack, Okta and PagerDuty by outcome (ok, client_error, server_error, rate_limited, network_error).",
		}, []string{"service", "outcome"}),
		externalTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "accessbot_external_call_seconds",
			Help:    "Time until the response headers of HTTP calls to Slack, Okta and PagerDuty.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"service"}),
		state: newStateCollector(),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "accessbot_leader",
			Help: "1 while this replica is the leader, which runs the expiry sweep, reminders and retries, else 0. A bot on a bbolt file is always its own leader.",
		}),
	}
	m.socket = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "accessbot_socket_connected",
		Help: "1 while the Slack Socket Mode connection is up, else 0.",
	}, func() float64 {
		if up := m.socketUp.Load(); up != nil && (*up)() {
			return 1
		}
		return 0
	})
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.grants, m.decision, m.auditEvents,
		m.externalCalls, m.externalTime, m.socket, m.state, m.leader,
	)
	return m
}

// Registry returns the registry the metrics are in, for callers that add
// their own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveEvent counts one committed audit event: every event in
// accessbot_audit_events_total, request and grant outcomes in
// accessbot_requests_total and accessbot_grants_total, and, for an approval,
// denial or auto-approval whose details carry access.DetailRequestedAt, the wait in
// accessbot_decision_seconds. Feed it each event once, after its commit.
func (m *Metrics) ObserveEvent(e access.Event) {
	m.auditEvents.WithLabelValues(string(e.Type)).Inc()
	switch {
	case requestOutcomes[e.Type]:
		m.requests.WithLabelValues(e.ResourceID, string(e.Type)).Inc()
	case grantOutcomes[e.Type]:
		m.grants.WithLabelValues(e.ResourceID, string(e.Type)).Inc()
	}
	if !decisions[e.Type] {
		return
	}
	s, ok := e.Details[access.DetailRequestedAt]
	if !ok {
		return
	}
	requested, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return // a malformed detail is no reason to lose the event's counts
	}
	if wait := e.Time.Sub(requested); wait >= 0 {
		m.decision.WithLabelValues(e.ResourceID).Observe(wait.Seconds())
	}
}

// SetLeader records whether this replica runs the background work.
func (m *Metrics) SetLeader(on bool) {
	if on {
		m.leader.Set(1)
	} else {
		m.leader.Set(0)
	}
}

// SetSocketConnected records whether the Slack Socket Mode connection is up.
func (m *Metrics) SetSocketConnected(up bool) {
	m.WatchSocket(func() bool { return up })
}

// WatchSocket makes accessbot_socket_connected ask connected at every
// scrape, so the gauge is never a scrape behind the connection.
func (m *Metrics) WatchSocket(connected func() bool) {
	m.socketUp.Store(&connected)
}
