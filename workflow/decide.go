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
		return nil, access.FieldRefuse("reason", access.ReasonReasonTooLong, access.Params{Count: len(reason), Limit: MaxReasonLength})
	}
	return s.decide(ctx, actorID, requestID, false, reason)
}

// CheckDecider reports, without changing the request, whether actorID may
// deny request requestID now (before opening a "deny reason" modal). A
// refusal is an attempt to deny that the rules turned down, so it is
// audited like one.
func (s *Service) CheckDecider(ctx context.Context, actorID, requestID string) error {
	actor, r, err := s.load(ctx, actorID, requestID)
	if err != nil {
		return err
	}
	res, err := s.resource(r)
	if err != nil {
		return err
	}
	approvers, delegator := s.deciderOf(ctx, actor, r, res)
	if err := r.CheckDeciderFor(actor, delegator, res, r.Deciders(approvers, s.settings().Admins)); err != nil {
		return s.refuse(ctx, actor, r, "deny", err)
	}
	return nil
}

// deciderOf reads who may decide r now, the groups' members as they are
// now rather than when the request was routed, and, when actor may not in
// their own right, whom actor would decide for as a delegate (zero: nobody).
func (s *Service) deciderOf(ctx context.Context, actor access.User, r *access.Request, res *access.Resource) (approvers access.ApproverSet, delegator access.User) {
	approvers = s.resolve(ctx, r.DeciderEntries(res), true)
	return approvers, s.delegateFor(ctx, actor, r, approvers)
}

// delegateFor returns whom actor would decide r for as a delegate, given
// approvers; zero when actor may decide in their own right, or not at all.
func (s *Service) delegateFor(ctx context.Context, actor access.User, r *access.Request, approvers access.ApproverSet) access.User {
	if r.Deciders(approvers, s.settings().Admins).Includes(actor) {
		return access.User{}
	}
	delegator, _, _ := s.delegator(ctx, actor, r, approvers)
	return delegator
}

// decide is the path of a click on Approve or Deny: authorize and transition
// in one store update, then (for an approval that completes the request)
// provision outside any transaction, record, and notify.
func (s *Service) decide(ctx context.Context, actorID, requestID string, approve bool, reason string) (*access.Request, error) {
	actor, r, err := s.load(ctx, actorID, requestID)
	if err != nil {
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	res, err := s.resource(r)
	if err != nil {
		return nil, err
	}
	// Read before the transaction (no network call inside it).
	approvers, delegator := s.deciderOf(ctx, actor, r, res)
	if approve && r.CheckDeciderFor(actor, delegator, res, r.Deciders(approvers, s.settings().Admins)) == nil {
		// Checked before the update, which cannot read it; a pause that
		// lands between the two is one the approval came before.
		if err := s.checkPaused(ctx, res, true); err != nil {
			return nil, s.refuse(ctx, actor, r, decisionAction(approve), err)
		}
	}
	decided := false
	step := r.Step
	r, err = s.update(ctx, requestID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		deciders := r.Deciders(approvers, s.settings().Admins)
		if !approve {
			if err := r.DenyFor(actor, delegator, res, deciders, reason, now); err != nil {
				return nil, err
			}
			decided = true
			details := forDetail(delegator, map[string]string{"reason": reason, access.DetailRequestedAt: r.CreatedAt.UTC().Format(time.RFC3339Nano)})
			return []access.Event{access.NewEvent(access.EventDenied, actor, r, now, details)}, nil
		}
		ok, err := r.ApproveFor(actor, delegator, res, deciders, now)
		if err != nil {
			return nil, err
		}
		decided = ok
		details := forDetail(delegator, map[string]string{"approvals": strconv.Itoa(r.EligibleApprovals(deciders)), "required": strconv.Itoa(res.StepRequired(step))})
		if res.Stepped() {
			details["step"] = strconv.Itoa(step + 1)
			if r.Step > step {
				details["step_approved"] = "true" // the next step is asked
			}
		}
		if decided {
			details[access.DetailRequestedAt] = r.CreatedAt.UTC().Format(time.RFC3339Nano)
		}
		return []access.Event{access.NewEvent(access.EventApproved, actor, r, now, details)}, nil
	})
	if err != nil {
		if code := access.ErrorCode(err); code == access.EFORBIDDEN || code == access.ECONFLICT || code == access.EUNAVAILABLE {
			stored, _ := s.store.Get(ctx, requestID)
			if code == access.ECONFLICT && stored != nil && stored.State != access.StatePending {
				// A click on a decided request means the approver's DM still
				// shows buttons: the bot stopped before redrawing it. Redraw.
				s.refreshApprovals(ctx, requestID)
			}
			return nil, s.refuse(ctx, actor, stored, decisionAction(approve), err)
		}
		return nil, err
	}
	s.logger(ctx).Info().Bool("approve", approve).Bool("decided", decided).Str("approver", actor.SlackID).Msg("decision recorded")
	s.refreshApprovals(ctx, r.ID)
	switch {
	case !decided && r.State == access.StatePending && r.Step > step:
		return s.askStep(ctx, r, res) // steps.go
	case !decided:
		return r, nil
	case approve && r.Kind == access.KindExtension:
		return s.applyExtension(ctx, r.ID)
	case approve:
		return s.provision(ctx, r.ID)
	}
	kind := access.NoticeDenied
	if r.Kind == access.KindExtension {
		kind = access.NoticeExtensionDenied
		s.clearPendingExtension(ctx, r)
	}
	n := access.Notice{Kind: kind, Request: *r, Resource: *res, Actor: actor, Detail: reason}
	s.notify(ctx, r.Requester, n)
	s.announce(ctx, n)
	return r, nil
}

