package crash

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
	"github.com/accessbot/accessbot/store"
)

// Crash test parameters. Grants last seconds and the bot checks every
// second, so a run of about a minute sees dozens of full life cycles.
const (
	crashKills        = 22
	minKillGap        = 300 * time.Millisecond
	maxKillGap        = 2200 * time.Millisecond
	checkInterval     = time.Second
	startTolerance    = 1500 * time.Millisecond // process start and first sweep after a kill
	oktaLatency       = 25 * time.Millisecond   // widens the window between an Okta call and its commit
	drainQuiet        = 4 * time.Second
	drainMax          = 40 * time.Second
	maxClicksPerReq   = 12
	reclickAfter      = 1500 * time.Millisecond
	commandAckTimeout = 3 * time.Second
	armedWait         = 4 * time.Second // an armed kill not triggered by then happens anyway
	repointEvery      = 6               // kills between two moves of crash-c to its other group
	extendWait        = 3 * time.Second // how long a holder looks for a reminder to extend from
)

// lifeCycle is every state a request may be stored in (DESIGN.md §4).
var lifeCycle = []access.State{
	access.StatePending, access.StateApproved, access.StateActive, access.StateExpired, access.StateRevoked,
	access.StateDenied, access.StateCancelled, access.StateTimedOut, access.StateFailed, access.StateExtended,
}

