package bot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// renderer returns a renderer for now, naming approvers from the user cache.
func (b *Slack) renderer() renderer {
	return renderer{now: b.opts.Now(), dryRun: b.dryRun(), person: b.cachedByEmail}
}

// SendApproval DMs approver the request: Approve and Deny while it is
// pending, its outcome once decided; with toldOnly, no buttons.
func (b *Slack) SendApproval(ctx context.Context, approver access.User, r access.Request, res access.Resource, toldOnly bool) (access.MessageRef, error) {
	ref, err := b.dm(ctx, approver, b.renderer().approval(r, res, toldOnly))
	ref.ToldOnly = toldOnly
	return ref, err
}

// UpdateApproval redraws an approval message from the request's current state.
func (b *Slack) UpdateApproval(ctx context.Context, ref access.MessageRef, r access.Request, res access.Resource) error {
	return b.update(ctx, ref.Channel, ref.TS, b.renderer().approval(r, res, ref.ToldOnly))
}

// Notify DMs a person a notice and returns where it landed.
func (b *Slack) Notify(ctx context.Context, to access.User, n access.Notice) (access.MessageRef, error) {
	return b.dm(ctx, to, b.renderer().notice(n))
}

// UpdateNotice redraws a notice sent earlier.
func (b *Slack) UpdateNotice(ctx context.Context, ref access.MessageRef, n access.Notice) error {
	return b.update(ctx, ref.Channel, ref.TS, b.renderer().notice(n))
}

// Announce posts a notice to the audit channel and returns where it
// landed; without a channel it does nothing.
func (b *Slack) Announce(ctx context.Context, n access.Notice) (access.MessageRef, error) {
	if b.opts.AuditChannel == "" {
		return access.MessageRef{}, nil
	}
	m := b.renderer().announcement(n)
	ch, ts, err := b.api.PostMessageContext(ctx, b.opts.AuditChannel, msgOptions(m)...)
	if err != nil {
		return access.MessageRef{}, b.slackError("chat.postMessage", err)
	}
	if ch == "" {
		ch = b.opts.AuditChannel
	}
	return access.MessageRef{Channel: ch, TS: ts}, nil
}

// dm posts m in to's DM with the bot.
func (b *Slack) dm(ctx context.Context, to access.User, m message) (access.MessageRef, error) {
	userID := to.SlackID
	if userID == "" {
		u, err := b.UserByEmail(ctx, to.Email)
		if err != nil {
			return access.MessageRef{}, err
		}
		userID = u.SlackID
	}
	channel, err := b.dmChannel(ctx, userID)
	if err != nil {
		return access.MessageRef{}, err
	}
	ch, ts, err := b.api.PostMessageContext(ctx, channel, msgOptions(m)...)
	if err != nil && slackCode(err) == "channel_not_found" {
		// The DM channel we remembered is gone (workspace migration); open it again.
		b.dms.Delete(userID)
		if channel, err = b.dmChannel(ctx, userID); err == nil {
			ch, ts, err = b.api.PostMessageContext(ctx, channel, msgOptions(m)...)
		}
	}
	if err != nil {
		return access.MessageRef{}, b.slackError("chat.postMessage", err)
	}
	if ch == "" {
		ch = channel
	}
	return access.MessageRef{UserID: userID, Channel: ch, TS: ts}, nil
}

// dmChannel returns the id of the DM channel with userID (conversations.open),
// remembered after the first call.
func (b *Slack) dmChannel(ctx context.Context, userID string) (string, error) {
	if ch, ok := b.dms.Load(userID); ok {
		return ch.(string), nil
	}
	c, _, _, err := b.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{userID}})
	if err != nil {
		return "", b.slackError("conversations.open", err)
	}
	if c == nil || c.ID == "" {
		return "", access.Wrap(access.EINTERNAL, errNoChannel)
	}
	b.dms.Store(userID, c.ID)
	return c.ID, nil
}

// update replaces the message at channel/ts with m.
func (b *Slack) update(ctx context.Context, channel, ts string, m message) error {
	if channel == "" || ts == "" {
		return access.Errorf(access.EINVALID, "no message to update")
	}
	if _, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, msgOptions(m)...); err != nil {
		return b.slackError("chat.update", err)
	}
	return nil
}

func msgOptions(m message) []slack.MsgOption {
	opts := []slack.MsgOption{slack.MsgOptionText(m.text, false)}
	if len(m.blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.blocks...))
	}
	return opts
}

type constError string

func (e constError) Error() string { return string(e) }

const errNoChannel = constError("slack conversations.open: no channel in the answer")
