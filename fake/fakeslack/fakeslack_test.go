package fakeslack_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

// bot is a minimal Socket Mode app built on the real slack-go client.
type bot struct {
	api *slack.Client
	sm  *socketmode.Client

	mu       sync.Mutex
	received []socketmode.Event
}

// handler handles one Socket Mode event; it must ack req itself.
type handler func(b *bot, evt socketmode.Event)

func startBot(t *testing.T, srv *fakeslack.Server, h handler, opts ...socketmode.Option) *bot {
	t.Helper()
	api := slack.New(srv.BotToken(), slack.OptionAppLevelToken(srv.AppToken()), slack.OptionAPIURL(srv.APIURL()))
	b := &bot{api: api, sm: socketmode.New(api, opts...)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_ = b.sm.RunContext(ctx)
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-b.sm.Events:
				if evt.Request == nil || evt.Request.EnvelopeID == "" {
					continue // connection lifecycle events, hello, disconnect
				}
				b.mu.Lock()
				b.received = append(b.received, evt)
				b.mu.Unlock()
				h(b, evt)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return b
}

func (b *bot) envelopeIDs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []string
	for _, e := range b.received {
		ids = append(ids, e.Request.EnvelopeID)
	}
	return ids
}

func newServer(t *testing.T) *fakeslack.Server {
	t.Helper()
	srv := fakeslack.New(fakeslack.Options{Logf: t.Logf})
	t.Cleanup(srv.Close)
	srv.AddUser(fakeslack.User{ID: "U0ALICE", Name: "alice", RealName: "Alice A", Email: "alice@example.com"})
	srv.AddUser(fakeslack.User{ID: "U0BOB", Name: "bob", RealName: "Bob B", Email: "Bob@Example.com"})
	return srv
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func approvalBlocks(reqID string) []slack.Block {
	return []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*alice* wants *grafana*", false, false), nil, nil),
		slack.NewActionBlock("req_actions",
			slack.NewButtonBlockElement("approve_request", reqID, slack.NewTextBlockObject("plain_text", "Approve", false, false)).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement("deny_request", reqID, slack.NewTextBlockObject("plain_text", "Deny", false, false)).WithStyle(slack.StyleDanger),
		),
	}
}

func TestSlashCommandAckAndPost(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	b := startBot(t, srv, func(b *bot, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeSlashCommand {
			b.sm.Ack(*evt.Request)
			return
		}
		cmd := evt.Data.(slack.SlashCommand)
		b.sm.Ack(*evt.Request, map[string]any{"response_type": "ephemeral", "text": "working on " + cmd.Text})
		_, _, err := b.api.PostMessage("C0APPROVALS",
			slack.MsgOptionText("Access request from "+cmd.UserName, false),
			slack.MsgOptionBlocks(approvalBlocks("req-42")...))
		if err != nil {
			t.Errorf("PostMessage: %v", err)
		}
	})
	if err := srv.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	ack, err := srv.SlashCommand(ctx, "U0ALICE", "/access", "request grafana", "C0GENERAL")
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Text string }
	if err := ack.Decode(&body); err != nil || body.Text != "working on request grafana" {
		t.Fatalf("ack payload %s (%v)", ack.Payload, err)
	}
	if ack.Envelope.Type != "slash_commands" || !ack.Envelope.AcceptsResponsePayload {
		t.Errorf("envelope %+v", ack.Envelope)
	}
	shown, err := srv.WaitEphemeral(ctx, func(m fakeslack.Message) bool { return m.Kind == fakeslack.KindCommandAck })
	if err != nil || shown.User != "U0ALICE" || shown.Channel != "C0GENERAL" || shown.Text() != "working on request grafana" {
		t.Errorf("ack message %+v %v", shown, err)
	}
	msg, err := srv.WaitMessage(ctx, func(m fakeslack.Message) bool { return m.Channel == "C0APPROVALS" })
	if err != nil {
		t.Fatal(err)
	}
	if msg.Kind != fakeslack.KindPosted || !strings.Contains(msg.Text(), "*alice* wants *grafana*") ||
		!strings.Contains(msg.Text(), "Access request from alice") {
		t.Errorf("message %+v text %q", msg, msg.Text())
	}
	btns := msg.Buttons()
	if len(btns) != 2 || btns[0] != (fakeslack.Button{ActionID: "approve_request", BlockID: "req_actions", Value: "req-42", Text: "Approve", Style: "primary"}) {
		t.Errorf("buttons %+v", btns)
	}
	if len(srv.AckLatencies()) != 1 || len(srv.Rejections()) != 0 {
		t.Errorf("latencies %v rejections %v", srv.AckLatencies(), srv.Rejections())
	}

	// The same envelope again reaches the app again, with the same id.
	if _, err := srv.Redeliver(ctx, ack.Envelope); err != nil {
		t.Fatal(err)
	}
	if ids := b.envelopeIDs(); len(ids) != 2 || ids[0] != ids[1] {
		t.Errorf("envelope ids %v", ids)
	}
}

