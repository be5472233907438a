package access

import (
	"strings"
	"time"
)

// State is where a request is in its life cycle (DESIGN.md §4).
type State string

const (
	StatePending   State = "pending"
	StateApproved  State = "approved" // approved, not yet provisioned (retrying)
	StateActive    State = "active"   // provisioned; the grant's clock runs
	StateExpired   State = "expired"
	StateRevoked   State = "revoked"
	StateDenied    State = "denied"
	StateCancelled State = "cancelled"
	StateTimedOut  State = "timed_out"
	StateFailed    State = "failed" // provisioning gave up; admins alerted
	// StateExtended ends an approved extension request once its grant was extended.
	StateExtended State = "extended"
)

// Final reports whether nothing more will happen to a request in state s.
func (s State) Final() bool {
	switch s {
	case StatePending, StateApproved, StateActive:
		return false
	}
	return true
}

// Kind tells the three ways a request comes about.
type Kind string

const (
	KindAccess     Kind = "access"      // asked for with /access
	KindExtension  Kind = "extension"   // asks to extend the grant of ParentID
	KindBreakGlass Kind = "break_glass" // emergency, granted at once to the on-call
)

// Decision is one approver's answer.
type Decision struct {
	By      User
	At      time.Time
	Approve bool
	Reason  string
}

// MessageRef says where a Slack message about a request landed, so it can be updated.
type MessageRef struct {
	UserID  string // the recipient
	Channel string
	TS      string
}

// Retry tracks the attempts at a call to the identity provider.
type Retry struct {
	Attempts  int
	NextAt    time.Time // zero: attempt now
	LastError string
}

// Removal is the pending or finished removal of a grant's access. It is
// recorded before the first attempt, and only Okta's confirmation ends it.
type Removal struct {
	Outcome     State // StateExpired or StateRevoked
	By          User  // who revoked; System at expiry
	Reason      string
	RequestedAt time.Time
	Retry       Retry
	Alerted     bool // admins were told that removal keeps failing
}

// Grant is the access a request became once provisioned.
type Grant struct {
	// Checked is set once the identity provider was asked whether the user
	// already holds the access; Standing is its answer. Standing access was not
	// granted by accessbot and is never removed by it.
	Checked       bool
	Standing      bool
	GrantedAt     time.Time
	ExpiresAt     time.Time
	Extensions    int
	RemindersSent []time.Duration // lead times already reminded, since the last extension
	Provision     Retry
	Removal       *Removal
	EndedAt       time.Time
	// PendingExtension is the id of an extension request waiting for approval.
	PendingExtension string
}

// Request is a request for access and, once approved, the grant it became.
type Request struct {
	ID            string
	Kind          Kind
	ParentID      string // KindExtension: the request whose grant is extended
	Requester     User
	ResourceID    string
	Duration      time.Duration // asked for; for an extension, the time added
	UntilShiftEnd bool          // the grant ends with the requester's on-call shift
	ShiftEnd      time.Time     // with UntilShiftEnd: when that shift ends (zero: open-ended)
	Reason        string
	Approvers     []string // emails the request was sent to, lower case
	State         State
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Decisions     []Decision
	DecidedAt     time.Time
	OnCall        *Shift // the shift that auto-approved or allowed break-glass
	Grant         Grant
	// Messages to update when the request changes.
	ApproverMessages []MessageRef
	RequesterMessage MessageRef
	// Routed is set once the approvers were sent the request (or tried: it
	// is set even when none could be reached). A pending request without it
	// was filed by a bot that stopped before telling anyone; see NeedsRouting.
	Routed bool `json:",omitempty"`
	// Due is when the bot must next act on the request (time-out, provisioning
	// retry, reminder, expiry, removal retry); zero once final. The store
	// indexes it so a sweep seeks to now instead of scanning.
	Due time.Time
}

// Approvals returns the approving decisions.
func (r *Request) Approvals() []Decision {
	var out []Decision
	for _, d := range r.Decisions {
		if d.Approve {
			out = append(out, d)
		}
	}
	return out
}

// Decider returns the decision that ended the pending state, if any.
func (r *Request) Decider() (Decision, bool) {
	if len(r.Decisions) == 0 || r.State == StatePending {
		return Decision{}, false
	}
	return r.Decisions[len(r.Decisions)-1], true
}

func (r *Request) decidedBy(u User) (Decision, bool) {
	for _, d := range r.Decisions {
		if d.By.Is(u) {
			return d, true
		}
	}
	return Decision{}, false
}

// CheckDecider returns nil when by may approve or deny r now: r is pending, by
// is an approver of res, is not the requester, and has not decided already.
func (r *Request) CheckDecider(by User, res *Resource) error {
	if by.Is(r.Requester) {
		return Errorf(EFORBIDDEN, "You can't approve or deny your own request; another approver of %s has to.", res.Name)
	}
	if !res.IsApprover(by.Email) {
		return Errorf(EFORBIDDEN, "You are not an approver of %s.", res.Name)
	}
	if r.State != StatePending {
		return r.notPending()
	}
	if d, ok := r.decidedBy(by); ok {
		return Errorf(ECONFLICT, "You already %s this request.", verb(d.Approve))
	}
	return nil
}

