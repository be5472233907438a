package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// harness runs slack-go's Socket Mode client, through the Bot,
// against fakeslack, with a hand-written fake workflow.
type harness struct {
	t    *testing.T
	ctx  context.Context
	srv  *fakeslack.Server
	bot  *Bot
	wf   *fakeWorkflow
	done chan error
	stop context.CancelFunc
	once sync.Once
}

func start(t *testing.T) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	srv := fakeslack.New(fakeslack.Options{})
	srv.AddUser(fakeslack.User{ID: "U0ALICE", Name: "alice", RealName: "Alice", Email: "alice@example.com"})
	srv.AddUser(fakeslack.User{ID: "U0BOB", Name: "bob", RealName: "Bob", Email: "bob@example.com"})
	srv.AddUser(fakeslack.User{ID: "U0EVE", Name: "eve", RealName: "Eve", Email: "eve@example.com"})
	h := &harness{t: t, ctx: ctx, srv: srv, wf: newFakeWorkflow(), done: make(chan error, 1)}
	h.bot = New(NewSlack(Options{BotToken: srv.BotToken(), AppToken: srv.AppToken(), APIURL: srv.APIURL(),
		AuditChannel: "C0AUDIT", EventTimeout: 10 * time.Second}, testLogger(t)), h.wf)
	runCtx, stop := context.WithCancel(ctx)
	h.stop = stop
	go func() { h.done <- h.bot.Run(runCtx) }()
	t.Cleanup(func() {
		h.shutdown()
		srv.Close()
	})
	if err := srv.WaitConnected(ctx); err != nil {
		t.Fatalf("bot did not connect: %v", err)
	}
	return h
}

// shutdown stops the bot and waits for Run, which waits for its handlers.
func (h *harness) shutdown() {
	h.t.Helper()
	h.once.Do(func() {
		h.stop()
		select {
		case err := <-h.done:
			if err != nil {
				h.t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			h.t.Fatal("Run did not return after its context ended")
		}
		for _, r := range h.srv.Rejections() {
			h.t.Errorf("fakeslack rejected %s: %s %v", r.Method, r.Error, r.Messages)
		}
	})
}

func (h *harness) waitView(pred func(fakeslack.View) bool) fakeslack.View {
	h.t.Helper()
	v, err := h.srv.WaitView(h.ctx, pred)
	if err != nil {
		h.t.Fatalf("no such view: %v", err)
	}
	return v
}

func (h *harness) waitMessage(pred func(fakeslack.Message) bool) fakeslack.Message {
	h.t.Helper()
	m, err := h.srv.WaitMessage(h.ctx, pred)
	if err != nil {
		h.t.Fatalf("no such message: %v", err)
	}
	return m
}

func hasBlock(v fakeslack.View, id string) bool {
	for _, b := range v.Blocks {
		if b["block_id"] == id {
			return true
		}
	}
	return false
}

func TestConnectedFollowsTheSocket(t *testing.T) {
	h := start(t)
	eventually(t, h.ctx, h.bot.Connected)
	h.srv.DropConnections()
	if err := h.srv.WaitConnectionCount(h.ctx, 2); err != nil {
		t.Fatal(err)
	}
	eventually(t, h.ctx, h.bot.Connected)
	h.shutdown()
	if h.bot.Connected() {
		t.Error("still connected after Run returned")
	}
}

func TestRefusedAppTokenStopsRun(t *testing.T) {
	srv := fakeslack.New(fakeslack.Options{})
	defer srv.Close()
	srv.FailConnectionsOpen(1, "invalid_auth")
	b := New(NewSlack(Options{BotToken: srv.BotToken(), AppToken: srv.AppToken(), APIURL: srv.APIURL()}, testLogger(t)), newFakeWorkflow())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := b.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") || ctx.Err() != nil {
		t.Fatalf("Run = %v, want a prompt invalid_auth error", err)
	}
	if access.ErrorCode(err) != access.EUNAUTHORIZED {
		t.Errorf("code %s", access.ErrorCode(err))
	}
}

