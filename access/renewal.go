package access

import "time"

// StateRenewed ends an activity grant handed over, at its max_age, to the
// request that renewed it: the new grant holds the same access, so nothing
// was removed in the identity provider.
const StateRenewed State = "renewed"

// EventRenewed: an activity grant was handed over to its renewal.
const EventRenewed EventType = "renewed"

// The reasons a renewal is refused.
const (
	ReasonOnlyHolderRenew Reason = "only_holder_renew" // RequestID: someone else asked to keep it
	ReasonNotRenewable    Reason = "not_renewable"     // RequestID: not an activity grant at its max_age
	ReasonRenewalWaiting  Reason = "renewal_waiting"   // RequestID (the renewal already waiting)
	// ReasonRenewalWaitsForRemoval: the renewed grant's removal is under
	// way; the renewal is granted anew once it is done (RequestID: the old grant).
	ReasonRenewalWaitsForRemoval Reason = "renewal_waits_for_removal"
)

// Renewable reports, as an error, whether by may ask to keep r's access
// past its max_age: only its holder, only for an active activity grant
// whose end is its max_age (uses no longer move it).
func (r *Request) Renewable(by User) error {
	if !by.Is(r.Requester) {
		return Refuse(EFORBIDDEN, ReasonOnlyHolderRenew, Params{RequestID: r.ID})
	}
	if r.State != StateActive || r.Grant.Removal != nil {
		return Refuse(ECONFLICT, ReasonAccessEnded, Params{RequestID: r.ID, Resource: r.ResourceID})
	}
	if r.Activity == nil || !r.AtMaxAge() {
		return Refuse(EINVALID, ReasonNotRenewable, Params{RequestID: r.ID})
	}
	return nil
}

// HandOver ends the activity grant r in favour of next, its approved
// renewal, in one step: next records r's account, target, standing and
// mode as its own and becomes active, and r ends as renewed, with nothing
// removed, since next now holds the same access. It refuses (ECONFLICT)
// when r no longer holds access to hand over; next is then granted anew.
func (r *Request) HandOver(next *Request, maxDuration time.Duration, now time.Time) error {
	if r.State != StateActive || r.Grant.Removal != nil || !r.Grant.Prepared() || next.Renews != r.ID || next.ResourceID != r.ResourceID {
		return r.wrongState()
	}
	g := r.Grant
	if err := next.Prepare(g.Account, g.Target, g.Standing, g.DryRun); err != nil {
		return err
	}
	if err := next.Activate(maxDuration, now); err != nil {
		return err
	}
	r.State, r.Grant.EndedAt = StateRenewed, now
	return nil
}
