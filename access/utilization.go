package access

import (
	"slices"
	"sort"
	"strconv"
	"time"
)

// Audit details of a grant's use and terms, carried by the events that end
// or extend it; the utilization report reads them.
const (
	DetailUses      = "uses"
	DetailFirstUsed = "first_used" // RFC 3339; absent when never used
	DetailLastUsed  = "last_used"  // RFC 3339; absent when never used
	DetailGrantedAt = "granted_at" // RFC 3339
	DetailDuration  = "duration"   // the time asked for, or DurationActivity
)

// AllResources is the Utilization.Resource of the whole-org row.
const AllResources = "*"

// Utilization is how much of the access granted for one resource (or, with
// AllResources, for all of them) was used, over the grants that ended in a
// window of time.
type Utilization struct {
	Resource string
	// Grants that ended in the window and recorded their use.
	Grants    int
	NeverUsed int
	// NeverUsedShare is NeverUsed ÷ Grants, from 0 to 1 (0 without grants).
	NeverUsedShare float64
	// MedianFirstUse is the median time from the start of a grant to its
	// first use, over the grants used; zero when none was.
	MedianFirstUse time.Duration
	// MedianLastUseShare is the median share, from 0 to 1, of the time a
	// grant was held that had passed at its last use (0 for a grant never
	// used): low means the access was held long after it was needed.
	MedianLastUseShare float64
	// Hint suggests a shorter duration; nil when the data do not.
	Hint *Hint
}

// Hint says that most grants of one duration were last used early on, and
// which shorter duration to offer instead.
type Hint struct {
	Duration time.Duration // the grants' duration
	Grants   int           // how many grants of that duration ended
	Share    float64       // of them, the share last used (or never used) within Within
	Within   time.Duration
	Offer    time.Duration
}

// Thresholds of the right-sizing hint: at least hintMinGrants grants of one
// duration, hintShare of which were last used within a window; the duration
// offered instead leaves twice that window.
const (
	hintMinGrants = 3
	hintShare     = 0.7
)

// hintWindows are the round figures a hint's window is rounded up to.
var hintWindows = []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour,
	8 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour}

// endedUse is one ended grant as the trail recorded it.
type endedUse struct {
	resource   string
	duration   time.Duration // 0 for an activity or on-call grant
	held       time.Duration
	used       bool
	firstAfter time.Duration
	lastAfter  time.Duration
}

// endingEvents are the events that end a grant that was active.
var endingEvents = []EventType{EventExpired, EventRevoked, EventRemovedOutside}

// ReportUtilization computes, from audit events, the utilization of each
// resource whose grants ended among them, by resource id, and a last row
// for AllResources. offered gives each resource's
// durations, for the hint's suggestion; a resource missing from it gets a
// suggestion of twice the window. Events without use details (from before
// accessbot recorded use), and grants of standing access, are left out.
func ReportUtilization(events []Event, offered map[string][]time.Duration) []Utilization {
	byResource := map[string][]endedUse{}
	var all []endedUse
	for _, e := range events {
		u, ok := ended(e)
		if !ok {
			continue
		}
		byResource[u.resource] = append(byResource[u.resource], u)
		all = append(all, u)
	}
	ids := make([]string, 0, len(byResource))
	for id := range byResource {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]Utilization, 0, len(ids)+1)
	for _, id := range ids {
		out = append(out, utilization(id, byResource[id], offered[id]))
	}
	org := utilization(AllResources, all, nil)
	org.Hint = nil // a hint is about one resource's durations
	return append(out, org)
}

func ended(e Event) (endedUse, bool) {
	if !slices.Contains(endingEvents, e.Type) || e.Details[DetailGrantedAt] == "" || e.Details[DetailUses] == "" || e.Details["standing"] != "" {
		return endedUse{}, false
	}
	granted, err := time.Parse(time.RFC3339, e.Details[DetailGrantedAt])
	uses, uerr := strconv.Atoi(e.Details[DetailUses])
	if err != nil || uerr != nil || e.Time.Before(granted) {
		return endedUse{}, false
	}
	u := endedUse{resource: e.ResourceID, held: e.Time.Sub(granted), used: uses > 0}
	if d, err := ParseDuration(e.Details[DetailDuration]); err == nil {
		u.duration = d
	}
	if u.used {
		first, ferr := time.Parse(time.RFC3339, e.Details[DetailFirstUsed])
		last, lerr := time.Parse(time.RFC3339, e.Details[DetailLastUsed])
		if ferr != nil || lerr != nil {
			return endedUse{}, false
		}
		u.firstAfter, u.lastAfter = max(first.Sub(granted), 0), max(last.Sub(granted), 0)
	}
	return u, true
}

func utilization(id string, uses []endedUse, offered []time.Duration) Utilization {
	out := Utilization{Resource: id, Grants: len(uses)}
	var firsts []time.Duration
	var shares []float64
	for _, u := range uses {
		share := 0.0
		if u.used {
			firsts = append(firsts, u.firstAfter)
			if u.held > 0 {
				share = min(float64(u.lastAfter)/float64(u.held), 1)
			}
		} else {
			out.NeverUsed++
		}
		shares = append(shares, share)
	}
	if out.Grants > 0 {
		out.NeverUsedShare = float64(out.NeverUsed) / float64(out.Grants)
	}
	if len(firsts) > 0 {
		slices.Sort(firsts)
		out.MedianFirstUse = medianDuration(firsts)
	}
	if len(shares) > 0 {
		slices.Sort(shares)
		n := len(shares)
		out.MedianLastUseShare = shares[n/2]
		if n%2 == 0 {
			out.MedianLastUseShare = (shares[n/2-1] + shares[n/2]) / 2
		}
	}
	out.Hint = hint(uses, offered)
	return out
}

func medianDuration(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// hint looks at the most common fixed duration of the grants: if most of
// them were last used within a window well short of it, it suggests the
// shortest offered duration of at least twice that window.
func hint(uses []endedUse, offered []time.Duration) *Hint {
	count := map[time.Duration]int{}
	for _, u := range uses {
		if u.duration > 0 {
			count[u.duration]++
		}
	}
	var d time.Duration
	for dur, n := range count {
		if n > count[d] || n == count[d] && dur > d {
			d = dur
		}
	}
	if count[d] < hintMinGrants {
		return nil
	}
	var last []time.Duration
	for _, u := range uses {
		if u.duration == d {
			last = append(last, u.lastAfter) // 0 for a grant never used
		}
	}
	slices.Sort(last)
	at := last[(len(last)*7+9)/10-1] // the 70th percentile, rounded up
	var within time.Duration
	for _, w := range hintWindows {
		if w >= at {
			within = w
			break
		}
	}
	if within == 0 || 2*within >= d {
		return nil
	}
	offer := 2 * within
	for _, o := range offered {
		if o >= 2*within && o < d {
			offer = o
			break
		}
	}
	n := 0
	for _, l := range last {
		if l <= within {
			n++
		}
	}
	return &Hint{Duration: d, Grants: len(last), Share: float64(n) / float64(len(last)), Within: within, Offer: offer}
}
