package postgres

import (
	"context"
	"sync"
	"testing"
	"time"
)

// candidate runs one Lead and records when its fn starts and stops.
type candidate struct {
	name    string
	l       *Leader
	started chan struct{} // one value per time fn starts
	stopped chan struct{} // one value per time fn's context ends
	done    chan struct{} // closed when Lead returns
	cancel  context.CancelFunc
}

func startCandidate(t *testing.T, name string, s *Store) *candidate {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	c := &candidate{name: name, l: s.Leader(LeaderOptions{Interval: 100 * time.Millisecond}),
		started: make(chan struct{}, 10), stopped: make(chan struct{}, 10), done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(c.done)
		if err := c.l.Lead(ctx, func(ctx context.Context) {
			c.started <- struct{}{}
			<-ctx.Done()
			c.stopped <- struct{}{}
		}); err != nil {
			t.Errorf("%s: Lead: %v", name, err)
		}
	}()
	t.Cleanup(func() { cancel(); <-c.done })
	return c
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting until %s", what)
	}
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// terminateLeader ends the server session that holds the leader lock, as a
// crashed replica's or a failover's would end, and returns how many it ended.
func terminateLeader(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	err := s.pool.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted
		AND ((classid::bigint << 32) | objid::bigint) = $1`, lockLeader).Scan(&n)
	if err != nil {
		t.Fatalf("terminate the leader's session: %v", err)
	}
	return n
}

// TestLeaderFailover runs two candidates: one leads, the other waits; when
// the leader's connection is killed its fn is told to stop and the other
// takes over, and the first does not lead again while the second does;
// when the second stops cleanly the first takes over at once.
func TestLeaderFailover(t *testing.T) {
	s, _ := openTest(t)
	a := startCandidate(t, "a", s)
	wait(t, a.started, "a leads")
	b := startCandidate(t, "b", s)
	waitFor(t, "a is the leader", a.l.IsLeader)
	// b campaigns every 100ms; a few rounds must not make it leader.
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if b.l.IsLeader() {
			t.Fatal("b leads while a holds the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}

	killed := time.Now()
	if n := terminateLeader(t, s); n != 1 {
		t.Fatalf("terminated %d sessions holding the lock, want 1", n)
	}
	wait(t, a.stopped, "a's fn is told to stop")
	t.Logf("a told to stop %v after its session was killed", time.Since(killed))
	wait(t, b.started, "b leads")
	t.Logf("b leads %v after a's session was killed", time.Since(killed))
	waitFor(t, "a is no longer the leader", func() bool { return !a.l.IsLeader() })
	if !b.l.IsLeader() {
		t.Error("b's fn runs but b.IsLeader() is false")
	}
	select {
	case <-a.started:
		t.Fatal("a leads again while b holds the lock")
	case <-time.After(300 * time.Millisecond): // a campaigns every 100ms meanwhile
	}

	b.cancel()
	wait(t, b.stopped, "b's fn is told to stop")
	wait(t, b.done, "b's Lead returns")
	wait(t, a.started, "a leads again after b stopped")
}

// TestLeaderHandsBackWhenFnReturns lets fn return on its own: the lock is
// released, so another candidate can lead.
func TestLeaderHandsBackWhenFnReturns(t *testing.T) {
	s, _ := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	first := make(chan struct{})
	var once sync.Once
	l := s.Leader(LeaderOptions{Interval: 100 * time.Millisecond})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = l.Lead(ctx, func(context.Context) { once.Do(func() { close(first) }) })
	})
	wait(t, first, "the first candidate leads")
	b := startCandidate(t, "b", s)
	wait(t, b.started, "b leads after the first's fn returned")
	cancel()
	wg.Wait()
}
