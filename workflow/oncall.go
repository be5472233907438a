package workflow

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
)

// shift returns the on-call shift that qualifies u for res, nil when there is
// none (or on-call is off), and an error when PagerDuty could not be asked.
func (s *Service) shift(ctx context.Context, u access.User, res *access.Resource) (*access.Shift, error) {
	if res.OnCall == nil || s.oncall == nil {
		return nil, nil
	}
	shifts, err := s.oncall.CurrentShifts(ctx, u.Email, *res.OnCall, s.now())
	if err != nil {
		return nil, err
	}
	if sh, ok := access.QualifyingShift(res.OnCall, shifts); ok {
		return &sh, nil
	}
	return nil, nil
}

func shiftDetails(sh access.Shift, details map[string]string) map[string]string {
	if details == nil {
		details = map[string]string{}
	}
	if sh.ScheduleID != "" {
		details["schedule"] = sh.ScheduleID
	}
	if sh.EscalationPolicyID != "" {
		details["escalation_policy"] = sh.EscalationPolicyID
	}
	details["escalation_level"] = strconv.Itoa(sh.Level)
	if sh.End.IsZero() {
		details["shift_end"] = "open-ended"
	} else {
		details["shift_end"] = sh.End.UTC().Format(time.RFC3339)
	}
	return details
}

// tryAutoApprove approves r at once when its resource auto-approves on-call
// requesters and the requester is on call. It returns nil, nil when the
// request must go to people instead. A PagerDuty failure never approves: the
// requester is told, and the request goes to the approvers.
func (s *Service) tryAutoApprove(ctx context.Context, r *access.Request, c *checked) (*access.Request, error) {
	res := c.resource
	if res.OnCall == nil || !res.OnCall.AutoApprove || s.oncall == nil {
		return nil, nil
	}
	sh := c.shift
	if sh == nil {
		var err error
		sh, err = s.shift(ctx, c.requester, res)
		if err != nil {
			s.logger(ctx).Warn().Err(err).Msg("on-call status unknown; falling back to approvers")
			s.notify(ctx, r.Requester, access.Notice{Kind: access.NoticeOnCallFallback, Request: *r, Resource: *res,
				Reason: access.ReasonOnCallFallback})
			return nil, nil
		}
	}
	if sh == nil {
		return nil, nil
	}
	r, err := s.update(ctx, r.ID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.AutoApprove(*sh, now); err != nil {
			return nil, err
		}
		details := shiftDetails(*sh, map[string]string{access.DetailRequestedAt: r.CreatedAt.UTC().Format(time.RFC3339Nano)})
		return []access.Event{access.NewEvent(access.EventAutoApproved, r.Requester, r, now, details)}, nil
	})
	if err != nil {
		return nil, err
	}
	s.logger(ctx).Info().Msg("auto-approved: requester is on call")
	s.tellApprovers(ctx, r, res, access.NoticeAutoApproved)
	return s.provision(ctx, r.ID)
}

// tellApprovers sends every approver of res but the requester one FYI
// notice (no buttons) and records where it landed.
func (s *Service) tellApprovers(ctx context.Context, r *access.Request, res *access.Resource, kind access.NoticeKind) {
	var refs []access.MessageRef
	eligible, _ := s.eligibleApprovers(ctx, res, r.Requester)
	for _, email := range s.askList(ctx, res, r.Requester, eligible) {
		u, err := s.dir.UserByEmail(ctx, email)
		if err != nil {
			s.logger(ctx).Error().Err(err).Str("approver", email).Msg("approver has no Slack account; not told")
			continue
		}
		ref, err := s.msg.Notify(ctx, u, access.Notice{Kind: kind, Request: *r, Resource: *res, DryRun: s.opts.DryRun})
		if err != nil {
			s.logger(ctx).Error().Err(err).Str("approver", email).Msg("tell approver")
			continue
		}
		refs = append(refs, ref)
	}
	if len(refs) == 0 {
		return
	}
	told, err := s.update(ctx, r.ID, func(r *access.Request, _ time.Time) ([]access.Event, error) {
		r.ApproverMessages = append(r.ApproverMessages, refs...)
		return nil, nil
	})
	if err != nil {
		s.logger(ctx).Error().Err(err).Msg("record approver messages")
		return
	}
	if changedSince(r, told) {
		// Revoked (say) while the messages were on their way: redraw them.
		s.refreshApprovals(ctx, told.ID)
	}
}

