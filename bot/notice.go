package bot

import (
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// notice renders a notice for a person. Notices about a request that may
// still change (submitted, granted, reminder, break-glass, auto-approved)
// show its current state, so redrawing one after a click or a decision
// drops buttons that no longer apply.
func (rd renderer) notice(n access.Notice) message {
	rd.dryRun = noticeDryRun(rd.dryRun, n)
	n.Detail = noticeDetail(n)
	r, res := n.Request, n.Resource
	label := resourceLabel(r, res)
	var blocks []slack.Block
	var text string
	add := func(b ...slack.Block) { blocks = append(blocks, b...) }
	lead := func(md string) {
		text = md
		add(sectionBlock(md))
	}
	if rd.dryRun {
		add(contextBlock("🧪 " + DryRunBanner))
	}
	actions := blockNoticeActions + string(n.Kind)

	switch n.Kind {
	case access.NoticeSubmitted:
		to := rd.names(r.Approvers)
		if r.Kind == access.KindExtension {
			lead("📨 Your request to extend " + label + " by *" + access.FormatDuration(r.Duration) + "* (" + requestID(r) + ") was sent to " + to + ".")
		} else if r.OnBehalf() {
			lead("📨 Your request " + requestID(r) + " for " + label + " (" + duration(r) + ") for " + mention(r.Requester) + " was sent to " + to + "; they were told and may decline.")
		} else {
			lead("📨 Your request " + requestID(r) + " for " + label + " (" + duration(r) + ") was sent to " + to + ".")
		}
		if n.Detail != "" {
			add(contextBlock("⚠️ " + esc(n.Detail, 1500)))
		}
		add(reasonSection("Reason", r.Reason))
		if r.State == access.StatePending {
			add(contextBlock("⏳ Waiting for approval. You'll get a DM when someone decides."))
		} else {
			add(sectionBlock(rd.outcome(r)))
		}
		if r.Cancellable() {
			btns := []*slack.ButtonBlockElement{button(ActionCancel, "Cancel request", r.ID, "")}
			if r.State == access.StatePending {
				btns = append([]*slack.ButtonBlockElement{button(ActionNudge, "Nudge approvers", r.ID, "")}, btns...)
			}
			add(actionsBlock(actions, btns...))
		}

	case access.NoticeNudge:
		lead(rd.nudgeText(n))

	case access.NoticeOnBehalf:
		lead(rd.onBehalfText(r, res))
		add(reasonSection("Reason", r.Reason))
		if r.State == access.StatePending {
			add(actionsBlock(actions, button(ActionCancel, "Decline", r.ID, slack.StyleDanger)))
		} else {
			add(sectionBlock(rd.outcome(r)))
		}

	case access.NoticeDelegated, access.NoticeDelegationEnded:
		lead(delegationLine(n))

	case access.NoticeGranted:
		if r.State == access.StateActive && r.Grant.Removal == nil && r.Activity != nil {
			lead("✅ Access granted: " + label + " is yours as long as you use it: it is removed if not used by " + when(r.Grant.ExpiresAt) +
				" (" + access.FormatDuration(r.Activity.IdleAfter) + " without a sign-on), and in any case " + access.FormatDuration(r.Activity.MaxAge) + " from now.")
			add(contextBlock("Request " + requestID(r) + " · " + rd.approvedBy(r) + ". You'll be reminded before it is removed."))
			add(actionsBlock(actions, button(ActionRevoke, "Revoke now", r.ID, slack.StyleDanger)))
		} else if r.State == access.StateActive && r.Grant.Removal == nil {
			lead("✅ Access granted: " + label + " is yours until " + when(r.Grant.ExpiresAt) + ".")
			add(contextBlock("Request " + requestID(r) + " · " + rd.approvedBy(r) + ". You'll be reminded before it ends."))
			add(actionsBlock(actions, button(ActionRevoke, "Revoke now", r.ID, slack.StyleDanger)))
		} else {
			lead("Access to " + label + " (" + requestID(r) + "): " + rd.outcome(r))
		}

	case access.NoticeStanding:
		lead("ℹ️ You already had access to " + label + " through other means; accessbot did not change it and will not remove it.")
		add(contextBlock("Request " + requestID(r) + " is tracked until " + when(r.Grant.ExpiresAt) + "."))

	case access.NoticeDenied:
		line := "❌ Your request " + requestID(r) + " for " + label + " was denied by " + mention(n.Actor)
		if reason := strings.TrimSpace(n.Detail); reason != "" {
			line += ": " + esc(oneLine(reason), 2000)
		} else {
			line += "."
		}
		lead(line)

	case access.NoticeCancelled:
		switch {
		case r.OnBehalf() && n.Actor.Is(r.Requester):
			lead("🚫 " + mention(r.Requester) + " declined your request " + requestID(r) + " for " + label + "; it is cancelled.")
		case r.OnBehalf() && n.Actor.Is(r.RequestedBy):
			lead("🚫 " + mention(r.RequestedBy) + " withdrew the request " + requestID(r) + " for " + label + " they made for you.")
		default:
			by := ""
			if n.Actor.Display() != "" && !n.Actor.Is(r.Requester) {
				by = " by " + mention(n.Actor)
			}
			lead("🚫 Your request " + requestID(r) + " for " + label + " was cancelled" + by + ".")
		}
		if n.Detail != "" {
			add(contextBlock(esc(n.Detail, 1500)))
		}

	case access.NoticeTimedOut:
		lead("⌛ Your request " + requestID(r) + " for " + label + " timed out: no approver answered in time. Ask again with `/access`.")

	case access.NoticeFailed:
		line := "⚠️ accessbot could not grant " + label + " (" + requestID(r) + ")."
		if n.Detail != "" {
			line += " " + esc(n.Detail, 1500)
		}
		lead(line + " The admins were alerted.")

	case access.NoticeReminder:
		if !r.RevokeOffered() {
			lead("⏰ Access to " + label + " (" + requestID(r) + "): " + rd.outcome(r))
			break
		}
		if r.Activity != nil {
			var more []slack.Block
			text, more = rd.activityReminder(r, label)
			add(more...)
			break
		}
		left := ""
		if d := r.Grant.ExpiresAt.Sub(rd.now); d > 0 {
			left = " (in about " + access.FormatDuration(roundDuration(d)) + ")"
		}
		lead("⏰ Your access to " + label + " (" + requestID(r) + ") ends " + when(r.Grant.ExpiresAt) + left + "; it was " + rd.usedText(r) + ".")
		var btns []*slack.ButtonBlockElement
		for i, d := range n.Extend {
			if i == maxActions-3 {
				break
			}
			v := access.FormatDuration(d)
			btns = append(btns, button(ExtendActionID(v), "Extend "+v, r.ID+"|"+v, slack.StylePrimary))
		}
		if len(n.Extend) == 0 {
			add(contextBlock("It can't be extended any more; request it again with `/access` if you still need it."))
		}
		btns = append(btns, button(ActionLetExpire, "Let it expire", r.ID, ""),
			button(ActionRevoke, "Revoke now", r.ID, slack.StyleDanger))
		add(actionsBlock(actions, btns...))

	case access.NoticeExtended:
		line := "⏩ Your access to " + label + " (" + requestID(r) + ") was extended; it now ends " + when(r.Grant.ExpiresAt) + "."
		if n.Actor.Display() != "" && !n.Actor.Is(r.Requester) {
			line += " Approved by " + mention(n.Actor) + "."
		}
		lead(line)

	case access.NoticeExtensionDenied:
		line := "❌ Your request to extend " + label + " was denied by " + mention(n.Actor)
		if reason := strings.TrimSpace(n.Detail); reason != "" {
			line += ": " + esc(oneLine(reason), 2000)
		} else {
			line += "."
		}
		if !r.Grant.ExpiresAt.IsZero() {
			line += " Your access still ends " + when(r.Grant.ExpiresAt) + "."
		}
		lead(line)

	case access.NoticeExpired:
		if r.Grant.Standing {
			lead("⌛ Request " + requestID(r) + " for " + label + " ended; accessbot left the access you already had in place.")
		} else if r.Activity != nil && r.AtMaxAge() {
			lead("⌛ Your access to " + label + " (" + requestID(r) + ") reached its maximum age and was removed. Ask again with `/access request " + r.ResourceID + " activity <reason>` if you still need it.")
		} else if r.Activity != nil {
			lead("⌛ Your access to " + label + " (" + requestID(r) + ") expired and was removed: it was not used for " + access.FormatDuration(r.Activity.IdleAfter) + ".")
		} else {
			lead("⌛ Your access to " + label + " (" + requestID(r) + ") expired and was removed.")
		}

	case access.NoticeRemovedOutside:
		lead("✂️ Your access to " + label + " (" + requestID(r) + ") was removed in Okta outside accessbot, so accessbot closed the grant. Ask again with `/access` if you still need it.")

	case access.NoticeRevoked:
		by := n.Actor
		if by.Display() == "" && r.Grant.Removal != nil {
			by = r.Grant.Removal.By
		}
		if r.Grant.Standing {
			lead("🛑 Request " + requestID(r) + " for " + label + " was revoked by " + mention(by) + "; accessbot left the access you already had in place.")
		} else {
			lead("🛑 Your access to " + label + " (" + requestID(r) + ") was revoked by " + mention(by) + ".")
		}
		if n.Detail != "" {
			add(contextBlock("Reason: " + esc(oneLine(n.Detail), 1500)))
		}

	case access.NoticeAutoApproved:
		lead("ℹ️ FYI: " + mention(r.Requester) + " was auto-approved for " + label + " (" + duration(r) + ") because they are on call" + shiftText(r.OnCall) + ". No action needed.")
		add(reasonSection("Reason", r.Reason))
		add(contextBlock("Request " + requestID(r) + " · " + rd.outcome(r)))

	case access.NoticeBreakGlass:
		return rd.breakGlass(n)

	case access.NoticeRevokeAll, access.NoticePaused, access.NoticeResumed:
		return rd.killSwitchNotice(n)

	case access.NoticeRemovalFailing:
		return rd.removalFailing(n)

	case access.NoticeOnCallFallback:
		detail := strings.TrimSpace(n.Detail)
		if detail == "" {
			detail = "PagerDuty could not be asked whether you are on call, so your request went to the approvers."
		}
		lead("ℹ️ " + esc(detail, 2000))
		add(contextBlock("Request " + requestID(r) + " for " + label))

	default:
		lead("Request " + requestID(r) + " for " + label + ": " + rd.outcome(r))
	}
	return rd.finish(text, blocks)
}

// breakGlass is the loud message about an emergency grant, with Revoke while
// it is active.
func (rd renderer) breakGlass(n access.Notice) message {
	r, res := n.Request, n.Resource
	who := n.Actor
	if who.Display() == "" {
		who = r.Requester
	}
	blocks := []slack.Block{headerBlock("🚨 Break-glass access")}
	if rd.dryRun {
		blocks = append(blocks, contextBlock("🧪 "+DryRunBanner))
	}
	line := "🚨 " + mention(who) + " used break-glass for " + resourceLabel(r, res) + "."
	blocks = append(blocks, sectionBlock(line))
	until := "not granted yet"
	if !r.Grant.ExpiresAt.IsZero() {
		until = when(r.Grant.ExpiresAt)
	}
	blocks = append(blocks, fieldsBlock(
		"*Who*\n"+mention(who),
		"*What*\n"+resourceLabel(r, res),
		"*Until*\n"+until,
		"*On call*\n"+strings.TrimPrefix(nonEmptyOr(shiftText(r.OnCall), " (unknown)"), " "),
		"*Request*\n"+requestID(r),
	))
	blocks = append(blocks, reasonSection("Why", r.Reason))
	if r.RevokeOffered() {
		blocks = append(blocks, actionsBlock(blockNoticeActions+string(access.NoticeBreakGlass),
			button(ActionRevoke, "Revoke", r.ID, slack.StyleDanger)))
	} else {
		blocks = append(blocks, sectionBlock(rd.outcome(r)))
	}
	text := line + " Until " + until + ". Why: " + esc(oneLine(r.Reason), 1000)
	return rd.finish(text, blocks)
}

// removalFailing is the loud alert that accessbot cannot take access away.
func (rd renderer) removalFailing(n access.Notice) message {
	r, res := n.Request, n.Resource
	blocks := []slack.Block{headerBlock("⚠️ Access removal keeps failing")}
	if rd.dryRun {
		blocks = append(blocks, contextBlock("🧪 "+DryRunBanner))
	}
	line := "⚠️ accessbot cannot remove " + mention(r.Requester) + "'s access to " + resourceLabel(r, res) + " (" + requestID(r) + ")."
	if n.Detail != "" {
		line += " " + esc(n.Detail, 1500)
	}
	blocks = append(blocks, sectionBlock(line),
		contextBlock("accessbot keeps retrying. Check Okta and the logs; an admin may need to remove it by hand."))
	return rd.finish(line, blocks)
}

// shiftText says which on-call entry qualified: " (schedule `PS1`, level 1)".
func shiftText(s *access.Shift) string {
	if s == nil {
		return ""
	}
	var parts []string
	if s.ScheduleID != "" {
		parts = append(parts, "PagerDuty schedule `"+esc(s.ScheduleID, 60)+"`")
	}
	if s.EscalationPolicyID != "" {
		parts = append(parts, "escalation policy `"+esc(s.EscalationPolicyID, 60)+"`")
	}
	if s.Level > 0 {
		parts = append(parts, "level "+strconv.Itoa(s.Level))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func nonEmptyOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// names mentions the people behind emails.
func (rd renderer) names(emails []string) string {
	if len(emails) == 0 {
		return "the approvers"
	}
	var out []string
	for i, e := range emails {
		if i == 20 {
			out = append(out, "and "+strconv.Itoa(len(emails)-20)+" more")
			break
		}
		out = append(out, rd.name(e))
	}
	return strings.Join(out, ", ")
}

// roundDuration rounds a time left to the minute (to the second below one).
func roundDuration(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}

// letExpire redraws a reminder after its holder chose to let it run out.
func (rd renderer) letExpire(r access.Request, res access.Resource) message {
	if !r.RevokeOffered() {
		return rd.notice(access.Notice{Kind: access.NoticeReminder, Request: r, Resource: res})
	}
	line := "👍 OK: your access to " + resourceLabel(r, res) + " (" + requestID(r) + ") will expire " + when(r.Grant.ExpiresAt) + "."
	blocks := []slack.Block{sectionBlock(line),
		actionsBlock(blockNoticeActions+string(access.NoticeReminder), button(ActionRevoke, "Revoke now", r.ID, slack.StyleDanger))}
	return rd.finish(line, blocks)
}

// afterReminder redraws a reminder once its holder acted on it: line says
// what happened; Revoke stays while the access is active.
func (rd renderer) afterReminder(line string, r access.Request) message {
	blocks := []slack.Block{sectionBlock(line)}
	if r.RevokeOffered() {
		blocks = append(blocks, actionsBlock(blockNoticeActions+string(access.NoticeReminder),
			button(ActionRevoke, "Revoke now", r.ID, slack.StyleDanger)))
	}
	return rd.finish(line, blocks)
}
