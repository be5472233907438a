package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/accessbot/accessbot/access"
)

// DriftStateKey is the store key of what the reconcile remembers between
// runs: how far it read the audit trail, the access the bot removed, and
// the drift it reported.
const DriftStateKey = "drift.state"

// DefaultReconcileInterval is how often Okta's members are compared with
// the grants when ReconcileOptions leave it zero.
const DefaultReconcileInterval = 15 * time.Minute

// ReconcileOptions configure the reconcile.
type ReconcileOptions struct {
	Members  access.MemberLister
	Interval time.Duration // default DefaultReconcileInterval
}

// Reconciler compares, for every configured resource, who holds it in Okta
// with the grants the bot recorded. A grant whose access is gone (removed
// by hand) ends as removed_outside. A person the bot removed who holds the
// access again, and anyone holding a standing: forbidden resource the bot
// did not grant, is reported once as drift, and never removed: the bot
// removes only what it granted. Only the leader runs it.
type Reconciler struct {
	s    *Service
	opts ReconcileOptions
	mu   sync.Mutex // one reconcile at a time: each reads and saves the drift state
	kick chan struct{}
}

// driftState is what DriftStateKey holds.
type driftState struct {
	// Seq is the last audit event read into Removed.
	Seq uint64 `json:"seq"`
	// Removed holds "<target> <okta user id>" for access the bot removed
	// and has not granted again since.
	Removed map[string]bool `json:"removed"`
	// Reported holds "<resource id> <okta user id> <kind>" for drift
	// reported and still there at the last reconcile.
	Reported map[string]bool `json:"reported"`
	// Late holds "<target> <okta user id>" for a grant that landed after
	// its request ended and that the bot is removing again: its own doing,
	// never drift.
	Late map[string]bool `json:"late,omitempty"`
}

// NewReconciler returns a reconcile working on s's store and provisioner.
func NewReconciler(s *Service, opts ReconcileOptions) *Reconciler {
	if opts.Interval <= 0 {
		opts.Interval = DefaultReconcileInterval
	}
	return &Reconciler{s: s, opts: opts, kick: make(chan struct{}, 1)}
}

// Run reconciles every interval (the first one interval after the start,
// so that a restarting bot first catches up with its own work) until ctx
// ends. Errors are logged; the loop goes on.
func (c *Reconciler) Run(ctx context.Context) error {
	t := time.NewTicker(c.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-c.kick:
		}
		if err := c.Reconcile(ctx); err != nil && ctx.Err() == nil {
			c.s.log.Warn().Err(err).Msg("reconcile with Okta")
		}
	}
}

