package crash

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
	"github.com/accessbot/accessbot/store"
)

// TestGracefulShutdown sends SIGTERM to the binary while a removal is in
// flight against a slow Okta: the bot stops taking envelopes, lets the
// removal finish, closes the store and exits 0. Then, with Okta refusing
// connections, a removal that cannot finish before SIGTERM stays recorded
// as pending, and the next start completes it.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary; skipped with -short")
	}
	alice, ann := newPerson("alice"), newPerson("ann")
	res := resource{id: "short-lived", group: "00gshort"}
	w := newWorld(t, worldOptions{
		requesters: []person{alice}, approvers: []person{ann}, resources: []resource{res},
		durations: "[2s]", maxDur: "2s", reminders: "[]", oktaOpts: "  request_timeout: 10s\n",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := w.start()
	if err := w.waitConnected(ctx, 0, p); err != nil {
		t.Fatal(err)
	}

	// A removal in flight: Okta holds the DELETE for 2.5 s.
	id := w.grant(ctx, alice, ann, res, "2s")
	w.okta.FailNext("DELETE", "/api/v1/groups/", fakeokta.Fault{Delay: 2500 * time.Millisecond})
	if !pollUntil(ctx, 10*time.Second, func() bool { return w.deletes.Load() >= 1 }) {
		t.Fatal("the removal never reached Okta")
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// It stops taking envelopes at once, while the removal is still running.
	if !pollUntil(ctx, 1500*time.Millisecond, func() bool { return !w.slack.Connected() }) {
		t.Fatal("still connected to Slack after SIGTERM")
	}
	if p.exited() {
		t.Fatal("exited before the removal in flight finished")
	}
	sctx, scancel := context.WithTimeout(ctx, 500*time.Millisecond)
	_, err := w.slack.SlashCommand(sctx, alice.slackID, "/access", "list", "C0GENERAL")
	scancel()
	if err == nil {
		t.Error("a slash command sent after SIGTERM was acknowledged")
	}
	if code, err := p.wait(20 * time.Second); err != nil || code != 0 {
		t.Fatalf("SIGTERM: exit code %d, %v\n%s", code, err, w.logTail(20))
	}
	if w.okta.IsMember(res.group, alice.oktaID) || w.okta.GroupRemovals(res.group, alice.oktaID) != 1 {
		t.Fatal("the removal in flight did not finish before the exit")
	}
	r := openAndGet(t, w, id)
	if r.State != access.StateExpired {
		t.Fatalf("after a graceful stop the grant is %s, want expired", r.State)
	}
	// The audit file a log shipper tails has what the finished work recorded.
	if !w.audited(id, access.EventExpired) {
		t.Error("the JSON-lines audit file lacks the expiry recorded while stopping")
	}

	// A removal that cannot finish: Okta refuses connections.
	p = w.start()
	if err := w.waitConnected(ctx, w.slack.ConnectionCount(), p); err != nil {
		t.Fatal(err)
	}
	id = w.grant(ctx, alice, ann, res, "2s")
	w.okta.Down(true)
	if !pollUntil(ctx, 15*time.Second, func() bool { return w.audited(id, access.EventRemovalFailed) }) {
		t.Fatalf("no failed removal audited\n%s", w.logTail(20))
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, err := p.wait(20 * time.Second); err != nil || code != 0 {
		t.Fatalf("SIGTERM: exit code %d, %v\n%s", code, err, w.logTail(20))
	}
	r = openAndGet(t, w, id)
	if r.State != access.StateActive || r.Grant.Removal == nil || r.Grant.Removal.Retry.Attempts < 1 {
		t.Fatalf("an unfinished removal must stay recorded as pending: state %s, removal %+v", r.State, r.Grant.Removal)
	}
	if !w.okta.IsMember(res.group, alice.oktaID) {
		t.Fatal("Okta was down, yet the membership is gone")
	}

	// The next start resumes it.
	w.okta.Down(false)
	p = w.start()
	if !pollUntil(ctx, 15*time.Second, func() bool { return !w.okta.IsMember(res.group, alice.oktaID) }) {
		t.Fatalf("the restarted bot did not finish the removal\n%s", w.logTail(20))
	}
	if !pollUntil(ctx, 5*time.Second, func() bool { return w.audited(id, access.EventExpired) }) {
		t.Fatal("expiry not audited")
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, err := p.wait(20 * time.Second); err != nil || code != 0 {
		t.Fatalf("SIGTERM: exit code %d, %v", code, err)
	}
	if r := openAndGet(t, w, id); r.State != access.StateExpired {
		t.Fatalf("after the restart the grant is %s, want expired", r.State)
	}
	for _, path := range []string{w.storePath, w.auditPath} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", path, fi.Mode().Perm(), err)
		}
	}
}

// grant asks for res as p, has approver approve it in their DM, waits for
// the Okta membership and returns the request id.
func (w *world) grant(ctx context.Context, p, approver person, res resource, dur string) string {
	w.t.Helper()
	mark := w.slack.Mark()
	if _, err := w.slack.SlashCommand(ctx, p.slackID, "/access", "request "+res.id+" "+dur+" shutdown test", "C0GENERAL"); err != nil {
		w.t.Fatal(err)
	}
	msg, err := w.slack.WaitMessageAfter(ctx, mark, func(m fakeslack.Message) bool {
		_, ok := m.Button(bot.ActionApprove)
		return m.Channel == approver.dm() && ok
	})
	if err != nil {
		w.t.Fatalf("no approval DM: %v\n%s", err, w.logTail(20))
	}
	b, _ := msg.Button(bot.ActionApprove)
	if _, err := w.slack.ClickButton(ctx, approver.slackID, msg, bot.ActionApprove); err != nil {
		w.t.Fatal(err)
	}
	if !pollUntil(ctx, 10*time.Second, func() bool { return w.okta.IsMember(res.group, p.oktaID) }) {
		w.t.Fatalf("not granted\n%s", w.logTail(20))
	}
	return b.Value
}

// audited reports whether the JSON-lines audit mirror holds an event of typ
// about request id. The mirror is a plain file, readable while the bot runs.
func (w *world) audited(id string, typ access.EventType) bool {
	data, err := os.ReadFile(w.auditPath)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		var e access.Event
		if json.Unmarshal([]byte(line), &e) == nil && e.RequestID == id && e.Type == typ {
			return true
		}
	}
	return false
}

// openAndGet opens the store after the bot stopped — at once: a clean stop
// released the file lock — and returns request id.
func openAndGet(t *testing.T, w *world, id string) *access.Request {
	t.Helper()
	st, err := store.Open(w.storePath, store.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("store still locked after the bot stopped: %v", err)
	}
	defer st.Close()
	r, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
