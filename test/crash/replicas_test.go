package crash

import (
	"context"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accessbot/accessbot/fake/fakeslack"
	"github.com/accessbot/accessbot/store/postgres"
	"github.com/accessbot/accessbot/store/postgres/pgtest"
	"github.com/accessbot/accessbot/test/proctest"
)

// Replica crash test parameters. The leader is killed at least
// replicaKills times; between kills the stream of requests goes on.
const (
	replicas       = 3
	replicaKills   = 12
	minLeaderGap   = 500 * time.Millisecond
	maxLeaderGap   = 2500 * time.Millisecond
	leaderWait     = 15 * time.Second // for a replica to report that it leads
	metricsTimeout = 500 * time.Millisecond
)

// failoverLimit is how late a removal may be when the leader is killed:
// the promise is 2 × timing.check_interval for another replica to take
// over and sweep, plus the database's time to notice a dead connection.
// A SIGKILLed process's connections are closed by its kernel, so the
// server frees the lock at once and that last term is nil here; the
// tolerance covers a busy machine (Okta's latency, scheduling) as in the
// one-process test.
const failoverLimit = 2*checkInterval + startTolerance

// replicaSet is the three processes of the cluster, each with its own
// config (its audit mirror and its metrics port), log and process.
type replicaSet struct {
	w     *world
	cfgs  []string
	logs  []string
	ports []int

	mu    sync.Mutex
	procs []*proc
}

// TestCrashSafetyReplicas runs three replicas of the real binary on one
// PostgreSQL database, each with a Socket Mode connection to the fake Slack
// (which spreads envelopes across them), drives requests, approvals and
// short grants through Slack, and SIGKILLs the leader again and again,
// often at the worst moments (as Okta applies a grant or a removal, as an
// approval DM is posted), restarting it each time. Afterwards: no access
// held past its expiry plus the failover bound, no double grant, every
// approval provisioned, a gap-free trail in the database and in every
// replica's audit mirror. Set CRASH_SEED to replay a run's choices.
func TestCrashSafetyReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs three replicas of the real binary for about a minute; skipped with -short")
	}
	dbURL := pgtest.URL(t)
	seed, master := crashSeed(t, "replica crash test")
	requesters := sixRequesters()
	w := newWorld(t, worldOptions{
		requesters: requesters,
		approvers:  []person{newPerson("ann"), newPerson("ben")},
		// As in the one-process test, but no resource is re-pointed: that
		// edits the config between restarts, and the replicas run on.
		resources: []resource{
			{id: "crash-a", group: "00gcrasha"},
			{id: "crash-b", group: "00gcrashb", policy: "ext"},
			{id: "crash-c", group: "00gcrashc", policy: "ext"},
		},
		durations: "[2s, 3s]",
		maxDur:    "3s",
		reminders: "[1s]",
		oktaOpts:  "  request_timeout: 5s\n",
		policies:  "  ext:\n    durations: [2s, 3s]\n    max_duration: 6s\n    min_approvals: 1\n    extension: {max_extensions: 1, requires_approval: true}\n",
		standing:  []person{newPerson("stan")},
	})
	w.okta.SetLatency(oktaLatency)
	w.slack.SetRouter(fakeslack.Spread(master.Int63()))
	rs := newReplicaSet(t, w, dbURL)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for i := range replicas {
		rs.start(i)
	}
	if err := rs.waitLive(ctx); err != nil {
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

	// The killer: find the leader, SIGKILL it at a random moment or as Okta
	// applies a write or Slack posts an approval DM, and start it again.
	kills := 0
	fired := map[int32]int{}
	leaders := map[int]int{}
	var maxTakeover time.Duration // from a kill to another replica reporting that it leads
	for kills < replicaKills {
		trigger := []int32{killNow, killNow, killNow, killOnOktaAdd, killOnOktaRemove, killOnApprovalDM, killOnExtension}[master.Intn(7)]
		gap := minLeaderGap + time.Duration(master.Int63n(int64(maxLeaderGap-minLeaderGap)))
		if err := sleepCtx(ctx, gap); err != nil {
			t.Fatalf("after %d kills: %v", kills, err)
		}
		for i := range replicas {
			if p := rs.proc(i); p.exited() {
				t.Fatalf("replica %d exited on its own (%v); log:\n%s", i, p.err, tailOf(rs.logs[i], 40))
			}
		}
		l, err := rs.leader(ctx)
		if err != nil {
			t.Fatalf("after %d kills: %v", kills, err)
		}
		leaders[l]++
		p := rs.proc(l)
		if trigger != killNow {
			w.arm(trigger, p)
			select {
			case <-p.done:
			case <-time.After(armedWait):
			}
			if !w.armed.CompareAndSwap(trigger, killNow) {
				fired[trigger]++
			}
		}
		p.kill()
		kills++
		// Another replica takes over before the killed one comes back, so
		// every kill is a failover, not a restart of the leader.
		killed := time.Now()
		next, err := rs.leader(ctx)
		if err != nil {
			t.Fatalf("no replica took over after kill %d: %v", kills, err)
		}
		if next == l {
			t.Fatalf("replica %d leads after it was killed", l)
		}
		maxTakeover = max(maxTakeover, time.Since(killed))
		rs.start(l)
	}
	stopRequests()
	wg.Wait()
	if err := rs.waitLive(ctx); err != nil {
		t.Fatal(err)
	}

	// Drain, as in the one-process test.
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

	// Every replica stops cleanly on SIGTERM.
	for i := range replicas {
		p := rs.proc(i)
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		if code, err := p.wait(30 * time.Second); err != nil || code != 0 {
			t.Errorf("replica %d, SIGTERM: exit code %d, %v", i, code, err)
			p.kill()
		}
	}
	elapsed := time.Since(began)

	st, err := postgres.Open(context.Background(), dbURL, postgres.Options{})
	if err != nil {
		t.Fatalf("open the database after the last stop: %v", err)
	}
	defer st.Close()
	var mirrors []string
	for i := range replicas {
		mirrors = append(mirrors, rs.mirrorPath(i))
	}
	c := check(t, w, st, checkLimits{kills: kills, late: failoverLimit, mirrors: mirrors})
	c.commands, c.clicks = int(d.commands.Load()), int(d.clickCount.Load())
	t.Logf("leaders killed per replica %v; longest takeover %s (seen through /metrics); at the worst moments: %d as Okta added, %d as Okta removed, "+
		"%d as an approval DM was posted, %d as an extension was approved; extensions: %d Extend clicks, %d requests, %d applied, %d cancelled",
		leaders, maxTakeover.Round(time.Millisecond), fired[killOnOktaAdd], fired[killOnOktaRemove], fired[killOnApprovalDM], fired[killOnExtension],
		d.extendClicks.Load(), c.extRequests, c.extApplied, c.extCancelled)
	counts := fmt.Sprintf("replica crash test counts: seed=%d replicas=%d leader_kills=%d requests=%d approvals=%d grants=%d removals=%d okta_adds=%d max_lateness=%s limit=%s max_takeover=%s elapsed=%s\n",
		seed, replicas, kills, c.requests, c.approved, c.grants, c.removals, c.adds, c.maxLate.Round(time.Millisecond), failoverLimit, maxTakeover.Round(time.Millisecond), elapsed.Round(time.Second))
	fmt.Print(counts)
	if path := os.Getenv("ACCESSBOT_CRASH_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			_, err = f.WriteString(counts)
			f.Close()
		}
		if err != nil {
			t.Errorf("write the crash report: %v", err)
		}
	}
	if c.requests < kills {
		t.Errorf("only %d requests were stored in %d kills: the driver made too little progress to prove anything", c.requests, kills)
	}
}

