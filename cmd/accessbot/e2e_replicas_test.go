package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/fake/fakeslack"
	"github.com/accessbot/accessbot/store/postgres"
	"github.com/accessbot/accessbot/store/postgres/pgtest"
)

// keepaliveBound is how long the database may take to notice a replica
// that vanished without closing its connection (postgres.DefaultDeadAfter):
// the failover promise is 2 × timing.check_interval plus this.
const keepaliveBound = postgres.DefaultDeadAfter

// cluster runs several replicas (Mains with one config) on one PostgreSQL
// database against one sandbox, each with its own Socket Mode connection.
type cluster struct {
	t     *testing.T
	sb    *Sandbox
	dbURL string
	reps  []*replica
}

// replica is one Main of a cluster.
type replica struct {
	e    *e2e // the helpers, seen from this replica
	conn int  // the id of its Socket Mode connection in the fake Slack
}

// startCluster starts n replicas on a new database, one after the other,
// so that connection i is replica i's.
func startCluster(t *testing.T, n int, dbURL string) *cluster {
	t.Helper()
	if dbURL == "" {
		dbURL = pgtest.URL(t)
	}
	sb := NewSandbox(t.TempDir(), time.Time{})
	t.Cleanup(sb.Close)
	c := &cluster{t: t, sb: sb, dbURL: dbURL}
	for i := range n {
		text := strings.Replace(sb.ConfigYAML(""), "store:\n  path: "+filepath.Join(sb.Dir, "accessbot.db"),
			"store:\n  url: "+dbURL, 1)
		// Each replica mirrors the trail to a file of its own, as each
		// pod of a Deployment would.
		text += fmt.Sprintf("audit:\n  path: %s\n", filepath.Join(sb.Dir, fmt.Sprintf("audit-%d.jsonl", i)))
		cfg, err := config.Parse([]byte(text), func(string) string { return "" })
		if err != nil {
			t.Fatalf("replica config: %v", err)
		}
		if cfg.Store.URL == "" {
			t.Fatal("replica config has no store.url")
		}
		r := &replica{e: &e2e{t: t, sb: sb, cfg: cfg, logs: &syncBuffer{}}}
		c.reps = append(c.reps, r)
		t.Cleanup(func() {
			r.e.stop()
			if t.Failed() {
				t.Logf("replica %d log:\n%s", i, r.e.logs.String())
			}
		})
		c.start(i)
	}
	return c
}

// start runs replica i and waits for its own Socket Mode connection.
func (c *cluster) start(i int) {
	c.t.Helper()
	r := c.reps[i]
	before := c.sb.Slack.LiveConnections()
	logger := zerolog.New(r.e.logs).With().Int("replica", i).Timestamp().Logger()
	r.e.m = NewMain(r.e.cfg, logger)
	r.e.m.Now = c.sb.Clock.Now
	ctx, cancel := context.WithCancel(context.Background())
	r.e.cancel, r.e.done = cancel, make(chan error, 1)
	m := r.e.m
	go func() {
		err := m.Run(ctx)
		m.Close()
		r.e.done <- err
	}()
	select {
	case <-m.Started():
	case err := <-r.e.done:
		r.e.done <- err
		c.t.Fatalf("replica %d did not start: %v", i, err)
	case <-time.After(wait):
		c.t.Fatalf("replica %d did not start", i)
	}
	r.e.waitFor(fmt.Sprintf("replica %d's Socket Mode connection", i), func() bool {
		for _, id := range c.sb.Slack.LiveConnections() {
			if !slices.Contains(before, id) {
				r.conn = id
				return true
			}
		}
		return false
	})
}

// stop stops replica i cleanly (its connections close: the database frees
// its leader lock at once).
func (c *cluster) stop(i int) { c.reps[i].e.stop() }

// running reports whether replica i runs.
func (c *cluster) running(i int) bool { return c.reps[i].e.cancel != nil }

