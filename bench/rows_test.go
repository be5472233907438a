package bench

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
	"github.com/accessbot/accessbot/provisioner"
	"github.com/accessbot/accessbot/store"
)

// percentile returns the p-th percentile (0 < p ≤ 100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// parallel runs fn(0..n-1) on at most workers goroutines and returns the
// first error.
func parallel(n, workers int, fn func(i int) error) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// file sends "/access request" as p for resource and returns the id of the
// request and its approval DM once the bot has routed it.
func (w *world) file(ctx context.Context, p person, resource string) (string, error) {
	w.router.mu.Lock()
	prev := w.router.latest[p.SlackID]
	w.router.mu.Unlock()
	if err := w.request(ctx, p, resource); err != nil {
		return "", err
	}
	id, err := w.router.newRequest(ctx, p.SlackID, prev)
	if err != nil {
		return "", err
	}
	_, err = w.router.approval(ctx, id)
	return id, err
}

// flow is one whole flow: p asks for resource, approver approves, and it
// ends when p is told the access is granted. It returns the flow's id and
// how long it took.
func (w *world) flow(ctx context.Context, p, approver person, resource string) (string, time.Duration, error) {
	start := time.Now()
	id, err := w.file(ctx, p, resource)
	if err != nil {
		return "", 0, err
	}
	msg, _ := w.router.approval(ctx, id)
	if _, err := w.slack.ClickButton(ctx, approver.SlackID, msg, bot.ActionApprove); err != nil {
		return "", 0, err
	}
	at, err := w.router.grantedAt(ctx, id)
	return id, at.Sub(start), err
}

// ackSenders is how many envelopes the burst keeps in flight: each sender
// sends its next envelope the moment its last one is acked. Writing all
// thousand at once instead measures the queue of a 2-core machine more than
// the app: the bare client's p99 is then 16-48 ms instead of a few.
const ackSenders = 16

// grantCall waits for the call that grants u the Okta group, answered with
// success and made at or after since, and returns when it arrived.
func (w *world) grantCall(ctx context.Context, u person, group string, since time.Time) (time.Time, error) {
	path := "/api/v1/groups/" + group + "/users/" + u.OktaID
	c, err := w.okta.WaitCall(ctx, func(c fakeokta.Call) bool {
		return c.Method == http.MethodPut && c.Path == path && c.Status/100 == 2 && !c.Time.Before(since)
	})
	return c.Time, err
}

// approveTimed clicks Approve on request id as approver and returns the
// time from the click to Okta receiving the call that grants requester
// group.
func (w *world) approveTimed(ctx context.Context, approver, requester person, id, group string) (time.Duration, error) {
	msg, err := w.router.approval(ctx, id)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if _, err := w.slack.ClickButton(ctx, approver.SlackID, msg, bot.ActionApprove); err != nil {
		return 0, err
	}
	at, err := w.grantCall(ctx, requester, group, start)
	if err != nil {
		return 0, fmt.Errorf("no Okta call granting %s after the approve click: %w", requester.Email, err)
	}
	return at.Sub(start), nil
}

// burst sends envs to whichever app holds the newest Socket Mode connection,
// ackSenders at a time, and returns the ack latencies: all, and split into
// even and odd envelopes.
func (w *world) burst(ctx context.Context, envs []fakeslack.Envelope) (all []time.Duration, byKind [2][]time.Duration, err error) {
	var (
		mu    sync.Mutex
		fails []error
	)
	_ = parallel(len(envs), ackSenders, func(i int) error {
		ack, err := w.slack.Send(ctx, envs[i])
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			fails = append(fails, err)
			return nil
		}
		all = append(all, ack.Latency)
		byKind[i%2] = append(byKind[i%2], ack.Latency)
		return nil
	})
	if len(fails) > 0 {
		return nil, byKind, fmt.Errorf("%d of %d envelopes were not acknowledged, first: %w", len(fails), len(envs), fails[0])
	}
	return all, byKind, nil
}

