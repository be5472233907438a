package crash

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGHUPReloads sends the real SIGHUP to the binary: a resource added
// to the file becomes requestable on the same Socket Mode connection, and
// a file with a problem is refused with the problem logged while the bot
// keeps running on the config it had.
func TestSIGHUPReloads(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary; skipped with -short")
	}
	alice, ann := newPerson("alice"), newPerson("ann")
	w := newWorld(t, worldOptions{
		requesters: []person{alice}, approvers: []person{ann}, resources: []resource{{id: "first", group: "00gfirst"}},
		durations: "[1h]", maxDur: "1h", reminders: "[]", oktaOpts: "  request_timeout: 10s\n",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := w.start()
	if err := w.waitConnected(ctx, 0, p); err != nil {
		t.Fatal(err)
	}
	connections := w.slack.ConnectionCount()

	added := resource{id: "added-by-hup", group: "00gaddedbyhup"}
	w.okta.AddGroup(added.group, "added by hup")
	text, err := os.ReadFile(w.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	good := string(text) + "  - id: " + added.id + "\n    okta_group: " + added.group + "\n    approvers: [" + ann.email + "]\n    policy: short\n"
	if err := os.WriteFile(w.cfgPath, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !pollUntil(ctx, 10*time.Second, func() bool { return w.logCount(`"message":"config reloaded"`) == 1 }) {
		t.Fatalf("no reload logged after SIGHUP\n%s", w.logTail(20))
	}
	w.grant(ctx, alice, ann, added, "1h")
	if !pollUntil(ctx, 10*time.Second, func() bool { return w.okta.IsMember(added.group, alice.oktaID) }) {
		t.Fatalf("the resource added by the reload was not granted\n%s", w.logTail(20))
	}

	bad := good + "  - id: broken\n    okta_group: 00gbroken\n    approvers: [nobody]\n    policy: short\n"
	if err := os.WriteFile(w.cfgPath, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !pollUntil(ctx, 10*time.Second, func() bool { return w.logCount("the running config is kept") == 1 }) {
		t.Fatalf("no refusal logged after SIGHUP with a bad file\n%s", w.logTail(20))
	}
	if !strings.Contains(w.logAbout("reload refused: config problem"), "resources[2].approvers[0]") {
		t.Errorf("the problem's key path is not logged:\n%s", w.logAbout("reload refused"))
	}
	if p.exited() || w.slack.ConnectionCount() != connections || !w.slack.Connected() {
		t.Fatalf("the bot exited or reconnected on SIGHUP (connections %d, want %d)", w.slack.ConnectionCount(), connections)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, err := p.wait(20 * time.Second); err != nil || code != 0 {
		t.Fatalf("SIGTERM: exit code %d, %v", code, err)
	}
}
