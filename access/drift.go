package access

import "time"

// StateRemovedOutside ends a grant whose access a reconcile found gone
// from the identity provider: someone removed it by hand.
const StateRemovedOutside State = "removed_outside"

// Kinds of drift a reconcile reports (the "kind" detail of EventDrift).
const (
	// DriftReadded: a person whose access the bot removed holds it again,
	// given outside accessbot.
	DriftReadded = "readded"
	// DriftStanding: a person holds a resource marked standing: forbidden
	// that accessbot did not grant.
	DriftStanding = "standing_forbidden"
)

// Notices of a reconcile.
const (
	// NoticeRemovedOutside tells the holder and the audit channel that a
	// grant's access was removed outside accessbot, which closed the grant.
	NoticeRemovedOutside NoticeKind = "removed_outside"
	// NoticeDrift tells the audit channel of access in Okta accessbot did
	// not grant where it should not be: Params.Person (login), Params.Value
	// (the drift kind), Params.ByRule (a group rule holds it), Resource.
	NoticeDrift NoticeKind = "drift"
)

// EndOutside ends an active grant whose access is gone from the identity
// provider (removed by hand): nothing is left to remove. A grant already
// being removed by the bot, standing access and a dry run are not ended
// this way.
func (r *Request) EndOutside(now time.Time) error {
	if r.State != StateActive || r.Grant.Removal != nil || !r.Grant.Changes() {
		return r.wrongState()
	}
	r.State = StateRemovedOutside
	r.Grant.EndedAt = now
	return nil
}
