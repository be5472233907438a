package provisioner

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/metrics"
)

var _ metrics.OktaBudget = (*Pacer)(nil)

const (
	paceGroup = "00g1paced"
	paceUser  = "00u1paced"
	paceUser2 = "00u2paced"
)

// pacedOkta starts a fake Okta org and a provisioner whose every call goes
// through a pacer made with opts.
func pacedOkta(t testing.TB, opts PacerOptions) (*fakeokta.Server, *Okta, *Pacer) {
	t.Helper()
	srv := fakeokta.New(fakeokta.Options{})
	t.Cleanup(srv.Close)
	srv.AddUser(fakeokta.User{ID: paceUser, Login: "pace@example.com", Email: "pace@example.com"})
	srv.AddUser(fakeokta.User{ID: paceUser2, Login: "pace2@example.com", Email: "pace2@example.com"})
	srv.AddGroup(paceGroup, "paced")
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 100
	t.Cleanup(base.CloseIdleConnections)
	opts.Logger = zerolog.Nop()
	p := NewPacer(opts)
	// The http.Client's timeout counts the time a call waits in the pacer,
	// which can be windows long; PacerOptions.AttemptTimeout is the one that
	// bounds an attempt.
	o, err := New(context.Background(), Options{OrgURL: srv.URL(), Token: srv.Token(), AllowHTTP: true,
		RequestTimeout: time.Hour, Transport: p.Wrap(base), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	return srv, o, p
}

// remove and add are the calls of a removal and of a grant, made through
// the SDK with the priority in their context.
func (o *Okta) paceRemove(ctx context.Context, prio access.Priority) error {
	_, err := o.client.Group.RemoveUserFromGroup(access.WithPriority(ctx, prio), paceGroup, paceUser)
	return err
}

func (o *Okta) paceAdd(ctx context.Context, prio access.Priority) error {
	_, err := o.client.Group.AddUserToGroup(access.WithPriority(ctx, prio), paceGroup, paceUser)
	return err
}

// eventually polls cond until it holds, failing the test after 20 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestPacerNoStorm: 300 calls at once against a bucket of 100 a second go
// out at the pacer's share of it, and Okta answers none of them 429.
func TestPacerNoStorm(t *testing.T) {
	t.Parallel()
	srv, o, p := pacedOkta(t, PacerOptions{Concurrency: 4})
	srv.SetRateLimit(fakeokta.BucketGroups, 100, time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 300
	errs := make(chan error, n)
	for i := range n {
		prio := access.PriorityRemoval
		if i%3 == 0 {
			prio = access.PriorityInteractive
		}
		go func() { errs <- o.paceRemove(ctx, prio) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	st := srv.RateStats()
	if limited := st.Limited[fakeokta.BucketGroups]; limited*100 >= n {
		t.Errorf("%d of %d calls answered 429, want under 1%%", limited, n)
	}
	if st.MaxInFlight > 4 {
		t.Errorf("%d calls in flight at once, want at most the pacer's 4", st.MaxInFlight)
	}
	// The fake's windows here are whole seconds: none saw more than the
	// share (50), give or take the few calls let go just before a reset
	// that arrived just after it.
	perSecond := map[int64]int{}
	for _, c := range srv.Calls() {
		perSecond[c.Time.Unix()]++
	}
	for sec, calls := range perSecond {
		if calls > 50+4 {
			t.Errorf("window %d: %d calls, want at most the share of 50 (+4 in flight at its start)", sec, calls)
		}
	}
	if b := p.Stats().Buckets[BucketGroups]; b.Limit != 100 || b.Budget != 50 || b.Limited != 0 {
		t.Errorf("pacer's view of the bucket: %+v", b)
	}
}

// TestPacerLearnsLimits: the pacer follows whatever limit and window the
// headers announce, and changes when they change.
func TestPacerLearnsLimits(t *testing.T) {
	srv, o, p := pacedOkta(t, PacerOptions{Share: 0.4})
	ctx := context.Background()
	if err := o.paceAdd(ctx, access.PriorityInteractive); err != nil {
		t.Fatal(err)
	}
	if b := p.Stats().Buckets[BucketGroups]; b.Limit != 0 || b.Budget != 0 {
		t.Fatalf("no headers, no limit: %+v", b)
	}
	srv.SetRateLimit(fakeokta.BucketGroups, 20, 3*time.Second)
	if err := o.paceAdd(ctx, access.PriorityInteractive); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()
	b := p.Stats().Buckets[BucketGroups]
	if b.Limit != 20 || b.Budget != 8 || b.Remaining != 19 || b.Used != 1 {
		t.Fatalf("after the first limited call: %+v", b)
	}
	first := calls[len(calls)-1].Time
	if end := first.Truncate(time.Second).Add(3 * time.Second); !b.ResetAt.Equal(end) {
		t.Fatalf("reset %v, want the window's end %v", b.ResetAt, end)
	}
	srv.SetRateLimit(fakeokta.BucketGroups, 50, time.Second)
	if err := o.paceAdd(ctx, access.PriorityInteractive); err != nil {
		t.Fatal(err)
	}
	if b := p.Stats().Buckets[BucketGroups]; b.Limit != 50 || b.Budget != 20 {
		t.Fatalf("after the limit changed: %+v", b)
	}
	// Another bucket is learnt on its own.
	if _, err := o.FindUser(ctx, access.User{Email: "pace@example.com"}); err != nil {
		t.Fatal(err)
	}
	if b := p.Stats().Buckets[BucketUserGet]; b.Limit != 0 || b.Used != 0 {
		t.Fatalf("the user bucket has no limit: %+v", b)
	}
}

// TestPacer429SlowsBucket: after a 429 no call goes to that bucket before
// the reset it announced (the SDK's retry included), while other buckets
// carry on.
func TestPacer429SlowsBucket(t *testing.T) {
	t.Parallel()
	srv, o, p := pacedOkta(t, PacerOptions{})
	srv.FailNext(http.MethodDelete, "/api/v1/groups/", fakeokta.Fault{Status: http.StatusTooManyRequests, RateLimitReset: 3 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first := make(chan error, 1)
	go func() { first <- o.paceRemove(ctx, access.PriorityRemoval) }()
	var at time.Time
	eventually(t, "the 429", func() bool {
		for _, c := range srv.Calls() {
			if c.Status == http.StatusTooManyRequests {
				at = c.Time
				return true
			}
		}
		return false
	})
	eventually(t, "the pacer sees the 429", func() bool { return p.Stats().Buckets[BucketGroups].Limited == 1 })
	reset := time.Unix(at.Unix()+3, 0) // the fault's reset is at least this late
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := o.paceRemove(ctx, access.PriorityInteractive); err != nil {
				t.Error(err)
			}
		}()
	}
	// Another bucket is not held up.
	if _, err := o.FindUser(ctx, access.User{Email: "pace@example.com"}); err != nil {
		t.Fatal(err)
	}
	if time.Now().After(reset) {
		t.Fatal("the lookup in another bucket waited for the reset")
	}
	eventually(t, "ten calls queued behind the 429", func() bool { return p.Stats().Buckets[BucketGroups].Queued == 10 })
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatalf("the call answered 429 should succeed on the SDK's retry: %v", err)
	}
	var after int
	for _, c := range srv.Calls() {
		if c.Method != http.MethodDelete || !c.Time.After(at) {
			continue
		}
		after++
		if c.Time.Before(reset) {
			t.Errorf("a call went to the bucket at %v, before the reset at %v", c.Time, reset)
		}
	}
	if after != 11 {
		t.Errorf("%d calls after the 429, want the retry and the ten", after)
	}
}

// admissions records the order in which a pacer lets calls go.
type admissions struct {
	mu    sync.Mutex
	order []access.Priority
}

// watch makes p report to a every call it lets go. Call it before p is used.
func (a *admissions) watch(p *Pacer) {
	p.admitted = func(prio access.Priority) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.order = append(a.order, prio)
	}
}

func (a *admissions) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.order)
}

func (a *admissions) since(i int) []access.Priority {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.order[i:])
}