// TestCrashSafety runs the real binary against the fakes, drives requests,
// approvals and short expiries through Slack, and SIGKILLs the bot at random
// moments, restarting it on the same store each time. Afterwards Okta, the
// store and the audit trail must show that nothing was lost, held too long,
// granted twice or left half-done. Set CRASH_SEED to replay a run's choices
// (timing still varies).
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs the real binary for about a minute; skipped with -short")
	}
	seed, master := crashSeed(t, "crash test")
	requesters := sixRequesters()
	// crash-b and crash-c are extended with approval (from the reminder's
	// Extend button); crash-c moves between two groups between restarts.
	// Stan holds every group by hand: the bot must never remove him.
	w := newWorld(t, worldOptions{
		requesters: requesters,
		approvers:  []person{newPerson("ann"), newPerson("ben")},
		resources: []resource{
			{id: "crash-a", group: "00gcrasha"},
			{id: "crash-b", group: "00gcrashb", policy: "ext"},
			{id: "crash-c", group: "00gcrashc", alt: "00gcrashc2", policy: "ext"},
		},
		durations: "[2s, 3s]",
		maxDur:    "3s",
		reminders: "[1s]",
		oktaOpts:  "  request_timeout: 5s\n",
		policies:  "  ext:\n    durations: [2s, 3s]\n    max_duration: 6s\n    min_approvals: 1\n    extension: {max_extensions: 1, requires_approval: true}\n",
		standing:  []person{newPerson("stan")},
	})
	w.okta.SetLatency(oktaLatency)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p := w.start()
	if err := w.waitConnected(ctx, 0, p); err != nil {
		t.Fatal(err)
	}
	began := time.Now()

	d := &driver{w: w, clicks: map[string]*clickState{}}
	reqCtx, stopRequests := context.WithCancel(ctx)
	apprCtx, stopApprover := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i, r := range requesters {
		rng := rand.New(rand.NewSource(master.Int63() + int64(i)))
		wg.Add(1)
		go func() { defer wg.Done(); d.requester(reqCtx, r, rng) }()
	}
	var apprWG sync.WaitGroup
	apprRNG := rand.New(rand.NewSource(master.Int63()))
	apprWG.Add(1)
	go func() { defer apprWG.Done(); d.approver(apprCtx, apprRNG) }()

	// The killer: SIGKILL at a random moment, or armed to strike as Okta
	// applies a grant or a removal or as Slack posts an approval DM (the
	// moments between a side effect and its commit); restart at once on the
	// same store.
	kills := 0
	fired := map[int32]int{}
	for kills < crashKills {
		trigger := []int32{killNow, killNow, killNow, killOnOktaAdd, killOnOktaRemove, killOnApprovalDM, killOnExtension}[master.Intn(7)]
		gap := minKillGap + time.Duration(master.Int63n(int64(maxKillGap-minKillGap)))
		if trigger != killNow {
			gap = minKillGap
		}
		if err := sleepCtx(ctx, gap); err != nil {
			t.Fatalf("after %d kills: %v", kills, err)
		}
		if p.exited() {
			t.Fatalf("accessbot exited on its own (%v); log:\n%s", p.err, w.logTail(40))
		}
		if trigger != killNow {
			w.arm(trigger, p)
			select {
			case <-p.done:
			case <-time.After(armedWait):
			}
			if !w.armed.CompareAndSwap(trigger, killNow) {
				fired[trigger]++ // the hook took it
			}
		}
		p.kill()
		kills++
		if kills%repointEvery == repointEvery/2 {
			w.repoint() // while the bot is down, as an admin editing the config would
		}
		p = w.start()
	}
	stopRequests()
	wg.Wait()
	if err := w.waitConnected(ctx, 0, p); err != nil {
		t.Fatal(err)
	}

	// Drain: no new requests; the approver keeps answering until nothing is
	// held in Okta and nothing waits for a click.
	drainStart := time.Now()
	quietSince := time.Now()
	for time.Since(quietSince) < drainQuiet {
		if time.Since(drainStart) > drainMax {
			t.Errorf("still busy %s after the last kill: members %v, clickable %v", drainMax, d.members(), d.clickable())
			break
		}
		if len(d.members()) > 0 || d.clickable() > 0 {
			quietSince = time.Now()
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	stopApprover()
	apprWG.Wait()

	// A graceful stop: SIGTERM must end the bot with exit code 0.
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if code, err := p.wait(30 * time.Second); err != nil || code != 0 {
		t.Errorf("SIGTERM: exit code %d, %v", code, err)
		p.kill()
	}
	elapsed := time.Since(began)

	st, err := store.Open(w.storePath, store.Options{Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatalf("open the store after the last stop: %v", err)
	}
	defer st.Close()
	c := check(t, w, st, checkLimits{kills: kills, late: checkInterval + startTolerance, mirrors: []string{w.auditPath}})
	c.commands, c.clicks = int(d.commands.Load()), int(d.clickCount.Load())
	t.Logf("kills at the worst moments: %d as Okta added, %d as Okta removed, %d as an approval DM was posted, "+
		"%d as an extension was approved; %d requests routed again after a restart",
		fired[killOnOktaAdd], fired[killOnOktaRemove], fired[killOnApprovalDM], fired[killOnExtension], w.logCount("never sent to approvers"))
	t.Logf("extensions: %d Extend clicks, %d extension requests, %d applied, %d cancelled; crash-c moved %d times, "+
		"%d grants on its first group, %d on its second",
		d.extendClicks.Load(), c.extRequests, c.extApplied, c.extCancelled, kills/repointEvery, c.onGroup["00gcrashc"], c.onGroup["00gcrashc2"])
	t.Logf("crash test: seed %d, %s: %d kills, %d commands sent, %d requests stored, %d approved, %d approval clicks, "+
		"%d grants, %d Okta adds (%d repeated after a kill), %d removals, %d refused clicks, %d audit events, "+
		"max removal lateness %s (limit %s)",
		seed, elapsed.Round(time.Millisecond), kills, c.commands, c.requests, c.approved, c.clicks,
		c.grants, c.adds, c.adds-c.grants, c.removals, c.refused, c.events,
		c.maxLate.Round(time.Millisecond), checkInterval+startTolerance)
	counts := fmt.Sprintf("crash test counts: seed=%d kills=%d requests=%d approvals=%d grants=%d removals=%d okta_adds=%d max_lateness=%s\n",
		seed, kills, c.requests, c.approved, c.grants, c.removals, c.adds, c.maxLate.Round(time.Millisecond))
	fmt.Print(counts)
	// go test shows a passing package's output only with -v; CI names a
	// file here (ACCESSBOT_CRASH_REPORT) and prints it after the run.
	if path := os.Getenv("ACCESSBOT_CRASH_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(counts), 0o644); err != nil {
			t.Errorf("write the crash report: %v", err)
		}
	}
	if c.requests < kills {
		t.Errorf("only %d requests were stored in %d kills: the driver made too little progress to prove anything", c.requests, kills)
	}
}

// driver plays the people: requesters asking for access and approvers
// clicking Approve in their DMs.
type driver struct {
	w            *world
	commands     atomic.Int64
	clickCount   atomic.Int64
	extendClicks atomic.Int64

	mu     sync.Mutex
	clicks map[string]*clickState // by request id
}

type clickState struct {
	n    int
	last time.Time
}

// requester asks for a random resource, waits to be granted it and for it to
// expire, and asks again; a command the dead bot never acknowledged is sent
// again, as a person would.
func (d *driver) requester(ctx context.Context, p person, rng *rand.Rand) {
	extended := map[string]bool{} // reminders already clicked, by ts
	for ctx.Err() == nil {
		res := d.w.resources[rng.Intn(len(d.w.resources))]
		dur := []string{"2s", "3s"}[rng.Intn(2)]
		cctx, cancel := context.WithTimeout(ctx, commandAckTimeout)
		_, err := d.w.slack.SlashCommand(cctx, p.slackID, "/access", "request "+res.id+" "+dur+" crash test", "C0GENERAL")
		cancel()
		if err != nil {
			_ = sleepCtx(ctx, 100*time.Millisecond)
			continue
		}
		d.commands.Add(1)
		member := func() bool {
			for _, g := range res.groups() {
				if d.w.okta.IsMember(g, p.oktaID) {
					return true
				}
			}
			return false
		}
		if !pollUntil(ctx, 8*time.Second, member) {
			continue // lost with a kill, refused, or still waiting: ask (again)
		}
		if res.policy == "ext" {
			d.extend(ctx, p, extended)
		}
		pollUntil(ctx, 15*time.Second, func() bool { return !member() })
	}
}

// extend clicks an Extend button of the reminder of p's current grant:
// the first reminder with one that comes after the grant (reminders of
// earlier grants still show theirs), waiting a while for it.
func (d *driver) extend(ctx context.Context, p person, seen map[string]bool) {
	extendButton := func(m fakeslack.Message) (fakeslack.Button, bool) {
		for _, b := range m.Buttons() {
			if strings.HasPrefix(b.ActionID, bot.ActionExtend+"_") {
				return b, true
			}
		}
		return fakeslack.Button{}, false
	}
	for _, m := range d.w.slack.Messages(p.dm()) {
		if _, ok := extendButton(m); ok {
			seen[m.TS] = true // a reminder of an earlier grant
		}
	}
	pollUntil(ctx, extendWait, func() bool {
		for _, m := range d.w.slack.Messages(p.dm()) {
			b, ok := extendButton(m)
			if !ok || seen[m.TS] {
				continue
			}
			seen[m.TS] = true
			cctx, cancel := context.WithTimeout(ctx, commandAckTimeout)
			_, err := d.w.slack.ClickButtonValue(cctx, p.slackID, m, b.ActionID, b.Value)
			cancel()
			if err == nil {
				d.extendClicks.Add(1)
			}
			return true
		}
		return false
	})
}

// approver clicks Approve on every approval DM that still shows the button,
// again after a while if the click was lost to a kill, as a person would.
func (d *driver) approver(ctx context.Context, rng *rand.Rand) {
	for ctx.Err() == nil {
		order := rng.Perm(len(d.w.approvers))
		for _, i := range order {
			a := d.w.approvers[i]
			for _, m := range d.w.slack.Messages(a.dm()) {
				b, ok := m.Button(bot.ActionApprove)
				if !ok || !d.shouldClick(b.Value) {
					continue
				}
				cctx, cancel := context.WithTimeout(ctx, commandAckTimeout)
				_, err := d.w.slack.ClickButton(cctx, a.slackID, m, bot.ActionApprove)
				cancel()
				if err == nil {
					d.clickCount.Add(1)
					if strings.Contains(m.Text(), "Extension request") {
						d.w.fire(killOnExtension) // while the extension is being applied
					}
				}
			}
		}
		_ = sleepCtx(ctx, 30*time.Millisecond)
	}
}

func (d *driver) shouldClick(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	cs := d.clicks[id]
	if cs == nil {
		cs = &clickState{}
		d.clicks[id] = cs
	}
	if cs.n >= maxClicksPerReq || time.Since(cs.last) < reclickAfter {
		return false
	}
	cs.n++
	cs.last = time.Now()
	return true
}

// clickable counts approval DMs whose button the approver would still click.
func (d *driver) clickable() int {
	n := 0
	for _, a := range d.w.approvers {
		for _, m := range d.w.slack.Messages(a.dm()) {
			b, ok := m.Button(bot.ActionApprove)
			if !ok {
				continue
			}
			d.mu.Lock()
			cs := d.clicks[b.Value]
			if cs == nil || cs.n < maxClicksPerReq {
				n++
			}
			d.mu.Unlock()
		}
	}
	return n
}

// members lists "group/user" pairs held in Okta now, but for the
// memberships made by hand.
func (d *driver) members() []string {
	var out []string
	for _, r := range d.w.resources {
		for _, g := range r.groups() {
			for _, u := range d.w.okta.Members(g) {
				if !d.w.isStanding(u) {
					out = append(out, g+"/"+u)
				}
			}
		}
	}
	return out
}

// period is one stretch of group membership seen by Okta.
type period struct {
	start, end time.Time // end zero: still a member
	requests   []string
}

// counts is what the checks found.
type counts struct {
	commands, clicks, requests, approved, grants, adds, removals, refused, events int
	extRequests, extApplied, extCancelled                                         int
	maxLate                                                                       time.Duration
	onGroup                                                                       map[string]int // grants by the group they were made on
}

// records is what check reads of a store, whichever engine holds it.
type records interface {
	Events(ctx context.Context, f access.EventFilter) ([]access.Event, error)
	ListByRequester(ctx context.Context, slackID string, openOnly bool) ([]*access.Request, error)
}

// checkLimits are what check allows: kills (each may repeat one Okta add),
// how late a removal may be, and the audit mirror files to check.
type checkLimits struct {
	kills   int
	late    time.Duration
	mirrors []string
}

// check asserts the promises on Okta's record, the store and the audit
// files, and returns the counts.
func check(t *testing.T, w *world, st records, lim checkLimits) counts {
	t.Helper()
	kills := lim.kills
	ctx := context.Background()
	c := counts{onGroup: map[string]int{}}

	// The audit trail: numbered 1…n without a gap, and the JSON-lines mirror
	// a gapless, duplicate-free prefix of it.
	events, err := st.Events(ctx, access.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	c.events = len(events)
	for i, e := range events {
		if e.Seq != uint64(i+1) {
			t.Fatalf("audit sequence has a gap: event %d has seq %d", i+1, e.Seq)
		}
		switch e.Type {
		case access.EventRefused:
			c.refused++
		case access.EventExpired, access.EventRevoked:
			c.removals++
		}
	}
	for _, path := range lim.mirrors {
		checkMirror(t, path, len(events))
	}

	// Requests: every state is the life cycle's; nothing is left waiting
	// or half-done once the drain is over.
	reqs := map[string]*access.Request{}
	for _, p := range w.people {
		rs, err := st.ListByRequester(ctx, p.slackID, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			reqs[r.ID] = r
		}
	}
	c.requests = len(reqs)
	perRequest := map[string][]access.EventType{}
	appliedBy := map[string]int{} // extended events, by the extension request they applied
	for _, e := range events {
		if e.RequestID != "" {
			perRequest[e.RequestID] = append(perRequest[e.RequestID], e.Type)
		}
		if e.Type == access.EventExtended && e.Details["extension_request"] != "" {
			appliedBy[e.Details["extension_request"]]++
		}
	}
	for id, r := range reqs {
		if !slices.Contains(lifeCycle, r.State) {
			t.Errorf("request %s is in state %q, which is not in the life cycle", id, r.State)
		}
		if !r.State.Final() {
			t.Errorf("request %s is still %s after the drain (due %s): %v\nlog lines about it:\n%s", id, r.State, r.Due.Format(time.RFC3339Nano), perRequest[id], w.logAbout(id))
		}
		evs := perRequest[id]
		if r.Kind == access.KindExtension {
			c.extRequests++
			checkExtension(t, r, reqs, evs, appliedBy[id], &c)
			continue
		}
		if ext := r.Grant.PendingExtension; ext != "" {
			// No grant is left "already waiting" for an extension that does not exist.
			if x := reqs[ext]; x == nil || x.Kind != access.KindExtension || x.ParentID != id {
				t.Errorf("grant %s waits for extension %s, which is not an extension of it", id, ext)
			}
		}
		if n := countType(evs, access.EventExtended); n != r.Grant.Extensions {
			t.Errorf("grant %s was extended %d times, its trail says %d: %v", id, r.Grant.Extensions, n, evs)
		}
		if !r.DecidedAt.IsZero() && r.State != access.StateDenied && r.State != access.StateCancelled && r.State != access.StateTimedOut {
			c.approved++
			if n := countType(evs, access.EventProvisioned); n != 1 {
				t.Errorf("approved request %s (%s) was provisioned %d times: %v", id, r.State, n, evs)
			}
			if r.State != access.StateExpired {
				t.Errorf("approved request %s ended %s, want expired: %v", id, r.State, evs)
			}
		}
		if n := countType(evs, access.EventExpired); n > 1 {
			t.Errorf("request %s expired %d times: %v", id, n, evs)
		}
		if n := countType(evs, access.EventRequested); n != 1 {
			t.Errorf("request %s has %d requested events", id, n)
		}
	}

	// Okta's record: membership periods from the successful writes, in the
	// order the fake applied them.
	byOkta := map[string]person{}
	for _, p := range w.people {
		byOkta[p.oktaID] = p
	}
	periods := map[string][]*period{} // "group/user"
	adds := map[string]int{}
	for _, call := range w.okta.Calls() {
		if call.Status != 204 || !strings.HasPrefix(call.Path, "/api/v1/groups/") {
			continue
		}
		parts := strings.Split(strings.TrimPrefix(call.Path, "/api/v1/groups/"), "/") // g, "users", u
		if len(parts) != 3 || parts[1] != "users" {
			continue
		}
		key := parts[0] + "/" + parts[2]
		ps := periods[key]
		open := len(ps) > 0 && ps[len(ps)-1].end.IsZero()
		switch call.Method {
		case "PUT":
			adds[key]++
			c.adds++
			if !open {
				periods[key] = append(ps, &period{start: call.Time})
			}
		case "DELETE":
			if open {
				ps[len(ps)-1].end = call.Time
			}
		}
	}
	resourceOf := map[string]resource{}
	for _, r := range w.resources {
		resourceOf[r.id] = r
	}
	grantsPer := map[string]int{}
	for id, r := range reqs {
		if r.Grant.GrantedAt.IsZero() || r.Kind == access.KindExtension {
			continue
		}
		c.grants++
		p := personByEmail(w, r.Requester.Email)
		// The group the grant recorded: crash-c's depends on when it was made.
		group := r.Grant.Target.ID
		if r.Grant.Target.Kind != access.TargetGroup || !slices.Contains(resourceOf[r.ResourceID].groups(), group) {
			t.Errorf("request %s for %s recorded target %v", id, r.ResourceID, r.Grant.Target)
			continue
		}
		if r.Grant.Account.ID != p.oktaID {
			t.Errorf("request %s recorded Okta account %+v, want %s", id, r.Grant.Account, p.oktaID)
		}
		c.onGroup[group]++
		key := group + "/" + p.oktaID
		grantsPer[key]++
		var hit *period
		for _, pd := range periods[key] {
			// The PUT reaches Okta before the grant's clock starts at commit.
			if !pd.start.After(r.Grant.GrantedAt) && (pd.end.IsZero() || !pd.end.Before(r.Grant.GrantedAt)) {
				hit = pd
			}
		}
		if hit == nil {
			t.Errorf("request %s: granted at %s but Okta shows no membership of %s then", id, r.Grant.GrantedAt.Format(time.RFC3339Nano), key)
			continue
		}
		hit.requests = append(hit.requests, id)
		if hit.end.IsZero() {
			t.Errorf("request %s: %s still holds %s in Okta after the drain (expired %s)", id, r.Requester.Email, r.ResourceID, r.Grant.ExpiresAt.Format(time.RFC3339Nano))
			continue
		}
		late := hit.end.Sub(r.Grant.ExpiresAt)
		c.maxLate = max(c.maxLate, late)
		if late > lim.late {
			t.Errorf("request %s: access removed %s after its expiry (limit %s)", id, late.Round(time.Millisecond), lim.late)
		}
	}
	for key, ps := range periods {
		for _, pd := range ps {
			switch len(pd.requests) {
			case 1:
			case 0:
				t.Errorf("Okta membership %s from %s to %s belongs to no grant in the store", key, pd.start.Format(time.RFC3339Nano), pd.end.Format(time.RFC3339Nano))
			default:
				t.Errorf("Okta membership %s from %s was granted twice, by requests %v", key, pd.start.Format(time.RFC3339Nano), pd.requests)
			}
		}
		// A kill between Okta's PUT and the store commit makes the restarted
		// bot PUT again: Okta's PUT is idempotent, so the member is added once
		// in effect (one period above), but the fake counts both calls. At most
		// one repeat per kill is possible.
		if adds[key] > grantsPer[key]+kills {
			t.Errorf("%s: %d Okta adds for %d grants and %d kills", key, adds[key], grantsPer[key], kills)
		}
	}
	// Nothing removed that the bot did not grant: the memberships made by
	// hand are all there, and Okta never saw a write about them.
	var standing []string
	for _, s := range w.standing {
		standing = append(standing, s.oktaID)
	}
	slices.Sort(standing)
	for _, r := range w.resources {
		for _, g := range r.groups() {
			if m := w.okta.Members(g); !slices.Equal(m, standing) {
				t.Errorf("group %s has members %v after the drain, want only the standing %v", g, m, standing)
			}
		}
	}
	for _, call := range w.okta.Writes() {
		for _, s := range standing {
			if strings.HasSuffix(call.Path, "/users/"+s) {
				t.Errorf("Okta write about a membership made by hand: %s %s -> %d", call.Method, call.Path, call.Status)
			}
		}
	}
	return c
}

// checkExtension asserts that extension request x was applied exactly
// when it says so: an extension is never both applied to its grant and
// audited as cancelled, and one that ended otherwise left the grant alone.
func checkExtension(t *testing.T, x *access.Request, reqs map[string]*access.Request, evs []access.EventType, applied int, c *counts) {
	t.Helper()
	if reqs[x.ParentID] == nil {
		t.Errorf("extension %s extends %s, which is not in the store", x.ID, x.ParentID)
	}
	if n := countType(evs, access.EventExtensionRequested); n != 1 {
		t.Errorf("extension %s has %d extension_requested events: %v", x.ID, n, evs)
	}
	cancelled := countType(evs, access.EventCancelled)
	switch {
	case x.State == access.StateExtended:
		c.extApplied++
		if applied != 1 || cancelled != 0 {
			t.Errorf("extension %s is extended, applied %d times, cancelled %d times: %v", x.ID, applied, cancelled, evs)
		}
	case applied != 0:
		t.Errorf("extension %s ended %s but was applied to its grant %d times: %v", x.ID, x.State, applied, evs)
	case x.State == access.StateCancelled:
		c.extCancelled++
	}
	if cancelled > 1 {
		t.Errorf("extension %s was cancelled %d times: %v", x.ID, cancelled, evs)
	}
}

func countType(evs []access.EventType, typ access.EventType) int {
	n := 0
	for _, e := range evs {
		if e == typ {
			n++
		}
	}
	return n
}

func personByEmail(w *world, email string) person {
	for _, p := range w.people {
		if strings.EqualFold(p.email, email) {
			return p
		}
	}
	w.t.Fatalf("unknown requester %s", email)
	return person{}
}

// checkMirror asserts that the JSON-lines audit file holds events 1…m in
// order, m ≤ n, every line whole, and mode 0600.
func checkMirror(t *testing.T, path string, n int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("audit mirror: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("audit mirror has mode %04o, want 0600", fi.Mode().Perm())
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(data) == 0 {
		lines = nil
	}
	for i, l := range lines {
		var e access.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("audit mirror line %d is not an event: %v", i+1, err)
		}
		if e.Seq != uint64(i+1) {
			t.Fatalf("audit mirror line %d has seq %d: a gap or a duplicate", i+1, e.Seq)
		}
	}
	if len(lines) > n {
		t.Errorf("audit mirror has %d events, the store %d", len(lines), n)
	}
}

// crashSeed returns the run's seed (CRASH_SEED replays one) and a source
// of randomness from it, logging how to replay the run.
func crashSeed(t *testing.T, what string) (int64, *rand.Rand) {
	t.Helper()
	seed := time.Now().UnixNano()
	if s := os.Getenv("CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("CRASH_SEED: %v", err)
		}
	}
	t.Logf("%s seed %d (replay with CRASH_SEED=%d)", what, seed, seed)
	return seed, rand.New(rand.NewSource(seed))
}

// sixRequesters are the people who ask for access in a crash run.
func sixRequesters() []person {
	var out []person
	for i := 1; i <= 6; i++ {
		out = append(out, newPerson("req"+strconv.Itoa(i)))
	}
	return out
}
