package bot

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// The revoke-all confirmation modal.
const (
	CallbackRevokeAll    = "revoke_all"
	BlockRevokeAllReason = "revoke_all_reason"
)

// revokeAllMeta is the confirmation modal's private_metadata: only a
// pointer to the target; the workflow checks again, at submission, that
// the person is an admin, and ends what matches then.
type revokeAllMeta struct {
	Resource string `json:"resource,omitempty"`
	Person   string `json:"person,omitempty"` // Slack id
	Channel  string `json:"channel,omitempty"`
}

// parseTarget reads the target of a revoke-all: a person as Slack sends a
// mention (<@U123|name>, or <@U123>), as typed (@name), or as a Slack id
// (U123…); anything else is a resource id.
func parseTarget(word string) (resource, personID, personName string) {
	w := strings.Trim(clean(word), "`'\"“”‘’()[]{}.,;:!?")
	if rest, ok := strings.CutPrefix(w, "<@"); ok {
		id, _, _ := strings.Cut(strings.TrimSuffix(rest, ">"), "|")
		return "", strings.ToUpper(strings.TrimSpace(id)), ""
	}
	if name, ok := strings.CutPrefix(w, "@"); ok {
		return "", "", strings.ToLower(name)
	}
	if isSlackID(strings.ToUpper(w)) && strings.ContainsAny(w, "0123456789") && w == strings.ToUpper(w) {
		return "", w, ""
	}
	return cleanID(w), "", ""
}

// runRevokeAll counts what a revoke-all would end and asks the admin to
// confirm it in a modal; the count is the workflow's, checked for admins.
func (b *Bot) runRevokeAll(ctx context.Context, ev *event, c command) {
	t := workflow.RevokeAllTarget{ResourceID: c.Resource, PersonID: c.Person}
	if c.PersonName != "" {
		id, err := b.userIDByName(ctx, c.PersonName)
		if err != nil {
			b.tellError(ctx, ev, err, "revoke-all")
			return
		}
		t.PersonID = id
	}
	plan, err := b.workflow().PlanRevokeAll(ctx, ev.user, t)
	if err != nil {
		b.tellError(ctx, ev, err, "revoke-all refused")
		return
	}
	meta := revokeAllMeta{Resource: t.ResourceID, Person: t.PersonID, Channel: ev.channel}
	if _, err := b.api.OpenViewContext(ctx, ev.triggerID, revokeAllModal(plan, c.Reason, meta)); err != nil {
		if code := slackCode(err); code == "expired_trigger_id" || code == "invalid_trigger_id" {
			b.tell(ctx, ev, "The confirmation took too long to open; nothing was revoked. Type the command again.")
			return
		}
		b.tellError(ctx, ev, b.slackError("views.open", err), "open revoke-all confirmation")
	}
}

// orderTarget names the target of an order for people.
func orderTarget(plan workflow.RevokeAllPlan) string {
	if plan.Resource != nil {
		return resourceLabel(access.Request{ResourceID: plan.Resource.ID}, *plan.Resource)
	}
	return mention(plan.Person)
}

// revokeAllModal asks an admin to confirm a revoke-all; it says how many
// grants and, apart, how many open requests would end, and lets the
// reason be corrected.
func revokeAllModal(plan workflow.RevokeAllPlan, reason string, meta revokeAllMeta) slack.ModalViewRequest {
	target := orderTarget(plan)
	lead := "🛑 Revoke everything of " + target + "?"
	counts := "• *" + itoa(plan.Grants) + "* active grant" + plural(plan.Grants) + " will end: accessbot removes the access in Okta at once (access held before accessbot is left in place).\n" +
		"• *" + itoa(plan.Open) + "* open request" + plural(plan.Open) + " (pending or approved) will be cancelled."
	in := slack.NewPlainTextInputBlockElement(plainText("Why? The holders, the approvers and the audit channel will read it"), ActionReasonInput)
	in.Multiline = true
	in.MaxLength = workflow.MaxReasonLength
	in.InitialValue = plain(reason, workflow.MaxReasonLength)
	raw, _ := json.Marshal(meta)
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackRevokeAll,
		Title:      plainText("Revoke all"),
		Submit:     plainText("Revoke all"),
		Close:      plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			sectionBlock(lead), sectionBlock(counts),
			contextBlock("What matches when you confirm is what ends; the count above is from now."),
			slack.NewInputBlock(BlockRevokeAllReason, plainText("Reason"), nil, in),
		}},
		PrivateMetadata: truncate(string(raw), maxMetadata),
	}
}

