package metrics

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

func TestCountState(t *testing.T) {
	removal := func(attempts int) *access.Removal {
		return &access.Removal{Outcome: access.StateExpired, Retry: access.Retry{Attempts: attempts}}
	}
	reqs := []*access.Request{
		{State: access.StatePending},
		{State: access.StateApproved, Kind: access.KindAccess},
		{State: access.StateApproved, Kind: access.KindBreakGlass},
		{State: access.StateApproved, Kind: access.KindExtension},
		{State: access.StateActive},
		{State: access.StateActive, Grant: access.Grant{Standing: true}},
		{State: access.StateActive, Grant: access.Grant{Removal: removal(0)}},
		{State: access.StateActive, Grant: access.Grant{Removal: removal(3)}},
	}
	want := StateCounts{Active: 4, RemovalsPending: 2, RemovalsFailing: 1, ProvisioningPending: 2}
	if got := CountState(reqs); got != want {
		t.Fatalf("CountState = %+v, want %+v", got, want)
	}
	if got := CountState(nil); got != (StateCounts{}) {
		t.Fatalf("CountState(nil) = %+v, want zeros", got)
	}
}

func TestStateGauges(t *testing.T) {
	m := New()
	h := m.Handler(nil)
	gauges := []string{"accessbot_active_grants", "accessbot_removals_pending", "accessbot_removals_failing", "accessbot_provisioning_pending"}

	_, s := scrape(t, h)
	for _, g := range gauges {
		wantAbsent(t, s, g) // nothing to ask yet
	}

	var fail error
	m.RegisterState(func(ctx context.Context) (StateCounts, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("state function called without a deadline")
		}
		return StateCounts{Active: 5, RemovalsPending: 2, RemovalsFailing: 1, ProvisioningPending: 3}, fail
	})
	_, s = scrape(t, h)
	for i, want := range []float64{5, 2, 1, 3} {
		wantValue(t, s, want, gauges[i])
	}

	fail = errors.New("store: database not open")
	_, s = scrape(t, h) // still 200
	for _, g := range gauges {
		wantAbsent(t, s, g)
	}
	wantValue(t, s, 0, "accessbot_socket_connected") // the rest is still served
	// A failure is counted after the scrape it spoiled.
	_, s = scrape(t, h)
	wantValue(t, s, 1, "promhttp_metric_handler_errors_total", "cause", "gathering")
}

func TestStateTimeout(t *testing.T) {
	m := New()
	m.RegisterState(func(ctx context.Context) (StateCounts, error) {
		dl, _ := ctx.Deadline()
		if left := time.Until(dl); left <= 0 || left > stateTimeout {
			t.Errorf("deadline in %v, want within %v", left, stateTimeout)
		}
		return StateCounts{}, nil
	})
	_, s := scrape(t, m.Handler(nil))
	wantValue(t, s, 0, "accessbot_active_grants")
}
