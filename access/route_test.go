package access_test

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// A pending request nobody was sent (the bot stopped between filing and
// routing it) is due at once, so the next sweep routes it; once routed it
// waits for its time-out.
func TestNeedsRouting(t *testing.T) {
	timing := access.Timing{PendingTTL: 24 * time.Hour}
	tests := []struct {
		name  string
		edit  func(r *access.Request)
		needs bool
	}{
		{"filed, never routed", func(*access.Request) {}, true},
		{"routed", func(r *access.Request) { r.Routed = true }, false},
		{"routed, nobody reachable", func(r *access.Request) { r.Routed = true; r.ApproverMessages = nil }, false},
		{"stored before Routed existed, with approver DMs", func(r *access.Request) {
			r.ApproverMessages = []access.MessageRef{{UserID: "U0BOB", Channel: "D0BOB", TS: "1.2"}}
		}, false},
		{"stored before Routed existed, with the requester's confirmation", func(r *access.Request) {
			r.RequesterMessage = access.MessageRef{UserID: "U0ALICE", Channel: "D0ALICE", TS: "1.3"}
		}, false},
		{"auto-approved before routing", func(r *access.Request) { r.State = access.StateApproved }, false},
		{"cancelled", func(r *access.Request) { r.State = access.StateCancelled }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pending(alice)
			tt.edit(r)
			if got := r.NeedsRouting(); got != tt.needs {
				t.Fatalf("NeedsRouting = %v, want %v", got, tt.needs)
			}
			if r.State != access.StatePending {
				return
			}
			want := t0.Add(timing.PendingTTL)
			if tt.needs {
				// Left to the flow that filed it for RouteGrace; a bot (or
				// another replica) takes it over after that.
				want = t0.Add(access.RouteGrace)
			}
			if due := r.NextDue(timing); !due.Equal(want) {
				t.Fatalf("due %v, want %v", due, want)
			}
		})
	}
}
