package workflow

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/accessbot/accessbot/access"
)

// MembersCacheTTL is how long the members of an approver group read when a
// request is routed may be reused for routing the next one. A click is
// always checked against members read at that moment.
const MembersCacheTTL = 2 * time.Minute

// memberCache holds the people of approver groups read recently, per entry.
type memberCache struct {
	mu      sync.Mutex
	entries map[access.ApproverEntry]cachedMembers
}

type cachedMembers struct {
	people []access.User
	at     time.Time
}

func (c *memberCache) get(e access.ApproverEntry, now time.Time) ([]access.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.entries[e]
	if !ok || now.Sub(m.at) >= MembersCacheTTL || now.Before(m.at) {
		return nil, false
	}
	return m.people, true
}

func (c *memberCache) put(e access.ApproverEntry, people []access.User, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[access.ApproverEntry]cachedMembers{}
	}
	c.entries[e] = cachedMembers{people: people, at: now}
}

// resolve returns who entries name now. Groups are read through the
// configured listers: from the cache when fresh is false (routing), anew
// when it is true (a click). A group that cannot be read, or whose lister
// is not configured, is reported as Unreadable and logged; it never fails
// the whole set.
func (s *Service) resolve(ctx context.Context, entries []access.ApproverEntry, fresh bool) access.ApproverSet {
	var set access.ApproverSet
	for _, e := range entries {
		if !e.IsGroup() {
			set.Add(access.User{Email: e.Value})
			continue
		}
		people, ok := s.groupMembers.get(e, s.now())
		if fresh || !ok {
			var err error
			if people, err = s.readGroup(ctx, e); err != nil {
				s.logger(ctx).Warn().Err(err).Str("approvers", e.String()).Msg("could not read the members of an approver group")
				set.Unreadable = append(set.Unreadable, e)
				continue
			}
			s.groupMembers.put(e, people, s.now())
		}
		if len(people) == 0 {
			set.Empty = append(set.Empty, e)
		}
		for _, p := range people {
			set.Add(p)
		}
	}
	return set
}

// readGroup reads one group's members as people: Okta members by email
// (their login when the profile has none), Slack members by id and, from
// the directory, email. A Slack member the directory refuses (a guest, a
// deactivated account) is left out.
func (s *Service) readGroup(ctx context.Context, e access.ApproverEntry) ([]access.User, error) {
	switch e.Kind {
	case access.ApproverOktaGroup:
		if s.opts.Members == nil {
			return nil, access.Errorf(access.EUNAVAILABLE, "no Okta member lister configured")
		}
		ms, err := s.opts.Members.GroupMembers(ctx, e.Value)
		if err != nil {
			return nil, err
		}
		out := make([]access.User, 0, len(ms))
		for _, m := range ms {
			email := m.Email
			if email == "" {
				email = m.Login
			}
			if email != "" {
				out = append(out, access.User{Email: strings.ToLower(email)})
			}
		}
		return out, nil
	case access.ApproverSlackUserGroup:
		if s.opts.UserGroups == nil {
			return nil, access.Errorf(access.EUNAVAILABLE, "no Slack user group lister configured")
		}
		ids, err := s.opts.UserGroups.UserGroupMembers(ctx, e.Value)
		if err != nil {
			return nil, err
		}
		out := make([]access.User, 0, len(ids))
		for _, id := range ids {
			u, err := s.dir.UserByID(ctx, id)
			if err != nil {
				if access.ErrorCode(err) == access.EUNAVAILABLE {
					return nil, err
				}
				continue // may not approve: refused or without an email
			}
			u.Email = strings.ToLower(u.Email)
			out = append(out, u)
		}
		return out, nil
	}
	return nil, access.Errorf(access.EINVALID, "unknown approver entry %s", e)
}

// approverSet returns who may approve requests for res now, groups read
// anew when fresh (a click), from the cache otherwise (routing, lists).
func (s *Service) approverSet(ctx context.Context, res *access.Resource, fresh bool) access.ApproverSet {
	return s.resolve(ctx, res.ApproverEntries(), fresh)
}

// eligibleApprovers returns the emails of the approvers of res (of its
// first step, when it approves in steps) other than u, groups resolved
// (from the cache), and the set they came from.
func (s *Service) eligibleApprovers(ctx context.Context, res *access.Resource, u access.User) ([]string, access.ApproverSet) {
	set := s.resolve(ctx, res.StepEntries(0), false)
	var out []string
	for _, p := range set.Without(u) {
		if p.Email != "" {
			out = append(out, p.Email)
		}
	}
	return out, set
}

// askList returns the emails a request of u for res is sent to: the
// notify list (or, without one, the eligible approvers), never u, at most
// res.AskedMax of them chosen at random so a large group shares the load.
func (s *Service) askList(ctx context.Context, res *access.Resource, u access.User, eligible []string) []string {
	list := eligible
	if len(res.Notify) > 0 && !res.Stepped() { // each step asks its own approvers
		list = nil
		for _, p := range s.resolve(ctx, res.NotifyEntries(), false).Without(u) {
			if p.Email != "" {
				list = append(list, p.Email)
			}
		}
	}
	if n := res.AskedMax(); len(list) > n {
		list = append([]string(nil), list...)
		rand.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
		list = list[:n]
	}
	return list
}
