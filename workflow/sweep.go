package workflow

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/accessbot/accessbot/access"
)

// sweepBatch is how many due requests one store read returns.
const sweepBatch = 256

// Run sweeps at once (so a bot that was down catches up at start-up), then
// every interval, until ctx ends; and when the store can tell when the next
// request falls due (store.Store can), also at that moment, so that access
// is removed on time rather than up to an interval late. Errors of one sweep
// are logged; the loop goes on.
func (s *Service) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		swept := s.now()
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error().Err(err).Msg("sweep")
		}
		wake := s.nextDue(ctx, swept, interval)
		select {
		case <-ctx.Done():
			wake.Stop()
			return nil
		case <-t.C:
		case <-s.kick:
		case <-wake.C:
		}
		wake.Stop()
	}
}

// dueIndex is what a store offers to tell when the next request falls due.
type dueIndex interface {
	// NextDue returns the earliest Due later than after; zero when none is.
	NextDue(ctx context.Context, after time.Time) (time.Time, error)
}

// minWake keeps a clock that stands still (tests) from waking Run in a
// tight loop for a request due a moment later.
const minWake = 10 * time.Millisecond

// nextDue returns a timer that fires when the first request due after
// swept falls due, if that is sooner than interval; otherwise a timer that
// never fires. Requests due at or before swept are left to the ticker: the
// sweep from swept found them and could not advance them.
func (s *Service) nextDue(ctx context.Context, swept time.Time, interval time.Duration) *time.Timer {
	never := time.NewTimer(time.Hour)
	never.Stop()
	idx, ok := s.store.(dueIndex)
	if !ok {
		return never
	}
	next, err := idx.NextDue(ctx, swept)
	if err != nil || next.IsZero() {
		return never
	}
	wait := next.Sub(s.now())
	if wait >= interval {
		return never
	}
	return time.NewTimer(max(wait, minWake))
}

// Kick asks Run to sweep now rather than at the next tick.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Sweep advances every request that is due now: times out pending requests,
// retries grants, sends reminders, expires grants and retries removals. It
// seeks the due index, so its cost follows the work due, not the store size.
// At most Options.Workers requests are advanced at once.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	seen := map[string]bool{}
	for {
		due, err := s.store.ListDue(ctx, now, sweepBatch)
		if err != nil {
			return err
		}
		var work []*access.Request
		for _, r := range due {
			if !seen[r.ID] {
				seen[r.ID] = true
				work = append(work, r)
			}
		}
		if len(work) == 0 {
			return nil
		}
		s.advanceAll(ctx, work, now)
		if len(due) < sweepBatch || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func (s *Service) advanceAll(ctx context.Context, work []*access.Request, now time.Time) {
	sem := make(chan struct{}, s.opts.Workers)
	var wg sync.WaitGroup
	for _, r := range work {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			rctx, cancel := startWork(ctx, s.opts.WorkTimeout)
			defer cancel()
			rctx = s.withRequest(rctx, r)
			if err := s.advance(rctx, r, now); err != nil {
				s.logger(rctx).Error().Err(err).Msg("advance due request")
			}
		}()
	}
	wg.Wait()
}