// Kick asks Run to reconcile now.
func (c *Reconciler) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Reconcile compares each resource's members in Okta with the grants, once.
// Members are read one target at a time, every page, through the
// provisioner's rate-limited client. A target Okta cannot list is skipped
// until the next run.
func (c *Reconciler) Reconcile(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx = access.WithPriority(ctx, access.PriorityBackground) // grants and removals go to Okta first
	st, err := c.loadState(ctx)
	if err != nil {
		return err
	}
	if _, err := c.readTrail(ctx, st); err != nil {
		return err
	}
	// Grants active before the listing: only they can be missing from it.
	before, err := c.s.store.ListOpen(ctx)
	if err != nil {
		return err
	}
	seen := map[access.Target][]access.Member{}
	var errs []error
	for _, res := range c.s.settings().Catalog.All() {
		if res.IsBundle() {
			continue // a bundle holds nothing in Okta itself; its members are resources of their own
		}
		members, ok := seen[res.Target]
		if !ok {
			if members, err = c.list(ctx, res.Target); err != nil {
				errs = append(errs, err)
				continue
			}
			seen[res.Target] = members
		}
		if err := c.compare(ctx, st, res, members, before); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.saveState(ctx, st); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *Reconciler) list(ctx context.Context, t access.Target) ([]access.Member, error) {
	if t.Kind == access.TargetApp {
		return c.opts.Members.AppUsers(ctx, t.ID)
	}
	return c.opts.Members.GroupMembers(ctx, t.ID)
}

// compare reconciles one resource with its members, listed after before
// was read.
func (c *Reconciler) compare(ctx context.Context, st *driftState, res access.Resource, members []access.Member, before []*access.Request) error {
	held := map[string]access.Member{}
	for _, m := range members {
		held[m.UserID] = m
	}
	var errs []error
	for _, r := range before {
		if r.ResourceID != res.ID || r.State != access.StateActive || r.Grant.Removal != nil || !r.Grant.Changes() || r.Grant.Target != res.Target {
			continue
		}
		if _, ok := held[r.Grant.Account.ID]; !ok {
			errs = append(errs, c.removedOutside(ctx, r))
		}
	}
	// What the bot did while the members were listed explains what the
	// listing shows: open grants now, and removals recorded since.
	after, err := c.s.store.ListOpen(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	explained := map[string]bool{}
	for _, r := range after {
		if r.Grant.Prepared() && !r.Grant.Standing && r.Grant.Target == res.Target {
			explained[r.Grant.Account.ID] = true
		}
	}
	justRemoved, err := c.readTrail(ctx, st)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for key := range st.Reported { // drift that went away may be reported again if it comes back
		if rid, uid, _, ok := splitReported(key); ok && rid == res.ID {
			if _, still := held[uid]; !still || explained[uid] {
				delete(st.Reported, key)
			}
		}
	}
	for _, m := range members {
		pair := res.Target.String() + " " + m.UserID
		if explained[m.UserID] || justRemoved[pair] || st.Late[pair] {
			continue
		}
		kind := ""
		switch {
		case st.Removed[pair]:
			kind = access.DriftReadded
		case res.StandingForbidden:
			kind = access.DriftStanding
		default:
			continue // standing access, allowed here
		}
		key := res.ID + " " + m.UserID + " " + kind
		if st.Reported[key] {
			continue
		}
		if err := c.reportDrift(ctx, res, m, kind); err != nil {
			errs = append(errs, err)
			continue
		}
		st.Reported[key] = true
	}
	return errors.Join(errs...)
}

// removedOutside ends a grant Okta no longer holds, once Okta confirmed,
// asked about that grant alone, that the access is gone.
func (c *Reconciler) removedOutside(ctx context.Context, r *access.Request) error {
	ctx = c.s.withRequest(ctx, r)
	has, err := c.s.prov.HasAccess(ctx, r.Grant.Account, r.Grant.Target)
	if err != nil || has {
		return err // held after all (granted during the listing), or unknown: the next run looks again
	}
	ended, err := c.s.update(ctx, r.ID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.EndOutside(now); err != nil {
			return nil, errNothingToDo
		}
		return []access.Event{access.NewEvent(access.EventRemovedOutside, access.System, r, now,
			grantDetails(r, map[string]string{"why": "not held in Okta at a reconcile: removed outside accessbot"}))}, nil
	})
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	if err != nil {
		return err
	}
	c.s.logger(ctx).Warn().Str("target", ended.Grant.Target.String()).Msg("grant removed outside accessbot; closed")
	n := access.Notice{Kind: access.NoticeRemovedOutside, Request: *ended, Resource: c.s.resourceFor(ended)}
	c.s.notify(ctx, ended.Requester, n)
	c.s.announce(ctx, n)
	c.s.clearPendingExtension(ctx, ended)
	c.s.refreshApprovals(ctx, ended.ID)
	return nil
}

// reportDrift audits and announces access the bot did not grant.
func (c *Reconciler) reportDrift(ctx context.Context, res access.Resource, m access.Member, kind string) error {
	who := m.Login
	if who == "" {
		who = m.Email
	}
	ev := access.Event{Time: c.s.now(), Type: access.EventDrift, Actor: access.System, Subject: access.User{Email: m.Email},
		ResourceID: res.ID, Details: map[string]string{"kind": kind, "okta_user": m.UserID, "login": m.Login,
			"target": res.Target.String(), "by_rule": strconv.FormatBool(m.ByRule)}}
	if err := c.s.store.Append(ctx, ev); err != nil {
		return err
	}
	c.s.log.Warn().Str("resource", res.ID).Str("okta_user", m.UserID).Str("kind", kind).Bool("by_rule", m.ByRule).Msg("drift: access in Okta accessbot did not grant")
	c.s.announce(ctx, access.Notice{Kind: access.NoticeDrift, Request: access.Request{ResourceID: res.ID}, Resource: res,
		Params: access.Params{Person: who, Value: kind, ByRule: m.ByRule, Resource: res.Name}})
	return nil
}

// readTrail reads the audit events after st.Seq into st.Removed and
// returns the pairs whose access the bot removed among them.
func (c *Reconciler) readTrail(ctx context.Context, st *driftState) (map[string]bool, error) {
	events, err := c.s.store.Events(ctx, access.EventFilter{AfterSeq: st.Seq})
	if err != nil {
		return nil, err
	}
	removed := map[string]bool{}
	for _, e := range events {
		st.Seq = max(st.Seq, e.Seq)
		target, user := e.Details["target"], e.Details["okta_user"]
		if target == "" || user == "" || e.Details["dry_run"] == "true" || e.Details["standing"] != "" {
			continue
		}
		pair := target + " " + user
		switch e.Type {
		case access.EventExpired, access.EventRevoked, access.EventFailed, access.EventCancelled:
			st.Removed[pair], removed[pair] = true, true
		case access.EventProvisioned:
			delete(st.Removed, pair)
		case access.EventLateGrant:
			delete(st.Removed, pair)
			st.Late[pair] = true
		case access.EventLateGrantRemoved:
			delete(st.Late, pair)
			st.Removed[pair], removed[pair] = true, true
		}
	}
	return removed, nil
}

func (c *Reconciler) loadState(ctx context.Context) (*driftState, error) {
	st := &driftState{}
	raw, err := c.s.store.Value(ctx, DriftStateKey)
	if err != nil {
		return nil, err
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), st); err != nil {
			c.s.log.Warn().Err(err).Msg("reconcile: stored drift state unreadable; starting afresh")
			st = &driftState{}
		}
	}
	if st.Removed == nil {
		st.Removed = map[string]bool{}
	}
	if st.Reported == nil {
		st.Reported = map[string]bool{}
	}
	if st.Late == nil {
		st.Late = map[string]bool{}
	}
	return st, nil
}

func (c *Reconciler) saveState(ctx context.Context, st *driftState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return c.s.store.SetValue(ctx, DriftStateKey, string(b))
}

func splitReported(key string) (resourceID, userID, kind string, ok bool) {
	parts := strings.Fields(key)
	if len(parts) != 3 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}
