package access

import (
	"context"
	"time"
)

// Shift is one current on-call entry of a person.
type Shift struct {
	ScheduleID         string    `json:"schedule_id"` // "" when the entry comes from an escalation policy only
	EscalationPolicyID string    `json:"escalation_policy_id"`
	Level              int       `json:"level"` // escalation level, 1 = primary
	Start              time.Time `json:"start"` // zero: unknown
	End                time.Time `json:"end"`   // zero: open-ended (permanent on-call)
}

// OnCallSource answers who is on call.
type OnCallSource interface {
	// CurrentShifts returns the entries, current at now, of the person with
	// email in the schedules and escalation policies of p, whatever their level
	// (the caller applies p.Trusts). An empty result means not on call.
	// Returns EUNAVAILABLE when the on-call service cannot be asked, and
	// EUNAUTHORIZED or EINTERNAL otherwise; callers treat every error as "not
	// known", never as on call.
	CurrentShifts(ctx context.Context, email string, p OnCallPolicy, now time.Time) ([]Shift, error)
}

// QualifyingShift returns the trusted shift that lasts longest (open-ended
// first), or false when none of shifts is trusted by p.
func QualifyingShift(p *OnCallPolicy, shifts []Shift) (Shift, bool) {
	var best Shift
	found := false
	for _, s := range shifts {
		if !p.Trusts(s) {
			continue
		}
		if !found || longer(s, best) {
			best, found = s, true
		}
	}
	return best, found
}

func longer(a, b Shift) bool {
	switch {
	case a.End.IsZero():
		return !b.End.IsZero()
	case b.End.IsZero():
		return false
	}
	return a.End.After(b.End)
}
