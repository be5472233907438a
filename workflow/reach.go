package workflow

import (
	"context"
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
			if sent[i], err = s.msg.SendApproval(ctx, u, *r, *res); err != nil {
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

// askAdmins sends r to the admins (never the requester) when none of its
// approvers could be reached; they may then decide it (Request.Deciders).
func (s *Service) askAdmins(ctx context.Context, r *access.Request, res *access.Resource) []access.MessageRef {
	var admins []string
	for _, a := range s.opts.Admins {
		if !(access.User{Email: a}).Is(r.Requester) {
			admins = append(admins, a)
		}
	}
	if len(admins) == 0 {
		return nil
	}
	asked := *r
	asked.AdminsAsked = true
	return s.sendApprovals(ctx, &asked, res, admins)
}
