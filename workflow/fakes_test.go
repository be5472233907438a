package workflow_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/store"
	"github.com/accessbot/accessbot/workflow"
)

// clock is a settable clock shared by the service and the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// provisioner records grants and removals; errs queues failures per call kind.
type provisioner struct {
	mu       sync.Mutex
	held     map[string]bool // email|target
	grants   []string
	revokes  []string
	errs     map[string][]error // "grant", "revoke", "has"
	standing map[string]bool
	// grantGate and hasGate, when set, hold every Grant or HasAccess until
	// closed (or, for HasAccess, until the caller gives up): Okta is slow.
	grantGate, hasGate chan struct{}
}

func newProvisioner() *provisioner {
	return &provisioner{held: map[string]bool{}, errs: map[string][]error{}, standing: map[string]bool{}}
}

func key(email string, t access.Target) string { return email + "|" + t.String() }

func (p *provisioner) fail(kind string, errs ...error) {
	p.mu.Lock()
	p.errs[kind] = append(p.errs[kind], errs...)
	p.mu.Unlock()
}

func (p *provisioner) next(kind string) error {
	if q := p.errs[kind]; len(q) > 0 {
		p.errs[kind] = q[1:]
		return q[0]
	}
	return nil
}

// FindUser maps a person to an account whose login is their email; the
// fake keys what is held by that login.
func (p *provisioner) FindUser(_ context.Context, u access.User) (access.Account, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.next("find"); err != nil {
		return access.Account{}, err
	}
	return access.Account{ID: "okta-" + u.Email, Login: u.Email}, nil
}

func (p *provisioner) HasAccess(ctx context.Context, a access.Account, t access.Target) (bool, error) {
	email := a.Login
	if p.hasGate != nil {
		select {
		case <-p.hasGate:
		case <-ctx.Done():
			return false, access.Wrap(access.EUNAVAILABLE, ctx.Err())
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.next("has"); err != nil {
		return false, err
	}
	return p.held[key(email, t)], nil
}

func (p *provisioner) Grant(_ context.Context, a access.Account, t access.Target) error {
	email := a.Login
	if p.grantGate != nil {
		<-p.grantGate
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.next("grant"); err != nil {
		return err
	}
	p.grants = append(p.grants, key(email, t))
	p.held[key(email, t)] = true
	return nil
}

func (p *provisioner) Revoke(_ context.Context, a access.Account, t access.Target) error {
	email := a.Login
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.next("revoke"); err != nil {
		return err
	}
	p.revokes = append(p.revokes, key(email, t))
	delete(p.held, key(email, t))
	return nil
}

func (p *provisioner) counts() (grants, revokes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.grants), len(p.revokes)
}

func (p *provisioner) holds(email string, t access.Target) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held[key(email, t)]
}

// directory knows a fixed set of users.
type directory struct{ users []access.User }

func (d *directory) UserByID(_ context.Context, id string) (access.User, error) {
	for _, u := range d.users {
		if u.SlackID == id {
			return u, nil
		}
	}
	return access.User{}, access.Errorf(access.ENOTFOUND, "no user %s", id)
}

func (d *directory) UserByEmail(_ context.Context, email string) (access.User, error) {
	for _, u := range d.users {
		if strings.EqualFold(u.Email, email) {
			return u, nil
		}
	}
	return access.User{}, access.Errorf(access.ENOTFOUND, "no user %s", email)
}

// sent is one message the messenger was asked to deliver.
type sent struct {
	To       string // Slack id, or "#audit"
	Kind     string // a NoticeKind, or "approval"
	Request  access.Request
	Update   bool
	ToldOnly bool // an approval sent to someone who may not decide it
}

type messenger struct {
	mu   sync.Mutex
	msgs []sent
	n    int
	// onSend, when set, runs after each new message (not updates) is
	// recorded, outside the lock: tests use it to act while a flow is midway.
	onSend func(sent)
}

func (m *messenger) record(s sent) access.MessageRef {
	m.mu.Lock()
	m.n++
	m.msgs = append(m.msgs, s)
	ref := access.MessageRef{UserID: s.To, Channel: "D" + s.To, TS: fmt.Sprint(m.n)}
	hook := m.onSend
	m.mu.Unlock()
	if hook != nil && !s.Update {
		hook(s)
	}
	return ref
}

// lastTo returns the newest message of kind, sent or updated, to a recipient.
func (m *messenger) lastTo(to, kind string) (sent, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.msgs) - 1; i >= 0; i-- {
		if s := m.msgs[i]; s.To == to && s.Kind == kind {
			return s, true
		}
	}
	return sent{}, false
}

