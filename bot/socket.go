package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// Log field names the bot adds to every line about an event.
const (
	FieldEnvelopeID = "envelope_id"
	FieldCommand    = "command"
	FieldUser       = workflow.FieldUser
	FieldAction     = workflow.FieldAction
	FieldRequestID  = workflow.FieldRequestID
)

// ackTimeout bounds queueing an ack; Slack wants it within 3 s of sending.
const ackTimeout = 2 * time.Second

// ackSlotWait is how long an envelope whose handler acks it (a view
// submission) may wait for a free handler before it is acked without one.
const ackSlotWait = 500 * time.Millisecond

// Run connects to Slack over Socket Mode and handles events until ctx ends,
// then waits (at most ShutdownTimeout) for handlers still running and
// returns nil. It returns an error at once, without retrying, when Slack
// refuses a token (invalid_auth, not_authed, account_inactive,
// token_revoked); other connection trouble is retried with backoff by the
// Socket Mode client, and Connected reports false meanwhile. Call it once.
func (b *Bot) Run(ctx context.Context) error {
	if b.workflow() == nil {
		return errors.New("bot: no workflow attached; call Attach before Run")
	}
	if b.opts.BotToken == "" || b.opts.AppToken == "" {
		return errors.New("bot: slack bot_token (xoxb-…) and app_token (xapp-…) are both required")
	}
	if err := b.checkBotToken(ctx); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	smDone := make(chan error, 1)
	go func() { smDone <- b.sm.RunContext(runCtx) }()
	homeDone := make(chan struct{})
	go func() { defer close(homeDone); b.runHome(runCtx) }()

	stopped, err := b.loop(runCtx, smDone)
	cancel()
	<-homeDone // stops with runCtx; a publish in flight is cancelled
	// Events acked and still waiting for a handler are worked on for half
	// the shutdown budget; those left then are told nothing was done.
	// waitHandlers counts them all, within ShutdownTimeout.
	drop := time.AfterFunc(b.opts.ShutdownTimeout/2, func() { b.dropWaiting(runCtx) })
	defer drop.Stop()
	b.connected.Store(false)
	if !stopped {
		select {
		case <-smDone:
		case <-time.After(5 * time.Second):
			b.log.Warn().Msg("socket mode client did not stop in time")
		}
	}
	b.waitHandlers()
	return err
}

// loop reads the Socket Mode client's events until ctx ends or something
// fatal happens. stopped reports whether the client itself has returned.
func (b *Bot) loop(ctx context.Context, smDone <-chan error) (stopped bool, err error) {
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case err := <-b.fatal:
			var app appTokenRefused
			if errors.As(err, &app) {
				return false, app.error
			}
			return false, fmt.Errorf("slack refused the bot token; check slack.bot_token: %w", err)
		case err := <-smDone:
			if ctx.Err() != nil {
				return true, nil
			}
			return true, socketError(err)
		case evt := <-b.sm.Events:
			b.dispatch(ctx, evt)
		}
	}
}

// appTokenRefused marks a fatal error about the app-level token sent to
// b.fatal, which otherwise carries refusals of the bot token.
type appTokenRefused struct{ error }

