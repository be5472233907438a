package access

import (
	"context"
	"time"
)

// DefaultNudgeAfter is how long a pending request waits before the
// approvers who have not answered are reminded, when config says nothing.
const DefaultNudgeAfter = time.Hour

// NudgeEvery is how often the requester may nudge the approvers of one request.
const NudgeEvery = 30 * time.Minute

// Escalation asks more people when a request stays undecided.
type Escalation struct {
	After     time.Duration
	Approvers []string // entries as in Resource.Approvers
}

// EscalationEntries returns the escalation approvers of r, parsed; nil without escalation.
func (r *Resource) EscalationEntries() []ApproverEntry {
	if r.Escalation == nil {
		return nil
	}
	return ParseApproverEntries(r.Escalation.Approvers)
}

// DeciderEntries returns the entries whose people may decide r: the
// approvers of the resource (of r's current step, when it approves in
// steps) and, once r was escalated, the escalation approvers.
func (r *Request) DeciderEntries(res *Resource) []ApproverEntry {
	entries := res.StepEntries(r.Step)
	if r.Escalated {
		entries = append(entries, res.EscalationEntries()...)
	}
	return entries
}

// Nudge records that by, the requester, reminded the approvers of r now.
// Refused for anyone else, a request no longer pending, or a nudge less
// than NudgeEvery after the last one (Params.Max says how long to wait).
func (r *Request) Nudge(by User, now time.Time) error {
	if !r.IsParty(by) {
		return Refuse(EFORBIDDEN, ReasonOnlyRequesterNudge, Params{RequestID: r.ID})
	}
	if r.State != StatePending {
		return r.notPending()
	}
	if next := r.NudgedAt.Add(NudgeEvery); !r.NudgedAt.IsZero() && now.Before(next) {
		return Refuse(ECONFLICT, ReasonNudgedRecently, Params{RequestID: r.ID, Max: next.Sub(now).Round(time.Minute)})
	}
	r.NudgedAt = now
	return nil
}

// AutoNudgeDue reports whether the approvers of r are due the one
// reminder the bot sends by itself.
func (r *Request) AutoNudgeDue(t Timing, now time.Time) bool {
	return r.State == StatePending && !r.AutoNudged && t.NudgeAfter > 0 && !now.Before(r.CreatedAt.Add(t.NudgeAfter))
}

// EscalationDue reports whether r is due to be escalated.
func (r *Request) EscalationDue(now time.Time) bool {
	return r.State == StatePending && !r.Escalated && !r.EscalateAt.IsZero() && !now.Before(r.EscalateAt)
}

// pendingDue is when the bot must next act on a pending, routed request:
// the reminder, the escalation or the time-out, whichever comes first.
func (r *Request) pendingDue(t Timing) time.Time {
	var due time.Time
	earliest := func(at time.Time) {
		if !at.IsZero() && (due.IsZero() || at.Before(due)) {
			due = at
		}
	}
	if t.PendingTTL > 0 {
		earliest(r.CreatedAt.Add(t.PendingTTL))
	}
	if t.NudgeAfter > 0 && !r.AutoNudged {
		earliest(r.CreatedAt.Add(t.NudgeAfter))
	}
	if !r.Escalated {
		earliest(r.EscalateAt)
	}
	return due
}

// Replier is a Messenger that can also answer in a message's thread; the
// workflow nudges approvers in the thread of the request they were sent
// when the messenger can, and with a new message when it cannot.
type Replier interface {
	// Reply posts n in the thread of ref and returns where it landed.
	Reply(ctx context.Context, ref MessageRef, n Notice) (MessageRef, error)
}
