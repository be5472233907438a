package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// onInteraction routes an interactive envelope. Button clicks and view
// closes are acked at once; a view submission is acked by its handler,
// because the ack carries the verdict.
func (b *Bot) onInteraction(ctx context.Context, envelopeID string, cb slack.InteractionCallback) {
	channel := cb.Container.ChannelID
	if channel == "" {
		channel = cb.Channel.ID
	}
	ev := b.newEvent(envelopeID, cb.User.ID, channel, cb.ResponseURL, cb.TriggerID)
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		b.ack(ctx, envelopeID, nil)
		if len(cb.ActionCallback.BlockActions) == 0 {
			return
		}
		c := clickOf(cb)
		ev.log = ev.log.With().Str(FieldAction, logValue(c.action.ActionID)).Logger()
		ev.log.Info().Msg("block action")
		b.spawn(ctx, ev, func(ctx context.Context, ev *event) { b.onBlockAction(ctx, ev, c) })
	case slack.InteractionTypeViewSubmission:
		ev.responseURL = "" // view submissions have none of their own
		ev.pendingAck = true
		ev.log = ev.log.With().Str(FieldAction, "submit:"+logValue(cb.View.CallbackID)).Logger()
		ev.log.Info().Msg("view submission")
		v := cb.View // all its handler needs of the payload
		switch v.CallbackID {
		case CallbackRequest:
			b.spawn(ctx, ev, func(ctx context.Context, ev *event) { b.onRequestSubmit(ctx, ev, v) })
		case CallbackDeny:
			b.spawn(ctx, ev, func(ctx context.Context, ev *event) { b.onDenySubmit(ctx, ev, v) })
		case CallbackRevokeAll:
			b.spawn(ctx, ev, func(ctx context.Context, ev *event) { b.onRevokeAllSubmit(ctx, ev, v) })
		default:
			b.ack(ctx, envelopeID, nil)
		}
	case slack.InteractionTypeBlockSuggestion:
		b.onSuggestion(ctx, envelopeID, cb)
	case slack.InteractionTypeShortcut:
		b.ack(ctx, envelopeID, nil)
		if cb.CallbackID == CallbackRequest {
			b.spawn(ctx, ev, func(ctx context.Context, ev *event) { b.openRequestModal(ctx, ev, "") })
		}
	default:
		b.ack(ctx, envelopeID, nil)
	}
}