// TestPacerInteractiveAheadOfRemovals: with hundreds of removals waiting for
// a small bucket, an interactive call goes out within a few calls.
func TestPacerInteractiveAheadOfRemovals(t *testing.T) {
	srv, o, p := pacedOkta(t, PacerOptions{Concurrency: 8})
	var log admissions
	log.watch(p)
	srv.SetRateLimit(fakeokta.BucketGroups, 40, 2*time.Second)
	ctx := context.Background()
	if err := o.paceRemove(ctx, access.PriorityRemoval); err != nil { // learns the limit
		t.Fatal(err)
	}
	rctx, stopRemovals := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = o.paceRemove(rctx, access.PriorityRemoval) // most are cancelled below
		}()
	}
	eventually(t, "removals queued", func() bool { return p.Stats().Queued[access.PriorityRemoval] >= 250 })
	mark := log.len()
	if err := o.paceAdd(ctx, access.PriorityInteractive); err != nil {
		t.Fatal(err)
	}
	order := log.since(mark)
	stopRemovals()
	wg.Wait()
	// Typically none: the removals leave part of the budget and a slot
	// for it. Never more than removals may take of one window (20), while
	// 250 wait.
	if ahead := slices.Index(order, access.PriorityInteractive); ahead < 0 || ahead > 20 {
		t.Fatalf("the interactive call went after %d removals: %v", ahead, order)
	}
	if st := srv.RateStats(); st.Limited[fakeokta.BucketGroups] != 0 {
		t.Errorf("%d calls answered 429", st.Limited[fakeokta.BucketGroups])
	}
	if q := p.Stats().Queued; q[access.PriorityRemoval] != 0 {
		t.Errorf("cancelled removals still queued: %v", q)
	}
}

