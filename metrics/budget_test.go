package metrics

import "testing"

// budgetSource is an OktaBudget with fixed answers.
type budgetSource struct{}

func (budgetSource) RateBuckets(fn func(bucket string, limit, remaining, budget, used int)) {
	fn("/api/v1/groups*", 1200, 700, 600, 450)
}

func (budgetSource) QueueLengths(fn func(priority string, queued int)) int {
	fn("interactive", 2)
	fn("removal", 950)
	return 37
}

func TestOktaBudgetGauges(t *testing.T) {
	m := New()
	h := m.Handler(nil)
	_, s := scrape(t, h)
	wantAbsent(t, s, "accessbot_okta_rate_limit")
	m.RegisterOktaBudget(budgetSource{})
	m.RegisterOktaBudget(budgetSource{}) // a second call replaces the first
	_, s = scrape(t, h)
	wantValue(t, s, 1200, "accessbot_okta_rate_limit", "bucket", "/api/v1/groups*")
	wantValue(t, s, 700, "accessbot_okta_rate_remaining", "bucket", "/api/v1/groups*")
	wantValue(t, s, 600, "accessbot_okta_rate_budget", "bucket", "/api/v1/groups*")
	wantValue(t, s, 450, "accessbot_okta_rate_used", "bucket", "/api/v1/groups*")
	wantValue(t, s, 2, "accessbot_okta_queued", "priority", "interactive")
	wantValue(t, s, 950, "accessbot_okta_queued", "priority", "removal")
	wantValue(t, s, 37, "accessbot_okta_in_flight")
}