// leader waits until exactly one running replica leads and returns it,
// failing after within.
func (c *cluster) leader(within time.Duration) int {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var leading []int
		for i, r := range c.reps {
			if c.running(i) && r.e.m.Leading() {
				leading = append(leading, i)
			}
		}
		if len(leading) == 1 {
			return leading[0]
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no single leader within %s: leading %v", within, leading)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}

// any returns the helpers of a running replica.
func (c *cluster) any() *e2e {
	for i, r := range c.reps {
		if c.running(i) {
			return r.e
		}
	}
	c.t.Fatal("no replica runs")
	return nil
}

// routeTo delivers envelopes of type slash_commands, interactive, … to the
// connection of the replica named for the type; others go to replica 0.
func (c *cluster) routeTo(byType map[string]int) {
	c.sb.Slack.SetRouter(func(env fakeslack.Envelope, live []int) int {
		return c.reps[byType[env.Type]].conn
	})
}

// failoverBound is the promise: another replica leads and sweeps within
// 2 × timing.check_interval, plus the database's time to notice a dead
// connection.
func (c *cluster) failoverBound() time.Duration {
	return 2*c.reps[0].e.cfg.Timings.CheckInterval + keepaliveBound
}

// waitRemoved waits up to within for Okta to no longer hold user in group.
func (c *cluster) waitRemoved(group, user string, within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for c.sb.Okta.IsMember(group, user) {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s still in %s %s after the grant expired (bound %s)", user, group, within, within)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}

// grant files a db-prod request for Alice on whichever replica Slack picks,
// has Bob approve it, and waits until Okta holds it.
func (c *cluster) grant(duration string) string {
	c.t.Helper()
	e := c.any()
	id, msg := e.ask(Alice, "db-prod "+duration+" replica test", Bob)
	e.waitRouted(id)
	e.click(Bob, msg, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	if !c.sb.Okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		c.t.Fatalf("request %s is active but Okta does not hold it", id)
	}
	return id
}

// TestReplicasShareRequests files a request through one replica's Socket
// Mode connection and approves it by a click delivered to the other's:
// the click is authorized from the shared store and provisions at once.
// Both envelopes delivered again, each to the other replica, change
// nothing: no request, decision, audit event, message or Okta call.
func TestReplicasShareRequests(t *testing.T) {
	c := startCluster(t, 2, "")
	a, b := c.reps[0], c.reps[1]
	c.routeTo(map[string]int{"slash_commands": 0, "interactive": 1})

	mark := c.sb.Slack.Mark()
	cmd := a.e.slash(Alice, "/access", "request db-prod 4h replicas INC-7")
	bobDM, id := a.e.approvalDM(mark, Bob)
	a.e.waitRouted(id)
	click, err := c.sb.Slack.ClickButton(a.e.ctx(), Bob.SlackID, bobDM, bot.ActionApprove)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.sb.Slack.DeliveredTo(cmd.Envelope.EnvelopeID); !slices.Equal(got, []int{a.conn}) {
		t.Fatalf("the command went to connections %v, want replica 0's (%d)", got, a.conn)
	}
	if got := c.sb.Slack.DeliveredTo(click.Envelope.EnvelopeID); !slices.Equal(got, []int{b.conn}) {
		t.Fatalf("the click went to connections %v, want replica 1's (%d)", got, b.conn)
	}
	r := b.e.waitState(id, access.StateActive)
	if !c.sb.Okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("Okta does not hold the approved grant")
	}
	if r.Grant.Account.ID != Alice.OktaID || r.Grant.Target.ID != SandboxGroupDB {
		t.Fatalf("grant records %s in %s, want %s in %s", r.Grant.Account.ID, r.Grant.Target.ID, Alice.OktaID, SandboxGroupDB)
	}
	b.e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned)

	// Slack sends both envelopes again, each to the other replica.
	beforeMsgs := len(c.sb.Slack.MessageLog())
	beforeEvents, err := a.e.m.Store().Events(context.Background(), access.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	c.routeTo(map[string]int{"slash_commands": 1, "interactive": 0})
	for _, env := range []fakeslack.Envelope{cmd.Envelope, click.Envelope} {
		if _, err := c.sb.Slack.Redeliver(a.e.ctx(), env); err != nil {
			t.Fatalf("redeliver %s: %v", env.Type, err)
		}
	}
	if got := c.sb.Slack.DeliveredTo(cmd.Envelope.EnvelopeID); !slices.Equal(got, []int{a.conn, b.conn}) {
		t.Fatalf("the command was delivered to %v, want %v", got, []int{a.conn, b.conn})
	}
	for i, env := range map[int]fakeslack.Envelope{1: cmd.Envelope, 0: click.Envelope} {
		c.reps[i].e.waitFor("replica "+fmt.Sprint(i)+" to recognise the repeat", func() bool {
			return containsAll(c.reps[i].e.logs.String(), "taken by another replica", env.EnvelopeID)
		})
	}
	// A request, a reply and a redraw after the repeats: none of them may
	// have caused anything meanwhile.
	afterEvents, err := a.e.m.Store().Events(context.Background(), access.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(afterEvents) != len(beforeEvents) {
		t.Fatalf("the repeats added audit events: %+v", afterEvents[len(beforeEvents):])
	}
	// Messages about the approval may still be on their way; a repeat acted
	// on would answer the person who sent it, or ask an approver again.
	for _, m := range c.sb.Slack.MessageLog()[beforeMsgs:] {
		_, asks := m.Button(bot.ActionApprove)
		if m.Kind == fakeslack.KindEphemeral || m.Kind == fakeslack.KindCommandAck || m.Kind == fakeslack.KindResponseURL || asks {
			t.Fatalf("a repeat caused a message: [%s %s] %s", m.Kind, m.Channel, oneLine(m.Text()))
		}
	}
	if mine, _ := a.e.m.Store().ListByRequester(context.Background(), Alice.SlackID, false); len(mine) != 1 {
		t.Fatalf("Alice has %d requests, want 1", len(mine))
	}
	if r := a.e.request(id); len(r.Decisions) != 1 || r.State != access.StateActive {
		t.Fatalf("request is %s with %d decisions, want active with 1", r.State, len(r.Decisions))
	}
	if n := c.sb.Okta.GroupAdds(SandboxGroupDB, Alice.OktaID); n != 1 {
		t.Fatalf("Okta adds = %d, want 1", n)
	}

	// The leader removes it on time, whichever replica granted it.
	l := c.leader(wait)
	c.sb.Clock.Advance(4*time.Hour + time.Second)
	c.reps[l].e.m.Workflow().Kick()
	c.waitRemoved(SandboxGroupDB, Alice.OktaID, wait)
	b.e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventRemovalStarted, access.EventExpired)
	if n := len(oktaWrites(c.sb.Okta, "DELETE")); n != 1 {
		t.Fatalf("Okta removals = %d, want 1", n)
	}
	// Per-event counters summed over the replicas count each event of the
	// trail once, whichever replica committed it.
	trail := b.e.events(id)
	a.e.waitFor("each event counted once in the cluster", func() bool {
		for _, typ := range trail {
			if got := c.eventCount(typ); got != float64(countOf(trail, typ)) {
				return false
			}
		}
		return true
	})
	a.e.noRejections()
}

// eventCount sums accessbot_audit_events_total{type=typ} over the running
// replicas.
func (c *cluster) eventCount(typ access.EventType) float64 {
	c.t.Helper()
	var sum float64
	for i, r := range c.reps {
		if !c.running(i) {
			continue
		}
		mfs, err := r.e.m.metrics.Registry().Gather()
		if err != nil {
			c.t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "accessbot_audit_events_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "type" && l.GetValue() == string(typ) {
						sum += m.GetCounter().GetValue()
					}
				}
			}
		}
	}
	return sum
}

