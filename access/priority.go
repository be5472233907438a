package access

import "context"

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
