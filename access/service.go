package access

import (
	"context"
	"strings"
	"time"
)

// Store keeps requests and the audit trail. Every method that changes state
// does so in one transaction, together with the audit events it is given.
// Implementations make no network calls and decode values before returning.
type Store interface {
	// Create stores a new request and appends events. ECONFLICT if the id exists.
	Create(ctx context.Context, r *Request, events ...Event) error
	// Update loads request id, calls fn on it and, if fn returns nil, stores the
	// result and the events fn returned, in one transaction; fn sees the
	// current state, so its checks and the write cannot race. fn must not do
	// I/O. Returns fn's error unchanged, or ENOTFOUND.
	Update(ctx context.Context, id string, fn func(r *Request) ([]Event, error)) (*Request, error)
	// Transact is Update over several requests at once: it loads ids, calls
	// fn with them in that order and, if fn returns nil, stores them, the new
	// requests fn returns and its events in one transaction. ENOTFOUND if an
	// id is missing, ECONFLICT if a new request's id exists. Returns the
	// changed requests in ids order, then the created ones.
	Transact(ctx context.Context, ids []string, fn func(rs []*Request) (created []*Request, events []Event, err error)) ([]*Request, error)
	// Get returns request id, or ENOTFOUND.
	Get(ctx context.Context, id string) (*Request, error)
	// ListByRequester returns the requests of a Slack user, newest first; with
	// openOnly, only those not in a final state.
	ListByRequester(ctx context.Context, slackID string, openOnly bool) ([]*Request, error)
	// ListOpen returns every request not in a final state.
	ListOpen(ctx context.Context) ([]*Request, error)
	// ListDue returns up to limit requests whose Due is at or before now, soonest first.
	ListDue(ctx context.Context, now time.Time, limit int) ([]*Request, error)
	// Append adds events that change no request (a refused attempt).
	Append(ctx context.Context, events ...Event) error
	// Events returns the audit events that match f, in sequence order.
	Events(ctx context.Context, f EventFilter) ([]Event, error)
	// Value returns the text stored under key, "" when there is none: the
	// small state a background loop resumes from (the System Log cursor).
	Value(ctx context.Context, key string) (string, error)
	// SetValue stores value under key, replacing what was there ("" removes
	// it). EINVALID when key is empty or either holds a NUL byte.
	SetValue(ctx context.Context, key, value string) error
	// PauseResource stores p and appends events in one transaction;
	// ECONFLICT, and nothing written, if p.ResourceID is paused already.
	PauseResource(ctx context.Context, p Pause, events ...Event) error
	// ResumeResource removes the pause of resourceID and appends events in
	// one transaction; ENOTFOUND, and nothing written, if it is not paused.
	ResumeResource(ctx context.Context, resourceID string, events ...Event) error
	// Pauses returns every pause in force, by resource id.
	Pauses(ctx context.Context) ([]Pause, error)
}

// Provisioner changes access in the identity provider (Okta). A person is
// found once, with FindUser, when access is granted; the grant records the
// account, and every later call names it, so a reused email or a renamed
// login never redirects a removal.
type Provisioner interface {
	// FindUser returns the account of u (by email, or by the Slack id held in
	// a profile attribute). ENOTFOUND when there is none, EINVALID when
	// several match.
	FindUser(ctx context.Context, u User) (Account, error)
	// HasAccess reports whether the account already holds t.
	HasAccess(ctx context.Context, a Account, t Target) (bool, error)
	// Grant gives the account t; granting what is held already succeeds.
	Grant(ctx context.Context, a Account, t Target) error
	// Revoke takes t away; revoking what is not held (404) succeeds.
	Revoke(ctx context.Context, a Account, t Target) error
}

// Errors of Provisioner methods: ENOTFOUND when the user or target does not
// exist (not worth retrying), EUNAVAILABLE for failures worth retrying,
// EUNAUTHORIZED when the token is refused.

// Directory maps Slack users to emails and back.
type Directory interface {
	// UserByID returns the Slack user with their profile email. EINVALID when
	// the profile has no email; ENOTFOUND when there is no such user;
	// EFORBIDDEN with an IdentityError when the account may not request or
	// approve (another team, a guest, an unconfirmed email, deactivated).
	UserByID(ctx context.Context, slackID string) (User, error)
	// UserByEmail returns the Slack user with that email, or ENOTFOUND.
	UserByEmail(ctx context.Context, email string) (User, error)
}

// NoticeKind names a message the workflow sends to a person or channel.
type NoticeKind string

