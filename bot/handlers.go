package bot

import (
	"context"
	"sync"
	"time"
)

// Defaults of the handler bounds (Options.MaxHandlers, Options.MaxQueuedEvents).
// Handlers mostly wait (for Slack, for Okta, whose calls have their own
// bound in the Okta pacer, and for the store's fsync), but between waits
// each one encodes messages and writes the store on the CPU the Socket Mode
// reader needs to ack on time. On two CPUs, with Okta slow, bench/'s ack
// p99 came to 1.19-1.29 × a bare client's with 4 handlers against
// 1.31-1.84 × with 8 (four runs each, same harness); acks matter more, since
// Slack redelivers what is not acked in 3 s. Four still carry far more
// flows a second than any organization asks for.
const (
	defaultMaxHandlers     = 4
	defaultMaxQueuedEvents = 1000
	// maxBusyReplies bounds the "busy" answers being sent at once when even
	// the queue is full; past it a refused event is only logged.
	maxBusyReplies = 8
)

// msgBusy answers an event the bot had no room to work on.
const msgBusy = "accessbot is handling a burst of requests right now and could not take yours; try again in a minute."

// handlerQueue runs the work of Slack events on at most max goroutines at
// once, in the order the events came, so that a burst of envelopes costs
// bounded memory and cannot flood Slack, Okta or the store. Acks never wait
// for it: envelopes are acknowledged before their work is queued.
//
// An event that finds every handler busy waits as a job: a few words and
// the closure of its handler, with no goroutine of its own (a handler that
// finishes takes the next job) and, for a click, not the decoded payload
// (see click). When each waiting event was a parked goroutine holding its
// payload, a burst of a thousand gave the collector that much more to trace
// while acks were due: bench/'s ack p99 went from about 8 ms to under 7 ms
// with jobs.
type handlerQueue struct {
	max, maxQueued int
	busy           chan struct{} // a token per "busy" answer being sent

	mu      sync.Mutex
	running int    // handlers at work
	waiting []*job // the jobs waiting, oldest first; some may be given up
	queued  int    // jobs in waiting not given up
	closed  bool   // no more jobs: the bot is stopping
}

// job is one event's work, from its admission until a handler ran it or
// it was given up.
type job struct {
	ev  *event
	run func(ctx context.Context, ev *event)

	// Guarded by handlerQueue.mu while the job waits.
	state  jobState
	timers []*time.Timer
}

type jobState int

const (
	jobWaiting jobState = iota
	jobStarted          // a handler took it
	jobGivenUp          // waited too long, or the bot is stopping
)

func newHandlerQueue(max, maxQueued int) *handlerQueue {
	return &handlerQueue{max: max, maxQueued: maxQueued, busy: make(chan struct{}, maxBusyReplies)}
}

// admission is what add did with a job.
type admission int

const (
	admitStart   admission = iota // a handler is free: start one for it
	admitQueued                   // it waits for a handler
	admitRefused                  // every handler and place in the queue is taken
)

// add admits j. For a queued job, wait(j) arms its timers under the
// queue's lock, so that none fires before the job is in the queue.
func (q *handlerQueue) add(j *job, wait func(*job)) admission {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed:
		return admitRefused
	case q.running < q.max:
		q.running++
		j.state = jobStarted
		return admitStart
	case q.queued < q.maxQueued:
		q.waiting = append(q.waiting, j)
		q.queued++
		wait(j)
		return admitQueued
	}
	return admitRefused
}

// next is called by a handler that finished a job: it returns the oldest
// job still waiting, now started, or nil when there is none and the
// handler is to stop.
func (q *handlerQueue) next() *job {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.waiting) > 0 {
		j := q.waiting[0]
		q.waiting[0] = nil
		q.waiting = q.waiting[1:]
		if j.state != jobWaiting {
			continue
		}
		q.queued--
		j.state = jobStarted
		for _, t := range j.timers {
			t.Stop()
		}
		return j
	}
	q.waiting = nil // let the emptied backing array go
	q.running--
	return nil
}

// whileWaiting runs fn under the queue's lock if j still waits, and
// reports whether it did; a timer's callback uses it to act on a job no
// handler took in time.
func (q *handlerQueue) whileWaiting(j *job, fn func()) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if j.state != jobWaiting {
		return false
	}
	fn()
	return true
}

// giveUp takes j out of the queue if it still waits; a handler will skip
// it. It reports whether j was waiting.
func (q *handlerQueue) giveUp(j *job) bool {
	return q.whileWaiting(j, func() {
		j.state = jobGivenUp
		q.queued--
	})
}

// close refuses new jobs and returns those still waiting, given up.
func (q *handlerQueue) close() []*job {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	var left []*job
	for _, j := range q.waiting {
		if j.state == jobWaiting {
			j.state = jobGivenUp
			for _, t := range j.timers {
				t.Stop()
			}
			left = append(left, j)
		}
	}
	q.waiting, q.queued = nil, 0
	return left
}

// refuse tells the person behind ev that the bot is too busy for it, in the
// background and only while few such answers are on their way: it runs on
// the goroutine that reads Slack's envelopes, which must not wait.
func (b *Bot) refuse(ctx context.Context, ev *event) {
	ev.log.Error().Int("max_handlers", b.queue.max).Int("max_queued", b.queue.maxQueued).
		Msg("too many Slack events in progress; this one is refused")
	if ev.pendingAck {
		b.ackEvent(ctx, ev, nil)
	}
	select {
	case b.queue.busy <- struct{}{}:
	default:
		return
	}
	go func() {
		defer func() { <-b.queue.busy }()
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		b.tell(tctx, ev, msgBusy)
	}()
}
