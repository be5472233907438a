package provisioner

import (
	"container/list"
	"context"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
)

// Defaults for zero PacerOptions fields.
const (
	// DefaultRateLimitShare is the part of each bucket the pacer uses: half,
	// as Okta allows one API token by default.
	DefaultRateLimitShare = 0.5
	// oktaConcurrency is Okta's default limit of requests in flight per org.
	oktaConcurrency = 75
)

// The parts of a window's budget that lower priorities must leave unspent
// at the window's start, for the priorities above them: at least these
// fractions of the budget, and more when urgent and interactive calls took
// more in the last window (times interactiveMargin). The part shrinks in
// step with the time left in the window, so that by its end all of the
// budget can be spent: a removal never waits a whole window for nothing,
// and an interactive call finds room at any moment. A quarter keeps a
// steady stream of grants of up to a quarter of the budget unblocked from
// the first window on, and costs removals nothing per window, only when in
// it they go.
const (
	removalReserve    = 0.25 // left for urgent and interactive calls
	backgroundReserve = 0.5  // left for everything else
	interactiveMargin = 1.5
)

// Log field names.
const (
	fieldBucket = "bucket"
	fieldReset  = "rate_limit_reset"
)

// PacerOptions configure a Pacer.
type PacerOptions struct {
	// Share is the part of each bucket's limit (X-Rate-Limit-Limit) the
	// pacer spends per window, in (0, 1]. 0: DefaultRateLimitShare.
	Share float64
	// Concurrency bounds the calls in flight at once, all buckets together.
	// 0: Okta's default org limit (75) times Share.
	Concurrency int
	// AttemptTimeout bounds each call from the moment the pacer lets it go
	// until its response body is closed, so that time spent queued is not
	// counted against it (an http.Client's Timeout counts it). 0: none.
	AttemptTimeout time.Duration
	Logger         zerolog.Logger
}

// Pacer shares Okta's rate limits among every call accessbot makes to Okta.
// It learns each bucket's limit and window from the X-Rate-Limit-Limit,
// -Remaining and -Reset headers of the responses, lets at most Share of the
// limit go per window, keeps the calls in flight under Concurrency, and
// after a 429 holds the bucket until the reset it announced (and spends
// half as much in the next window). Calls wait in queues by priority
// (access.PriorityFrom their context): urgent first; interactive and removal
// calls take turns; background last. All methods are safe for concurrent use.
type Pacer struct {
	share       float64
	concurrency int
	timeout     time.Duration
	log         zerolog.Logger
	now         func() time.Time
	admitted    func(access.Priority) // if set, told of each call let go, in order (tests)

	mu       sync.Mutex
	buckets  map[string]*bucket
	inFlight int
	seq      uint64
	timer    *time.Timer // wakes the queues when time alone frees budget
	timerAt  time.Time
}

// bucket is what the pacer knows of one rate-limit bucket, and the calls
// waiting for it. Guarded by Pacer.mu.
type bucket struct {
	name      string
	share     float64       // of the limit, from PacerOptions
	known     bool          // a response announced the limit
	unlimited bool          // responses carry no rate-limit headers
	limit     int           // X-Rate-Limit-Limit
	remaining int           // lowest X-Rate-Limit-Remaining of the window
	resetAt   time.Time     // end of the current window, on our clock
	estimated bool          // resetAt is a guess, not yet confirmed by a response
	window    time.Duration // longest reset − now seen: the window's length
	used      int           // calls let go in the current window
	inter     int           // of those, urgent and interactive ones
	lastInter int           // urgent and interactive calls in the last window
	inFlight  int           // calls let go and not yet answered
	blocked   time.Time     // after a 429: nothing goes before this
	hit429    bool          // a 429 in the current window
	halved    bool          // the window after a 429 spends half the budget
	limited   int           // 429s received, ever
	queues    [4]*list.List // of *waiter, by priority − 1
	turn      bool          // true: a removal goes next when both could
}

type waiter struct {
	prio     access.Priority
	seq      uint64
	elem     *list.Element
	ready    chan struct{}
	admitted bool
}

