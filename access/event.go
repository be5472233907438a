package access

import "time"

// EventType names what happened, as it appears in the audit trail.
type EventType string

const (
	EventRequested          EventType = "requested"
	EventApproved           EventType = "approved" // one approver's approval
	EventDenied             EventType = "denied"
	EventAutoApproved       EventType = "auto_approved" // on-call pre-approval
	EventBreakGlass         EventType = "break_glass"
	EventProvisioned        EventType = "provisioned"
	EventStandingAccess     EventType = "standing_access" // held already; will not be removed
	EventProvisionFailed    EventType = "provision_failed"
	EventFailed             EventType = "failed" // provisioning gave up
	EventReminded           EventType = "reminded"
	EventExtensionRequested EventType = "extension_requested"
	EventExtended           EventType = "extended"
	EventRevoked            EventType = "revoked"
	EventExpired            EventType = "expired"
	EventRemovalStarted     EventType = "removal_started"
	EventRemovalFailed      EventType = "removal_failed"
	// EventLateGrant: a grant reached Okta after its request had ended and
	// its removal had run, so the access is held again; EventLateGrantRemoved:
	// Okta confirmed its removal (failed attempts are removal_failed events
	// with late_grant=true).
	EventLateGrant        EventType = "late_grant"
	EventLateGrantRemoved EventType = "late_grant_removed"
	EventCancelled        EventType = "cancelled"
	EventTimedOut         EventType = "timed_out"
	EventRefused          EventType = "refused" // an attempt the rules turned down
	// EventAdminsAsked: none of the approvers could be reached, so the
	// request went to the admins, who may then decide it.
	EventAdminsAsked EventType = "admins_asked"
	// EventNudged: the approvers who had not answered were reminded, by the
	// requester or (actor System) by the bot after timing.nudge_after.
	EventNudged EventType = "nudged"
	// EventEscalated: the escalation approvers were asked too.
	EventEscalated EventType = "escalated"
	// EventDelegated and EventDelegationEnded: Actor handed their decisions
	// to Subject (details: until, resources), or took them back.
	EventDelegated       EventType = "delegated"
	EventDelegationEnded EventType = "delegation_ended"
	// EventRevokeAll: an admin ordered every grant and open request of a
	// resource or a person ended; one event for the order, beside the
	// events of each request it ends.
	EventRevokeAll EventType = "revoke_all"
	EventPaused    EventType = "paused"  // an admin paused a resource
	EventResumed   EventType = "resumed" // an admin resumed it
	// EventGrantRecorded: a grant stored by an older accessbot, which did not
	// record the Okta account it acted on, had it looked up at start-up.
	EventGrantRecorded EventType = "grant_recorded"
	// EventConfigReloaded: a reload replaced the config; its details
	// summarise what changed (resources added, removed, re-pointed,
	// approvers changed).
	EventConfigReloaded EventType = "config_reloaded"
	// EventConfigRefused: a reload found problems and kept the old config.
	EventConfigRefused EventType = "config_refused"
	// EventBundleMember: an approved bundle filed the request for one of
	// its members (details: bundle, the bundle's request id).
	EventBundleMember EventType = "bundle_member"
	// EventResourcesRefreshed: discovery from Okta changed the requestable resources.
	EventResourcesRefreshed EventType = "resources_refreshed"
	// EventKept: the holder of an activity grant clicked Keep it (a use).
	EventKept EventType = "kept"
	// EventRemovedOutside: a reconcile found a grant's access gone from
	// Okta (removed by hand) and ended the grant.
	EventRemovedOutside EventType = "removed_outside"
	// EventDrift: a reconcile found access in Okta the bot did not grant
	// where it should not be; reported once, never removed.
	EventDrift EventType = "drift"
)

// DetailRequestedAt is the audit detail, on the event that decides a
// request, of when it was filed (RFC 3339 with nanoseconds); the time to a
// decision is measured from it.
const DetailRequestedAt = "requested_at"

// Event is one entry of the append-only audit trail.
type Event struct {
	Seq        uint64            `json:"seq"` // assigned by the store, gapless from 1
	Time       time.Time         `json:"time"`
	Type       EventType         `json:"type"`
	Actor      User              `json:"actor"`   // who did it; System for the bot itself
	Subject    User              `json:"subject"` // whose access it concerns
	ResourceID string            `json:"resource_id,omitempty"`
	RequestID  string            `json:"request_id,omitempty"`
	Details    map[string]string `json:"details,omitempty"`
}

// NewEvent returns an event about r caused by actor at now. The subject is
// who gets the access; on a request made on their behalf, the details name
// who asked (DetailRequestedBy), so every event names both.
func NewEvent(t EventType, actor User, r *Request, now time.Time, details map[string]string) Event {
	if r.OnBehalf() {
		if details == nil {
			details = map[string]string{}
		}
		details[DetailRequestedBy] = r.RequestedBy.Email
	}
	return Event{Time: now, Type: t, Actor: actor, Subject: r.Requester, ResourceID: r.ResourceID, RequestID: r.ID, Details: details}
}

// DetailRequestedBy is the audit detail, on every event of a request made
// on someone's behalf, of who asked for it.
const DetailRequestedBy = "requested_by"

// EventFilter selects audit events; zero fields match everything.
type EventFilter struct {
	Since, Until time.Time // Since inclusive, Until exclusive
	Email        string    // actor or subject
	ResourceID   string
	RequestID    string
	AfterSeq     uint64
}

// Match reports whether e passes f.
func (f EventFilter) Match(e Event) bool {
	if e.Seq <= f.AfterSeq && f.AfterSeq > 0 {
		return false
	}
	if !f.Since.IsZero() && e.Time.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !e.Time.Before(f.Until) {
		return false
	}
	if f.RequestID != "" && e.RequestID != f.RequestID {
		return false
	}
	if f.ResourceID != "" && e.ResourceID != f.ResourceID {
		return false
	}
	if f.Email != "" && !(User{Email: f.Email}).Is(e.Actor) && !(User{Email: f.Email}).Is(e.Subject) {
		return false
	}
	return true
}
