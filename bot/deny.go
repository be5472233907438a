package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// denyModal asks for an optional reason before denying a request. Its
// private_metadata is the request id; it is only a pointer: the workflow
// checks again who may deny when the modal is submitted.
func denyModal(r *access.Request, res access.Resource) slack.ModalViewRequest {
	reason := slack.NewPlainTextInputBlockElement(plainText("Tell the requester why (optional)"), ActionReasonInput)
	reason.Multiline = true
	reason.MaxLength = workflow.MaxReasonLength
	in := slack.NewInputBlock(BlockDenyReason, plainText("Reason"), nil, reason)
	in.Optional = true
	lead := "Deny " + mention(r.Requester) + "'s request " + requestID(*r) + " for " + resourceLabel(*r, res) + "?"
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackDeny,
		Title:           plainText("Deny request"),
		Submit:          plainText("Deny"),
		Close:           plainText("Cancel"),
		Blocks:          slack.Blocks{BlockSet: []slack.Block{sectionBlock(lead), in}},
		PrivateMetadata: truncate(r.ID, maxMetadata),
	}
}

// onDenySubmit closes the deny modal and records the denial. A refusal (the
// request was decided meanwhile) is told by DM, where the approval was.
func (b *Bot) onDenySubmit(ctx context.Context, ev *event, v slack.View) {
	b.ackEvent(ctx, ev, nil)
	id := strings.TrimSpace(v.PrivateMetadata)
	if id == "" {
		b.tellError(ctx, ev, access.Wrap(access.EINTERNAL, errors.New("deny modal without a request id")), "deny")
		return
	}
	ev.log = ev.log.With().Str(FieldRequestID, truncate(id, 64)).Logger()
	var reason string
	if v.State != nil {
		reason = strings.TrimSpace(v.State.Values[BlockDenyReason][ActionReasonInput].Value)
	}
	if _, err := b.workflow().Deny(ctx, ev.user, id, reason); err != nil {
		b.tellError(ctx, ev, err, "deny refused")
		return
	}
	ev.log.Info().Msg("request denied")
}
