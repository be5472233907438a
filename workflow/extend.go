package workflow

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Extend asks to extend the grant of request requestID by d. Only the holder
// may. Within the resource's extension policy it happens at once when the
// policy needs no approval (or the holder is on call for a resource that
// auto-approves); otherwise an extension request goes to the approvers and
// the grant stays active meanwhile.
func (s *Service) Extend(ctx context.Context, actorID, requestID string, d time.Duration) (*access.Request, error) {
	requestID = s.bundleOf(ctx, requestID)
	actor, r, err := s.load(ctx, actorID, requestID)
	if err != nil {
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	res, err := s.resource(r)
	if err != nil {
		return nil, err
	}
	if !actor.Is(r.Requester) {
		return nil, s.refuse(ctx, actor, r, "extend", access.Refuse(access.EFORBIDDEN, access.ReasonOnlyHolder, access.Params{RequestID: requestID}))
	}
	if err := r.CheckExtension(d, res, s.now()); err != nil {
		return nil, s.refuse(ctx, actor, r, "extend", err)
	}
	auto := !res.Extension.RequiresApproval
	var shift *access.Shift
	if !auto && res.OnCall != nil && res.OnCall.AutoApprove {
		if sh, err := s.shift(ctx, actor, res); err == nil && sh != nil {
			auto, shift = true, sh
		}
	}
	if auto {
		return s.extendNow(ctx, actor, r.ID, d, res, shift)
	}
	return s.requestExtension(ctx, actor, r, d, res)
}

func (s *Service) extendNow(ctx context.Context, actor access.User, id string, d time.Duration, res *access.Resource, shift *access.Shift) (*access.Request, error) {
	r, err := s.updateBundle(ctx, id, func(r *access.Request, members []*access.Request, now time.Time) ([]access.Event, error) {
		if !actor.Is(r.Requester) {
			return nil, access.Refuse(access.EFORBIDDEN, access.ReasonOnlyHolder, access.Params{RequestID: r.ID})
		}
		if err := r.Extend(d, res, now); err != nil {
			return nil, err
		}
		details := expiresDetail(r)
		details["by"] = access.FormatDuration(d)
		details["extensions"] = strconv.Itoa(r.Grant.Extensions)
		details = usageDetails(r, details)
		if shift != nil {
			details = shiftDetails(*shift, details)
		}
		return append([]access.Event{access.NewEvent(access.EventExtended, actor, r, now, details)}, followMembers(r, members, actor, now)...), nil
	})
	if err != nil {
		return nil, s.refuse(ctx, actor, r, "extend", err)
	}
	s.logger(ctx).Info().Time("expires_at", r.Grant.ExpiresAt).Msg("grant extended")
	n := access.Notice{Kind: access.NoticeExtended, Request: *r, Resource: *res, Actor: actor}
	s.notify(ctx, r.Requester, n)
	s.announce(ctx, n)
	s.refreshApprovals(ctx, r.ID)
	return r, nil
}

// requestExtension files an extension request for approval, in the same
// transaction that marks the grant as waiting for it: one may wait at a
// time, and a crash cannot leave one half-filed.
func (s *Service) requestExtension(ctx context.Context, actor access.User, grant *access.Request, d time.Duration, res *access.Resource) (*access.Request, error) {
	eligible, _ := s.eligibleApprovers(ctx, res, actor)
	now := s.now()
	ext := &access.Request{
		ID: newID(), Kind: access.KindExtension, ParentID: grant.ID, Requester: grant.Requester, ResourceID: grant.ResourceID,
		Duration: d, Reason: grant.Reason, Approvers: s.askList(ctx, res, actor, eligible), State: access.StatePending, CreatedAt: now, UpdatedAt: now,
		Grant: access.Grant{GrantedAt: grant.Grant.GrantedAt, ExpiresAt: grant.Grant.ExpiresAt, Extensions: grant.Grant.Extensions,
			Usage: access.Usage{Uses: grant.Grant.Usage.Uses, First: grant.Grant.Usage.First, Last: grant.Grant.Usage.Last}}, // shown to the approvers
	}
	ext.Due = ext.NextDue(s.settings().Timing)
	waiting := s.stillWaiting(ctx, grant)
	_, err := s.store.Transact(ctx, []string{grant.ID}, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		g := rs[0]
		if g.Grant.PendingExtension != "" && g.Grant.PendingExtension == waiting {
			return nil, nil, access.Refuse(access.ECONFLICT, access.ReasonExtensionWaiting, access.Params{RequestID: g.Grant.PendingExtension})
		}
		if err := g.CheckExtension(d, res, now); err != nil {
			return nil, nil, err
		}
		g.Grant.PendingExtension = ext.ID
		g.UpdatedAt = now
		details := usageDetails(g, map[string]string{"by": access.FormatDuration(d), "grant": grant.ID, "held_for": access.FormatDuration(now.Sub(grant.Grant.GrantedAt))})
		events := []access.Event{access.NewEvent(access.EventExtensionRequested, actor, ext, now, details)}
		s.markDryRun(events)
		return []*access.Request{ext}, events, nil
	})
	if err != nil {
		return nil, s.refuse(ctx, actor, grant, "extend", err)
	}
	return s.route(s.withRequest(ctx, ext), ext, res)
}