func TestRefusedBotTokenStopsRun(t *testing.T) {
	srv := fakeslack.New(fakeslack.Options{})
	defer srv.Close()
	b := New(NewSlack(Options{BotToken: "xoxb-wrong", AppToken: srv.AppToken(), APIURL: srv.APIURL()}, testLogger(t)), newFakeWorkflow())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Run(ctx); err == nil || !strings.Contains(err.Error(), "bot token") {
		t.Fatalf("Run = %v, want a bot token error", err)
	}
}

func TestDirectory(t *testing.T) {
	srv := fakeslack.New(fakeslack.Options{})
	defer srv.Close()
	srv.AddUser(fakeslack.User{ID: "U0ALICE", Name: "alice", RealName: "Alice A", Email: "Alice@Example.com"})
	srv.AddUser(fakeslack.User{ID: "U0GUEST", Name: "guest"})
	b := NewSlack(Options{BotToken: srv.BotToken(), AppToken: srv.AppToken(), APIURL: srv.APIURL()}, testLogger(t))
	ctx := t.Context()
	u, err := b.UserByID(ctx, "U0ALICE")
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "alice@example.com" || u.SlackID != "U0ALICE" || u.Name == "" {
		t.Errorf("UserByID = %+v", u)
	}
	if _, err := b.UserByID(ctx, "U0ALICE"); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Calls("users.info")); n != 1 {
		t.Errorf("users.info called %d times; the second lookup should be cached", n)
	}
	if u, err := b.UserByEmail(ctx, "ALICE@example.com"); err != nil || u.SlackID != "U0ALICE" {
		t.Errorf("UserByEmail = %+v, %v", u, err)
	}
	if n := len(srv.Calls("users.lookupByEmail")); n != 0 {
		t.Errorf("users.lookupByEmail called %d times for a cached user", n)
	}
	if _, err := b.UserByID(ctx, "U0GUEST"); access.ErrorCode(err) != access.EINVALID || !strings.Contains(errorWords(err), "users:read.email") {
		t.Errorf("user without email: %v", err)
	}
	if _, err := b.UserByEmail(ctx, "nobody@example.com"); access.ErrorCode(err) != access.ENOTFOUND {
		t.Errorf("unknown email: %v", err)
	}
	if _, err := b.UserByID(ctx, "U0NOBODY"); access.ErrorCode(err) != access.ENOTFOUND {
		t.Errorf("unknown id: %v", err)
	}
	srv.FailNext("users.info", fakeslack.Fault{Status: 503})
	if _, err := b.UserByID(ctx, "U0OTHER"); access.ErrorCode(err) != access.EUNAVAILABLE {
		t.Errorf("5xx: %v", err)
	}
}

func TestMessengerRetriesAfterRateLimit(t *testing.T) {
	t.Parallel()
	srv := fakeslack.New(fakeslack.Options{})
	defer srv.Close()
	srv.AddUser(fakeslack.User{ID: "U0ALICE", Name: "alice", Email: "alice@example.com"})
	b := NewSlack(Options{BotToken: srv.BotToken(), AppToken: srv.AppToken(), APIURL: srv.APIURL()}, testLogger(t))
	srv.FailNext("chat.postMessage", fakeslack.Fault{Status: 429, RetryAfter: time.Second})
	ref, err := b.Notify(t.Context(), access.User{SlackID: "U0ALICE"}, access.Notice{Kind: access.NoticeGranted,
		Request: testRequest(access.StateActive), Resource: testResource()})
	if err != nil {
		t.Fatalf("Notify after a 429: %v", err)
	}
	if ref.Channel == "" || ref.TS == "" || ref.UserID != "U0ALICE" {
		t.Errorf("ref %+v", ref)
	}
	if n := len(srv.Calls("chat.postMessage")); n != 2 {
		t.Errorf("chat.postMessage called %d times, want 2", n)
	}
	if _, err := b.Announce(t.Context(), access.Notice{Kind: access.NoticeRevoked, Request: testRequest(access.StateRevoked), Resource: testResource()}); err != nil {
		t.Fatal(err)
	}
	if len(srv.Rejections()) != 0 {
		t.Errorf("rejections: %v", srv.Rejections())
	}
}

// eventually waits until cond holds, or fails at ctx's deadline.
func eventually(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("condition not met before the deadline")
		}
	}
}
