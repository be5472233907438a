package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
)

// DurationUntilShiftEnd is the duration choice "until my on-call shift ends".
const DurationUntilShiftEnd = "oncall"

// MaxReasonLength bounds a reason; longer text is refused, not cut.
const MaxReasonLength = 3000

// RequestInput is what a person filled in, in the modal or after /access request.
type RequestInput struct {
	ResourceID string
	Duration   string // "4h", "1d", or DurationUntilShiftEnd
	Reason     string
	Approvers  []string // emails; empty: every eligible approver
	// For is the Slack id of the person the access is for, when the one
	// asking asks on their behalf (the resource's on_behalf must allow it).
	For string
}

// checked is a validated RequestInput.
type checked struct {
	requester   access.User // who gets the access
	requestedBy access.User // who asked, on a request for someone else; zero otherwise
	resource    *access.Resource
	duration    time.Duration
	untilEnd    bool
	activity    *access.Activity // "while I use it": the resource's terms
	shift       *access.Shift    // set when the on-call status was asked
	reason      string
	approvers   []string
}

// Validate checks in without changing anything and returns every problem at
// once as an EINVALID error with per-field messages ("resource", "duration",
// "reason", "approvers"), or ECONFLICT when the requester already has an open
// request for the resource.
func (s *Service) Validate(ctx context.Context, actorID string, in RequestInput) error {
	_, err := s.check(ctx, actorID, in)
	return err
}

func (s *Service) check(ctx context.Context, actorID string, in RequestInput) (*checked, error) {
	requester, err := s.actor(ctx, actorID)
	if err != nil {
		return nil, err
	}
	c := &checked{requester: requester, reason: strings.TrimSpace(in.Reason)}
	res, err := s.settings().Catalog.Get(strings.TrimSpace(in.ResourceID))
	if err != nil {
		return nil, access.Invalid(asField("resource", err), reasonError(c.reason))
	}
	c.resource = res
	if err := s.checkPaused(ctx, res, false); err != nil {
		if access.ErrorCode(err) == access.ECONFLICT {
			return nil, access.Invalid(asField("resource", err), reasonError(c.reason))
		}
		return nil, err
	}
	if in.For != "" {
		if err := s.checkFor(ctx, c, in.For); err != nil {
			return nil, err
		}
	}
	var problems []*access.Error
	problems = append(problems, s.checkDuration(ctx, c, strings.TrimSpace(in.Duration)))
	problems = append(problems, reasonError(c.reason))
	problems = append(problems, s.checkApprovers(ctx, c, in.Approvers))
	if err := access.Invalid(problems...); err != nil {
		return nil, err
	}
	if err := s.checkNoOpenRequest(ctx, requester, res); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Service) checkDuration(ctx context.Context, c *checked, in string) *access.Error {
	res := c.resource
	if strings.EqualFold(in, DurationUntilShiftEnd) {
		shift, err := s.shift(ctx, c.requester, res)
		switch {
		case res.OnCall == nil || s.oncall == nil:
			return access.FieldRefuse("duration", access.ReasonNoShiftDuration, access.Params{Resource: res.Name, Allowed: res.Durations})
		case err != nil:
			return access.FieldRefuse("duration", access.ReasonShiftUnknown, access.Params{Resource: res.Name, Allowed: res.Durations})
		case shift == nil:
			return access.FieldRefuse("duration", access.ReasonNotOnCallDuration, access.Params{Resource: res.Name, Allowed: res.Durations})
		}
		c.untilEnd, c.shift = true, shift
		return nil
	}
	if strings.EqualFold(in, access.DurationActivity) {
		if res.Activity == nil {
			return access.FieldRefuse("duration", access.ReasonNoActivity, access.Params{Resource: res.Name, Allowed: res.Durations,
				OnCall: s.oncall != nil && res.OnCall != nil})
		}
		terms := *res.Activity
		c.activity = &terms
		return nil
	}
	d, err := access.ParseDuration(in)
	if err != nil || !res.AllowsDuration(d) {
		p := access.Params{Value: in, Resource: res.Name, Allowed: res.Durations, OnCall: s.oncall != nil && res.OnCall != nil,
			Activity: res.Activity != nil}
		if in == "" {
			return access.FieldRefuse("duration", access.ReasonNoDuration, p)
		}
		return access.FieldRefuse("duration", access.ReasonDurationNotAllowed, p)
	}
	c.duration = d
	return nil
}