// onBlockAction does what a button (or the modal's resource select) asks.
// Errors become an ephemeral answer to the clicker only.
func (b *Bot) onBlockAction(ctx context.Context, ev *event, c click) {
	w := b.workflow()
	a := c.action
	id := a.Value
	if id != "" {
		ev.log = ev.log.With().Str(FieldRequestID, truncate(id, 64)).Logger()
	}
	action := a.ActionID
	if isExtendAction(action) {
		action = ActionExtend
	}
	switch action {
	case ActionApprove:
		if _, err := w.Approve(ctx, ev.user, id); err != nil {
			b.tellError(ctx, ev, err, "approve refused")
			b.redrawStaleApproval(ctx, ev, c, id, err)
			return
		}
		ev.log.Info().Msg("approval recorded")

	case ActionDeny:
		// An outsider hears no at once, without a modal.
		if err := w.CheckDecider(ctx, ev.user, id); err != nil {
			b.tellError(ctx, ev, err, "deny refused")
			b.redrawStaleApproval(ctx, ev, c, id, err)
			return
		}
		r, err := w.Get(ctx, id)
		if err != nil {
			b.tellError(ctx, ev, err, "deny")
			return
		}
		if _, err := b.api.OpenViewContext(ctx, ev.triggerID, denyModal(r, b.resourceOf(r))); err != nil {
			b.tellError(ctx, ev, b.slackError("views.open", err), "open deny form")
		}

	case ActionNudge:
		b.nudge(ctx, ev, id)

	case ActionCancel:
		if _, err := w.Cancel(ctx, ev.user, id); err != nil {
			b.tellError(ctx, ev, err, "cancel refused")
			return
		}
		ev.log.Info().Msg("request cancelled")

	case ActionRevoke:
		r, err := w.Revoke(ctx, ev.user, id)
		if err != nil {
			b.tellError(ctx, ev, err, "revoke refused")
			return
		}
		ev.log.Info().Str("state", string(r.State)).Msg("revoke requested")
		b.redraw(ctx, ev, c, r, "")

	case ActionExtend:
		reqID, dur, _ := strings.Cut(id, "|")
		d, err := access.ParseDuration(dur)
		if err != nil || reqID == "" {
			ev.log.Info().Msg("malformed extension button")
			b.tell(ctx, ev, "That extension button is malformed; use `/access extend <request-id> <duration>`.")
			return
		}
		ev.log = ev.log.With().Str(FieldRequestID, truncate(reqID, 64)).Logger()
		r, err := w.Extend(ctx, ev.user, reqID, d)
		if err != nil {
			b.tellError(ctx, ev, err, "extend refused")
			return
		}
		line := b.renderer().extendedText(*r, b.resourceOf(r))
		if a.BlockID == blockExtendOffer {
			b.tellDone(ctx, ev, line) // the offer was an answer to a request; answer it in turn
		} else if grant, err := w.Get(ctx, reqID); err == nil {
			b.redraw(ctx, ev, c, grant, line)
		}

	case ActionKeep:
		r, err := w.Keep(ctx, ev.user, id)
		if err != nil {
			b.tellError(ctx, ev, err, "keep refused")
			return
		}
		ev.log.Info().Time("expires_at", r.Grant.ExpiresAt).Msg("activity grant kept")
		b.redraw(ctx, ev, c, r, "👍 Kept: "+resourceLabel(*r, b.resourceOf(r))+" ("+requestID(*r)+") now stays until "+when(r.Grant.ExpiresAt)+" unless you use it.")

	case ActionRenew:
		r, err := w.Renew(ctx, ev.user, id)
		if err != nil {
			b.tellError(ctx, ev, err, "renew refused")
			return
		}
		ev.log.Info().Str("renewal", r.ID).Msg("activity grant asked for again")
		b.tell(ctx, ev, "🔁 Asked again: request "+requestID(*r)+" went to the approvers. If they approve before your access reaches its maximum age, it carries on without a gap.")

	case ActionLetExpire:
		r, err := w.LetExpire(ctx, ev.user, id)
		if err != nil {
			b.tellError(ctx, ev, err, "let expire refused")
			return
		}
		if b.mayRedraw(ctx, ev, r, access.NoticeReminder, c.msgChannel, c.msgTS) {
			if err := b.update(ctx, c.msgChannel, c.msgTS, b.renderer().letExpire(*r, b.resourceOf(r))); err != nil {
				logFailure(&ev.log, err, "redraw reminder")
			}
		}

	case ActionResourceSelect:
		if c.view != nil {
			b.onResourceSelect(ctx, ev, *c.view, a.SelectedOption.Value, a.ActionTs)
		}

	case ActionHomeRequest:
		b.openRequestModal(ctx, ev, id)

	case ActionDurationSelect, ActionApprovers, ActionReasonInput:
		// Inputs of the modal; read at submission.

	default:
		ev.log.Debug().Msg("unknown action")
	}
}

// click is what a button's handler needs of its interaction: the action,
// the message it was on, and the modal it was in. A click waiting for a
// handler keeps only this, not the decoded payload (the whole message
// with its blocks), which the collector would otherwise trace again and
// again through a burst.
type click struct {
	action            slack.BlockAction
	msgChannel, msgTS string      // "" for an ephemeral message (see messageOf)
	view              *slack.View // the modal the action was in, nil for a message
}

// clickOf keeps what a handler needs of a block action's interaction,
// whose first action is the one clicked (Slack sends one per click).
func clickOf(cb slack.InteractionCallback) click {
	c := click{action: *cb.ActionCallback.BlockActions[0]}
	c.msgChannel, c.msgTS = messageOf(cb)
	if cb.View.ID != "" {
		v := cb.View
		c.view = &v
	}
	return c
}

