package access

import "time"

// Prepare records, before anything is changed in the identity provider,
// what the grant will change: the account, the target, whether the person
// already held it (standing access is never removed), and whether this is a
// dry run. A grant prepared by an earlier attempt keeps what it recorded:
// a retry would see its own earlier grant and take it for standing access.
func (r *Request) Prepare(a Account, t Target, standing, dryRun bool) error {
	if r.State != StateApproved || r.Grant.Removal != nil {
		return r.wrongState()
	}
	if r.Grant.Prepared() {
		return nil
	}
	g := &r.Grant
	g.Checked, g.Standing, g.Account, g.Target, g.DryRun = true, standing, a, t, dryRun
	return nil
}

// Unrecorded reports whether r holds, or may hold, access that a version of
// accessbot from before grants recorded their account left unrecorded.
func (r *Request) Unrecorded() bool {
	if r.Grant.Prepared() || r.State.Final() || r.Kind == KindBundle { // a bundle's own grant changes nothing
		return false
	}
	return r.State == StateActive || (r.State == StateApproved && r.Grant.Checked)
}

// RecordLegacy records, for an Unrecorded grant, the account and target it
// was granted on as far as they can be known now.
func (r *Request) RecordLegacy(a Account, t Target, dryRun bool) error {
	if !r.Unrecorded() {
		return r.wrongState()
	}
	r.Grant.Checked, r.Grant.Account, r.Grant.Target, r.Grant.DryRun = true, a, t, dryRun
	return nil
}

// Activate starts the grant's clock once the identity provider confirmed the
// access: it lasts Duration from now, or until the on-call shift ends, never
// more than maxDuration.
func (r *Request) Activate(maxDuration time.Duration, now time.Time) error {
	if r.State != StateApproved || r.Grant.Removal != nil || !r.Grant.Prepared() {
		return r.wrongState()
	}
	if !r.EndsAt.IsZero() { // a bundle member ends with its bundle
		r.State = StateActive
		r.Grant.GrantedAt, r.Grant.ExpiresAt = now, r.EndsAt
		r.Grant.Provision.NextAt, r.Grant.Provision.LastError = time.Time{}, ""
		return nil
	}
	d := r.Duration
	if r.Activity != nil {
		r.State = StateActive
		r.Grant.GrantedAt = now
		r.Grant.ExpiresAt = r.ActivityEnd()
		r.Grant.Provision.NextAt, r.Grant.Provision.LastError = time.Time{}, ""
		return nil
	}
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

// ProvisionFailed records a failed attempt to grant. Without giveUp the next
// attempt is at next. With giveUp the request fails; when an attempt may
// have reached the identity provider, it first goes through a removal of
// what was recorded, so that nothing the bot granted is left untracked.
func (r *Request) ProvisionFailed(cause string, giveUp bool, next time.Time) error {
	if r.State != StateApproved || r.Grant.Removal != nil {
		return r.wrongState()
	}
	p := &r.Grant.Provision
	p.Attempts++
	p.LastError, p.NextAt = cause, next
	if !giveUp {
		return nil
	}
	if r.Grant.Changes() {
		return r.BeginRemoval(StateFailed, System, cause, next)
	}
	r.State = StateFailed
	r.Grant.EndedAt = next
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
		return Refuse(ECONFLICT, ReasonAccessEnded, Params{RequestID: r.ID, Resource: res.Name})
	}
	if r.Activity != nil {
		return Refuse(EINVALID, ReasonActivityExtension, Params{RequestID: r.ID})
	}
	if r.Grant.Extensions >= res.Extension.MaxExtensions {
		return Refuse(EFORBIDDEN, ReasonTooManyExtensions, Params{RequestID: r.ID, Resource: res.Name, Count: r.Grant.Extensions})
	}
	if !res.AllowsDuration(d) {
		return FieldRefuse("duration", ReasonExtensionNotAllowed, Params{Value: FormatDuration(d), Resource: res.Name, Allowed: res.Durations})
	}
	if res.MaxDuration > 0 && r.Grant.ExpiresAt.Add(d).Sub(now) > res.MaxDuration {
		return FieldRefuse("duration", ReasonExtensionTooLong, Params{Value: FormatDuration(d), Max: res.MaxDuration, Resource: res.Name})
	}
	return nil
}