func TestButtonClickAndResponseURL(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	got := make(chan *slack.InteractionCallback, 1)
	startBot(t, srv, func(b *bot, evt socketmode.Event) {
		b.sm.Ack(*evt.Request)
		cb, isInteraction := evt.Data.(slack.InteractionCallback)
		if !isInteraction {
			return
		}
		got <- &cb
		_, _, _, err := b.api.SendMessage("", slack.MsgOptionReplaceOriginal(cb.ResponseURL),
			slack.MsgOptionText("Approved by "+cb.User.ID, false))
		if err != nil {
			t.Errorf("response_url: %v", err)
		}
	})
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	ch, ts, err := api.PostMessage("C0APPROVALS", slack.MsgOptionBlocks(approvalBlocks("req-7")...))
	if err != nil {
		t.Fatal(err)
	}
	msg, found := srv.MessageAt(ch, ts)
	if !found {
		t.Fatal("message not stored")
	}
	if _, err := srv.ClickButton(ctx, "U0BOB", msg, "deny_request"); err != nil {
		t.Fatal(err)
	}
	cb := <-got
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("callback %+v", cb)
	}
	a := cb.ActionCallback.BlockActions[0]
	if a.ActionID != "deny_request" || a.BlockID != "req_actions" || a.Value != "req-7" ||
		cb.Container.MessageTs != ts || cb.Container.ChannelID != ch || cb.Message.Timestamp != ts || cb.User.ID != "U0BOB" {
		t.Errorf("action %+v container %+v", a, cb.Container)
	}
	updated, err := srv.WaitMessage(ctx, func(m fakeslack.Message) bool { return m.Kind == fakeslack.KindResponseURL })
	if err != nil {
		t.Fatal(err)
	}
	if !updated.ReplaceOriginal || updated.TS != ts || updated.Text() != "Approved by U0BOB" {
		t.Errorf("response post %+v", updated)
	}
	cur, _ := srv.LastMessage("C0APPROVALS")
	if cur.Version != 1 || len(cur.History) != 1 || cur.Text() != "Approved by U0BOB" {
		t.Errorf("current %+v", cur)
	}

	// chat.update on the same message adds a version; unknown ts fails.
	if _, _, _, err := api.UpdateMessage(ch, ts, slack.MsgOptionText("closed", false)); err != nil {
		t.Fatal(err)
	}
	if cur, _ := srv.LastMessage("C0APPROVALS"); cur.Version != 2 || cur.RawText != "closed" || len(cur.Blocks) != 0 {
		t.Errorf("after update %+v", cur)
	}
	_, _, _, err = api.UpdateMessage(ch, "1.000000", slack.MsgOptionText("x", false))
	if err == nil || err.Error() != "message_not_found" {
		t.Errorf("update unknown: %v", err)
	}
	if _, _, err := api.DeleteMessage(ch, ts); err != nil {
		t.Fatal(err)
	}
	if msgs := srv.Messages(ch); len(msgs) != 0 {
		t.Errorf("deleted message still listed: %+v", msgs)
	}
	if _, err := srv.ClickButton(ctx, "U0BOB", msg, "deny_request"); err == nil {
		t.Error("clicked a button on a deleted message")
	}
}

