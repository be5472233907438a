package fakeslack_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

// approvalMessage is shaped like the bot's approval DM: a header, a lead
// section, a section of fields, the reason, a status line and the buttons.
// With pending false it is the decided version: the outcome and Revoke.
func approvalMessage(id string, pending bool) []slack.Block {
	md := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(pt("Access request")),
		slack.NewSectionBlock(md("<@U0ALICE> asks for access to *db-prod* (PostgreSQL production, read-write) for *1h*."), nil, nil),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			md("*Requester*\n<@U0ALICE>"), md("*Resource*\n*db-prod* (PostgreSQL production, read-write)"),
			md("*Duration*\n1h"), md("*Request*\n`" + id + "`"),
		}, nil),
		slack.NewSectionBlock(md("*Reason*\n>INC-1234 lock contention on the orders table; need to look at pg_stat_activity & kill the blocker"), nil, nil),
	}
	if pending {
		return append(blocks,
			slack.NewContextBlock("", md("Approvals: 0 of 1")),
			slack.NewActionBlock("approval_actions",
				slack.NewButtonBlockElement("approve", id, pt("Approve")).WithStyle(slack.StylePrimary),
				slack.NewButtonBlockElement("deny", id, pt("Deny")).WithStyle(slack.StyleDanger)))
	}
	return append(blocks,
		slack.NewSectionBlock(md(":white_check_mark: Approved by <@U0BOB>. Access is active until <!date^1700003600^{time}|13:00 UTC>."), nil, nil),
		slack.NewActionBlock("approval_actions",
			slack.NewButtonBlockElement("revoke", id, pt("Revoke")).WithStyle(slack.StyleDanger)))
}

// postForm sends a form-encoded Web API call as slack-go does and decodes
// the answer.
func postForm(t *testing.T, srv *fakeslack.Server, method string, form url.Values) map[string]any {
	t.Helper()
	form.Set("token", srv.BotToken())
	resp, err := http.PostForm(srv.APIURL()+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", method, ct)
	}
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return body
}

// TestPostAndUpdateEchoTheMessage checks what chat.postMessage and
// chat.update answer: the message as stored, blocks included, with the
// block_ids and action_ids Slack fills in.
func TestPostAndUpdateEchoTheMessage(t *testing.T) {
	srv := newServer(t)
	blocks := func(pending bool) string {
		raw, err := json.Marshal(approvalMessage("req-7", pending))
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	posted := postForm(t, srv, "chat.postMessage", url.Values{"channel": {"U0BOB"}, "text": {"Access request <req-7> & more"}, "blocks": {blocks(true)}})
	ts, _ := posted["ts"].(string)
	if posted["ok"] != true || posted["channel"] != "DU0BOB" || ts == "" {
		t.Fatalf("chat.postMessage answered %v", posted)
	}
	stored, found := srv.MessageAt("DU0BOB", ts)
	if !found {
		t.Fatalf("no message at %s", ts)
	}
	checkEcho(t, posted["message"], stored)
	if id, _ := stored.Blocks[0]["block_id"].(string); id == "" {
		t.Errorf("no block_id assigned to the header: %v", stored.Blocks[0])
	}

	updated := postForm(t, srv, "chat.update", url.Values{"channel": {"DU0BOB"}, "ts": {ts}, "text": {"approved"}, "blocks": {blocks(false)}})
	if updated["ok"] != true || updated["channel"] != "DU0BOB" || updated["ts"] != ts || updated["text"] != "approved" {
		t.Fatalf("chat.update answered %v", updated)
	}
	stored, _ = srv.MessageAt("DU0BOB", ts)
	if stored.Version != 1 || len(stored.History) != 1 {
		t.Errorf("stored version %d with %d earlier", stored.Version, len(stored.History))
	}
	checkEcho(t, updated["message"], stored)
	if b, ok := stored.Button("revoke"); !ok || b.BlockID != "approval_actions" || b.Value != "req-7" {
		t.Errorf("revoke button %+v %v", b, ok)
	}
}

func checkEcho(t *testing.T, echoed any, stored fakeslack.Message) {
	t.Helper()
	var want map[string]any
	raw, _ := json.Marshal(map[string]any{
		"type": "message", "user": fakeslack.BotUserID, "bot_id": fakeslack.BotID, "app_id": fakeslack.AppID,
		"team": fakeslack.TeamID, "text": stored.RawText, "ts": stored.TS, "blocks": stored.Blocks,
	})
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(echoed, want) {
		got, _ := json.Marshal(echoed)
		t.Errorf("echoed message\n%s\nwant\n%s", got, raw)
	}
}

// TestRejectionsAnswerLikeSlack checks the answers to content Slack refuses.
func TestRejectionsAnswerLikeSlack(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		blocks, text string
		want         string // the answer, re-encoded
	}{
		{`[{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("x", 3001) + `"}},{"type":"actions","elements":[]}]`, "",
			`{"error":"invalid_blocks","ok":false,"response_metadata":{"messages":["[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]","[ERROR] must provide at least 1 items [json-pointer:/blocks/1/elements]"]}}`},
		{`{"type":"divider"}`, "", `{"error":"invalid_blocks_format","ok":false,"response_metadata":{"messages":["[ERROR] blocks must be a JSON array [json-pointer:/blocks]"]}}`},
		{"", strings.Repeat("é", 40001), `{"error":"msg_too_long","ok":false,"response_metadata":{"messages":null}}`},
		{"", "", `{"error":"no_text","ok":false,"response_metadata":{"messages":null}}`},
	}
	for _, tc := range tests {
		form := url.Values{"channel": {"C1"}, "text": {tc.text}}
		if tc.blocks != "" {
			form.Set("blocks", tc.blocks)
		}
		got, _ := json.Marshal(postForm(t, srv, "chat.postMessage", form))
		if string(got) != tc.want {
			t.Errorf("answer %s\nwant   %s", got, tc.want)
		}
	}
	if n := len(srv.Rejections()); n != len(tests) {
		t.Errorf("%d rejections recorded, want %d", n, len(tests))
	}
	if msgs := srv.Messages("C1"); len(msgs) != 0 {
		t.Errorf("rejected messages stored: %+v", msgs)
	}
	// The calls are recorded with what was sent and what was answered.
	calls := srv.Calls("chat.postMessage")
	if len(calls) != len(tests) || calls[0].Error != "invalid_blocks" || calls[0].Form.Get("channel") != "C1" ||
		!strings.Contains(string(calls[0].Body), "token="+srv.BotToken()) {
		t.Errorf("calls %+v", calls)
	}
}
