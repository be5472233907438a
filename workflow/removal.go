package workflow

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Revoke ends a grant now, or an approved request still waiting for Okta.
// The holder, any approver of the resource and the admins may
// (access.Request.Revocable); anyone else gets EFORBIDDEN (audited). The
// removal is recorded before Okta is called and the grant is only marked
// revoked once Okta confirmed; if Okta fails, the sweep retries until it does.
func (s *Service) Revoke(ctx context.Context, actorID, requestID string) (*access.Request, error) {
	requestID = s.bundleOf(ctx, requestID)
	actor, r, err := s.load(ctx, actorID, requestID)
	if err != nil {
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	res, _ := s.resource(r) // a resource removed from config: holder and admins may still revoke
	var approvers access.ApproverSet
	if res != nil && !actor.Is(r.Requester) {
		approvers = s.approverSet(ctx, res, true) // groups as they are now, read outside the transaction
	}
	b, err := s.updateBundle(ctx, requestID, func(r *access.Request, members []*access.Request, now time.Time) ([]access.Event, error) {
		if err := r.Revocable(actor, res, approvers, s.isAdmin(actor)); err != nil {
			return nil, err
		}
		if err := r.BeginRemoval(access.StateRevoked, actor, "", now); err != nil {
			return nil, err
		}
		events := []access.Event{access.NewEvent(access.EventRemovalStarted, actor, r, now,
			grantDetails(r, map[string]string{"outcome": string(access.StateRevoked)}))}
		return append(events, beginMemberRemovals(r.ID, members, access.StateRevoked, actor, "", now)...), nil
	})
	if err != nil {
		if c := access.ErrorCode(err); c == access.ECONFLICT || c == access.EFORBIDDEN {
			return nil, s.refuse(ctx, actor, r, "revoke", err)
		}
		return nil, err
	}
	s.logger(ctx).Info().Str("by", actor.SlackID).Msg("revoke requested")
	s.removeMembers(ctx, b)
	return s.remove(ctx, requestID)
}

// expire starts the removal of a grant whose time is up.
func (s *Service) expire(ctx context.Context, id string) (*access.Request, error) {
	_, err := s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if r.State != access.StateActive || r.Grant.Removal != nil || now.Before(r.Grant.ExpiresAt) {
			return nil, errNothingToDo
		}
		if err := r.BeginRemoval(access.StateExpired, access.System, "", now); err != nil {
			return nil, err
		}
		return []access.Event{access.NewEvent(access.EventRemovalStarted, access.System, r, now,
			grantDetails(r, map[string]string{"outcome": string(access.StateExpired)}))}, nil
	})
	if errors.Is(err, errNothingToDo) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.remove(ctx, id)
}

// errNothingToDo aborts a transaction whose work someone else already did.
var errNothingToDo = access.Errorf(access.ECONFLICT, "nothing to do")

// removalEvents maps a removal's outcome to its audit event and notice.
var removalEvents = map[access.State]struct {
	event  access.EventType
	notice access.NoticeKind
}{
	access.StateExpired:   {access.EventExpired, access.NoticeExpired},
	access.StateRevoked:   {access.EventRevoked, access.NoticeRevoked},
	access.StateCancelled: {access.EventCancelled, access.NoticeCancelled},
	access.StateFailed:    {access.EventFailed, access.NoticeFailed},
}

// remove takes away, in Okta, exactly what the grant recorded it changed —
// the recorded account and target, whatever the config or the directory
// say now — and, once Okta confirmed it (a 404 counts as done), ends the
// request. A grant that changed nothing (standing access, a dry run, an
// attempt that never reached Okta) ends without a call; a real grant ends
// with a real removal even while the bot runs in dry run. A failure is
// recorded and retried by the sweep.
func (s *Service) remove(ctx context.Context, id string) (*access.Request, error) {
	ok, release := s.busy.claim(id)
	if !ok {
		// Another flow of this process has the request's Okta call in
		// flight; the sweep, asked to look now, removes it once that ends.
		s.Kick()
		return s.store.Get(ctx, id)
	}
	r, removed, err := s.takeAway(ctx, id)
	release()
	if err != nil || !removed {
		return r, err
	}
	s.tellRemoved(ctx, r)
	return r, nil
}

