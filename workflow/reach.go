package workflow

import (
	"context"
	"errors"
	"time"

	"github.com/accessbot/accessbot/access"
)

// missingWarnEvery is how often the same departed approver is warned about.
const missingWarnEvery = 24 * time.Hour

// sendApprovals sends r to each of emails and returns where the messages
// landed, in the emails' order (whichever lands first). An approver with
// no usable Slack account is skipped and warned about (warnMissing).
func (s *Service) sendApprovals(ctx context.Context, r *access.Request, res *access.Resource, emails []string) []access.MessageRef {
	sent := make([]access.MessageRef, len(emails))
	// Who may decide, read once for every message (from the cache the
	// routing just filled); a click is checked against a fresh read anyway.
	approvers := s.resolve(ctx, r.DeciderEntries(res), false)
	var asks []func()
	for i, email := range emails {
		asks = append(asks, func() {
			u, err := s.dir.UserByEmail(ctx, email)
			if err != nil {
				if access.ErrorCode(err) == access.ENOTFOUND {
					s.warnMissing(ctx, email, res, err)
				} else {
					s.logger(ctx).Error().Err(err).Str("approver", email).Msg("look up approver; not asked")
				}
				return
			}
			if sent[i], err = s.msg.SendApproval(ctx, u, *r, *res, s.toldOnly(ctx, u, r, res, approvers)); err != nil {
				s.logger(ctx).Error().Err(err).Str("approver", email).Msg("send approval request")
			}
		})
	}
	together(asks)
	var refs []access.MessageRef
	for _, ref := range sent {
		if ref.TS != "" {
			refs = append(refs, ref)
		}
	}
	return refs
}

// toldOnly reports whether u, sent request r, may not decide it (a notify
// list names people beyond the approvers): their message shows no buttons.
// Only a clear "not an approver" or "party to it" counts: when the
// approvers cannot be read, u gets the buttons and the click is checked.
func (s *Service) toldOnly(ctx context.Context, u access.User, r *access.Request, res *access.Resource, approvers access.ApproverSet) bool {
	err := r.CheckDeciderFor(u, s.delegateFor(ctx, u, r, approvers), res, r.Deciders(approvers, s.settings().Admins))
	return access.ErrorCode(err) == access.EFORBIDDEN
}

// warnMissing logs, and tells the audit channel, that an approver in the
// config has no usable Slack account (left, deactivated, renamed): once a
// day per approver, so a departure does not flood either.
func (s *Service) warnMissing(ctx context.Context, email string, res *access.Resource, cause error) {
	if ok, _ := s.missing.pass(email, s.now(), missingWarnEvery); !ok {
		return
	}
	s.logger(ctx).Warn().Err(cause).Str("approver", email).Str("resource", res.ID).Msg("approver has no usable Slack account; skipped")
	s.announce(ctx, access.Notice{Kind: access.NoticeApproverMissing, Resource: *res,
		Reason: access.ReasonApproverMissing, Params: access.Params{Person: email, Resource: res.Name}})
}

// askAdmins sends r to the admins (never a party to it) when none of the
// people who may decide it could be reached; they may then decide it
// (Request.Deciders). That they may is recorded, with the audit event,
// before the first DM goes out, so an admin's quick click is never refused.
// details are the audit event's.
func (s *Service) askAdmins(ctx context.Context, r *access.Request, res *access.Resource, details map[string]string) []access.MessageRef {
	var admins []string
	for _, a := range s.settings().Admins {
		if !r.IsParty(access.User{Email: a}) {
			admins = append(admins, a)
		}
	}
	if len(admins) == 0 {
		return nil
	}
	asked, err := s.update(ctx, r.ID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if r.AdminsAsked || r.State != access.StatePending {
			return nil, errNothingToDo
		}
		r.AdminsAsked = true
		return []access.Event{access.NewEvent(access.EventAdminsAsked, access.System, r, now, details)}, nil
	})
	if err != nil {
		if !errors.Is(err, errNothingToDo) {
			s.logger(ctx).Error().Err(err).Msg("record that the admins are asked")
		}
		return nil
	}
	return s.sendApprovals(ctx, asked, res, admins)
}