// measureClicksAndAcks fills the ack row and the first half of the click
// row with one bot: approve click → Okta call, one click at a time; then
// the burst of envelopes, sent sz.AckRounds times to the bare slack-go
// client and to the bot (while Okta takes 2 s per call), alternating which
// goes first. Each round's burst is new envelopes of the same kinds, and the
// bot's work from one round is done before the next begins, so that every
// round starts alike; the row is the p99 over all rounds' acks. One burst of
// a thousand acks has its p99 in its ten slowest, which on a shared 2-core
// machine move by a factor of two from one run to the next for the bare
// client alone.
func measureClicksAndAcks(t *testing.T, sz sizes, res *results) {
	nClick, nApprove := sz.ClickSamples, sz.AckEnvelopes/2
	nSlash := sz.AckEnvelopes - nApprove
	rounds := sz.AckRounds
	w := newWorld(t, nClick+rounds*(nApprove+nSlash), 2)
	p := startBot(t, w)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rounds+1)*wait)
	defer cancel()

	ids := make([]string, nClick+rounds*nApprove)
	err := parallel(len(ids), 16, func(i int) (err error) {
		ids[i], err = w.file(ctx, w.requesters[i], w.resources[0])
		return err
	})
	if err != nil {
		t.Fatalf("file requests: %v\n%s", err, p.tail())
	}

	for i := range nClick {
		d, err := w.approveTimed(ctx, w.approvers[0], w.requesters[i], ids[i], groupID(0))
		if err != nil {
			t.Fatalf("%v\n%s", err, p.tail())
		}
		res.click = append(res.click, d)
		if _, err := w.router.grantedAt(ctx, ids[i]); err != nil {
			t.Fatalf("%v\n%s", err, p.tail())
		}
	}

	for r := range rounds {
		// The burst: approve clicks (each starting Okta calls that take
		// 2 s) and new requests, alternating, built beforehand and sent as
		// fast as they are acked by ackSenders senders.
		approve := ids[nClick+r*nApprove:][:nApprove]
		slash := w.requesters[nClick+rounds*nApprove+r*nSlash:][:nSlash]
		envs := make([]fakeslack.Envelope, sz.AckEnvelopes)
		for i := range envs {
			if i%2 == 0 && i/2 < nApprove {
				msg, _ := w.router.approval(ctx, approve[i/2])
				envs[i] = w.clickEnvelope(w.approvers[1], msg, bot.ActionApprove)
			} else {
				envs[i] = w.slashEnvelope(slash[i/2], "request "+w.resources[1]+" 4h burst")
			}
		}
		toBot := func() {
			res.ack = append(res.ack, burstToBot(t, ctx, w, p, envs)...)
			// Let the bot finish the round's work at full speed, every
			// click granted and every new request filed, before anything
			// else is measured.
			for _, id := range approve {
				if _, err := w.router.grantedAt(ctx, id); err != nil {
					t.Fatalf("round %d: %v\n%s", r+1, err, p.tail())
				}
			}
			for _, requester := range slash {
				if _, err := w.router.newRequest(ctx, requester.SlackID, ""); err != nil {
					t.Fatalf("round %d: %v\n%s", r+1, err, p.tail())
				}
			}
		}
		if r%2 == 0 {
			res.ackBare = append(res.ackBare, burstToBareClient(t, ctx, w, envs)...)
			toBot()
		} else {
			toBot()
			res.ackBare = append(res.ackBare, burstToBareClient(t, ctx, w, envs)...)
		}
	}
	p.stop()
	res.logErrors += p.logLines("error")
}

// burstToBareClient sends envs to a bare slack-go client started for it,
// then stops the client; while its connection is the newest, the fake Slack
// sends it the burst and the bot sees nothing of it.
func burstToBareClient(t *testing.T, ctx context.Context, w *world, envs []fakeslack.Envelope) []time.Duration {
	bare := startBareAck(t, w)
	start := time.Now()
	all, byKind, err := w.burst(ctx, envs)
	if err != nil {
		t.Fatalf("bare client: %v\n%s", err, bare.tail())
	}
	logBurst(t, "bare slack-go client", len(envs), time.Since(start), byKind)
	bare.stop()
	if err := w.slack.WaitLiveConnections(ctx, 1); err != nil {
		t.Fatalf("the bare client's connection stayed open: %v", err)
	}
	return all
}

// burstToBot sends envs to the bot while Okta takes 2 s per call.
func burstToBot(t *testing.T, ctx context.Context, w *world, p *botProcess, envs []fakeslack.Envelope) []time.Duration {
	w.okta.SetLatency(2 * time.Second)
	defer w.okta.SetLatency(0)
	start := time.Now()
	all, byKind, err := w.burst(ctx, envs)
	if err != nil {
		t.Fatalf("accessbot: %v\n%s", err, p.tail())
	}
	logBurst(t, "accessbot", len(envs), time.Since(start), byKind)
	return all
}

