package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// CommandBreakGlass is the slash command that is a shortcut for
// "/access breakglass". Any other command name is treated as /access.
const CommandBreakGlass = "/breakglass"

// ephemeral is a slash command answer carried by the ack.
type ephemeral struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

func ephemeralAck(text string) ephemeral {
	return ephemeral{ResponseType: slack.ResponseTypeEphemeral, Text: truncate(text, maxSectionText)}
}

// onSlashCommand parses the command (no I/O) and acks at once: with the
// answer for help and typing mistakes, with commandAck otherwise; the work
// then runs in the background and answers through the response_url.
func (b *Bot) onSlashCommand(ctx context.Context, envelopeID string, cmd slack.SlashCommand) {
	text := unescape(cmd.Text)
	if strings.EqualFold(cmd.Command, CommandBreakGlass) {
		text = "breakglass " + text
	}
	c, err := parseCommand(text)
	payload, work := b.slashAck(c, err)
	b.ack(ctx, envelopeID, payload) // before anything else, the log line included
	ev := b.newEvent(envelopeID, cmd.UserID, cmd.ChannelID, cmd.ResponseURL, cmd.TriggerID)
	ev.log = ev.log.With().Str(FieldCommand, logValue(cmd.Command)).Str(FieldAction, string(c.Kind)).Logger()
	ev.log.Info().Msg("slash command")
	if work {
		b.spawn(ctx, ev, func(ctx context.Context, ev *event) { b.runCommand(ctx, ev, c) })
	}
}

// slashAck returns what the ack of a parsed command carries, and whether
// the command has work left to do after it: help and typing mistakes are
// answered in the ack, and that is all.
func (b *Bot) slashAck(c command, err error) (payload any, work bool) {
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		reply := "⚠️ " + esc(ue.msg, 500)
		if ue.usage != "" {
			reply += "\nUsage: " + ue.usage + "\nSee `/access help` for all commands."
		} else {
			reply += "\n" + usageText(b.workflow().Catalog(), nil)
		}
		return ephemeralAck(reply), false
	case err != nil:
		return ephemeralAck(msgInternal), false
	}
	return commandAck(c, b.dryRun()), true
}

// commandAck is what the ack of a well-formed command shows, before any
// work: nil, except for a request, whose confirmation (with its Cancel
// button) is a DM. Saying so at once spares a response_url call per request.
func commandAck(c command, dryRun bool) any {
	if c.Kind != cmdRequest {
		return nil
	}
	text := "📨 Filing your request for `" + esc(c.Resource, 100) + "` (" + esc(c.Duration, 40) +
		")… accessbot will DM you the confirmation; if anything is wrong, you'll see it here."
	if dryRun {
		text = "[" + DryRunBanner + "] " + text
	}
	return ephemeralAck(text)
}

// runCommand does what a parsed command asks and answers the person.
func (b *Bot) runCommand(ctx context.Context, ev *event, c command) {
	w := b.workflow()
	switch c.Kind {
	case cmdHelp:
		// Answered after the ack, not in it: whether a resource is paused
		// is read from the store, and an ack waits for nothing.
		pauses, err := w.Pauses(ctx)
		if err != nil {
			logFailure(&ev.log, err, "help: pauses")
		}
		b.tell(ctx, ev, usageText(w.Catalog(), pauses))
	case cmdRevokeAll:
		b.runRevokeAll(ctx, ev, c)
	case cmdPause:
		p, err := w.Pause(ctx, ev.user, c.Resource, c.Reason)
		if err != nil {
			b.tellError(ctx, ev, err, "pause refused")
			return
		}
		b.tellDone(ctx, ev, pauseText(p, b.resourceOf(&access.Request{ResourceID: p.ResourceID})))
	case cmdResume:
		was, err := w.Resume(ctx, ev.user, c.Resource)
		if err != nil {
			b.tellError(ctx, ev, err, "resume refused")
			return
		}
		b.tellDone(ctx, ev, resumeText(was, b.resourceOf(&access.Request{ResourceID: was.ResourceID})))
	case cmdOpen:
		b.openRequestModal(ctx, ev, "")
	case cmdList:
		ov, err := w.List(ctx, ev.user)
		if err != nil {
			b.tellError(ctx, ev, err, "list")
			return
		}
		b.reply(ctx, ev, b.renderer().overview(ov, w.Catalog()))
	case cmdRequest:
		in := workflow.RequestInput{ResourceID: c.Resource, Duration: c.Duration, Reason: c.Reason}
		if c.Who != "" { // /access request-for (people.go)
			var err error
			if in.For, err = b.personID(ctx, c.Who, "for"); err != nil {
				b.tellError(ctx, ev, err, "request refused")
				return
			}
		}
		r, err := w.Submit(ctx, ev.user, in)
		if err != nil {
			if !b.offerExtension(ctx, ev, err, c.Duration) {
				b.tellError(ctx, ev, err, "request refused")
			}
			return
		}
		if r.State == access.StatePending && r.RequesterMessage.TS != "" {
			return // the confirmation DM landed, as the ack said it would
		}
		b.tellDone(ctx, ev, b.renderer().submitted(*r, b.resourceOf(r)))
	case cmdCancel:
		r, err := w.Cancel(ctx, ev.user, c.RequestID)
		if err != nil {
			b.tellError(ctx, ev, err, "cancel refused")
			return
		}
		b.tellDone(ctx, ev, "🚫 Request "+requestID(*r)+" for "+resourceLabel(*r, b.resourceOf(r))+" was cancelled.")
	case cmdRevoke:
		r, err := w.Revoke(ctx, ev.user, c.RequestID)
		if err != nil {
			b.tellError(ctx, ev, err, "revoke refused")
			return
		}
		b.tellDone(ctx, ev, revokedText(*r, b.resourceOf(r)))
	case cmdExtend:
		r, err := w.Extend(ctx, ev.user, c.RequestID, c.Extend)
		if err != nil {
			b.tellError(ctx, ev, err, "extend refused")
			return
		}
		b.tellDone(ctx, ev, b.renderer().extendedText(*r, b.resourceOf(r)))
	case cmdReport:
		rows, err := w.Report(ctx, ev.user, c.Resource, workflow.DefaultReportWindow)
		if err != nil {
			b.tellError(ctx, ev, err, "report refused")
			return
		}
		b.tellDone(ctx, ev, reportText(rows, "30 days"))
	case cmdBreakGlass:
		r, err := w.BreakGlass(ctx, ev.user, c.Resource, c.Reason)
		if err != nil {
			b.tellError(ctx, ev, err, "break-glass refused")
			return
		}
		b.tellDone(ctx, ev, breakGlassText(*r, b.resourceOf(r)))
	case cmdApprove:
		b.runApprove(ctx, ev, c)
	case cmdNudge:
		b.nudge(ctx, ev, c.RequestID)
	case cmdDelegate:
		b.runDelegate(ctx, ev, c)
	}
}