// onRevokeAllSubmit carries out a confirmed revoke-all: a missing reason
// keeps the modal open; otherwise it closes and the workflow, which checks
// again that the person is an admin, records the order and starts it.
func (b *Bot) onRevokeAllSubmit(ctx context.Context, ev *event, v slack.View) {
	var meta revokeAllMeta
	_ = json.Unmarshal([]byte(v.PrivateMetadata), &meta) // an empty target is refused by the workflow
	ev.channel = meta.Channel
	var reason string
	if v.State != nil {
		reason = strings.TrimSpace(v.State.Values[BlockRevokeAllReason][ActionReasonInput].Value)
	}
	if reason == "" && ev.pendingAck {
		b.ackEvent(ctx, ev, slack.NewErrorsViewSubmissionResponse(map[string]string{
			BlockRevokeAllReason: "Give the reason: the holders, the approvers and auditors need to know why."}))
		return
	}
	b.ackEvent(ctx, ev, nil)
	plan, err := b.workflow().RevokeAll(ctx, ev.user, workflow.RevokeAllTarget{ResourceID: meta.Resource, PersonID: meta.Person}, reason)
	if err != nil {
		b.tellError(ctx, ev, err, "revoke-all refused")
		return
	}
	ev.log.Warn().Str("order", plan.OrderID).Int("grants", plan.Grants).Int("open_requests", plan.Open).Msg("revoke-all ordered")
	b.tellDone(ctx, ev, "🛑 Revoke-all of "+orderTarget(plan)+" ordered ("+plan.OrderID+"): "+itoa(plan.Grants)+" grant"+plural(plan.Grants)+
		" ending now in Okta, "+itoa(plan.Open)+" open request"+plural(plan.Open)+" cancelled. The holders, the approvers and the audit channel are being told.")
}

// pauseText says what /access pause did.
func pauseText(p access.Pause, res access.Resource) string {
	return "⏸️ " + resourceLabel(access.Request{ResourceID: res.ID}, res) + " is paused: new requests are refused, and so are approvals of pending ones, until `/access resume " + esc(res.ID, 100) + "`."
}

// resumeText says what /access resume did.
func resumeText(was access.Pause, res access.Resource) string {
	return "▶️ " + resourceLabel(access.Request{ResourceID: res.ID}, res) + " is no longer paused (paused by " + mention(was.By) + " " + when(was.At) + "); requests and approvals work again."
}

// pausedLine says that a resource is paused, by whom and since when.
func pausedLine(p access.Pause, cat *access.Catalog) string {
	res := access.Resource{ID: p.ResourceID}
	if cat != nil {
		if x, err := cat.Get(p.ResourceID); err == nil {
			res = *x
		}
	}
	line := "⏸️ " + resourceLabel(access.Request{ResourceID: res.ID}, res) + " is paused by " + mention(p.By) + " since " + when(p.At)
	if reason := oneLine(p.Reason); reason != "" {
		line += " — “" + esc(reason, 200) + "”"
	}
	return line + "; no new requests or approvals."
}

// killSwitchNotice renders the kill switch's notices, for a person (the
// approvers hear of a revoke-all) and for the audit channel alike.
func (rd renderer) killSwitchNotice(n access.Notice) message {
	by := mention(n.Actor)
	var line string
	switch n.Kind {
	case access.NoticeRevokeAll:
		target := mention(n.Request.Requester)
		if n.Request.ResourceID != "" {
			target = resourceLabel(n.Request, n.Resource)
		}
		line = joinParts("🛑 *Revoke-all*: "+by+" ordered every grant and open request of "+target+" ended",
			itoa(n.Params.Count)+" grant"+plural(n.Params.Count)+" removed from Okta at once",
			itoa(n.Params.Open)+" open request"+plural(n.Params.Open)+" cancelled", quoted("reason", n.Detail))
	case access.NoticePaused:
		line = joinParts("⏸️ *Paused*: "+by+" paused "+resourceLabel(access.Request{ResourceID: n.Resource.ID}, n.Resource)+
			"; new requests and approvals are refused until `/access resume "+esc(n.Resource.ID, 100)+"`", quoted("reason", n.Detail))
	case access.NoticeResumed:
		line = joinParts("▶️ *Resumed*: "+by+" resumed "+resourceLabel(access.Request{ResourceID: n.Resource.ID}, n.Resource)+
			"; requests and approvals work again", quoted("it was paused for", n.Detail))
	}
	rd.dryRun = false // none of these changes access by itself
	return rd.finish(line, []slack.Block{sectionBlock(line)})
}

// userIDByName finds the Slack user someone typed as @name (users.list):
// by handle, else by display name, else by real name, ignoring case;
// deactivated accounts count, whose access an order may have to end.
// ENOTFOUND when nobody matches, EINVALID when several do.
func (b *Bot) userIDByName(ctx context.Context, name string) (string, error) {
	users, err := b.api.GetUsersContext(ctx, slack.GetUsersOptionLimit(200))
	if err != nil {
		return "", b.slackError("users.list", err)
	}
	for _, field := range []func(u slack.User) string{
		func(u slack.User) string { return u.Name },
		func(u slack.User) string { return u.Profile.DisplayName },
		func(u slack.User) string { return u.RealName },
	} {
		var ids []string
		for _, u := range users {
			if !u.IsBot && strings.EqualFold(strings.TrimSpace(field(u)), name) {
				ids = append(ids, u.ID)
			}
		}
		switch len(ids) {
		case 0:
			continue
		case 1:
			return ids[0], nil
		}
		return "", access.Refuse(access.EINVALID, access.ReasonAmbiguousPerson, access.Params{Value: "@" + name, Names: ids})
	}
	return "", access.Refuse(access.ENOTFOUND, access.ReasonUnknownPerson, access.Params{Value: "@" + name})
}
