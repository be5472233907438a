package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Connection loss (issue #6): the bot reconnects on its own after Slack
// asks it to, after the websocket drops and while apps.connections.open
// fails; a refused app-level token stops it instead of looping.

func TestReconnectsOnItsOwn(t *testing.T) {
	e := startE2E(t)
	slack := e.sb.Slack
	cases := []struct {
		name string
		cut  func()
	}{
		{"disconnect frame", func() { slack.Disconnect("refresh_requested") }},
		{"websocket dropped", slack.DropConnections},
		{"apps.connections.open failing for a while", func() {
			slack.FailConnectionsOpen(3, "") // HTTP 500 three times
			slack.DropConnections()
		}},
		{"apps.connections.open rate limited", func() {
			slack.FailConnectionsOpen(2, "ratelimited")
			slack.DropConnections()
		}},
	}
	for _, tc := range cases {
		before := slack.ConnectionCount()
		tc.cut()
		if err := slack.WaitConnectionCount(e.ctx(), before+1); err != nil {
			t.Fatalf("%s: no reconnection: %v", tc.name, err)
		}
		// The next command is handled.
		mark := slack.Mark()
		e.slash(Alice, "/access", "list")
		e.reply(mark, Alice, "waiting for your approval")
	}
	opens := slack.Calls("apps.connections.open")
	failed := 0
	for _, c := range opens {
		if c.Status != 200 || c.Error != "" {
			failed++
		}
	}
	if failed != 5 {
		t.Fatalf("%d failed apps.connections.open calls, want 5", failed)
	}
	e.waitFor("the retries logged", func() bool { return strings.Contains(e.logs.String(), "slack connection failed; retrying") })
	// A request filed across the reconnections goes through.
	mark := slack.Mark()
	e.slash(Alice, "/access", "request db-prod 1h INC-20 after the reconnects")
	_, id := e.approvalDM(mark, Bob)
	e.wantTrail(id, access.EventRequested)
	e.noRejections()
}

func TestRefusedAppTokenStopsMain(t *testing.T) {
	for _, code := range []string{"invalid_auth", "token_revoked"} {
		t.Run(code, func(t *testing.T) {
			e := startE2E(t)
			e.sb.Slack.FailConnectionsOpen(1, code)
			e.sb.Slack.DropConnections()
			var err error
			select {
			case err = <-e.done:
			case <-time.After(wait):
				t.Fatal("Main.Run did not stop on a refused app-level token")
			}
			e.cancel() // Run is over; nothing left for the clean-up to stop
			e.cancel = nil
			if access.ErrorCode(err) != access.EUNAUTHORIZED || !containsAll(err.Error(), "app-level token ("+code+")", "slack.app_token") {
				t.Fatalf("Main.Run returned %v", err)
			}
			if n := len(e.sb.Slack.Calls("apps.connections.open")); n != 2 {
				t.Fatalf("apps.connections.open called %d times: it must not loop", n)
			}
		})
	}
}

// `accessbot run` with an app-level token Slack refuses exits 1 at once,
// with one clear error line, instead of retrying for ever.
func TestRunExitsOnRefusedAppToken(t *testing.T) {
	sb := NewSandbox(t.TempDir(), time.Time{})
	defer sb.Close()
	path := filepath.Join(sb.Dir, "accessbot.yaml")
	if err := os.WriteFile(path, []byte(sb.ConfigYAML("")), 0o600); err != nil {
		t.Fatal(err)
	}
	sb.Slack.FailConnectionsOpen(1, "invalid_auth")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var stdout, stderr syncBuffer
	code := Command(ctx, []string{"run", "--config", path}, &stdout, &stderr, func(string) string { return "" })
	if ctx.Err() != nil {
		t.Fatal("accessbot run kept retrying a refused token")
	}
	if code != exitFailed {
		t.Fatalf("exit code %d, want %d\n%s", code, exitFailed, stderr.String())
	}
	var last string
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if strings.Contains(l, `"level":"error"`) {
			last = l
		}
	}
	if !containsAll(last, "accessbot stopped", "slack refused the app-level token (invalid_auth)", "check slack.app_token") {
		t.Fatalf("no clear error line; stderr:\n%s", stderr.String())
	}
	if bytes.Contains([]byte(stderr.String()), []byte(sb.Slack.AppToken())) {
		t.Fatal("the log shows the app token")
	}
}
