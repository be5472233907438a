package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	bolt "go.etcd.io/bbolt"
)

// t0 has nanoseconds so that tests notice any loss of precision.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)

var (
	alice = access.User{SlackID: "U1", Email: "alice@acme.com", Name: "Alice"}
	bob   = access.User{SlackID: "U2", Email: "bob@acme.com", Name: "Bob"}
)

// newRequest returns a minimal request of the Slack user slackID.
func newRequest(id, slackID string, created time.Time, state access.State) *access.Request {
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

// fullRequest returns a request with every field set, so that a field JSON
// drops shows up in a round trip (TestFullRequestSetsEveryField keeps it so).
func fullRequest() *access.Request {
	return &access.Request{
		ID:            "req-1",
		Kind:          access.KindExtension,
		ParentID:      "req-0",
		Requester:     alice,
		ResourceID:    "aws-prod-read",
		Duration:      90 * time.Minute,
		UntilShiftEnd: true,
		ShiftEnd:      t0.Add(8 * time.Hour),
		Reason:        "INC-42: débogage ✓",
		Approvers:     []string{"bob@acme.com", "carol@acme.com"},
		State:         access.StateActive,
		CreatedAt:     t0,
		UpdatedAt:     t0.Add(time.Minute),
		Decisions:     []access.Decision{{By: bob, At: t0.Add(30 * time.Second), Approve: true, Reason: "ok"}},
		DecidedAt:     t0.Add(30 * time.Second),
		OnCall: &access.Shift{
			ScheduleID: "PSCHED1", EscalationPolicyID: "PEP1", Level: 1,
			Start: t0.Add(-time.Hour), End: t0.Add(8 * time.Hour),
		},
		Grant: access.Grant{
			Checked:       true,
			Standing:      true,
			Account:       access.Account{ID: "00u1", Login: "alice@acme.com"},
			Target:        access.Target{Kind: access.TargetApp, ID: "0oa1"},
			DryRun:        true,
			GrantedAt:     t0.Add(time.Minute),
			ExpiresAt:     t0.Add(time.Minute + 90*time.Minute),
			Extensions:    1,
			RemindersSent: []time.Duration{time.Hour, 10 * time.Minute},
			Provision:     access.Retry{Attempts: 2, NextAt: t0.Add(20 * time.Second), LastError: "okta: 503"},
			Removal: &access.Removal{
				Outcome: access.StateRevoked, By: bob, Reason: "done", RequestedAt: t0.Add(time.Hour),
				Retry:   access.Retry{Attempts: 1, NextAt: t0.Add(61 * time.Minute), LastError: "okta: 429"},
				Alerted: true,
			},
			EndedAt:          t0.Add(2 * time.Hour),
			PendingExtension: "req-2",
		},
		ApproverMessages: []access.MessageRef{{UserID: "U2", Channel: "D2", TS: "1700000000.000100"}},
		RequesterMessage: access.MessageRef{UserID: "U1", Channel: "D1", TS: "1700000000.000200"},
		Messages:         []access.MessageRef{{UserID: "U0BOT", Channel: "C0AUDIT", TS: "1700000000.000300"}},
		Routed:           true,
		Due:              t0.Add(50 * time.Minute),
	}
}

func event(typ access.EventType, r *access.Request) access.Event {
	return access.NewEvent(typ, bob, r, t0, map[string]string{"k": string(typ)})
}

// assertEqual fails the test when got and want differ, showing both as JSON.
func assertEqual(tb testing.TB, what string, got, want any) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		tb.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
	}
}

func keyTime(k []byte) string {
	return time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC().Format(time.RFC3339Nano)
}

func dueEntry(due time.Time, id string) string {
	return due.UTC().Format(time.RFC3339Nano) + " " + id
}

// dueIndex returns the due index as "time id" entries, in key order.
func dueIndex(tb testing.TB, s *Store) []string {
	tb.Helper()
	return indexEntriesOf(tb, s, bucketDue, func(k []byte) string { return keyTime(k[:8]) + " " + string(k[8:]) })
}

func requesterEntry(slackID string, created time.Time, id string) string {
	return slackID + " " + created.UTC().Format(time.RFC3339Nano) + " " + id
}

// requesterIndex returns the by_requester index as "slack-id time id" entries.
func requesterIndex(tb testing.TB, s *Store) []string {
	tb.Helper()
	return indexEntriesOf(tb, s, bucketByRequester, func(k []byte) string {
		i := 0
		for k[i] != 0 {
			i++
		}
		return string(k[:i]) + " " + keyTime(k[i+1:i+9]) + " " + string(k[i+9:])
	})
}

// openIndex returns the ids in the open index.
func openIndex(tb testing.TB, s *Store) []string {
	tb.Helper()
	return indexEntriesOf(tb, s, bucketOpen, func(k []byte) string { return string(k) })
}

func indexEntriesOf(tb testing.TB, s *Store, bucket []byte, format func([]byte) string) []string {
	tb.Helper()
	out := []string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			if len(v) != 0 {
				return fmt.Errorf("key %q has value %q, want empty", k, v)
			}
			out = append(out, format(k))
			return nil
		})
	})
	if err != nil {
		tb.Fatalf("read %s index: %v", bucket, err)
	}
	return out
}

func allEvents(tb testing.TB, s *Store) []access.Event {
	tb.Helper()
	evs, err := s.Events(tb.Context(), access.EventFilter{})
	if err != nil {
		tb.Fatalf("Events: %v", err)
	}
	return evs
}

func seqs(evs []access.Event) []uint64 {
	out := []uint64{}
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}

func ids(rs []*access.Request) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}
