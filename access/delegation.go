package access

import (
	"context"
	"slices"
	"time"
)

// DelegateTo says who an approver may hand their decisions to while away.
type DelegateTo string

const (
	DelegateToApprovers DelegateTo = "approvers" // someone who is an approver of some resource
	DelegateToAnyone    DelegateTo = "anyone"
)

// DefaultDelegationMax is how far ahead a delegation may end when config
// says nothing.
const DefaultDelegationMax = 30 * 24 * time.Hour

// DelegationPolicy is the delegation section of config.
type DelegationPolicy struct {
	Max time.Duration // a delegation ends at most this far ahead (default DefaultDelegationMax)
	To  DelegateTo    // default DelegateToApprovers
}

// MaxAhead is Max, or its default.
func (p DelegationPolicy) MaxAhead() time.Duration {
	if p.Max > 0 {
		return p.Max
	}
	return DefaultDelegationMax
}

// Delegation hands an approver's decisions to someone else until a time:
// requests sent to From also go to To, and To's decision counts as From's.
// A person has at most one delegation; a new one replaces it.
type Delegation struct {
	From  User      `json:"from"`
	To    User      `json:"to"`
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Resources limits it to these resource ids; empty: every resource.
	Resources []string `json:"resources,omitempty"`
	// Ended is set when From turned it off before Until.
	Ended time.Time `json:"ended,omitzero"`
}

// Active reports whether d is in force at now.
func (d Delegation) Active(now time.Time) bool {
	return d.Ended.IsZero() && !now.Before(d.Since) && now.Before(d.Until)
}

// Covers reports whether d applies to requests for resource id.
func (d Delegation) Covers(id string) bool {
	return len(d.Resources) == 0 || slices.Contains(d.Resources, id)
}

// NewDelegation checks a delegation from from to to until until and returns
// it. fromApproves says whether from is an approver of every resource
// listed (of some resource when none is): what was delegated to someone
// cannot be passed on, so a person who approves nothing has nothing to
// delegate. toApproves says whether to is an approver of some resource,
// which policy DelegateToApprovers requires.
func NewDelegation(from, to User, until time.Time, resources []string, p DelegationPolicy, fromApproves, toApproves bool, now time.Time) (Delegation, error) {
	switch {
	case to.Is(from):
		return Delegation{}, FieldRefuse("delegate", ReasonDelegateSelf, Params{})
	case !fromApproves:
		return Delegation{}, Refuse(EFORBIDDEN, ReasonNothingToDelegate, Params{Names: resources})
	case p.To != DelegateToAnyone && !toApproves:
		return Delegation{}, FieldRefuse("delegate", ReasonDelegateNotApprover, Params{Person: to.Display()})
	case !until.After(now):
		return Delegation{}, FieldRefuse("until", ReasonDelegationPast, Params{})
	case until.Sub(now) > p.MaxAhead():
		return Delegation{}, FieldRefuse("until", ReasonDelegationTooLong, Params{Max: p.MaxAhead()})
	}
	return Delegation{From: from, To: to, Since: now, Until: until, Resources: resources}, nil
}

// DelegatorFor returns the approver on whose behalf by may decide r, from
// the delegations stored: an active one to by, covering r's resource, from
// someone in approvers (who may decide r in their own right: delegated
// power is never passed on) who has not decided r yet. The requester's own
// delegate never decides for them.
func (r *Request) DelegatorFor(by User, approvers ApproverSet, ds []Delegation, now time.Time) (User, bool) {
	for _, d := range ds {
		if !d.To.Is(by) || !d.Active(now) || !d.Covers(r.ResourceID) || r.IsParty(d.From) || r.IsParty(by) || !approvers.Includes(d.From) {
			continue
		}
		if _, done := r.decidedBy(d.From); done {
			continue
		}
		return d.From, true
	}
	return User{}, false
}

// DelegationStore keeps delegations. Both store engines implement it.
type DelegationStore interface {
	// PutDelegation stores d as the delegation of d.From (replacing any
	// earlier one) and appends events, in one transaction.
	PutDelegation(ctx context.Context, d Delegation, events ...Event) error
	// Delegations returns every stored delegation, ended ones included, by
	// delegator's Slack id.
	Delegations(ctx context.Context) ([]Delegation, error)
}