func TestViewsOpenSubmitAndErrors(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	submissions := make(chan slack.InteractionCallback, 2)
	startBot(t, srv, func(b *bot, evt socketmode.Event) {
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			cmd := evt.Data.(slack.SlashCommand)
			b.sm.Ack(*evt.Request)
			if _, err := b.api.OpenView(cmd.TriggerID, requestModal()); err != nil {
				t.Errorf("OpenView: %v", err)
			}
		case socketmode.EventTypeInteractive:
			cb := evt.Data.(slack.InteractionCallback)
			submissions <- cb
			reason := cb.View.State.Values["reason_block"]["reason_input"].Value
			if len(reason) < 10 {
				b.sm.Ack(*evt.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"reason_block": "too short"}))
				return
			}
			b.sm.Ack(*evt.Request)
		default:
			b.sm.Ack(*evt.Request)
		}
	})
	if _, err := srv.SlashCommand(ctx, "U0ALICE", "/access", "", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	view, err := srv.WaitView(ctx, func(v fakeslack.View) bool { return v.CallbackID == "access_request_modal" })
	if err != nil {
		t.Fatal(err)
	}
	if view.User != "U0ALICE" || !view.Open || view.Title != "Request access" || len(srv.OpenViews("U0ALICE")) != 1 {
		t.Fatalf("view %+v", view)
	}

	// A required input left empty cannot be submitted, as in Slack's client.
	if _, err := srv.SubmitView(ctx, "U0ALICE", view.ID, map[string]map[string]any{
		"app_block": {"app_select": fakeslack.SelectValue("0oa1grafana")},
	}); err == nil {
		t.Fatal("submitted with an empty required input")
	}

	ack, err := srv.SubmitView(ctx, "U0ALICE", view.ID, map[string]map[string]any{
		"app_block":    {"app_select": fakeslack.SelectValue("0oa1grafana")},
		"reason_block": {"reason_input": fakeslack.TextValue("short")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ack.ResponseAction() != "errors" || ack.Errors()["reason_block"] != "too short" {
		t.Errorf("ack %s", ack.Payload)
	}
	cb := <-submissions
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != view.ID ||
		cb.View.State.Values["app_block"]["app_select"].SelectedOption.Value != "0oa1grafana" ||
		cb.View.State.Values["app_block"]["app_select"].SelectedOption.Text.Text != "Grafana" {
		t.Errorf("submission %+v", cb.View.State)
	}
	if len(srv.OpenViews("U0ALICE")) != 1 {
		t.Error("view closed after errors")
	}

	if _, err := srv.SubmitView(ctx, "U0ALICE", view.ID, map[string]map[string]any{
		"reason_block": {"reason_input": fakeslack.TextValue("on-call debugging")},
	}); err != nil {
		t.Fatal(err)
	}
	<-submissions
	if open := srv.OpenViews("U0ALICE"); len(open) != 0 {
		t.Errorf("still open: %+v", open)
	}
	if r := srv.Rejections(); len(r) != 0 {
		t.Errorf("rejections %+v", r)
	}
}

func requestModal() slack.ModalViewRequest {
	opt := slack.NewOptionBlockObject("0oa1grafana", slack.NewTextBlockObject("plain_text", "Grafana", false, false), nil)
	sel := slack.NewOptionsSelectBlockElement("static_select", slack.NewTextBlockObject("plain_text", "Pick one", false, false), "app_select", opt)
	reason := slack.NewPlainTextInputBlockElement(nil, "reason_input")
	reason.Multiline = true
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: "access_request_modal",
		Title:      slack.NewTextBlockObject("plain_text", "Request access", false, false),
		Submit:     slack.NewTextBlockObject("plain_text", "Submit", false, false),
		Close:      slack.NewTextBlockObject("plain_text", "Cancel", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("app_block", slack.NewTextBlockObject("plain_text", "Application", false, false), nil, sel),
			slack.NewInputBlock("reason_block", slack.NewTextBlockObject("plain_text", "Reason", false, false), nil, reason),
		}},
	}
}

func TestTriggerRules(t *testing.T) {
	// A 1ns TTL has run out by the time the request arrives.
	srv := fakeslack.New(fakeslack.Options{TriggerTTL: time.Nanosecond})
	t.Cleanup(srv.Close)
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	if _, err := api.OpenView("made-up", requestModal()); err == nil || err.Error() != "invalid_trigger_id" {
		t.Errorf("unknown trigger: %v", err)
	}
	trig := srv.IssueTrigger("U0ALICE")
	if _, err := api.OpenView(trig, requestModal()); err == nil || err.Error() != "expired_trigger_id" {
		t.Errorf("expired trigger: %v", err)
	}

	srv2 := newServer(t)
	api2 := slack.New(srv2.BotToken(), slack.OptionAPIURL(srv2.APIURL()))
	trig = srv2.IssueTrigger("U0ALICE")
	resp, err := api2.OpenView(trig, requestModal())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api2.OpenView(trig, requestModal()); err == nil || err.Error() != "exchanged_trigger_id" {
		t.Errorf("reused trigger: %v", err)
	}
	// views.update by id with a stale hash conflicts; with the right one it works.
	if _, err := api2.UpdateView(requestModal(), "", "stale", resp.ID); err == nil || err.Error() != "hash_conflict" {
		t.Errorf("stale hash: %v", err)
	}
	upd, err := api2.UpdateView(requestModal(), "", resp.Hash, resp.ID)
	if err != nil || upd.ID != resp.ID || upd.Hash == resp.Hash {
		t.Errorf("update: %+v %v", upd, err)
	}
	if v, _ := srv2.View(resp.ID); v.Version != 1 {
		t.Errorf("version %d", v.Version)
	}
}

func TestBlockKitViolationsRejected(t *testing.T) {
	srv := newServer(t)
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))

	long := strings.Repeat("x", 3001)
	_, _, err := api.PostMessage("C1", slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", long, false, false), nil, nil)))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_blocks" {
		t.Fatalf("err %v", err)
	}
	want := "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
	if len(se.ResponseMetadata.Messages) != 1 || se.ResponseMetadata.Messages[0] != want {
		t.Errorf("messages %q", se.ResponseMetadata.Messages)
	}

	// A modal with an input block but no submit button.
	modal := requestModal()
	modal.Submit = nil
	_, err = api.OpenView(srv.IssueTrigger("U0ALICE"), modal)
	if !errors.As(err, &se) || se.Err != "invalid_arguments" ||
		se.ResponseMetadata.Messages[0] != "[ERROR] must define submit to use input block [json-pointer:/view/blocks/0/input]" {
		t.Errorf("modal err %v %q", err, se.ResponseMetadata.Messages)
	}

	// A title over 24 characters.
	modal = requestModal()
	modal.Title = slack.NewTextBlockObject("plain_text", strings.Repeat("t", 25), false, false)
	_, err = api.OpenView(srv.IssueTrigger("U0ALICE"), modal)
	if !errors.As(err, &se) || se.ResponseMetadata.Messages[0] != "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]" {
		t.Errorf("title err %v %q", err, se.ResponseMetadata.Messages)
	}

	if got := srv.Rejections(); len(got) != 3 || got[0].Method != "chat.postMessage" || got[1].Method != "views.open" {
		t.Errorf("rejections %+v", got)
	}
	if msgs := srv.Messages("C1"); len(msgs) != 0 {
		t.Errorf("rejected message stored: %+v", msgs)
	}
}

