package workflow

import (
	"context"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Keep counts the holder's Keep it on an activity grant as a use now, at
// most once per idle_after (access.Request.Keep), which moves its idle
// removal. Anyone but the holder, a time-based grant, a second click too
// soon, or a grant that ended are refused and audited.
func (s *Service) Keep(ctx context.Context, actorID, requestID string) (*access.Request, error) {
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Get(ctx, requestID)
	if err != nil {
		return nil, err
	}
	ctx = s.withRequest(ctx, r)
	updated, err := s.update(ctx, requestID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.Keep(actor, now); err != nil {
			return nil, err
		}
		return []access.Event{access.NewEvent(access.EventKept, actor, r, now, usageDetails(r, expiresDetail(r)))}, nil
	})
	if err != nil {
		return nil, s.refuse(ctx, actor, r, "keep", err)
	}
	s.logger(ctx).Info().Time("expires_at", updated.Grant.ExpiresAt).Msg("activity grant kept")
	return updated, nil
}
