package bot

import (
	"context"

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
