package access

import (
	"math"
	"strconv"
	"testing"
	"time"
)

// endEvent is the end of a grant of resource that started at granted, was
// held for held, asked for dur, and used uses times from first to last
// after its start (nothing when uses is 0).
func endEvent(typ EventType, resource string, granted time.Time, held time.Duration, dur string, uses int, first, last time.Duration) Event {
	d := map[string]string{DetailGrantedAt: granted.Format(time.RFC3339), DetailUses: strconv.Itoa(uses), DetailDuration: dur}
	if uses > 0 {
		d[DetailFirstUsed] = granted.Add(first).Format(time.RFC3339)
		d[DetailLastUsed] = granted.Add(last).Format(time.RFC3339)
	}
	return Event{Type: typ, Time: granted.Add(held), ResourceID: resource, Details: d}
}

func TestReportUtilization(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	events := []Event{
		// db-prod: five 1d grants, two never used, the others last used
		// within 2h; one 4h grant used to its end.
		endEvent(EventExpired, "db-prod", t0, day, "1d", 0, 0, 0),
		endEvent(EventExpired, "db-prod", t0, day, "1d", 3, 10*time.Minute, 90*time.Minute),
		endEvent(EventRevoked, "db-prod", t0, 12*time.Hour, "1d", 1, 30*time.Minute, 30*time.Minute),
		endEvent(EventExpired, "db-prod", t0, day, "1d", 0, 0, 0),
		endEvent(EventExpired, "db-prod", t0, day, "1d", 2, 20*time.Minute, 20*time.Hour),
		endEvent(EventExpired, "db-prod", t0, 4*time.Hour, "4h", 5, time.Hour, 4*time.Hour),
		// grafana: an activity grant ended by hand in Okta, used.
		endEvent(EventRemovedOutside, "grafana", t0, 10*time.Hour, "activity", 4, 2*time.Hour, 5*time.Hour),
		// Not counted: standing access, an event without use (older
		// accessbot), an event that does not end a grant.
		{Type: EventExpired, Time: t0.Add(time.Hour), ResourceID: "db-prod", Details: map[string]string{DetailGrantedAt: t0.Format(time.RFC3339), DetailUses: "0", "standing": "true"}},
		{Type: EventExpired, Time: t0.Add(time.Hour), ResourceID: "db-prod", Details: map[string]string{"target": "group 00g1"}},
		endEvent(EventExtended, "db-prod", t0, time.Hour, "1d", 0, 0, 0),
	}
	got := ReportUtilization(events, map[string][]time.Duration{"db-prod": {time.Hour, 4 * time.Hour, day}})
	if len(got) != 3 || got[0].Resource != "db-prod" || got[1].Resource != "grafana" || got[2].Resource != AllResources {
		t.Fatalf("rows = %+v", got)
	}
	db := got[0]
	if db.Grants != 6 || db.NeverUsed != 2 || db.NeverUsedShare != 2.0/6 {
		t.Errorf("db-prod grants %d, never used %d (%.3f)", db.Grants, db.NeverUsed, db.NeverUsedShare)
	}
	// First uses after 10m, 20m, 30m, 1h: median 25m.
	if db.MedianFirstUse != 25*time.Minute {
		t.Errorf("db-prod median first use %s, want 25m", db.MedianFirstUse)
	}
	// Shares: 0, 0, 1.5/24, 0.5/12, 20/24, 1 → median of 1.5/24 and 0.5/12.
	if want := (1.5/24 + 0.5/12) / 2; math.Abs(db.MedianLastUseShare-want) > 1e-9 {
		t.Errorf("db-prod median last-use share %.4f, want %.4f", db.MedianLastUseShare, want)
	}
	// 1d grants last used after 0, 0, 30m, 90m, 20h: 4 of 5 within 2h.
	want := Hint{Duration: day, Grants: 5, Share: 0.8, Within: 2 * time.Hour, Offer: 4 * time.Hour}
	if db.Hint == nil || *db.Hint != want {
		t.Errorf("db-prod hint = %+v, want %+v", db.Hint, want)
	}
	if g := got[1]; g.Grants != 1 || g.NeverUsed != 0 || g.MedianFirstUse != 2*time.Hour || g.MedianLastUseShare != 0.5 || g.Hint != nil {
		t.Errorf("grafana = %+v", g)
	}
	org := got[2]
	if org.Grants != 7 || org.NeverUsed != 2 || org.NeverUsedShare != 2.0/7 || org.Hint != nil {
		t.Errorf("org = %+v", org)
	}
	if empty := ReportUtilization(nil, nil); len(empty) != 1 || empty[0].Grants != 0 || empty[0].NeverUsedShare != 0 {
		t.Errorf("report of no events = %+v", empty)
	}
}
