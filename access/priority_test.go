package access_test

import (
	"context"
	"testing"

	"github.com/accessbot/accessbot/access"
)

func TestPriorityFromContext(t *testing.T) {
	bg := context.Background()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want access.Priority
	}{
		{"unmarked is interactive", bg, access.PriorityInteractive},
		{"urgent", access.WithPriority(bg, access.PriorityUrgent), access.PriorityUrgent},
		{"removal", access.WithPriority(bg, access.PriorityRemoval), access.PriorityRemoval},
		{"background", access.WithPriority(bg, access.PriorityBackground), access.PriorityBackground},
		{"the innermost wins", access.WithPriority(access.WithPriority(bg, access.PriorityUrgent), access.PriorityBackground), access.PriorityBackground},
		{"out of range is interactive", access.WithPriority(bg, access.Priority(42)), access.PriorityInteractive},
	} {
		if got := access.PriorityFrom(tc.ctx); got != tc.want {
			t.Errorf("%s: access.PriorityFrom = %v, want %v", tc.name, got, tc.want)
		}
	}
	if len(access.Priorities) != 4 || access.Priorities[0].String() != "urgent" || access.Priorities[3].String() != "background" {
		t.Errorf("access.Priorities = %v", access.Priorities)
	}
}
