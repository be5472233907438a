package workflow

import (
	"context"
	"strconv"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Approve records the approval of actorID (a Slack id). Who may approve is
// decided here, from stored state and config, every time: an approver of the
// resource, never the requester, once per person, while the request is
// pending. When enough approvals are in, access is provisioned at once (or,
// for an extension, the grant is extended). Returns EFORBIDDEN or ECONFLICT
// with a message for the person; refusals are audited.
func (s *Service) Approve(ctx context.Context, actorID, requestID string) (*access.Request, error) {
	return s.decide(ctx, actorID, requestID, true, "")
}

// Deny records a denial; one denial ends the request. Same rules as Approve.
func (s *Service) Deny(ctx context.Context, actorID, requestID, reason string) (*access.Request, error) {
	if len(reason) > MaxReasonLength {
		return nil, access.FieldErrorf("reason", "The reason is %d characters long; keep it under %d.", len(reason), MaxReasonLength)
	}
	return s.decide(ctx, actorID, requestID, false, reason)
}

// CheckDecider reports, without changing the request, whether actorID may
// deny request requestID now (before opening a "deny reason" modal). A
// refusal is an attempt to deny that the rules turned down, so it is
// audited like one.
func (s *Service) CheckDecider(ctx context.Context, actorID, requestID string) error {
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return err
	}
	r, err := s.store.Get(ctx, requestID)
	if err != nil {
		return err
	}
	res, err := s.resource(r)
	if err != nil {
		return err
	}
	if err := r.CheckDecider(actor, res); err != nil {
		return s.refuse(ctx, actor, r, "deny", err)
	}
	return nil
}

func (s *Service) decide(ctx context.Context, actorID, requestID string, approve bool, reason string) (*access.Request, error) {
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return nil, err
	}
	unlock := s.requests.lock(requestID)
	r, err := s.store.Get(ctx, requestID)
	if err != nil {
		unlock()
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	res, err := s.resource(r)
	if err != nil {
		unlock()
		return nil, err
	}
	check := s.checkBeforeApproval(ctx, r, res, actor, approve)
	decided := false
	r, err = s.update(ctx, requestID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if !approve {
			if err := r.Deny(actor, res, reason, now); err != nil {
				return nil, err
			}
			decided = true
			details := map[string]string{"reason": reason, DetailRequestedAt: r.CreatedAt.UTC().Format(time.RFC3339Nano)}
			return []access.Event{access.NewEvent(access.EventDenied, actor, r, now, details)}, nil
		}
		ok, err := r.Approve(actor, res, now)
		if err != nil {
			return nil, err
		}
		if ok && check.done {
			if err := r.RecordCheck(check.standing); err != nil {
				return nil, err
			}
		}
		decided = ok
		details := map[string]string{"approvals": strconv.Itoa(len(r.Approvals())), "required": strconv.Itoa(max(res.MinApprovals, 1))}
		if decided {
			details[DetailRequestedAt] = r.CreatedAt.UTC().Format(time.RFC3339Nano)
		}
		return []access.Event{access.NewEvent(access.EventApproved, actor, r, now, details)}, nil
	})
	unlock()
	if err != nil {
		if code := access.ErrorCode(err); code == access.EFORBIDDEN || code == access.ECONFLICT {
			action := "deny"
			if approve {
				action = "approve"
			}
			stored, _ := s.store.Get(ctx, requestID)
			if code == access.ECONFLICT && stored != nil && stored.State != access.StatePending {
				// A click on a decided request means the approver's DM still
				// shows buttons: the bot stopped before redrawing it. Redraw.
				s.refreshApprovals(ctx, requestID)
			}
			return nil, s.refuse(ctx, actor, stored, action, err)
		}
		return nil, err
	}
	s.logger(ctx).Info().Bool("approve", approve).Bool("decided", decided).Str("approver", actor.SlackID).Msg("decision recorded")
	if decided && approve && r.Kind != access.KindExtension {
		return s.provisionApproved(ctx, r.ID)
	}
	s.refreshApprovals(ctx, r.ID)
	if !decided {
		return r, nil
	}
	if !approve {
		kind := access.NoticeDenied
		if r.Kind == access.KindExtension {
			kind = access.NoticeExtensionDenied
			s.clearPendingExtension(ctx, r)
		}
		s.notify(ctx, r.Requester, access.Notice{Kind: kind, Request: *r, Resource: *res, Actor: actor, Detail: reason})
		s.announce(ctx, access.Notice{Kind: kind, Request: *r, Resource: *res, Actor: actor, Detail: reason})
		return r, nil
	}
	return s.applyExtension(ctx, r.ID) // an approved extension; approved access was provisioned above
}

