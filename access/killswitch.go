package access

import "time"

// Pause stops new grants of a resource until an admin resumes it: new
// requests are refused, and so are approvals of requests already pending.
// It is stored, so it holds across restarts and replicas.
type Pause struct {
	ResourceID string    `json:"resource_id"`
	By         User      `json:"by"`
	At         time.Time `json:"at"`
	Reason     string    `json:"reason,omitempty"`
}

// Refusal is the error that refuses, while p holds, a new request for res
// or, with approval, an approval of a request for it.
func (p Pause) Refusal(res *Resource, approval bool) *Error {
	reason := ReasonPaused
	if approval {
		reason = ReasonPausedApproval
	}
	return Refuse(ECONFLICT, reason, Params{Resource: res.Name, ResourceID: res.ID, Person: p.By.Display(), Since: p.At, Value: p.Reason})
}

// Order is an admin's revoke-all: every grant and every open request of one
// resource, or of one person, ends at once. Exactly one of ResourceID and
// Person is set.
type Order struct {
	ID         string    `json:"id"`
	By         User      `json:"by"`
	ResourceID string    `json:"resource_id,omitempty"`
	Person     User      `json:"person,omitempty"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
}

// OrderEffect is what an order does to one request.
type OrderEffect int

const (
	// OrderSkips: the request is not the order's, is over, or is already
	// ending.
	OrderSkips OrderEffect = iota
	// OrderEndsGrant: an active grant; its access is removed.
	OrderEndsGrant
	// OrderEndsRequest: a pending or approved request; it is withdrawn,
	// and whatever an approved one may have landed in the identity
	// provider is removed.
	OrderEndsRequest
)

// Effect says what o does to r.
func (o Order) Effect(r *Request) OrderEffect {
	mine := (o.ResourceID != "" && r.ResourceID == o.ResourceID) || (o.ResourceID == "" && r.Requester.Is(o.Person))
	if !mine || r.State.Final() || r.Grant.Removal != nil {
		return OrderSkips
	}
	switch r.State {
	case StateActive:
		if r.Kind == KindExtension {
			return OrderSkips
		}
		return OrderEndsGrant
	case StatePending, StateApproved:
		return OrderEndsRequest
	}
	return OrderSkips
}

// Count returns how many of rs the order would end: grants and open
// requests, apart.
func (o Order) Count(rs []*Request) (grants, open int) {
	for _, r := range rs {
		switch o.Effect(r) {
		case OrderEndsGrant:
			grants++
		case OrderEndsRequest:
			open++
		}
	}
	return grants, open
}

// EndByOrder ends r under o. A pending request, and an approved extension
// (which changed nothing yet), is cancelled at once, with a finished
// removal that records who ended it and why. An active grant, and an
// approved request whose grant may have landed, go through a removal that
// carries the order's id, so the removal is carried out as urgent work and
// still is after a restart.
func (r *Request) EndByOrder(o Order, now time.Time) error {
	switch o.Effect(r) {
	case OrderEndsGrant:
		return r.beginOrderedRemoval(StateRevoked, o, now)
	case OrderEndsRequest:
		if r.State == StatePending || r.Kind == KindExtension {
			if err := r.Withdraw(now); err != nil {
				return err
			}
			// Nothing to take away; the record says who ended it, and why.
			r.Grant.Removal = &Removal{Outcome: StateCancelled, By: o.By, Reason: o.Reason, RequestedAt: now, Order: o.ID}
			r.Grant.EndedAt = now
			return nil
		}
		return r.beginOrderedRemoval(StateCancelled, o, now)
	}
	return r.wrongState()
}

func (r *Request) beginOrderedRemoval(outcome State, o Order, now time.Time) error {
	if err := r.BeginRemoval(outcome, o.By, o.Reason, now); err != nil {
		return err
	}
	r.Grant.Removal.Order = o.ID
	return nil
}

// Urgent reports whether the removal was ordered by an admin's revoke-all,
// which goes before every other call to the identity provider.
func (m *Removal) Urgent() bool { return m != nil && m.Order != "" }
