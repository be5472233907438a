package bot

import (
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// Action ids of the buttons and selects the bot renders. Button values are
// pointers (request ids), never proof: the workflow re-checks who may do
// what from stored state on every click.
const (
	ActionApprove        = "approve"         // value: request id
	ActionDeny           = "deny"            // value: request id; opens the deny modal
	ActionCancel         = "cancel_request"  // value: request id
	ActionRevoke         = "revoke"          // value: request id
	ActionExtend         = "extend"          // value: "<request id>|<duration>", e.g. "abcd1234|1h"; see ExtendActionID
	ActionLetExpire      = "let_expire"      // value: request id
	ActionResourceSelect = "resource_select" // the modal's resource select (dispatches)
	ActionDurationSelect = "duration_select"
	ActionReasonInput    = "reason_input"
	ActionApprovers      = "approvers_select"
	ActionHomeRequest    = "home_request" // Home tab: open the request modal
	ActionNudge          = "nudge"        // value: request id; the requester reminds the approvers
	ActionFor            = "for_select"   // the modal's "For someone else" user picker
)

// ExtendActionID is the action_id of the button that extends by d ("1h"):
// ActionExtend + "_" + d. Slack refuses a block whose elements share an
// action_id, and a reminder offers several extensions side by side.
func ExtendActionID(d string) string { return ActionExtend + "_" + d }

// isExtendAction reports whether id is an Extend button's action_id.
func isExtendAction(id string) bool {
	return id == ActionExtend || strings.HasPrefix(id, ActionExtend+"_")
}

// Block ids of actions blocks. A notice's actions block id names the notice
// kind ("notice_actions:granted"), so a clicked message can be redrawn.
const (
	BlockApprovalActions = "approval_actions"
	blockNoticeActions   = "notice_actions:"
)

// DryRunBanner marks every message about a change that was not made.
const DryRunBanner = "DRY RUN — no change was made in Okta"

// renderer turns domain values into messages. It does no I/O: people known
// only by email are named through person, which must answer from memory.
type renderer struct {
	now    time.Time
	dryRun bool
	person func(email string) access.User
}

func (rd renderer) name(email string) string {
	if rd.person != nil {
		return mention(rd.person(email))
	}
	return escape(email)
}

// resourceLabel is "*Name* (`id`)", from the resource, or the request's
// resource id when the resource is no longer configured.
func resourceLabel(r access.Request, res access.Resource) string {
	id := r.ResourceID
	if id == "" {
		id = res.ID
	}
	if res.Name == "" {
		return "`" + esc(id, 200) + "`"
	}
	return "*" + esc(res.Name, 200) + "* (`" + esc(id, 200) + "`)"
}

func requestID(r access.Request) string { return "`" + esc(r.ID, 100) + "`" }

// reasonSection shows a reason as a quote.
func reasonSection(label, reason string) slack.Block {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		reason = "(none given)"
	}
	return sectionBlock("*" + label + "*\n" + esc(reason, maxSectionText-len(label)-10))
}

// approvedBy says who approved r: the approvers, or the on-call rule.
func (rd renderer) approvedBy(r access.Request) string {
	var names []string
	for _, d := range r.Approvals() {
		names = append(names, decidedBy(d))
	}
	switch {
	case len(names) > 0:
		return "Approved by " + strings.Join(names, ", ")
	case r.Kind == access.KindBreakGlass:
		return "Break-glass by an on-call responder"
	case r.OnCall != nil:
		return "Auto-approved (on call)"
	}
	return "Approved"
}

// outcome is one line saying where r stands once it is no longer pending.
func (rd renderer) outcome(r access.Request) string {
	approved := rd.approvedBy(r)
	switch r.State {
	case access.StatePending:
		return "⏳ Waiting for approval."
	case access.StateApproved:
		if rm := r.Grant.Removal; rm != nil {
			return "✅ " + approved + ". 🛑 " + endingWords(rm.Outcome) + " before Okta confirmed the grant; removing whatever landed…"
		}
		return "✅ " + approved + ". Granting access in Okta…"
	case access.StateActive:
		switch {
		case r.Grant.Removal != nil && r.Grant.Removal.Outcome == access.StateRevoked:
			return "✅ " + approved + ". 🛑 Revoked by " + mention(r.Grant.Removal.By) + "; removing access in Okta…"
		case r.Grant.Removal != nil:
			return "✅ " + approved + ". ⌛ Expired; removing access in Okta…"
		case r.Grant.Standing:
			return "✅ " + approved + ". " + mention(r.Requester) + " already had this access through other means; accessbot did not change it. Tracked until " + when(r.Grant.ExpiresAt) + "."
		}
		return "✅ " + approved + ". Access active until " + when(r.Grant.ExpiresAt) + "."
	case access.StateExpired:
		return "✅ " + approved + ". ⌛ Expired " + when(r.Grant.EndedAt) + "."
	case access.StateRenewed:
		return "✅ " + approved + ". 🔁 Renewed " + when(r.Grant.EndedAt) + "; the new request carries the access on."
	case access.StateRevoked:
		by := "someone"
		if r.Grant.Removal != nil {
			by = mention(r.Grant.Removal.By)
		}
		return "✅ " + approved + ". 🛑 Revoked by " + by + " " + when(r.Grant.EndedAt) + "."
	case access.StateDenied:
		d, _ := r.Decider()
		line := "❌ Denied by " + decidedBy(d)
		if reason := strings.TrimSpace(d.Reason); reason != "" {
			return line + ": " + esc(oneLine(reason), 1500)
		}
		return line + "."
	case access.StateCancelled:
		if rm := r.Grant.Removal; rm != nil && rm.By.Display() != "" && !rm.By.Is(r.Requester) {
			return "🚫 Cancelled by " + mention(rm.By) + "."
		}
		if r.Kind == access.KindExtension {
			return "🚫 Cancelled: the extension no longer applies."
		}
		if r.OnBehalf() {
			return "🚫 Cancelled: withdrawn by " + mention(r.RequestedBy) + " or declined by " + mention(r.Requester) + "."
		}
		return "🚫 Cancelled by requester."
	case access.StateTimedOut:
		return "⌛ Timed out: nobody decided in time."
	case access.StateRemovedOutside:
		return "✅ " + approved + ". ✂️ Removed in Okta outside accessbot " + when(r.Grant.EndedAt) + "."
	case access.StateFailed:
		return "⚠️ " + approved + ", but accessbot could not grant it in Okta; the admins were alerted."
	case access.StateExtended:
		return "✅ " + approved + ". The access was extended by " + access.FormatDuration(r.Duration) + "."
	}
	return "State: " + esc(string(r.State), 50) + "."
}

