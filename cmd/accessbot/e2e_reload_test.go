package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/config"
)

// startReloadable starts accessbot from a config file that writeConfig
// rewrites and Main.Reload re-reads, as SIGHUP makes it do. setup, if
// any, prepares the stand-ins before the bot starts.
func startReloadable(t *testing.T, extra string, setup ...func(*Sandbox)) *e2e {
	t.Helper()
	sb := NewSandbox(t.TempDir(), time.Time{})
	t.Cleanup(sb.Close)
	for _, f := range setup {
		f(sb)
	}
	e := &e2e{t: t, sb: sb, logs: &syncBuffer{}, configPath: filepath.Join(sb.Dir, "accessbot.yaml")}
	e.writeConfig(extra)
	cfg, err := config.Load(e.configPath, func(string) string { return "" })
	if err != nil {
		t.Fatalf("sandbox config: %v", err)
	}
	e.cfg = cfg
	return launched(e)
}

// writeConfig writes the sandbox config with extra after its resources.
func (e *e2e) writeConfig(extra string) {
	e.t.Helper()
	if err := os.WriteFile(e.configPath, []byte(e.sb.ConfigYAML(extra)), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// systemEvents returns the audit events of type typ that concern no request.
func (e *e2e) systemEvents(typ access.EventType) []access.Event {
	e.t.Helper()
	evs, err := e.m.Store().Events(context.Background(), access.EventFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []access.Event
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// grantAndApprove files `/access request` as Alice for resource and has Bob
// approve it; it returns the request id once the grant is active.
func (e *e2e) grantAndApprove(resource string) string {
	e.t.Helper()
	id, msg := e.ask(Alice, resource+" 1h reload test", Bob)
	e.click(Bob, msg, "approve")
	e.waitState(id, access.StateActive)
	return id
}

const sandboxGroupNew = "00gnewrole"

// A reload that adds a resource and removes one: the new one is requestable
// at once on the same Socket Mode connection; the removed one's active
// grant still ends on time, removed from its recorded group.
func TestReloadValidChange(t *testing.T) {
	e := startReloadable(t, "")
	okta := e.sb.Okta
	okta.AddGroup(sandboxGroupNew, "New role")
	held := e.grantAndApprove("db-prod")
	if !okta.IsMember(SandboxGroupDB, Alice.OktaID) {
		t.Fatal("db-prod was not granted in Okta")
	}
	connections := e.sb.Slack.ConnectionCount()

	// db-prod leaves the config; new-role arrives; Carol no longer approves grafana.
	text := e.sb.ConfigYAML("  - id: new-role\n    okta_group: " + sandboxGroupNew + "\n    approvers: [bob@example.com]\n    policy: standard\n")
	text = strings.Replace(text, "  - id: db-prod\n    name: Production database\n    okta_group: "+SandboxGroupDB+"\n    approvers: [bob@example.com, carol@example.com]\n    policy: standard\n", "", 1)
	text = strings.Replace(text, "approvers: [bob@example.com, carol@example.com]\n    policy: standard\n    min_approvals: 2", "approvers: [bob@example.com, carol@example.com, dave@example.com]\n    policy: standard\n    min_approvals: 2", 1)
	if err := os.WriteFile(e.configPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Reload(e.ctx()); err != nil {
		t.Fatalf("reload: %v", err)
	}

	reloads := e.systemEvents(access.EventConfigReloaded)
	if len(reloads) != 1 {
		t.Fatalf("%d config_reloaded events, want 1", len(reloads))
	}
	d := reloads[0].Details
	if d["added"] != "new-role" || d["removed"] != "db-prod" || d["approvers_changed"] != "grafana-admin" || d["repointed"] != "" {
		t.Errorf("reload summary = %v, want new-role added, db-prod removed, grafana-admin's approvers changed", d)
	}

	fresh := e.grantAndApprove("new-role")
	if !okta.IsMember(sandboxGroupNew, Alice.OktaID) {
		t.Fatal("new-role was not granted in Okta")
	}
	mark := e.sb.Slack.Mark()
	e.slash(Carol, "/access", "request db-prod 1h after the reload")
	e.reply(mark, Carol, `no resource "db-prod"`, "new-role")
	if got := e.sb.Slack.ConnectionCount(); got != connections || !e.sb.Slack.Connected() {
		t.Errorf("Socket Mode connections = %d (connected %t), want still the one of before the reload (%d)", got, e.sb.Slack.Connected(), connections)
	}

	e.advance(time.Hour + time.Second)
	e.waitState(held, access.StateExpired)
	e.waitState(fresh, access.StateExpired)
	if okta.IsMember(SandboxGroupDB, Alice.OktaID) || okta.IsMember(sandboxGroupNew, Alice.OktaID) {
		t.Error("a grant outlived its expiry in Okta")
	}
	if n := okta.GroupRemovals(SandboxGroupDB, Alice.OktaID); n != 1 {
		t.Errorf("removals from the removed resource's group = %d, want 1", n)
	}
}

// An invalid file is refused: every problem logged and audited, the
// running config kept.
func TestReloadInvalidKeepsConfig(t *testing.T) {
	e := startReloadable(t, "")
	e.writeConfig("  - id: broken\n    okta_group: 00gbroken\n    approvers: [not-an-email]\n    durations: [1h]\n    colour: blue\n")
	err := e.m.Reload(e.ctx())
	if err == nil {
		t.Fatal("reload of an invalid file succeeded")
	}
	refused := e.systemEvents(access.EventConfigRefused)
	if len(refused) != 1 {
		t.Fatalf("%d config_refused events, want 1", len(refused))
	}
	d := refused[0].Details
	if d["problems"] != "2" || !strings.Contains(d["problem_1"]+d["problem_2"], "resources[3].colour: unknown key") ||
		!strings.Contains(d["problem_1"]+d["problem_2"], "resources[3].approvers[0]") {
		t.Errorf("refusal details = %v, want both problems with their key paths", d)
	}
	for _, want := range []string{"resources[3].colour", "resources[3].approvers[0]", "the running config is kept"} {
		if !strings.Contains(e.logs.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if len(e.systemEvents(access.EventConfigReloaded)) != 0 {
		t.Error("an invalid file was recorded as reloaded")
	}
	if _, err := e.m.Workflow().Catalog().Get("broken"); err == nil {
		t.Error("a resource of the refused file became requestable")
	}
	// The old config still serves requests.
	e.grantAndApprove("db-prod")
}
