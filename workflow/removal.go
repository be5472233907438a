package workflow

import (
	"context"
	"strconv"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Revoke ends a grant now. The holder, any approver of the resource and the
// admins may; anyone else gets EFORBIDDEN (audited). The removal is recorded
// before Okta is called and the grant is only marked revoked once Okta
// confirmed; if Okta fails, the sweep retries until it does.
func (s *Service) Revoke(ctx context.Context, actorID, requestID string) (*access.Request, error) {
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Get(ctx, requestID)
	if err != nil {
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	if r.Kind == access.KindExtension {
		return nil, access.Errorf(access.EINVALID, "%s is an extension request; revoke the grant %s instead.", r.ID, r.ParentID)
	}
	res, err := s.resource(r)
	if err != nil {
		return nil, err
	}
	if !actor.Is(r.Requester) && !res.IsApprover(actor.Email) && !s.isAdmin(actor) {
		return nil, s.refuse(ctx, actor, r, "revoke", access.Errorf(access.EFORBIDDEN,
			"Only the holder, an approver of %s or an admin can revoke this access.", res.Name))
	}
	unlock := s.requests.lock(requestID)
	_, err = s.update(ctx, requestID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.BeginRemoval(access.StateRevoked, actor, "", now); err != nil {
			return nil, err
		}
		return []access.Event{access.NewEvent(access.EventRemovalStarted, actor, r, now, map[string]string{"outcome": string(access.StateRevoked)})}, nil
	})
	unlock()
	if err != nil {
		if access.ErrorCode(err) == access.ECONFLICT {
			return nil, s.refuse(ctx, actor, r, "revoke", err)
		}
		return nil, err
	}
	s.logger(ctx).Info().Str("by", actor.SlackID).Msg("revoke requested")
	return s.remove(ctx, requestID)
}

// expire starts the removal of a grant whose time is up.
func (s *Service) expire(ctx context.Context, id string) (*access.Request, error) {
	unlock := s.requests.lock(id)
	_, err := s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if r.State != access.StateActive || r.Grant.Removal != nil || now.Before(r.Grant.ExpiresAt) {
			return nil, errNothingToDo
		}
		if err := r.BeginRemoval(access.StateExpired, access.System, "", now); err != nil {
			return nil, err
		}
		return []access.Event{access.NewEvent(access.EventRemovalStarted, access.System, r, now, map[string]string{"outcome": string(access.StateExpired)})}, nil
	})
	unlock()
	if err == errNothingToDo {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.remove(ctx, id)
}

// errNothingToDo aborts a transaction whose work someone else already did.
var errNothingToDo = access.Errorf(access.ECONFLICT, "nothing to do")

// remove takes the access of a grant with a pending removal away in Okta and,
// once Okta confirmed it (the provisioner counts a 404 on the membership as
// done), ends the grant. Standing access is
// never touched. A failure is recorded and retried by the sweep.
func (s *Service) remove(ctx context.Context, id string) (*access.Request, error) {
	unlock := s.requests.lock(id)
	defer unlock()
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != access.StateActive || r.Grant.Removal == nil {
		return r, nil
	}
	if next := r.Grant.Removal.Retry.NextAt; !next.IsZero() && s.now().Before(next) {
		return r, nil // a failed attempt set when to try again; see provision
	}
	ctx = s.withRequest(ctx, r)
	res, err := s.resource(r)
	if err != nil {
		// The resource left config: its target is unknown, so nothing can be
		// removed. Keep retrying loudly; an admin must restore the resource.
		return s.removalFailed(ctx, r, nil, err)
	}
	if !r.Grant.Standing && !s.opts.DryRun {
		// Any error, ENOTFOUND included, keeps the removal pending: an Okta
		// user no longer found by email (a renamed login) may still hold the
		// access, so it is retried and, past RemovalAlertAfter, alerted on.
		if err := s.prov.Revoke(ctx, r.Requester.Email, res.Target); err != nil {
			return s.removalFailed(ctx, r, res, err)
		}
	}
	r, err = s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.CompleteRemoval(now); err != nil {
			return nil, err
		}
		typ := access.EventExpired
		if r.State == access.StateRevoked {
			typ = access.EventRevoked
		}
		details := map[string]string{"target": res.Target.String()}
		if r.Grant.Standing {
			details["standing"] = "true: access held before accessbot was left in place"
		}
		return []access.Event{access.NewEvent(typ, r.Grant.Removal.By, r, now, details)}, nil
	})
	if err != nil {
		return nil, err
	}
	s.logger(ctx).Info().Str("outcome", string(r.State)).Msg("access removed")
	kind := access.NoticeExpired
	if r.State == access.StateRevoked {
		kind = access.NoticeRevoked
	}
	n := access.Notice{Kind: kind, Request: *r, Resource: *res, Actor: r.Grant.Removal.By}
	s.notify(ctx, r.Requester, n)
	if r.State == access.StateRevoked {
		s.announce(ctx, n)
	}
	s.clearPendingExtension(ctx, r)
	s.refreshApprovalsLocked(ctx, r, res)
	return r, nil
}

// removalFailed records a failed removal for retry, and after
// RemovalAlertAfter failures tells the audit channel, once.
func (s *Service) removalFailed(ctx context.Context, r *access.Request, res *access.Resource, cause error) (*access.Request, error) {
	attempt := r.Grant.Removal.Retry.Attempts + 1
	next := s.now().Add(s.backoff(attempt))
	alert := attempt >= s.opts.RemovalAlertAfter && !r.Grant.Removal.Alerted
	updated, err := s.update(ctx, r.ID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.RemovalFailed(cause.Error(), next); err != nil {
			return nil, err
		}
		if alert {
			r.Grant.Removal.Alerted = true
		}
		details := map[string]string{"error": cause.Error(), "attempt": strconv.Itoa(attempt), "next_attempt": next.UTC().Format(time.RFC3339)}
		return []access.Event{access.NewEvent(access.EventRemovalFailed, access.System, r, now, details)}, nil
	})
	if err != nil {
		return nil, err
	}
	if alert {
		// Loud, once: the access is still held, and a person may have to act.
		s.logger(ctx).Error().Err(cause).Int("attempt", attempt).Time("next_attempt", next).
			Msg("removal keeps failing: the access is still held in Okta; accessbot keeps retrying and told the audit channel")
	} else {
		s.logger(ctx).Warn().Err(cause).Int("attempt", attempt).Time("next_attempt", next).Msg("removal failed; will retry")
	}
	if alert {
		var resource access.Resource
		if res != nil {
			resource = *res
		}
		s.announce(ctx, access.Notice{Kind: access.NoticeRemovalFailing, Request: *updated, Resource: resource,
			Detail: failureDetail(cause) + " Removal failed " + strconv.Itoa(attempt) + " times; accessbot keeps retrying."})
	}
	return updated, nil
}
