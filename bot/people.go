package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// usageApprove is the usage line of /access approve: an approver who was
// not sent a request (notify, notify_max) approves it by its id.
const usageApprove = "`/access approve <request-id>`"

// runApprove approves a request by id, as the Approve button would; the
// workflow decides whether the person may.
func (b *Bot) runApprove(ctx context.Context, ev *event, c command) {
	r, err := b.workflow().Approve(ctx, ev.user, c.RequestID)
	if err != nil {
		b.tellError(ctx, ev, err, "approve refused")
		return
	}
	label := resourceLabel(*r, b.resourceOf(r))
	switch r.State {
	case access.StatePending:
		b.tellDone(ctx, ev, "👍 Your approval of "+requestID(*r)+" ("+label+") is recorded; it needs more approvals.")
	default:
		b.tellDone(ctx, ev, "✅ You approved "+requestID(*r)+" ("+label+"): "+b.renderer().outcome(*r))
	}
}

// usageNudge is the usage line of /access nudge.
const usageNudge = "`/access nudge <request-id>`"

// nudge reminds the approvers of the person's pending request, from the
// command or the Nudge button; the workflow decides whether it may.
func (b *Bot) nudge(ctx context.Context, ev *event, id string) {
	r, err := b.workflow().Nudge(ctx, ev.user, id)
	if err != nil {
		b.tellError(ctx, ev, err, "nudge refused")
		return
	}
	ev.log.Info().Msg("approvers nudged")
	b.tellDone(ctx, ev, "🔔 The approvers of "+requestID(*r)+" ("+resourceLabel(*r, b.resourceOf(r))+") who have not answered were reminded.")
}

// Reply posts n in the thread of ref (a nudge under the request an
// approver was sent). See access.Replier.
func (b *Bot) Reply(ctx context.Context, ref access.MessageRef, n access.Notice) (access.MessageRef, error) {
	m := b.renderer().notice(n)
	opts := append(msgOptions(m), slack.MsgOptionTS(ref.TS))
	ch, ts, err := b.api.PostMessageContext(ctx, ref.Channel, opts...)
	if err != nil {
		return access.MessageRef{}, b.slackError("chat.postMessage", err)
	}
	return access.MessageRef{UserID: ref.UserID, Channel: ch, TS: ts}, nil
}

// nudgeText reminds an approver of a request still waiting for them.
func (rd renderer) nudgeText(n access.Notice) string {
	r := n.Request
	who := "accessbot"
	if n.Actor.Is(r.Requester) {
		who = mention(r.Requester)
	}
	waited := "a while"
	if rd.now.After(r.CreatedAt) {
		waited = access.FormatDuration(rd.now.Sub(r.CreatedAt).Truncate(time.Minute))
	}
	return "🔔 " + who + " reminds you: " + mention(r.Requester) + "'s request " + requestID(r) + " for " +
		resourceLabel(r, n.Resource) + " has waited " + waited + " for a decision (use the buttons above, or `/access approve " + r.ID + "`)."
}
