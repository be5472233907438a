package access

import "time"

// Timing is the part of config that decides when the bot acts on its own.
type Timing struct {
	PendingTTL time.Duration
	Reminders  []time.Duration // lead times before expiry
	// NudgeAfter a request was filed, the approvers who have not answered
	// are reminded once; 0: never.
	NudgeAfter time.Duration
}

// RouteGrace is how long a new request is left to the flow that filed it
// before the sweep takes it for one whose bot stopped before telling the
// approvers (NeedsRouting).
const RouteGrace = 30 * time.Second

// NextDue returns when the bot must next act on r; zero when never.
func (r *Request) NextDue(t Timing) time.Time {
	if lo := r.Grant.Leftover; lo != nil && r.State.Final() {
		if !lo.NextAt.IsZero() {
			return lo.NextAt
		}
		if !r.Grant.EndedAt.IsZero() {
			return r.Grant.EndedAt // at once
		}
		return r.CreatedAt
	}
	if rm := r.Grant.Removal; rm != nil && !r.State.Final() {
		if rm.Retry.NextAt.IsZero() {
			return rm.RequestedAt
		}
		return rm.Retry.NextAt
	}
	switch r.State {
	case StatePending:
		if r.NeedsRouting() {
			return r.CreatedAt.Add(RouteGrace)
		}
		return r.pendingDue(t)
	case StateApproved:
		if r.Kind == KindBundle && len(r.Members) > 0 {
			return r.EndsAt // its members drive it; look again at the latest when they all end
		}
		if r.Grant.Provision.NextAt.IsZero() {
			return r.DecidedAt
		}
		return r.Grant.Provision.NextAt
	case StateActive:
		due := r.Grant.ExpiresAt
		if r.Kind == KindBundleMember {
			return due // reminded once, through its bundle
		}
		for _, lead := range t.Reminders {
			if at := r.Grant.ExpiresAt.Add(-lead); r.reminderApplies(lead) && at.Before(due) {
				due = at
			}
		}
		return due
	}
	return time.Time{}
}