func logBurst(t *testing.T, who string, n int, took time.Duration, byKind [2][]time.Duration) {
	t.Logf("%s: burst of %d envelopes acked in %s; clicks p50 %s p99 %s; slash commands p50 %s p99 %s", who, n,
		took.Round(time.Millisecond), ms(percentile(byKind[0], 50)), ms(percentile(byKind[0], 99)),
		ms(percentile(byKind[1], 50)), ms(percentile(byKind[1], 99)))
}

// measureMassRemoval fills the mass-removal row and the second half of the
// click row. A first bot files the requests to approve during the removal;
// then sz.MassRemoval grants, written into its store as the bot records
// them, all end in the same second, and a second bot removes them while
// the fake Okta allows sz.MassLimit group-membership calls per
// sz.MassWindow. Meanwhile an approver approves one request at a time.
func measureMassRemoval(t *testing.T, sz sizes, res *results) {
	n := sz.MassRemoval
	w := newWorld(t, n+sz.ClicksDuring, 2)
	holders, clickers := w.requesters[:n], w.requesters[n:]
	ctx, cancel := context.WithTimeout(context.Background(), wait+5*sz.MassWindow)
	defer cancel()

	p := startBot(t, w)
	ids := make([]string, len(clickers))
	err := parallel(len(ids), 16, func(i int) (err error) {
		ids[i], err = w.file(ctx, clickers[i], w.resources[1])
		return err
	})
	if err != nil {
		t.Fatalf("file requests: %v\n%s", err, p.tail())
	}
	p.stop()
	res.logErrors += p.logLines("error")

	due := time.Now().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)
	err = generate(w.storePath(), "", func(g *generator) error {
		return g.dueGrants(holders, due, w.resources[0], groupID(0))
	})
	if err != nil {
		t.Fatalf("write %d grants: %v", n, err)
	}
	for _, h := range holders {
		w.okta.AddMember(groupID(0), h.OktaID)
	}
	w.okta.SetRateLimit(fakeokta.BucketGroups, sz.MassLimit, sz.MassWindow)
	before := w.okta.RateStats()
	p = startBot(t, w)
	if time.Now().After(due) {
		t.Fatalf("writing %d grants and starting the bot took too long: they were due at %s", n, due.Format(time.StampMilli))
	}

	// Every member removed, polled: what Okta holds is what counts, and
	// when each removal arrived is read from the fake's log afterwards.
	removed := make(chan struct{})
	go func() {
		defer close(removed)
		for len(w.okta.Members(groupID(0))) > 0 && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond) // a poll with the context's deadline
		}
	}()
	time.Sleep(time.Until(due)) // the removals start then; so do the clicks
	// One approval per twentieth of the limit, a tenth of the budget: one
	// a second at Okta's 1,200 a minute.
	interval := sz.MassWindow * 20 / time.Duration(sz.MassLimit)
	tick := time.NewTicker(interval)
clicks:
	for i, u := range clickers {
		select {
		case <-removed:
			break clicks
		case <-tick.C:
		}
		d, err := w.approveTimed(ctx, w.approvers[0], u, ids[i], groupID(1))
		if err != nil {
			t.Fatalf("%v\n%s", err, p.tail())
		}
		select {
		case <-removed: // ended during the click: not one made during the removal
		default:
			res.clickDuring = append(res.clickDuring, d)
		}
	}
	tick.Stop()
	<-removed
	if left := w.okta.Members(groupID(0)); len(left) > 0 {
		t.Fatalf("%d of %d grants were not removed from Okta: %v\n%s", len(left), n, ctx.Err(), p.tail())
	}
	if len(res.clickDuring) == 0 {
		t.Fatalf("no approve click was made during the mass removal")
	}
	var last time.Time
	for _, c := range w.okta.Calls() {
		if c.Method == http.MethodDelete && strings.HasPrefix(c.Path, "/api/v1/groups/"+groupID(0)+"/users/") && c.Status/100 == 2 && c.Time.After(last) {
			last = c.Time
		}
	}
	after := w.okta.RateStats()
	res.mass = massRemoval{
		n: n, elapsed: last.Sub(due),
		floor: time.Duration(float64(n) / (provisioner.DefaultRateLimitShare * float64(sz.MassLimit)) * float64(sz.MassWindow)),
		calls: after.Requests[fakeokta.BucketGroups] - before.Requests[fakeokta.BucketGroups],
		limited: after.Limited[fakeokta.BucketGroups] - before.Limited[fakeokta.BucketGroups] +
			after.ConcurrencyLimited - before.ConcurrencyLimited,
	}
	t.Logf("%d removals in %s (floor %s, window %s), %d group-membership calls, %d answered 429; %d approvals meanwhile, p50 %s max %s",
		n, res.mass.elapsed.Round(time.Millisecond), res.mass.floor, sz.MassWindow, res.mass.calls, res.mass.limited,
		len(res.clickDuring), ms(percentile(res.clickDuring, 50)), ms(percentile(res.clickDuring, 100)))
	p.stop()
	res.logErrors += p.logLines("error")
}

