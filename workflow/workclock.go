package workflow

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/accessbot/accessbot/access"
)

// errWorkTimeout is the cause of work on one due request cut after
// Options.WorkTimeout.
var errWorkTimeout = errors.New("workflow: the work on a due request took longer than its work timeout")

// workClock bounds the sweep's work on one request, leaving out the time the
// work waits for its turn at the identity provider: during a mass removal a
// removal may wait a whole rate-limit window in the queue, which is no sign
// that anything hangs, and cutting it there would only record a failed
// attempt and put the removal off by a backoff. The attempt itself, once
// let go, is bounded by the provisioner.
type workClock struct {
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	left    time.Duration // of the limit, as of since
	since   time.Time     // when the clock last ran on
	timer   *time.Timer
	waiting int  // waits for a turn in progress; the clock stands while > 0
	fired   bool // the limit was reached
}

// startWork returns a context for the work on one due request: detached
// from ctx, so that a shutdown lets a started call finish and be recorded;
// cancelled once the work has run for limit, not counting waits for a turn;
// and with an access.Turn that ends such a wait when ctx ends, so that a
// shutdown never waits for a rate-limit window.
func startWork(ctx context.Context, limit time.Duration) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	c := &workClock{cancel: cancel, left: limit, since: time.Now()}
	c.timer = time.AfterFunc(limit, c.expire)
	wctx = access.WithTurn(wctx, access.Turn{Stop: ctx.Done(), Waiting: c.wait})
	return wctx, func() {
		c.timer.Stop()
		cancel(context.Canceled)
	}
}

func (c *workClock) expire() {
	c.mu.Lock()
	c.fired = true
	c.mu.Unlock()
	c.cancel(errWorkTimeout)
}

// wait stops the clock for a wait for a turn; the function it returns
// starts it again.
func (c *workClock) wait() func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting == 0 && !c.fired && c.timer.Stop() {
		c.left -= time.Since(c.since)
	}
	c.waiting++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.waiting--
			if c.waiting == 0 && !c.fired {
				c.since = time.Now()
				c.timer.Reset(max(c.left, 0))
			}
		})
	}
}
