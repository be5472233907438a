package access

import (
	"errors"
	"time"
)

// Reason names the rule, or the fact, behind an error or a notice, so that
// bot/ can put it into words for people; the domain and the workflow never
// write those words themselves. Logs and the audit trail carry it as it is.
type Reason string

// The reasons the rules give. Each comment says which Params it fills.
const (
	// Deciding: Resource; Person (who decided first) and Approve, State.
	ReasonOwnRequest         Reason = "own_request"          // the requester tried to approve or deny
	ReasonNotApprover        Reason = "not_approver"         // Resource
	ReasonAlreadyDecided     Reason = "already_decided"      // Approve: what this person answered before
	ReasonDecidedBy          Reason = "decided_by"           // State, Person
	ReasonAlreadyApproved    Reason = "already_approved"     // the request was approved (no one to name)
	ReasonNotPending         Reason = "not_pending"          // State
	ReasonOnlyRequester      Reason = "only_requester"       // RequestID: cancel by someone else
	ReasonOnlyHolder         Reason = "only_holder"          // extend by someone else
	ReasonOnlyHolderReply    Reason = "only_holder_reply"    // a reminder answered by someone else
	ReasonWrongState         Reason = "wrong_state"          // RequestID, State: an internal transition that no longer applies
	ReasonApproversUnknown   Reason = "approvers_unknown"    // Resource: a group of approvers could not be read just now
	ReasonOnlyRequesterNudge Reason = "only_requester_nudge" // RequestID: a nudge by someone else
	ReasonNudgedRecently     Reason = "nudged_recently"      // RequestID, Max (how long until the next nudge)

	// Delegation.
	ReasonDelegateSelf        Reason = "delegate_self"         // delegating to oneself
	ReasonNothingToDelegate   Reason = "nothing_to_delegate"   // Names: the resources asked (the delegator approves none of them)
	ReasonDelegateNotApprover Reason = "delegate_not_approver" // Person: the delegate approves nothing, and policy wants an approver
	ReasonDelegationPast      Reason = "delegation_past"       // the end is not in the future
	ReasonDelegationTooLong   Reason = "delegation_too_long"   // Max: how far ahead it may end
	ReasonNoDelegation        Reason = "no_delegation"         // nothing to turn off
	ReasonUnknownDelegate     Reason = "unknown_delegate"      // Value: who was named
	ReasonBadUntil            Reason = "bad_until"             // Value: what was typed

	// On behalf: Resource, Value (the policy).
	ReasonOnBehalfOff        Reason = "on_behalf_off"         // the resource takes no requests for others
	ReasonOnBehalfNotAllowed Reason = "on_behalf_not_allowed" // Value: who may (admins, approvers)
	ReasonOnBehalfSelf       Reason = "on_behalf_self"        // asked for oneself with request-for

	// Grants and their end: RequestID, Resource, State.
	ReasonAccessEnded         Reason = "access_ended"          // Resource: extend after the end
	ReasonTooManyExtensions   Reason = "too_many_extensions"   // Resource, Count
	ReasonExtensionNotAllowed Reason = "extension_not_allowed" // Value, Resource, Allowed
	ReasonExtensionTooLong    Reason = "extension_too_long"    // Value, Max, Resource
	ReasonExtensionWaiting    Reason = "extension_waiting"     // RequestID: the extension already waiting
	ReasonExtensionVoid       Reason = "extension_void"        // the grant changed before the extension applied
	ReasonNoAccessToRevoke    Reason = "no_access_to_revoke"   // RequestID, State
	ReasonBeingRemoved        Reason = "being_removed"         // RequestID
	ReasonRevokeExtension     Reason = "revoke_extension"      // RequestID, ParentID
	ReasonRevokeForbidden     Reason = "revoke_forbidden"      // Resource
	ReasonActivityExtension   Reason = "activity_extension"    // RequestID: an activity grant extends itself by use
	ReasonNotActivityGrant    Reason = "not_activity_grant"    // RequestID: Keep it on a time-based grant
	ReasonKeptAlready         Reason = "kept_already"          // RequestID, Max (idle_after): Keep it twice within idle_after
	ReasonNoActivity          Reason = "no_activity"           // Resource, Allowed: "activity" where the resource does not offer it
	ReasonReportForbidden     Reason = "report_forbidden"      // the report is for admins

	// Requests: Resource, Value, Allowed, Count, Limit, Names.
	ReasonUnknownResource     Reason = "unknown_resource"      // Value (the id given, "" for none), Names (ids on offer)
	ReasonNoResources         Reason = "no_resources"          // nothing is configured
	ReasonResourceGone        Reason = "resource_gone"         // ResourceID: left the config
	ReasonNoShiftDuration     Reason = "no_shift_duration"     // Resource, Allowed: no on-call trust
	ReasonShiftUnknown        Reason = "shift_unknown"         // Allowed: PagerDuty could not be asked
	ReasonNotOnCallDuration   Reason = "not_on_call_duration"  // Resource, Allowed
	ReasonNoDuration          Reason = "no_duration"           // Resource, Allowed, OnCall
	ReasonDurationNotAllowed  Reason = "duration_not_allowed"  // Value, Resource, Allowed, OnCall
	ReasonNoReason            Reason = "no_reason"             // the reason is empty
	ReasonReasonTooLong       Reason = "reason_too_long"       // Count, Limit
	ReasonTooFewApprovers     Reason = "too_few_approvers"     // Resource, Limit (needed), Count (configured)
	ReasonSelfAsApprover      Reason = "self_as_approver"      // the requester chose themselves
	ReasonNotAnApprover       Reason = "not_an_approver"       // Person (chosen), Resource, Names (eligible)
	ReasonChooseMoreApprovers Reason = "choose_more_approvers" // Resource, Limit
	ReasonPendingRequest      Reason = "pending_request"       // Resource, RequestID
	ReasonAlreadyHeld         Reason = "already_held"          // Resource, RequestID
	ReasonAlreadyHeldNow      Reason = "already_held_now"      // Resource, RequestID (break-glass)
	ReasonNoSuchRequest       Reason = "no_such_request"       // RequestID
	ReasonNoEmail             Reason = "no_email"              // the person\'s Slack profile shows no email

	// Break-glass: Resource, ResourceID.
	ReasonNoBreakGlass      Reason = "no_break_glass"      // the resource does not allow it
	ReasonNoPagerDuty       Reason = "no_pagerduty"        // PagerDuty is not configured
	ReasonBreakGlassUnknown Reason = "break_glass_unknown" // PagerDuty could not be asked
	ReasonNotOnCall         Reason = "not_on_call"         // not on call now

	// Kill switch: Resource, ResourceID; Person (who paused), Since, Value
	// (the pause's reason).
	ReasonAdminsOnly      Reason = "admins_only"      // Value: the command ("revoke-all", "pause", "resume")
	ReasonPaused          Reason = "paused"           // a new request for a paused resource
	ReasonPausedApproval  Reason = "paused_approval"  // an approval while the resource is paused
	ReasonAlreadyPaused   Reason = "already_paused"   // pause of a paused resource
	ReasonNotPaused       Reason = "not_paused"       // Resource: resume of a resource that is not paused
	ReasonNothingToEnd    Reason = "nothing_to_end"   // Resource or Person: revoke-all finds no grant and no open request
	ReasonUnknownPerson   Reason = "unknown_person"   // Value: revoke-all names nobody accessbot can find
	ReasonAmbiguousPerson Reason = "ambiguous_person" // Value, Names (Slack ids): revoke-all names several people

	// Notices: why something could not be done, for Notice.Reason.
	ReasonApproversUnreachable Reason = "approvers_unreachable" // none of the approvers is in Slack
	ReasonAdminsAsked          Reason = "admins_asked"          // none of the approvers could be reached; the admins were asked
	ReasonApproverMissing      Reason = "approver_missing"      // Person: an approver in config has no usable Slack account
	ReasonOnCallFallback       Reason = "oncall_fallback"       // PagerDuty could not be asked; sent to approvers
	ReasonOktaUnavailable      Reason = "okta_unavailable"      // Okta could not be reached
	ReasonOktaRefusedToken     Reason = "okta_refused_token"    // Okta refused the API token
	ReasonOktaForbidden        Reason = "okta_forbidden"        // the token lacks a permission
	ReasonOktaNoUser           Reason = "okta_no_user"          // no (single) Okta account for the person
	ReasonOktaNoTarget         Reason = "okta_no_target"        // the group or app does not exist
	ReasonOktaError            Reason = "okta_error"            // anything else Okta answered
	ReasonBundleIncomplete     Reason = "bundle_incomplete"     // a member of the bundle could not be granted, so none is kept
	ReasonDryRunNow            Reason = "dry_run_now"           // a real grant not yet made while the bot now runs in dry run
)