// Approve records by's approval. It reports whether the request became
// approved (MinApprovals distinct approvers reached).
func (r *Request) Approve(by User, res *Resource, now time.Time) (bool, error) {
	if err := r.CheckDecider(by, res); err != nil {
		return false, err
	}
	r.Decisions = append(r.Decisions, Decision{By: by, At: now, Approve: true})
	if len(r.Approvals()) < max(res.MinApprovals, 1) {
		return false, nil
	}
	r.State, r.DecidedAt = StateApproved, now
	return true, nil
}

// Deny records by's denial; one denial denies the request.
func (r *Request) Deny(by User, res *Resource, reason string, now time.Time) error {
	if err := r.CheckDecider(by, res); err != nil {
		return err
	}
	r.Decisions = append(r.Decisions, Decision{By: by, At: now, Reason: reason})
	r.State, r.DecidedAt = StateDenied, now
	return nil
}

// AutoApprove approves r without a person, on the strength of an on-call shift.
func (r *Request) AutoApprove(shift Shift, now time.Time) error {
	if r.State != StatePending {
		return r.notPending()
	}
	r.OnCall = &shift
	r.State, r.DecidedAt = StateApproved, now
	return nil
}

// Cancel ends a pending request at its requester's wish.
func (r *Request) Cancel(by User, now time.Time) error {
	if !by.Is(r.Requester) {
		return Errorf(EFORBIDDEN, "Only the requester can cancel request %s.", r.ID)
	}
	if r.State != StatePending {
		return r.notPending()
	}
	r.State, r.DecidedAt = StateCancelled, now
	return nil
}

// TimeOut ends a pending request nobody answered within ttl.
func (r *Request) TimeOut(ttl time.Duration, now time.Time) error {
	if r.State != StatePending {
		return r.notPending()
	}
	if now.Before(r.CreatedAt.Add(ttl)) {
		return Errorf(ECONFLICT, "Request %s has not timed out yet.", r.ID)
	}
	r.State, r.DecidedAt = StateTimedOut, now
	return nil
}

// MarkExtended ends an approved extension request once the grant was extended.
func (r *Request) MarkExtended(now time.Time) error {
	if r.Kind != KindExtension || r.State != StateApproved {
		return Errorf(ECONFLICT, "Request %s is not an approved extension.", r.ID)
	}
	r.State = StateExtended
	r.Grant.EndedAt = now
	return nil
}

// Withdraw ends a request that can no longer go ahead: a pending or approved
// extension whose grant ended first, or a pending request superseded by break-glass.
func (r *Request) Withdraw(now time.Time) error {
	if r.State != StatePending && !(r.Kind == KindExtension && r.State == StateApproved) {
		return r.notPending()
	}
	r.State, r.DecidedAt = StateCancelled, now
	return nil
}

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

// NeedsRouting reports whether r is a pending request whose approvers were
// never sent it: the bot stopped between filing it and routing it. Requests
// stored before Routed existed count as routed once they have messages.
func (r *Request) NeedsRouting() bool {
	return r.State == StatePending && !r.Routed && len(r.ApproverMessages) == 0 && r.RequesterMessage.TS == ""
}

// Timing is the part of config that decides when the bot acts on its own.
type Timing struct {
	PendingTTL time.Duration
	Reminders  []time.Duration // lead times before expiry
}

// NextDue returns when the bot must next act on r; zero when never.
func (r *Request) NextDue(t Timing) time.Time {
	switch r.State {
	case StatePending:
		if r.NeedsRouting() {
			return r.CreatedAt // route it now (a bot that filed it and stopped never did)
		}
		if t.PendingTTL <= 0 {
			return time.Time{}
		}
		return r.CreatedAt.Add(t.PendingTTL)
	case StateApproved:
		if r.Grant.Provision.NextAt.IsZero() {
			return r.DecidedAt
		}
		return r.Grant.Provision.NextAt
	case StateActive:
		if rm := r.Grant.Removal; rm != nil {
			if rm.Retry.NextAt.IsZero() {
				return rm.RequestedAt
			}
			return rm.Retry.NextAt
		}
		due := r.Grant.ExpiresAt
		for _, lead := range t.Reminders {
			if at := r.Grant.ExpiresAt.Add(-lead); r.reminderApplies(lead) && at.Before(due) {
				due = at
			}
		}
		return due
	}
	return time.Time{}
}

func (r *Request) notPending() error {
	if d, ok := r.Decider(); ok && (r.State == StateApproved || r.State == StateActive || r.State == StateDenied) && d.By.Display() != "" {
		return Errorf(ECONFLICT, "This request was already %s by %s.", pastTense(r.State, d), d.By.Display())
	}
	switch r.State {
	case StateApproved, StateActive, StateExpired, StateRevoked, StateFailed:
		return Errorf(ECONFLICT, "This request was already approved.")
	}
	return Errorf(ECONFLICT, "This request is already %s.", strings.ReplaceAll(string(r.State), "_", " "))
}

func pastTense(s State, d Decision) string {
	if s == StateDenied {
		return "denied"
	}
	return verb(d.Approve)
}

func verb(approve bool) string {
	if approve {
		return "approved"
	}
	return "denied"
}
