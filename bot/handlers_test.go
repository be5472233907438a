package bot

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/fake/fakeslack"
	"github.com/accessbot/accessbot/workflow"
)

// slowList is the fake workflow with a List that waits for release.
type slowList struct {
	*fakeWorkflow
	entered chan string
	release chan struct{}
}

func (w *slowList) List(ctx context.Context, actorID string) (workflow.Overview, error) {
	w.entered <- actorID
	<-w.release
	return w.fakeWorkflow.List(ctx, actorID)
}

// startWith runs a Bot with opts (tokens and URL filled in) and wf against
// a fresh fake Slack, until the test ends.
func startWith(t *testing.T, opts Options, wf Workflow) *fakeslack.Server {
	t.Helper()
	srv, stop := startStoppable(t, opts, wf)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return srv
}

// startStoppable is startWith with the stop in the test's hands: stop
// cancels Run's context and returns what Run returned.
func startStoppable(t *testing.T, opts Options, wf Workflow) (*fakeslack.Server, func() error) {
	t.Helper()
	srv := fakeslack.New(fakeslack.Options{})
	t.Cleanup(srv.Close) // after the stop: cleanups run last first
	for _, u := range []fakeslack.User{
		{ID: "U0ALICE", Name: "alice", RealName: "Alice", Email: "alice@example.com"},
		{ID: "U0BOB", Name: "bob", RealName: "Bob", Email: "bob@example.com"},
		{ID: "U0EVE", Name: "eve", RealName: "Eve", Email: "eve@example.com"},
	} {
		srv.AddUser(u)
	}
	opts.BotToken, opts.AppToken, opts.APIURL = srv.BotToken(), srv.AppToken(), srv.APIURL()
	b := New(NewSlack(opts, testLogger(t)), wf)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() { cancel(); runErr = <-done })
		return runErr
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := srv.WaitConnected(wctx); err != nil {
		_ = stop()
		t.Fatalf("bot did not connect: %v", err)
	}
	return srv, stop
}

