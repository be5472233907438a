package fakeslack_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

// approverModal has an external select of approvers, whose options the
// app suggests as people type.
func approverModal() slack.ModalViewRequest {
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, pt("Find someone"), "approver_pick")
	one := 1 // ask from the first character typed
	sel.MinQueryLength = &one
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: "pick_approver",
		Title:      pt("Pick an approver"),
		Submit:     pt("Done"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("approver_block", pt("Approver"), nil, sel),
		}},
	}
}

// suggestionApp answers block_suggestion with what answer makes of the
// typed text, and records the callbacks.
func suggestionApp(t *testing.T, srv *fakeslack.Server, answer func(typed string) any) (viewID string, got chan slack.InteractionCallback) {
	t.Helper()
	got = make(chan slack.InteractionCallback, 10)
	startBot(t, srv, func(b *bot, evt socketmode.Event) {
		cb, isInteraction := evt.Data.(slack.InteractionCallback)
		if !isInteraction {
			b.sm.Ack(*evt.Request)
			return
		}
		got <- cb
		if cb.Type == slack.InteractionTypeBlockSuggestion {
			b.sm.Ack(*evt.Request, answer(cb.Value))
			return
		}
		b.sm.Ack(*evt.Request)
	})
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	v, err := api.OpenView(srv.IssueTrigger("U0ALICE"), approverModal())
	if err != nil {
		t.Fatalf("views.open with an external select: %v", err)
	}
	if err := srv.WaitConnected(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return v.ID, got
}

func option(text, value string) *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(value, slack.NewTextBlockObject(slack.PlainTextType, text, false, false), nil)
}

