package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// wait is how long any one expected thing may take to happen.
const wait = 15 * time.Second

// e2e runs the real Main against a Sandbox, through the real SDKs.
type e2e struct {
	t    *testing.T
	sb   *Sandbox
	cfg  *config.Config
	logs *syncBuffer
	// configPath is the file Main.Reload re-reads; "" when the config is only in memory.
	configPath string

	m      *Main
	cancel context.CancelFunc
	done   chan error
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startE2E starts a sandbox and accessbot in it. edit may change the config text.
func startE2E(t *testing.T, edit ...func(string) string) *e2e {
	t.Helper()
	return startE2EWith(t, nil, edit...)
}

// startE2EWith is startE2E with setup (when not nil) preparing the
// stand-ins before the bot starts.
func startE2EWith(t *testing.T, setup func(*Sandbox), edit ...func(string) string) *e2e {
	t.Helper()
	sb := NewSandbox(t.TempDir(), time.Time{})
	t.Cleanup(sb.Close)
	if setup != nil {
		setup(sb)
	}
	text := sb.ConfigYAML("")
	for _, f := range edit {
		text = f(text)
	}
	return launchE2E(t, sb, text)
}

// launchE2E starts accessbot on sb with the config text, and stops it (with
// its log shown if the test failed) when the test ends.
func launchE2E(t *testing.T, sb *Sandbox, text string) *e2e {
	t.Helper()
	cfg, err := config.Parse([]byte(text), func(string) string { return "" })
	if err != nil {
		t.Fatalf("sandbox config: %v", err)
	}
	return launched(&e2e{t: t, sb: sb, cfg: cfg, logs: &syncBuffer{}})
}

// launched starts e and stops it when the test ends.
func launched(e *e2e) *e2e {
	e.t.Helper()
	e.t.Cleanup(func() {
		e.stop()
		if e.t.Failed() {
			e.t.Logf("accessbot log:\n%s", e.logs.String())
		}
	})
	e.start()
	return e
}

// start runs a new Main on the sandbox's store and waits until Slack sees it connected.
func (e *e2e) start() {
	e.t.Helper()
	logger := zerolog.New(e.logs).With().Timestamp().Logger()
	e.m = NewMain(e.cfg, logger)
	e.m.Now = e.sb.Clock.Now
	e.m.ConfigPath = e.configPath
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan error, 1)
	m := e.m
	go func() {
		err := m.Run(ctx)
		m.Close()
		e.done <- err
	}()
	select {
	case <-m.Started():
	case err := <-e.done:
		e.done <- err
		e.t.Fatalf("accessbot did not start: %v", err)
	case <-time.After(wait):
		e.t.Fatal("accessbot did not start")
	}
	e.waitFor("Socket Mode connection", func() bool { return e.sb.Slack.Connected() })
}

// stop stops Main and waits for it to return; it must stop cleanly.
func (e *e2e) stop() {
	e.t.Helper()
	if e.cancel == nil {
		return
	}
	e.cancel()
	e.cancel = nil
	select {
	case err := <-e.done:
		if err != nil {
			e.t.Errorf("accessbot stopped with error: %v", err)
		}
	case <-time.After(wait):
		e.t.Fatal("accessbot did not stop")
	}
}

func (e *e2e) restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

func (e *e2e) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	e.t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or the deadline passes.
func (e *e2e) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not a guess at timing
	}
}

// advance moves the bot's clock and sweeps at once.
func (e *e2e) advance(d time.Duration) {
	e.sb.Clock.Advance(d)
	e.m.Workflow().Kick()
}

func dm(p SandboxPerson) string { return "D" + p.SlackID }

// slash sends a slash command as p and returns the ack.
func (e *e2e) slash(p SandboxPerson, command, text string) fakeslack.Ack {
	e.t.Helper()
	ack, err := e.sb.Slack.SlashCommand(e.ctx(), p.SlackID, command, text, "C0GENERAL")
	if err != nil {
		e.t.Fatalf("%s %s: %v", command, text, err)
	}
	return ack
}

