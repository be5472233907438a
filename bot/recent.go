package bot

import "sync"

// recentEnvelopes remembers the last envelope ids seen, so an envelope Slack
// delivers again (its ack was lost) is acknowledged but not acted on twice.
// It is a fixed-size ring: memory stays bounded however long the bot runs.
type recentEnvelopes struct {
	mu   sync.Mutex
	ring []string
	next int
	acks map[string]any // envelope id -> ack payload sent (nil: plain ack or not yet sent)
}

func newRecentEnvelopes(size int) *recentEnvelopes {
	return &recentEnvelopes{ring: make([]string, size), acks: make(map[string]any, size)}
}

// first records id and reports whether it is new. For a repeat it returns
// the ack payload sent the first time, if any, so the repeat gets the same answer.
func (r *recentEnvelopes) first(id string) (isNew bool, ack any) {
	if id == "" {
		return true, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, seen := r.acks[id]; seen {
		return false, a
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.acks, old)
	}
	r.ring[r.next] = id
	r.next = (r.next + 1) % len(r.ring)
	r.acks[id] = nil
	return true, nil
}

// acked records the payload id was acknowledged with.
func (r *recentEnvelopes) acked(id string, payload any) {
	if id == "" || payload == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, seen := r.acks[id]; seen {
		r.acks[id] = payload
	}
}
