package access

import "time"

// Bundles. A bundle is a resource whose Members are other resources: one
// request, one decision, and then one grant per member, each recorded with
// its own Okta target, that start and end together.
//
// The bundle's request (KindBundle) is the one people see and act on: it is
// routed and decided like any request, under the bundle's approvers and
// policy; it is reminded, extended and revoked, and each of those acts on
// every member. Once approved, it files one request per member
// (KindBundleMember, ParentID the bundle's request), approved already,
// which is provisioned, retried and removed like any grant. The bundle's
// own grant changes nothing in Okta: it becomes active once every member
// is, and all of them end at EndsAt.

// IsBundle reports whether r is a bundle of other resources.
func (r *Resource) IsBundle() bool { return len(r.Members) > 0 }

// NewBundleMember returns the approved request for one member of the
// approved bundle request b: the same requester, reason and decisions, and
// b's end.
func NewBundleMember(b *Request, id string, member *Resource, now time.Time) *Request {
	return &Request{
		ID: id, Kind: KindBundleMember, ParentID: b.ID, Requester: b.Requester, ResourceID: member.ID,
		Duration: b.Duration, Reason: b.Reason, Approvers: b.Approvers, State: StateApproved,
		CreatedAt: now, UpdatedAt: now, Decisions: append([]Decision(nil), b.Decisions...), DecidedAt: b.DecidedAt,
		Routed: true, EndsAt: b.EndsAt,
	}
}

// StartBundle records, on the approved bundle request, the member requests
// filed for it and when they all end: Duration from the decision, never
// more than maxDuration.
func (r *Request) StartBundle(memberIDs []string, maxDuration time.Duration) error {
	if r.Kind != KindBundle || r.State != StateApproved || r.Grant.Removal != nil || len(r.Members) > 0 {
		return r.wrongState()
	}
	d := r.Duration
	if maxDuration > 0 && d > maxDuration {
		d = maxDuration
	}
	r.Members = append([]string(nil), memberIDs...)
	r.EndsAt = r.DecidedAt.Add(d)
	return nil
}

// BundleProgress is what a bundle's members have come to.
type BundleProgress struct {
	Active, Waiting, Failed int
}

// Progress counts members by where they are.
func Progress(members []*Request) BundleProgress {
	var p BundleProgress
	for _, m := range members {
		switch {
		case m.State == StateActive && m.Grant.Removal == nil:
			p.Active++
		case m.State == StateApproved && m.Grant.Removal == nil:
			p.Waiting++
		default:
			p.Failed++ // given up, or ended before the bundle was granted
		}
	}
	return p
}

// ActivateBundle makes the approved bundle request active once every member
// is: it ends at EndsAt, with its members.
func (r *Request) ActivateBundle(now time.Time) error {
	if r.Kind != KindBundle || r.State != StateApproved || r.Grant.Removal != nil || len(r.Members) == 0 {
		return r.wrongState()
	}
	r.State = StateActive
	r.Grant.GrantedAt, r.Grant.ExpiresAt = now, r.EndsAt
	r.Grant.Provision.NextAt = time.Time{}
	return nil
}

// FollowBundle moves a member's end to its bundle's, after the bundle was
// extended: an active member's expiry, a member still being granted its
// EndsAt.
func (r *Request) FollowBundle(end time.Time) error {
	if r.Kind != KindBundleMember || r.State.Final() || r.Grant.Removal != nil {
		return r.wrongState()
	}
	r.EndsAt = end
	if r.State == StateActive {
		r.Grant.ExpiresAt = end
		r.Grant.RemindersSent = nil
	}
	return nil
}
