package main

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
)

// observedStore is the store with hooks called after every commit: the
// audit mirror and the metrics follow the trail at once instead of at their
// next poll, and views that show a request (the bot's App Home) hear of each
// request committed in a new state. The workflow knows nothing of them.
type observedStore struct {
	Store
	committed func()
	changed   func(r access.Request)
}

var _ access.Store = observedStore{}

func (s observedStore) Create(ctx context.Context, r *access.Request, events ...access.Event) error {
	err := s.Store.Create(ctx, r, events...)
	if err == nil {
		s.committed()
		s.changed(*r)
	}
	return err
}

func (s observedStore) Update(ctx context.Context, id string, fn func(r *access.Request) ([]access.Event, error)) (*access.Request, error) {
	r, err := s.Store.Update(ctx, id, fn)
	if err == nil {
		s.committed()
		s.changed(*r)
	}
	return r, err
}

func (s observedStore) Transact(ctx context.Context, ids []string, fn func(rs []*access.Request) ([]*access.Request, []access.Event, error)) ([]*access.Request, error) {
	rs, err := s.Store.Transact(ctx, ids, fn)
	if err == nil {
		s.committed()
		for _, r := range rs {
			s.changed(*r)
		}
	}
	return rs, err
}

func (s observedStore) PauseResource(ctx context.Context, p access.Pause, events ...access.Event) error {
	err := s.Store.PauseResource(ctx, p, events...)
	if err == nil {
		s.committed()
	}
	return err
}

func (s observedStore) ResumeResource(ctx context.Context, resourceID string, events ...access.Event) error {
	err := s.Store.ResumeResource(ctx, resourceID, events...)
	if err == nil {
		s.committed()
	}
	return err
}

func (s observedStore) Append(ctx context.Context, events ...access.Event) error {
	err := s.Store.Append(ctx, events...)
	if err == nil {
		s.committed()
	}
	return err
}

// eventFollower hands every audit event committed after it starts to observe,
// once, in sequence order.
type eventFollower struct {
	store   Store
	observe func(access.Event)
	wake    chan struct{}
	log     zerolog.Logger
}

func newEventFollower(st Store, observe func(access.Event), log zerolog.Logger) *eventFollower {
	return &eventFollower{store: st, observe: observe, wake: make(chan struct{}, 1), log: log}
}

// Notify wakes the follower; it never blocks.
func (f *eventFollower) Notify() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Run follows the audit trail from its current end until ctx ends.
func (f *eventFollower) Run(ctx context.Context) error {
	seq, err := f.store.LastSeq(ctx)
	if err != nil {
		return err
	}
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		for {
			evs, err := f.store.EventsAfter(ctx, seq, 500)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				f.log.Error().Err(err).Msg("read audit events for metrics")
				break
			}
			for _, e := range evs {
				f.observe(e)
				seq = e.Seq
			}
			if len(evs) < 500 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-f.wake:
		case <-tick.C:
		}
	}
}
