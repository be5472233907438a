package workflow

import (
	"context"
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
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Get(ctx, requestID)
	if err != nil {
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	res, err := s.resource(r)
	if err != nil {
		return nil, err
	}
	if !actor.Is(r.Requester) {
		return nil, s.refuse(ctx, actor, r, "extend", access.Errorf(access.EFORBIDDEN, "Only the holder can extend this access."))
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
	unlock := s.requests.lock(id)
	r, err := s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.Extend(d, res, now); err != nil {
			return nil, err
		}
		details := expiresDetail(r)
		details["by"] = access.FormatDuration(d)
		details["extensions"] = strconv.Itoa(r.Grant.Extensions)
		if shift != nil {
			details = shiftDetails(*shift, details)
		}
		return []access.Event{access.NewEvent(access.EventExtended, actor, r, now, details)}, nil
	})
	unlock()
	if err != nil {
		return nil, s.refuse(ctx, actor, r, "extend", err)
	}
	s.logger(ctx).Info().Time("expires_at", r.Grant.ExpiresAt).Msg("grant extended")
	n := access.Notice{Kind: access.NoticeExtended, Request: *r, Resource: *res, Actor: actor}
	s.notify(ctx, r.Requester, n)
	s.announce(ctx, n)
	s.refreshApprovalsLocked(ctx, r, res)
	return r, nil
}

// requestExtension files an extension request for approval. One may wait at a time.
func (s *Service) requestExtension(ctx context.Context, actor access.User, grant *access.Request, d time.Duration, res *access.Resource) (*access.Request, error) {
	now := s.now()
	ext := &access.Request{
		ID: newID(), Kind: access.KindExtension, ParentID: grant.ID, Requester: grant.Requester, ResourceID: grant.ResourceID,
		Duration: d, Reason: grant.Reason, Approvers: eligibleApprovers(res, actor), State: access.StatePending, CreatedAt: now, UpdatedAt: now,
		Grant: access.Grant{GrantedAt: grant.Grant.GrantedAt, ExpiresAt: grant.Grant.ExpiresAt, Extensions: grant.Grant.Extensions},
	}
	ext.Due = ext.NextDue(s.opts.Timing)
	s.routing.add(ext.ID) // see Submit
	defer s.routing.remove(ext.ID)
	unlock := s.requests.lock(grant.ID)
	_, err := s.update(ctx, grant.ID, func(g *access.Request, now time.Time) ([]access.Event, error) {
		if g.Grant.PendingExtension != "" {
			return nil, access.Errorf(access.ECONFLICT, "An extension of this access (%s) is already waiting for approval.", g.Grant.PendingExtension)
		}
		if err := g.CheckExtension(d, res, now); err != nil {
			return nil, err
		}
		g.Grant.PendingExtension = ext.ID
		return nil, nil
	})
	if err == nil {
		details := map[string]string{"by": access.FormatDuration(d), "grant": grant.ID, "held_for": access.FormatDuration(now.Sub(grant.Grant.GrantedAt))}
		err = s.create(ctx, ext, access.NewEvent(access.EventExtensionRequested, actor, ext, now, details))
	}
	unlock()
	if err != nil {
		return nil, s.refuse(ctx, actor, grant, "extend", err)
	}
	return s.route(s.withRequest(ctx, ext), ext, res)
}

// applyExtension extends the grant of an approved extension request.
func (s *Service) applyExtension(ctx context.Context, extID string) (*access.Request, error) {
	ext, err := s.store.Get(ctx, extID)
	if err != nil {
		return nil, err
	}
	res, err := s.resource(ext)
	if err != nil {
		return nil, err
	}
	approver, _ := ext.Decider()
	unlock := s.requests.lock(ext.ParentID)
	grant, err := s.update(ctx, ext.ParentID, func(g *access.Request, now time.Time) ([]access.Event, error) {
		if g.Grant.PendingExtension != ext.ID {
			return nil, access.Errorf(access.ECONFLICT, "This extension no longer applies.")
		}
		if err := g.Extend(ext.Duration, res, now); err != nil {
			return nil, err
		}
		details := expiresDetail(g)
		details["by"] = access.FormatDuration(ext.Duration)
		details["extension_request"] = ext.ID
		details["extensions"] = strconv.Itoa(g.Grant.Extensions)
		return []access.Event{access.NewEvent(access.EventExtended, approver.By, g, now, details)}, nil
	})
	unlock()
	outcome := func(r *access.Request, now time.Time) ([]access.Event, error) { return nil, r.MarkExtended(now) }
	if err != nil {
		// The grant ended or changed first: the extension dies with it.
		s.logger(ctx).Warn().Err(err).Msg("extension could not be applied")
		outcome = func(r *access.Request, now time.Time) ([]access.Event, error) {
			return []access.Event{access.NewEvent(access.EventCancelled, access.System, r, now, map[string]string{"why": access.ErrorMessage(err)})}, r.Withdraw(now)
		}
	}
	if _, uerr := s.update(ctx, extID, outcome); uerr != nil {
		s.logger(ctx).Error().Err(uerr).Msg("close extension request")
	}
	s.refreshApprovals(ctx, extID)
	if err != nil {
		return nil, err
	}
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
		}); err != nil && err != errNothingToDo {
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

// Cancel ends a pending request at its requester's wish; approvers' messages
// are updated to say so. Anyone else gets EFORBIDDEN (audited).
func (s *Service) Cancel(ctx context.Context, actorID, requestID string) (*access.Request, error) {
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return nil, err
	}
	unlock := s.requests.lock(requestID)
	r, err := s.update(ctx, requestID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.Cancel(actor, now); err != nil {
			return nil, err
		}
		return []access.Event{access.NewEvent(access.EventCancelled, actor, r, now, nil)}, nil
	})
	unlock()
	if err != nil {
		if c := access.ErrorCode(err); c == access.EFORBIDDEN || c == access.ECONFLICT {
			stored, _ := s.store.Get(ctx, requestID)
			return nil, s.refuse(ctx, actor, stored, "cancel", err)
		}
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	s.logger(ctx).Info().Msg("request cancelled")
	if r.Kind == access.KindExtension {
		s.clearPendingExtension(ctx, r)
	}
	s.refreshApprovals(ctx, r.ID)
	return r, nil
}