// forDetail adds to details, for a decision under a delegation, whose it is.
func forDetail(delegator access.User, details map[string]string) map[string]string {
	if delegator != (access.User{}) {
		details["for"] = delegator.Email
	}
	return details
}

func decisionAction(approve bool) string {
	if approve {
		return "approve"
	}
	return "deny"
}

// provision grants an approved request in the identity provider and starts
// its clock, then tells the requester and redraws the request's messages.
// On failure the request stays approved and is retried with backoff by the
// sweep, until it succeeds or is given up.
func (s *Service) provision(ctx context.Context, id string) (*access.Request, error) {
	r, res, granted, err := s.grant(ctx, id)
	if err == nil && r != nil && r.Kind == access.KindBundle && r.State == access.StateApproved && r.Grant.Removal == nil {
		return s.provisionBundle(ctx, r) // its members are the grants
	}
	if err != nil || !granted {
		return r, err
	}
	ctx = s.withRequest(ctx, r)
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
	s.refreshApprovals(ctx, r.ID)
	if r.Kind == access.KindBundleMember {
		if _, err := s.bundleProgress(ctx, r.ParentID); err != nil {
			s.logger(ctx).Error().Err(err).Msg("bundle progress")
		}
	}
	return r, nil
}

// grant does provision's work in Okta and the store, with the request
// claimed (see busySet) for no longer than that: what the grant changes
// (account, target, standing, dry run) is recorded before Okta is called,
// so whatever lands can be undone exactly. granted reports whether it
// activated the grant now.
func (s *Service) grant(ctx context.Context, id string) (r *access.Request, res *access.Resource, granted bool, err error) {
	if r, err = s.store.Get(ctx, id); err != nil {
		return nil, nil, false, err
	}
	if r.State != access.StateApproved || r.Kind == access.KindExtension || r.Kind == access.KindBundle || r.Grant.Removal != nil {
		return r, nil, false, nil
	}
	ok, release := s.busy.claim(id)
	defer release()
	if !ok {
		return r, nil, false, nil // another flow of this process is granting it right now
	}
	if r, err = s.store.Get(ctx, id); err != nil || r.State != access.StateApproved || r.Grant.Removal != nil {
		return r, nil, false, err // read again now that it is ours: that flow may have just finished
	}
	if next := r.Grant.Provision.NextAt; !next.IsZero() && s.now().Before(next) {
		return r, nil, false, nil // a failed attempt set when to try again
	}
	ctx = s.withRequest(ctx, r)
	if res, err = s.resource(r); err != nil {
		r, err = s.provisionFailed(ctx, r, err)
		return r, nil, false, err
	}
	if r.Renews != "" && !r.Grant.Prepared() {
		handed, ok, err := s.handOver(ctx, r, res)
		if access.ErrorCode(err) == access.EUNAVAILABLE {
			r, err = s.provisionFailed(ctx, r, err)
			return r, nil, false, err
		}
		if err != nil || ok {
			return handed, res, ok, err
		}
	}
	if !r.Grant.Prepared() {
		if r, err = s.prepare(ctx, r, res); err != nil || !r.Grant.Prepared() {
			return r, nil, false, err
		}
	}
	if r.Grant.Changes() && s.opts.DryRun {
		// Prepared for real by a run before dry run was switched on: a dry
		// run makes no change in Okta, so the grant is given up (and what an
		// earlier attempt may have landed is removed, for real).
		r, err = s.provisionFailed(ctx, r, access.Refuse(access.EINVALID, access.ReasonDryRunNow, access.Params{RequestID: r.ID}))
		return r, nil, false, err
	}
	if r.Grant.Changes() {
		if err := s.prov.Grant(ctx, r.Grant.Account, r.Grant.Target); err != nil {
			r, err = s.provisionFailed(ctx, r, err)
			return r, nil, false, err
		}
	}
	activated, err := s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.Activate(res.MaxDuration, now); err != nil {
			return nil, err
		}
		typ := access.EventProvisioned
		if r.Grant.Standing {
			typ = access.EventStandingAccess
		}
		return []access.Event{access.NewEvent(typ, access.System, r, now, grantDetails(r, expiresDetail(r)))}, nil
	})
	if access.ErrorCode(err) == access.ECONFLICT {
		r, err = s.grantOvertaken(ctx, id)
		return r, nil, false, err
	}
	if err != nil {
		return nil, nil, false, err
	}
	return activated, res, true, nil
}

