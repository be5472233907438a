package access

import (
	"context"
	"testing"
)

func TestPriorityFromContext(t *testing.T) {
	bg := context.Background()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want Priority
	}{
		{"unmarked is interactive", bg, PriorityInteractive},
		{"urgent", WithPriority(bg, PriorityUrgent), PriorityUrgent},
		{"removal", WithPriority(bg, PriorityRemoval), PriorityRemoval},
		{"background", WithPriority(bg, PriorityBackground), PriorityBackground},
		{"the innermost wins", WithPriority(WithPriority(bg, PriorityUrgent), PriorityBackground), PriorityBackground},
		{"out of range is interactive", WithPriority(bg, Priority(42)), PriorityInteractive},
	} {
		if got := PriorityFrom(tc.ctx); got != tc.want {
			t.Errorf("%s: PriorityFrom = %v, want %v", tc.name, got, tc.want)
		}
	}
	if len(Priorities) != 4 || Priorities[0].String() != "urgent" || Priorities[3].String() != "background" {
		t.Errorf("Priorities = %v", Priorities)
	}
}
