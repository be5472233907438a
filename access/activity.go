package access

import (
	"slices"
	"time"
)

// DurationActivity is the duration word that asks for an activity-based
// grant ("while I use it").
const DurationActivity = "activity"

// Activity is how long an activity-based grant lasts: while it is used.
// It is removed once it went unused for IdleAfter, and in any case MaxAge
// after it became active, when it must be asked for and approved again.
type Activity struct {
	IdleAfter time.Duration `json:"idle_after"`
	MaxAge    time.Duration `json:"max_age"`
}

// Usage is what Okta's System Log told of a grant's use.
type Usage struct {
	Uses  int       `json:"uses,omitempty"`
	First time.Time `json:"first,omitempty"` // the earliest use counted
	Last  time.Time `json:"last,omitempty"`  // the latest use counted
	// Page is the System Log cursor of the page the events in Seen came
	// from. A page is read again after a stop between counting its events
	// and saving the next cursor; the events in Seen are then not counted
	// again.
	Page string   `json:"page,omitempty"`
	Seen []string `json:"seen,omitempty"`
	// KeptAt is when the holder last clicked Keep it.
	KeptAt time.Time `json:"kept_at,omitempty"`
}

// Used reports whether any use was counted.
func (u Usage) Used() bool { return u.Uses > 0 }

// RecordUse counts a sign-on ev, read from the System Log page at cursor
// page, as a use of r's grant, at the time Okta published it. It reports
// whether anything changed: a use before the grant became active, or one
// already counted from the same page, is not counted. An activity grant's
// idle removal moves to IdleAfter after the use, never past MaxAge.
func (r *Request) RecordUse(ev UseEvent, page string) bool {
	g := &r.Grant
	if r.State != StateActive || g.Removal != nil || ev.At.Before(g.GrantedAt) {
		return false
	}
	u := &g.Usage
	if u.Page != page {
		u.Page, u.Seen = page, nil
	}
	if ev.ID != "" {
		if slices.Contains(u.Seen, ev.ID) {
			return false
		}
		u.Seen = append(u.Seen, ev.ID)
	}
	r.countUse(ev.At)
	return true
}

func (r *Request) countUse(at time.Time) {
	u := &r.Grant.Usage
	u.Uses++
	if u.First.IsZero() || at.Before(u.First) {
		u.First = at
	}
	if at.After(u.Last) {
		u.Last = at
	}
	r.followActivity()
}

// followActivity sets an activity grant's end from its last use.
func (r *Request) followActivity() {
	if r.Activity == nil || r.State != StateActive || r.Grant.Removal != nil {
		return
	}
	if end := r.ActivityEnd(); !end.Equal(r.Grant.ExpiresAt) {
		r.Grant.ExpiresAt = end
		r.Grant.RemindersSent = nil // the reminders count back from the new end
	}
}

// ActivityEnd is when an activity grant is removed if it is not used
// again: IdleAfter after its last use (or Keep it, or its start), and never
// later than MaxAge after it became active.
func (r *Request) ActivityEnd() time.Time {
	g := &r.Grant
	last := g.GrantedAt
	for _, t := range []time.Time{g.Usage.Last, g.Usage.KeptAt} {
		if t.After(last) {
			last = t
		}
	}
	end := last.Add(r.Activity.IdleAfter)
	if limit := g.GrantedAt.Add(r.Activity.MaxAge); r.Activity.MaxAge > 0 && end.After(limit) {
		end = limit
	}
	return end
}

// AtMaxAge reports whether an activity grant's end is its MaxAge: uses
// no longer move it, and only a new request keeps the access.
func (r *Request) AtMaxAge() bool {
	return r.Activity != nil && r.Activity.MaxAge > 0 && !r.Grant.ExpiresAt.Before(r.Grant.GrantedAt.Add(r.Activity.MaxAge))
}

// Keep counts the holder's Keep it as a use now: at most once per
// IdleAfter, and only for an active activity grant.
func (r *Request) Keep(by User, now time.Time) error {
	if !by.Is(r.Requester) {
		return Refuse(EFORBIDDEN, ReasonOnlyHolderReply, Params{RequestID: r.ID})
	}
	if r.State != StateActive || r.Grant.Removal != nil {
		return Refuse(ECONFLICT, ReasonAccessEnded, Params{RequestID: r.ID, Resource: r.ResourceID})
	}
	if r.Activity == nil {
		return Refuse(EINVALID, ReasonNotActivityGrant, Params{RequestID: r.ID})
	}
	if k := r.Grant.Usage.KeptAt; !k.IsZero() && now.Before(k.Add(r.Activity.IdleAfter)) {
		return Refuse(ECONFLICT, ReasonKeptAlready, Params{RequestID: r.ID, Max: r.Activity.IdleAfter})
	}
	r.Grant.Usage.KeptAt = now
	r.countUse(now)
	return nil
}
