package oncall

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/accessbot/accessbot/access"
)

// entry is one on-call entry as the cache keeps it.
type entry struct {
	userID string
	email  string // "" when PagerDuty did not include it
	shift  access.Shift
}

// same reports whether e and o are one entry, seen through two filters.
func (e entry) same(o entry) bool {
	return e.userID == o.userID && e.shift.ScheduleID == o.shift.ScheduleID &&
		e.shift.EscalationPolicyID == o.shift.EscalationPolicyID && e.shift.Level == o.shift.Level &&
		e.shift.Start.Equal(o.shift.Start) && e.shift.End.Equal(o.shift.End)
}

func (e entry) current(now time.Time) bool {
	return !now.Before(e.shift.Start) && (e.shift.End.IsZero() || now.Before(e.shift.End))
}

// fetch lists the on-call entries at now of the schedules, and those of the
// escalation policies. It asks once per kind, since PagerDuty combines
// different filters with "and".
func (pd *PagerDuty) fetch(ctx context.Context, schedules, policies []string, now time.Time) ([]entry, error) {
	var all []entry
	if len(schedules) > 0 {
		es, err := pd.list(ctx, pagerduty.ListOnCallOptions{ScheduleIDs: schedules}, now)
		if err != nil {
			return nil, err
		}
		all = append(all, es...)
	}
	if len(policies) > 0 {
		es, err := pd.list(ctx, pagerduty.ListOnCallOptions{EscalationPolicyIDs: policies}, now)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if !slices.ContainsFunc(all, e.same) {
				all = append(all, e)
			}
		}
	}
	return all, nil
}

// list pages through GET /oncalls with the filters of o.
func (pd *PagerDuty) list(ctx context.Context, o pagerduty.ListOnCallOptions, now time.Time) ([]entry, error) {
	at := now.UTC().Format(time.RFC3339)
	o.Includes = []string{"users"}
	o.Since, o.Until, o.TimeZone = at, at, "UTC"
	o.Limit = pageLimit
	what := fmt.Sprintf("list on-calls of schedules %v escalation policies %v", o.ScheduleIDs, o.EscalationPolicyIDs)
	var out []entry
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, access.Wrap(access.EINTERNAL, fmt.Errorf("pagerduty: %s: more than %d pages", what, maxPages))
		}
		var resp *pagerduty.ListOnCallsResponse
		err := pd.do(ctx, what, func(ctx context.Context) error {
			var err error
			resp, err = pd.client.ListOnCallsWithContext(ctx, o)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, oc := range resp.OnCalls {
			e, err := toEntry(oc)
			if err != nil {
				return nil, access.Wrap(access.EINTERNAL, fmt.Errorf("pagerduty: %s: %w", what, err))
			}
			out = append(out, e)
		}
		if !resp.More || len(resp.OnCalls) == 0 {
			return out, nil
		}
		o.Offset += uint(len(resp.OnCalls))
	}
}

func toEntry(oc pagerduty.OnCall) (entry, error) {
	start, err := parseTime(oc.Start)
	if err != nil {
		return entry{}, fmt.Errorf("on-call of user %s: start: %w", oc.User.ID, err)
	}
	end, err := parseTime(oc.End)
	if err != nil {
		return entry{}, fmt.Errorf("on-call of user %s: end: %w", oc.User.ID, err)
	}
	return entry{
		userID: oc.User.ID,
		email:  oc.User.Email,
		shift: access.Shift{
			ScheduleID:         oc.Schedule.ID,
			EscalationPolicyID: oc.EscalationPolicy.ID,
			Level:              int(oc.EscalationLevel),
			Start:              start,
			End:                end,
		},
	}, nil
}

// parseTime reads a PagerDuty time; null (permanent on-call) is zero.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, s)
}