// stillWaiting returns the id of the extension request grant waits for, if
// that request is still open; "" when none is (one that ended without its
// grant hearing of it does not block a new one).
func (s *Service) stillWaiting(ctx context.Context, grant *access.Request) string {
	id := grant.Grant.PendingExtension
	if id == "" {
		return ""
	}
	if ext, err := s.store.Get(ctx, id); err == nil && ext.State.Final() {
		return ""
	}
	return id
}

// applyExtension extends the grant of an approved extension request and
// closes the extension request, in one transaction.
func (s *Service) applyExtension(ctx context.Context, extID string) (*access.Request, error) {
	ext, err := s.store.Get(ctx, extID)
	if err != nil {
		return nil, err
	}
	if ext.State != access.StateApproved {
		return ext, nil
	}
	res, err := s.resource(ext)
	if err != nil {
		return nil, err
	}
	approver, _ := ext.Decider()
	ids := []string{extID, ext.ParentID}
	var members []string // a bundle's members are extended with it, in the same transaction
	if parent, err := s.store.Get(ctx, ext.ParentID); err == nil {
		members = parent.Members
		ids = append(ids, slices.Sorted(slices.Values(members))...) // sorted, as the usage poller locks them
	}
	rs, err := s.store.Transact(ctx, ids, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		e, g := rs[0], rs[1]
		now := s.now()
		if g.Grant.PendingExtension != e.ID {
			return nil, nil, access.Refuse(access.ECONFLICT, access.ReasonExtensionVoid, access.Params{RequestID: e.ID})
		}
		if !slices.Equal(g.Members, members) {
			return nil, nil, errMembersChanged // an active bundle's members are fixed; never expected
		}
		if err := g.Extend(e.Duration, res, now); err != nil {
			return nil, nil, err
		}
		if err := e.MarkExtended(now); err != nil {
			return nil, nil, err
		}
		details := expiresDetail(g)
		details["by"] = access.FormatDuration(e.Duration)
		details["extension_request"] = e.ID
		details["extensions"] = strconv.Itoa(g.Grant.Extensions)
		details = usageDetails(g, details)
		events := []access.Event{access.NewEvent(access.EventExtended, approver.By, g, now, details)}
		events = append(events, followMembers(g, rs[2:], approver.By, now)...)
		for _, r := range rs {
			r.UpdatedAt, r.Due = now, r.NextDue(s.settings().Timing)
		}
		s.markDryRun(events)
		return nil, events, nil
	})
	if err != nil {
		// The grant ended or changed first: the extension dies with it.
		s.logger(ctx).Warn().Err(err).Msg("extension could not be applied")
		if _, uerr := s.update(ctx, extID, func(r *access.Request, now time.Time) ([]access.Event, error) {
			return []access.Event{access.NewEvent(access.EventCancelled, access.System, r, now, map[string]string{"why": string(refusal(err))})}, r.Withdraw(now)
		}); uerr != nil {
			s.logger(ctx).Error().Err(uerr).Msg("close extension request")
		}
		s.refreshApprovals(ctx, extID)
		return nil, err
	}
	grant := rs[1]
	s.refreshApprovals(ctx, extID)
	n := access.Notice{Kind: access.NoticeExtended, Request: *grant, Resource: *res, Actor: approver.By}
	s.notify(ctx, grant.Requester, n)
	s.announce(ctx, n)
	return grant, nil
}