func reasonError(reason string) *access.Error {
	switch {
	case reason == "":
		return access.FieldRefuse("reason", access.ReasonNoReason, access.Params{})
	case len(reason) > MaxReasonLength:
		return access.FieldRefuse("reason", access.ReasonReasonTooLong, access.Params{Count: len(reason), Limit: MaxReasonLength})
	}
	return nil
}

// checkApprovers enforces who may be asked: approvers of the resource
// (groups resolved), never the requester, and enough of them to reach
// min_approvals when that can be told (every group was read). With none
// chosen, the request goes to the notify list or the approvers, capped.
func (s *Service) checkApprovers(ctx context.Context, c *checked, chosen []string) *access.Error {
	res := c.resource
	eligible, set := s.eligibleApprovers(ctx, res, c.requester)
	if c.requestedBy != (access.User{}) {
		eligible = slices.DeleteFunc(eligible, func(e string) bool { return strings.EqualFold(e, c.requestedBy.Email) })
	}
	need := res.StepRequired(0)
	if set.Complete() && len(eligible) < need {
		return access.FieldRefuse("resource", access.ReasonTooFewApprovers, access.Params{Resource: res.Name, Limit: need, Count: len(eligible)})
	}
	seen := map[string]bool{}
	for _, a := range chosen {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case a == "" || seen[a]:
			continue
		case strings.EqualFold(a, c.requester.Email) || strings.EqualFold(a, c.requestedBy.Email):
			return access.FieldRefuse("approvers", access.ReasonSelfAsApprover, access.Params{})
		case !set.Includes(access.User{Email: a}):
			return access.FieldRefuse("approvers", access.ReasonNotAnApprover, access.Params{Person: a, Resource: res.Name, Names: eligible})
		}
		seen[a] = true
		c.approvers = append(c.approvers, a)
	}
	if len(c.approvers) > 0 && len(c.approvers) < need {
		return access.FieldRefuse("approvers", access.ReasonChooseMoreApprovers, access.Params{Resource: res.Name, Limit: need})
	}
	if len(c.approvers) == 0 {
		c.approvers = s.askList(ctx, res, c.requester, eligible)
		if c.requestedBy != (access.User{}) {
			c.approvers = slices.DeleteFunc(c.approvers, func(e string) bool { return strings.EqualFold(e, c.requestedBy.Email) })
		}
	}
	return nil
}

func (s *Service) checkNoOpenRequest(ctx context.Context, u access.User, res *access.Resource) error {
	open, err := s.store.ListByRequester(ctx, u.SlackID, true)
	if err != nil {
		return err
	}
	for _, r := range open {
		if r.ResourceID != res.ID || r.Kind == access.KindExtension {
			continue
		}
		if r.State == access.StatePending {
			return access.Refuse(access.ECONFLICT, access.ReasonPendingRequest, access.Params{Resource: res.Name, RequestID: r.ID})
		}
		return access.Refuse(access.ECONFLICT, access.ReasonAlreadyHeld, access.Params{Resource: res.Name, RequestID: r.ID})
	}
	return nil
}

