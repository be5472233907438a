package provisioner

import (
	"sort"
	"time"

	"github.com/accessbot/accessbot/access"
)

// BucketStats is the pacer's view of one rate-limit bucket.
type BucketStats struct {
	Limit     int       // X-Rate-Limit-Limit; 0 while unknown
	Remaining int       // lowest X-Rate-Limit-Remaining of the window
	ResetAt   time.Time // end of the window
	Budget    int       // calls the pacer lets go per window (its share)
	Used      int       // calls let go in the current window
	InFlight  int       // calls let go and not yet answered
	Limited   int       // 429s received, ever
	Queued    int       // calls waiting, all priorities
}

// PacerStats is a snapshot of a Pacer.
type PacerStats struct {
	Buckets  map[string]BucketStats  // by bucket name (the Bucket constants)
	Queued   map[access.Priority]int // calls waiting, by priority, all buckets
	InFlight int                     // calls let go and not yet answered
}

// Stats returns what the pacer knows now.
func (p *Pacer) Stats() PacerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	st := PacerStats{Buckets: map[string]BucketStats{}, Queued: map[access.Priority]int{}, InFlight: p.inFlight}
	for _, prio := range access.Priorities {
		st.Queued[prio] = 0
	}
	for name, b := range p.buckets {
		b.rollLocked(now)
		bs := BucketStats{Limit: b.limit, Remaining: b.remaining, ResetAt: b.resetAt, Used: b.used,
			InFlight: b.inFlight, Limited: b.limited}
		if b.known {
			bs.Budget = b.budget()
		}
		for i, q := range b.queues {
			bs.Queued += q.Len()
			st.Queued[access.Priority(i+1)] += q.Len()
		}
		st.Buckets[name] = bs
	}
	return st
}

// RateBuckets calls fn for each bucket the pacer has seen, in name order,
// with what it knows of it: Okta's limit and the remaining calls it last
// reported (0 while unknown), the pacer's budget for the window and the calls
// it has let go in it. It is what the metrics package reads at each scrape.
func (p *Pacer) RateBuckets(fn func(bucket string, limit, remaining, budget, used int)) {
	st := p.Stats()
	names := make([]string, 0, len(st.Buckets))
	for n := range st.Buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b := st.Buckets[n]
		fn(n, b.Limit, b.Remaining, b.Budget, b.Used)
	}
}

// QueueLengths calls fn for each priority (by name: urgent, interactive,
// removal, background) with the number of calls waiting at it, and reports
// the calls in flight.
func (p *Pacer) QueueLengths(fn func(priority string, queued int)) (inFlight int) {
	st := p.Stats()
	for _, prio := range access.Priorities {
		fn(prio.String(), st.Queued[prio])
	}
	return st.InFlight
}