// Params are the facts the words for a Reason need; each Reason says which
// it fills.
type Params struct {
	RequestID  string
	ParentID   string
	Resource   string // the resource's name
	ResourceID string
	State      State
	Person     string // someone the words name (a display name or an email)
	Value      string // what the person gave: a duration, an id
	Approve    bool
	OnCall     bool // "until my shift ends" is on offer too
	Activity   bool // "while I use it" is on offer too
	ByRule     bool // drift: a group rule holds the membership
	Count      int
	Limit      int
	Max        time.Duration
	Since      time.Time // when a state began (a pause)
	Open       int       // open requests, counted apart from grants (Count)
	Allowed    []time.Duration
	Names      []string
}

// Refuse returns an *Error with code for reason, with the facts its words need.
func Refuse(code string, reason Reason, p Params) *Error {
	return &Error{Code: code, Reason: reason, Params: p}
}

// FieldRefuse returns an EINVALID error about one input field for reason.
func FieldRefuse(field string, reason Reason, p Params) *Error {
	return &Error{Code: EINVALID, Field: field, Reason: reason, Params: p}
}

// ErrorReason returns the reason of the first *Error in err's chain that
// has one, and its params.
func ErrorReason(err error) (Reason, Params, bool) {
	var e *Error
	for errors.As(err, &e) {
		if e.Reason != "" {
			return e.Reason, e.Params, true
		}
		err = e.Err
	}
	return "", Params{}, false
}
