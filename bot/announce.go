package bot

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// maxAnnouncedNames bounds the approvers named in one audit line.
const maxAnnouncedNames = 10

// announcement renders a notice for the audit channel as one readable line:
// what happened (in bold), to whom, by whom, the resource, the request id and
// the reasons, so the channel reads as a log that needs no clicking. A
// break-glass line keeps a Revoke button while the grant is active.
func (rd renderer) announcement(n access.Notice) message {
	rd.dryRun = noticeDryRun(rd.dryRun, n)
	n.Detail = noticeDetail(n)
	r, res := n.Request, n.Resource
	label := resourceLabel(r, res)
	who := whoFor(r)
	req := "request " + requestID(r)
	reason := quoted("reason", r.Reason)
	actor := n.Actor
	var line string
	var actions slack.Block
	switch n.Kind {
	case access.NoticeGranted:
		line = joinParts("✅ *Granted*: "+who+" has "+label+" until "+when(r.Grant.ExpiresAt), req, rd.decision(r), reason)
	case access.NoticeStanding:
		line = joinParts("ℹ️ *Approved, nothing granted*: "+who+" already had "+label+" by other means; accessbot will not remove it", req, rd.decision(r), reason)
	case access.NoticeDenied:
		line = joinParts("❌ *Denied*: "+mention(actor)+" denied "+who+"'s request for "+label+" ("+duration(r)+")", req,
			quoted("denial reason", n.Detail), reason)
	case access.NoticeExtensionDenied:
		line = joinParts("❌ *Extension denied*: "+mention(actor)+" denied extending "+who+"'s access to "+label+" by "+access.FormatDuration(r.Duration), req,
			quoted("denial reason", n.Detail))
	case access.NoticeExtended:
		by := "approved by " + mention(actor)
		if actor == (access.User{}) || actor.Is(r.Requester) {
			by = "extended by the holder; no approval was needed"
		}
		line = joinParts("⏩ *Extended*: "+who+"'s access to "+label+" now ends "+when(r.Grant.ExpiresAt), req, by)
	case access.NoticeRevoked:
		by, why := actor, ""
		if rm := r.Grant.Removal; rm != nil {
			if by == (access.User{}) {
				by = rm.By
			}
			why = rm.Reason
		}
		line = joinParts("🛑 *Revoked*: "+mention(by)+" revoked "+who+"'s access to "+label, req, quoted("why", why), standingNote(r))
	case access.NoticeExpired:
		line = joinParts("⌛ *Expired*: "+who+"'s access to "+label+" ended", req, standingNote(r))
	case access.NoticeRemovedOutside:
		line = joinParts("✂️ *Removed outside accessbot*: "+who+"'s access to "+label+" is gone from Okta; accessbot closed the grant", req,
			"someone removed it by hand")
	case access.NoticeDrift:
		line = driftLine(n)
	case access.NoticeBreakGlass:
		by := actor
		if by == (access.User{}) {
			by = r.Requester
		}
		until := "not granted yet"
		if !r.Grant.ExpiresAt.IsZero() {
			until = when(r.Grant.ExpiresAt)
		}
		line = joinParts("🚨 *Break-glass*: "+mention(by)+" took "+label+" until "+until+" as on call"+shiftText(r.OnCall), req, reason)
		if r.RevokeOffered() {
			actions = actionsBlock(blockNoticeActions+string(access.NoticeBreakGlass), button(ActionRevoke, "Revoke", r.ID, slack.StyleDanger))
		} else if r.State != access.StateActive {
			line = joinParts(line, "now: "+rd.outcome(r))
		}
	case access.NoticeRevokeAll, access.NoticePaused, access.NoticeResumed:
		return rd.killSwitchNotice(n)
	case access.NoticeBreakGlassRefused:
		by := actor
		if by == (access.User{}) {
			by = r.Requester
		}
		line = joinParts("🚫 *Break-glass refused*: "+mention(by)+" tried break-glass for "+label, quoted("why refused", n.Detail), reason, repeats(n.Repeats))
	case access.NoticeFailed:
		line = joinParts("⚠️ *Grant failed*: accessbot could not grant "+who+" "+label, req, detail(n.Detail), rd.decision(r),
			"the requester was told")
	case access.NoticeRemovalFailing:
		line = joinParts("🔥 *Removal failing*: accessbot cannot remove "+who+"'s access to "+label, req, detail(n.Detail),
			"it keeps retrying; check Okta, an admin may need to remove it by hand")
	case access.NoticeAutoApproved:
		line = joinParts("ℹ️ *Auto-approved*: "+who+" is on call"+shiftText(r.OnCall)+" and was approved for "+label+" ("+duration(r)+")", req, reason)
	case access.NoticeSubmitted:
		line = joinParts("📨 *Requested*: "+who+" asked for "+label+" ("+duration(r)+")", req, reason)
	case access.NoticeCancelled:
		line = joinParts("🚫 *Cancelled*: "+who+"'s request for "+label+" was cancelled", req, detail(n.Detail))
	case access.NoticeTimedOut:
		line = joinParts("⌛ *Timed out*: nobody decided "+who+"'s request for "+label+" in time", req)
	case access.NoticeReminder:
		line = joinParts("⏰ *Reminded*: "+who+"'s access to "+label+" ends "+when(r.Grant.ExpiresAt), req)
	case access.NoticeDelegated, access.NoticeDelegationEnded:
		line = delegationLine(n)
	case access.NoticeApproverMissing:
		line = "👤 *Approver missing*: " + esc(n.Detail, 500)
	case access.NoticeOnCallFallback:
		line = joinParts("ℹ️ *On-call unknown*: PagerDuty could not be asked about "+who+", so the request for "+label+" went to the approvers", req)
	default:
		line = joinParts("*"+esc(strings.ReplaceAll(string(n.Kind), "_", " "), 50)+"*: "+who+", "+label, req, detail(n.Detail))
	}
	var blocks []slack.Block
	if rd.dryRun {
		blocks = append(blocks, contextBlock("🧪 "+DryRunBanner))
	}
	blocks = append(blocks, sectionBlock(line))
	if actions != nil {
		blocks = append(blocks, actions)
	}
	return rd.finish(line, blocks)
}