func (m *messenger) SendApproval(_ context.Context, to access.User, r access.Request, _ access.Resource, toldOnly bool) (access.MessageRef, error) {
	ref := m.record(sent{To: to.SlackID, Kind: "approval", Request: r, ToldOnly: toldOnly})
	ref.ToldOnly = toldOnly
	return ref, nil
}

func (m *messenger) UpdateApproval(_ context.Context, ref access.MessageRef, r access.Request, _ access.Resource) error {
	m.record(sent{To: ref.UserID, Kind: "approval", Request: r, Update: true})
	return nil
}

func (m *messenger) Notify(_ context.Context, to access.User, n access.Notice) (access.MessageRef, error) {
	return m.record(sent{To: to.SlackID, Kind: string(n.Kind), Request: n.Request}), nil
}

func (m *messenger) UpdateNotice(_ context.Context, ref access.MessageRef, n access.Notice) error {
	m.record(sent{To: ref.UserID, Kind: string(n.Kind), Request: n.Request, Update: true})
	return nil
}

func (m *messenger) Announce(_ context.Context, n access.Notice) (access.MessageRef, error) {
	return m.record(sent{To: "#audit", Kind: string(n.Kind), Request: n.Request}), nil
}

// redrawsTo returns the updates of messages of kind to a recipient, oldest first.
func (m *messenger) redrawsTo(to, kind string) []sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []sent
	for _, s := range m.msgs {
		if s.To == to && s.Kind == kind && s.Update {
			out = append(out, s)
		}
	}
	return out
}

// find returns the messages of kind to a recipient ("" for any), new ones only.
func (m *messenger) find(to, kind string) []sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []sent
	for _, s := range m.msgs {
		if (to == "" || s.To == to) && s.Kind == kind && !s.Update {
			out = append(out, s)
		}
	}
	return out
}

// oncall answers from a map of email → shifts, or with err.
type oncall struct {
	mu     sync.Mutex
	shifts map[string][]access.Shift
	err    error
	calls  int
}

func (o *oncall) CurrentShifts(_ context.Context, email string, _ access.OnCallPolicy, _ time.Time) ([]access.Shift, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	if o.err != nil {
		return nil, o.err
	}
	return o.shifts[email], nil
}

var (
	alice = access.User{SlackID: "U0ALICE", Email: "alice@acme.com", Name: "alice"}
	bob   = access.User{SlackID: "U0BOB", Email: "bob@acme.com", Name: "bob"}
	carol = access.User{SlackID: "U0CAROL", Email: "carol@acme.com", Name: "carol"}
	eve   = access.User{SlackID: "U0EVE", Email: "eve@acme.com", Name: "eve"}
	admin = access.User{SlackID: "U0ADMIN", Email: "secops@acme.com", Name: "secops"}

	group = access.Target{Kind: access.TargetGroup, ID: "00gprod"}
	app   = access.Target{Kind: access.TargetApp, ID: "0oagrafana"}
)

