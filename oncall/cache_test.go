package oncall

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakepagerduty"
)

var policyPS1 = access.OnCallPolicy{Schedules: []string{"PS1", "PS2"}}

func TestCacheHit(t *testing.T) {
	srv := newPDServer(t)
	srv.setOnCalls(testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 1})
	pd := newTestPD(t, srv, &clock{now: t0})
	want := access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1}
	wantShifts(t, shifts(t, pd, "alice@example.com", policyPS1, t0), want)
	// Same filters in another order, another person: the same list.
	other := access.OnCallPolicy{Schedules: []string{"PS2", "PS1"}}
	wantShifts(t, shifts(t, pd, "alice@example.com", other, t0), want)
	if got := shifts(t, pd, "carol@example.com", other, t0); len(got) != 0 {
		t.Fatalf("carol's shifts = %+v, want none", got)
	}
	if n := srv.count("/oncalls"); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

func TestCacheExpiresAtShiftEnd(t *testing.T) {
	srv := newPDServer(t)
	end := t0.Add(10 * time.Minute)
	srv.setOnCalls(
		testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 1, start: t0.Add(-time.Hour), end: end},
		testOnCall{user: "PU3", schedule: "PS1", policy: "PE1", level: 1, start: end, end: end.Add(time.Hour)},
	)
	clk := &clock{now: t0}
	pd := newTestPD(t, srv, clk) // CacheTTL is an hour
	alice := access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1, Start: t0.Add(-time.Hour), End: end}
	wantShifts(t, shifts(t, pd, "alice@example.com", policyPS1, t0), alice)

	now := end.Add(-time.Second)
	clk.set(now)
	wantShifts(t, shifts(t, pd, "alice@example.com", policyPS1, now), alice)
	if n := srv.count("/oncalls"); n != 1 {
		t.Fatalf("%d requests before the shift ends, want 1", n)
	}

	clk.set(end)
	if got := shifts(t, pd, "alice@example.com", policyPS1, end); len(got) != 0 {
		t.Fatalf("shifts at the end of the shift = %+v, want none", got)
	}
	wantShifts(t, shifts(t, pd, "carol@example.com", policyPS1, end),
		access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1, Start: end, End: end.Add(time.Hour)})
	if n := srv.count("/oncalls"); n != 1 {
		t.Fatalf("%d requests at the shift end, want 1 (a fresh list)", n)
	}
}

func TestCacheExpiresAfterTTL(t *testing.T) {
	srv := newPDServer(t)
	srv.setOnCalls(testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 1})
	clk := &clock{now: t0}
	pd := newTestPD(t, srv, clk, func(o *Options) { o.CacheTTL = 30 * time.Second })
	for _, d := range []time.Duration{0, 29 * time.Second, 30 * time.Second} {
		clk.set(t0.Add(d))
		shifts(t, pd, "alice@example.com", policyPS1, t0.Add(d))
	}
	if n := srv.count("/oncalls"); n != 2 {
		t.Fatalf("%d requests, want 2 (one at 0s, one at 30s)", n)
	}
}

func TestCacheKeepsNoError(t *testing.T) {
	srv := newPDServer(t)
	srv.setOnCalls(testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 1})
	srv.FailNext("", fakepagerduty.Fault{Status: http.StatusInternalServerError, Times: 100})
	pd := newTestPD(t, srv, &clock{now: t0})
	_, err := pd.CurrentShifts(testContext(t), "alice@example.com", policyPS1, t0)
	wantCode(t, err, access.EUNAVAILABLE)
	if n := srv.count("/oncalls"); n != 2 {
		t.Fatalf("%d requests, want 2 (one retry)", n)
	}
	srv.ClearFaults()
	wantShifts(t, shifts(t, pd, "alice@example.com", policyPS1, t0), access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1})
	if n := srv.count("/oncalls"); n != 1 {
		t.Fatalf("%d requests after the error, want 1", n)
	}
}

func TestConcurrentCallersShareOneFetch(t *testing.T) {
	srv := newPDServer(t)
	srv.setOnCalls(testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 1})
	release := make(chan struct{})
	srv.FailNext("", fakepagerduty.Fault{Hold: release, Times: 100})
	pd := newTestPD(t, srv, &clock{now: t0})
	ctx := testContext(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			got, err := pd.CurrentShifts(ctx, "alice@example.com", policyPS1, t0)
			if err == nil && len(got) != 1 {
				err = access.Errorf(access.EINTERNAL, "%d shifts, want 1", len(got))
			}
			errs <- err
		})
	}
	if err := srv.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		wantCode(t, err, "")
	}
	// Each caller either joined the fetch or found its result in the cache.
	if n := srv.count("/oncalls"); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// A caller that gives up does not cancel the fetch others wait for.
func TestCallerGivingUpLeavesSharedFetch(t *testing.T) {
	srv := newPDServer(t)
	srv.setOnCalls(testOnCall{user: "PU1", schedule: "PS1", policy: "PE1", level: 1})
	release := make(chan struct{})
	srv.FailNext("", fakepagerduty.Fault{Hold: release, Times: 100})
	pd := newTestPD(t, srv, &clock{now: t0}, func(o *Options) { o.CacheTTL = -1 }) // no cache: only the flight is shared
	joined := make(chan string, 10)
	pd.cache.joined = func(key string) { joined <- key }

	ctxA, cancelA := context.WithCancel(testContext(t))
	errA := make(chan error, 1)
	go func() {
		_, err := pd.CurrentShifts(ctxA, "alice@example.com", policyPS1, t0)
		errA <- err
	}()
	if err := srv.WaitHeld(testContext(t), 1); err != nil {
		t.Fatal(err)
	}
	cancelA()
	wantCode(t, <-errA, access.EUNAVAILABLE)

	resB := make(chan []access.Shift, 1)
	go func() {
		got, err := pd.CurrentShifts(testContext(t), "alice@example.com", policyPS1, t0)
		if err != nil {
			t.Errorf("B: %v", err)
		}
		resB <- got
	}()
	// B joins A's fetch, which the server still holds.
	if key := recv(t, joined); key != "oncalls:"+listKey(policyPS1.Schedules, nil) {
		t.Fatalf("B joined %q", key)
	}
	close(release)
	wantShifts(t, <-resB, access.Shift{ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1})
	if n := srv.count("/oncalls"); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// recv returns the next value from ch, or fails the test after a deadline.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing arrived within 5s")
		panic("unreachable")
	}
}
