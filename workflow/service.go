// Package workflow carries requests through their life cycle: it applies the
// rules of the access domain and drives the store, the provisioner, the
// on-call source and the messenger through their domain interfaces only.
package workflow

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
)

// Options configures a Service. Zero values take the defaults documented per field.
// Catalog, Timing and Admins are the first Settings; Reconfigure replaces them.
type Options struct {
	Catalog *access.Catalog
	Timing  access.Timing
	Admins  []string // emails that may revoke any grant
	// DryRun makes no change in the identity provider; everything else happens
	// and every message and audit entry says so.
	DryRun bool
	// RemovalAlertAfter failed removal attempts make the audit channel hear of it (default 5).
	RemovalAlertAfter int
	// ProvisionAttempts before a grant is given up as failed (default 10).
	ProvisionAttempts int
	// MaxBackoff caps the wait between attempts at Okta (default 5m).
	MaxBackoff time.Duration
	// Workers bounds how many requests a sweep advances at once (default 32).
	Workers int
	// WorkTimeout bounds the sweep's work on one request (default 60s), not
	// counting the time it waits for its turn at the identity provider. The
	// work runs on past a shutdown, so that a started removal finishes and
	// is recorded rather than cut between Okta and the store.
	WorkTimeout time.Duration
	// Members and UserGroups read the approver groups of config
	// (okta_group:, slack_usergroup:); nil leaves such groups unreadable.
	Members    access.MemberLister
	UserGroups access.UserGroupLister
	// Delegations keeps delegations (nil: /access delegate is refused), and
	// Delegation is the policy they follow.
	Delegations access.DelegationStore
	Delegation  access.DelegationPolicy
	Now         func() time.Time // default time.Now
	Logger      zerolog.Logger
}

// Service is the workflow. Its methods are safe for concurrent use; work on
// one request is serialised, and every state change is one store transaction.
type Service struct {
	opts   Options
	live   settingsPointer // the current Settings, swapped whole by Reconfigure
	store  access.Store
	prov   access.Provisioner
	dir    access.Directory
	msg    access.Messenger
	oncall access.OnCallSource // nil: on-call features off
	log    zerolog.Logger

	// Locks, each taken alone (never two at once) and released by defer:
	// users serialises one person's submissions, so two clicks cannot file
	// two open requests for the same resource; redraws serialises the
	// redraws of one request's messages, so the last one Slack receives
	// shows the latest state. Transitions take no lock: each is one store
	// update that checks the current state (access.Store.Update).
	users   keyedMutex
	redraws keyedMutex
	busy    busySet
	kick    chan struct{}
	wg      sync.WaitGroup // work started in the background
	// stopping ends when Wait is called: background work started earlier
	// takes on nothing new, and leaves the rest to the next run's sweep.
	stopping context.Context
	stop     context.CancelFunc
	// refusals spaces out the audit channel's notices of refused
	// break-glass attempts (throttle.go).
	refusals throttle
	// groupMembers caches the members of approver groups for routing (approvers.go).
	groupMembers memberCache
	// missing spaces out the warnings about approvers without a Slack account.
	missing throttle
}