const (
	NoticeSubmitted       NoticeKind = "submitted"        // to the requester: waiting for approval (Cancel)
	NoticeGranted         NoticeKind = "granted"          // to the holder: access is active until …
	NoticeStanding        NoticeKind = "standing"         // to the holder: you had it already
	NoticeDenied          NoticeKind = "denied"           // to the requester
	NoticeCancelled       NoticeKind = "cancelled"        // to the requester
	NoticeTimedOut        NoticeKind = "timed_out"        // to the requester
	NoticeFailed          NoticeKind = "failed"           // to the requester and admins: could not grant
	NoticeReminder        NoticeKind = "reminder"         // to the holder: ends soon (Extend, Revoke now)
	NoticeExtended        NoticeKind = "extended"         // to the holder
	NoticeExtensionDenied NoticeKind = "extension_denied" // to the holder
	NoticeExpired         NoticeKind = "expired"          // to the holder
	NoticeRevoked         NoticeKind = "revoked"          // to the holder
	NoticeAutoApproved    NoticeKind = "auto_approved"    // FYI to approvers: on-call pre-approval
	NoticeBreakGlass      NoticeKind = "break_glass"      // loud, to approvers and the audit channel (Revoke)
	NoticeRemovalFailing  NoticeKind = "removal_failing"  // loud, to the audit channel: removal keeps failing
	NoticeOnCallFallback  NoticeKind = "oncall_fallback"  // to the requester: on-call could not be checked
	// NoticeApproverMissing tells the audit channel that an approver in the
	// config has no usable Slack account; Reason and Params say who.
	NoticeApproverMissing NoticeKind = "approver_missing"
	// NoticeNudge reminds an approver of a request still waiting for them,
	// in the thread of the request they were sent; Actor is who nudged
	// (System: the bot, after timing.nudge_after).
	NoticeNudge NoticeKind = "nudge"
	// NoticeDelegated and NoticeDelegationEnded tell the audit channel and
	// the delegate of Notice.Delegation, set or ended by Actor.
	// NoticeOnBehalf tells the person a request is for, at once, who asked
	// (Actor) and why, with Decline.
	NoticeOnBehalf        NoticeKind = "on_behalf"
	NoticeDelegated       NoticeKind = "delegated"
	NoticeDelegationEnded NoticeKind = "delegation_ended"

	// NoticeRevokeAll tells the approvers and the audit channel of an
	// admin's revoke-all: Actor gave it, Detail is its reason, Request holds
	// only its target (Requester for a person, ResourceID for a resource),
	// Params.Count the grants and Params.Open the open requests it ends.
	NoticeRevokeAll NoticeKind = "revoke_all"
	// NoticePaused and NoticeResumed tell the audit channel that Actor
	// paused or resumed Resource; Detail is the reason given.
	NoticePaused  NoticeKind = "paused"
	NoticeResumed NoticeKind = "resumed"

	// NoticeBreakGlassRefused tells the audit channel of a refused break-glass
	// attempt; Request holds only who, the resource id and the reason given,
	// and Detail says why it was refused.
	NoticeBreakGlassRefused NoticeKind = "break_glass_refused"
)

// Notice is what a message says, before the messenger renders it.
type Notice struct {
	Kind     NoticeKind
	Request  Request
	Resource Resource
	Actor    User   // who caused it, when not the bot
	Detail   string // words a person wrote (a denial's reason), when the kind has one
	// Reason and Params say why, when the kind says why something could not
	// be done; bot/ puts them into words.
	Reason Reason
	Params Params
	Extend []time.Duration // NoticeReminder: the extensions on offer
	// Delegation is what NoticeDelegated and NoticeDelegationEnded are about.
	Delegation *Delegation
	DryRun     bool // no change was made in the identity provider
	// Repeats counts, for NoticeBreakGlassRefused, the refused attempts of
	// the same person for the resource that were not announced since the
	// last notice.
	Repeats int
}

// Messenger delivers messages (Slack). Rendering belongs to the implementation.
type Messenger interface {
	// SendApproval sends approver the request, with Approve/Deny while it is
	// pending and its outcome once decided; with toldOnly, to someone who may
	// not decide it, without them (the returned ref says so).
	SendApproval(ctx context.Context, approver User, r Request, res Resource, toldOnly bool) (MessageRef, error)
	// UpdateApproval redraws an approval message after the request changed,
	// as ref.ToldOnly says.
	UpdateApproval(ctx context.Context, ref MessageRef, r Request, res Resource) error
	// Notify sends a person a notice and returns where it landed.
	Notify(ctx context.Context, to User, n Notice) (MessageRef, error)
	// UpdateNotice redraws a notice sent earlier.
	UpdateNotice(ctx context.Context, ref MessageRef, n Notice) error
	// Announce posts a notice to the audit channel, if there is one, and
	// returns where it landed (empty without a channel).
	Announce(ctx context.Context, n Notice) (MessageRef, error)
}

// CheckValueKey returns EINVALID when key and value cannot be stored by
// Store.SetValue: an empty key, or a NUL byte (PostgreSQL's text refuses
// it), so that both engines refuse the same things.
func CheckValueKey(key, value string) error {
	if key == "" || strings.IndexByte(key, 0) >= 0 || strings.IndexByte(value, 0) >= 0 {
		return Errorf(EINVALID, "store: value key %q or its value is empty or holds a NUL byte", key)
	}
	return nil
}
