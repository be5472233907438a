package bot

import (
	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// overview renders /access list: the person's access and open requests, and
// the requests waiting for their approval.
func (rd renderer) overview(ov workflow.Overview, cat *access.Catalog) message {
	res := func(r *access.Request) access.Resource {
		if cat != nil {
			if x, err := cat.Get(r.ResourceID); err == nil {
				return *x
			}
		}
		return access.Resource{ID: r.ResourceID}
	}
	var mine, waiting []string
	for _, r := range ov.Mine {
		mine = append(mine, "• "+rd.listLine(*r, res(r)))
	}
	for _, r := range ov.ToApprove {
		line := "• " + mention(r.Requester) + " asks for " + resourceLabel(*r, res(r)) + " for " + duration(*r) + " · " + requestID(*r)
		if r.Kind == access.KindExtension {
			line = "• " + mention(r.Requester) + " asks to extend " + resourceLabel(*r, res(r)) + " by " + access.FormatDuration(r.Duration) + " · " + requestID(*r)
		}
		if reason := oneLine(r.Reason); reason != "" {
			line += " — “" + esc(reason, 150) + "”"
		}
		waiting = append(waiting, line+" (approve or deny from the DM, or `/access approve "+esc(r.ID, 40)+"`)")
	}
	waiting = append(waiting, delegationLines(ov)...) // people.go
	var paused []string
	for _, p := range ov.Paused {
		paused = append(paused, "• "+pausedLine(p, cat))
	}
	var blocks []slack.Block
	if len(paused) > 0 {
		blocks = append(blocks, sectionBlock("*Paused resources*"))
		for _, chunk := range packLines(paused, maxSectionText) {
			blocks = append(blocks, sectionBlock(chunk))
		}
	}
	if len(mine) == 0 && len(waiting) == 0 {
		text := "You have no active access or open requests, and nothing is waiting for your approval. Ask for access with `/access`."
		return rd.finish(text, append(blocks, sectionBlock(text)))
	}
	if len(mine) > 0 {
		blocks = append(blocks, sectionBlock("*Your access and open requests*"))
		for _, chunk := range packLines(mine, maxSectionText) {
			blocks = append(blocks, sectionBlock(chunk))
		}
	}
	if len(waiting) > 0 {
		blocks = append(blocks, sectionBlock("*Waiting for your approval*"))
		for _, chunk := range packLines(waiting, maxSectionText) {
			blocks = append(blocks, sectionBlock(chunk))
		}
	}
	text := "Your access: " + itoa(len(mine)) + " open; waiting for your approval: " + itoa(len(waiting)) + "."
	rd.dryRun = false // a list changes nothing
	return rd.finish(text, blocks)
}

// listLine is one of the person's own requests or grants.
func (rd renderer) listLine(r access.Request, res access.Resource) string {
	label := resourceLabel(r, res)
	id := requestID(r)
	switch {
	case r.Kind == access.KindExtension && r.State == access.StatePending:
		return "⏳ Extension of " + label + " by " + access.FormatDuration(r.Duration) + " waiting for approval · " + id
	case r.State == access.StatePending:
		return "⏳ " + label + " (" + duration(r) + ") waiting for approval since " + when(r.CreatedAt) + " · " + id
	case r.State == access.StateApproved:
		return "🔄 " + label + " approved; being granted in Okta · " + id
	case r.State == access.StateActive && r.Grant.Removal != nil:
		return removalPendingLine(r, label) + " · " + id
	case r.State == access.StateActive && r.Grant.Standing:
		return "ℹ️ " + label + " (you already had it) tracked until " + when(r.Grant.ExpiresAt) + " · " + id
	case r.State == access.StateActive:
		return "✅ " + label + " active until " + when(r.Grant.ExpiresAt) + " · " + id
	}
	return label + ": " + rd.outcome(r) + " · " + id
}

// removalPendingLine says that a grant's access is being taken away but Okta
// has not confirmed it yet: the access is still held. After failed attempts
// it says so, so nobody mistakes a stuck removal for a finished one.
func removalPendingLine(r access.Request, label string) string {
	rm := r.Grant.Removal
	if rm == nil || rm.Retry.Attempts == 0 {
		return "🔄 " + label + ": removal pending in Okta"
	}
	return "⚠️ " + label + ": removal pending — Okta refused it " + itoa(rm.Retry.Attempts) + " time(s); accessbot keeps retrying, and the access is still held until Okta confirms"
}
