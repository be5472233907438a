package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// blockExtendOffer is the block id of the Extend buttons offered instead of
// a second request for what the person holds.
const blockExtendOffer = "extend_offer"

// offerExtension answers a request for something the requester holds
// already with the extensions its policy allows now, as buttons that go
// through the ordinary extension flow (approval, caps and all). It returns
// false when err is not that refusal, or the grant cannot be read, so the
// caller answers as usual.
func (b *Bot) offerExtension(ctx context.Context, ev *event, err error, asked string) bool {
	reason, p, ok := access.ErrorReason(err)
	if !ok || reason != access.ReasonAlreadyHeld || p.RequestID == "" {
		return false
	}
	r, gerr := b.workflow().Get(ctx, p.RequestID)
	if gerr != nil || r.Requester.SlackID != ev.user {
		return false
	}
	logFailure(&ev.log, err, "request for held access; extension offered")
	b.reply(ctx, ev, b.renderer().extensionOffer(*r, b.resourceOf(r), asked))
	return true
}

// extensionOffer says the person holds r already and offers its extension
// choices, the one they asked for (when allowed) first.
func (rd renderer) extensionOffer(r access.Request, res access.Resource, asked string) message {
	line := "You already have " + resourceLabel(r, res) + " (" + requestID(r) + ") until " + when(r.Grant.ExpiresAt) + "."
	if r.Grant.PendingExtension != "" {
		line += " An extension (`" + esc(r.Grant.PendingExtension, 100) + "`) is waiting for approval already."
		return rd.finish(line, []slack.Block{sectionBlock(line)})
	}
	choices := r.ExtensionChoices(&res, rd.now)
	if len(choices) == 0 {
		line += " It can't be extended further under its policy; ask again once it has ended."
		return rd.finish(line, []slack.Block{sectionBlock(line)})
	}
	line += " Extend it instead of asking again?"
	if res.Extension.RequiresApproval {
		line += " An extension goes to its approvers; your access stays active meanwhile."
	}
	want, _ := access.ParseDuration(asked)
	ordered := make([]time.Duration, 0, len(choices))
	for _, d := range choices {
		if d == want {
			ordered = append([]time.Duration{d}, ordered...)
		} else {
			ordered = append(ordered, d)
		}
	}
	var buttons []*slack.ButtonBlockElement
	for i, d := range ordered {
		if len(buttons) == homeExtendButtons {
			break
		}
		v := access.FormatDuration(d)
		style := slack.Style("")
		if i == 0 {
			style = slack.StylePrimary
		}
		buttons = append(buttons, button(ExtendActionID(v), "Extend "+v, r.ID+"|"+v, style))
	}
	return rd.finish(line, []slack.Block{sectionBlock(line), actionsBlock(blockExtendOffer, buttons...)})
}
