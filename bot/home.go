package bot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// onEventsAPI handles Events API events (already acked). The only one the
// bot uses is app_home_opened, to draw its Home tab.
func (b *Bot) onEventsAPI(ctx context.Context, envelopeID string, data any) {
	e, ok := data.(slackevents.EventsAPIEvent)
	if !ok || e.Type != slackevents.CallbackEvent {
		return
	}
	home, ok := e.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || home.Tab != "home" || home.User == "" {
		return
	}
	ev := b.newEvent(envelopeID, home.User, "", "", "")
	ev.log = ev.log.With().Str(FieldAction, "app_home_opened").Logger()
	b.spawn(ctx, ev, b.publishHome)
}

// publishHome draws the person's Home tab: a button to ask for access and
// what /access list shows.
func (b *Bot) publishHome(ctx context.Context, ev *event) {
	w := b.workflow()
	blocks := []slack.Block{
		headerBlock("accessbot"),
		sectionBlock("Temporary access to sensitive systems, approved by your peers. Type `/access help` anywhere for the commands."),
		actionsBlock("home_actions", button(ActionHomeRequest, "Request access", "", slack.StylePrimary)),
		dividerBlock(),
	}
	if ov, err := w.List(ctx, ev.user); err != nil {
		logFailure(&ev.log, err, "home tab")
		blocks = append(blocks, sectionBlock("⚠️ "+errorText(err)))
	} else {
		blocks = append(blocks, b.renderer().overview(ov, w.Catalog()).blocks...)
	}
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: capBlocks(blocks, maxViewBlocks)}}
	if _, err := b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: ev.user, View: view}); err != nil {
		logFailure(&ev.log, b.slackError("views.publish", err), "publish home tab")
	}
}
