package access

import (
	"testing"
	"time"
)

func TestBundleLifeCycle(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	b := &Request{ID: "b1", Kind: KindBundle, Duration: 4 * time.Hour, State: StateApproved, DecidedAt: t0}
	if err := b.ActivateBundle(t0); err == nil {
		t.Fatal("a bundle without members became active")
	}
	if err := b.StartBundle([]string{"m1", "m2"}, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if !b.EndsAt.Equal(t0.Add(2*time.Hour)) || len(b.Members) != 2 {
		t.Fatalf("started bundle ends %v with %v, want the decision plus max_duration", b.EndsAt, b.Members)
	}
	if err := b.StartBundle([]string{"m3"}, 0); err == nil {
		t.Error("a bundle was started twice")
	}
	if !b.NextDue(Timing{}).Equal(b.EndsAt) {
		t.Errorf("a started bundle is due %v, want at its end", b.NextDue(Timing{}))
	}

	res := &Resource{ID: "db"}
	m1, m2 := NewBundleMember(b, "m1", res, t0), NewBundleMember(b, "m2", res, t0)
	m1.Grant.Checked, m1.Grant.Account, m1.Grant.Target = true, Account{ID: "00u1"}, Target{Kind: TargetGroup, ID: "00g1"}
	late := t0.Add(30 * time.Minute) // granted after retries
	if err := m1.Activate(8*time.Hour, late); err != nil {
		t.Fatal(err)
	}
	if !m1.Grant.ExpiresAt.Equal(b.EndsAt) {
		t.Errorf("a member granted late ends %v, want the bundle's %v", m1.Grant.ExpiresAt, b.EndsAt)
	}
	if p := Progress([]*Request{m1, m2}); p != (BundleProgress{Active: 1, Waiting: 1}) {
		t.Errorf("progress = %+v", p)
	}
	m2.State = StateFailed
	if p := Progress([]*Request{m1, m2}); p.Failed != 1 {
		t.Errorf("progress with a failed member = %+v", p)
	}
	if got := m1.DueReminders([]time.Duration{time.Hour}, b.EndsAt.Add(-time.Minute)); got != nil {
		t.Errorf("a member was reminded %v; only its bundle is", got)
	}
	if !m1.NextDue(Timing{Reminders: []time.Duration{time.Hour}}).Equal(m1.Grant.ExpiresAt) {
		t.Error("a member is due before its expiry for a reminder")
	}
	if m1.RevokeOffered() {
		t.Error("a member offers its own Revoke; its bundle's acts on all")
	}

	if err := b.ActivateBundle(late); err != nil {
		t.Fatal(err)
	}
	if b.State != StateActive || !b.Grant.ExpiresAt.Equal(b.EndsAt) || b.Unrecorded() {
		t.Errorf("active bundle = %s until %v (unrecorded %t)", b.State, b.Grant.ExpiresAt, b.Unrecorded())
	}
	later := b.EndsAt.Add(time.Hour)
	if err := m1.FollowBundle(later); err != nil || !m1.Grant.ExpiresAt.Equal(later) {
		t.Errorf("follow: %v, ends %v", err, m1.Grant.ExpiresAt)
	}
	if err := m2.FollowBundle(later); err == nil {
		t.Error("a failed member followed its bundle")
	}
}
