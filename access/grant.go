package access

import "time"

// RecordCheck records whether the user already held the access before
// accessbot granted anything.
func (r *Request) RecordCheck(standing bool) error {
	if r.State != StateApproved {
		return Errorf(ECONFLICT, "Request %s is %s, not waiting to be provisioned.", r.ID, r.State)
	}
	r.Grant.Checked, r.Grant.Standing = true, standing
	return nil
}

// Activate starts the grant's clock once the identity provider confirmed the
// access: it lasts Duration from now, or until the on-call shift ends, never
// more than maxDuration.
func (r *Request) Activate(maxDuration time.Duration, now time.Time) error {
	if r.State != StateApproved {
		return Errorf(ECONFLICT, "Request %s is %s, not waiting to be provisioned.", r.ID, r.State)
	}
	d := r.Duration
	if r.UntilShiftEnd {
		d = maxDuration
		if !r.ShiftEnd.IsZero() && r.ShiftEnd.Sub(now) < d {
			d = r.ShiftEnd.Sub(now)
		}
	}
	if maxDuration > 0 && d > maxDuration {
		d = maxDuration
	}
	r.State = StateActive
	r.Grant.GrantedAt, r.Grant.ExpiresAt = now, now.Add(d)
	r.Grant.Provision.NextAt, r.Grant.Provision.LastError = time.Time{}, ""
	return nil
}

// ProvisionFailed records a failed attempt to grant. With giveUp the request
// fails for good; otherwise the next attempt is at next.
func (r *Request) ProvisionFailed(cause string, giveUp bool, next time.Time) error {
	if r.State != StateApproved {
		return Errorf(ECONFLICT, "Request %s is %s, not waiting to be provisioned.", r.ID, r.State)
	}
	p := &r.Grant.Provision
	p.Attempts++
	p.LastError, p.NextAt = cause, next
	if giveUp {
		r.State = StateFailed
		r.Grant.EndedAt = next
	}
	return nil
}

// Extend moves the expiry by d, within res's extension policy: at most
// MaxExtensions times, and never further than MaxDuration from now.
func (r *Request) Extend(d time.Duration, res *Resource, now time.Time) error {
	if err := r.CheckExtension(d, res, now); err != nil {
		return err
	}
	r.Grant.ExpiresAt = r.Grant.ExpiresAt.Add(d)
	r.Grant.Extensions++
	r.Grant.RemindersSent = nil
	r.Grant.PendingExtension = ""
	return nil
}

// CheckExtension returns nil when the grant may be extended by d now.
func (r *Request) CheckExtension(d time.Duration, res *Resource, now time.Time) error {
	if r.State != StateActive || r.Grant.Removal != nil {
		return Errorf(ECONFLICT, "Your access to %s has ended; request it again instead.", res.Name)
	}
	if r.Grant.Extensions >= res.Extension.MaxExtensions {
		return Errorf(EFORBIDDEN, "Your access to %s has been extended %d times, the most its policy allows; request it again instead.", res.Name, r.Grant.Extensions)
	}
	if !res.AllowsDuration(d) {
		return FieldErrorf("duration", "%s is not an allowed extension for %s. Allowed: %s.", FormatDuration(d), res.Name, FormatDurations(res.Durations))
	}
	if res.MaxDuration > 0 && r.Grant.ExpiresAt.Add(d).Sub(now) > res.MaxDuration {
		return FieldErrorf("duration", "Extending by %s would put the end more than %s from now, the most %s allows.", FormatDuration(d), FormatDuration(res.MaxDuration), res.Name)
	}
	return nil
}

// BeginRemoval records that the grant must end, before anything is removed.
func (r *Request) BeginRemoval(outcome State, by User, reason string, now time.Time) error {
	if r.State != StateActive {
		return Errorf(ECONFLICT, "Request %s is %s; there is no access to remove.", r.ID, r.State)
	}
	if r.Grant.Removal != nil {
		return Errorf(ECONFLICT, "Access for request %s is already being removed.", r.ID)
	}
	r.Grant.Removal = &Removal{Outcome: outcome, By: by, Reason: reason, RequestedAt: now}
	return nil
}

// RemovalFailed records a failed removal; it is tried again at next.
func (r *Request) RemovalFailed(cause string, next time.Time) error {
	if r.State != StateActive || r.Grant.Removal == nil {
		return Errorf(ECONFLICT, "Request %s has no removal pending.", r.ID)
	}
	rt := &r.Grant.Removal.Retry
	rt.Attempts++
	rt.LastError, rt.NextAt = cause, next
	return nil
}

// CompleteRemoval ends the grant once the identity provider confirmed the
// removal (or, for standing access, without touching it).
func (r *Request) CompleteRemoval(now time.Time) error {
	if r.State != StateActive || r.Grant.Removal == nil {
		return Errorf(ECONFLICT, "Request %s has no removal pending.", r.ID)
	}
	r.State = r.Grant.Removal.Outcome
	r.Grant.EndedAt = now
	return nil
}

// DueReminders returns the lead times (of leads, descending) whose reminder is
// due at now and not yet sent. Leads not shorter than the grant are skipped.
func (r *Request) DueReminders(leads []time.Duration, now time.Time) []time.Duration {
	if r.State != StateActive || r.Grant.Removal != nil || !now.Before(r.Grant.ExpiresAt) {
		return nil
	}
	var due []time.Duration
	for _, lead := range leads {
		if r.reminderApplies(lead) && !now.Before(r.Grant.ExpiresAt.Add(-lead)) {
			due = append(due, lead)
		}
	}
	return due
}

func (r *Request) reminderApplies(lead time.Duration) bool {
	if lead >= r.Grant.ExpiresAt.Sub(r.Grant.GrantedAt) {
		return false
	}
	for _, s := range r.Grant.RemindersSent {
		if s == lead {
			return false
		}
	}
	return true
}