// aliceHoldsBobWaits sends Alice's "/access list", waits until its handler
// is in wf (where it stays until wf.release), then sends Bob's.
func aliceHoldsBobWaits(ctx context.Context, t *testing.T, srv *fakeslack.Server, wf *slowList) {
	t.Helper()
	if _, err := srv.SlashCommand(ctx, "U0ALICE", "/access", "list", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	if got := <-wf.entered; got != "U0ALICE" {
		t.Fatalf("first handler listed for %s", got)
	}
	if _, err := srv.SlashCommand(ctx, "U0BOB", "/access", "list", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
}

func TestBurstBeyondTheHandlersIsQueuedThenRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wf := &slowList{fakeWorkflow: newFakeWorkflow(), entered: make(chan string, 3), release: make(chan struct{})}
	srv := startWith(t, Options{MaxHandlers: 1, MaxQueuedEvents: 1, EventTimeout: 10 * time.Second}, wf)

	// Every envelope is acked at once, whatever happens to its work.
	for _, user := range []string{"U0ALICE", "U0BOB", "U0EVE"} {
		if _, err := srv.SlashCommand(ctx, user, "/access", "list", "C0GENERAL"); err != nil {
			t.Fatalf("/access list by %s: %v", user, err)
		}
		if user == "U0ALICE" {
			if got := <-wf.entered; got != "U0ALICE" {
				t.Fatalf("first handler listed for %s", got)
			}
		}
	}
	// Alice's handler holds the only slot, Bob's waits for it, Eve's had
	// no room: she is told so, and nothing is done for her.
	if _, err := srv.WaitEphemeral(ctx, func(m fakeslack.Message) bool {
		return m.User == "U0EVE" && strings.Contains(m.Text(), "burst of requests")
	}); err != nil {
		t.Fatalf("Eve was not told the bot is busy: %v", err)
	}
	select {
	case who := <-wf.entered:
		t.Fatalf("a second handler (%s) ran while the only slot was taken", who)
	default:
	}
	close(wf.release)
	if got := <-wf.entered; got != "U0BOB" {
		t.Errorf("after Alice's handler, %s's ran; want Bob's", got)
	}
	wf.waitCall(ctx, t, "List", 2)
	wf.mu.Lock()
	defer wf.mu.Unlock()
	for _, c := range wf.calls {
		if c.Actor == "U0EVE" {
			t.Error("the refused event was worked on")
		}
	}
}

func TestAcksEachEnvelopeOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wf := newFakeWorkflow()
	srv := startWith(t, Options{}, wf)
	for _, text := range []string{"list", "help", "nonsense"} {
		if _, err := srv.SlashCommand(ctx, "U0ALICE", "/access", text, "C0GENERAL"); err != nil {
			t.Fatal(err)
		}
	}
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U0BOB"}, "trigger_id": srv.IssueTrigger("U0BOB"),
		"actions": []any{map[string]any{"type": "button", "action_id": ActionApprove, "block_id": BlockApprovalActions, "value": "abcd2345"}},
	})
	ack, err := srv.Send(ctx, fakeslack.Envelope{Type: "interactive", Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	click := ack.Envelope
	wf.waitCall(ctx, t, "Approve", 1)
	if _, err := srv.Redeliver(ctx, click); err != nil {
		t.Fatal(err)
	}
	// Every envelope is acked once, before any work; a redelivery is acked
	// again, and not acted on.
	counts := map[string]int{}
	for _, a := range srv.Acks() {
		if !a.Expected {
			t.Errorf("unexpected ack of %s: %s", a.EnvelopeID, a.Payload)
		}
		counts[a.EnvelopeID]++
	}
	for id, n := range counts {
		if want := map[bool]int{true: 2, false: 1}[id == click.EnvelopeID]; n != want {
			t.Errorf("envelope %s acked %d times, want %d", id, n, want)
		}
	}
	if len(counts) != 4 {
		t.Errorf("%d envelopes acked, want 4", len(counts))
	}
	if n := wf.count("Approve"); n != 1 {
		t.Errorf("Approve called %d times for a click and its redelivery, want 1", n)
	}
}

// A form submitted while every handler is busy is acked within Slack's 3 s
// all the same (the modal closes) and filed once a handler is free: an ack
// never waits for a handler.
func TestSubmissionAckedWhileEveryHandlerIsBusy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wf := &slowList{fakeWorkflow: newFakeWorkflow(), entered: make(chan string, 1), release: make(chan struct{})}
	srv := startWith(t, Options{MaxHandlers: 1, EventTimeout: 10 * time.Second}, wf)
	if _, err := srv.SlashCommand(ctx, "U0ALICE", "/access", "", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	v, err := srv.WaitView(ctx, func(v fakeslack.View) bool { return v.CallbackID == CallbackRequest })
	if err != nil {
		t.Fatal(err)
	}
	wf.fakeWorkflow.waitCall(ctx, t, "FormFor", 1)
	if _, err := srv.SlashCommand(ctx, "U0BOB", "/access", "list", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	<-wf.entered // Bob's list holds the only handler
	ack, err := srv.SubmitView(ctx, "U0ALICE", v.ID, map[string]map[string]any{BlockReason: {ActionReasonInput: fakeslack.TextValue("debugging INC-1")}})
	if err != nil {
		t.Fatal(err)
	}
	if ack.ResponseAction() != "" {
		t.Fatalf("submission acked with %s, want a plain ack that closes the modal", ack.Payload)
	}
	if n := len(wf.fakeWorkflow.callsOf("Submit")); n != 0 {
		t.Fatalf("%d Submit calls while no handler was free", n)
	}
	close(wf.release)
	if sub := wf.fakeWorkflow.waitCall(ctx, t, "Submit", 1); sub.Input.Reason != "debugging INC-1" {
		t.Fatalf("Submit got %+v", sub)
	}
}

// An event that waits for a handler longer than EventTimeout is given up:
// its person is told to try again, and its work is never done, not even
// once the handler it waited for is free.
func TestEventWaitingPastItsTimeoutIsGivenUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wf := &slowList{fakeWorkflow: newFakeWorkflow(), entered: make(chan string, 2), release: make(chan struct{})}
	srv := startWith(t, Options{MaxHandlers: 1, EventTimeout: 300 * time.Millisecond, ShutdownTimeout: 5 * time.Second}, wf)
	aliceHoldsBobWaits(ctx, t, srv, wf)
	// Alice's handler holds the only slot past Bob's wait bound.
	if _, err := srv.WaitEphemeral(ctx, func(m fakeslack.Message) bool {
		return m.User == "U0BOB" && strings.Contains(m.Text(), "burst of requests")
	}); err != nil {
		t.Fatalf("Bob was not told the bot is busy: %v", err)
	}
	close(wf.release)
	// Eve's event, sent after the slot is free, runs: the queue moved on
	// past Bob's without doing it.
	if _, err := srv.SlashCommand(ctx, "U0EVE", "/access", "list", "C0GENERAL"); err != nil {
		t.Fatal(err)
	}
	if got := <-wf.entered; got != "U0EVE" {
		t.Fatalf("after Alice's handler, %s's ran; want Eve's (Bob's was given up)", got)
	}
	wf.waitCall(ctx, t, "List", 2)
	for _, c := range wf.callsOf("List") {
		if c.Actor == "U0BOB" {
			t.Error("the given-up event was worked on")
		}
	}
}

// When the bot stops, an event still waiting for a handler once half the
// shutdown budget has passed is not worked on: its person is told to try
// again, while the work in flight finishes.
func TestStoppingTellsWaitingEventsToTryAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wf := &slowList{fakeWorkflow: newFakeWorkflow(), entered: make(chan string, 2), release: make(chan struct{})}
	srv, stop := startStoppable(t, Options{MaxHandlers: 1, EventTimeout: 10 * time.Second, ShutdownTimeout: 4 * time.Second}, wf)
	aliceHoldsBobWaits(ctx, t, srv, wf)
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	if _, err := srv.WaitEphemeral(ctx, func(m fakeslack.Message) bool {
		return m.User == "U0BOB" && strings.Contains(m.Text(), "burst of requests")
	}); err != nil {
		t.Fatalf("Bob was not told to try again: %v", err)
	}
	close(wf.release) // Alice's handler, in flight, finishes
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := wf.count("List"); n != 1 {
		t.Errorf("List called %d times, want 1 (Alice's): the waiting event was worked on", n)
	}
	select {
	case who := <-wf.entered:
		t.Errorf("%s's event was handled after the stop", who)
	default:
	}
}