// messageOf returns the channel and ts of the message a button was on.
func messageOf(cb slack.InteractionCallback) (channel, ts string) {
	channel, ts = cb.Container.ChannelID, cb.Container.MessageTs
	if channel == "" {
		channel = cb.Channel.ID
	}
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	if cb.Container.IsEphemeral {
		return "", ""
	}
	return channel, ts
}

// redraw updates a clicked notice the workflow does not track (granted,
// reminder, break-glass announcement) from the request's current state, so
// its buttons match what can still be done. Approval messages and the
// requester's confirmation are redrawn by the workflow itself. line, when
// set, replaces a reminder's text (after an extension).
func (b *Bot) redraw(ctx context.Context, ev *event, c click, r *access.Request, line string) {
	kind, ok := strings.CutPrefix(c.action.BlockID, blockNoticeActions)
	if !ok {
		return
	}
	channel, ts := c.msgChannel, c.msgTS
	if !b.mayRedraw(ctx, ev, r, access.NoticeKind(kind), channel, ts) {
		return
	}
	rd := b.renderer()
	res := b.resourceOf(r)
	var m message
	switch access.NoticeKind(kind) {
	case access.NoticeGranted, access.NoticeBreakGlass:
		m = rd.notice(access.Notice{Kind: access.NoticeKind(kind), Request: *r, Resource: res})
	case access.NoticeReminder:
		if line == "" {
			m = rd.notice(access.Notice{Kind: access.NoticeReminder, Request: *r, Resource: res})
		} else {
			m = rd.afterReminder(line, *r)
		}
	default:
		return
	}
	if err := b.update(ctx, channel, ts, m); err != nil {
		logFailure(&ev.log, err, "redraw clicked message")
	}
}

// redrawStaleApproval redraws the approval DM a refused Approve or Deny came
// from when the request was decided already and the DM still offered the
// buttons: a copy the bot sent but could not record (it stopped first),
// which the workflow does not track (it redraws the ones it does). Only
// ECONFLICT qualifies: the clicker is then an approver of the resource,
// entitled to its outcome; and only a message in the clicker's own DM with
// the bot, so a forged click cannot redraw anyone else's message.
func (b *Bot) redrawStaleApproval(ctx context.Context, ev *event, c click, id string, err error) {
	if access.ErrorCode(err) != access.ECONFLICT || c.action.BlockID != BlockApprovalActions {
		return
	}
	channel, ts := c.msgChannel, c.msgTS
	if channel == "" || ts == "" {
		return
	}
	r, gerr := b.workflow().Get(ctx, id)
	if gerr != nil || r.State == access.StatePending {
		return
	}
	if r.HasMessage(channel, ts) || !b.inOwnDM(ctx, ev, channel) {
		return
	}
	if uerr := b.update(ctx, channel, ts, b.renderer().approval(*r, b.resourceOf(r), false)); uerr != nil {
		logFailure(&ev.log, uerr, "redraw stale approval")
	}
}

// mayRedraw reports whether a click may redraw the message it came from as
// a notice of kind: a message in the clicker's own DM with the bot, or the
// post the store recorded for a break-glass request outside anyone's DM
// (the audit channel's), redrawn only as that break-glass notice. The kind
// comes from the payload (the block id), so a forged click naming another
// message, even one recorded for the same request (an approver's DM, the
// audit post redrawn as a reminder), redraws nothing.
func (b *Bot) mayRedraw(ctx context.Context, ev *event, r *access.Request, kind access.NoticeKind, channel, ts string) bool {
	if channel == "" || ts == "" {
		return false
	}
	if kind == access.NoticeBreakGlass && r.Kind == access.KindBreakGlass && postedFor(r, channel, ts) {
		return true
	}
	return b.inOwnDM(ctx, ev, channel)
}

// postedFor reports whether the message at channel and ts is one of the
// posts the store recorded for r outside anyone's DM.
func postedFor(r *access.Request, channel, ts string) bool {
	for _, m := range r.Messages {
		if m.Channel == channel && m.TS == ts {
			return true
		}
	}
	return false
}

// inOwnDM reports whether channel is the clicker's DM with the bot.
func (b *Bot) inOwnDM(ctx context.Context, ev *event, channel string) bool {
	dm, err := b.dmChannel(ctx, ev.user)
	return err == nil && dm == channel
}
