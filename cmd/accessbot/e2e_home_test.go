package main

// End-to-end tests of issue 5: the App Home is drawn when opened and
// redrawn whenever a request its viewer is involved in changes.

import (
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// openHome sends app_home_opened as p and waits for the Home tab.
func (e *e2e) openHome(p SandboxPerson) fakeslack.View {
	e.t.Helper()
	if _, err := e.sb.Slack.SendEvent(e.ctx(), map[string]any{"type": "app_home_opened", "user": p.SlackID, "channel": dm(p), "tab": "home"}); err != nil {
		e.t.Fatal(err)
	}
	return e.home(p, "Home tab drawn", func(fakeslack.View) bool { return true })
}

// home waits until p's current Home tab satisfies cond.
func (e *e2e) home(p SandboxPerson, what string, cond func(v fakeslack.View) bool) fakeslack.View {
	e.t.Helper()
	v, err := e.sb.Slack.WaitHome(e.ctx(), p.SlackID, cond)
	if err != nil {
		cur, _ := e.sb.Slack.HomeView(p.SlackID)
		e.t.Fatalf("%s's Home: %s: %v\nHome is now: %s\nSlack rejected: %+v", p.Name, what, err, oneLine(cur.Text()), e.sb.Slack.Rejections())
	}
	return v
}

// homeButton reports whether v has a button with actionID and value.
func homeButton(v fakeslack.View, actionID, value string) bool {
	for _, b := range v.Buttons() {
		if b.ActionID == actionID && b.Value == value {
			return true
		}
	}
	return false
}

// homeSection returns the text of the Home section with block id id: from
// its heading to the next divider.
func homeSection(v fakeslack.View, id string) string {
	var b strings.Builder
	in := false
	for _, bl := range v.Blocks {
		if bl["block_id"] == id {
			in = true
		} else if bl["type"] == "divider" {
			in = false
		}
		if in {
			b.WriteString(fakeslack.Message{Blocks: []map[string]any{bl}}.Text() + "\n")
		}
	}
	return b.String()
}

func TestAppHomeFollowsRequests(t *testing.T) {
	e := startE2E(t)
	e.openHome(Alice)
	bobHome := e.openHome(Bob)
	if !strings.Contains(homeSection(bobHome, bot.BlockHomeApprovals), "Nothing is waiting") || !homeButton(bobHome, bot.ActionHomeRequest, "") {
		t.Fatalf("Bob's first Home: %s", oneLine(bobHome.Text()))
	}

	// Alice asks: her Home shows the pending request with Cancel; Bob's
	// shows it waiting for his approval with Approve and Deny.
	id, _ := e.ask(Alice, "db-prod 4h INC-9 replication lag", Bob)
	e.home(Alice, "pending request with Cancel", func(v fakeslack.View) bool {
		return homeButton(v, bot.ActionCancel, id) && containsAll(homeSection(v, bot.BlockHomePending), "Production database", id) &&
			containsAll(homeSection(v, bot.BlockHomeGrants), "no access")
	})
	e.home(Bob, "request waiting for approval", func(v fakeslack.View) bool {
		sec := homeSection(v, bot.BlockHomeApprovals)
		return homeButton(v, bot.ActionApprove, id) && homeButton(v, bot.ActionDeny, id) &&
			containsAll(sec, "<@U0ALICE>", "Production database", "4h", "INC-9 replication lag")
	})

	// Bob approves from his Home: Alice's Home shows the grant with Extend
	// and Revoke, Bob's has nothing waiting any more.
	if _, err := e.sb.Slack.ClickHomeButton(e.ctx(), Bob.SlackID, bot.ActionApprove, id); err != nil {
		t.Fatal(err)
	}
	e.waitState(id, access.StateActive)
	e.home(Alice, "active grant with Extend and Revoke", func(v fakeslack.View) bool {
		return homeButton(v, bot.ActionRevoke, id) && homeButton(v, bot.ExtendActionID("1h"), id+"|1h") && !homeButton(v, bot.ActionCancel, id) &&
			containsAll(homeSection(v, bot.BlockHomeGrants), "Production database", "expires in about 4h", id)
	})
	e.home(Bob, "nothing waiting after approval", func(v fakeslack.View) bool {
		return !homeButton(v, bot.ActionApprove, id) && containsAll(homeSection(v, bot.BlockHomeApprovals), "Nothing is waiting")
	})

	// Alice asks for Grafana too and cancels from her Home.
	other, _ := e.ask(Alice, "grafana-admin 1h dashboards", Carol)
	e.home(Alice, "second request pending", func(v fakeslack.View) bool { return homeButton(v, bot.ActionCancel, other) })
	if _, err := e.sb.Slack.ClickHomeButton(e.ctx(), Alice.SlackID, bot.ActionCancel, other); err != nil {
		t.Fatal(err)
	}
	e.waitState(other, access.StateCancelled)
	e.home(Alice, "no pending request after cancel", func(v fakeslack.View) bool {
		return !homeButton(v, bot.ActionCancel, other) && containsAll(homeSection(v, bot.BlockHomePending), "no requests waiting")
	})

	// The grant expires: Alice's Home no longer shows it.
	e.advance(4 * time.Hour)
	e.waitState(id, access.StateExpired)
	e.home(Alice, "no grant after expiry", func(v fakeslack.View) bool {
		return !homeButton(v, bot.ActionRevoke, id) && containsAll(homeSection(v, bot.BlockHomeGrants), "no access")
	})

	// Carol approves Grafana but never opened her Home: none was published.
	if _, ok := e.sb.Slack.HomeView(Carol.SlackID); ok {
		t.Error("a Home was published for someone who never opened it")
	}
	e.noRejections()
}