func countOf(evs []access.EventType, typ access.EventType) int {
	n := 0
	for _, e := range evs {
		if e == typ {
			n++
		}
	}
	return n
}

// TestLeaderStopsAndAnotherTakesOver stops the leader replica while a grant
// falls due: the other takes over the sweep within the failover bound and
// removes it, and the old leader, started again, follows.
func TestLeaderStopsAndAnotherTakesOver(t *testing.T) {
	c := startCluster(t, 2, "")
	c.sb.Slack.SetRouter(fakeslack.Spread(1))
	id := c.grant("1h")
	l := c.leader(wait)

	c.stop(l)
	c.sb.Clock.Advance(time.Hour + time.Second) // due while nobody may lead
	c.waitRemoved(SandboxGroupDB, Alice.OktaID, c.failoverBound())
	if next := c.leader(wait); next == l {
		t.Fatalf("replica %d leads after it stopped", l)
	}
	c.any().wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventRemovalStarted, access.EventExpired)

	c.start(l)
	next := c.leader(wait)
	if next == l {
		t.Fatalf("the restarted replica %d took the lead from a live leader", l)
	}
	// The restarted replica serves people at once.
	c.routeTo(map[string]int{"slash_commands": l, "interactive": l})
	id2 := c.grant("1h")
	if id2 == id {
		t.Fatal("a new request has the id of the old one")
	}
	if n := len(oktaWrites(c.sb.Okta, "DELETE")); n != 1 {
		t.Fatalf("Okta removals = %d, want 1", n)
	}
	c.any().noRejections()
}

