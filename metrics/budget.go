package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// OktaBudget is what the Okta pacer tells the metrics at each scrape. The
// provisioner's Pacer implements it; the interface keeps the packages apart.
type OktaBudget interface {
	// RateBuckets calls fn for each rate-limit bucket seen: Okta's limit
	// and remaining calls in the window (0 while unknown), the calls the
	// pacer lets go per window, and those it has let go in this one.
	RateBuckets(fn func(bucket string, limit, remaining, budget, used int))
	// QueueLengths calls fn with the number of calls waiting at each
	// priority, and returns the number in flight.
	QueueLengths(fn func(priority string, queued int)) (inFlight int)
}

// RegisterOktaBudget reports b at every scrape as
// accessbot_okta_rate_limit, accessbot_okta_rate_remaining,
// accessbot_okta_rate_budget and accessbot_okta_rate_used (by bucket),
// accessbot_okta_queued (by priority) and accessbot_okta_in_flight. Until it
// is called they are absent; a later call replaces b.
func (m *Metrics) RegisterOktaBudget(b OktaBudget) {
	m.budgetOnce.Do(func() {
		m.budget = newBudgetCollector()
		m.reg.MustRegister(m.budget)
	})
	m.budget.set(b)
}

// budgetCollector reads an OktaBudget when scraped.
type budgetCollector struct {
	limit, remaining, budget, used, queued, inFlight *prometheus.Desc

	mu  sync.Mutex
	src OktaBudget
}

var _ prometheus.Collector = (*budgetCollector)(nil)

func newBudgetCollector() *budgetCollector {
	bucket := []string{"bucket"}
	return &budgetCollector{
		limit: prometheus.NewDesc("accessbot_okta_rate_limit",
			"Okta's limit for the rate-limit bucket per window (X-Rate-Limit-Limit); 0 while unknown.", bucket, nil),
		remaining: prometheus.NewDesc("accessbot_okta_rate_remaining",
			"Calls left in the bucket's window for every client of the org (X-Rate-Limit-Remaining).", bucket, nil),
		budget: prometheus.NewDesc("accessbot_okta_rate_budget",
			"Calls accessbot lets go to the bucket per window: its share of the limit.", bucket, nil),
		used: prometheus.NewDesc("accessbot_okta_rate_used",
			"Calls accessbot has let go to the bucket in the current window.", bucket, nil),
		queued: prometheus.NewDesc("accessbot_okta_queued",
			"Okta calls waiting for the rate-limit budget, by priority (urgent, interactive, removal, background).", []string{"priority"}, nil),
		inFlight: prometheus.NewDesc("accessbot_okta_in_flight",
			"Okta calls let go and not yet answered.", nil, nil),
	}
}

func (c *budgetCollector) set(b OktaBudget) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.src = b
}

// Describe implements prometheus.Collector.
func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.limit, c.remaining, c.budget, c.used, c.queued, c.inFlight} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	src := c.src
	c.mu.Unlock()
	if src == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	src.RateBuckets(func(bucket string, limit, remaining, budget, used int) {
		gauge(c.limit, limit, bucket)
		gauge(c.remaining, remaining, bucket)
		gauge(c.budget, budget, bucket)
		gauge(c.used, used, bucket)
	})
	inFlight := src.QueueLengths(func(priority string, queued int) { gauge(c.queued, queued, priority) })
	gauge(c.inFlight, inFlight)
}