// measureFlows makes grants through full flows (request → approve →
// provisioned), then rewrites the expiry of some of them so that they all
// end in the same second, and fills the removal row with a restarted bot.
func measureFlows(t *testing.T, sz sizes, res *results) {
	const nResources = 5
	nUsers := max((sz.Flows+nResources-1)/nResources, sz.FlowConcurrency)
	w := newWorld(t, nUsers, nResources)
	p := startBot(t, w)
	res.startupSmall = p.startup
	ctx, cancel := context.WithTimeout(context.Background(), 5*wait)
	defer cancel()

	locks := make([]sync.Mutex, nUsers) // one flow at a time per person
	slackCalls, oktaCalls := len(w.slack.Calls("")), len(w.okta.Calls())
	start := time.Now()
	err := parallel(sz.Flows, sz.FlowConcurrency, func(i int) error {
		u, r := i%nUsers, i/nUsers
		locks[u].Lock()
		defer locks[u].Unlock()
		_, _, err := w.flow(ctx, w.requesters[u], w.approvers[i%len(w.approvers)], w.resources[r%nResources])
		return err
	})
	if err != nil {
		t.Fatalf("flows: %v\n%s", err, p.tail())
	}
	t.Logf("%d flows in %s: per flow %.1f Slack Web API calls (response URLs included), %.1f Okta calls\n\tSlack: %s\n\tOkta: %s",
		sz.Flows, time.Since(start).Round(time.Millisecond), float64(len(w.slack.Calls(""))-slackCalls)/float64(sz.Flows),
		float64(len(w.okta.Calls())-oktaCalls)/float64(sz.Flows),
		perFlow(w.slack.Calls("")[slackCalls:], sz.Flows, func(c fakeslack.Call) string { return c.Method }),
		perFlow(w.okta.Calls()[oktaCalls:], sz.Flows, func(c fakeokta.Call) string { return c.Method + " " + oktaRoute(c.Path) }))
	p.stop()
	res.logErrors += p.logLines("error")
	measureRemoval(t, w, sz, res)
}