// TestLeaderCutOffFromDatabase ends the leader's database session (as a
// network cut or a failover of the database server would): it stops
// leading at once, a replica leads again within the failover bound, and a
// grant that fell due meanwhile is removed exactly once.
func TestLeaderCutOffFromDatabase(t *testing.T) {
	c := startCluster(t, 2, "")
	c.sb.Slack.SetRouter(fakeslack.Spread(2))
	id := c.grant("1h")
	l := c.leader(wait)

	cut := time.Now()
	if n := terminateLeaderSession(t, c.dbURL); n != 1 {
		t.Fatalf("ended %d sessions holding the leader lock, want 1", n)
	}
	c.sb.Clock.Advance(time.Hour + time.Second)
	c.waitRemoved(SandboxGroupDB, Alice.OktaID, c.failoverBound())
	took := time.Since(cut)
	c.leader(wait)
	e := c.any()
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventRemovalStarted, access.EventExpired)
	if n := len(oktaWrites(c.sb.Okta, "DELETE")); n != 1 {
		t.Fatalf("Okta removals = %d, want 1", n)
	}
	if !containsAll(c.reps[l].e.logs.String(), "leadership changed", `"leader":false`) {
		t.Fatalf("replica %d did not log that it stopped leading", l)
	}
	t.Logf("removal after the leader's session ended: %s (bound %s)", took.Round(time.Millisecond), c.failoverBound())
}

// TestReplicasRecoverFromDatabaseRestart restarts the database server while
// two replicas run and a grant falls due: without any help they reconnect,
// one leads, the grant is removed within the failover bound of the
// server's return, and people can ask and approve again.
func TestReplicasRecoverFromDatabaseRestart(t *testing.T) {
	server := pgtest.Shared(t)
	c := startCluster(t, 2, pgtest.URL(t))
	c.sb.Slack.SetRouter(fakeslack.Spread(3))
	id := c.grant("1h")
	c.leader(wait)

	if err := server.Halt(); err != nil {
		t.Fatal(err)
	}
	c.sb.Clock.Advance(time.Hour + time.Second) // due while the database is down
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	c.waitRemoved(SandboxGroupDB, Alice.OktaID, c.failoverBound())
	c.leader(wait)
	e := c.any()
	e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisioned, access.EventRemovalStarted, access.EventExpired)

	id2 := c.grant("4h")
	e.wantTrail(id2, access.EventRequested, access.EventApproved, access.EventProvisioned)
	if n := c.sb.Okta.GroupAdds(SandboxGroupDB, Alice.OktaID); n != 2 {
		t.Fatalf("Okta adds = %d, want 2 (one per grant)", n)
	}
}

// terminateLeaderSession ends every session of the database at dbURL that
// holds an advisory lock (only the leader's holds one once migrations are
// done) and returns how many it ended.
func terminateLeaderSession(t *testing.T, dbURL string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n)
	if err != nil {
		t.Fatalf("end the leader's session: %v", err)
	}
	return n
}
