package bot

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
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
func (b *Slack) Reply(ctx context.Context, ref access.MessageRef, n access.Notice) (access.MessageRef, error) {
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
		resourceLabel(r, n.Resource) + " has waited " + waited + " for a decision (use the buttons above, or `/access approve " + esc(r.ID, 40) + "`)."
}

// usageDelegate is the usage line of /access delegate.
const usageDelegate = "`/access delegate @someone until <date or duration> [resource-id…]` or `/access delegate off`"

// parseDelegate parses what follows /access delegate.
func parseDelegate(c command, rest string) (command, error) {
	who, rest := nextField(rest)
	if strings.EqualFold(who, "off") || strings.EqualFold(who, "stop") || strings.EqualFold(who, "end") {
		c.Off = true
		if extra, _ := nextField(rest); extra != "" {
			return c, &usageError{fmt.Sprintf("Unexpected %q after off.", truncate(clean(extra), 40)), usageDelegate}
		}
		return c, nil
	}
	if who == "" {
		return c, &usageError{"Missing who to delegate to.", usageDelegate}
	}
	c.Who = personRef(who)
	word, rest := nextField(rest)
	if !strings.EqualFold(word, "until") {
		return c, &usageError{"Missing `until` and when the delegation ends.", usageDelegate}
	}
	until, rest := nextField(rest)
	if c.Until = strings.TrimSpace(clean(until)); c.Until == "" {
		return c, &usageError{"Missing when the delegation ends (a date such as 2026-12-24, or a duration such as 3d).", usageDelegate}
	}
	for {
		var id string
		if id, rest = nextField(rest); id == "" {
			break
		}
		c.Resources = append(c.Resources, cleanID(id))
	}
	return c, nil
}

// personRef reads a person named in a command: Slack's escaped mention
// (<@U0123|name> or <@U0123>) gives the id; anything else (an email, an
// id, or @handle as typed) is kept, without the @, for the bot to resolve.
func personRef(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<@") && strings.HasSuffix(s, ">") {
		id, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(s, "<@"), ">"), "|")
		return strings.ToUpper(id)
	}
	return strings.TrimPrefix(s, "@")
}

// personID resolves what personRef kept to a Slack id: an id as it is, an
// email through users.lookupByEmail, and a handle typed as it is (Slack
// sends "@bob" when the mention was not picked from its menu, or the
// command does not escape) by handle, display name or real name.
func (b *Bot) personID(ctx context.Context, ref, field string) (string, error) {
	switch {
	case slackUserID.MatchString(ref):
		return ref, nil
	case strings.Contains(ref, "@"):
		u, err := b.UserByEmail(ctx, ref)
		if err != nil {
			return "", access.FieldRefuse(field, access.ReasonUnknownDelegate, access.Params{Value: ref})
		}
		return u.SlackID, nil
	}
	return b.userIDByName(ctx, ref) // killswitch.go: unknown and ambiguous names say so
}

// usageRequestFor is the usage line of /access request-for.
const usageRequestFor = "`/access request-for @someone <resource-id> <duration> <reason…>`"

// whoFor names who gets r's access and, on a request made on their
// behalf, who asked: "@carol (asked by @alice)".
func whoFor(r access.Request) string {
	if r.OnBehalf() {
		return mention(r.Requester) + " (asked by " + mention(r.RequestedBy) + ")"
	}
	return mention(r.Requester)
}

// onBehalfText tells the person a request is for who asked, and why.
func (rd renderer) onBehalfText(r access.Request, res access.Resource) string {
	return "🙋 " + mention(r.RequestedBy) + " asked for access to " + resourceLabel(r, res) + " for you, for *" + duration(r) +
		"* (request " + requestID(r) + "). If you don't want it, decline: the request is withdrawn."
}

var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// runDelegate sets or ends the person's delegation.
func (b *Bot) runDelegate(ctx context.Context, ev *event, c command) {
	w := b.workflow()
	if c.Off {
		d, err := w.EndDelegation(ctx, ev.user)
		if err != nil {
			b.tellError(ctx, ev, err, "end delegation refused")
			return
		}
		b.tellDone(ctx, ev, "↩️ Your delegation to "+mention(d.To)+" has ended; requests come to you alone again.")
		return
	}
	to, err := b.personID(ctx, c.Who, "delegate")
	if err != nil {
		b.tellError(ctx, ev, err, "delegate refused")
		return
	}
	d, err := w.Delegate(ctx, ev.user, workflow.DelegateInput{To: to, Until: c.Until, Resources: c.Resources})
	if err != nil {
		b.tellError(ctx, ev, err, "delegate refused")
		return
	}
	b.tellDone(ctx, ev, "🤝 "+delegationText(d)+". The audit channel was told; `/access delegate off` ends it early.")
}

// delegationText describes a delegation: who, for what, until when.
func delegationText(d access.Delegation) string {
	what := "every resource " + mention(d.From) + " approves"
	if len(d.Resources) > 0 {
		what = "`" + esc(strings.Join(d.Resources, "`, `"), 500) + "`"
	}
	return mention(d.To) + " approves for " + mention(d.From) + " (" + what + ") until " + when(d.Until)
}

// delegationLine is the announcement and the delegate's DM about a delegation.
func delegationLine(n access.Notice) string {
	d := n.Delegation
	if d == nil {
		return "Delegation changed."
	}
	if n.Kind == access.NoticeDelegationEnded {
		return "↩️ *Delegation ended*: " + mention(d.From) + " no longer delegates to " + mention(d.To) + "."
	}
	return "🤝 *Delegation*: " + delegationText(*d) + ". Requests sent to " + mention(d.From) + " go to " + mention(d.To) + " too, whose decision counts as theirs."
}

// decidedBy names who made a decision: "@delegate for @delegator" under a delegation.
func decidedBy(d access.Decision) string {
	if d.For != (access.User{}) {
		return mention(d.By) + " for " + mention(d.For)
	}
	return mention(d.By)
}

// delegationLines lists the delegations in force of an overview.
func delegationLines(ov workflow.Overview) []string {
	var out []string
	for _, d := range ov.Delegated {
		out = append(out, "• 🤝 You delegate: "+delegationText(d))
	}
	for _, d := range ov.DelegatedToMe {
		out = append(out, "• 🤝 Delegated to you: "+delegationText(d))
	}
	return out
}

// homeDelegations is the Home tab's section on delegations, when there are any.
func homeDelegations(ov workflow.Overview) []slack.Block {
	lines := delegationLines(ov)
	if len(lines) == 0 {
		return nil
	}
	return []slack.Block{dividerBlock(), sectionBlock("*Delegations*\n" + strings.Join(lines, "\n"))}
}

// stepStatus says which approval step a request is in and who approved
// the steps before: "Step 2 of 2 (step 1 approved by @bob)".
func stepStatus(r access.Request, res access.Resource) string {
	out := "Step " + itoa(r.Step+1) + " of " + itoa(res.StepCount())
	var before []string
	for _, d := range r.Approvals() {
		if d.Step < r.Step {
			before = append(before, decidedBy(d))
		}
	}
	if len(before) > 0 {
		out += " (earlier steps approved by " + strings.Join(before, ", ") + ")"
	}
	return out
}

// forSomeoneElse is the request modal's optional "For someone else" user
// picker; the workflow decides whether the person may use it.
func forSomeoneElse(f modalForm) slack.Block {
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plainText("Myself"), ActionFor)
	in := slack.NewInputBlock(blockID(BlockForPrefix, f.key), plainText("For someone else (optional)"),
		plainText("They are told at once and may decline; neither of you may approve it."), sel)
	in.Optional = true
	return in
}
