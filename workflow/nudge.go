package workflow

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Nudge reminds the approvers of a pending request who have not answered,
// at the requester's wish, at most once per access.NudgeEvery. EFORBIDDEN
// for anyone but the requester, ECONFLICT when the request is no longer
// pending or was nudged recently; refusals are audited.
func (s *Service) Nudge(ctx context.Context, actorID, requestID string) (*access.Request, error) {
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return nil, err
	}
	r, err := s.update(ctx, requestID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.Nudge(actor, now); err != nil {
			return nil, err
		}
		return []access.Event{access.NewEvent(access.EventNudged, actor, r, now, map[string]string{"by": "requester"})}, nil
	})
	if err != nil {
		if code := access.ErrorCode(err); code == access.EFORBIDDEN || code == access.ECONFLICT {
			stored, _ := s.store.Get(ctx, requestID)
			return nil, s.refuse(ctx, actor, stored, "nudge", err)
		}
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	s.nudgeApprovers(ctx, r, actor)
	return r, nil
}

// advancePending does what is due for a routed pending request: the
// time-out, else the escalation and the one reminder the bot sends itself.
func (s *Service) advancePending(ctx context.Context, r *access.Request, now time.Time) error {
	if ttl := s.settings().Timing.PendingTTL; ttl > 0 && !now.Before(r.CreatedAt.Add(ttl)) {
		return s.timeOut(ctx, r.ID)
	}
	var errs []error
	if r.EscalationDue(now) {
		errs = append(errs, s.escalate(ctx, r.ID))
	}
	if r.AutoNudgeDue(s.settings().Timing, now) {
		errs = append(errs, s.autoNudge(ctx, r.ID))
	}
	return errors.Join(errs...)
}

// autoNudge reminds, once, the approvers who have not answered
// timing.nudge_after after the request was filed.
func (s *Service) autoNudge(ctx context.Context, id string) error {
	r, err := s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if !r.AutoNudgeDue(s.settings().Timing, now) {
			return nil, errNothingToDo
		}
		r.AutoNudged = true
		return []access.Event{access.NewEvent(access.EventNudged, access.System, r, now,
			map[string]string{"by": "timing.nudge_after", "nudge_after": access.FormatDuration(s.settings().Timing.NudgeAfter)})}, nil
	})
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	if err != nil {
		return err
	}
	s.nudgeApprovers(ctx, r, access.System)
	return nil
}

// nudgeApprovers reminds each person r was sent to who has not decided, in
// the thread of the message they got when the messenger can reply in threads.
func (s *Service) nudgeApprovers(ctx context.Context, r *access.Request, by access.User) {
	res := s.resourceFor(r)
	n := s.dry(access.Notice{Kind: access.NoticeNudge, Request: *r, Resource: res, Actor: by})
	replier, threads := s.msg.(access.Replier)
	var current access.ApproverSet // a request in a later step: those of earlier steps are not reminded
	if r.Step > 0 {
		if res, err := s.resource(r); err == nil {
			current = r.Deciders(s.resolve(ctx, r.DeciderEntries(res), false), s.settings().Admins)
		}
	}
	var nudges []func()
	for _, ref := range r.ApproverMessages {
		if ref.UserID == "" || decided(r, ref.UserID) {
			continue
		}
		if r.Step > 0 && !s.decidesNow(ctx, ref.UserID, r, current) {
			continue
		}
		nudges = append(nudges, func() {
			var err error
			if threads {
				_, err = replier.Reply(ctx, ref, n)
			} else {
				_, err = s.msg.Notify(ctx, access.User{SlackID: ref.UserID}, n)
			}
			if err != nil {
				s.logger(ctx).Error().Err(err).Str("approver", ref.UserID).Msg("nudge approver")
			}
		})
	}
	together(nudges)
}

// decidesNow reports whether the Slack user slackID may decide r in its
// current step (current holds who may), themselves or as a delegate.
func (s *Service) decidesNow(ctx context.Context, slackID string, r *access.Request, current access.ApproverSet) bool {
	u, err := s.dir.UserByID(ctx, slackID)
	if err != nil {
		return false
	}
	if current.Includes(u) {
		return true
	}
	_, _, delegate := s.delegator(ctx, u, r, current)
	return delegate
}

// decided reports whether the Slack user slackID decided r.
func decided(r *access.Request, slackID string) bool {
	for _, d := range r.Decisions {
		if d.By.SlackID == slackID {
			return true
		}
	}
	return false
}

// escalate asks the escalation approvers of a request still undecided
// escalation.after after it was filed: they get the request too and may
// decide it (access.Request.DeciderEntries).
func (s *Service) escalate(ctx context.Context, id string) error {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return err
	}
	res, err := s.resource(r)
	if err != nil {
		return err
	}
	var asked []string
	for _, p := range s.resolve(ctx, res.EscalationEntries(), false).People {
		if p.Email != "" && !r.IsParty(p) && !containsFold(r.Approvers, p.Email) {
			asked = append(asked, p.Email)
		}
	}
	r, err = s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if !r.EscalationDue(now) {
			return nil, errNothingToDo
		}
		r.Escalated = true
		r.Approvers = append(r.Approvers, asked...)
		return []access.Event{access.NewEvent(access.EventEscalated, access.System, r, now,
			map[string]string{"approvers": strings.Join(asked, ","), "after": access.FormatDuration(res.Escalation.After)})}, nil
	})
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	if err != nil {
		return err
	}
	s.logger(ctx).Info().Strs("approvers", asked).Msg("request escalated")
	refs := s.sendApprovals(ctx, r, res, asked)
	if len(refs) == 0 {
		return nil
	}
	updated, err := s.update(ctx, id, func(r *access.Request, _ time.Time) ([]access.Event, error) {
		r.ApproverMessages = append(r.ApproverMessages, refs...)
		return nil, nil
	})
	if err == nil && changedSince(r, updated) {
		s.refreshApprovals(ctx, id)
	}
	return err
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