// removeClaimed is remove for a flow that has claimed the request already.
func (s *Service) removeClaimed(ctx context.Context, id string) (*access.Request, error) {
	r, removed, err := s.takeAway(ctx, id)
	if err != nil || !removed {
		return r, err
	}
	s.tellRemoved(ctx, r)
	return r, nil
}

// takeAway does remove's work in Okta and the store, with the request
// claimed; removed reports whether it ended the request now.
func (s *Service) takeAway(ctx context.Context, id string) (*access.Request, bool, error) {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if r.Grant.Removal == nil || r.State.Final() {
		return r, false, nil
	}
	if next := r.Grant.Removal.Retry.NextAt; !next.IsZero() && s.now().Before(next) {
		return r, false, nil // a failed attempt set when to try again
	}
	ctx = s.withRequest(ctx, r)
	if r.Unrecorded() {
		if r, err = s.recordLegacy(ctx, r); err != nil {
			r, err = s.removalFailed(ctx, r, err)
			return r, false, err
		}
	}
	if r.Grant.Changes() {
		if s.opts.DryRun {
			s.logger(ctx).Warn().Str("target", r.Grant.Target.String()).
				Msg("removing a real grant although the bot runs in dry run: it was granted for real, so it is removed for real")
		}
		if err := s.prov.Revoke(ctx, r.Grant.Account, r.Grant.Target); err != nil {
			r, err = s.removalFailed(ctx, r, err)
			return r, false, err
		}
	}
	r, err = s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.CompleteRemoval(now); err != nil {
			return nil, err
		}
		details := grantDetails(r, map[string]string{})
		if r.Grant.Standing {
			details["standing"] = "true: access held before accessbot was left in place"
		}
		if r.Grant.Removal.Reason != "" {
			details["reason"] = r.Grant.Removal.Reason
		}
		return []access.Event{access.NewEvent(removalEvents[r.State].event, r.Grant.Removal.By, r, now, details)}, nil
	})
	if err != nil {
		return nil, false, err
	}
	return r, true, nil
}

// removeLeftover (called with the request claimed) removes a grant that
// landed after its request ended (access.Grant.Leftover): what the grant
// recorded, like any removal, retried with the same backoff until Okta
// confirms, and said loudly once it keeps failing.
func (s *Service) removeLeftover(ctx context.Context, id string) (*access.Request, error) {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	lo := r.Grant.Leftover
	if lo == nil || !r.State.Final() {
		return r, nil
	}
	if !lo.NextAt.IsZero() && s.now().Before(lo.NextAt) {
		return r, nil // a failed attempt set when to try again
	}
	ctx = s.withRequest(ctx, r)
	if cause := s.prov.Revoke(ctx, r.Grant.Account, r.Grant.Target); cause != nil {
		if s.notMade(ctx, cause) {
			return r, nil
		}
		attempt := lo.Attempts + 1
		next := s.now().Add(s.backoff(attempt))
		updated, err := s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
			if err := r.LeftoverFailed(cause.Error(), next); err != nil {
				return nil, err
			}
			details := map[string]string{"late_grant": "true", "error": cause.Error(), "attempt": strconv.Itoa(attempt), "next_attempt": next.UTC().Format(time.RFC3339)}
			return []access.Event{access.NewEvent(access.EventRemovalFailed, access.System, r, now, grantDetails(r, details))}, nil
		})
		if err != nil {
			return nil, err
		}
		s.removalWillRetry(ctx, updated, cause, attempt, next, attempt == s.opts.RemovalAlertAfter)
		return updated, nil
	}
	return s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.LeftoverRemoved(); err != nil {
			return nil, err
		}
		return []access.Event{access.NewEvent(access.EventLateGrantRemoved, access.System, r, now, grantDetails(r, map[string]string{}))}, nil
	})
}

