package access

import (
	"testing"
	"time"
)

func activeGrant(activity *Activity, granted time.Time) *Request {
	return &Request{ID: "r1", Requester: User{SlackID: "U1", Email: "a@x.com"}, State: StateActive, Activity: activity,
		Grant: Grant{GrantedAt: granted, ExpiresAt: granted.Add(time.Hour)}}
}

func TestRecordUseCountsEachEventOnce(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r := activeGrant(nil, t0)
	use := func(id string, at time.Time, page string) bool { return r.RecordUse(UseEvent{ID: id, At: at}, page) }
	if use("e0", t0.Add(-time.Minute), "p1") {
		t.Error("a sign-on before the grant counted")
	}
	if !use("e1", t0.Add(2*time.Minute), "p1") || !use("e2", t0.Add(time.Minute), "p1") {
		t.Fatal("new sign-ons not counted")
	}
	if use("e1", t0.Add(2*time.Minute), "p1") {
		t.Error("the same event of the same page counted twice")
	}
	if !use("e3", t0.Add(3*time.Minute), "p2") {
		t.Error("an event of the next page not counted")
	}
	u := r.Grant.Usage
	if u.Uses != 3 || !u.First.Equal(t0.Add(time.Minute)) || !u.Last.Equal(t0.Add(3*time.Minute)) || len(u.Seen) != 1 {
		t.Errorf("usage = %+v", u)
	}
	if r.Grant.ExpiresAt != t0.Add(time.Hour) {
		t.Error("a use moved the end of a time-based grant")
	}
	r.Grant.Removal = &Removal{Outcome: StateRevoked}
	if use("e4", t0.Add(4*time.Minute), "p2") {
		t.Error("a use counted on a grant being removed")
	}
}

func TestActivityEnd(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a := &Activity{IdleAfter: 2 * time.Hour, MaxAge: 5 * time.Hour}
	r := &Request{ID: "r1", State: StateApproved, Activity: a, Grant: Grant{Checked: true, Account: Account{ID: "00u1"}, Target: Target{Kind: TargetApp, ID: "0oa1"}}}
	if err := r.Activate(0, t0); err != nil {
		t.Fatal(err)
	}
	if !r.Grant.ExpiresAt.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("starts ending at %s", r.Grant.ExpiresAt)
	}
	r.Grant.RemindersSent = []time.Duration{time.Hour}
	r.RecordUse(UseEvent{ID: "e1", At: t0.Add(90 * time.Minute)}, "p")
	if !r.Grant.ExpiresAt.Equal(t0.Add(210*time.Minute)) || r.Grant.RemindersSent != nil {
		t.Fatalf("after a use: ends %s, reminders sent %v", r.Grant.ExpiresAt, r.Grant.RemindersSent)
	}
	r.RecordUse(UseEvent{ID: "e2", At: t0.Add(4 * time.Hour)}, "p")
	if !r.Grant.ExpiresAt.Equal(t0.Add(5*time.Hour)) || !r.AtMaxAge() {
		t.Fatalf("past max_age: ends %s (at max age %t)", r.Grant.ExpiresAt, r.AtMaxAge())
	}
	if err := r.CheckExtension(time.Hour, &Resource{Durations: []time.Duration{time.Hour}, Extension: ExtensionPolicy{MaxExtensions: 3}}, t0); ErrorCode(err) != EINVALID {
		t.Errorf("extension of an activity grant = %v, want EINVALID", err)
	}
}

func TestKeep(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	holder := User{SlackID: "U1", Email: "a@x.com"}
	r := activeGrant(&Activity{IdleAfter: 2 * time.Hour, MaxAge: 24 * time.Hour}, t0)
	if err := r.Keep(User{SlackID: "U2"}, t0); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("Keep by another = %v", err)
	}
	if err := r.Keep(holder, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r.Grant.Usage.Uses != 1 || !r.Grant.ExpiresAt.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("after Keep: %+v ends %s", r.Grant.Usage, r.Grant.ExpiresAt)
	}
	if err := r.Keep(holder, t0.Add(2*time.Hour)); ErrorCode(err) != ECONFLICT {
		t.Errorf("second Keep within idle_after = %v, want ECONFLICT", err)
	}
	if err := r.Keep(holder, t0.Add(3*time.Hour)); err != nil {
		t.Errorf("Keep after idle_after = %v", err)
	}
	timed := activeGrant(nil, t0)
	if err := timed.Keep(holder, t0); ErrorCode(err) != EINVALID {
		t.Errorf("Keep of a time-based grant = %v, want EINVALID", err)
	}
}
