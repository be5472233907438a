package workflow

import (
	"context"
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
)

// DelegateInput is what a person typed after /access delegate.
type DelegateInput struct {
	To        string   // the delegate's Slack id
	Until     string   // a date (2026-12-24) or a duration from now (90m, 1d)
	Resources []string // resource ids; none: every resource
}

// dateLayout is how a person writes the day a delegation ends.
const dateLayout = "2006-01-02"

// parseUntil reads when a delegation ends: a date ends it as that day
// begins (UTC), a duration that long from now.
func parseUntil(s string, now time.Time) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(dateLayout, s); err == nil {
		return t, true
	}
	if d, err := access.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d), true
	}
	return time.Time{}, false
}

// Delegate hands actorID's decisions to another person until a time, for
// some resources or all, replacing any delegation actorID had. The rules
// are access.NewDelegation's; the audit channel and the delegate are told.
func (s *Service) Delegate(ctx context.Context, actorID string, in DelegateInput) (access.Delegation, error) {
	if s.opts.Delegations == nil {
		return access.Delegation{}, access.Errorf(access.EINTERNAL, "no delegation store configured")
	}
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return access.Delegation{}, err
	}
	to, err := s.actor(ctx, in.To)
	if err != nil {
		if access.ErrorCode(err) == access.ENOTFOUND || access.ErrorCode(err) == access.EFORBIDDEN {
			return access.Delegation{}, access.FieldRefuse("delegate", access.ReasonUnknownDelegate, access.Params{Value: in.To})
		}
		return access.Delegation{}, err
	}
	now := s.now()
	until, ok := parseUntil(in.Until, now)
	if !ok {
		return access.Delegation{}, access.FieldRefuse("until", access.ReasonBadUntil, access.Params{Value: in.Until})
	}
	var ids []string
	for _, id := range in.Resources {
		res, err := s.settings().Catalog.Get(strings.ToLower(strings.TrimSpace(id)))
		if err != nil {
			return access.Delegation{}, asField("resource", err)
		}
		ids = append(ids, res.ID)
	}
	d, err := access.NewDelegation(actor, to, until, ids, s.opts.Delegation,
		s.approvesAll(ctx, actor, ids), s.approvesAny(ctx, to), now)
	if err != nil {
		return access.Delegation{}, s.refuse(ctx, actor, nil, "delegate", err)
	}
	ev := s.delegationEvent(access.EventDelegated, d, now)
	if err := s.opts.Delegations.PutDelegation(ctx, d, ev); err != nil {
		return access.Delegation{}, err
	}
	s.logger(ctx).Info().Str("delegate", to.SlackID).Time("until", until).Msg("delegation set")
	n := access.Notice{Kind: access.NoticeDelegated, Actor: actor, Delegation: &d}
	s.announce(ctx, n)
	s.notify(ctx, to, n)
	return d, nil
}

// EndDelegation turns off actorID's delegation before its date. ENOTFOUND
// (ReasonNoDelegation) when there is none in force.
func (s *Service) EndDelegation(ctx context.Context, actorID string) (access.Delegation, error) {
	if s.opts.Delegations == nil {
		return access.Delegation{}, access.Errorf(access.EINTERNAL, "no delegation store configured")
	}
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return access.Delegation{}, err
	}
	now := s.now()
	ds, err := s.opts.Delegations.Delegations(ctx)
	if err != nil {
		return access.Delegation{}, err
	}
	for _, d := range ds {
		if !d.From.Is(actor) || !d.Active(now) {
			continue
		}
		d.Ended = now
		if err := s.opts.Delegations.PutDelegation(ctx, d, s.delegationEvent(access.EventDelegationEnded, d, now)); err != nil {
			return access.Delegation{}, err
		}
		n := access.Notice{Kind: access.NoticeDelegationEnded, Actor: actor, Delegation: &d}
		s.announce(ctx, n)
		s.notify(ctx, d.To, n)
		return d, nil
	}
	return access.Delegation{}, access.Refuse(access.ENOTFOUND, access.ReasonNoDelegation, access.Params{})
}

// Delegations returns the delegations in force that u gave and received.
func (s *Service) Delegations(ctx context.Context, u access.User) (given, received []access.Delegation, err error) {
	ds, err := s.activeDelegations(ctx)
	for _, d := range ds {
		switch {
		case d.From.Is(u):
			given = append(given, d)
		case d.To.Is(u):
			received = append(received, d)
		}
	}
	return given, received, err
}

func (s *Service) delegationEvent(t access.EventType, d access.Delegation, now time.Time) access.Event {
	details := map[string]string{"delegate": d.To.Email, "until": d.Until.UTC().Format(time.RFC3339)}
	if len(d.Resources) > 0 {
		details["resources"] = strings.Join(d.Resources, ",")
	}
	return access.Event{Time: now, Type: t, Actor: d.From, Subject: d.To, Details: details}
}

// activeDelegations returns the delegations in force now; none without a store.
func (s *Service) activeDelegations(ctx context.Context) ([]access.Delegation, error) {
	if s.opts.Delegations == nil {
		return nil, nil
	}
	ds, err := s.opts.Delegations.Delegations(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := ds[:0]
	for _, d := range ds {
		if d.Active(now) {
			out = append(out, d)
		}
	}
	return out, nil
}

// approvesAny reports whether u is an approver of some resource in their
// own right (groups from the cache).
func (s *Service) approvesAny(ctx context.Context, u access.User) bool {
	for i := range s.settings().Catalog.All() {
		if s.approverSet(ctx, &s.settings().Catalog.All()[i], false).Includes(u) {
			return true
		}
	}
	return false
}

// approvesAll reports whether u is an approver of every resource in ids,
// or, with none, of some resource.
func (s *Service) approvesAll(ctx context.Context, u access.User, ids []string) bool {
	if len(ids) == 0 {
		return s.approvesAny(ctx, u)
	}
	for _, id := range ids {
		res, err := s.settings().Catalog.Get(id)
		if err != nil || !s.approverSet(ctx, res, false).Includes(u) {
			return false
		}
	}
	return true
}

// delegator returns the approver actor may decide r for, under a
// delegation in force (access.Request.DelegatorFor), with the policy's
// demand on the delegate checked now; ok is false when there is none.
func (s *Service) delegator(ctx context.Context, actor access.User, r *access.Request, approvers access.ApproverSet) (access.User, []access.Delegation, bool) {
	ds, err := s.activeDelegations(ctx)
	if err != nil {
		s.logger(ctx).Error().Err(err).Msg("read delegations")
		return access.User{}, nil, false
	}
	from, ok := r.DelegatorFor(actor, approvers, ds, s.now())
	if !ok || (s.opts.Delegation.To != access.DelegateToAnyone && !s.approvesAny(ctx, actor)) {
		return access.User{}, nil, false
	}
	return from, ds, true
}

// withDelegates adds to emails the delegates, in force, of those in it for
// r's resource: requests sent to an approver away go to their delegate too.
func (s *Service) withDelegates(ctx context.Context, r *access.Request, emails []string) []string {
	ds, err := s.activeDelegations(ctx)
	if err != nil {
		s.logger(ctx).Error().Err(err).Msg("read delegations")
		return emails
	}
	out := emails
	for _, d := range ds {
		if d.Covers(r.ResourceID) && containsFold(emails, d.From.Email) && !d.To.Is(r.Requester) && !containsFold(out, d.To.Email) {
			out = append(out, d.To.Email)
		}
	}
	return out
}
