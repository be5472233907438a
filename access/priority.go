package access

import (
	"context"
	"errors"
)

// Priority says how soon a call to the identity provider must go out when
// calls queue for its rate limits. Callers put it in the context of the call
// (WithPriority); the adapter that paces the calls reads it (PriorityFrom).
type Priority int

// Priorities, most urgent first. Urgent work goes before everything;
// interactive grants and due removals take turns, so that neither starves
// the other; background work goes when nothing else waits.
const (
	// PriorityUrgent: break-glass, and removals ordered by an admin's
	// revoke-all.
	PriorityUrgent Priority = iota + 1
	// PriorityInteractive: grants and lookups someone is waiting for.
	PriorityInteractive
	// PriorityRemoval: removals of grants that are due.
	PriorityRemoval
	// PriorityBackground: discovery, usage polling, reconciliation, and
	// lookups that can wait.
	PriorityBackground
)

// Priorities lists every priority, most urgent first.
var Priorities = []Priority{PriorityUrgent, PriorityInteractive, PriorityRemoval, PriorityBackground}

// String returns the priority's name: urgent, interactive, removal or
// background.
func (p Priority) String() string {
	switch p {
	case PriorityUrgent:
		return "urgent"
	case PriorityInteractive:
		return "interactive"
	case PriorityRemoval:
		return "removal"
	case PriorityBackground:
		return "background"
	}
	return "unknown"
}

type priorityKey struct{}

// WithPriority returns a copy of ctx that carries p.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFrom returns the priority ctx carries. A call nobody marked is
// taken as PriorityInteractive: an unmarked call is more likely one a
// person waits for than one that can wait.
func PriorityFrom(ctx context.Context) Priority {
	if p, ok := ctx.Value(priorityKey{}).(Priority); ok && p >= PriorityUrgent && p <= PriorityBackground {
		return p
	}
	return PriorityInteractive
}

// Turn says how a call waits for its turn when calls queue for the identity
// provider's rate limits. Callers put it in the context of the call
// (WithTurn); the adapter that paces the calls reads it (TurnFrom).
type Turn struct {
	// Stop, once closed, ends the wait of a call not yet made, which then
	// fails with ErrNoTurn. Work that goes on past a shutdown, so that a
	// call once made is seen through and recorded, sets it: a call still
	// waiting, perhaps for a whole rate-limit window, is left for the next
	// start instead.
	Stop <-chan struct{}
	// Waiting, when set, is called as a wait for a turn begins, and the
	// function it returns as that wait ends, so that a bound on the work can
	// leave out the time spent queued behind other work.
	Waiting func() (done func())
}

// ErrNoTurn is the cause of a call that was never made because Turn.Stop
// closed while it waited for its turn.
var ErrNoTurn = errors.New("the call waited for its turn and was not made: stopping")

type turnKey struct{}

// WithTurn returns a copy of ctx that carries t.
func WithTurn(ctx context.Context, t Turn) context.Context {
	return context.WithValue(ctx, turnKey{}, t)
}

// TurnFrom returns the Turn ctx carries; the zero Turn (wait as long as ctx
// lets) when none.
func TurnFrom(ctx context.Context) Turn {
	t, _ := ctx.Value(turnKey{}).(Turn)
	return t
}