// approval renders the message an approver gets: the request, Approve and
// Deny while pending, then the outcome, and Revoke while the grant is active.
func (rd renderer) approval(r access.Request, res access.Resource, toldOnly bool) message {
	var blocks []slack.Block
	var lead string
	if r.Kind == access.KindExtension {
		blocks = append(blocks, headerBlock("Extension request"))
		held := "a while"
		if !r.Grant.GrantedAt.IsZero() && rd.now.After(r.Grant.GrantedAt) {
			held = access.FormatDuration(rd.now.Sub(r.Grant.GrantedAt).Truncate(time.Minute))
		}
		lead = mention(r.Requester) + " has held " + resourceLabel(r, res) + " for *" + held +
			"* and asks to extend it by *" + access.FormatDuration(r.Duration) + "*."
		if !r.Grant.ExpiresAt.IsZero() {
			lead += " It currently ends " + when(r.Grant.ExpiresAt) + "."
		}
		lead += " " + rd.usedBy(r)
	} else {
		blocks = append(blocks, headerBlock("Access request"))
		lead = mention(r.Requester) + " asks for access to " + resourceLabel(r, res) + " for *" + duration(r) + "*."
		if r.OnBehalf() {
			lead = mention(r.RequestedBy) + " asks, for " + mention(r.Requester) + ", access to " + resourceLabel(r, res) + " for *" + duration(r) + "*. Neither may approve it."
		}
		if res.IsBundle() {
			lead += " It is a bundle of " + esc(strings.Join(res.Members, ", "), 500) + ": one decision grants them all."
		}
	}
	if rd.dryRun {
		blocks = append(blocks, contextBlock("🧪 "+DryRunBanner))
	}
	blocks = append(blocks, sectionBlock(lead))
	durLabel := "*Duration*\n"
	if r.Kind == access.KindExtension {
		durLabel = "*Extension*\n+"
	}
	blocks = append(blocks, fieldsBlock(
		"*Requester*\n"+mention(r.Requester),
		"*Resource*\n"+resourceLabel(r, res),
		durLabel+duration(r),
		"*Request*\n"+requestID(r),
	))
	blocks = append(blocks, reasonSection("Reason", r.Reason))
	if r.AdminsAsked {
		blocks = append(blocks, contextBlock("👤 Sent to you as an accessbot admin: none of the approvers of "+resourceLabel(r, res)+" could be reached in Slack."))
	}
	if r.Escalated {
		blocks = append(blocks, contextBlock("⏫ Escalated: nobody decided this request in time, so more people were asked."))
	}
	need := r.RequiredNow(&res)
	status := "Approvals: " + strconv.Itoa(len(r.StepApprovals())) + " of " + strconv.Itoa(need)
	if names := rd.approverNames(r); names != "" {
		status += " · approved by " + names
	}
	if res.Stepped() {
		status = stepStatus(r, res) + " · " + status // people.go
	}
	switch {
	case r.State == access.StatePending && toldOnly:
		blocks = append(blocks, contextBlock(status+" · you are told of it; its approvers decide"))
	case r.State == access.StatePending:
		blocks = append(blocks, contextBlock(status))
		blocks = append(blocks, actionsBlock(BlockApprovalActions,
			button(ActionApprove, "Approve", r.ID, slack.StylePrimary),
			button(ActionDeny, "Deny", r.ID, slack.StyleDanger),
		))
	default:
		blocks = append(blocks, sectionBlock(rd.outcome(r)))
		if r.RevokeOffered() && !toldOnly {
			blocks = append(blocks, actionsBlock(BlockApprovalActions,
				button(ActionRevoke, "Revoke", r.ID, slack.StyleDanger)))
		}
	}
	text := "Access request " + esc(r.ID, 100) + ": " + lead
	if r.State != access.StatePending {
		text += " " + rd.outcome(r)
	}
	return rd.finish(text, blocks)
}

func (rd renderer) approverNames(r access.Request) string {
	var names []string
	for _, d := range r.Approvals() {
		names = append(names, decidedBy(d))
	}
	return strings.Join(names, ", ")
}

// finish adds the dry-run mark to the fallback text and keeps the message
// within Block Kit's limits.
func (rd renderer) finish(text string, blocks []slack.Block) message {
	if rd.dryRun {
		text = "[" + DryRunBanner + "] " + text
	}
	return message{text: truncate(text, maxFallbackText), blocks: capBlocks(blocks, maxMessageBlock)}
}

// endingWords says how a grant is ending, for a request whose removal is
// under way.
func endingWords(outcome access.State) string {
	switch outcome {
	case access.StateCancelled:
		return "Cancelled"
	case access.StateRevoked:
		return "Revoked"
	case access.StateFailed:
		return "Given up"
	}
	return "Ended"
}
