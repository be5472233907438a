package storetest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// T0 has nanoseconds so that tests notice any loss of precision.
var T0 = time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)

var (
	alice = access.User{SlackID: "U1", Email: "alice@acme.com", Name: "Alice"}
	bob   = access.User{SlackID: "U2", Email: "bob@acme.com", Name: "Bob"}
)

// NewRequest returns a minimal request of the Slack user slackID.
func NewRequest(id, slackID string, created time.Time, state access.State) *access.Request {
	return &access.Request{
		ID:         id,
		Kind:       access.KindAccess,
		Requester:  access.User{SlackID: slackID, Email: slackID + "@acme.com"},
		ResourceID: "aws-prod-read",
		Duration:   time.Hour,
		Reason:     "incident",
		State:      state,
		CreatedAt:  created,
		UpdatedAt:  created,
	}
}

// FullRequest returns a request with every field set, so that a field JSON
// drops shows up in a round trip (TestFullRequestSetsEveryField keeps it so).
func FullRequest() *access.Request {
	return &access.Request{
		ID:            "req-1",
		Kind:          access.KindExtension,
		ParentID:      "req-0",
		Renews:        "req-00",
		Requester:     alice,
		ResourceID:    "aws-prod-read",
		Duration:      90 * time.Minute,
		UntilShiftEnd: true,
		ShiftEnd:      T0.Add(8 * time.Hour),
		Activity:      &access.Activity{IdleAfter: 7 * 24 * time.Hour, MaxAge: 90 * 24 * time.Hour},
		Reason:        "INC-42: débogage ✓",
		Approvers:     []string{"bob@acme.com", "carol@acme.com"},
		State:         access.StateActive,
		CreatedAt:     T0,
		UpdatedAt:     T0.Add(time.Minute),
		Decisions: []access.Decision{{By: bob, For: access.User{SlackID: "U3", Email: "carol@acme.com", Name: "carol"},
			At: T0.Add(30 * time.Second), Approve: true, Reason: "ok", Step: 1}},
		DecidedAt: T0.Add(30 * time.Second),
		OnCall: &access.Shift{
			ScheduleID: "PSCHED1", EscalationPolicyID: "PEP1", Level: 1,
			Start: T0.Add(-time.Hour), End: T0.Add(8 * time.Hour),
		},
		Grant: access.Grant{
			Checked:       true,
			Standing:      true,
			Account:       access.Account{ID: "00u1", Login: "alice@acme.com"},
			Target:        access.Target{Kind: access.TargetApp, ID: "0oa1"},
			DryRun:        true,
			GrantedAt:     T0.Add(time.Minute),
			ExpiresAt:     T0.Add(time.Minute + 90*time.Minute),
			Extensions:    1,
			RemindersSent: []time.Duration{time.Hour, 10 * time.Minute},
			Provision:     access.Retry{Attempts: 2, NextAt: T0.Add(20 * time.Second), LastError: "okta: 503"},
			Removal: &access.Removal{
				Outcome: access.StateRevoked, By: bob, Reason: "done", RequestedAt: T0.Add(time.Hour),
				Retry:   access.Retry{Attempts: 1, NextAt: T0.Add(61 * time.Minute), LastError: "okta: 429"},
				Alerted: true, Order: "ord-1",
			},
			EndedAt:          T0.Add(2 * time.Hour),
			Leftover:         &access.Retry{Attempts: 2, NextAt: T0.Add(3 * time.Hour), LastError: "okta: 503"},
			PendingExtension: "req-2",
			Usage: access.Usage{Uses: 3, First: T0.Add(2 * time.Minute), Last: T0.Add(40 * time.Minute),
				Page: "/api/v1/logs?after=1_x", Seen: []string{"e1", "e2"}, KeptAt: T0.Add(41 * time.Minute)},
		},
		Members:          []string{"req-3", "req-4"},
		EndsAt:           T0.Add(91 * time.Minute),
		ApproverMessages: []access.MessageRef{{UserID: "U2", Channel: "D2", TS: "1700000000.000100", ToldOnly: true}},
		RequesterMessage: access.MessageRef{UserID: "U1", Channel: "D1", TS: "1700000000.000200", ToldOnly: true},
		SubjectMessage:   access.MessageRef{UserID: "U4", Channel: "D4", TS: "1700000000.000400", ToldOnly: true},
		Messages:         []access.MessageRef{{UserID: "U0BOT", Channel: "C0AUDIT", TS: "1700000000.000300", ToldOnly: true}},
		Routed:           true,
		AdminsAsked:      true,
		RequestedBy:      access.User{SlackID: "U5", Email: "erin@acme.com", Name: "erin"},
		Step:             1,
		AutoNudged:       true,
		NudgedAt:         T0.Add(40 * time.Minute),
		EscalateAt:       T0.Add(4 * time.Hour),
		Escalated:        true,
		Due:              T0.Add(50 * time.Minute),
	}
}

// Event returns an event of type typ about r, by bob at T0.
func Event(typ access.EventType, r *access.Request) access.Event {
	return access.NewEvent(typ, bob, r, T0, map[string]string{"k": string(typ)})
}

// AssertEqual fails the test when got and want differ, showing both as JSON.
func AssertEqual(tb testing.TB, what string, got, want any) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		tb.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
	}
}

// Seqs returns the sequence numbers of evs.
func Seqs(evs []access.Event) []uint64 {
	out := []uint64{}
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}

// DueEntry formats a due index entry as Indexes.Due returns it.
func DueEntry(due time.Time, id string) string {
	return due.UTC().Format(time.RFC3339Nano) + " " + id
}

// RequesterEntry formats a requester index entry as Indexes.Requester returns it.
func RequesterEntry(slackID string, created time.Time, id string) string {
	return slackID + " " + created.UTC().Format(time.RFC3339Nano) + " " + id
}

// AllEvents returns every event of s, failing the test on an error.
func AllEvents(tb testing.TB, s access.Store) []access.Event {
	tb.Helper()
	evs, err := s.Events(tb.Context(), access.EventFilter{})
	if err != nil {
		tb.Fatalf("Events: %v", err)
	}
	return evs
}

func ids(rs []*access.Request) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func dueIndex(tb testing.TB, e Engine) []string {
	tb.Helper()
	return e.Indexes.Due(tb)
}

func openIndex(tb testing.TB, e Engine) []string {
	tb.Helper()
	return e.Indexes.Open(tb)
}

func requesterIndex(tb testing.TB, e Engine) []string {
	tb.Helper()
	return e.Indexes.Requester(tb)
}