// precheckTimeout bounds how long an approval waits for checkBeforeApproval.
const precheckTimeout = time.Second

// standingCheck is the answer to whether a requester already holds the access.
type standingCheck struct {
	done, standing bool
}

// checkBeforeApproval asks the identity provider, before the approval that
// completes request r is recorded, whether the requester already holds the
// access, so that the answer is stored with the approval: one store
// transaction fewer before the grant than when provision asks. The approval
// waits at most precheckTimeout for the answer, so a slow Okta cannot keep
// a click unrecorded. Any other decision, or no answer, leaves the asking
// to provision.
func (s *Service) checkBeforeApproval(ctx context.Context, r *access.Request, res *access.Resource, actor access.User, approve bool) standingCheck {
	if !approve || r.Kind != access.KindAccess || r.Grant.Checked || !r.Completes(actor, res) {
		return standingCheck{}
	}
	ctx, cancel := context.WithTimeout(ctx, precheckTimeout)
	defer cancel()
	standing, err := s.prov.HasAccess(ctx, r.Requester.Email, res.Target)
	if err != nil {
		s.logger(ctx).Warn().Err(err).Msg("could not ask whether the requester already has the access; asking again before the grant")
		return standingCheck{}
	}
	return standingCheck{done: true, standing: standing}
}

// provisionApproved provisions a request that was just approved and redraws
// its messages once, with the outcome: approvers see "granted until …"
// instead of "granting…" and then, a moment later, the same message again.
// When Okta is slow to answer, they get the "granting…" redraw after
// interimRedraw meanwhile, so nobody looks at Approve buttons of a request
// that is already approved.
func (s *Service) provisionApproved(ctx context.Context, id string) (*access.Request, error) {
	stop := s.redrawAfter(ctx, id, interimRedraw)
	r, err := s.provision(ctx, id)
	stop()
	if err != nil || r.State == access.StateApproved {
		// Not granted yet (an attempt failed and will be retried, or another
		// flow holds it): provision drew nothing, so show the approval.
		s.refreshApprovals(ctx, id)
	}
	return r, err
}

// interimRedraw is how long approvers may look at a request's old message
// while its grant is on its way to Okta.
const interimRedraw = 750 * time.Millisecond

// redrawAfter redraws the messages of request id if stop is not called
// within d. stop waits for a redraw already under way, so the caller's own
// redraw comes after it (redraws of one request are serialised, and each
// draws the state stored when it starts).
func (s *Service) redrawAfter(ctx context.Context, id string, d time.Duration) (stop func()) {
	ctx = context.WithoutCancel(ctx)
	ran := make(chan struct{})
	t := time.AfterFunc(d, func() {
		defer close(ran)
		s.refreshApprovals(ctx, id)
	})
	return func() {
		if !t.Stop() {
			<-ran
		}
	}
}