// socketError explains why the Socket Mode client gave up.
func socketError(err error) error {
	if err == nil {
		err = errors.New("no reason given")
	}
	code := err.Error()
	if fatalSlackErrors[code] {
		return &access.Error{Code: access.EUNAUTHORIZED,
			Err: fmt.Errorf("slack refused the app-level token (%s); check slack.app_token (an xapp- token with connections:write)", code)}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == 404 {
		return &access.Error{Code: access.EUNAUTHORIZED,
			Err: fmt.Errorf("slack answered apps.connections.open with 404; check slack.api_url and slack.app_token: %w", err)}
	}
	return fmt.Errorf("slack socket mode stopped: %w", err)
}

// checkBotToken asks auth.test whether Slack accepts the bot token. A refused
// token is fatal; any other failure is left for later calls to retry.
func (b *Bot) checkBotToken(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := b.api.AuthTestContext(ctx)
	if err != nil {
		if classify(err) == access.EUNAUTHORIZED {
			return &access.Error{Code: access.EUNAUTHORIZED,
				Err: fmt.Errorf("slack refused the bot token (%s); check slack.bot_token (an xoxb- token)", slackCode(err))}
		}
		b.log.Warn().Err(err).Msg("slack auth.test failed; continuing")
		return nil
	}
	b.LearnOwnTeam(res.TeamID, res.EnterpriseID)
	b.log.Info().Str("team", res.TeamID).Str("bot_user", res.UserID).Msg("slack bot token accepted")
	return nil
}

// waitHandlers waits for in-flight handlers, at most ShutdownTimeout.
func (b *Bot) waitHandlers() {
	done := make(chan struct{})
	go func() { b.handlers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(b.opts.ShutdownTimeout):
		b.log.Warn().Dur("waited", b.opts.ShutdownTimeout).Msg("stopping with Slack event handlers still running")
	}
}

// event is one Slack envelope being handled: who, where, and how to answer.
type event struct {
	envelopeID  string
	user        string
	channel     string
	responseURL string
	triggerID   string
	log         zerolog.Logger
	// pendingAck is set for an envelope whose handler acks it (a view
	// submission); a handler that panics first still acks it.
	pendingAck bool
}

// dispatch handles one Socket Mode event. Envelopes are acknowledged at once,
// before any call to Slack, Okta or PagerDuty, except where the ack must
// carry an answer; slow work goes to a goroutine.
func (b *Bot) dispatch(ctx context.Context, evt socketmode.Event) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error().Interface("panic", p).Str("stack", string(debug.Stack())).Msg("panic while dispatching a slack event")
			if evt.Request != nil {
				b.ack(ctx, evt.Request.EnvelopeID, nil)
			}
		}
	}()
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.connected.Store(false)
		b.log.Debug().Msg("connecting to slack")
		return
	case socketmode.EventTypeConnected:
		b.connected.Store(true)
		b.log.Info().Msg("connected to slack")
		return
	case socketmode.EventTypeHello:
		b.connected.Store(true)
		return
	case socketmode.EventTypeDisconnect:
		b.connected.Store(false)
		b.log.Info().Msg("slack asked to reconnect")
		return
	case socketmode.EventTypeConnectionError:
		b.connected.Store(false)
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			if ce.ErrorObj != nil && fatalSlackErrors[ce.ErrorObj.Error()] {
				// A refused token reported as a retryable connection error
				// (slack-go's client does so for token_expired) would be
				// retried for ever: stop instead.
				b.stop(appTokenRefused{socketError(ce.ErrorObj)})
				return
			}
			b.log.Warn().Err(ce.ErrorObj).Int("attempt", ce.Attempt).Dur("backoff", ce.Backoff).Msg("slack connection failed; retrying")
		}
		return
	case socketmode.EventTypeInvalidAuth:
		b.connected.Store(false)
		b.log.Error().Msg("slack refused the app-level token")
		return
	case socketmode.EventTypeIncomingError:
		b.log.Warn().Msg("unreadable frame from slack")
		return
	case socketmode.EventTypeErrorWriteFailed:
		if wf, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok && wf.Response != nil {
			b.log.Error().Err(wf.Cause).Str(FieldEnvelopeID, logValue(wf.Response.EnvelopeID)).Msg("could not send an ack to slack")
		}
		return
	case socketmode.EventTypeErrorBadMessage:
		// slack-go could not decode it; ack what we can so Slack stops
		// redelivering, and say so (without the payload, which may hold user data).
		if bm, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			var env struct {
				EnvelopeID string `json:"envelope_id"`
				Type       string `json:"type"`
			}
			_ = json.Unmarshal(bm.Message, &env)
			b.log.Error().Err(bm.Cause).Str(FieldEnvelopeID, logValue(env.EnvelopeID)).Str("type", logValue(env.Type)).Msg("slack sent an envelope the bot cannot decode")
			if env.EnvelopeID != "" {
				b.ack(ctx, env.EnvelopeID, nil)
			}
		}
		return
	}
	if evt.Request == nil {
		return
	}
	id := evt.Request.EnvelopeID
	if isNew, prev := b.recent.first(id); !isNew {
		b.log.Debug().Str(FieldEnvelopeID, logValue(id)).Msg("envelope delivered again; acknowledged, not repeated")
		b.ack(ctx, id, prev)
		return
	}
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			b.ack(ctx, id, nil)
			return
		}
		b.onSlashCommand(ctx, id, cmd)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			b.ack(ctx, id, nil)
			return
		}
		b.onInteraction(ctx, id, cb)
	case socketmode.EventTypeEventsAPI:
		b.ack(ctx, id, nil)
		b.onEventsAPI(ctx, id, evt.Data)
	default:
		b.ack(ctx, id, nil)
	}
}

// newEvent describes an envelope for handlers and logs.
func (b *Bot) newEvent(envelopeID, user, channel, responseURL, triggerID string) *event {
	return &event{
		envelopeID: envelopeID, user: user, channel: channel, responseURL: responseURL, triggerID: triggerID,
		log: b.log.With().Str(FieldEnvelopeID, logValue(envelopeID)).Str(FieldUser, logValue(user)).Logger(),
	}
}

// ack acknowledges an envelope, with payload when the answer rides on the ack.
func (b *Bot) ack(ctx context.Context, envelopeID string, payload any) {
	if envelopeID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	if err := b.sm.AckCtx(ctx, envelopeID, payload); err != nil {
		b.log.Error().Err(err).Str(FieldEnvelopeID, logValue(envelopeID)).Msg("ack failed")
		return
	}
	b.recent.acked(envelopeID, payload)
}