// New returns a Service. oncall may be nil when PagerDuty is not configured.
func New(opts Options, store access.Store, prov access.Provisioner, dir access.Directory, msg access.Messenger, oncall access.OnCallSource) *Service {
	if opts.RemovalAlertAfter <= 0 {
		opts.RemovalAlertAfter = 5
	}
	if opts.ProvisionAttempts <= 0 {
		opts.ProvisionAttempts = 10
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	if opts.Workers <= 0 {
		// A removal's time goes mostly to waiting (Okta, fsyncs, telling
		// people), so the workers set how soon a thousand grants due
		// together are gone: 8 took 2.4 s on 2 loaded cores, 32 take 0.5 s.
		// Okta's own limits are the pacer's to keep, not the workers'.
		opts.Workers = 32
	}
	if opts.WorkTimeout <= 0 {
		opts.WorkTimeout = 60 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Catalog == nil {
		opts.Catalog = access.NewCatalog(nil)
	}
	stopping, stop := context.WithCancel(context.Background())
	s := &Service{
		opts: opts, store: store, prov: prov, dir: dir, msg: msg, oncall: oncall,
		log: opts.Logger, kick: make(chan struct{}, 1), stopping: stopping, stop: stop,
	}
	s.live.p.Store(&Settings{Catalog: opts.Catalog, Timing: opts.Timing, Admins: opts.Admins})
	return s
}

// Catalog returns the resources people may request now; a reload or a
// discovery refresh replaces it (Reconfigure).
func (s *Service) Catalog() *access.Catalog { return s.settings().Catalog }

// DryRun reports whether the identity provider is left untouched.
func (s *Service) DryRun() bool { return s.opts.DryRun }

// Wait blocks until background work started by the service has finished;
// work that is stored and not yet started (a revoke-all's removals) is left
// to the next sweep.
func (s *Service) Wait() {
	s.stop()
	s.wg.Wait()
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// actor resolves the Slack user behind an interaction.
func (s *Service) actor(ctx context.Context, slackID string) (access.User, error) {
	u, err := s.dir.UserByID(ctx, slackID)
	if err != nil {
		return access.User{}, err
	}
	u.Email = strings.ToLower(u.Email)
	return u, nil
}

// load returns the person behind a click (a Slack id) and the request it is
// about, as stored now: what every click is authorized against.
func (s *Service) load(ctx context.Context, actorID, requestID string) (access.User, *access.Request, error) {
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return access.User{}, nil, err
	}
	r, err := s.store.Get(ctx, requestID)
	if err != nil {
		return access.User{}, nil, err
	}
	return actor, r, nil
}

func (s *Service) isAdmin(u access.User) bool {
	for _, a := range s.settings().Admins {
		if strings.EqualFold(a, u.Email) {
			return true
		}
	}
	return false
}

// update runs one transition on request id in one store transaction and
// reschedules it, so the due index always says when to look at it next.
func (s *Service) update(ctx context.Context, id string, fn func(r *access.Request, now time.Time) ([]access.Event, error)) (*access.Request, error) {
	now := s.now()
	r, err := s.store.Update(ctx, id, func(r *access.Request) ([]access.Event, error) {
		events, err := fn(r, now)
		if err != nil {
			return nil, err
		}
		r.UpdatedAt = now
		r.Due = r.NextDue(s.settings().Timing)
		s.markDryRun(events)
		return events, nil
	})
	return r, err
}

// markDryRun adds dry_run=true to every event in dry run, so the audit
// trail says which grants and removals were never made; an event about a
// recorded grant keeps the grant's own dry_run (a real grant removed while
// the bot runs in dry run is a real removal).
func (s *Service) markDryRun(events []access.Event) {
	if !s.opts.DryRun {
		return
	}
	for i := range events {
		if events[i].Details == nil {
			events[i].Details = map[string]string{}
		}
		if _, recorded := events[i].Details["dry_run"]; !recorded {
			events[i].Details["dry_run"] = "true"
		}
	}
}

// create stores a new request with its first events.
func (s *Service) create(ctx context.Context, r *access.Request, events ...access.Event) error {
	s.markDryRun(events)
	return s.store.Create(ctx, r, events...)
}

// refuse audits an attempt the rules turned down and returns err.
func (s *Service) refuse(ctx context.Context, actor access.User, r *access.Request, action string, err error) error {
	ev := access.Event{Time: s.now(), Type: access.EventRefused, Actor: actor,
		Details: map[string]string{"action": action, "why": string(refusal(err)), "code": access.ErrorCode(err)}}
	if r != nil {
		ev.Subject, ev.ResourceID, ev.RequestID = r.Requester, r.ResourceID, r.ID
		if r.OnBehalf() {
			ev.Details[access.DetailRequestedBy] = r.RequestedBy.Email
		}
	}
	if s.opts.DryRun {
		ev.Details["dry_run"] = "true"
	}
	if aerr := s.store.Append(ctx, ev); aerr != nil {
		s.logger(ctx).Error().Err(aerr).Msg("audit refused attempt")
	}
	return err
}

// resource returns the resource of r; a resource removed from config since is an error.
func (s *Service) resource(r *access.Request) (*access.Resource, error) {
	res, err := s.settings().Catalog.Get(r.ResourceID)
	if err != nil {
		return nil, access.Refuse(access.ENOTFOUND, access.ReasonResourceGone, access.Params{ResourceID: r.ResourceID})
	}
	return res, nil
}

// resourceFor returns r's resource for a message: as configured, or, once
// it left the config, what the request recorded of it, so the end of a
// grant can still be told.
func (s *Service) resourceFor(r *access.Request) access.Resource {
	if res, err := s.settings().Catalog.Get(r.ResourceID); err == nil {
		return *res
	}
	return access.Resource{ID: r.ResourceID, Name: r.ResourceID, Target: r.Grant.Target}
}

// backoff returns the wait before attempt n+1: exponential from 2s, capped,
// shortened by a random 0–10% so retries after an outage do not arrive together.
func (s *Service) backoff(attempts int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempts && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	j, err := rand.Int(rand.Reader, big.NewInt(int64(d/5)+1))
	if err != nil {
		return d
	}
	return d - d/10 + time.Duration(j.Int64())/2
}

const idAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newID returns a short id people can type: 8 characters from an unambiguous alphabet.
func newID() string {
	b := make([]byte, 8)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(idAlphabet))))
		if err != nil {
			panic("workflow: no randomness: " + err.Error())
		}
		b[i] = idAlphabet[n.Int64()]
	}
	return string(b)
}

// keyedMutex serialises work per key without holding memory for idle keys.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	refs int
}

// lock locks key and returns the unlock, for `defer k.lock(key)()`.
func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

// refusal is the reason an error gives, for the audit trail; the error's
// code when it gives none.
func refusal(err error) access.Reason {
	if r, _, ok := access.ErrorReason(err); ok {
		return r
	}
	if ir, ok := access.IdentityRefusal(err); ok {
		return access.Reason(ir)
	}
	return access.Reason(access.ErrorCode(err))
}

// refusalParams are the facts behind err's reason.
func refusalParams(err error) access.Params {
	_, p, _ := access.ErrorReason(err)
	return p
}