// measureRemoval makes sz.Expiring of the world's grants end within one
// second a few seconds from now, restarts the bot, and times each removal
// from the grant's end to Okta receiving the DELETE.
func measureRemoval(t *testing.T, w *world, sz sizes, res *results) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	st, err := store.Open(w.storePath(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	open, err := st.ListOpen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var grants []*access.Request
	for _, r := range open {
		if r.State == access.StateActive && len(grants) < sz.Expiring {
			grants = append(grants, r)
		}
	}
	if len(grants) < sz.Expiring {
		t.Fatalf("only %d active grants to expire, want %d", len(grants), sz.Expiring)
	}
	// A whole second, far enough ahead to rewrite the grants and restart.
	second := time.Now().Add(time.Second + time.Duration(len(grants))*5*time.Millisecond).Truncate(time.Second).Add(time.Second)
	expires := map[string]time.Time{}
	for i, g := range grants {
		at := second.Add(time.Duration(i) * time.Second / time.Duration(len(grants)))
		_, err := st.Update(ctx, g.ID, func(r *access.Request) ([]access.Event, error) {
			r.Grant.ExpiresAt = at
			r.Grant.RemindersSent = []time.Duration{time.Hour, 10 * time.Minute}
			r.Due = at
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		expires[g.ID] = at
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if time.Now().After(second) {
		t.Fatalf("rewriting %d grants took too long: their second has begun", len(grants))
	}

	byEmail := map[string]person{}
	for _, p := range w.requesters {
		byEmail[p.Email] = p
	}
	p := startBot(t, w)
	for _, g := range grants {
		var group string
		for i, id := range w.resources {
			if id == g.ResourceID {
				group = groupID(i)
			}
		}
		path := "/api/v1/groups/" + group + "/users/" + byEmail[g.Requester.Email].OktaID
		c, err := w.okta.WaitCall(ctx, func(c fakeokta.Call) bool { return c.Method == http.MethodDelete && c.Path == path })
		if err != nil {
			t.Fatalf("grant %s was not removed: %v\n%s", g.ID, err, p.tail())
		}
		res.removal = append(res.removal, c.Time.Sub(expires[g.ID]))
	}
	p.stop()
	res.logErrors += p.logLines("error")
}

// measureHistory fills the memory and start-up row: a store holding
// sz.Historical finished requests (and an audit mirror up to date with
// them), a bot started on it, a few flows, a sweep, and what the kernel
// says the process holds.
func measureHistory(t *testing.T, sz sizes, res *results) {
	w := newWorld(t, 50, 5)
	genStart := time.Now()
	err := generate(w.storePath(), w.auditPath(), func(g *generator) error {
		return g.history(sz.Historical, time.Now(), w.resources, w.requesters, w.approvers)
	})
	if err != nil {
		t.Fatalf("generate history: %v", err)
	}
	if fi, err := os.Stat(w.storePath()); err == nil {
		res.storeBytes = fi.Size()
	}
	t.Logf("generated %d historical requests in %s (store %d MiB)", sz.Historical, time.Since(genStart).Round(time.Millisecond), res.storeBytes>>20)

	p := startBot(t, w)
	res.startup = p.startup
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err = parallel(len(w.requesters), 8, func(i int) error {
		_, _, err := w.flow(ctx, w.requesters[i], w.approvers[i%len(w.approvers)], w.resources[i%len(w.resources)])
		return err
	})
	if err != nil {
		t.Fatalf("flows on a big store: %v\n%s", err, p.tail())
	}
	for _, u := range w.requesters[:5] {
		if _, err := w.slack.SlashCommand(ctx, u.SlackID, "/access", "list", "C0GENERAL"); err != nil {
			t.Fatal(err)
		}
	}
	// Let the expiry loop tick a few times over the big store.
	time.Sleep(sz.Settle) // a period of running, not a wait for a condition
	res.memory = p.memory()
	p.stop()
	res.logErrors += p.logLines("error")
}

// measureSweep fills the sweep row: the same benchmark over stores of
// sz.SweepSmall and sz.SweepLarge grants, side by side.
func measureSweep(t *testing.T, sz sizes, res *results) {
	dir := t.TempDir()
	small, large := sweepStore(t, dir, sz.SweepSmall), sweepStore(t, dir, sz.SweepLarge)
	rs := benchmark(sz.BenchTime, func(b *testing.B) { benchSweep(b, small) })
	rl := benchmark(sz.BenchTime, func(b *testing.B) { benchSweep(b, large) })
	res.sweepSmall, res.sweepLarge = time.Duration(rs.NsPerOp()), time.Duration(rl.NsPerOp())
	if rs.N == 0 || rl.N == 0 {
		t.Fatal("sweep benchmark failed")
	}
}

func ms(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < 10*time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// perFlow renders how many of calls fall under each key, per flow, most
// first.
func perFlow[C any](calls []C, flows int, key func(C) string) string {
	n := map[string]int{}
	for _, c := range calls {
		n[key(c)]++
	}
	keys := slices.Collect(maps.Keys(n))
	slices.SortFunc(keys, func(a, b string) int { return n[b] - n[a] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.2f", k, float64(n[k])/float64(flows))
	}
	return strings.Join(parts, ", ")
}

// oktaRoute is an Okta path with its ids replaced by what they stand for.
func oktaRoute(path string) string {
	parts := strings.Split(path, "/")
	for i := range parts {
		if i > 0 && (parts[i-1] == "users" || parts[i-1] == "groups" || parts[i-1] == "apps") {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}
