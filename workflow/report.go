package workflow

import (
	"context"
	"time"

	"github.com/accessbot/accessbot/access"
)

// DefaultReportWindow is how far back /access report looks: grants that
// ended in the last 30 days.
const DefaultReportWindow = 30 * 24 * time.Hour

// Report returns the utilization of the access granted (all resources,
// or resourceID alone) over the grants that ended in the last window, for
// an admin. Anyone else gets EFORBIDDEN (audited); an unknown resource id
// ENOTFOUND.
func (s *Service) Report(ctx context.Context, actorID, resourceID string, window time.Duration) ([]access.Utilization, error) {
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return nil, err
	}
	if !s.isAdmin(actor) {
		return nil, s.refuse(ctx, actor, nil, "report", access.Refuse(access.EFORBIDDEN, access.ReasonReportForbidden, access.Params{}))
	}
	if resourceID != "" {
		if _, err := s.settings().Catalog.Get(resourceID); err != nil {
			return nil, err
		}
	}
	if window <= 0 {
		window = DefaultReportWindow
	}
	events, err := s.store.Events(ctx, access.EventFilter{Since: s.now().Add(-window), ResourceID: resourceID})
	if err != nil {
		return nil, err
	}
	offered := map[string][]time.Duration{}
	for _, r := range s.settings().Catalog.All() {
		offered[r.ID] = r.Durations
	}
	return access.ReportUtilization(events, offered), nil
}