// Submit validates in and files the request. An on-call requester of a
// resource that trusts their schedule is approved and provisioned at once;
// otherwise the approvers get a DM each. Errors are those of Validate, or of
// the store.
func (s *Service) Submit(ctx context.Context, actorID string, in RequestInput) (*access.Request, error) {
	r, c, err := s.file(ctx, actorID, in)
	if err != nil {
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	s.logger(ctx).Info().Str("duration", durationDetail(r)).Msg("request filed")

	if r.OnBehalf() {
		// On-call pre-approval is the holder's own claim; someone asking
		// for them goes to the approvers.
		return s.route(ctx, r, c.resource)
	}
	if auto, err := s.tryAutoApprove(ctx, r, c); err != nil || auto != nil {
		if auto != nil {
			return auto, nil
		}
		return nil, err
	}
	return s.route(ctx, r, c.resource)
}

// file checks in and stores the new request, one submission per person at
// a time, so that two quick submissions cannot both pass the check for an
// open request.
func (s *Service) file(ctx context.Context, actorID string, in RequestInput) (*access.Request, *checked, error) {
	defer s.users.lock(actorID)()
	c, err := s.check(ctx, actorID, in)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	r := &access.Request{
		ID: newID(), Kind: kindFor(c.resource), Requester: c.requester, RequestedBy: c.requestedBy, ResourceID: c.resource.ID,
		Duration: c.duration, UntilShiftEnd: c.untilEnd, Activity: c.activity, Reason: c.reason, Approvers: c.approvers,
		State: access.StatePending, CreatedAt: now, UpdatedAt: now,
	}
	if c.shift != nil {
		r.ShiftEnd = c.shift.End
	}
	if e := c.resource.Escalation; e != nil && e.After > 0 {
		r.EscalateAt = now.Add(e.After)
	}
	r.Due = r.NextDue(s.settings().Timing)
	details := map[string]string{"duration": durationDetail(r), "reason": r.Reason, "approvers": strings.Join(r.Approvers, ",")}
	// If this process dies before route has run, a sweep routes it
	// access.RouteGrace later (resumeRoute).
	asker := c.requester
	if r.OnBehalf() {
		asker = c.requestedBy
	}
	if err := s.create(ctx, r, access.NewEvent(access.EventRequested, asker, r, now, details)); err != nil {
		return nil, nil, fmt.Errorf("file request: %w", err)
	}
	return r, c, nil
}

func durationDetail(r *access.Request) string {
	if r.Activity != nil {
		return access.DurationActivity
	}
	if r.UntilShiftEnd {
		return DurationUntilShiftEnd
	}
	return access.FormatDuration(r.Duration)
}

// route sends the pending request to its approvers and confirms to the requester.
func (s *Service) route(ctx context.Context, r *access.Request, res *access.Resource) (*access.Request, error) {
	refs := s.sendApprovals(ctx, r, res, s.withDelegates(ctx, r, r.Approvers))
	var admins []access.MessageRef
	if len(refs) == 0 {
		// Nobody who may approve could be reached: better the admins than a
		// request that waits for no one.
		admins = s.askAdmins(ctx, r, res, map[string]string{"approvers": strings.Join(r.Approvers, ",")})
	}
	notice := access.Notice{Kind: access.NoticeSubmitted, Request: *r, Resource: *res, DryRun: s.opts.DryRun}
	switch {
	case len(admins) > 0:
		notice.Reason = access.ReasonAdminsAsked
		notice.Request.AdminsAsked = true
	case len(refs) == 0:
		notice.Reason = access.ReasonApproversUnreachable
	}
	mine, err := s.msg.Notify(ctx, asker(r), notice)
	if err != nil {
		s.logger(ctx).Error().Err(err).Msg("confirm request to requester")
	}
	var subject access.MessageRef
	if r.OnBehalf() {
		// The person it is for hears at once who asked and why, and may decline.
		subject = s.notify(ctx, r.Requester, access.Notice{Kind: access.NoticeOnBehalf, Request: *r, Resource: *res, Actor: r.RequestedBy})
	}
	routed, err := s.update(ctx, r.ID, func(r *access.Request, _ time.Time) ([]access.Event, error) {
		r.Routed = true
		r.ApproverMessages = append(r.ApproverMessages, refs...)
		r.ApproverMessages = append(r.ApproverMessages, admins...)
		if mine.TS != "" {
			r.RequesterMessage = mine
		}
		if subject.TS != "" {
			r.SubjectMessage = subject
		}
		return nil, nil
	})
	if err == nil && changedSince(r, routed) {
		// Someone decided or cancelled while the messages were on their way;
		// that change's redraw could not know of them yet.
		s.refreshApprovals(ctx, routed.ID)
	}
	return routed, err
}

// asField returns err as an error about input field, keeping its reason.
func asField(field string, err error) *access.Error {
	r, p, _ := access.ErrorReason(err)
	return access.FieldRefuse(field, r, p)
}

// kindFor is the kind of request that asks for res.
func kindFor(res *access.Resource) access.Kind {
	if res.IsBundle() {
		return access.KindBundle
	}
	return access.KindAccess
}
