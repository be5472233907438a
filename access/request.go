package access

import (
	"slices"
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
	// KindBundle asks for a bundle; once approved it files one
	// KindBundleMember request per member resource (bundle.go).
	KindBundle       Kind = "bundle"
	KindBundleMember Kind = "bundle_member" // one member's grant; ParentID is the bundle's request
)

// Decision is one approver's answer.
type Decision struct {
	By User `json:"by"`
	// For is the approver By decided for, under a delegation; zero when By
	// decided in their own right.
	For User `json:"for,omitzero"`
	// Step is the approval step the decision was given in (0 without steps).
	Step    int       `json:"step,omitempty"`
	At      time.Time `json:"at"`
	Approve bool      `json:"approve"`
	Reason  string    `json:"reason"`
}

// MessageRef says where a Slack message about a request landed, so it can be updated.
type MessageRef struct {
	UserID  string `json:"user_id"` // the recipient
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// ToldOnly marks an approval message sent to someone who may not decide
	// the request (on a notify list, not among its approvers): it shows the
	// request and its outcome, never the buttons.
	ToldOnly bool `json:"told_only,omitempty"`
}

// Retry tracks the attempts at a call to the identity provider.
type Retry struct {
	Attempts  int       `json:"attempts"`
	NextAt    time.Time `json:"next_at"` // zero: attempt now
	LastError string    `json:"last_error"`
}

// Removal is the pending or finished removal of a grant's access. It is
// recorded before the first attempt, and only Okta's confirmation ends it.
type Removal struct {
	// Outcome is the state the request takes once the access is gone:
	// StateExpired, StateRevoked, StateCancelled (an approved request the
	// requester withdrew) or StateFailed (a grant given up after retries).
	Outcome     State     `json:"outcome"`
	By          User      `json:"by"` // who revoked; System at expiry
	Reason      string    `json:"reason"`
	RequestedAt time.Time `json:"requested_at"`
	Retry       Retry     `json:"retry"`
	Alerted     bool      `json:"alerted"` // admins were told that removal keeps failing
	// Order is the id of the admin's revoke-all that ordered the removal
	// (Order.ID), empty otherwise.
	Order string `json:"order,omitempty"`
}

// Grant is the access a request became once provisioned.
type Grant struct {
	// Checked is set once the identity provider was asked whether the user
	// already holds the access; Standing is its answer. Standing access was not
	// granted by accessbot and is never removed by it.
	Checked  bool `json:"checked"`
	Standing bool `json:"standing"`
	// Account, Target and DryRun are what the grant changes in the identity
	// provider, recorded before the change is attempted. The removal undoes
	// exactly that, whatever the config, the directory or the bot's mode say
	// by then.
	Account       Account         `json:"account"`
	Target        Target          `json:"target"`
	DryRun        bool            `json:"dry_run,omitempty"`
	GrantedAt     time.Time       `json:"granted_at"`
	ExpiresAt     time.Time       `json:"expires_at"`
	Extensions    int             `json:"extensions"`
	RemindersSent []time.Duration `json:"reminders_sent,omitempty"` // lead times already reminded, since the last extension
	Provision     Retry           `json:"provision"`
	Removal       *Removal        `json:"removal,omitempty"`
	EndedAt       time.Time       `json:"ended_at"`
	// Leftover is set when the grant reached the identity provider after
	// the request had ended and its removal had run (another replica ended
	// it while this grant's call was in flight): what the grant recorded is
	// held again and is removed once more, retried until confirmed.
	Leftover *Retry `json:"leftover,omitempty"`
	// PendingExtension is the id of an extension request waiting for approval.
	PendingExtension string `json:"pending_extension"`
	// Usage is what Okta's System Log told of the grant's use.
	Usage Usage `json:"usage"`
}

// Prepared reports whether the grant recorded what it changes.
func (g *Grant) Prepared() bool { return g.Checked && g.Account.ID != "" && !g.Target.IsZero() }

// Changes reports whether undoing the grant means a call to the identity
// provider: it recorded a real (not dry-run) change of access that the
// person did not hold before.
func (g *Grant) Changes() bool { return g.Prepared() && !g.Standing && !g.DryRun }