// NewPacer returns a pacer with no bucket known yet.
func NewPacer(opts PacerOptions) *Pacer {
	share := opts.Share
	if share <= 0 || share > 1 {
		share = DefaultRateLimitShare
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = max(1, int(oktaConcurrency*share))
	}
	return &Pacer{share: share, concurrency: conc, timeout: opts.AttemptTimeout, log: opts.Logger,
		now: time.Now, buckets: map[string]*bucket{}}
}

// Wrap returns a RoundTripper that sends each request through next once the
// pacer lets it go. A request whose context ends while it waits fails with
// the context's error and is never sent.
func (p *Pacer) Wrap(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &pacedTransport{p: p, next: next}
}

type pacedTransport struct {
	p    *Pacer
	next http.RoundTripper
}

func (t *pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := t.p
	b, err := p.acquire(req.Context(), rateBucket(req.Method, req.URL.Path), access.PriorityFrom(req.Context()))
	if err != nil {
		return nil, err
	}
	cancel := context.CancelFunc(func() {})
	if p.timeout > 0 {
		var ctx context.Context
		ctx, cancel = context.WithTimeout(req.Context(), p.timeout)
		req = req.WithContext(ctx)
	}
	resp, err := t.next.RoundTrip(req)
	p.done(b, resp)
	if err != nil {
		cancel()
		return nil, err
	}
	// The timeout covers reading the body too; it ends when the body is closed.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// acquire waits until a call of priority prio may go to bucket name.
func (p *Pacer) acquire(ctx context.Context, name string, prio access.Priority) (*bucket, error) {
	p.mu.Lock()
	b := p.buckets[name]
	if b == nil {
		b = &bucket{name: name, share: p.share}
		for i := range b.queues {
			b.queues[i] = list.New()
		}
		p.buckets[name] = b
	}
	p.seq++
	w := &waiter{prio: prio, seq: p.seq, ready: make(chan struct{})}
	w.elem = b.queues[prio-1].PushBack(w)
	p.pumpLocked()
	p.mu.Unlock()

	select {
	case <-w.ready:
		return b, nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if w.admitted {
		// Let go just as the caller gave up: the call is not made, so
		// neither the slot nor the budget is spent.
		b.inFlight--
		p.inFlight--
		if !b.unlimited {
			b.used = max(b.used-1, 0)
		}
	} else {
		b.queues[prio-1].Remove(w.elem)
	}
	p.pumpLocked()
	return nil, ctx.Err()
}

// done records the end of a call let go for b, and what its response said.
func (p *Pacer) done(b *bucket, resp *http.Response) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b.inFlight--
	p.inFlight--
	if resp != nil {
		p.learnLocked(b, resp)
	}
	p.pumpLocked()
}

// learnLocked updates b from a response's status and rate-limit headers.
func (p *Pacer) learnLocked(b *bucket, resp *http.Response) {
	now := p.now()
	limit, remaining, reset, ok := rateHeaders(resp.Header, now)
	if resp.StatusCode == http.StatusTooManyRequests {
		// Holding the bucket until the reset is enough; remaining stays as
		// it was, since the 429 of Okta's concurrency limit announces a
		// reset of its own, seconds away, not the window's.
		b.limited++
		b.hit429 = true
		until := now.Add(time.Second) // Okta always says; if not, a short pause
		if ok && reset.After(now) {
			until = reset
		}
		if until.After(b.blocked) {
			b.blocked = until
		}
		p.log.Warn().Str(fieldBucket, b.name).Time(fieldReset, until).
			Msg("okta: rate limited (429); holding the bucket until its reset")
		return
	}
	if !ok {
		if !b.known {
			b.unlimited, b.used = true, 0
		}
		return
	}
	b.known, b.unlimited = true, false
	if !reset.After(now) {
		return // from a window that has ended
	}
	b.limit = limit
	switch {
	case b.resetAt.IsZero():
		// The first window seen: this call and those in flight are all
		// the pacer knows to have spent of it.
		b.resetAt, b.remaining, b.used = reset, remaining, b.inFlight+1
	case b.estimated || reset.After(b.resetAt):
		b.resetAt, b.estimated, b.remaining = reset, false, remaining
	case reset.Equal(b.resetAt):
		b.remaining = min(b.remaining, remaining)
	}
	b.window = max(b.window, reset.Sub(now))
}

// rateHeaders parses Okta's X-Rate-Limit-* headers; reset is on our clock.
// Clocks a few seconds apart are trusted as they are, since Date counts
// whole seconds; beyond that, the reset is taken relative to Date.
func rateHeaders(h http.Header, now time.Time) (limit, remaining int, reset time.Time, ok bool) {
	limit, err1 := strconv.Atoi(h.Get("X-Rate-Limit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
	epoch, err3 := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || limit <= 0 {
		return 0, 0, time.Time{}, false
	}
	reset = time.Unix(epoch, 0)
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		if skew := date.Sub(now); skew > 2*time.Second || skew < -2*time.Second {
			reset = now.Add(reset.Sub(date))
		}
	}
	return limit, max(remaining, 0), reset, true
}

// pumpLocked lets waiting calls go while budget and slots allow, most urgent
// first, and arms the timer for when time alone will free more.
func (p *Pacer) pumpLocked() {
	now := p.now()
	for {
		var best *waiter
		var from *bucket
		for _, b := range p.buckets {
			w := p.candidateLocked(b, now)
			if w != nil && (best == nil || class(w.prio) < class(best.prio) ||
				class(w.prio) == class(best.prio) && w.seq < best.seq) {
				best, from = w, b
			}
		}
		if best == nil {
			break
		}
		from.queues[best.prio-1].Remove(best.elem)
		if !from.unlimited {
			from.used++
		}
		from.inFlight++
		p.inFlight++
		switch best.prio {
		case access.PriorityUrgent:
			from.inter++
		case access.PriorityInteractive:
			from.inter++
			from.turn = true
		case access.PriorityRemoval:
			from.turn = false
		}
		best.admitted = true
		if p.admitted != nil {
			p.admitted(best.prio)
		}
		close(best.ready)
	}
	p.armTimerLocked(now)
}

// class ranks priorities for the choice between buckets: interactive and
// removal calls rank alike, since each bucket alternates between them.
func class(p access.Priority) int {
	switch p {
	case access.PriorityUrgent:
		return 0
	case access.PriorityBackground:
		return 2
	}
	return 1
}

// candidateLocked returns the call that would go next to b, or nil when none
// may go now.
func (p *Pacer) candidateLocked(b *bucket, now time.Time) *waiter {
	if now.Before(b.blocked) {
		return nil
	}
	b.rollLocked(now)
	head := func(prio access.Priority, turns bool) *waiter {
		if e := b.queues[prio-1].Front(); e != nil && p.mayGoLocked(b, prio, turns, now) {
			return e.Value.(*waiter)
		}
		return nil
	}
	if w := head(access.PriorityUrgent, false); w != nil {
		return w
	}
	// With interactive calls queueing, taking turns already keeps their
	// wait short: the slot and the budget kept for them would only let a
	// queue of grants starve removals. A single one waiting is served
	// from the reserve, which a removal's turn must then not eat.
	wi := head(access.PriorityInteractive, false)
	wr := head(access.PriorityRemoval, wi != nil && b.queues[access.PriorityInteractive-1].Len() > 1)
	switch {
	case wi != nil && wr != nil && b.turn:
		return wr
	case wi != nil:
		return wi
	case wr != nil:
		return wr
	}
	return head(access.PriorityBackground, false)
}

// rollLocked starts a new window once the current one has ended. Its end is
// guessed one window on until a response says.
func (b *bucket) rollLocked(now time.Time) {
	if b.resetAt.IsZero() || now.Before(b.resetAt) {
		return
	}
	w := max(b.window, time.Second)
	b.lastInter = b.inter
	if !now.Before(b.resetAt.Add(w)) {
		b.lastInter = 0 // a whole window went by since
	}
	b.used, b.inter, b.remaining = 0, 0, b.limit
	b.halved, b.hit429 = b.hit429, false
	for !b.resetAt.After(now) {
		b.resetAt = b.resetAt.Add(w)
	}
	b.estimated = true
}

// mayGoLocked reports whether a call of priority prio may go to b now.
// Removals and background calls leave a slot or two, and a reserve of the
// budget, for urgent and interactive calls; unless turns: a removal taking
// turns with queueing interactive calls needs neither left.
func (p *Pacer) mayGoLocked(b *bucket, prio access.Priority, turns bool, now time.Time) bool {
	slots := p.concurrency
	if !turns && (prio == access.PriorityRemoval || prio == access.PriorityBackground) {
		// A slot or two stay free for urgent and interactive calls.
		slots -= min(max(1, p.concurrency/10), p.concurrency-1)
	}
	if p.inFlight >= slots {
		return false
	}
	switch {
	case b.unlimited:
		return true
	case !b.known:
		return b.inFlight == 0 // one call at a time until a response tells the limit
	}
	if b.remaining-b.inFlight <= 0 {
		return false // others spent the bucket; wait for the reset
	}
	if turns {
		return b.used < b.budget()
	}
	return b.used < b.budget()-b.reserve(prio, now)
}

// budget is what the pacer spends of b per window: its share of the limit,
// halved in the window after a 429.
func (b *bucket) budget() int {
	n := max(1, int(float64(b.limit)*b.share))
	if b.halved {
		n = max(1, n/2)
	}
	return n
}

// reserve is the part of b's budget a call of priority prio must leave
// unspent now.
func (b *bucket) reserve(prio access.Priority, now time.Time) int {
	full := b.reserveAtStart(prio)
	if full == 0 {
		return 0
	}
	return min(int(math.Ceil(full*b.windowLeft(now))), b.budget()-1)
}

// reserveAtStart is what a call of priority prio must leave unspent at the
// start of a window.
func (b *bucket) reserveAtStart(prio access.Priority) float64 {
	f := 0.0
	switch prio {
	case access.PriorityRemoval:
		f = removalReserve
	case access.PriorityBackground:
		f = backgroundReserve
	default:
		return 0
	}
	return max(f*float64(b.budget()), interactiveMargin*float64(b.lastInter))
}

// windowLeft is the part of the window still to run, in [0, 1].
func (b *bucket) windowLeft(now time.Time) float64 {
	if b.window <= 0 || b.resetAt.IsZero() {
		return 1
	}
	return min(max(float64(b.resetAt.Sub(now))/float64(b.window), 0), 1)
}

// armTimerLocked sets the timer for the earliest moment at which a waiting
// call may go without any response arriving: a bucket's reset or end of a
// 429 pause, or the shrinking of a reserve.
func (p *Pacer) armTimerLocked(now time.Time) {
	var wake time.Time
	for _, b := range p.buckets {
		if t := b.wakeAt(now); !t.IsZero() && (wake.IsZero() || t.Before(wake)) {
			wake = t
		}
	}
	if wake.IsZero() || (!p.timerAt.IsZero() && !p.timerAt.After(wake) && p.timerAt.After(now)) {
		return
	}
	p.timerAt = wake
	d := max(wake.Sub(now), time.Millisecond)
	if p.timer == nil {
		p.timer = time.AfterFunc(d, p.wake)
		return
	}
	p.timer.Reset(d)
}

func (p *Pacer) wake() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timerAt = time.Time{}
	p.pumpLocked()
}

// wakeAt returns when time alone may let one of b's waiting calls go, or the
// zero time when none waits or only a response can help.
func (b *bucket) wakeAt(now time.Time) time.Time {
	waiting := false
	for _, q := range b.queues {
		waiting = waiting || q.Len() > 0
	}
	switch {
	case !waiting:
		return time.Time{}
	case now.Before(b.blocked):
		return b.blocked
	case b.unlimited || !b.known:
		return time.Time{} // only a response changes anything
	}
	wake := b.resetAt
	for _, prio := range []access.Priority{access.PriorityRemoval, access.PriorityBackground} {
		full := b.reserveAtStart(prio)
		// The reserve drops to k once windowLeft ≤ k / full.
		k := b.budget() - b.used - 1
		if b.queues[prio-1].Len() == 0 || k < 0 || b.window <= 0 || full <= 0 {
			continue
		}
		t := b.resetAt.Add(-time.Duration(float64(k) / full * float64(b.window)))
		if t.After(now) && t.Before(wake) {
			wake = t
		}
	}
	return wake
}
