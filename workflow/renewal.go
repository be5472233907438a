package workflow

import (
	"context"
	"strings"

	"github.com/accessbot/accessbot/access"
)

// Renew asks, with one click from the last reminder of an activity grant
// at its max_age, for the same access again: a new request that goes to
// the approvers like any other (the max_age exists so that someone looks
// again). Once approved, the grant is handed over to it with nothing
// removed in Okta (handOver); if the old grant ended first, the new one is
// granted as usual. Only the holder may; refusals are audited.
func (s *Service) Renew(ctx context.Context, actorID, grantID string) (*access.Request, error) {
	actor, g, err := s.load(ctx, actorID, grantID)
	if err != nil {
		return nil, err
	}
	ctx = s.withRequest(ctx, g)
	if err := g.Renewable(actor); err != nil {
		return nil, s.refuse(ctx, actor, g, "renew", err)
	}
	res, err := s.resource(g)
	if err != nil {
		return nil, s.refuse(ctx, actor, g, "renew", err)
	}
	if res.Activity == nil {
		return nil, s.refuse(ctx, actor, g, "renew", access.Refuse(access.EINVALID, access.ReasonNoActivity,
			access.Params{Resource: res.Name, Allowed: res.Durations}))
	}
	r, err := s.fileRenewal(ctx, actor, g, res)
	if err != nil {
		return nil, s.refuse(ctx, actor, g, "renew", err)
	}
	s.logger(ctx).Info().Str("renewal", r.ID).Msg("renewal of an activity grant filed")
	return s.route(s.withRequest(ctx, r), r, res)
}

// fileRenewal stores the renewal request of grant g, one at a time per
// grant (see file for the lock).
func (s *Service) fileRenewal(ctx context.Context, actor access.User, g *access.Request, res *access.Resource) (*access.Request, error) {
	defer s.users.lock(actor.SlackID)()
	open, err := s.store.ListByRequester(ctx, g.Requester.SlackID, true)
	if err != nil {
		return nil, err
	}
	for _, o := range open {
		if o.Renews == g.ID {
			return nil, access.Refuse(access.ECONFLICT, access.ReasonRenewalWaiting, access.Params{RequestID: o.ID})
		}
	}
	eligible, _ := s.eligibleApprovers(ctx, res, actor)
	if len(eligible) < res.RequiredApprovals() {
		return nil, access.Refuse(access.EINVALID, access.ReasonTooFewApprovers, access.Params{Resource: res.Name, Limit: res.RequiredApprovals(), Count: len(eligible)})
	}
	terms := *res.Activity
	now := s.now()
	r := &access.Request{
		ID: newID(), Kind: access.KindAccess, Renews: g.ID, Requester: g.Requester, ResourceID: g.ResourceID,
		Activity: &terms, Reason: g.Reason, Approvers: s.askList(ctx, res, actor, eligible), State: access.StatePending, CreatedAt: now, UpdatedAt: now,
	}
	r.Due = r.NextDue(s.settings().Timing)
	details := usageDetails(g, map[string]string{"duration": access.DurationActivity, "reason": r.Reason,
		"approvers": strings.Join(r.Approvers, ","), "renews": g.ID})
	if err := s.create(ctx, r, access.NewEvent(access.EventRequested, actor, r, now, details)); err != nil {
		return nil, err
	}
	return r, nil
}

// handOver gives an approved renewal the access of the grant it renews, in
// one transaction, when that grant still holds it; handed reports whether
// it did. Otherwise the renewal is granted as a new request.
func (s *Service) handOver(ctx context.Context, r *access.Request, res *access.Resource) (*access.Request, bool, error) {
	rs, err := s.store.Transact(ctx, []string{r.ID, r.Renews}, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		next, old := rs[0], rs[1]
		now := s.now()
		if err := old.HandOver(next, res.MaxDuration, now); err != nil {
			return nil, nil, err
		}
		for _, x := range rs {
			x.UpdatedAt, x.Due = now, x.NextDue(s.settings().Timing)
		}
		typ := access.EventProvisioned
		if next.Grant.Standing {
			typ = access.EventStandingAccess
		}
		events := []access.Event{
			access.NewEvent(access.EventRenewed, access.System, old, now, usageDetails(old, grantDetails(old, map[string]string{"renewed_by": next.ID}))),
			access.NewEvent(typ, access.System, next, now, grantDetails(next, expiresDetail(next))),
		}
		events[1].Details["renews"] = old.ID
		s.markDryRun(events)
		return nil, events, nil
	})
	if access.ErrorCode(err) == access.ECONFLICT || access.ErrorCode(err) == access.ENOTFOUND {
		if old, gerr := s.store.Get(ctx, r.Renews); gerr == nil && !old.State.Final() {
			// Its removal is under way: granting anew now would take the
			// membership about to go for standing access. Try again once
			// the removal is done (a failed attempt, retried with backoff).
			return r, false, access.Refuse(access.EUNAVAILABLE, access.ReasonRenewalWaitsForRemoval, access.Params{RequestID: old.ID})
		}
		return r, false, nil // the old grant ended first: grant anew
	}
	if err != nil {
		return nil, false, err
	}
	s.refreshApprovals(ctx, r.Renews)
	return rs[0], true, nil
}