// advance does what is due for one request.
func (s *Service) advance(ctx context.Context, r *access.Request, now time.Time) error {
	// Okta serves a due removal in turn with the grants people wait for (the
	// provisioner's pacer); untagged calls count as those grants.
	if r.State.Final() && r.Grant.Leftover != nil {
		ok, release := s.busy.claim(r.ID)
		if !ok {
			return nil // this process is removing it already (grantOvertaken)
		}
		defer release()
		_, err := s.removeLeftover(access.WithPriority(ctx, access.PriorityRemoval), r.ID)
		return err
	}
	switch r.State {
	case access.StatePending:
		if r.NeedsRouting() {
			return s.resumeRoute(ctx, r.ID)
		}
		return s.advancePending(ctx, r, now) // nudge.go
	case access.StateApproved, access.StateActive:
		if r.Grant.Removal != nil {
			p := access.PriorityRemoval
			if r.Grant.Removal.Urgent() {
				if s.busy.held(r.ID) {
					return nil // the revoke-all's own pass is removing it (killswitch.go)
				}
				p = access.PriorityUrgent
			}
			_, err := s.remove(access.WithPriority(ctx, p), r.ID)
			return err
		}
	}
	switch r.State {
	case access.StateApproved:
		if r.Kind == access.KindExtension {
			_, err := s.applyExtension(ctx, r.ID)
			return err
		}
		_, err := s.provision(ctx, r.ID)
		return err
	case access.StateActive:
		if !now.Before(r.Grant.ExpiresAt) {
			_, err := s.expire(access.WithPriority(ctx, access.PriorityRemoval), r.ID)
			return err
		}
		return s.remind(ctx, r.ID)
	}
	return nil
}

// timeOut ends a pending request nobody answered within the pending TTL.
func (s *Service) timeOut(ctx context.Context, id string) error {
	r, err := s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.TimeOut(s.settings().Timing.PendingTTL, now); err != nil {
			return nil, errNothingToDo
		}
		return []access.Event{access.NewEvent(access.EventTimedOut, access.System, r, now,
			map[string]string{"pending_ttl": access.FormatDuration(s.settings().Timing.PendingTTL)})}, nil
	})
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	if err != nil {
		return err
	}
	s.logger(ctx).Info().Msg("request timed out")
	s.notify(ctx, r.Requester, access.Notice{Kind: access.NoticeTimedOut, Request: *r, Resource: s.resourceFor(r)})
	if r.Kind == access.KindExtension {
		s.clearPendingExtension(ctx, r)
	}
	s.refreshApprovals(ctx, id)
	return nil
}

// remind sends the holder the reminders that are due, once each: several due
// at once (the bot was down) make one message. The reminder is recorded
// before it is sent, so that its Extend button cannot be clicked before the
// trail says it was sent; if Slack refuses it, the record is taken back and
// the next sweep tries again. Only the sweep reminds.
func (s *Service) remind(ctx context.Context, id string) error {
	var leads []time.Duration
	r, err := s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if leads = r.DueReminders(s.settings().Timing.Reminders, now); len(leads) == 0 {
			return nil, errNothingToDo
		}
		r.Grant.RemindersSent = append(r.Grant.RemindersSent, leads...)
		details := expiresDetail(r)
		details["lead"] = access.FormatDuration(leads[len(leads)-1])
		if res, err := s.resource(r); err == nil {
			details["extensions_left"] = strconv.Itoa(max(res.Extension.MaxExtensions-r.Grant.Extensions, 0))
		}
		return []access.Event{access.NewEvent(access.EventReminded, access.System, r, now, details)}, nil
	})
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	if err != nil {
		return err
	}
	var choices []time.Duration
	if res, err := s.resource(r); err == nil {
		choices = r.ExtensionChoices(res, s.now()) // none once the resource left the config
	}
	n := access.Notice{Kind: access.NoticeReminder, Request: *r, Resource: s.resourceFor(r), Extend: choices}
	if _, err := s.msg.Notify(ctx, r.Requester, s.dry(n)); err != nil {
		_, uerr := s.update(ctx, id, func(r *access.Request, _ time.Time) ([]access.Event, error) {
			r.Grant.RemindersSent = slices.DeleteFunc(r.Grant.RemindersSent, func(d time.Duration) bool { return slices.Contains(leads, d) })
			return nil, nil
		})
		return errors.Join(err, uerr) // the next sweep tries again
	}
	return nil
}

// dry marks n as a dry run when it is about a grant recorded as one, or,
// for anything not yet granted, when the bot runs in dry run.
func (s *Service) dry(n access.Notice) access.Notice {
	if n.Request.Grant.Prepared() {
		n.DryRun = n.Request.Grant.DryRun
	} else {
		n.DryRun = n.DryRun || s.opts.DryRun
	}
	return n
}
