package provisioner

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeokta"
)

// BenchmarkMassRemoval removes 1,000 group memberships at once through the
// pacer (default share 0.5) while the fake Okta enforces a bucket of 1,200
// calls per window, and makes interactive grants one after another
// meanwhile: in "grants=12", one every twelfth of a window (every 0.5 s of a
// 6 s window, every 5 s of a minute: 2% of the budget); in "grants=120",
// ten times as many (20% of the budget, which the removals then do not get).
// It reports the time taken ÷ the floor the budget allows for the removals
// alone (N ÷ (share × limit) × window), the share of calls answered 429 and
// the grants' slowest latency. The window is 6 s so that it runs in seconds;
// ACCESSBOT_BENCH=full uses Okta's minute (floor 100 s):
//
//	go test ./provisioner/ -run '^$' -bench MassRemoval -benchtime 1x
func BenchmarkMassRemoval(b *testing.B) {
	for _, perWindow := range []int{12, 120} {
		b.Run(fmt.Sprintf("grants=%d", perWindow), func(b *testing.B) { benchMassRemoval(b, perWindow) })
	}
}

func benchMassRemoval(b *testing.B, grantsPerWindow int) {
	const (
		n     = 1000
		limit = 1200
		share = DefaultRateLimitShare
	)
	window := 6 * time.Second
	if os.Getenv("ACCESSBOT_BENCH") == "full" {
		window = time.Minute
	}
	floor := time.Duration(float64(n) / (share * limit) * float64(window))
	for range b.N {
		srv, o, _ := pacedOkta(b, PacerOptions{Share: share})
		for i := range n {
			id := fmt.Sprintf("00u%04d", i)
			srv.AddUser(fakeokta.User{ID: id, Login: id + "@example.com", Email: id + "@example.com"})
			srv.AddMember(paceGroup, id)
		}
		srv.SetRateLimit(fakeokta.BucketGroups, limit, window)
		ctx, cancel := context.WithTimeout(context.Background(), 10*floor)

		b.ResetTimer()
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := o.client.Group.RemoveUserFromGroup(access.WithPriority(ctx, access.PriorityRemoval), paceGroup, fmt.Sprintf("00u%04d", i))
				errs <- err
			}()
		}
		removed := make(chan struct{})
		go func() { wg.Wait(); close(removed) }()
		var grants []time.Duration
		tick := time.NewTicker(window / time.Duration(grantsPerWindow))
	grant:
		for {
			select {
			case <-removed:
				break grant
			case <-tick.C:
				t0 := time.Now()
				if err := o.paceAdd(ctx, access.PriorityInteractive); err != nil {
					b.Fatal(err)
				}
				grants = append(grants, time.Since(t0))
			}
		}
		tick.Stop()
		elapsed := time.Since(start)
		b.StopTimer()
		cancel()
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		// Only the user the grants add is left.
		if left := srv.Members(paceGroup); len(left) > 1 {
			b.Fatalf("%d members left", len(left))
		}
		st := srv.RateStats()
		calls := st.Requests[fakeokta.BucketGroups]
		slowest := slices.Max(append(grants, 0))
		b.ReportMetric(elapsed.Seconds()/floor.Seconds(), "time/floor")
		b.ReportMetric(100*float64(st.Limited[fakeokta.BucketGroups])/float64(calls), "%429")
		b.ReportMetric(float64(slowest)/float64(time.Millisecond), "grant-max-ms")
		// The floor for what the grants left of the budget.
		net := time.Duration(float64(n) / (share*limit - float64(grantsPerWindow)) * float64(window))
		b.ReportMetric(elapsed.Seconds()/net.Seconds(), "time/net-floor")
		b.Logf("%d removals in %v (floor %v, window %v): time/floor %.2f (%.2f of what the grants left); %d of %d calls answered 429; %d grants meanwhile, slowest %v",
			n, elapsed.Round(time.Millisecond), floor, window, elapsed.Seconds()/floor.Seconds(), elapsed.Seconds()/net.Seconds(),
			st.Limited[fakeokta.BucketGroups], calls, len(grants), slowest.Round(time.Millisecond))
	}
}
