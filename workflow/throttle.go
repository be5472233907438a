package workflow

import (
	"sync"
	"time"
)

// refusalWindow is how often refused break-glass attempts of one person for
// one resource may reach the audit channel; the trail keeps every attempt.
const refusalWindow = 10 * time.Minute

// throttle lets an event through at most once per key and window, and
// counts the ones it held back in between.
type throttle struct {
	mu   sync.Mutex
	keys map[string]*throttled
}

type throttled struct {
	passed time.Time
	held   int
}

// pass reports whether the event for key may go out at now and, when it
// may, how many were held back since the last one that went out.
func (t *throttle) pass(key string, now time.Time, window time.Duration) (ok bool, held int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys = map[string]*throttled{}
	}
	if e := t.keys[key]; e != nil && now.Before(e.passed.Add(window)) {
		e.held++
		return false, 0
	}
	if len(t.keys) >= 10000 { // forget windows that have passed, so memory stays bounded
		for k, e := range t.keys {
			if !now.Before(e.passed.Add(window)) {
				delete(t.keys, k)
			}
		}
	}
	if e := t.keys[key]; e != nil {
		held = e.held
	}
	t.keys[key] = &throttled{passed: now}
	return true, held
}

// busySet marks the requests whose Okta call is in flight in this process.
// A second flow that finds one marked leaves it (a sweep that queued it
// while a click was granting it must not bypass the backoff that attempt
// records); nobody waits on it, so no click waits behind Okta.
type busySet struct {
	mu  sync.Mutex
	ids map[string]bool
}

// held reports whether id is claimed.
func (b *busySet) held(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ids[id]
}

// claim marks id and reports whether it was free; release with the func.
func (b *busySet) claim(id string) (ok bool, release func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ids[id] {
		return false, func() {}
	}
	if b.ids == nil {
		b.ids = map[string]bool{}
	}
	b.ids[id] = true
	return true, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.ids, id)
	}
}
