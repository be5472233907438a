package oncall

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/accessbot/accessbot/access"
)

// cache keeps on-call lists and users' emails, and lets concurrent callers
// who need the same thing share one fetch. Errors are never kept.
type cache struct {
	mu      sync.Mutex
	lists   map[string]onCallList
	emails  map[string]cachedEmail // PagerDuty user id → email
	flights map[string]*flight     // fetches in progress, by key
	joined  func(key string)       // tests: called when a caller joins a flight
}

// flight is one fetch in progress; val and err are set before done closes.
type flight struct {
	done chan struct{}
	val  any
	err  error
}

// onCallList is the answer of PagerDuty at `at` for a set of filters.
type onCallList struct {
	entries []entry
	at      time.Time // the time PagerDuty was asked about
	until   time.Time // earliest end of an entry: the list is wrong from then; zero: none ends
	expires time.Time // by the cache's clock
}

type cachedEmail struct {
	email   string
	expires time.Time
}

func newCache() cache {
	return cache{
		lists:   make(map[string]onCallList),
		emails:  make(map[string]cachedEmail),
		flights: make(map[string]*flight),
	}
}

// listKey names a set of filters, whatever their order.
func listKey(schedules, policies []string) string {
	s, p := slices.Clone(schedules), slices.Clone(policies)
	slices.Sort(s)
	slices.Sort(p)
	return "schedules=" + strings.Join(slices.Compact(s), ",") + ";policies=" + strings.Join(slices.Compact(p), ",")
}

// list returns the cached list for key if it is fresh by clock and still
// describes query time now: no shift in it has ended.
func (c *cache) list(key string, clock, now time.Time) ([]entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.lists[key]
	switch {
	case !ok:
		return nil, false
	case !clock.Before(l.expires), now.Before(l.at), !l.until.IsZero() && !now.Before(l.until):
		delete(c.lists, key)
		return nil, false
	}
	return l.entries, true
}

// setList keeps entries, the answer at query time `at`, until clock+ttl but
// never past the earliest end of an entry (a shift boundary).
func (c *cache) setList(key string, entries []entry, at, clock time.Time, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	l := onCallList{entries: entries, at: at, expires: clock.Add(ttl)}
	for _, e := range entries {
		if end := e.shift.End; !end.IsZero() && (l.until.IsZero() || end.Before(l.until)) {
			l.until = end
		}
	}
	if !l.until.IsZero() && l.until.Before(l.expires) {
		l.expires = l.until
	}
	c.mu.Lock()
	c.lists[key] = l
	c.mu.Unlock()
}

func (c *cache) email(id string, clock time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.emails[id]
	if !ok || !clock.Before(e.expires) {
		return "", false
	}
	return e.email, true
}

func (c *cache) setEmail(id, email string, expires time.Time) {
	c.mu.Lock()
	c.emails[id] = cachedEmail{email: email, expires: expires}
	c.mu.Unlock()
}

// flight runs fn once for all concurrent callers with key. fn runs in its
// own goroutine under a context that keeps ctx's values but not its
// cancellation (other callers may still be waiting), bounded by timeout; each
// caller stops waiting when its own ctx ends.
func (c *cache) flight(ctx context.Context, key string, timeout time.Duration, fn func(context.Context) (any, error)) (any, error) {
	c.mu.Lock()
	f, ok := c.flights[key]
	if ok {
		if c.joined != nil {
			c.joined(key)
		}
	} else {
		f = &flight{done: make(chan struct{})}
		c.flights[key] = f
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		go func() {
			defer cancel()
			f.val, f.err = fn(fctx)
			c.mu.Lock()
			delete(c.flights, key)
			c.mu.Unlock()
			close(f.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		return nil, access.Wrap(access.EUNAVAILABLE, fmt.Errorf("pagerduty: waiting for %s: %w", key, ctx.Err()))
	}
}

// onCalls returns the on-call entries at now of the schedules and escalation
// policies, from the cache when it may.
func (pd *PagerDuty) onCalls(ctx context.Context, schedules, policies []string, now time.Time) ([]entry, error) {
	key := listKey(schedules, policies)
	if entries, ok := pd.cache.list(key, pd.now(), now); ok {
		return entries, nil
	}
	v, err := pd.cache.flight(ctx, "oncalls:"+key, pd.fetchTimeout(), func(ctx context.Context) (any, error) {
		// A flight that ended just before this one began may have filled it.
		if entries, ok := pd.cache.list(key, pd.now(), now); ok {
			return entries, nil
		}
		clock := pd.now()
		entries, err := pd.fetch(ctx, schedules, policies, now)
		if err != nil {
			return nil, err
		}
		pd.cache.setList(key, entries, now, clock, pd.ttl)
		pd.log.Debug().Str(fieldKey, key).Int(fieldEntries, len(entries)).Msg("pagerduty: fetched on-calls")
		return entries, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]entry), nil
}
