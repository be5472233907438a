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
	ref, err := s.msg.Notify(ctx, to, s.dry(n))
	if err != nil {
		s.logger(ctx).Error().Err(err).Str("notice", string(n.Kind)).Msg("notify")
	}
	return ref
}

// announce posts to the audit channel and returns where the post landed;
// failures are logged.
func (s *Service) announce(ctx context.Context, n access.Notice) access.MessageRef {
	ref, err := s.msg.Announce(ctx, s.dry(n))
	if err != nil {
		s.logger(ctx).Error().Err(err).Str("notice", string(n.Kind)).Msg("announce")
	}
	return ref
}

// refreshApprovals redraws every approver message of request id and the
// requester's confirmation, from the stored state. Redraws of one request
// run one at a time, each reading the state when it starts, so the last
// redraw Slack receives shows the latest state.
func (s *Service) refreshApprovals(ctx context.Context, id string) {
	defer s.redraws.lock(id)()
	r, err := s.store.Get(ctx, id)
	if err != nil {
		s.logger(ctx).Error().Err(err).Msg("reload request to refresh messages")
		return
	}
	res := s.resourceFor(r)
	var redraws []func()
	for _, ref := range r.ApproverMessages {
		redraws = append(redraws, func() {
			var err error
			if r.Kind == access.KindBreakGlass || (r.OnCall != nil && len(r.Decisions) == 0) {
				kind := access.NoticeAutoApproved
				if r.Kind == access.KindBreakGlass {
					kind = access.NoticeBreakGlass
				}
				err = s.msg.UpdateNotice(ctx, ref, s.dry(access.Notice{Kind: kind, Request: *r, Resource: res}))
			} else {
				err = s.msg.UpdateApproval(ctx, ref, *r, res)
			}
			if err != nil {
				s.logger(ctx).Error().Err(err).Str("channel", ref.Channel).Msg("update approver message")
			}
		})
	}
	if r.RequesterMessage.TS != "" && r.State != access.StatePending {
		redraws = append(redraws, func() {
			n := s.dry(access.Notice{Kind: access.NoticeSubmitted, Request: *r, Resource: res})
			if err := s.msg.UpdateNotice(ctx, r.RequesterMessage, n); err != nil {
				s.logger(ctx).Error().Err(err).Msg("update requester message")
			}
		})
	}
	if r.SubjectMessage.TS != "" && r.State != access.StatePending {
		redraws = append(redraws, func() {
			n := s.dry(access.Notice{Kind: access.NoticeOnBehalf, Request: *r, Resource: res, Actor: r.RequestedBy})
			if err := s.msg.UpdateNotice(ctx, r.SubjectMessage, n); err != nil {
				s.logger(ctx).Error().Err(err).Msg("update the message to the person the request is for")
			}
		})
	}
	together(redraws)
}

// recordNotice records where a notice with buttons about request id landed,
// so that a click on it may redraw it.
func (s *Service) recordNotice(ctx context.Context, id string, ref access.MessageRef) {
	if ref.TS == "" {
		return
	}
	if _, err := s.update(ctx, id, func(r *access.Request, _ time.Time) ([]access.Event, error) {
		r.Messages = appendRef(r.Messages, ref)
		return nil, nil
	}); err != nil {
		s.logger(ctx).Error().Err(err).Msg("record where a notice landed")
	}
}

// appendRef appends ref to refs unless it is empty or there already.
func appendRef(refs []access.MessageRef, ref access.MessageRef) []access.MessageRef {
	if ref.TS == "" {
		return refs
	}
	for _, r := range refs {
		if r.Channel == ref.Channel && r.TS == ref.TS {
			return refs
		}
	}
	return append(refs, ref)
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