// newReplicaSet writes one config per replica: the world's, on the
// database at dbURL, with an audit mirror and a metrics port of its own.
func newReplicaSet(t *testing.T, w *world, dbURL string) *replicaSet {
	t.Helper()
	base, err := os.ReadFile(w.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	rs := &replicaSet{w: w, procs: make([]*proc, replicas)}
	for i := range replicas {
		port := proctest.FreePort(t)
		text := strings.Replace(string(base), "store:\n  path: "+w.storePath, "store:\n  url: "+dbURL, 1)
		text = strings.Replace(text, "audit:\n  path: "+w.auditPath, "audit:\n  path: "+rs.mirrorPath(i), 1)
		if !strings.Contains(text, dbURL) || !strings.Contains(text, rs.mirrorPath(i)) {
			t.Fatal("the world's config does not have the store and audit keys the replica configs replace")
		}
		text += fmt.Sprintf("http:\n  listen: 127.0.0.1:%d\n", port)
		cfg := filepath.Join(w.dir, fmt.Sprintf("replica-%d.yaml", i))
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		rs.cfgs = append(rs.cfgs, cfg)
		rs.logs = append(rs.logs, filepath.Join(w.dir, fmt.Sprintf("replica-%d.log", i)))
		rs.ports = append(rs.ports, port)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, l := range rs.logs {
				t.Logf("replica %d log (last lines):\n%s", i, tailOf(l, 60))
			}
		}
	})
	return rs
}

// mirrorPath is replica i's audit mirror file.
func (rs *replicaSet) mirrorPath(i int) string {
	return filepath.Join(rs.w.dir, fmt.Sprintf("audit-%d.jsonl", i))
}

// start runs replica i.
func (rs *replicaSet) start(i int) {
	p := rs.w.startWith(rs.cfgs[i], rs.logs[i])
	rs.mu.Lock()
	rs.procs[i] = p
	rs.mu.Unlock()
}

func (rs *replicaSet) proc(i int) *proc {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.procs[i]
}

// waitLive waits until every replica holds a Socket Mode connection.
func (rs *replicaSet) waitLive(ctx context.Context) error {
	for len(rs.w.slack.LiveConnections()) < replicas {
		for i := range replicas {
			if rs.proc(i).exited() {
				return fmt.Errorf("replica %d exited before it connected:\n%s", i, tailOf(rs.logs[i], 40))
			}
		}
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			return fmt.Errorf("%d of %d replicas connected to Slack: %w", len(rs.w.slack.LiveConnections()), replicas, err)
		}
	}
	return nil
}

// leader waits until exactly one replica reports accessbot_leader 1 and
// returns it.
func (rs *replicaSet) leader(ctx context.Context) (int, error) {
	deadline := time.Now().Add(leaderWait)
	client := &http.Client{Timeout: metricsTimeout}
	for {
		var leading []int
		for i := range replicas {
			if proctest.Leads(client, rs.ports[i]) {
				leading = append(leading, i)
			}
		}
		if len(leading) == 1 {
			return leading[0], nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no single leader within %s: %v report that they lead", leaderWait, leading)
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return 0, err
		}
	}
}

// tailOf returns the last n lines of the file at path.
func tailOf(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