// waitMsg waits for a message (posted, updated, ephemeral or reply) after
// mark in channel ("" for any) whose text contains every one of words.
func (e *e2e) waitMsg(mark int, channel string, words ...string) fakeslack.Message {
	e.t.Helper()
	msg, err := e.sb.Slack.WaitMessageAfter(e.ctx(), mark, func(m fakeslack.Message) bool {
		return (channel == "" || m.Channel == channel) && containsAll(m.Text(), words...)
	})
	if err != nil {
		e.t.Fatalf("no message in %q containing %q: %v\nmessages:\n%s", channel, words, err, e.dump(mark))
	}
	return msg
}

// reply waits for what p was told after mark in answer to a command or click:
// an ephemeral message, a command ack or a response_url reply.
func (e *e2e) reply(mark int, p SandboxPerson, words ...string) fakeslack.Message {
	e.t.Helper()
	msg, err := e.sb.Slack.WaitMessageAfter(e.ctx(), mark, func(m fakeslack.Message) bool {
		personal := m.Kind == fakeslack.KindEphemeral || m.Kind == fakeslack.KindCommandAck || m.Kind == fakeslack.KindResponseURL || m.Channel == dm(p)
		return personal && (m.User == "" || m.User == p.SlackID || m.Channel == dm(p)) && containsAll(m.Text(), words...)
	})
	if err != nil {
		e.t.Fatalf("%s was not told %q: %v\nmessages:\n%s", p.Name, words, err, e.dump(mark))
	}
	return msg
}

func (e *e2e) dump(mark int) string {
	var b strings.Builder
	for _, m := range e.sb.Slack.MessageLog() {
		if m.Seq > mark {
			b.WriteString("  [" + string(m.Kind) + " " + m.Channel + " " + m.User + "] " + oneLine(m.Text()) + "\n")
		}
	}
	return b.String()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ⏎ ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func containsAll(s string, words ...string) bool {
	low := strings.ToLower(s)
	for _, w := range words {
		if !strings.Contains(low, strings.ToLower(w)) {
			return false
		}
	}
	return true
}

// click presses a button on msg as p and returns the ack.
func (e *e2e) click(p SandboxPerson, msg fakeslack.Message, actionID string) {
	e.t.Helper()
	if _, ok := msg.Button(actionID); !ok {
		e.t.Fatalf("message has no %q button: %s", actionID, oneLine(msg.Text()))
	}
	if _, err := e.sb.Slack.ClickButton(e.ctx(), p.SlackID, msg, actionID); err != nil {
		e.t.Fatalf("click %s: %v", actionID, err)
	}
}

// request returns the stored request id.
func (e *e2e) request(id string) *access.Request {
	e.t.Helper()
	r, err := e.m.Store().Get(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// waitState waits until request id is in state s.
func (e *e2e) waitState(id string, s access.State) *access.Request {
	e.t.Helper()
	var r *access.Request
	e.waitFor("request "+id+" to be "+string(s), func() bool {
		got, err := e.m.Store().Get(context.Background(), id)
		r = got
		return err == nil && got.State == s
	})
	return r
}

// events returns the audit event types of request id, in order.
func (e *e2e) events(id string) []access.EventType {
	e.t.Helper()
	evs, err := e.m.Store().Events(context.Background(), access.EventFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []access.EventType
	for _, ev := range evs {
		if ev.RequestID == id {
			out = append(out, ev.Type)
		}
	}
	return out
}

// noRejections fails if the fake Slack turned down anything the bot sent.
func (e *e2e) noRejections() {
	e.t.Helper()
	if rs := e.sb.Slack.Rejections(); len(rs) > 0 {
		e.t.Fatalf("Slack rejected %d calls, first: %+v", len(rs), rs[0])
	}
}

// ask runs `/access request <text>` as p and returns the id of the request
// filed, read from the approval DM that approver got.
func (e *e2e) ask(p SandboxPerson, text string, approver SandboxPerson) (string, fakeslack.Message) {
	e.t.Helper()
	mark := e.sb.Slack.Mark()
	e.slash(p, "/access", "request "+text)
	msg, id := e.approvalDM(mark, approver)
	return id, msg
}

// oktaWrites returns the write calls (PUT, POST, DELETE) with method that
// the fake Okta received, in order.
func oktaWrites(okta *fakeokta.Server, method string) []fakeokta.Call {
	var out []fakeokta.Call
	for _, c := range okta.Writes() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}
