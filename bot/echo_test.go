package bot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

func TestTrimEchoDropsOnlyTheMessage(t *testing.T) {
	in := `{"ok":true,"channel":"D1","ts":"1.000100","text":"hi","warning":"missing_charset",` +
		`"response_metadata":{"warnings":["missing_charset"]},"message":{"type":"message","blocks":[{"type":"divider","block_id":"x"}]}}`
	var got map[string]any
	if err := json.Unmarshal(trimEcho([]byte(in)), &got); err != nil {
		t.Fatal(err)
	}
	if _, has := got["message"]; has {
		t.Errorf("message kept: %v", got)
	}
	for k, want := range map[string]any{"ok": true, "channel": "D1", "ts": "1.000100", "text": "hi", "warning": "missing_charset"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if md, _ := got["response_metadata"].(map[string]any); md == nil || md["warnings"] == nil {
		t.Errorf("response_metadata lost: %v", got)
	}
	for _, body := range []string{`{"ok":false,"error":"invalid_blocks","response_metadata":{"messages":["[ERROR] x"]}}`, `not json`} {
		if out := string(trimEcho([]byte(body))); out != body {
			t.Errorf("trimEcho(%s) = %s, want it unchanged", body, out)
		}
	}
}

// The real slack-go client, through echoTrimmer, against the fake Slack:
// posts and updates still return where the message landed, and Slack's
// refusals still arrive with their reasons.
func TestEchoTrimmerKeepsWhatSlackGoReturns(t *testing.T) {
	s := fakeslack.New(fakeslack.Options{})
	t.Cleanup(s.Close)
	s.AddUser(fakeslack.User{ID: "U1", Name: "ann", Email: "ann@example.com"})
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()),
		slack.OptionHTTPClient(&http.Client{Transport: echoTrimmer{next: http.DefaultTransport}}))
	ctx := context.Background()
	blocks := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*hello*", false, false), nil, nil))

	ch, ts, err := api.PostMessageContext(ctx, "U1", slack.MsgOptionText("hello", false), blocks)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := s.MessageAt(ch, ts); !ok || m.RawText != "hello" {
		t.Fatalf("post returned %s/%s, which the fake does not hold as the message sent", ch, ts)
	}
	ch2, ts2, text, err := api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("bye", false), blocks)
	if err != nil {
		t.Fatal(err)
	}
	if ch2 != ch || ts2 != ts || text != "bye" {
		t.Errorf("update returned %s/%s %q, want %s/%s \"bye\"", ch2, ts2, text, ch, ts)
	}

	long := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", 3001), false, false), nil, nil))
	_, _, err = api.PostMessageContext(ctx, "U1", slack.MsgOptionText("too long", false), long)
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_blocks" || len(se.ResponseMetadata.Messages) == 0 {
		t.Errorf("a refused post gave %#v, want invalid_blocks with Slack's reasons", err)
	}
}