func TestTokensUsersAndFaults(t *testing.T) {
	srv := newServer(t)
	bad := slack.New("xoxb-wrong", slack.OptionAPIURL(srv.APIURL()))
	if _, err := bad.AuthTest(); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("wrong token: %v", err)
	}
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	auth, err := api.AuthTest()
	if err != nil || auth.UserID != fakeslack.BotUserID || auth.TeamID != fakeslack.TeamID {
		t.Fatalf("auth.test %+v %v", auth, err)
	}
	u, err := api.GetUserByEmail("bob@EXAMPLE.com")
	if err != nil || u.ID != "U0BOB" || u.Profile.Email != "Bob@Example.com" {
		t.Errorf("lookupByEmail %+v %v", u, err)
	}
	if _, err := api.GetUserByEmail("nobody@example.com"); err == nil || err.Error() != "users_not_found" {
		t.Errorf("unknown email: %v", err)
	}
	if u, err := api.GetUserInfo("U0ALICE"); err != nil || u.RealName != "Alice A" {
		t.Errorf("users.info %+v %v", u, err)
	}
	if _, err := api.GetUserInfo("U0NOPE"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	ch, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"U0ALICE"}})
	if err != nil || ch.ID != "DU0ALICE" {
		t.Errorf("conversations.open %+v %v", ch, err)
	}
	if _, err := api.PostEphemeral("C1", "U0ALICE", slack.MsgOptionText("only you", false)); err != nil {
		t.Fatal(err)
	}
	if eph := srv.Ephemerals("U0ALICE"); len(eph) != 1 || eph[0].Text() != "only you" || eph[0].Kind != fakeslack.KindEphemeral {
		t.Errorf("ephemerals %+v", eph)
	}

	srv.FailNext("chat.postMessage", fakeslack.Fault{Status: 429, RetryAfter: 2 * time.Second})
	_, _, err = api.PostMessage("C1", slack.MsgOptionText("hi", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Errorf("429: %v", err)
	}
	srv.FailNext("chat.postMessage", fakeslack.Fault{Error: "channel_not_found", Times: 2})
	for i := 0; i < 2; i++ {
		if _, _, err = api.PostMessage("C1", slack.MsgOptionText("hi", false)); err == nil || err.Error() != "channel_not_found" {
			t.Errorf("fault %d: %v", i, err)
		}
	}
	if _, _, err = api.PostMessage("C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("after faults: %v", err)
	}
	calls := srv.Calls("chat.postMessage")
	if len(calls) != 4 || calls[0].Status != 429 || calls[3].Form.Get("token") != srv.BotToken() {
		t.Errorf("calls %+v", calls)
	}
	resp, err := http.Post(srv.APIURL()+"bogus.method", "application/x-www-form-urlencoded",
		strings.NewReader("token="+srv.BotToken()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		OK    bool
		Error string
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.OK || body.Error != "unknown_method" {
		t.Errorf("unknown method: %+v %v", body, err)
	}
}

func TestHomeTabAndViewAction(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	got := make(chan slack.InteractionCallback, 2)
	startBot(t, srv, func(b *bot, evt socketmode.Event) {
		b.sm.Ack(*evt.Request)
		if cb, isInteraction := evt.Data.(slack.InteractionCallback); isInteraction {
			got <- cb
		}
	})
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: approvalBlocks("req-9")}}
	if _, err := api.PublishView("U0BOB", home, ""); err != nil {
		t.Fatal(err)
	}
	v, err := srv.WaitHome(ctx, "U0BOB", func(v fakeslack.View) bool { return strings.Contains(v.Text(), "wants") })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ClickHomeButton(ctx, "U0BOB", "approve_request", "req-9"); err != nil {
		t.Fatal(err)
	}
	cb := <-got
	if cb.Container.Type != "view" || cb.Container.ViewID != v.ID || cb.View.ID != v.ID ||
		cb.ActionCallback.BlockActions[0].Value != "req-9" {
		t.Errorf("home click %+v", cb)
	}

	resp, err := api.OpenView(srv.IssueTrigger("U0BOB"), requestModal())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ViewAction(ctx, "U0BOB", resp.ID, "app_block", "app_select", "0oa1grafana"); err != nil {
		t.Fatal(err)
	}
	cb = <-got
	a := cb.ActionCallback.BlockActions[0]
	if a.SelectedOption.Value != "0oa1grafana" || a.BlockID != "app_block" ||
		cb.View.State.Values["app_block"]["app_select"].SelectedOption.Value != "0oa1grafana" {
		t.Errorf("view action %+v", cb)
	}
	if _, err := srv.ViewAction(ctx, "U0BOB", resp.ID, "app_block", "app_select", "not-an-option"); err == nil {
		t.Error("selected a value that is not an option")
	}
}