// provision grants an approved request in the identity provider and starts
// its clock. On failure the request stays approved and is retried with
// backoff by the sweep, until it succeeds or is given up as failed.
func (s *Service) provision(ctx context.Context, id string) (*access.Request, error) {
	unlock := s.requests.lock(id)
	defer unlock()
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != access.StateApproved || r.Kind == access.KindExtension {
		return r, nil
	}
	if next := r.Grant.Provision.NextAt; !next.IsZero() && s.now().Before(next) {
		// A sweep that queued this request while another attempt was failing:
		// the backoff that attempt recorded stands.
		return r, nil
	}
	ctx = s.withRequest(ctx, r)
	res, err := s.resource(r)
	if err != nil {
		return s.provisionFailed(ctx, r, nil, err)
	}
	if !r.Grant.Checked {
		// Asked once, before the first grant attempt: a later retry would see
		// its own earlier grant and take it for standing access.
		standing, err := s.prov.HasAccess(ctx, r.Requester.Email, res.Target)
		if err != nil {
			return s.provisionFailed(ctx, r, res, err)
		}
		r, err = s.update(ctx, id, func(r *access.Request, _ time.Time) ([]access.Event, error) {
			return nil, r.RecordCheck(standing)
		})
		if err != nil {
			return nil, err
		}
	}
	if !r.Grant.Standing && !s.opts.DryRun {
		if err := s.prov.Grant(ctx, r.Requester.Email, res.Target); err != nil {
			return s.provisionFailed(ctx, r, res, err)
		}
	}
	r, err = s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.Activate(res.MaxDuration, now); err != nil {
			return nil, err
		}
		typ := access.EventProvisioned
		if r.Grant.Standing {
			typ = access.EventStandingAccess
		}
		details := expiresDetail(r)
		details["target"] = res.Target.String()
		return []access.Event{access.NewEvent(typ, access.System, r, now, details)}, nil
	})
	if err != nil {
		return nil, err
	}
	s.logger(ctx).Info().Time("expires_at", r.Grant.ExpiresAt).Bool("standing", r.Grant.Standing).Msg("access granted")
	kind := access.NoticeGranted
	if r.Grant.Standing {
		kind = access.NoticeStanding
	}
	n := access.Notice{Kind: kind, Request: *r, Resource: *res}
	s.notify(ctx, r.Requester, n)
	if r.Kind != access.KindBreakGlass { // BreakGlass announces its own grant, loudly
		// Every approval, by people or on call, reaches the audit channel
		// once the access is real; a grant that fails is announced as failed.
		s.announce(ctx, n)
	}
	s.refreshApprovalsLocked(ctx, r, res)
	return r, nil
}

// refreshApprovalsLocked is refreshApprovals for a request already loaded.
func (s *Service) refreshApprovalsLocked(ctx context.Context, r *access.Request, res *access.Resource) {
	if len(r.ApproverMessages) > 0 || r.RequesterMessage.TS != "" {
		s.refreshApprovals(ctx, r.ID)
	}
}

func permanent(err error) bool {
	switch access.ErrorCode(err) {
	case access.ENOTFOUND, access.EINVALID, access.EFORBIDDEN:
		return true
	}
	return false
}

// provisionFailed records a failed grant attempt: retried later, or given up
// (permanent error, or out of attempts) with the requester and admins told.
// It returns the updated request and no error: the failure is handled.
func (s *Service) provisionFailed(ctx context.Context, r *access.Request, res *access.Resource, cause error) (*access.Request, error) {
	giveUp := permanent(cause) || r.Grant.Provision.Attempts+1 >= s.opts.ProvisionAttempts || res == nil
	next := s.now().Add(s.backoff(r.Grant.Provision.Attempts + 1))
	s.logger(ctx).Error().Err(cause).Bool("giving_up", giveUp).Int("attempt", r.Grant.Provision.Attempts+1).Msg("grant failed")
	updated, err := s.update(ctx, r.ID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		at := next
		if giveUp {
			at = now
		}
		if err := r.ProvisionFailed(cause.Error(), giveUp, at); err != nil {
			return nil, err
		}
		details := map[string]string{"error": cause.Error(), "attempt": strconv.Itoa(r.Grant.Provision.Attempts)}
		if giveUp {
			return []access.Event{access.NewEvent(access.EventFailed, access.System, r, now, details)}, nil
		}
		details["next_attempt"] = next.UTC().Format(time.RFC3339)
		return []access.Event{access.NewEvent(access.EventProvisionFailed, access.System, r, now, details)}, nil
	})
	if err != nil {
		return nil, err
	}
	if giveUp {
		var resource access.Resource
		if res != nil {
			resource = *res
		}
		n := access.Notice{Kind: access.NoticeFailed, Request: *updated, Resource: resource, Detail: failureDetail(cause)}
		s.notify(ctx, updated.Requester, n)
		s.announce(ctx, n)
		if res != nil {
			s.refreshApprovalsLocked(ctx, updated, res)
		}
	}
	return updated, nil
}

// failureDetail says what went wrong in words that carry no secrets.
func failureDetail(err error) string {
	if m := access.ErrorMessage(err); m != "" {
		return m
	}
	switch access.ErrorCode(err) {
	case access.EUNAVAILABLE:
		return "Okta could not be reached."
	case access.EUNAUTHORIZED:
		return "Okta refused accessbot's API token."
	}
	return "Okta returned an unexpected error."
}
