package bot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// tell answers the person behind ev with text only they see.
func (b *Bot) tell(ctx context.Context, ev *event, text string) {
	b.reply(ctx, ev, message{text: truncate(text, maxSectionText)})
}

// tellDone answers with what a command did. In dry run it carries the
// dry-run mark, as every message about a change does.
func (b *Bot) tellDone(ctx context.Context, ev *event, text string) {
	b.reply(ctx, ev, b.renderer().finish(truncate(text, maxSectionText), nil))
}

// tellError answers with the words for err, and logs err once.
func (b *Bot) tellError(ctx context.Context, ev *event, err error, what string) {
	logFailure(&ev.log, err, what)
	b.tell(ctx, ev, errorText(err))
}

// reply sends m to the person behind ev, visible only to them: through the
// event's response_url when there is one, else as an ephemeral message in
// the channel, else by DM. Each way that fails falls through to the next.
func (b *Bot) reply(ctx context.Context, ev *event, m message) {
	if ev.responseURL != "" {
		opts := append(msgOptions(m), slack.MsgOptionResponseURL(ev.responseURL, slack.ResponseTypeEphemeral))
		_, _, _, err := b.api.SendMessageContext(ctx, "", opts...)
		if err == nil {
			return
		}
		ev.log.Warn().Err(err).Msg("reply through response_url failed")
	}
	if ev.channel != "" && ev.user != "" {
		_, err := b.api.PostEphemeralContext(ctx, ev.channel, ev.user, msgOptions(m)...)
		if err == nil {
			return
		}
		ev.log.Warn().Err(b.slackError("chat.postEphemeral", err)).Msg("ephemeral reply failed")
	}
	if ev.user != "" {
		if _, err := b.dm(ctx, access.User{SlackID: ev.user}, m); err != nil {
			ev.log.Error().Err(err).Msg("could not answer the user at all")
		}
	}
}
