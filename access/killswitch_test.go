package access

import (
	"testing"
	"time"
)

func TestOrderEndsWhatItNames(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	erin := User{SlackID: "U0ERIN", Email: "erin@example.com"}
	alice := User{SlackID: "U0ALICE", Email: "alice@example.com"}
	bob := User{SlackID: "U0BOB", Email: "bob@example.com"}
	req := func(who User, resource string, state State, kind Kind) *Request {
		r := &Request{ID: "r", Kind: kind, Requester: who, ResourceID: resource, State: state}
		if state == StateActive || state == StateApproved {
			r.Grant = Grant{Checked: true, Account: Account{ID: "00u"}, Target: Target{Kind: TargetGroup, ID: "00g"}}
		}
		return r
	}
	ending := req(alice, "db", StateActive, KindAccess)
	ending.Grant.Removal = &Removal{Outcome: StateExpired}
	byResource := Order{ID: "o1", By: erin, ResourceID: "db", Reason: "leak"}
	byPerson := Order{ID: "o2", By: erin, Person: alice, Reason: "left"}
	tests := []struct {
		name    string
		order   Order
		r       *Request
		effect  OrderEffect
		state   State // after EndByOrder
		outcome State // the removal's outcome
	}{
		{"active grant of the resource", byResource, req(bob, "db", StateActive, KindAccess), OrderEndsGrant, StateActive, StateRevoked},
		{"approved request of the resource", byResource, req(bob, "db", StateApproved, KindAccess), OrderEndsRequest, StateApproved, StateCancelled},
		{"pending request of the resource", byResource, req(bob, "db", StatePending, KindAccess), OrderEndsRequest, StateCancelled, StateCancelled},
		{"pending extension", byResource, req(bob, "db", StatePending, KindExtension), OrderEndsRequest, StateCancelled, StateCancelled},
		{"approved extension", byResource, req(bob, "db", StateApproved, KindExtension), OrderEndsRequest, StateCancelled, StateCancelled},
		{"another resource", byResource, req(bob, "aws", StateActive, KindAccess), OrderSkips, StateActive, ""},
		{"a grant already ending", byResource, ending, OrderSkips, StateActive, StateExpired},
		{"an ended grant", byResource, req(bob, "db", StateExpired, KindAccess), OrderSkips, StateExpired, ""},
		{"the person's grant", byPerson, req(alice, "aws", StateActive, KindAccess), OrderEndsGrant, StateActive, StateRevoked},
		{"the person by email", byPerson, req(User{Email: "ALICE@example.com"}, "aws", StatePending, KindAccess), OrderEndsRequest, StateCancelled, StateCancelled},
		{"someone else", byPerson, req(bob, "aws", StateActive, KindAccess), OrderSkips, StateActive, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.order.Effect(tt.r); got != tt.effect {
				t.Fatalf("Effect = %d, want %d", got, tt.effect)
			}
			err := tt.r.EndByOrder(tt.order, now)
			if (err == nil) != (tt.effect != OrderSkips) {
				t.Fatalf("EndByOrder: %v", err)
			}
			if tt.r.State != tt.state {
				t.Errorf("state = %s, want %s", tt.r.State, tt.state)
			}
			rm := tt.r.Grant.Removal
			switch {
			case tt.outcome == "" && rm != nil:
				t.Errorf("removal %+v, want none", rm)
			case tt.outcome != "" && (rm == nil || rm.Outcome != tt.outcome):
				t.Errorf("removal %+v, want outcome %s", rm, tt.outcome)
			case tt.effect != OrderSkips && (!rm.Urgent() || rm.Order != tt.order.ID || !rm.By.Is(erin) || rm.Reason != tt.order.Reason):
				t.Errorf("removal %+v does not carry the order", rm)
			}
			if tt.effect != OrderSkips && tt.order.Effect(tt.r) != OrderSkips {
				t.Error("an order ends a request twice")
			}
		})
	}
	grants, open := byResource.Count([]*Request{req(bob, "db", StateActive, KindAccess), req(alice, "db", StatePending, KindAccess), req(alice, "db", StateApproved, KindAccess), ending})
	if grants != 1 || open != 2 {
		t.Errorf("Count = %d grants, %d open; want 1, 2", grants, open)
	}
}

func TestPauseRefusal(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := Pause{ResourceID: "db", By: User{Name: "Erin", Email: "erin@example.com"}, At: at, Reason: "INC-8"}
	res := &Resource{ID: "db", Name: "Production database"}
	for approval, want := range map[bool]Reason{false: ReasonPaused, true: ReasonPausedApproval} {
		err := p.Refusal(res, approval)
		if err.Code != ECONFLICT || err.Reason != want || err.Params.Person != "Erin" || !err.Params.Since.Equal(at) || err.Params.Value != "INC-8" || err.Params.Resource != res.Name {
			t.Errorf("Refusal(approval=%v) = %+v", approval, err)
		}
	}
}
