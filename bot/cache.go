package bot

import (
	"strings"
	"sync"
	"time"

	"github.com/accessbot/accessbot/access"
)

// userCache remembers Slack users by id and by email for a while, so a
// burst of clicks does not become a burst of users.info calls. It is bounded:
// when full, expired entries go first, then arbitrary ones.
type userCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	byID    map[string]cachedUser
	byEmail map[string]cachedUser
}

type cachedUser struct {
	user    access.User
	expires time.Time
}

func newUserCache(ttl time.Duration, max int) *userCache {
	return &userCache{ttl: ttl, max: max, now: time.Now,
		byID: map[string]cachedUser{}, byEmail: map[string]cachedUser{}}
}

// put remembers u under its id and its email.
func (c *userCache) put(u access.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	e := cachedUser{user: u, expires: now.Add(c.ttl)}
	if u.SlackID != "" {
		c.byID[u.SlackID] = e
		c.trim(c.byID, now)
	}
	if u.Email != "" {
		c.byEmail[strings.ToLower(u.Email)] = e
		c.trim(c.byEmail, now)
	}
}

func (c *userCache) byIDGet(id string) (access.User, bool) {
	return c.get(c.byID, id)
}

func (c *userCache) byEmailGet(email string) (access.User, bool) {
	return c.get(c.byEmail, strings.ToLower(email))
}

func (c *userCache) get(m map[string]cachedUser, key string) (access.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := m[key]
	if !ok {
		return access.User{}, false
	}
	if !c.now().Before(e.expires) {
		delete(m, key)
		return access.User{}, false
	}
	return e.user, true
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