func TestReconnects(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	startBot(t, srv, func(b *bot, evt socketmode.Event) { b.sm.Ack(*evt.Request) })
	if err := srv.WaitConnectionCount(ctx, 1); err != nil {
		t.Fatal(err)
	}
	srv.Disconnect("refresh_requested")
	if err := srv.WaitConnectionCount(ctx, 2); err != nil {
		t.Fatal(err)
	}
	srv.FailConnectionsOpen(1, "")
	srv.DropConnections()
	if err := srv.WaitConnectionCount(ctx, 3); err != nil {
		t.Fatal(err)
	}
	// Envelopes reach the newest connection.
	if _, err := srv.SlashCommand(ctx, "U0ALICE", "/access", "", "C1"); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, c := range srv.Calls("apps.connections.open") {
		if c.Status == http.StatusInternalServerError {
			failed++
		}
		if c.Authorization != "Bearer "+srv.AppToken() {
			t.Errorf("apps.connections.open auth %q", c.Authorization)
		}
	}
	if failed != 1 {
		t.Errorf("failed opens %d", failed)
	}
}

func TestPingsKeepConnectionAlive(t *testing.T) {
	srv := fakeslack.New(fakeslack.Options{PingInterval: 20 * time.Millisecond})
	t.Cleanup(srv.Close)
	ctx := testCtx(t)
	startBot(t, srv, func(b *bot, evt socketmode.Event) { b.sm.Ack(*evt.Request) },
		socketmode.OptionPingInterval(150*time.Millisecond))
	// 15 pongs take about 300 ms: two of the client's ping-timeout periods.
	if err := srv.WaitPongs(ctx, 15); err != nil {
		t.Fatal(err)
	}
	if n := srv.ConnectionCount(); n != 1 {
		t.Errorf("client reconnected %d times despite pings", n-1)
	}
}

func TestNoPingsMeansReconnect(t *testing.T) {
	// The first PING comes at once, the next only after 10s: the client's
	// 100ms ping timeout fires and it reconnects.
	srv := newServer(t)
	ctx := testCtx(t)
	startBot(t, srv, func(b *bot, evt socketmode.Event) { b.sm.Ack(*evt.Request) },
		socketmode.OptionPingInterval(100*time.Millisecond))
	if err := srv.WaitConnectionCount(ctx, 2); err != nil {
		t.Fatal(err)
	}
}
