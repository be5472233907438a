package workflow

import (
	"context"
	"sync"
	"time"

	"github.com/accessbot/accessbot/access"
)

// notify sends a notice to a person; a failure is logged, not returned: the
// state change it reports has already been committed.
func (s *Service) notify(ctx context.Context, to access.User, n access.Notice) access.MessageRef {
	n.DryRun = n.DryRun || s.opts.DryRun
	ref, err := s.msg.Notify(ctx, to, n)
	if err != nil {
		s.logger(ctx).Error().Err(err).Str("notice", string(n.Kind)).Msg("notify")
	}
	return ref
}

// announce posts to the audit channel; failures are logged.
func (s *Service) announce(ctx context.Context, n access.Notice) {
	n.DryRun = n.DryRun || s.opts.DryRun
	if err := s.msg.Announce(ctx, n); err != nil {
		s.logger(ctx).Error().Err(err).Str("notice", string(n.Kind)).Msg("announce")
	}
}

// refreshApprovals redraws every approver message of request id and the
// requester's confirmation, from the stored state. Redraws of one request
// run one at a time, each reading the state when it starts, so the last
// redraw Slack receives shows the latest state.
func (s *Service) refreshApprovals(ctx context.Context, id string) {
	unlock := s.redraws.lock(id)
	defer unlock()
	r, err := s.store.Get(ctx, id)
	if err != nil {
		s.logger(ctx).Error().Err(err).Msg("reload request to refresh messages")
		return
	}
	res, err := s.resource(r)
	if err != nil {
		return
	}
	var redraws []func()
	for _, ref := range r.ApproverMessages {
		redraws = append(redraws, func() {
			var err error
			if r.Kind == access.KindBreakGlass || (r.OnCall != nil && len(r.Decisions) == 0) {
				kind := access.NoticeAutoApproved
				if r.Kind == access.KindBreakGlass {
					kind = access.NoticeBreakGlass
				}
				err = s.msg.UpdateNotice(ctx, ref, access.Notice{Kind: kind, Request: *r, Resource: *res, DryRun: s.opts.DryRun})
			} else {
				err = s.msg.UpdateApproval(ctx, ref, *r, *res)
			}
			if err != nil {
				s.logger(ctx).Error().Err(err).Str("channel", ref.Channel).Msg("update approver message")
			}
		})
	}
	if r.RequesterMessage.TS != "" && r.State != access.StatePending {
		redraws = append(redraws, func() {
			n := access.Notice{Kind: access.NoticeSubmitted, Request: *r, Resource: *res, DryRun: s.opts.DryRun}
			if err := s.msg.UpdateNotice(ctx, r.RequesterMessage, n); err != nil {
				s.logger(ctx).Error().Err(err).Msg("update requester message")
			}
		})
	}
	together(redraws)
}

// together runs fns at once and waits for them: messages to different
// people do not wait for each other's round trip to Slack.
func together(fns []func()) {
	if len(fns) == 1 {
		fns[0]()
		return
	}
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(fn)
	}
	wg.Wait()
}

// changedSince reports whether now differs from was in anything the messages
// about a request show (state, decisions, end, removal), so messages drawn
// from was, and recorded only after a concurrent change had redrawn the
// others, need redrawing too.
func changedSince(was, now *access.Request) bool {
	return was.State != now.State || len(was.Decisions) != len(now.Decisions) ||
		!was.Grant.ExpiresAt.Equal(now.Grant.ExpiresAt) || (was.Grant.Removal == nil) != (now.Grant.Removal == nil)
}

// expiresDetail is the audit detail of a grant's end.
func expiresDetail(r *access.Request) map[string]string {
	return map[string]string{"expires_at": r.Grant.ExpiresAt.UTC().Format(time.RFC3339)}
}
