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
// the bot: a client that does nothing but read envelope ids and ack them, in
// a process of its own, shows a p99 of 16-48 ms that way, and 1-7 ms this way.
const ackSenders = 16

// measureClicksAndAcks fills two rows with one bot: approve click → Okta
// call, one click at a time; then the burst of envelopes while Okta takes
// 2 s per call.
func measureClicksAndAcks(t *testing.T, sz sizes, res *results) {
	nClick, nApprove := sz.ClickSamples, sz.AckEnvelopes/2
	nSlash := sz.AckEnvelopes - nApprove
	w := newWorld(t, nClick+nApprove+nSlash, 2)
	p := startBot(t, w)
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()

	ids := make([]string, nClick+nApprove)
	err := parallel(len(ids), 16, func(i int) (err error) {
		ids[i], err = w.file(ctx, w.requesters[i], w.resources[0])
		return err
	})
	if err != nil {
		t.Fatalf("file requests: %v\n%s", err, p.tail())
	}

	approver := w.approvers[0]
	for i := range nClick {
		u := w.requesters[i]
		msg, _ := w.router.approval(ctx, ids[i])
		start := time.Now()
		if _, err := w.slack.ClickButton(ctx, approver.SlackID, msg, bot.ActionApprove); err != nil {
			t.Fatal(err)
		}
		c, err := w.okta.WaitCall(ctx, func(c fakeokta.Call) bool {
			return !c.Time.Before(start) && (strings.Contains(c.Path, u.Email) || strings.Contains(c.Path, u.OktaID))
		})
		if err != nil {
			t.Fatalf("no Okta call for %s after the approve click: %v\n%s", u.Email, err, p.tail())
		}
		res.click = append(res.click, c.Time.Sub(start))
		if _, err := w.router.grantedAt(ctx, ids[i]); err != nil {
			t.Fatalf("%v\n%s", err, p.tail())
		}
	}

	// The burst: approve clicks (each starting Okta calls that take 2 s)
	// and new requests, alternating, built beforehand and sent as fast as
	// the bot acks them by ackSenders senders.
	envs := make([]fakeslack.Envelope, sz.AckEnvelopes)
	for i := range envs {
		if i%2 == 0 && i/2 < nApprove {
			msg, _ := w.router.approval(ctx, ids[nClick+i/2])
			envs[i] = w.clickEnvelope(w.approvers[1], msg, bot.ActionApprove)
		} else {
			envs[i] = w.slashEnvelope(w.requesters[nClick+nApprove+i/2], "request "+w.resources[1]+" 4h burst")
		}
	}
	w.okta.SetLatency(2 * time.Second)
	var (
		mu    sync.Mutex
		fails []error
		// byKind splits the latencies: approve clicks, slash commands.
		byKind [2][]time.Duration
	)
	start := time.Now()
	_ = parallel(len(envs), ackSenders, func(i int) error {
		ack, err := w.slack.Send(ctx, envs[i])
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			fails = append(fails, err)
			return nil
		}
		res.ack = append(res.ack, ack.Latency)
		byKind[i%2] = append(byKind[i%2], ack.Latency)
		return nil
	})
	t.Logf("burst of %d envelopes acked in %s; clicks p50 %s p99 %s; slash commands p50 %s p99 %s", sz.AckEnvelopes,
		time.Since(start).Round(time.Millisecond), ms(percentile(byKind[0], 50)), ms(percentile(byKind[0], 99)),
		ms(percentile(byKind[1], 50)), ms(percentile(byKind[1], 99)))
	w.okta.SetLatency(0)
	if len(fails) > 0 {
		t.Fatalf("%d of %d envelopes were not acknowledged, first: %v", len(fails), sz.AckEnvelopes, fails[0])
	}
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
