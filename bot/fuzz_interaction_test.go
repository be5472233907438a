package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

// loopbackOnly refuses HTTP calls to anything but 127.0.0.1: fuzzed
// payloads carry response_urls the bot posts to, and the test must stay on
// the machine.
type loopbackOnly struct{ next http.RoundTripper }

func (l loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if ip := net.ParseIP(r.URL.Hostname()); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("fuzz: no calls to %s", r.URL.Host)
	}
	return l.next.RoundTrip(r)
}

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// take returns what was written since the last take.
func (l *lockedBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

// FuzzInteractionPayload feeds arbitrary bytes as the payload of an
// interactive Socket Mode envelope through the bot's handling: decoded the
// way slack-go's socketmode client decodes it (an undecodable payload
// becomes an error_bad_message event), dispatched, handled against a fake
// workflow and the fake Slack. It must never panic (the bot recovers panics,
// so a "panic" in its log fails the input) and must always acknowledge the
// envelope. Run with: go test -fuzz FuzzInteractionPayload ./bot/
func FuzzInteractionPayload(f *testing.F) {
	for _, seed := range interactionSeeds() {
		f.Add([]byte(seed))
	}
	srv := fakeslack.New(fakeslack.Options{})
	f.Cleanup(srv.Close)
	srv.AddUser(fakeslack.User{ID: "U0ALICE", Name: "alice", RealName: "Alice", Email: "alice@example.com"})
	srv.AddUser(fakeslack.User{ID: "U0BOB", Name: "bob", RealName: "Bob", Email: "bob@example.com"})
	logs := &lockedBuffer{}
	b := New(NewSlack(Options{BotToken: srv.BotToken(), AppToken: srv.AppToken(), APIURL: srv.APIURL(),
		AuditChannel: "C0AUDIT", EventTimeout: 3 * time.Second,
		Transport: loopbackOnly{http.DefaultTransport}}, zerolog.New(logs).Level(zerolog.DebugLevel)), newFakeWorkflow())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	f.Cleanup(func() {
		cancel()
		<-done
	})
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := srv.WaitConnected(wctx); err != nil {
		f.Fatalf("bot did not connect: %v", err)
	}
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, payload []byte) {
		id := fmt.Sprintf("fuzz-%d", n.Add(1))
		b.dispatch(ctx, interactiveEvent(id, payload))
		waitHandlers(t, b)
		if !acked(srv, id) {
			t.Fatalf("envelope not acknowledged; payload %q\nlog:\n%s", payload, logs.take())
		}
		if out := logs.take(); strings.Contains(out, "panic") {
			t.Fatalf("the bot recovered from a panic; payload %q\nlog:\n%s", payload, out)
		}
	})
}

// interactiveEvent decodes an interactive envelope's payload the way
// slack-go v0.34's socketmode client does (parseEvent).
func interactiveEvent(envelopeID string, payload []byte) socketmode.Event {
	raw := json.RawMessage(payload)
	if !json.Valid(payload) {
		// Slack always sends JSON; make the envelope decodable and the
		// payload a string, which no interaction decodes from.
		raw, _ = json.Marshal(string(payload))
	}
	env, _ := json.Marshal(map[string]any{"envelope_id": envelopeID, "type": socketmode.RequestTypeInteractive, "payload": raw})
	var cb slack.InteractionCallback
	if err := json.Unmarshal(raw, &cb); err != nil {
		return socketmode.Event{Type: socketmode.EventTypeErrorBadMessage,
			Data: &socketmode.ErrorBadMessage{Cause: fmt.Errorf("parsing interaction callback: %w", err), Message: env}}
	}
	return socketmode.Event{Type: socketmode.EventTypeInteractive, Data: cb,
		Request: &socketmode.Request{EnvelopeID: envelopeID, Type: socketmode.RequestTypeInteractive, Payload: raw}}
}

// waitHandlers waits for the handlers dispatch started (dispatch has
// returned, so none is being added).
func waitHandlers(t *testing.T, b *Bot) {
	t.Helper()
	idle := make(chan struct{})
	go func() { b.handlers.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-time.After(10 * time.Second):
		t.Fatal("a handler is still running after 10s")
	}
}

// acked reports whether the fake received the ack of envelope id (acks are
// written to the socket asynchronously).
func acked(srv *fakeslack.Server, id string) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, a := range srv.Acks() {
			if a.EnvelopeID == id {
				return true
			}
		}
		time.Sleep(2 * time.Millisecond) // polling the fake, not waiting for a guess
	}
	return false
}

