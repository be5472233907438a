package workflow

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
)

// provisionBundle grants an approved bundle request (see access/bundle.go):
// it files one approved request per member, with the bundle's request in
// one transaction, then provisions each like any grant. Members Okta
// refuses are retried by the sweep; the bundle is granted once all are.
func (s *Service) provisionBundle(ctx context.Context, b *access.Request) (*access.Request, error) {
	ok, release := s.busy.claim(b.ID)
	if !ok {
		release()
		return b, nil // another flow of this process is starting it
	}
	b, err := s.store.Get(ctx, b.ID)
	if err != nil || b.State != access.StateApproved || b.Grant.Removal != nil {
		release()
		return b, err
	}
	ctx = s.withRequest(ctx, b)
	if len(b.Members) == 0 {
		if b, err = s.fileMembers(ctx, b); err != nil || len(b.Members) == 0 {
			release()
			return b, err
		}
	}
	release()
	for _, id := range b.Members {
		if _, err := s.provision(ctx, id); err != nil {
			s.logger(ctx).Error().Err(err).Str("member", id).Msg("grant bundle member")
		}
	}
	return s.bundleProgress(ctx, b.ID)
}

// fileMembers files the member requests of the approved bundle b.
func (s *Service) fileMembers(ctx context.Context, b *access.Request) (*access.Request, error) {
	res, err := s.resource(b)
	if err != nil {
		return s.provisionFailed(ctx, b, err)
	}
	var members []*access.Resource
	for _, id := range res.Members {
		m, err := s.settings().Catalog.Get(id)
		if err != nil {
			return s.provisionFailed(ctx, b, access.Refuse(access.ENOTFOUND, access.ReasonResourceGone, access.Params{ResourceID: id}))
		}
		members = append(members, m)
	}
	ids := make([]string, len(members))
	for i := range ids {
		ids[i] = newID()
	}
	rs, err := s.store.Transact(ctx, []string{b.ID}, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		now := s.now()
		l := rs[0]
		if err := l.StartBundle(ids, res.MaxDuration); err != nil {
			return nil, nil, err
		}
		l.UpdatedAt, l.Due = now, l.NextDue(s.settings().Timing)
		var created []*access.Request
		var events []access.Event
		for i, m := range members {
			r := access.NewBundleMember(l, ids[i], m, now)
			r.Due = r.NextDue(s.settings().Timing)
			created = append(created, r)
			events = append(events, access.NewEvent(access.EventBundleMember, access.System, r, now, map[string]string{"bundle": l.ID, "ends_at": l.EndsAt.UTC().Format(time.RFC3339)}))
		}
		s.markDryRun(events)
		return created, events, nil
	})
	if access.ErrorCode(err) == access.ECONFLICT {
		return s.store.Get(ctx, b.ID) // started, cancelled or revoked meanwhile
	}
	if err != nil {
		return nil, err
	}
	s.logger(ctx).Info().Strs("members", ids).Time("ends_at", rs[0].EndsAt).Msg("bundle approved; granting its members")
	return rs[0], nil
}

// bundleProgress looks at the members of bundle id while it waits for
// them: once all are granted the bundle is, and the requester told; once
// one has failed for good, the bundle fails and the members granted are
// removed, so that no part of it is left half-held.
func (s *Service) bundleProgress(ctx context.Context, id string) (*access.Request, error) {
	b, err := s.store.Get(ctx, id)
	if err != nil || b.Kind != access.KindBundle || b.State != access.StateApproved || b.Grant.Removal != nil || len(b.Members) == 0 {
		return b, err
	}
	members, err := s.members(ctx, b)
	if err != nil {
		return b, err
	}
	p := access.Progress(members)
	ctx = s.withRequest(ctx, b)
	switch {
	case p.Failed > 0:
		s.logger(ctx).Warn().Int("failed", p.Failed).Msg("a bundle member could not be granted; removing the others")
		why := string(access.ReasonBundleIncomplete)
		b, err := s.updateBundle(ctx, id, func(r *access.Request, members []*access.Request, now time.Time) ([]access.Event, error) {
			if r.State != access.StateApproved {
				return nil, errNothingToDo // granted, ended or failed meanwhile
			}
			if err := r.BeginRemoval(access.StateFailed, access.System, why, now); err != nil {
				return nil, err
			}
			events := []access.Event{access.NewEvent(access.EventRemovalStarted, access.System, r, now,
				map[string]string{"outcome": string(access.StateFailed), "reason": why})}
			return append(events, beginMemberRemovals(r.ID, members, access.StateFailed, access.System, why, now)...), nil
		})
		if errors.Is(err, errNothingToDo) {
			return s.store.Get(ctx, id)
		}
		if err != nil {
			return nil, err
		}
		s.removeMembers(ctx, b)
		return s.remove(ctx, id)
	case p.Waiting > 0:
		return b, nil
	}
	b, err = s.update(ctx, id, func(r *access.Request, now time.Time) ([]access.Event, error) {
		if err := r.ActivateBundle(now); err != nil {
			return nil, err
		}
		details := expiresDetail(r)
		details["members"] = strings.Join(r.Members, ",")
		return []access.Event{access.NewEvent(access.EventProvisioned, access.System, r, now, details)}, nil
	})
	if access.ErrorCode(err) == access.ECONFLICT {
		return s.store.Get(ctx, id) // another member's flow got there first
	}
	if err != nil {
		return nil, err
	}
	s.logger(ctx).Info().Time("expires_at", b.Grant.ExpiresAt).Msg("bundle granted: every member is active")
	n := access.Notice{Kind: access.NoticeGranted, Request: *b, Resource: s.resourceFor(b)}
	s.notify(ctx, b.Requester, n)
	s.announce(ctx, n)
	s.refreshApprovals(ctx, id)
	return b, nil
}