// prepare finds the requester's Okta account, asks whether they already
// hold the access, and records both with the target and the mode, before
// the first grant attempt.
func (s *Service) prepare(ctx context.Context, r *access.Request, res *access.Resource) (*access.Request, error) {
	acct, err := s.prov.FindUser(ctx, r.Requester)
	if err != nil {
		return s.provisionFailed(ctx, r, err)
	}
	standing, err := s.prov.HasAccess(ctx, acct, res.Target)
	if err != nil {
		return s.provisionFailed(ctx, r, err)
	}
	prepared, err := s.update(ctx, r.ID, func(r *access.Request, _ time.Time) ([]access.Event, error) {
		return nil, r.Prepare(acct, res.Target, standing, s.opts.DryRun)
	})
	if access.ErrorCode(err) == access.ECONFLICT {
		return s.store.Get(ctx, r.ID) // cancelled or revoked meanwhile: nothing was granted
	}
	return prepared, err
}

// grantOvertaken (called with the request claimed) handles a grant that Okta confirmed after the request was
// cancelled, revoked or given up meanwhile: that removal may have run before
// this grant landed, so the recorded access is removed (again).
func (s *Service) grantOvertaken(ctx context.Context, id string) (*access.Request, error) {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Grant.Removal == nil {
		return r, nil // another attempt activated it first
	}
	if !r.State.Final() {
		return s.removeClaimed(ctx, id)
	}
	if !r.Grant.Changes() {
		return r, nil
	}
	// Recorded before the call, so that if it fails (or this process
	// stops) the sweep of any replica removes it again until Okta confirms.
	s.logger(ctx).Warn().Str("outcome", string(r.State)).Msg("a grant landed after the request ended; removing it again")
	if _, err := s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.LandedLate(); err != nil {
			return nil, err
		}
		return []access.Event{access.NewEvent(access.EventLateGrant, access.System, r, now, grantDetails(r, map[string]string{}))}, nil
	}); err != nil {
		return r, err
	}
	return s.removeLeftover(ctx, id)
}

func permanent(err error) bool {
	switch access.ErrorCode(err) {
	case access.ENOTFOUND, access.EINVALID, access.EFORBIDDEN:
		return true
	}
	return false
}

