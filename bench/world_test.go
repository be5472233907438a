package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// wait bounds any one thing the harness waits for.
const wait = 2 * time.Minute

// person is someone known to the fake Slack and the fake Okta.
type person struct {
	SlackID, OktaID, Email, Name string
}

func (p person) dm() string { return "D" + p.SlackID }

// world is a company of fakes for the bot to run against: a fake Slack and
// a fake Okta on 127.0.0.1, requesters, approvers and resources (one Okta
// group each), and the bot's store and config in a temporary directory.
type world struct {
	t          testing.TB
	slack      *fakeslack.Server
	okta       *fakeokta.Server
	dir        string
	requesters []person
	approvers  []person
	resources  []string // ids; resource i is Okta group groupID(i)
	router     *router
}

// newWorld starts the fakes with n requesters, three approvers and
// nResources resources.
func newWorld(t testing.TB, n, nResources int) *world {
	t.Helper()
	w := &world{
		t:     t,
		slack: fakeslack.New(fakeslack.Options{}),
		okta:  fakeokta.New(fakeokta.Options{}),
		dir:   t.TempDir(),
	}
	t.Cleanup(w.slack.Close)
	t.Cleanup(w.okta.Close)
	for i := range 3 {
		w.approvers = append(w.approvers, w.addPerson(fmt.Sprintf("approver%d", i+1)))
	}
	for i := range n {
		w.requesters = append(w.requesters, w.addPerson(fmt.Sprintf("user%05d", i)))
	}
	for i := range nResources {
		w.resources = append(w.resources, fmt.Sprintf("res-%d", i))
		w.okta.AddGroup(groupID(i), fmt.Sprintf("Resource %d", i))
	}
	w.router = newRouter(w.slack)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.router.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

func groupID(i int) string { return fmt.Sprintf("00gbench%02d", i) }

func (w *world) addPerson(name string) person {
	p := person{SlackID: "U" + strings.ToUpper(name), OktaID: "00u" + name, Email: name + "@example.com", Name: name}
	w.slack.AddUser(fakeslack.User{ID: p.SlackID, Name: name, RealName: name, Email: p.Email})
	w.okta.AddUser(fakeokta.User{ID: p.OktaID, Login: p.Email, Email: p.Email, FirstName: name, LastName: "Bench", Status: "ACTIVE"})
	return p
}

// storePath is where the bot keeps its store.
func (w *world) storePath() string { return filepath.Join(w.dir, "accessbot.db") }

// auditPath is where the bot mirrors its audit trail.
func (w *world) auditPath() string { return filepath.Join(w.dir, "audit.jsonl") }

// writeConfig writes the bot's config and returns its path.
func (w *world) writeConfig() string {
	w.t.Helper()
	var approvers []string
	for _, a := range w.approvers {
		approvers = append(approvers, a.Email)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `slack:
  app_token: %s
  bot_token: %s
  api_url: %s
  allow_http: true
okta:
  org_url: %s
  api_token: %s
  allow_http: true
  request_timeout: 30s
store:
  path: %s
audit:
  path: %s
timing:
  check_interval: 1s
  reminders: [1h, 10m]
  pending_ttl: 24h
policies:
  standard:
    durations: [1h, 4h, 1d]
    max_duration: 1d
    min_approvals: 1
    extension: {max_extensions: 2, requires_approval: true}
resources:
`, w.slack.AppToken(), w.slack.BotToken(), w.slack.APIURL(), w.okta.URL(), w.okta.Token(), w.storePath(), w.auditPath())
	for i, id := range w.resources {
		fmt.Fprintf(&b, "  - id: %s\n    name: Resource %d\n    okta_group: %s\n    approvers: [%s]\n    policy: standard\n",
			id, i, groupID(i), strings.Join(approvers, ", "))
	}
	path := filepath.Join(w.dir, "accessbot.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return path
}

// request sends "/access request" as p and returns once Slack has the ack.
func (w *world) request(ctx context.Context, p person, resource string) error {
	_, err := w.slack.SlashCommand(ctx, p.SlackID, "/access", "request "+resource+" 4h load test", "C0GENERAL")
	return err
}

// router follows the fake Slack's message log and remembers what the
// harness waits for: each request's approval DM, the request a requester
// was last told about, and when each grant was announced to its holder. It
// reads each message once, so waiting costs the same however long the log.
type router struct {
	slack *fakeslack.Server

	mu sync.Mutex
	// waiting holds a channel per key someone waits on ("approval " + id,
	// "latest " + requester, "granted " + id), closed when that key
	// changes: a message wakes only who waits for it, not every flow.
	waiting   map[string]chan struct{}
	approvals map[string]fakeslack.Message // request id → first approval DM
	latest    map[string]string            // requester Slack id → id of their latest request
	granted   map[string]time.Time         // request id → when the "granted" DM was posted
}

func newRouter(s *fakeslack.Server) *router {
	return &router{slack: s, waiting: map[string]chan struct{}{},
		approvals: map[string]fakeslack.Message{}, latest: map[string]string{}, granted: map[string]time.Time{}}
}

func (r *router) run(ctx context.Context) {
	seen := 0
	for {
		m, err := r.slack.WaitMessageAfter(ctx, seen, func(fakeslack.Message) bool { return true })
		if err != nil {
			return
		}
		seen = m.Seq
		if m.Kind == fakeslack.KindPosted {
			r.observe(m)
		}
	}
}

func (r *router) observe(m fakeslack.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range m.Buttons() {
		var key string
		switch {
		case b.ActionID == bot.ActionApprove:
			if _, ok := r.approvals[b.Value]; !ok {
				r.approvals[b.Value] = m
			}
			key = "approval " + b.Value
		case b.ActionID == bot.ActionCancel && strings.HasPrefix(m.Channel, "D"):
			requester := strings.TrimPrefix(m.Channel, "D")
			r.latest[requester] = b.Value
			key = "latest " + requester
		case b.ActionID == bot.ActionRevoke && strings.HasSuffix(b.BlockID, "granted"):
			r.granted[b.Value] = m.Time
			key = "granted " + b.Value
		default:
			continue
		}
		if ch, ok := r.waiting[key]; ok {
			close(ch)
			delete(r.waiting, key)
		}
		return
	}
}

// waitFor blocks until cond (called with r.mu held) holds or ctx ends;
// key names what cond reads, as observe names it.
func (r *router) waitFor(ctx context.Context, what, key string, cond func() bool) error {
	for {
		r.mu.Lock()
		ok := cond()
		ch := r.waiting[key]
		if !ok && ch == nil {
			ch = make(chan struct{})
			r.waiting[key] = ch
		}
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
}

// newRequest waits until requester is told of a request other than prev
// and returns its id.
func (r *router) newRequest(ctx context.Context, requester, prev string) (string, error) {
	var id string
	err := r.waitFor(ctx, "the confirmation to "+requester, "latest "+requester, func() bool {
		id = r.latest[requester]
		return id != "" && id != prev
	})
	return id, err
}

// approval waits for the first approval DM of request id.
func (r *router) approval(ctx context.Context, id string) (fakeslack.Message, error) {
	var m fakeslack.Message
	err := r.waitFor(ctx, "an approval DM for "+id, "approval "+id, func() bool {
		var ok bool
		m, ok = r.approvals[id]
		return ok
	})
	return m, err
}

// grantedAt waits for the "granted" DM of request id and returns when it was posted.
func (r *router) grantedAt(ctx context.Context, id string) (time.Time, error) {
	var at time.Time
	err := r.waitFor(ctx, "the granted DM of "+id, "granted "+id, func() bool {
		var ok bool
		at, ok = r.granted[id]
		return ok
	})
	return at, err
}