// clearPendingExtension ends the waiting extension request of a grant that
// ended, or forgets a denied or timed-out one on its grant.
func (s *Service) clearPendingExtension(ctx context.Context, r *access.Request) {
	switch r.Kind {
	case access.KindExtension:
		if _, err := s.update(ctx, r.ParentID, func(g *access.Request, _ time.Time) ([]access.Event, error) {
			if g.Grant.PendingExtension != r.ID {
				return nil, errNothingToDo
			}
			g.Grant.PendingExtension = ""
			return nil, nil
		}); err != nil && !errors.Is(err, errNothingToDo) {
			s.logger(ctx).Error().Err(err).Msg("forget extension on grant")
		}
	default:
		extID := r.Grant.PendingExtension
		if extID == "" {
			return
		}
		if _, err := s.update(ctx, extID, func(e *access.Request, now time.Time) ([]access.Event, error) {
			if err := e.Withdraw(now); err != nil {
				return nil, err
			}
			return []access.Event{access.NewEvent(access.EventCancelled, access.System, e, now, map[string]string{"why": "the grant ended first"})}, nil
		}); err == nil {
			s.refreshApprovals(ctx, extID)
		}
	}
}

// Cancel ends a request at its requester's wish: a pending one at once
// (approvers' messages are updated to say so), an approved one still
// waiting for Okta through a removal of whatever may have landed. Anyone
// else gets EFORBIDDEN (audited).
func (s *Service) Cancel(ctx context.Context, actorID, requestID string) (*access.Request, error) {
	requestID = s.bundleOf(ctx, requestID)
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return nil, err
	}
	r, err := s.updateBundle(ctx, requestID, func(r *access.Request, members []*access.Request, now time.Time) ([]access.Event, error) {
		if err := r.Cancel(actor, now); err != nil {
			return nil, err
		}
		if r.Grant.Removal != nil {
			events := []access.Event{access.NewEvent(access.EventRemovalStarted, actor, r, now,
				grantDetails(r, map[string]string{"outcome": string(access.StateCancelled)}))}
			return append(events, beginMemberRemovals(r.ID, members, access.StateCancelled, actor, "", now)...), nil
		}
		var details map[string]string
		if r.OnBehalf() && actor.Is(r.Requester) {
			details = map[string]string{"declined": "true"} // by the person it was for
		}
		return []access.Event{access.NewEvent(access.EventCancelled, actor, r, now, details)}, nil
	})
	if err != nil {
		if c := access.ErrorCode(err); c == access.EFORBIDDEN || c == access.ECONFLICT {
			stored, _ := s.store.Get(ctx, requestID)
			return nil, s.refuse(ctx, actor, stored, "cancel", err)
		}
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	if r.Grant.Removal != nil {
		s.logger(ctx).Info().Msg("approved request cancelled; removing whatever landed")
		s.removeMembers(ctx, r)
		return s.remove(ctx, r.ID)
	}
	s.logger(ctx).Info().Msg("request cancelled")
	if r.Kind == access.KindExtension {
		s.clearPendingExtension(ctx, r)
	}
	s.refreshApprovals(ctx, r.ID)
	if r.OnBehalf() {
		// The other party hears of it: the asker that it was declined, or
		// the person it was for that it was withdrawn.
		other := r.RequestedBy
		if actor.Is(r.RequestedBy) {
			other = r.Requester
		}
		s.notify(ctx, other, access.Notice{Kind: access.NoticeCancelled, Request: *r, Resource: s.resourceFor(r), Actor: actor})
	}
	return r, nil
}

// LetExpire answers the holder's "Let it expire" on a reminder: nothing
// changes, but only the holder may say so (EFORBIDDEN, audited, for anyone
// else). It returns the grant, to redraw the reminder.
func (s *Service) LetExpire(ctx context.Context, actorID, requestID string) (*access.Request, error) {
	actor, r, err := s.load(ctx, actorID, requestID)
	if err != nil {
		return nil, err
	}
	if !actor.Is(r.Requester) {
		return nil, s.refuse(ctx, actor, r, "let_expire", access.Refuse(access.EFORBIDDEN, access.ReasonOnlyHolderReply, access.Params{RequestID: requestID}))
	}
	return r, nil
}
