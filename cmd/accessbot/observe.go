package main

import (
	"context"

	"github.com/accessbot/accessbot/access"
)

// observedStore is the store with hooks called after every commit: the
// audit mirror follows the trail at once instead of at its next poll, views
// that show a request (the bot's App Home) hear of each request committed in
// a new state, and observe sees every event this process committed. The
// workflow knows nothing of them.
//
// Metrics count events here, in the replica that committed each one, and
// not by following the shared trail: every replica follows every event of
// the cluster, so a follower in each would count each event once per
// replica, and a follower in the leader alone would miss the events
// committed between one leader's last read and the next one's first. Each
// event is committed by exactly one replica, so the sum over replicas of a
// per-event counter is the cluster's count, with one process or ten.
type observedStore struct {
	Store
	committed func()
	changed   func(r access.Request)
	observe   func(e access.Event)
}

var _ access.Store = observedStore{}

func (s observedStore) Create(ctx context.Context, r *access.Request, events ...access.Event) error {
	err := s.Store.Create(ctx, r, events...)
	if err == nil {
		s.done(events)
		s.changed(*r)
	}
	return err
}

func (s observedStore) Update(ctx context.Context, id string, fn func(r *access.Request) ([]access.Event, error)) (*access.Request, error) {
	var events []access.Event // of the call of fn that committed
	r, err := s.Store.Update(ctx, id, func(r *access.Request) ([]access.Event, error) {
		evs, err := fn(r)
		events = evs
		return evs, err
	})
	if err == nil {
		s.done(events)
		s.changed(*r)
	}
	return r, err
}

func (s observedStore) Transact(ctx context.Context, ids []string, fn func(rs []*access.Request) ([]*access.Request, []access.Event, error)) ([]*access.Request, error) {
	var events []access.Event
	rs, err := s.Store.Transact(ctx, ids, func(in []*access.Request) ([]*access.Request, []access.Event, error) {
		out, evs, err := fn(in)
		events = evs
		return out, evs, err
	})
	if err == nil {
		s.done(events)
		for _, r := range rs {
			s.changed(*r)
		}
	}
	return rs, err
}

func (s observedStore) PauseResource(ctx context.Context, p access.Pause, events ...access.Event) error {
	err := s.Store.PauseResource(ctx, p, events...)
	if err == nil {
		s.done(events)
	}
	return err
}

func (s observedStore) ResumeResource(ctx context.Context, resourceID string, events ...access.Event) error {
	err := s.Store.ResumeResource(ctx, resourceID, events...)
	if err == nil {
		s.done(events)
	}
	return err
}

func (s observedStore) Append(ctx context.Context, events ...access.Event) error {
	err := s.Store.Append(ctx, events...)
	if err == nil {
		s.done(events)
	}
	return err
}

// done runs the hooks for one commit of events.
func (s observedStore) done(events []access.Event) {
	s.committed()
	for _, e := range events {
		s.observe(e)
	}
}

// PutDelegation tells the audit followers of the events it committed.
func (s observedStore) PutDelegation(ctx context.Context, d access.Delegation, events ...access.Event) error {
	err := s.Store.PutDelegation(ctx, d, events...)
	if err == nil {
		s.committed()
	}
	return err
}
