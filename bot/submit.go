package bot

import (
	"context"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// validateBudget bounds the check whose verdict rides on a view_submission
// ack; Slack wants the ack within 3 s.
const validateBudget = 2 * time.Second

// readRequestForm turns a submitted request modal into workflow input.
func (b *Bot) readRequestForm(v slack.View) (workflow.RequestInput, requestMeta) {
	cat := b.workflow().Catalog()
	meta := parseRequestMeta(v.PrivateMetadata)
	var vals map[string]map[string]slack.BlockAction
	if v.State != nil {
		vals = v.State.Values
	}
	var in workflow.RequestInput
	key := vals[BlockResource][ActionResourceSelect].SelectedOption.Value
	if key == "" {
		key = meta.Resource
	}
	if res, ok := lookupResource(cat, key); ok {
		in.ResourceID = res.ID
	} else {
		in.ResourceID = key
	}
	in.Duration = vals[blockID(BlockDurationPrefix, meta.Resource)][ActionDurationSelect].SelectedOption.Value
	in.Reason = vals[BlockReason][ActionReasonInput].Value
	drawn, _ := lookupResource(cat, meta.Resource)
	for _, o := range vals[blockID(BlockApproversPrefix, meta.Resource)][ActionApprovers].SelectedOptions {
		i, err := strconv.Atoi(o.Value)
		if err != nil || i < 0 || i >= len(drawn.Approvers) {
			in.Approvers = append(in.Approvers, o.Value) // the workflow refuses it by name
			continue
		}
		in.Approvers = append(in.Approvers, drawn.Approvers[i])
	}
	in.For = vals[blockID(BlockForPrefix, meta.Resource)][ActionFor].SelectedUser
	return in, meta
}

// inputBlocks lists the input block ids of a submitted view.
func inputBlocks(v slack.View, meta requestMeta) map[string]bool {
	out := map[string]bool{}
	for _, blk := range v.Blocks.BlockSet {
		if in, ok := blk.(*slack.InputBlock); ok && in.BlockID != "" {
			out[in.BlockID] = true
		}
	}
	if len(out) == 0 { // the blocks did not come back: assume the usual ones
		for _, id := range []string{BlockResource, BlockReason, blockID(BlockDurationPrefix, meta.Resource), blockID(BlockApproversPrefix, meta.Resource)} {
			out[id] = true
		}
	}
	return out
}

// modalErrors maps a workflow error to inline errors on the modal's input
// blocks: each field on its own block, anything else on the resource block.
func modalErrors(err error, present map[string]bool, meta requestMeta) map[string]string {
	blockFor := map[string]string{
		"resource":  BlockResource,
		"duration":  blockID(BlockDurationPrefix, meta.Resource),
		"reason":    BlockReason,
		"approvers": blockID(BlockApproversPrefix, meta.Resource),
		"for":       blockID(BlockForPrefix, meta.Resource),
	}
	out := map[string]string{}
	add := func(block, msg string) {
		if !present[block] {
			block = BlockResource
		}
		if prev := out[block]; prev != "" {
			msg = prev + " " + msg
		}
		out[block] = truncate(clean(msg), maxErrorText)
	}
	fields := access.ErrorFields(err)
	if access.ErrorCode(err) != access.EINVALID || len(fields) == 0 {
		add(BlockResource, errorWords(err))
		return out
	}
	for _, f := range []string{"resource", "duration", "reason", "approvers"} {
		if fe, ok := fields[f]; ok {
			add(blockFor[f], errorWords(fe))
			delete(fields, f)
		}
	}
	for _, fe := range fields { // fields the form does not have
		add(BlockResource, errorWords(fe))
	}
	return out
}

// onRequestSubmit checks a submitted request modal and answers on the ack:
// inline errors keep the modal open; otherwise it closes and the request is
// filed in the background. A check that takes too long, or a submission
// acked before a handler was free (socket.go), closes the modal and lets
// Submit (which checks again) report any problem by message.
func (b *Bot) onRequestSubmit(ctx context.Context, ev *event, v slack.View) {
	w := b.workflow()
	in, meta := b.readRequestForm(v)
	ev.channel = meta.Channel
	var err error
	slow := !ev.pendingAck
	if !slow {
		vctx, cancel := context.WithTimeout(ctx, validateBudget)
		err = w.Validate(vctx, ev.user, in)
		slow = vctx.Err() != nil
		cancel()
	}
	if err != nil && !slow {
		if reason, _, _ := access.ErrorReason(err); reason == access.ReasonAlreadyHeld {
			b.ackEvent(ctx, ev, nil) // the form closes; the offer comes as a message
			b.offerExtension(ctx, ev, err, in.Duration)
			return
		}
		logFailure(&ev.log, err, "request form refused")
		b.ackEvent(ctx, ev, slack.NewErrorsViewSubmissionResponse(modalErrors(err, inputBlocks(v, meta), meta)))
		return
	}
	b.ackEvent(ctx, ev, nil)
	r, err := w.Submit(ctx, ev.user, in)
	if err != nil {
		if !b.offerExtension(ctx, ev, err, in.Duration) {
			b.tellError(ctx, ev, err, "request refused")
		}
		return
	}
	ev.log.Info().Str(FieldRequestID, r.ID).Msg("request filed from the form")
}
