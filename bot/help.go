package bot

import (
	"strings"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// usageText lists every subcommand with an example, and the resources one
// can ask for, marking those paused (pauses; nil when not known). It fits
// one ephemeral message.
func usageText(cat *access.Catalog, pauses []access.Pause) string {
	exRes, exDur := "aws-prod-read", "4h"
	var all []access.Resource
	if cat != nil {
		all = cat.All()
	}
	if len(all) > 0 {
		exRes = all[0].ID
		if len(all[0].Durations) > 0 {
			exDur = access.FormatDuration(all[0].Durations[0])
		}
	}
	exRes, exDur = esc(exRes, 60), esc(exDur, 20)
	lines := []string{
		"*accessbot* gives you temporary access that peers approve.",
		"• " + usageOpen + " — open the request form",
		"• " + usageRequest + " — ask without the form, e.g. `/access request " + exRes + " " + exDur + " debugging INC-123`. Duration `" + workflow.DurationUntilShiftEnd + "` means until your on-call shift ends; `" + access.DurationActivity + "`, while you use it (where offered).",
		"• " + usageRequestFor + " — ask for someone else, where the resource allows it; they are told and may decline",
		"• " + usageList + " — your access, your open requests, and requests waiting for your approval",
		"• " + usageCancel + " — withdraw a pending request, e.g. `/access cancel abcd2345`",
		"• " + usageExtend + " — extend your access, e.g. `/access extend abcd2345 1h`",
		"• " + usageRevoke + " — end access now, e.g. `/access revoke abcd2345`",
		"• " + usageApprove + " — approve a request you may approve, also when you were not sent it (see `/access list`)",
		"• " + usageNudge + " — remind the approvers of your pending request (at most every 30 minutes)",
		"• " + usageDelegate + " — while you are away, let someone approve in your place, e.g. `/access delegate @bob until 2026-12-24`; `/access delegate off` ends it",
		"• " + usageBreakGlass + " (or `/breakglass <resource-id> <reason…>`) — emergency access for the on-call responder, e.g. `/access breakglass " + exRes + " INC-123 database down`",
		"• " + usageReport + " — admins: how much of the access granted in the last 30 days was used",
		"• " + usageHelp + " — this message",
		"Admins only: " + usageRevokeAll + " — end every grant and open request of a resource or a person at once, after a confirmation; " +
			usagePause + " and " + usageResume + " — refuse new requests and approvals for a resource, and allow them again",
	}
	paused := map[string]bool{}
	for _, p := range pauses {
		paused[p.ResourceID] = true
	}
	if len(all) == 0 {
		lines = append(lines, "No resources are configured yet; ask an admin.")
	} else {
		lines = append(lines, "*Resources you can ask for:*")
		for i, r := range all {
			if i == 40 {
				lines = append(lines, "…and "+itoa(len(all)-40)+" more.")
				break
			}
			line := "• `" + esc(r.ID, 100) + "` — " + esc(r.Name, 100)
			if len(r.Durations) > 0 {
				line += " (" + esc(access.FormatDurations(r.Durations), 200) + ")"
			}
			if paused[r.ID] {
				line += " — ⏸️ *paused*: no new requests or approvals"
			}
			lines = append(lines, line)
		}
	}
	return truncate(strings.Join(lines, "\n"), maxSectionText)
}