// provisionFailed (called with the request claimed) records a failed grant attempt: retried later, or given up
// (permanent error, out of attempts, or the resource left the config). A
// request given up after an attempt that may have landed goes through a
// removal of what was recorded first (access.Request.ProvisionFailed); the
// requester and admins are told once it has failed for good. It returns the
// updated request and no error: the failure is handled.
func (s *Service) provisionFailed(ctx context.Context, r *access.Request, cause error) (*access.Request, error) {
	if s.notMade(ctx, cause) {
		return r, nil
	}
	giveUp := permanent(cause) || r.Grant.Provision.Attempts+1 >= s.opts.ProvisionAttempts
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
		if r.Grant.Removal != nil {
			r.Grant.Removal.Reason = string(failureReason(cause, r.Grant.Target)) // what the requester is told once it is removed
		}
		details := map[string]string{"error": cause.Error(), "attempt": strconv.Itoa(r.Grant.Provision.Attempts)}
		switch {
		case r.State == access.StateFailed:
			return []access.Event{access.NewEvent(access.EventFailed, access.System, r, now, details)}, nil
		case giveUp:
			details["outcome"] = string(access.StateFailed)
			return []access.Event{access.NewEvent(access.EventRemovalStarted, access.System, r, now, grantDetails(r, details))}, nil
		}
		details["next_attempt"] = next.UTC().Format(time.RFC3339)
		return []access.Event{access.NewEvent(access.EventProvisionFailed, access.System, r, now, details)}, nil
	})
	if access.ErrorCode(err) == access.ECONFLICT {
		// Cancelled or revoked while this attempt was failing: its removal
		// waits for this claim, so finish it now.
		return s.removeClaimed(ctx, r.ID)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case updated.State == access.StateFailed:
		s.tellFailed(ctx, updated, cause)
	case giveUp:
		return s.removeClaimed(ctx, r.ID) // tells once the removal is confirmed
	}
	return updated, nil
}

// tellFailed tells the requester and the audit channel that a grant failed
// for good.
func (s *Service) tellFailed(ctx context.Context, r *access.Request, cause error) {
	why := failureReason(cause, r.Grant.Target)
	n := access.Notice{Kind: access.NoticeFailed, Request: *r, Resource: s.resourceFor(r), Reason: why, Params: failureParams(cause, r.Grant.Target)}
	s.notify(ctx, r.Requester, n)
	s.announce(ctx, n)
	s.refreshApprovals(ctx, r.ID)
	if r.Kind == access.KindBundleMember {
		if _, err := s.bundleProgress(ctx, r.ParentID); err != nil {
			s.logger(ctx).Error().Err(err).Msg("bundle progress")
		}
	}
}

// failureReason says why a call to Okta failed, for the words people read:
// the reason the provisioner gave (no account for the person), else one for
// the error's code. Okta's own text never reaches people.
func failureReason(err error, t access.Target) access.Reason {
	if r, _, ok := access.ErrorReason(err); ok {
		return r
	}
	switch access.ErrorCode(err) {
	case access.EUNAVAILABLE:
		return access.ReasonOktaUnavailable
	case access.EUNAUTHORIZED:
		return access.ReasonOktaRefusedToken
	case access.EFORBIDDEN:
		return access.ReasonOktaForbidden
	case access.ENOTFOUND:
		if !t.IsZero() {
			return access.ReasonOktaNoTarget
		}
	}
	return access.ReasonOktaError
}

// failureParams are the facts behind failureReason.
func failureParams(err error, t access.Target) access.Params {
	if _, p, ok := access.ErrorReason(err); ok {
		return p
	}
	return access.Params{Value: string(t.Kind), ResourceID: t.ID}
}

// grantDetails adds to details what the grant changes in Okta, as recorded.
func grantDetails(r *access.Request, details map[string]string) map[string]string {
	g := r.Grant
	if !g.Target.IsZero() {
		details["target"] = g.Target.String()
	}
	if g.Account.ID != "" {
		details["okta_user"] = g.Account.ID
	}
	if g.Prepared() {
		details["dry_run"] = strconv.FormatBool(g.DryRun)
	}
	return usageDetails(r, details)
}