// interactionSeeds are well-formed interactions of every kind the bot
// handles, and broken ones.
func interactionSeeds() []string {
	user := `"user":{"id":"U0BOB","username":"bob","name":"bob","team_id":"T0FAKE"},"team":{"id":"T0FAKE","domain":"fakeco"}`
	click := func(actionID, blockID, value string) string {
		return `{"type":"block_actions",` + user + `,"trigger_id":"1.2.x","response_url":"http://127.0.0.1:1/response/x",` +
			`"container":{"type":"message","message_ts":"1700000000.000100","channel_id":"D0BOB"},"channel":{"id":"D0BOB"},` +
			`"actions":[{"type":"button","action_id":"` + actionID + `","block_id":"` + blockID + `","value":` + value + `}]}`
	}
	submit := func(callbackID, meta, values string) string {
		return `{"type":"view_submission",` + user + `,"trigger_id":"1.2.y","view":{"id":"V0X","type":"modal","callback_id":"` +
			callbackID + `","private_metadata":` + meta + `,"state":{"values":` + values + `}}}`
	}
	return []string{
		click(ActionApprove, BlockApprovalActions, `"abcd2345"`),
		click(ActionApprove, BlockApprovalActions, `"`+strings.Repeat("z", 5000)+`"`),
		click(ActionDeny, BlockApprovalActions, `"abcd2345"`),
		click(ActionCancel, "x", `""`),
		click(ActionRevoke, blockNoticeActions+"granted", `"abcd2345"`),
		click(ActionRevoke, blockNoticeActions+"nonsense", `"<!channel>"`),
		click(ActionExtend, blockNoticeActions+"reminder", `"abcd2345|1h"`),
		click(ActionExtend, "x", `"|"`),
		click(ActionExtend, "x", `"abcd2345|99999999999w"`),
		click(ActionLetExpire, "x", `"abcd2345"`),
		click(ActionHomeRequest, "x", `"aws-prod-read"`),
		click("unknown_action", "x", `"\u0000\u202e"`),
		`{"type":"block_actions",` + user + `,"actions":[{"type":"static_select","action_id":"` + ActionResourceSelect +
			`","block_id":"resource","selected_option":{"value":"grafana"}}],"view":{"id":"V0X","private_metadata":"{"}}`,
		`{"type":"block_actions",` + user + `,"actions":[]}`,
		`{"type":"block_actions","actions":[{}]}`,
		submit(CallbackRequest, `"{\"channel_id\":\"C0GENERAL\",\"resource\":\"aws-prod-read\"}"`,
			`{"resource":{"resource_select":{"type":"static_select","selected_option":{"value":"aws-prod-read"}}},`+
				`"duration_aws-prod-read":{"duration_select":{"type":"static_select","selected_option":{"value":"99w"}}},`+
				`"reason":{"reason_input":{"type":"plain_text_input","value":"`+strings.Repeat("<!channel> ", 1000)+`"}},`+
				`"approvers_aws-prod-read":{"approvers_select":{"type":"multi_static_select","selected_options":[{"value":"-1"},{"value":"99999999999999999999"},{"value":"eve@example.com"}]}}}`),
		submit(CallbackRequest, `"not json"`, `{}`),
		submit(CallbackRequest, `""`, `{"resource":{"resource_select":{"type":"static_select","selected_option":{"value":"nosuch"}}}}`),
		submit(CallbackDeny, `"abcd2345"`, `{"deny_reason":{"reason_input":{"type":"plain_text_input","value":"no"}}}`),
		submit(CallbackDeny, `""`, `{}`),
		submit("other", `""`, `{}`),
		`{"type":"view_closed",` + user + `,"view":{"callback_id":"access_request"}}`,
		`{"type":"shortcut",` + user + `,"callback_id":"access_request","trigger_id":"1.2.z"}`,
		`{"type":"message_action"}`,
		`{}`, `null`, `[]`, `"block_actions"`, `1e999`, `{"type":7}`, `{"type":"block_actions","user":null,"actions":null}`,
		`{"type":"view_submission","view":null}`, `{"type":"view_submission","view":{"state":{"values":{"a":{"b":null}}}}}`,
		"not json \xff",
	}
}

// A payload value far longer than Slack ever sends is cut in the log, not
// written out whole.
func TestLogCutsOversizedPayloadValues(t *testing.T) {
	srv := fakeslack.New(fakeslack.Options{})
	t.Cleanup(srv.Close)
	logs := &lockedBuffer{}
	b := New(NewSlack(Options{BotToken: srv.BotToken(), AppToken: srv.AppToken(), APIURL: srv.APIURL(),
		Transport: loopbackOnly{http.DefaultTransport}}, zerolog.New(logs).Level(zerolog.DebugLevel)), newFakeWorkflow())
	huge := strings.Repeat("A", 100_000)
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":%q},"actions":[{"type":"button","action_id":%q,"block_id":"b","value":%q}]}`,
		huge, huge, huge)
	b.dispatch(t.Context(), interactiveEvent(huge, []byte(payload)))
	waitHandlers(t, b)
	out := logs.take()
	if out == "" {
		t.Fatal("nothing was logged for the click")
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 4*maxLogValue+2000 {
			t.Fatalf("a log line of %d bytes carries the oversized values: %.300s…", len(line), line)
		}
	}
}
