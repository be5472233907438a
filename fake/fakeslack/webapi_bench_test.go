package fakeslack_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
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

// BenchmarkPostAndUpdate is one approval DM's life as the bot drives it
// through slack-go: chat.postMessage, then chat.update with the outcome.
// It measures the client and the fake together.
func BenchmarkPostAndUpdate(b *testing.B) {
	srv := fakeslack.New(fakeslack.Options{})
	defer srv.Close()
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		id := "req-" + strconv.Itoa(i)
		ch, ts, err := api.PostMessage("D0BOB", slack.MsgOptionText("Access request "+id, false),
			slack.MsgOptionBlocks(approvalMessage(id, true)...))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, _, err := api.UpdateMessage(ch, ts, slack.MsgOptionText("Access request "+id+" approved", false),
			slack.MsgOptionBlocks(approvalMessage(id, false)...)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServePostAndUpdate is BenchmarkPostAndUpdate without the client
// and the network: the same two requests, as slack-go encodes them, handed
// straight to the server's handler. It measures the fake alone.
func BenchmarkServePostAndUpdate(b *testing.B) {
	srv := fakeslack.New(fakeslack.Options{})
	defer srv.Close()
	h := srv.Handler()
	form := func(fields url.Values, blocks []slack.Block) string {
		raw, err := json.Marshal(blocks)
		if err != nil {
			b.Fatal(err)
		}
		fields.Set("blocks", string(raw))
		fields.Set("token", srv.BotToken())
		return fields.Encode()
	}
	post := form(url.Values{"channel": {"D0BOB"}, "text": {"Access request req-1"}}, approvalMessage("req-1", true))
	update := form(url.Values{"channel": {"D0BOB"}, "text": {"Access request req-1 approved"}}, approvalMessage("req-1", false))
	serve := func(method, body string) []byte {
		req := httptest.NewRequest(http.MethodPost, "/api/"+method, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"ok":true`)) {
			b.Fatalf("%s: %d %s", method, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	b.ReportAllocs()
	for b.Loop() {
		answer := serve("chat.postMessage", post)
		_, ts, _ := bytes.Cut(answer, []byte(`"ts":"`))
		ts, _, _ = bytes.Cut(ts, []byte(`"`))
		serve("chat.update", update+"&ts="+url.QueryEscape(string(ts)))
	}
}