// members returns the member requests of bundle b, in its order.
func (s *Service) members(ctx context.Context, b *access.Request) ([]*access.Request, error) {
	out := make([]*access.Request, 0, len(b.Members))
	for _, id := range b.Members {
		m, err := s.store.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// errMembersChanged: a bundle filed its members between the read of it
// and the transaction meant to cover them all; it is read again.
var errMembersChanged = access.Errorf(access.ECONFLICT, "bundle members changed")

// updateBundle is update over a request and, for a bundle, every member it
// has filed, in one transaction: a revocation, cancellation, failure or
// extension of a bundle reaches all of its members or none, even if the
// process dies right after. fn sees the current state of each.
func (s *Service) updateBundle(ctx context.Context, id string, fn func(b *access.Request, members []*access.Request, now time.Time) ([]access.Event, error)) (*access.Request, error) {
	for attempt := 0; ; attempt++ {
		cur, err := s.store.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		// Members locked in sorted order, as the usage poller locks them
		// (the bundle's own request it never touches).
		members := slices.Sorted(slices.Values(cur.Members))
		ids := append([]string{id}, members...)
		rs, err := s.store.Transact(ctx, ids, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
			if !slices.Equal(rs[0].Members, cur.Members) {
				return nil, nil, errMembersChanged
			}
			now := s.now()
			events, err := fn(rs[0], rs[1:], now)
			if err != nil {
				return nil, nil, err
			}
			for _, r := range rs {
				r.UpdatedAt, r.Due = now, r.NextDue(s.settings().Timing)
			}
			s.markDryRun(events)
			return nil, events, nil
		})
		if errors.Is(err, errMembersChanged) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return rs[0], nil
	}
}

// beginMemberRemovals records the removal of every member still granted or
// being granted, for the transaction that ends their bundle.
func beginMemberRemovals(bundleID string, members []*access.Request, outcome access.State, by access.User, reason string, now time.Time) []access.Event {
	var events []access.Event
	for _, m := range members {
		if m.State.Final() || m.Grant.Removal != nil || m.BeginRemoval(outcome, by, reason, now) != nil {
			continue
		}
		events = append(events, access.NewEvent(access.EventRemovalStarted, by, m, now,
			grantDetails(m, map[string]string{"outcome": string(outcome), "bundle": bundleID})))
	}
	return events
}

// removeMembers carries out the removals of bundle b's members recorded by
// beginMemberRemovals, each through the one removal path.
func (s *Service) removeMembers(ctx context.Context, b *access.Request) {
	for _, id := range b.Members {
		if _, err := s.remove(ctx, id); err != nil {
			s.logger(ctx).Error().Err(err).Str("member", id).Msg("remove bundle member")
		}
	}
}

// followMembers moves every member's end to bundle b's, in the transaction
// that extends b.
func followMembers(b *access.Request, members []*access.Request, actor access.User, now time.Time) []access.Event {
	var events []access.Event
	for _, m := range members {
		if m.FollowBundle(b.Grant.ExpiresAt) != nil {
			continue // ended already
		}
		details := expiresDetail(m)
		details["bundle"] = b.ID
		events = append(events, access.NewEvent(access.EventExtended, actor, m, now, details))
	}
	return events
}

// bundleOf returns the id to act on for request id: its bundle's, for a
// member, since members are extended, revoked and cancelled together.
func (s *Service) bundleOf(ctx context.Context, id string) string {
	if r, err := s.store.Get(ctx, id); err == nil && r.Kind == access.KindBundleMember && r.ParentID != "" {
		return r.ParentID
	}
	return id
}
