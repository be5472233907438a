package bot

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// announcement renders a notice for the audit channel: one readable line per
// kind, except break-glass and failing removals, which are loud.
func (rd renderer) announcement(n access.Notice) message {
	rd.dryRun = rd.dryRun || n.DryRun
	switch n.Kind {
	case access.NoticeBreakGlass:
		return rd.breakGlass(n)
	case access.NoticeRemovalFailing:
		return rd.removalFailing(n)
	}
	r, res := n.Request, n.Resource
	label := resourceLabel(r, res)
	who := mention(r.Requester)
	var line string
	switch n.Kind {
	case access.NoticeSubmitted:
		line = "📨 " + who + " asked for " + label + " (" + duration(r) + "), request " + requestID(r) + "."
	case access.NoticeGranted:
		line = "✅ " + who + " was granted " + label + " until " + when(r.Grant.ExpiresAt) + ", request " + requestID(r) + ". " + rd.approvedBy(r) + "."
	case access.NoticeStanding:
		line = "ℹ️ " + who + " already had " + label + "; request " + requestID(r) + " changed nothing in Okta."
	case access.NoticeDenied:
		line = "❌ " + mention(n.Actor) + " denied " + who + "'s request " + requestID(r) + " for " + label + withReason(n.Detail)
	case access.NoticeExtensionDenied:
		line = "❌ " + mention(n.Actor) + " denied " + who + "'s extension of " + label + " (" + requestID(r) + ")" + withReason(n.Detail)
	case access.NoticeCancelled:
		line = "🚫 " + who + "'s request " + requestID(r) + " for " + label + " was cancelled."
	case access.NoticeTimedOut:
		line = "⌛ " + who + "'s request " + requestID(r) + " for " + label + " timed out."
	case access.NoticeFailed:
		line = "⚠️ accessbot could not grant " + who + " " + label + " (" + requestID(r) + ")."
		if n.Detail != "" {
			line += " " + esc(n.Detail, 1500)
		}
	case access.NoticeReminder:
		line = "⏰ " + who + " was reminded that " + label + " ends " + when(r.Grant.ExpiresAt) + "."
	case access.NoticeExtended:
		line = "⏩ " + who + "'s access to " + label + " (" + requestID(r) + ") was extended until " + when(r.Grant.ExpiresAt) + "."
	case access.NoticeExpired:
		line = "⌛ " + who + "'s access to " + label + " (" + requestID(r) + ") expired."
	case access.NoticeRevoked:
		by := n.Actor
		if by.Display() == "" && r.Grant.Removal != nil {
			by = r.Grant.Removal.By
		}
		line = "🛑 " + mention(by) + " revoked " + who + "'s access to " + label + " (" + requestID(r) + ")."
	case access.NoticeAutoApproved:
		line = "ℹ️ " + who + " was auto-approved for " + label + " (" + duration(r) + ") as on call" + shiftText(r.OnCall) + ", request " + requestID(r) + "."
	case access.NoticeOnCallFallback:
		line = "ℹ️ PagerDuty could not be asked about " + who + "; request " + requestID(r) + " for " + label + " went to the approvers."
	default:
		line = "Request " + requestID(r) + " (" + who + ", " + label + "): " + esc(string(n.Kind), 50) + "."
	}
	blocks := []slack.Block{}
	if rd.dryRun {
		blocks = append(blocks, contextBlock("🧪 "+DryRunBanner))
	}
	blocks = append(blocks, sectionBlock(line))
	return rd.finish(line, blocks)
}

func withReason(reason string) string {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "."
	}
	return ": " + esc(oneLine(reason), 1500)
}