// tellRemoved tells the holder, and for a revocation or a failure the audit
// channel, that access is gone, and redraws the request's messages.
func (s *Service) tellRemoved(ctx context.Context, r *access.Request) {
	ctx = s.withRequest(ctx, r)
	s.logger(ctx).Info().Str("outcome", string(r.State)).Msg("access removed")
	n := access.Notice{Kind: removalEvents[r.State].notice, Request: *r, Resource: s.resourceFor(r), Actor: r.Grant.Removal.By}
	if r.State == access.StateFailed {
		n.Reason = access.Reason(r.Grant.Removal.Reason)
	}
	if r.Grant.Removal.Urgent() {
		n.Detail = r.Grant.Removal.Reason // the reason the admin gave for the revoke-all
	}
	if r.State != access.StateCancelled || !r.Grant.Removal.By.Is(r.Requester) {
		s.notify(ctx, r.Requester, n) // a requester who cancelled knows
	}
	if (r.State == access.StateRevoked || r.State == access.StateFailed) && !r.Grant.Removal.Urgent() {
		s.announce(ctx, n) // a revoke-all was announced once, as a whole
	}
	s.clearPendingExtension(ctx, r)
	s.refreshApprovals(ctx, r.ID)
	if r.Kind == access.KindBundleMember {
		// A member that ended while its bundle waited for it fails the bundle.
		if _, err := s.bundleProgress(ctx, r.ParentID); err != nil {
			s.logger(ctx).Error().Err(err).Msg("bundle progress")
		}
	}
}

// removalFailed records a failed removal for retry, and after
// RemovalAlertAfter failures tells the audit channel, once.
func (s *Service) removalFailed(ctx context.Context, r *access.Request, cause error) (*access.Request, error) {
	if s.notMade(ctx, cause) {
		return r, nil
	}
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
		return []access.Event{access.NewEvent(access.EventRemovalFailed, access.System, r, now, grantDetails(r, details))}, nil
	})
	if err != nil {
		return nil, err
	}
	s.removalWillRetry(ctx, updated, cause, attempt, next, alert)
	return updated, nil
}

// removalWillRetry logs a failed removal of r's access that is tried again
// at next; with alert (once per removal) it is loud: the access is still
// held, and a person may have to act, so the audit channel is told.
func (s *Service) removalWillRetry(ctx context.Context, r *access.Request, cause error, attempt int, next time.Time, alert bool) {
	if !alert {
		s.logger(ctx).Warn().Err(cause).Int("attempt", attempt).Time("next_attempt", next).Msg("removal failed; will retry")
		return
	}
	s.logger(ctx).Error().Err(cause).Int("attempt", attempt).Time("next_attempt", next).
		Msg("removal keeps failing: the access is still held in Okta; accessbot keeps retrying and told the audit channel")
	s.announce(ctx, access.Notice{Kind: access.NoticeRemovalFailing, Request: *r, Resource: s.resourceFor(r),
		Reason: failureReason(cause, r.Grant.Target), Params: withCount(failureParams(cause, r.Grant.Target), attempt)})
}

// notMade reports whether cause is a call to the identity provider that
// was never made because the process is stopping (access.ErrNoTurn): no
// attempt, so none is recorded, and the next start makes it.
func (s *Service) notMade(ctx context.Context, cause error) bool {
	if !errors.Is(cause, access.ErrNoTurn) {
		return false
	}
	s.logger(ctx).Info().Msg("stopping before the identity provider was called; the next start makes the call")
	return true
}

// withCount is p with Count set to n.
func withCount(p access.Params, n int) access.Params {
	p.Count = n
	return p
}