// TestBlockSuggestion checks the block_suggestion envelope slack-go's
// socketmode client receives for typing into an external select, that the
// options of the ack come back, and that one of them can then be chosen and
// submitted like a static option.
func TestBlockSuggestion(t *testing.T) {
	srv := newServer(t)
	people := map[string]string{"U0ALICE": "Alice A", "U0BOB": "Bob B", "U0BOBBY": "Bobby C"}
	viewID, got := suggestionApp(t, srv, func(typed string) any {
		var out []*slack.OptionBlockObject
		for _, id := range []string{"U0ALICE", "U0BOB", "U0BOBBY"} {
			if strings.Contains(strings.ToLower(people[id]), strings.ToLower(typed)) {
				out = append(out, option(people[id], id))
			}
		}
		return slack.OptionsResponse{Options: out}
	})
	ctx := testCtx(t)
	sugg, err := srv.Suggest(ctx, "U0ALICE", viewID, "approver_block", "approver_pick", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if len(sugg.Options) != 2 || sugg.Options[0] != (fakeslack.Option{Text: "Bob B", Value: "U0BOB"}) || sugg.Options[1].Value != "U0BOBBY" {
		t.Errorf("suggestions %+v", sugg)
	}
	cb := <-got
	if cb.Type != slack.InteractionTypeBlockSuggestion || cb.Value != "bob" || cb.ActionID != "approver_pick" ||
		cb.BlockID != "approver_block" || cb.View.ID != viewID || cb.User.ID != "U0ALICE" || cb.Team.ID != fakeslack.TeamID {
		t.Errorf("block_suggestion payload %+v", cb)
	}

	if _, err := srv.ViewAction(ctx, "U0ALICE", viewID, "approver_block", "approver_pick", "U0ALICE"); err == nil {
		t.Error("chose an option that was never suggested")
	}
	if _, err := srv.ViewAction(ctx, "U0ALICE", viewID, "approver_block", "approver_pick", "U0BOB"); err != nil {
		t.Fatal(err)
	}
	if cb := <-got; cb.Type != slack.InteractionTypeBlockActions || cb.ActionCallback.BlockActions[0].SelectedOption.Value != "U0BOB" {
		t.Errorf("choice payload %+v", cb.ActionCallback.BlockActions)
	}
	if _, err := srv.SubmitView(ctx, "U0ALICE", viewID, nil); err != nil {
		t.Fatal(err)
	}
	sub := <-got
	if v := sub.View.State.Values["approver_block"]["approver_pick"]; v.Type != "external_select" || v.SelectedOption.Value != "U0BOB" ||
		v.SelectedOption.Text == nil || v.SelectedOption.Text.Text != "Bob B" {
		t.Errorf("submitted state %+v", v)
	}
	if rs := srv.Rejections(); len(rs) != 0 {
		t.Errorf("rejections %+v", rs)
	}
}

// TestBlockSuggestionGroupsAndLimits checks option_groups answers, the
// minimum query length, and that answers breaking Slack's limits (more than
// 100 options, option text or value over 75 characters, both options and
// groups) are refused and recorded.
func TestBlockSuggestionGroupsAndLimits(t *testing.T) {
	srv := newServer(t)
	long := strings.Repeat("x", 76)
	viewID, _ := suggestionApp(t, srv, func(typed string) any {
		switch typed {
		case "groups":
			return slack.OptionGroupsResponse{OptionGroups: []*slack.OptionGroupBlockObject{
				slack.NewOptionGroupBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "On call", false, false), option("Alice A", "U0ALICE")),
				slack.NewOptionGroupBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "Everyone", false, false), option("Bob B", "U0BOB")),
			}}
		case "many":
			var out []*slack.OptionBlockObject
			for i := range 101 {
				out = append(out, option("Person "+strconv.Itoa(i), "U"+strconv.Itoa(i)))
			}
			return slack.OptionsResponse{Options: out}
		case "long text":
			return slack.OptionsResponse{Options: []*slack.OptionBlockObject{option(long, "U0BOB")}}
		case "long value":
			return slack.OptionsResponse{Options: []*slack.OptionBlockObject{option("Bob", long)}}
		case "both":
			return map[string]any{"options": []any{option("Bob", "U0BOB")},
				"option_groups": []any{slack.NewOptionGroupBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "G", false, false), option("A", "U0ALICE"))}}
		}
		return nil
	})
	ctx := testCtx(t)
	sugg, err := srv.Suggest(ctx, "U0ALICE", viewID, "approver_block", "approver_pick", "groups")
	if err != nil || len(sugg.Groups) != 2 || sugg.Groups[0].Label != "On call" || sugg.Groups[1].Options[0].Value != "U0BOB" || len(sugg.Options) != 0 {
		t.Fatalf("grouped suggestions %+v, %v", sugg, err)
	}
	if _, err := srv.ViewAction(ctx, "U0ALICE", viewID, "approver_block", "approver_pick", "U0BOB"); err != nil {
		t.Errorf("choosing a grouped suggestion: %v", err)
	}
	if sugg, err := srv.Suggest(ctx, "U0ALICE", viewID, "approver_block", "approver_pick", "nothing"); err != nil || len(sugg.Options)+len(sugg.Groups) != 0 {
		t.Errorf("an ack without options: %+v, %v", sugg, err)
	}
	if _, err := srv.Suggest(ctx, "U0ALICE", viewID, "approver_block", "approver_pick", ""); err == nil {
		t.Error("Slack asked for options before min_query_length characters were typed")
	}
	if _, err := srv.Suggest(ctx, "U0ALICE", viewID, "approver_block", "nope", "bob"); err == nil {
		t.Error("suggested for an element that does not exist")
	}
	if len(srv.Rejections()) != 0 {
		t.Fatalf("valid answers rejected: %+v", srv.Rejections())
	}

	for typed, want := range map[string]string{
		"many":       "[ERROR] must be no more than 100 items [json-pointer:/options]",
		"long text":  "[ERROR] must be less than 76 characters [json-pointer:/options/0/text/text]",
		"long value": "[ERROR] must be less than 76 characters [json-pointer:/options/0/value]",
		"both":       "[ERROR] must provide either options or option_groups, not both [json-pointer:]",
	} {
		before := len(srv.Rejections())
		if _, err := srv.Suggest(ctx, "U0ALICE", viewID, "approver_block", "approver_pick", typed); err == nil {
			t.Errorf("%s: accepted", typed)
		}
		rs := srv.Rejections()
		if len(rs) != before+1 || rs[before].Method != "block_suggestion" || rs[before].Error != "invalid_options" || !slices.Contains(rs[before].Messages, want) {
			t.Errorf("%s: rejections %+v, want %q", typed, rs[before:], want)
		}
	}
}