// BreakGlass grants an on-call responder emergency access at once, for the
// resource's break-glass duration, and tells the approvers and the audit
// channel loudly. Refusals (resource does not allow it, not on call, no
// reason, PagerDuty unreachable) are audited and returned as EFORBIDDEN or
// EINVALID with a message for the person.
func (s *Service) BreakGlass(ctx context.Context, actorID, resourceID, reason string) (*access.Request, error) {
	ctx = access.WithPriority(ctx, access.PriorityUrgent) // an emergency goes to Okta before anything else
	u, err := s.actor(ctx, actorID)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	res, err := s.settings().Catalog.Get(strings.TrimSpace(resourceID))
	refused := func(err error) (*access.Request, error) {
		ev := &access.Request{Requester: u, ResourceID: resourceID, Reason: reason}
		if access.ErrorCode(err) == access.EFORBIDDEN && res != nil {
			// An emergency attempt the rules turned down is worth a look, once
			// per person and resource in a while, with a count; a typo
			// (unknown resource, no reason) is not.
			if ok, held := s.refusals.pass(u.SlackID+"\x00"+res.ID, s.now(), refusalWindow); ok {
				s.announce(ctx, access.Notice{Kind: access.NoticeBreakGlassRefused, Request: *ev, Resource: *res, Actor: u,
					Reason: refusal(err), Params: refusalParams(err), Repeats: held})
			}
		}
		return nil, s.refuse(ctx, u, ev, "break_glass", err)
	}
	switch {
	case err != nil:
		return refused(asField("resource", err))
	case res.OnCall == nil || !res.OnCall.BreakGlass:
		return refused(access.Refuse(access.EFORBIDDEN, access.ReasonNoBreakGlass, access.Params{Resource: res.Name, ResourceID: res.ID}))
	case s.oncall == nil:
		return refused(access.Refuse(access.EFORBIDDEN, access.ReasonNoPagerDuty, access.Params{Resource: res.Name, ResourceID: res.ID}))
	}
	if err := reasonError(reason); err != nil {
		return refused(err)
	}
	if err := s.checkPaused(ctx, res, false); err != nil {
		return refused(err)
	}
	sh, err := s.shift(ctx, u, res)
	switch {
	case err != nil:
		return refused(access.Refuse(access.EFORBIDDEN, access.ReasonBreakGlassUnknown, access.Params{Resource: res.Name, ResourceID: res.ID}))
	case sh == nil:
		return refused(access.Refuse(access.EFORBIDDEN, access.ReasonNotOnCall, access.Params{Resource: res.Name, ResourceID: res.ID}))
	}

	r, err := s.fileBreakGlass(ctx, u, res, *sh, reason)
	if err != nil {
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	s.logger(ctx).Warn().Msg("break-glass: on-call responder granted emergency access")
	granted, err := s.provision(ctx, r.ID)
	if granted != nil {
		r = granted
	}
	// Told after provisioning so the message says until when; told even if it failed.
	s.recordNotice(ctx, r.ID, s.announce(ctx, access.Notice{Kind: access.NoticeBreakGlass, Request: *r, Resource: *res, Actor: u}))
	s.tellApprovers(ctx, r, res, access.NoticeBreakGlass)
	return r, err
}

// fileBreakGlass stores an approved break-glass request, withdrawing a
// request of the same person for the resource still waiting for approvers;
// one submission per person at a time (see file).
func (s *Service) fileBreakGlass(ctx context.Context, u access.User, res *access.Resource, sh access.Shift, reason string) (*access.Request, error) {
	defer s.users.lock(u.SlackID)()
	open, err := s.store.ListByRequester(ctx, u.SlackID, true)
	if err != nil {
		return nil, err
	}
	for _, o := range open {
		if o.ResourceID != res.ID || o.Kind == access.KindExtension {
			continue
		}
		if o.State != access.StatePending {
			return nil, access.Refuse(access.ECONFLICT, access.ReasonAlreadyHeldNow, access.Params{Resource: res.Name, RequestID: o.ID})
		}
		// The emergency supersedes a request still waiting for approvers.
		if _, err := s.update(ctx, o.ID, func(o *access.Request, now time.Time) ([]access.Event, error) {
			if err := o.Withdraw(now); err != nil {
				return nil, err
			}
			return []access.Event{access.NewEvent(access.EventCancelled, u, o, now, map[string]string{"why": "superseded by break-glass"})}, nil
		}); err == nil {
			s.refreshApprovals(ctx, o.ID)
		}
	}
	eligible, _ := s.eligibleApprovers(ctx, res, u)
	now := s.now()
	r := &access.Request{
		ID: newID(), Kind: access.KindBreakGlass, Requester: u, ResourceID: res.ID, Duration: res.BreakGlassDuration(),
		Reason: reason, Approvers: eligible, State: access.StatePending, CreatedAt: now, UpdatedAt: now,
	}
	if err := r.AutoApprove(sh, now); err != nil {
		return nil, err
	}
	r.Due = r.NextDue(s.settings().Timing)
	details := shiftDetails(sh, map[string]string{"duration": access.FormatDuration(r.Duration), "reason": reason})
	if err := s.create(ctx, r, access.NewEvent(access.EventBreakGlass, u, r, now, details)); err != nil {
		return nil, err
	}
	return r, nil
}