// ackEvent acks the envelope a handler was given unacked.
func (b *Bot) ackEvent(ctx context.Context, ev *event, payload any) {
	ev.pendingAck = false
	b.ack(ctx, ev.envelopeID, payload)
}

// spawn runs fn for ev on a handler, under the per-event timeout, with the
// event's logger in the context. A panic is logged and the person told
// that something went wrong; it never takes the process down. The work
// survives the end of ctx (Run waits for it, bounded), so a shutdown does
// not cut a flow in half. At most Options.MaxHandlers run at once; the
// others wait their turn in order (at most EventTimeout, and past the end
// of ctx at most half of ShutdownTimeout), or are refused when
// Options.MaxQueuedEvents already wait.
func (b *Bot) spawn(ctx context.Context, ev *event, fn func(ctx context.Context, ev *event)) {
	j := &job{ev: ev, run: fn}
	b.handlers.Add(1) // for the job: done once it ran or was given up
	switch b.queue.add(j, func(j *job) { b.armWait(ctx, j) }) {
	case admitRefused:
		b.handlers.Done()
		b.refuse(ctx, ev)
	case admitStart:
		go b.work(ctx, j)
	}
}

// armWait sets the timers of a job that waits for a handler: a submission
// whose handler would ack it is acked at ackSlotWait (the modal closes;
// the answer comes by message once a handler is free), and the person is
// told to try again once the job waited EventTimeout.
func (b *Bot) armWait(ctx context.Context, j *job) {
	if j.ev.pendingAck {
		j.timers = append(j.timers, time.AfterFunc(ackSlotWait, func() {
			if b.queue.whileWaiting(j, func() { j.ev.pendingAck = false }) {
				b.ack(ctx, j.ev.envelopeID, nil)
			}
		}))
	}
	j.timers = append(j.timers, time.AfterFunc(b.opts.EventTimeout, func() {
		if b.queue.giveUp(j) {
			b.busy(ctx, j.ev)
			b.handlers.Done()
		}
	}))
}

// work runs j, then every job that waits, until none is left.
func (b *Bot) work(ctx context.Context, j *job) {
	for ; j != nil; j = b.queue.next() {
		b.handle(ctx, j.ev, j.run)
		b.handlers.Done()
	}
}

// busy tells the person behind an event no handler took that nothing was
// done and they should try again.
func (b *Bot) busy(ctx context.Context, ev *event) {
	ev.log.Warn().Msg("no free handler for this Slack event; the person is told to try again")
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	if ev.pendingAck {
		b.ackEvent(tctx, ev, nil)
	}
	b.tell(tctx, ev, msgBusy)
}

// handle runs fn for ev under the per-event timeout.
func (b *Bot) handle(ctx context.Context, ev *event, fn func(ctx context.Context, ev *event)) {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.opts.EventTimeout)
	defer cancel()
	hctx = ev.log.WithContext(hctx)
	if !b.claim(hctx, ev.envelopeID) {
		// Delivered again to this replica after another one took it: the
		// claim is asked here, on the event's handler, so its database
		// round trip never holds up the acks of other envelopes.
		ev.log.Debug().Msg("envelope delivered again, taken by another replica; acknowledged, not repeated")
		if ev.pendingAck {
			b.ackEvent(hctx, ev, nil)
		}
		return
	}
	defer func() {
		if p := recover(); p != nil {
			ev.log.Error().Interface("panic", p).Str("stack", string(debug.Stack())).Msg("panic in slack event handler")
			if ev.pendingAck {
				b.ackEvent(hctx, ev, nil)
			}
			b.tell(hctx, ev, msgInternal)
		}
	}()
	fn(hctx, ev)
}

// dropWaiting tells everyone whose event still waits for a handler, once
// the bot stopping has given the queue its time, that nothing was done; a
// few at a time.
func (b *Bot) dropWaiting(ctx context.Context) {
	left := b.queue.close()
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxBusyReplies)
	for _, j := range left {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done(); b.handlers.Done() }()
			b.busy(ctx, j.ev)
		}()
	}
	wg.Wait()
}

// claimWait bounds the database round trip before an envelope is handled,
// well inside the 3 seconds Slack gives for its ack.
const claimWait = time.Second

// claim reports whether this replica should handle envelope id: yes when
// no other replica claimed it, and also when the claim cannot be asked
// (the database is away): every transition checks the stored state
// anyway, so a repeat handled twice is refused there rather than lost.
func (b *Bot) claim(ctx context.Context, id string) bool {
	if b.opts.ClaimEnvelope == nil || id == "" {
		return true
	}
	cctx, cancel := context.WithTimeout(ctx, claimWait)
	defer cancel()
	ok, err := b.opts.ClaimEnvelope(cctx, id)
	if err != nil {
		b.log.Warn().Err(err).Str(FieldEnvelopeID, logValue(id)).Msg("could not check whether another replica took the envelope; handling it")
		return true
	}
	return ok
}