func resources() []access.Resource {
	return []access.Resource{
		{ID: "aws-prod", Name: "AWS Production", Target: group, Approvers: []string{"alice@acme.com", "bob@acme.com", "carol@acme.com"},
			Durations: []time.Duration{time.Hour, 4 * time.Hour}, MaxDuration: 8 * time.Hour, MinApprovals: 1,
			Extension: access.ExtensionPolicy{MaxExtensions: 2, RequiresApproval: true},
			OnCall:    &access.OnCallPolicy{Schedules: []string{"PSCHED1"}, MaxEscalationLevel: 1, AutoApprove: true, BreakGlass: true, BreakGlassDuration: time.Hour}},
		{ID: "grafana", Name: "Grafana admin", Target: app, Approvers: []string{"bob@acme.com", "carol@acme.com"},
			Durations: []time.Duration{time.Hour, 4 * time.Hour}, MaxDuration: 8 * time.Hour, MinApprovals: 2,
			Extension: access.ExtensionPolicy{MaxExtensions: 1, RequiresApproval: false}},
	}
}

type harness struct {
	t     *testing.T
	svc   *workflow.Service
	store *store.Store
	prov  *provisioner
	msg   *messenger
	pd    *oncall
	clock *clock
	opts  workflow.Options
	dir   *directory
}

func newHarness(t *testing.T, edit ...func(*workflow.Options)) *harness {
	t.Helper()
	st, err := store.Open(t.TempDir()+"/accessbot.db", store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{t: t, store: st, prov: newProvisioner(), msg: &messenger{}, pd: &oncall{shifts: map[string][]access.Shift{}},
		clock: &clock{now: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}}
	opts := workflow.Options{
		Catalog: access.NewCatalog(resources()),
		Timing:  access.Timing{PendingTTL: 24 * time.Hour, Reminders: []time.Duration{time.Hour, 10 * time.Minute}},
		Admins:  []string{"secops@acme.com"}, Now: h.clock.Now, Logger: zerolog.Nop(),
	}
	for _, e := range edit {
		e(&opts)
	}
	h.opts, h.dir = opts, &directory{users: []access.User{alice, bob, carol, eve, admin}}
	h.svc = h.replica()
	return h
}

// replica returns a Service on the harness's store, provisioner,
// messenger and clock: another replica of the bot, with its own memory.
func (h *harness) replica() *workflow.Service {
	return workflow.New(h.opts, h.store, h.prov, h.dir, h.msg, h.pd)
}

func (h *harness) submit(who access.User, res, dur, reason string, approvers ...string) *access.Request {
	h.t.Helper()
	r, err := h.svc.Submit(context.Background(), who.SlackID, workflow.RequestInput{ResourceID: res, Duration: dur, Reason: reason, Approvers: approvers})
	if err != nil {
		h.t.Fatalf("submit: %v", err)
	}
	return r
}

func (h *harness) get(id string) *access.Request {
	h.t.Helper()
	r, err := h.store.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func (h *harness) sweep() {
	h.t.Helper()
	if err := h.svc.Sweep(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// events returns the audit event types of request id, in order.
func (h *harness) events(id string) []access.EventType {
	h.t.Helper()
	evs, err := h.store.Events(context.Background(), access.EventFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []access.EventType
	for _, e := range evs {
		if e.RequestID == id {
			out = append(out, e.Type)
		}
	}
	return out
}

func wantState(t *testing.T, r *access.Request, s access.State) {
	t.Helper()
	if r.State != s {
		t.Fatalf("request %s is %s, want %s", r.ID, r.State, s)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := access.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func wantEvents(t *testing.T, got []access.EventType, want ...access.EventType) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("audit events = %v\nwant %v", got, want)
	}
}

// approveLater approves request id as by in the background; the channel
// gets Approve's error.
func (h *harness) approveLater(by access.User, id string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := h.svc.Approve(context.Background(), by.SlackID, id)
		done <- err
	}()
	return done
}

// eventually polls cond until it holds, failing the test with what has not
// happened after 30 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, with a deadline
	}
}
