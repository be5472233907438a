package bot

import (
	"fmt"
	"strings"

	"github.com/accessbot/accessbot/access"
)

// HintText puts a right-sizing hint into words: "db-prod: 70% of 1d
// grants were last used within 2h — offer 4h".
func HintText(resource string, h access.Hint) string {
	return fmt.Sprintf("%s: %s of %s grants were last used within %s — offer %s", resource, Percent(h.Share),
		access.FormatDuration(h.Duration), access.FormatDuration(h.Within), access.FormatDuration(h.Offer))
}

// Percent writes a share from 0 to 1 as a whole percentage.
func Percent(share float64) string { return fmt.Sprintf("%.0f%%", share*100) }

// ResourceLabel names a report row: the org-wide row says so.
func ResourceLabel(id string) string {
	if id == access.AllResources {
		return "all resources"
	}
	return id
}

// reportText renders the utilization report for Slack, in mrkdwn.
func reportText(rows []access.Utilization, since string) string {
	var b strings.Builder
	b.WriteString("*Utilization of granted access*, grants that ended in the last " + since + "\n")
	var hints []string
	for _, u := range rows {
		grants := fmt.Sprint(u.Grants) + " grants"
		if u.Grants == 1 {
			grants = "1 grant"
		}
		line := "• *" + esc(ResourceLabel(u.Resource), 80) + "*: " + grants + ", " +
			Percent(u.NeverUsedShare) + " never used"
		if u.MedianFirstUse > 0 {
			line += ", first used after " + access.FormatDuration(u.MedianFirstUse) + " (median)"
		}
		if u.Grants > 0 {
			line += ", last use at " + Percent(u.MedianLastUseShare) + " of the time held (median)"
		}
		b.WriteString(line + "\n")
		if u.Hint != nil {
			hints = append(hints, "💡 "+esc(HintText(u.Resource, *u.Hint), 300))
		}
	}
	for _, h := range hints {
		b.WriteString(h + "\n")
	}
	return b.String()
}