// resourceOf returns the configured resource of r, or a stand-in named by its id.
func (b *Bot) resourceOf(r *access.Request) access.Resource {
	if w := b.workflow(); w != nil && w.Catalog() != nil {
		if res, err := w.Catalog().Get(r.ResourceID); err == nil {
			return *res
		}
	}
	return access.Resource{ID: r.ResourceID}
}

// submitted says what became of a request just filed.
func (rd renderer) submitted(r access.Request, res access.Resource) string {
	label := resourceLabel(r, res)
	if r.OnCall == nil && r.State != access.StatePending {
		// An approver decided before this answer went out.
		return "Request " + requestID(r) + " for " + label + ": " + rd.outcome(r)
	}
	switch r.State {
	case access.StatePending:
		return "📨 Request " + requestID(r) + " for " + label + " sent to " + rd.names(r.Approvers) + "."
	case access.StateActive:
		return "✅ Request " + requestID(r) + " for " + label + " was auto-approved because you are on call; access is active until " + when(r.Grant.ExpiresAt) + "."
	case access.StateApproved:
		return "✅ Request " + requestID(r) + " for " + label + " was auto-approved because you are on call; accessbot is granting it in Okta and will DM you."
	case access.StateFailed:
		return "⚠️ Request " + requestID(r) + " for " + label + " was auto-approved, but accessbot could not grant it in Okta; the admins were alerted."
	}
	return "Request " + requestID(r) + " for " + label + ": " + rd.outcome(r)
}

// extendedText says what became of an extension: done, or sent for approval.
func (rd renderer) extendedText(r access.Request, res access.Resource) string {
	if r.Kind == access.KindExtension {
		return "📨 Your request " + requestID(r) + " to extend " + resourceLabel(r, res) + " by " + access.FormatDuration(r.Duration) +
			" was sent to " + rd.names(r.Approvers) + ". Your access stays active meanwhile."
	}
	return "⏩ Extended: " + resourceLabel(r, res) + " (" + requestID(r) + ") now ends " + when(r.Grant.ExpiresAt) + "."
}

func revokedText(r access.Request, res access.Resource) string {
	if r.State == access.StateRevoked {
		return "🛑 Access for request " + requestID(r) + " (" + resourceLabel(r, res) + ") was revoked."
	}
	return "🛑 Revocation of " + requestID(r) + " (" + resourceLabel(r, res) + ") is recorded; accessbot is removing the access in Okta and keeps retrying until it's gone."
}

func breakGlassText(r access.Request, res access.Resource) string {
	label := resourceLabel(r, res)
	switch r.State {
	case access.StateActive:
		return "🚨 Break-glass access to " + label + " granted until " + when(r.Grant.ExpiresAt) + " (request " + requestID(r) + "). The approvers and the audit channel were told."
	case access.StateFailed:
		return "⚠️ Break-glass for " + label + " was allowed, but accessbot could not grant it in Okta; the admins were alerted."
	}
	return "🚨 Break-glass for " + label + " was allowed (request " + requestID(r) + "); accessbot is granting it in Okta and will DM you."
}
