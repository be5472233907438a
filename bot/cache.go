package bot

import (
	"strings"
	"sync"
	"time"

	"github.com/accessbot/accessbot/access"
)

// userCache remembers Slack users by id and by email for a while, so a
// burst of clicks does not become a burst of users.info calls, and the
// bot's own team once auth.test named it. Accounts the identity checks
// refused are remembered with the reason, so a refused person's clicks are
// answered without asking Slack again; lookups of users that may act
// (byIDGet, byEmailGet) never return them. It is bounded: when full,
// expired entries go first, then arbitrary ones.
type userCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	byID    map[string]cachedUser
	byEmail map[string]cachedUser
	own     *ownTeam // the bot's own team; nil until known, and it does not change while the bot runs
}

type cachedUser struct {
	user    access.User
	refusal access.IdentityReason // "" for a user who may act
	expires time.Time
}

func newUserCache(ttl time.Duration, max int) *userCache {
	return &userCache{ttl: ttl, max: max, now: time.Now,
		byID: map[string]cachedUser{}, byEmail: map[string]cachedUser{}}
}

// put remembers u under its id and its email.
func (c *userCache) put(u access.User) { c.store(cachedUser{user: u}) }

// refuse remembers that the account with id and email (either may be "")
// was refused for reason.
func (c *userCache) refuse(id, email string, reason access.IdentityReason) {
	c.store(cachedUser{user: access.User{SlackID: id, Email: strings.ToLower(email)}, refusal: reason})
}

func (c *userCache) store(e cachedUser) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	e.expires = now.Add(c.ttl)
	u := e.user
	if u.SlackID != "" {
		c.byID[u.SlackID] = e
		c.trim(c.byID, now)
	}
	if u.Email != "" {
		c.byEmail[strings.ToLower(u.Email)] = e
		c.trim(c.byEmail, now)
	}
}

// byIDGet returns the user with Slack id id, if known and not refused.
func (c *userCache) byIDGet(id string) (access.User, bool) {
	e, ok := c.get(c.byID, id)
	return e.user, ok && e.refusal == ""
}

// byEmailGet returns the user with that email, if known and not refused.
func (c *userCache) byEmailGet(email string) (access.User, bool) {
	e, ok := c.get(c.byEmail, strings.ToLower(email))
	return e.user, ok && e.refusal == ""
}

// refusalByID returns why the account id was refused, if it was lately.
func (c *userCache) refusalByID(id string) (access.IdentityReason, bool) {
	e, ok := c.get(c.byID, id)
	return e.refusal, ok && e.refusal != ""
}

// refusalByEmail returns why the account with email was refused, if it was lately.
func (c *userCache) refusalByEmail(email string) (access.IdentityReason, bool) {
	e, ok := c.get(c.byEmail, strings.ToLower(email))
	return e.refusal, ok && e.refusal != ""
}

func (c *userCache) get(m map[string]cachedUser, key string) (cachedUser, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := m[key]
	if !ok {
		return cachedUser{}, false
	}
	if !c.now().Before(e.expires) {
		delete(m, key)
		return cachedUser{}, false
	}
	return e, true
}

// ownTeamGet returns the bot's own team, once known.
func (c *userCache) ownTeamGet() (ownTeam, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.own == nil {
		return ownTeam{}, false
	}
	return *c.own, true
}

func (c *userCache) setOwnTeam(h ownTeam) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.own = &h
}

// trim keeps m within max entries. Called with c.mu held.
func (c *userCache) trim(m map[string]cachedUser, now time.Time) {
	if len(m) <= c.max {
		return
	}
	for k, e := range m {
		if !now.Before(e.expires) {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) <= c.max {
			return
		}
		delete(m, k)
	}
}
