package bot

import (
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// ActionKeep is the button on an activity grant's reminder that counts as
// a use (value: request id).
const ActionKeep = "keep_access"

// ActionRenew is the button on an activity grant's reminder at its
// max_age that asks for the same access again (value: the grant's id).
const ActionRenew = "renew_access"

// usedText says, to the holder, how a grant was used: "not used since you
// got it" or "last used 2h ago".
func (rd renderer) usedText(r access.Request) string {
	u := r.Grant.Usage
	if !u.Used() {
		return "not used since you got it"
	}
	return "last used " + rd.ago(u.Last)
}

// usedBy says, to approvers, how the holder used a grant.
func (rd renderer) usedBy(r access.Request) string {
	u := r.Grant.Usage
	if !u.Used() {
		return "It has *not been used* since it was granted."
	}
	times := "once"
	if u.Uses != 1 {
		times = strconv.Itoa(u.Uses) + " times"
	}
	return "It was used " + times + ", last " + rd.ago(u.Last) + "."
}

// ago writes how long before now t was, roughly ("2h ago", "just now").
func (rd renderer) ago(t time.Time) string {
	d := rd.now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return access.FormatDuration(d.Truncate(time.Minute)) + " ago"
	case d < 48*time.Hour:
		return access.FormatDuration(d.Truncate(time.Hour)) + " ago"
	}
	return access.FormatDuration(d.Truncate(24*time.Hour)) + " ago"
}

// activityReminder is the reminder of an activity grant before its idle
// removal (or its max_age): when it goes, how it was used, and Keep it /
// Remove now while a use still moves the end.
func (rd renderer) activityReminder(r access.Request, label string) (string, []slack.Block) {
	left := ""
	if d := r.Grant.ExpiresAt.Sub(rd.now); d > 0 {
		left = " (in about " + access.FormatDuration(roundDuration(d)) + ")"
	}
	actions := blockNoticeActions + string(access.NoticeReminder)
	if r.AtMaxAge() {
		line := "⏰ Your access to " + label + " (" + requestID(r) + ") reaches its maximum age and is removed " + when(r.Grant.ExpiresAt) + left +
			"; it was " + rd.usedText(r) + ". To keep it after that, ask again: the approvers decide, and if they approve before then it carries on without a gap."
		return line, []slack.Block{sectionBlock(line), actionsBlock(actions,
			button(ActionRenew, "Ask again", r.ID, slack.StylePrimary),
			button(ActionRevoke, "Remove now", r.ID, slack.StyleDanger))}
	}
	line := "⏰ Your access to " + label + " (" + requestID(r) + ") is removed " + when(r.Grant.ExpiresAt) + left +
		" unless you use it: it was " + rd.usedText(r) + ". Signing in to it keeps it; so does Keep it."
	return line, []slack.Block{sectionBlock(line), actionsBlock(actions,
		button(ActionKeep, "Keep it", r.ID, slack.StylePrimary),
		button(ActionRevoke, "Remove now", r.ID, slack.StyleDanger))}
}

// homeUsage is an App Home line on a grant's use.
func (rd renderer) homeUsage(r access.Request) string {
	u := r.Grant.Usage
	line := "Not used yet"
	if u.Used() {
		line = "Used " + strconv.Itoa(u.Uses) + "× · first " + rd.ago(u.First) + " · last " + rd.ago(u.Last)
	}
	if r.Activity != nil {
		line += " · stays while you use it (removed after " + access.FormatDuration(r.Activity.IdleAfter) + " unused)"
	}
	return line
}

// driftLine is the audit channel's line for access in Okta accessbot did
// not grant where it should not be.
func driftLine(n access.Notice) string {
	p := n.Params
	who := "*" + esc(p.Person, 200) + "*"
	label := "*" + esc(n.Resource.Name, 100) + "* (`" + esc(n.Resource.Target.String(), 100) + "`)"
	var line string
	if p.Value == access.DriftReadded {
		line = "⚠️ *Drift*: " + who + " holds " + label + " again: accessbot removed that access, and it was given back outside accessbot"
	} else {
		line = "⚠️ *Drift*: " + who + " holds " + label + ", which is marked standing: forbidden, and accessbot did not grant it"
	}
	if p.ByRule {
		line += "; an Okta group rule holds this membership, so change the rule in Okta"
	}
	return line + ". accessbot does not remove access it did not grant; an admin should look."
}
