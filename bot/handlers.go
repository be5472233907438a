package bot

import (
	"context"
	"time"
)

// Defaults of the handler bounds (Options.MaxHandlers, Options.MaxQueuedEvents).
// Handlers mostly wait: for Slack, for Okta (whose calls have their own
// bound: the Okta pacer) and for the store's fsync. On
// two CPUs, 16 at once carry about a fifth more flows a second than 8, but
// they take the CPU the socket reader needs to ack on time: the ack p99 of
// bench/ went past 10 ms in most runs, against about one run in four with
// 8. Acks matter more (Slack drops what is not acked in 3 s). A waiting
// event costs a goroutine and its decoded payload, some kilobytes.
const (
	defaultMaxHandlers     = 8
	defaultMaxQueuedEvents = 1000
	// maxBusyReplies bounds the "busy" answers being sent at once when even
	// the queue is full; past it a refused event is only logged.
	maxBusyReplies = 8
)

// msgBusy answers an event the bot had no room to work on.
const msgBusy = "accessbot is handling a burst of requests right now and could not take yours; try again in a minute."

// handlerSlots bounds the Slack events being worked on at once and those
// waiting for their turn, so that a burst of envelopes costs bounded memory
// and cannot flood Slack, Okta or the store. Acks never wait for a slot:
// envelopes are acknowledged before their work is queued.
type handlerSlots struct {
	running  chan struct{} // a token per handler at work
	admitted chan struct{} // a token per handler at work or waiting to be
	busy     chan struct{} // a token per "busy" answer being sent
}

func newHandlerSlots(running, queued int) *handlerSlots {
	return &handlerSlots{
		running:  make(chan struct{}, running),
		admitted: make(chan struct{}, running+queued),
		busy:     make(chan struct{}, maxBusyReplies),
	}
}

// admit takes a place for an event without waiting; false when the
// handlers and the queue are all taken.
func (h *handlerSlots) admit() bool {
	select {
	case h.admitted <- struct{}{}:
		return true
	default:
		return false
	}
}

// leave gives back the place admit took.
func (h *handlerSlots) leave() { <-h.admitted }

// start waits for a handler slot, at most maxWait and not past the end of
// ctx; false when it got none.
func (h *handlerSlots) start(ctx context.Context, maxWait time.Duration) bool {
	select {
	case h.running <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(maxWait)
	defer t.Stop()
	select {
	case h.running <- struct{}{}:
		return true
	case <-ctx.Done():
	case <-t.C:
	}
	return false
}

// done gives back the slot start took.
func (h *handlerSlots) done() { <-h.running }

// refuse tells the person behind ev that the bot is too busy for it, in the
// background and only while few such answers are on their way: it runs on
// the goroutine that reads Slack's envelopes, which must not wait.
func (b *Bot) refuse(ctx context.Context, ev *event) {
	ev.log.Error().Int("max_handlers", cap(b.slots.running)).Int("max_queued", cap(b.slots.admitted)-cap(b.slots.running)).
		Msg("too many Slack events in progress; this one is refused")
	if ev.pendingAck {
		b.ackEvent(ctx, ev, nil)
	}
	select {
	case b.slots.busy <- struct{}{}:
	default:
		return
	}
	go func() {
		defer func() { <-b.slots.busy }()
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		b.tell(tctx, ev, msgBusy)
	}()
}