// Request is a request for access and, once approved, the grant it became.
type Request struct {
	ID       string `json:"id"`
	Kind     Kind   `json:"kind"`
	ParentID string `json:"parent_id"` // KindExtension: the request whose grant is extended; KindBundleMember: the bundle's request
	// Requester is the person who gets the access (the subject). On a
	// request made on their behalf, RequestedBy is who asked; zero otherwise.
	Requester     User          `json:"requester"`
	RequestedBy   User          `json:"requested_by,omitzero"`
	ResourceID    string        `json:"resource_id"`
	Duration      time.Duration `json:"duration"`        // asked for; for an extension, the time added
	UntilShiftEnd bool          `json:"until_shift_end"` // the grant ends with the requester's on-call shift
	ShiftEnd      time.Time     `json:"shift_end"`       // with UntilShiftEnd: when that shift ends (zero: open-ended)
	// Renews is the activity grant this request asks to keep past its
	// max_age; once approved, that grant is handed over (HandOver).
	Renews string `json:"renews,omitempty"`
	// Activity, when set, makes the grant last while it is used (the
	// resource's terms when it was asked for); Duration is then zero.
	Activity  *Activity `json:"activity,omitempty"`
	Reason    string    `json:"reason"`
	Approvers []string  `json:"approvers,omitempty"` // emails the request was sent to, lower case
	// AdminsAsked is set when none of the approvers could be reached and the
	// admins were asked instead; they may then decide it (Deciders).
	AdminsAsked bool `json:"admins_asked,omitempty"`
	// Step is the approval step a pending request is in (0-based; 0 for a
	// resource without steps).
	Step int `json:"step,omitempty"`
	// AutoNudged is set once the approvers who had not answered were
	// reminded; NudgedAt is when the requester last nudged them.
	AutoNudged bool      `json:"auto_nudged,omitempty"`
	NudgedAt   time.Time `json:"nudged_at,omitzero"`
	// EscalateAt is when the escalation approvers are asked too, if still
	// pending (zero: never); Escalated is set once they were.
	EscalateAt time.Time  `json:"escalate_at,omitzero"`
	Escalated  bool       `json:"escalated,omitempty"`
	State      State      `json:"state"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Decisions  []Decision `json:"decisions,omitempty"`
	DecidedAt  time.Time  `json:"decided_at"`
	OnCall     *Shift     `json:"on_call,omitempty"` // the shift that auto-approved or allowed break-glass
	Grant      Grant      `json:"grant"`
	// Members (KindBundle) are the ids of the member requests, once filed.
	Members []string `json:"members,omitempty"`
	// EndsAt (KindBundle, KindBundleMember) is when the bundle's grants all
	// end, fixed when it is approved: a member granted late still ends then.
	EndsAt time.Time `json:"ends_at,omitempty"`
	// Messages to update when the request changes.
	ApproverMessages []MessageRef `json:"approver_messages,omitempty"`
	RequesterMessage MessageRef   `json:"requester_message"`
	// SubjectMessage is where the person a request was made for was told
	// of it (NoticeOnBehalf, with Decline).
	SubjectMessage MessageRef `json:"subject_message,omitzero"`
	// Messages are the posts about the request outside anyone's DM that
	// carry buttons (the break-glass announcement in the audit channel).
	// A click may redraw only a message recorded on its request, or one in
	// the clicker's own DM with the bot.
	Messages []MessageRef `json:"messages,omitempty"`
	// Routed is set once the approvers were sent the request (or tried: it
	// is set even when none could be reached). A pending request without it
	// was filed by a bot that stopped before telling anyone; see NeedsRouting.
	Routed bool `json:"routed,omitempty"`
	// Due is when the bot must next act on the request (time-out, provisioning
	// retry, reminder, expiry, removal retry); zero once final. The store
	// indexes it so a sweep seeks to now instead of scanning.
	Due time.Time `json:"due"`
}

// HasMessage reports whether the message at channel and ts is one the bot
// recorded for r.
func (r *Request) HasMessage(channel, ts string) bool {
	if channel == "" || ts == "" {
		return false
	}
	refs := append([]MessageRef{r.RequesterMessage, r.SubjectMessage}, r.ApproverMessages...)
	for _, ref := range append(refs, r.Messages...) {
		if ref.Channel == channel && ref.TS == ts {
			return true
		}
	}
	return false
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
		if d.By.Is(u) || d.For.Is(u) {
			return d, true
		}
	}
	return Decision{}, false
}

// CheckDecider returns nil when by may approve or deny r now: r is pending, by
// is in deciders (who may decide it now, see Deciders), is not the
// requester, and has not decided already. When by is not in a set that
// could not be read whole, the refusal is EUNAVAILABLE: asking again later
// may succeed.
func (r *Request) CheckDecider(by User, res *Resource, deciders ApproverSet) error {
	return r.checkDecider(by, User{}, res, deciders)
}

// CheckDeciderFor is CheckDecider for by deciding for delegator (a zero
// delegator: for themselves).
func (r *Request) CheckDeciderFor(by, delegator User, res *Resource, deciders ApproverSet) error {
	return r.checkDecider(by, delegator, res, deciders)
}

// checkDecider is CheckDecider for by deciding for delegator (zero: for
// themselves); delegator must be in deciders, and neither may have decided.
func (r *Request) checkDecider(by, delegator User, res *Resource, deciders ApproverSet) error {
	if r.IsParty(by) || r.IsParty(delegator) {
		return Refuse(EFORBIDDEN, ReasonOwnRequest, Params{RequestID: r.ID, Resource: res.Name})
	}
	if delegator != (User{}) {
		if _, done := r.decidedBy(delegator); done && r.State == StatePending {
			return Refuse(ECONFLICT, ReasonAlreadyDecided, Params{RequestID: r.ID, Approve: true, Person: delegator.Display()})
		}
		by = delegator // eligibility is the delegator's
	}
	if !deciders.Includes(by) {
		if !deciders.Complete() {
			return Refuse(EUNAVAILABLE, ReasonApproversUnknown, Params{RequestID: r.ID, Resource: res.Name})
		}
		return Refuse(EFORBIDDEN, ReasonNotApprover, Params{RequestID: r.ID, Resource: res.Name})
	}
	if r.State != StatePending {
		return r.notPending()
	}
	if d, ok := r.decidedBy(by); ok {
		return Refuse(ECONFLICT, ReasonAlreadyDecided, Params{RequestID: r.ID, Approve: d.Approve})
	}
	return nil
}

// Approve records by's approval. It reports whether the request became
// approved: RequiredApprovals distinct people approved who are in deciders
// now (an approver removed since no longer counts).
func (r *Request) Approve(by User, res *Resource, deciders ApproverSet, now time.Time) (bool, error) {
	return r.ApproveFor(by, User{}, res, deciders, now)
}

// ApproveFor is Approve by a delegate for delegator (see DelegatorFor);
// the approval counts as delegator's. A zero delegator is Approve.
func (r *Request) ApproveFor(by, delegator User, res *Resource, deciders ApproverSet, now time.Time) (bool, error) {
	if err := r.checkDecider(by, delegator, res, deciders); err != nil {
		return false, err
	}
	if delegator != (User{}) {
		if _, done := r.decidedBy(by); done {
			return false, Refuse(ECONFLICT, ReasonAlreadyDecided, Params{RequestID: r.ID, Approve: true})
		}
	}
	r.Decisions = append(r.Decisions, Decision{By: by, For: delegator, At: now, Approve: true, Step: r.Step})
	if r.EligibleApprovals(deciders) < r.RequiredNow(res) {
		return false, nil
	}
	if r.Step+1 < res.StepCount() {
		r.Step++ // the next step is asked; the request stays pending
		return false, nil
	}
	r.State, r.DecidedAt = StateApproved, now
	return true, nil
}

// Deciders returns who may decide r now: approvers (the resource's
// approvers, resolved now) and, when r had to go to the admins, the admins.
func (r *Request) Deciders(approvers ApproverSet, admins []string) ApproverSet {
	if !r.AdminsAsked {
		return approvers
	}
	out := ApproverSet{People: append([]User(nil), approvers.People...), Unreadable: approvers.Unreadable, Empty: approvers.Empty}
	for _, a := range admins {
		out.Add(User{Email: a})
	}
	return out
}

// EligibleApprovals counts the approvals given in r's current step by
// people who are in deciders now and are not party to r.
func (r *Request) EligibleApprovals(deciders ApproverSet) int {
	var counted []User
	for _, d := range r.StepApprovals() {
		who := d.By
		if d.For != (User{}) {
			who = d.For // a delegate's approval is the delegator's
		}
		if !d.Approve || !deciders.Includes(who) || r.IsParty(who) || r.IsParty(d.By) || slices.ContainsFunc(counted, who.Is) {
			continue
		}
		counted = append(counted, who)
	}
	return len(counted)
}

// Deny records by's denial; one denial denies the request.
func (r *Request) Deny(by User, res *Resource, deciders ApproverSet, reason string, now time.Time) error {
	return r.DenyFor(by, User{}, res, deciders, reason, now)
}

// DenyFor is Deny by a delegate for delegator; a zero delegator is Deny.
func (r *Request) DenyFor(by, delegator User, res *Resource, deciders ApproverSet, reason string, now time.Time) error {
	if err := r.checkDecider(by, delegator, res, deciders); err != nil {
		return err
	}
	r.Decisions = append(r.Decisions, Decision{By: by, For: delegator, At: now, Reason: reason, Step: r.Step})
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

// Cancellable reports whether the requester may still cancel r: while it
// is pending, or approved and still waiting for the identity provider.
func (r *Request) Cancellable() bool {
	return r.State == StatePending || (r.State == StateApproved && r.Kind != KindExtension && r.Grant.Removal == nil)
}

// Cancel ends a request at its requester's wish: a pending one at once; an
// approved one still waiting for the identity provider through a removal of
// whatever may have landed.
func (r *Request) Cancel(by User, now time.Time) error {
	if !r.IsParty(by) {
		return Refuse(EFORBIDDEN, ReasonOnlyRequester, Params{RequestID: r.ID})
	}
	switch {
	case !r.Cancellable():
		return r.notPending()
	case r.State == StatePending:
		r.State, r.DecidedAt = StateCancelled, now
		return nil
	}
	return r.BeginRemoval(StateCancelled, by, "", now)
}

// TimeOut ends a pending request nobody answered within ttl.
func (r *Request) TimeOut(ttl time.Duration, now time.Time) error {
	if r.State != StatePending {
		return r.notPending()
	}
	if now.Before(r.CreatedAt.Add(ttl)) {
		return r.wrongState()
	}
	r.State, r.DecidedAt = StateTimedOut, now
	return nil
}

// MarkExtended ends an approved extension request once the grant was extended.
func (r *Request) MarkExtended(now time.Time) error {
	if r.Kind != KindExtension || r.State != StateApproved {
		return r.wrongState()
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

// NeedsRouting reports whether r is a pending request whose approvers were
// never sent it: the bot stopped between filing it and routing it. Requests
// stored before Routed existed count as routed once they have messages.
func (r *Request) NeedsRouting() bool {
	return r.State == StatePending && !r.Routed && len(r.ApproverMessages) == 0 && r.RequesterMessage.TS == ""
}

func (r *Request) notPending() error {
	if d, ok := r.Decider(); ok && (r.State == StateApproved || r.State == StateActive || r.State == StateDenied) && d.By.Display() != "" {
		return Refuse(ECONFLICT, ReasonDecidedBy, Params{RequestID: r.ID, State: r.State, Approve: d.Approve, Person: d.By.Display()})
	}
	switch r.State {
	case StateApproved, StateActive, StateExpired, StateRevoked, StateFailed:
		return Refuse(ECONFLICT, ReasonAlreadyApproved, Params{RequestID: r.ID, State: r.State})
	}
	return Refuse(ECONFLICT, ReasonNotPending, Params{RequestID: r.ID, State: r.State})
}
