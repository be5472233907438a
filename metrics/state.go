package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accessbot/accessbot/access"
)

// stateTimeout bounds the state function at each scrape, so a stuck store
// cannot hold up the scrape past Prometheus's own timeout.
const stateTimeout = 3 * time.Second

// StateCounts is how many open requests are in each situation the gauges
// report.
type StateCounts struct {
	Active              int // grants in effect, including those being removed
	RemovalsPending     int // grants whose removal is recorded but not yet confirmed
	RemovalsFailing     int // of those, the ones with at least one failed attempt
	ProvisioningPending int // approved requests not yet granted in the identity provider
}

// CountState computes StateCounts from the open requests (the store's
// ListOpen). A grant being removed still counts as active: the access is
// there until the identity provider confirms its removal.
func CountState(reqs []*access.Request) StateCounts {
	var c StateCounts
	for _, r := range reqs {
		switch {
		case r.State == access.StateActive:
			c.Active++
			if rm := r.Grant.Removal; rm != nil {
				c.RemovalsPending++
				if rm.Retry.Attempts > 0 {
					c.RemovalsFailing++
				}
			}
		case r.State == access.StateApproved && r.Kind != access.KindExtension:
			// An approved extension changes an existing grant; there is
			// nothing to provision.
			c.ProvisioningPending++
		}
	}
	return c
}

// RegisterState sets the function that counts open requests at each scrape,
// typically one that calls the store's ListOpen and CountState. It is called
// with a timeout of a few seconds; when it fails, the four gauges are left out
// of that scrape rather than reported wrong. Until RegisterState is called the
// gauges are absent. A later call replaces the function.
func (m *Metrics) RegisterState(fn func(ctx context.Context) (StateCounts, error)) {
	m.state.set(fn)
}

// stateCollector reports the StateCounts gauges by asking for them when
// scraped.
type stateCollector struct {
	active, removalsPending, removalsFailing, provisioningPending *prometheus.Desc

	mu sync.Mutex
	fn func(ctx context.Context) (StateCounts, error)
}

var _ prometheus.Collector = (*stateCollector)(nil)

func newStateCollector() *stateCollector {
	return &stateCollector{
		active: prometheus.NewDesc("accessbot_active_grants",
			"Grants in effect, including those whose removal is pending.", nil, nil),
		removalsPending: prometheus.NewDesc("accessbot_removals_pending",
			"Grants whose removal from the identity provider is not yet confirmed.", nil, nil),
		removalsFailing: prometheus.NewDesc("accessbot_removals_failing",
			"Pending removals with at least one failed attempt.", nil, nil),
		provisioningPending: prometheus.NewDesc("accessbot_provisioning_pending",
			"Approved requests not yet granted in the identity provider.", nil, nil),
	}
}

func (c *stateCollector) set(fn func(ctx context.Context) (StateCounts, error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fn = fn
}

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.active
	ch <- c.removalsPending
	ch <- c.removalsFailing
	ch <- c.provisioningPending
}

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	fn := c.fn
	c.mu.Unlock()
	if fn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	counts, err := fn(ctx)
	if err != nil {
		// The scrape goes on without these gauges (the handler continues on
		// error) and promhttp_metric_handler_errors_total counts the failure.
		ch <- prometheus.NewInvalidMetric(c.active, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.active, prometheus.GaugeValue, float64(counts.Active))
	ch <- prometheus.MustNewConstMetric(c.removalsPending, prometheus.GaugeValue, float64(counts.RemovalsPending))
	ch <- prometheus.MustNewConstMetric(c.removalsFailing, prometheus.GaugeValue, float64(counts.RemovalsFailing))
	ch <- prometheus.MustNewConstMetric(c.provisioningPending, prometheus.GaugeValue, float64(counts.ProvisioningPending))
}