// decision says how r was approved, for an audit line: by whom, or on
// what on-call evidence; "" when nobody decided.
func (rd renderer) decision(r access.Request) string {
	var names []string
	approvals := r.Approvals()
	for i, d := range approvals {
		if i == maxAnnouncedNames {
			names = append(names, "and "+itoa(len(approvals)-i)+" more")
			break
		}
		names = append(names, decidedBy(d))
	}
	switch {
	case len(names) > 0:
		return "approved by " + strings.Join(names, ", ")
	case r.Kind == access.KindBreakGlass:
		return "break-glass by the on-call responder" + shiftText(r.OnCall)
	case r.OnCall != nil:
		return "auto-approved: on call" + shiftText(r.OnCall)
	}
	return ""
}

// standingNote says that access held before accessbot was left alone.
func standingNote(r access.Request) string {
	if r.Grant.Standing {
		return "access they already had was left in place"
	}
	return ""
}

// quoted is `label: “text”` on one line, or "" for no text.
func quoted(label, text string) string {
	text = oneLine(text)
	if text == "" {
		return ""
	}
	return label + ": “" + esc(text, 500) + "”"
}

// detail is a notice's detail on one line, or "".
func detail(text string) string {
	return esc(oneLine(text), 1000)
}

// joinParts joins the non-empty parts of an audit line with " · ".
func joinParts(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}

// repeats says how many refused attempts were held back since the last notice.
func repeats(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "1 more attempt was refused since the last notice (all are in the audit trail)"
	}
	return strconv.Itoa(n) + " more attempts were refused since the last notice (all are in the audit trail)"
}