// TestPacerInterleavesGrantsAndRemovals: when grants and removals both wait,
// they take turns, whichever queued first; urgent calls go before both and
// background calls after.
func TestPacerInterleavesGrantsAndRemovals(t *testing.T) {
	t.Parallel()
	srv, o, p := pacedOkta(t, PacerOptions{Concurrency: 4})
	var log admissions
	log.watch(p)
	srv.SetRateLimit(fakeokta.BucketGroups, 40, time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := o.paceAdd(ctx, access.PriorityInteractive); err != nil { // learns the limit
		t.Fatal(err)
	}
	// A 429 holds the bucket while the queues fill: grants first.
	srv.FailNext(http.MethodPut, "/api/v1/groups/", fakeokta.Fault{Status: http.StatusTooManyRequests, RateLimitReset: 2 * time.Second})
	held := make(chan error, 1)
	go func() { held <- o.paceAdd(ctx, access.PriorityInteractive) }()
	eventually(t, "the 429", func() bool { return p.Stats().Buckets[BucketGroups].Limited == 1 })
	mark := log.len()
	var wg sync.WaitGroup
	run := func(n int, fn func() error) {
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fn(); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	run(30, func() error { return o.paceAdd(ctx, access.PriorityInteractive) })
	eventually(t, "grants queued", func() bool { return p.Stats().Queued[access.PriorityInteractive] == 30 })
	run(30, func() error { return o.paceRemove(ctx, access.PriorityRemoval) })
	eventually(t, "removals queued", func() bool { return p.Stats().Queued[access.PriorityRemoval] == 30 })
	run(3, func() error {
		_, _, err := o.client.Group.ListGroupUsers(access.WithPriority(ctx, access.PriorityBackground), paceGroup, nil)
		return err
	})
	run(3, func() error {
		_, err := o.client.Group.AddUserToGroup(access.WithPriority(ctx, access.PriorityUrgent), paceGroup, paceUser2)
		return err
	})
	eventually(t, "urgent calls queued", func() bool { return p.Stats().Queued[access.PriorityUrgent] == 3 })
	if n := log.len(); n != mark {
		t.Fatalf("%d calls went during the hold", n-mark)
	}
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	order := log.since(mark) // the 66, and the SDK's retry of the held call
	if len(order) != 67 {
		t.Fatalf("%d calls let go after the hold, want 67", len(order))
	}
	if !slices.Equal(order[:3], []access.Priority{access.PriorityUrgent, access.PriorityUrgent, access.PriorityUrgent}) {
		t.Errorf("urgent calls not first: %v", order)
	}
	if bg := slices.Index(order, access.PriorityBackground); bg < 0 || bg < len(order)-4 {
		t.Errorf("background calls not last: %v", order)
	}
	var puts, deletes int
	for _, prio := range order[3:13] {
		switch prio {
		case access.PriorityInteractive:
			puts++
		case access.PriorityRemoval:
			deletes++
		}
	}
	if puts < 4 || deletes < 4 {
		t.Errorf("after the hold: %v; want grants and removals taking turns", order[3:13])
	}
	if st := srv.RateStats(); st.Limited[fakeokta.BucketGroups] != 0 {
		t.Errorf("%d calls answered 429 beyond the one made to", st.Limited[fakeokta.BucketGroups])
	}
}

// TestPacerWaitEndsWithContext: a call whose context ends while it waits is
// never sent, and gives its place back.
func TestPacerWaitEndsWithContext(t *testing.T) {
	srv, o, p := pacedOkta(t, PacerOptions{})
	srv.FailNext(http.MethodDelete, "/api/v1/groups/", fakeokta.Fault{Status: http.StatusTooManyRequests, RateLimitReset: 5 * time.Second})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { _ = o.paceRemove(ctx, access.PriorityRemoval) }() // answered 429; its retry is cancelled at the end
	eventually(t, "the 429", func() bool { return p.Stats().Buckets[BucketGroups].Limited == 1 })
	sent := len(srv.Calls())
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := o.paceRemove(short, access.PriorityBackground); err == nil {
		t.Fatal("want the context's error")
	}
	if len(srv.Calls()) != sent || p.Stats().Queued[access.PriorityBackground] != 0 {
		t.Fatalf("the cancelled call was sent or is still queued: %+v", p.Stats())
	}
}

// TestPacerAttemptTimeoutExcludesQueue: time spent waiting for the budget
// does not count against AttemptTimeout.
func TestPacerAttemptTimeoutExcludesQueue(t *testing.T) {
	t.Parallel()
	srv, o, p := pacedOkta(t, PacerOptions{AttemptTimeout: 500 * time.Millisecond})
	srv.FailNext(http.MethodDelete, "/api/v1/groups/", fakeokta.Fault{Status: http.StatusTooManyRequests, RateLimitReset: 2 * time.Second})
	ctx := context.Background()
	go func() { _ = o.paceRemove(ctx, access.PriorityRemoval) }()
	eventually(t, "the 429", func() bool { return p.Stats().Buckets[BucketGroups].Limited == 1 })
	start := time.Now()
	if err := o.paceRemove(ctx, access.PriorityInteractive); err != nil {
		t.Fatalf("queued %v, then: %v", time.Since(start), err)
	}
	srv.SetLatency(time.Second)
	if err := o.paceRemove(ctx, access.PriorityInteractive); err == nil {
		t.Fatal("a call slower than AttemptTimeout should fail")
	}
}

func TestRateBucket(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/api/v1/apps/0oa1/users", BucketApps},
		{"GET", "/api/v1/apps/0oa1", BucketAppByID},
		{"DELETE", "/api/v1/groups/00g1/users/00u1", BucketGroups},
		{"GET", "/api/v1/groups/00g1", BucketGroupByID},
		{"GET", "/api/v1/users", BucketUsers},
		{"GET", "/api/v1/users/a@example.com", BucketUserGet},
		{"DELETE", "/api/v1/users/00u1", BucketUserByID},
		{"GET", "/api/v1/users/00u1/groups", BucketOther},
		{"GET", "/api/v1/logs", BucketLogs},
	} {
		if got := rateBucket(tc.method, tc.path); got != tc.want {
			t.Errorf("rateBucket(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
		// The fake classifies as Okta does; so must the pacer.
		if got := fakeokta.BucketOf(tc.method, tc.path); got != tc.want {
			t.Errorf("fake's bucket of %s %s = %q, pacer's %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestRateHeadersSkew(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	h := http.Header{}
	h.Set("X-Rate-Limit-Limit", "600")
	h.Set("X-Rate-Limit-Remaining", "10")
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(now.Unix()+30, 10))
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	if l, r, reset, ok := rateHeaders(h, now.Add(500*time.Millisecond)); !ok || l != 600 || r != 10 || !reset.Equal(now.Add(30*time.Second)) {
		t.Errorf("same clock: %d %d %v %v", l, r, reset, ok)
	}
	// Our clock 10 minutes ahead of Okta's: the reset is 30 s from now on ours.
	ahead := now.Add(10 * time.Minute)
	if _, _, reset, ok := rateHeaders(h, ahead); !ok || !reset.Equal(ahead.Add(30*time.Second)) {
		t.Errorf("skewed clock: reset %v, want %v", reset, ahead.Add(30*time.Second))
	}
	h.Del("X-Rate-Limit-Reset")
	if _, _, _, ok := rateHeaders(h, now); ok {
		t.Error("no reset: want no rate information")
	}
}

// TestBucketReserve: what removals and background calls must leave unspent
// shrinks with the time left in the window, and grows with the urgent and
// interactive calls of the last window.
func TestBucketReserve(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		name      string
		left      time.Duration
		lastInter int
		halved    bool
		prio      access.Priority
		want      int
	}{
		{"removal at the start", time.Minute, 0, false, access.PriorityRemoval, 150},
		{"removal half way", 30 * time.Second, 0, false, access.PriorityRemoval, 75},
		{"removal at the end", 0, 0, false, access.PriorityRemoval, 0},
		{"background at the start", time.Minute, 0, false, access.PriorityBackground, 300},
		{"interactive never", time.Minute, 0, false, access.PriorityInteractive, 0},
		{"urgent never", time.Minute, 0, false, access.PriorityUrgent, 0},
		{"grown by last window's grants", time.Minute, 200, false, access.PriorityRemoval, 300},
		{"after a 429, of half the budget", time.Minute, 0, true, access.PriorityRemoval, 75},
		{"never the whole budget", time.Minute, 1000, false, access.PriorityRemoval, 599},
	} {
		b := &bucket{share: 0.5, known: true, limit: 1200, window: time.Minute, resetAt: now.Add(tc.left),
			lastInter: tc.lastInter, halved: tc.halved}
		if got := b.reserve(tc.prio, now); got != tc.want {
			t.Errorf("%s: reserve = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestConcurrency429KeepsWindow: the 429 of Okta's concurrency limit holds
// the bucket until its own reset, a second away, not the window's.
func TestConcurrency429KeepsWindow(t *testing.T) {
	now := time.Now()
	p := NewPacer(PacerOptions{Logger: zerolog.Nop()})
	p.now = func() time.Time { return now }
	b := &bucket{name: BucketGroups, share: 0.5}
	header := func(limit, remaining int, reset time.Time) http.Header {
		h := http.Header{}
		h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
		h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
		h.Set("X-Rate-Limit-Reset", strconv.FormatInt(reset.Unix(), 10))
		h.Set("Date", now.UTC().Format(http.TimeFormat))
		return h
	}
	windowEnd := now.Truncate(time.Second).Add(time.Minute)
	p.learnLocked(b, &http.Response{StatusCode: http.StatusNoContent, Header: header(1200, 1000, windowEnd)})
	concReset := now.Truncate(time.Second).Add(time.Second)
	p.learnLocked(b, &http.Response{StatusCode: http.StatusTooManyRequests, Header: header(75, 0, concReset)})
	if b.limit != 1200 || b.remaining != 1000 || !b.resetAt.Equal(windowEnd) || !b.blocked.Equal(concReset) || b.limited != 1 {
		t.Fatalf("after a concurrency 429: limit %d remaining %d reset %v blocked %v limited %d",
			b.limit, b.remaining, b.resetAt, b.blocked, b.limited)
	}
	if !p.mayGoLocked(b, access.PriorityRemoval, false, concReset) {
		t.Fatal("once the concurrency 429's reset has passed, calls may go again")
	}
}
