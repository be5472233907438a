package workflow

import (
	"context"
	"fmt"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Recover brings the stored requests in line with this run, once at
// start-up, before the first sweep: each open request's due time is worked
// out again from the current timing (a changed pending_ttl or reminders
// applies to requests already stored), and grants stored by an older
// accessbot, which did not record the Okta account they acted on, have it
// looked up and recorded, logged and audited. It returns how many grants
// of each kind it found; a lookup that fails is retried at removal.
func (s *Service) Recover(ctx context.Context) (rescheduled, recorded int, err error) {
	ctx = access.WithPriority(ctx, access.PriorityBackground)
	open, err := s.store.ListOpen(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, r := range open {
		if r.Unrecorded() {
			_, err := s.recordLegacy(s.withRequest(ctx, r), r)
			if access.ErrorCode(err) == access.ECONFLICT {
				continue // another replica recorded it first
			}
			if err != nil {
				s.logger(ctx).Error().Err(err).Str(FieldRequestID, r.ID).Msg("could not record the Okta account of a grant made by an older accessbot; trying again at its removal")
			} else {
				recorded++
			}
		}
	}
	rescheduled, err = s.reschedule(ctx)
	return rescheduled, recorded, err
}

// reschedule works out each open request's due time again from the current
// timing and returns how many changed.
func (s *Service) reschedule(ctx context.Context) (int, error) {
	open, err := s.store.ListOpen(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range open {
		if r.Unrecorded() {
			continue // Recover records it first; its due time follows
		}
		if due := r.NextDue(s.settings().Timing); !due.Equal(r.Due) {
			if _, err := s.update(ctx, r.ID, func(*access.Request, time.Time) ([]access.Event, error) { return nil, nil }); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// recordLegacy records the account and target of a grant an older accessbot
// made without recording them: the target from its provisioned event (or,
// before it was provisioned, the resource's), the account looked up now.
func (s *Service) recordLegacy(ctx context.Context, r *access.Request) (*access.Request, error) {
	target, dryRun, err := s.legacyTarget(ctx, r)
	if err != nil {
		return r, err
	}
	acct, err := s.prov.FindUser(ctx, r.Requester)
	if err != nil {
		return r, fmt.Errorf("look up the Okta account of %s: %w", r.Requester.Email, err)
	}
	s.logger(ctx).Warn().Str("okta_user", acct.ID).Str("target", target.String()).
		Msg("grant made by an older accessbot: recorded the Okta account its requester's email maps to now")
	return s.update(ctx, r.ID, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.RecordLegacy(acct, target, dryRun); err != nil {
			return nil, err
		}
		details := grantDetails(r, map[string]string{"looked_up_by": "email at start-up"})
		return []access.Event{access.NewEvent(access.EventGrantRecorded, access.System, r, now, details)}, nil
	})
}

// legacyTarget finds what an older grant was made on.
func (s *Service) legacyTarget(ctx context.Context, r *access.Request) (access.Target, bool, error) {
	events, err := s.store.Events(ctx, access.EventFilter{RequestID: r.ID})
	if err != nil {
		return access.Target{}, false, err
	}
	for _, e := range events {
		if e.Type != access.EventProvisioned && e.Type != access.EventStandingAccess {
			continue
		}
		if t, ok := access.ParseTarget(e.Details["target"]); ok {
			return t, e.Details["dry_run"] == "true", nil
		}
	}
	res, err := s.resource(r)
	if err != nil {
		return access.Target{}, false, fmt.Errorf("grant %s has no provisioned event and its resource left the config: %w", r.ID, err)
	}
	return res.Target, s.opts.DryRun, nil
}
