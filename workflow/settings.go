package workflow

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/accessbot/accessbot/access"
)

// Settings are the parts of the configuration that may change while the bot
// runs (a reload, a discovery refresh): the resources, the timing and the
// admins. A Settings value is never changed once the service holds it; a
// change swaps in a new one whole.
type Settings struct {
	Catalog *access.Catalog
	Timing  access.Timing
	Admins  []string // emails that may revoke any grant
}

// settingsPointer holds the current Settings; Reconfigure swaps it.
type settingsPointer struct{ p atomic.Pointer[Settings] }

// settings returns the current snapshot. A flow reads what it needs from one
// snapshot (the resource once, then that value), so a reload in the middle
// of it never mixes two configs in one decision.
func (s *Service) settings() *Settings { return s.live.p.Load() }

// Settings returns the current snapshot; callers must not modify it.
func (s *Service) Settings() *Settings { return s.settings() }

// Reconfigure replaces the resources, timing and admins at once and returns
// the ones it replaced. Requests in flight keep what they recorded: a grant
// ends on its recorded target whatever the new catalog says. Open requests
// have their due time worked out again from the new timing, as at start-up.
func (s *Service) Reconfigure(ctx context.Context, set Settings) (previous *Settings, err error) {
	if set.Catalog == nil {
		set.Catalog = access.NewCatalog(nil)
	}
	set.Timing.Reminders = slices.Clone(set.Timing.Reminders)
	set.Admins = slices.Clone(set.Admins)
	previous = s.live.p.Swap(&set)
	if !slices.Equal(previous.Timing.Reminders, set.Timing.Reminders) || previous.Timing.PendingTTL != set.Timing.PendingTTL {
		if _, err := s.reschedule(ctx); err != nil {
			return previous, err
		}
		s.Kick()
	}
	return previous, nil
}
