package workflow

import (
	"context"

	"github.com/accessbot/accessbot/access"
)

// resumeRoute sends a pending request to its approvers when the bot that
// filed it stopped before it could (a crash between the store commit and
// the DMs): the sweep finds it access.RouteGrace after it was filed. It does what Submit would have done next: an on-call requester
// of a resource that trusts their schedule is approved; otherwise the
// approvers are asked. An approver who got the DM just before the crash
// gets it again; that is better than nobody being asked.
func (s *Service) resumeRoute(ctx context.Context, id string) error {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return err
	}
	if !r.NeedsRouting() {
		return nil
	}
	ctx = s.withRequest(ctx, r)
	if ttl := s.settings().Timing.PendingTTL; ttl > 0 && !s.now().Before(r.CreatedAt.Add(ttl)) {
		return s.timeOut(ctx, id) // too late to ask anyone
	}
	res, err := s.resource(r)
	if err != nil {
		return err
	}
	s.logger(ctx).Warn().Msg("request was filed but never sent to approvers (the bot stopped); sending it now")
	if r.Kind == access.KindAccess {
		auto, err := s.tryAutoApprove(ctx, r, &checked{requester: r.Requester, resource: res})
		if err != nil || auto != nil {
			return err
		}
	}
	_, err = s.route(ctx, r, res)
	return err
}