// BeginRemoval records that the access must go, before anything is
// removed: from an active grant (expiry, revocation) or from an approved
// request still waiting for the identity provider (cancelled, revoked,
// given up), whose grant may have landed.
func (r *Request) BeginRemoval(outcome State, by User, reason string, now time.Time) error {
	if r.State != StateActive && r.State != StateApproved {
		return Refuse(ECONFLICT, ReasonNoAccessToRevoke, Params{RequestID: r.ID, State: r.State})
	}
	if r.Grant.Removal != nil {
		return Refuse(ECONFLICT, ReasonBeingRemoved, Params{RequestID: r.ID})
	}
	r.Grant.Removal = &Removal{Outcome: outcome, By: by, Reason: reason, RequestedAt: now}
	return nil
}

// RemovalFailed records a failed removal; it is tried again at next.
func (r *Request) RemovalFailed(cause string, next time.Time) error {
	if r.Grant.Removal == nil || r.State.Final() {
		return r.wrongState()
	}
	rt := &r.Grant.Removal.Retry
	rt.Attempts++
	rt.LastError, rt.NextAt = cause, next
	return nil
}

// LandedLate records that r's grant reached the identity provider after r
// had ended, its removal run first: the access it recorded is held again
// and must be removed again (Grant.Leftover).
func (r *Request) LandedLate() error {
	if !r.State.Final() || !r.Grant.Changes() {
		return r.wrongState()
	}
	if r.Grant.Leftover == nil {
		r.Grant.Leftover = &Retry{}
	}
	return nil
}

// LeftoverFailed records a failed removal of a grant that landed late; it
// is tried again at next.
func (r *Request) LeftoverFailed(cause string, next time.Time) error {
	if r.Grant.Leftover == nil {
		return r.wrongState()
	}
	rt := r.Grant.Leftover
	rt.Attempts++
	rt.LastError, rt.NextAt = cause, next
	return nil
}

// LeftoverRemoved records that the identity provider confirmed the removal
// of a grant that landed late.
func (r *Request) LeftoverRemoved() error {
	if r.Grant.Leftover == nil {
		return r.wrongState()
	}
	r.Grant.Leftover = nil
	return nil
}

// CompleteRemoval ends the request once the identity provider confirmed the
// removal (or, when the grant changed nothing there, without a call).
func (r *Request) CompleteRemoval(now time.Time) error {
	if r.Grant.Removal == nil || r.State.Final() {
		return r.wrongState()
	}
	r.State = r.Grant.Removal.Outcome
	r.Grant.EndedAt = now
	return nil
}

// Revocable reports whether by may revoke r's access: the holder, an
// approver of its resource (in approvers, resolved now), or an admin, while
// it is active or approved. res is nil when the resource is no longer
// configured; then only the holder and admins may.
func (r *Request) Revocable(by User, res *Resource, approvers ApproverSet, admin bool) error {
	if r.Kind == KindExtension {
		return Refuse(EINVALID, ReasonRevokeExtension, Params{RequestID: r.ID, ParentID: r.ParentID})
	}
	if !by.Is(r.Requester) && !admin && (res == nil || !approvers.Includes(by)) {
		return Refuse(EFORBIDDEN, ReasonRevokeForbidden, Params{RequestID: r.ID, Resource: resourceName(res, r)})
	}
	if r.State != StateActive && r.State != StateApproved {
		return Refuse(ECONFLICT, ReasonNoAccessToRevoke, Params{RequestID: r.ID, State: r.State})
	}
	if r.Grant.Removal != nil {
		return Refuse(ECONFLICT, ReasonBeingRemoved, Params{RequestID: r.ID})
	}
	return nil
}

// RevokeOffered reports whether messages about r offer a Revoke button: an
// active grant of access the bot gave, not yet ending.
func (r *Request) RevokeOffered() bool {
	return r.Kind != KindExtension && r.Kind != KindBundleMember && r.State == StateActive && r.Grant.Removal == nil && !r.Grant.Standing
}

// ExtensionChoices returns the durations r's grant may be extended by now.
func (r *Request) ExtensionChoices(res *Resource, now time.Time) []time.Duration {
	var out []time.Duration
	for _, d := range res.Durations {
		if r.CheckExtension(d, res, now) == nil {
			out = append(out, d)
		}
	}
	return out
}

func resourceName(res *Resource, r *Request) string {
	if res == nil {
		return r.ResourceID
	}
	return res.Name
}

// DueReminders returns the lead times (of leads, descending) whose reminder is
// due at now and not yet sent. Leads not shorter than the grant are skipped.
func (r *Request) DueReminders(leads []time.Duration, now time.Time) []time.Duration {
	if r.Kind == KindBundleMember {
		return nil // reminded once, through its bundle
	}
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

// wrongState refuses a transition that r's state no longer allows (a flow
// that lost a race); people rarely see it.
func (r *Request) wrongState() *Error {
	return Refuse(ECONFLICT, ReasonWrongState, Params{RequestID: r.ID, State: r.State})
}
