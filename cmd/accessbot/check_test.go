package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	yaml "go.yaml.in/yaml/v3"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/config"
)

// checkSandbox writes the sandbox config, changed by the replacements
// (old, new, old, new…), to a file and runs `accessbot check` on it.
func checkSandbox(t *testing.T, sb *Sandbox, replace ...string) (code int, stdout string) {
	t.Helper()
	text := sb.ConfigYAML("")
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(text, replace[i]) {
			t.Fatalf("sandbox config has no %q", replace[i])
		}
		text = strings.Replace(text, replace[i], replace[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "accessbot.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runAccessbot(t, nil, "check", "--config", path)
	if stderr != "" {
		t.Errorf("check wrote to stderr: %s", stderr)
	}
	return code, stdout
}

func newCheckSandbox(t *testing.T) *Sandbox {
	t.Helper()
	sb := NewSandbox(t.TempDir(), time.Time{})
	t.Cleanup(sb.Close)
	return sb
}

// checkHasLine reports whether some line of out starts with prefix and contains every word.
func checkHasLine(out, prefix string, words ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, prefix) && containsAll(line, words...) {
			return true
		}
	}
	return false
}

func TestCheckPassesOnTheSandbox(t *testing.T) {
	sb := newCheckSandbox(t)
	code, out := checkSandbox(t, sb)
	if code != exitOK {
		t.Fatalf("check: code %d\n%s", code, out)
	}
	for _, want := range [][]string{
		{"ok ", "slack bot token accepted", "T0FAKE"},
		{"ok ", "slack app-level token accepted"},
		{"ok ", "okta api token accepted", sb.Okta.URL()},
		{"ok ", "pagerduty api token accepted"},
		{"ok ", "okta: 2 groups and 1 app exist"},
		{"ok ", "4 of 4 approvers and admins found in Slack and Okta"},
		{"checks OK: accessbot can start"},
	} {
		if !checkHasLine(out, want[0], want[1:]...) {
			t.Errorf("check output lacks a line %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FATAL") || strings.Contains(out, "WARNING") {
		t.Errorf("problems on the sandbox:\n%s", out)
	}
	// Nothing was written anywhere.
	if w := sb.Okta.Writes(); len(w) > 0 {
		t.Errorf("check wrote to Okta: %+v", w)
	}
	if n := len(sb.Slack.MessageLog()); n > 0 {
		t.Errorf("check posted %d Slack messages", n)
	}
}

func TestCheckReportsEachProblem(t *testing.T) {
	tests := []struct {
		name    string
		replace []string
		code    int
		line    []string // prefix, then words
	}{
		{"bad slack bot token", []string{"bot_token: xoxb-fake", "bot_token: xoxb-wrong"}, exitFailed,
			[]string{"FATAL", "slack bot token: Slack refused it", "invalid_auth", "slack.bot_token"}},
		{"bad slack app token", []string{"app_token: xapp-fake", "app_token: xapp-wrong"}, exitFailed,
			[]string{"FATAL", "slack app-level token: Slack refused it", "invalid_auth", "connections:write"}},
		{"bad okta token", []string{"api_token: okta-fake-token", "api_token: okta-wrong"}, exitFailed,
			[]string{"FATAL", "okta api token: Okta refused it", "okta.api_token"}},
		{"bad pagerduty token", []string{"api_token: pd-fake-token", "api_token: pd-wrong"}, exitFailed,
			[]string{"FATAL", "pagerduty api token: PagerDuty refused it", "pagerduty.api_token"}},
		{"unknown approver email", []string{"okta_group: " + SandboxGroupDB + "\n    approvers: [bob@example.com, carol@example.com]", "okta_group: " + SandboxGroupDB + "\n    approvers: [bob@example.com, carol@example.com, zed@example.com]"}, exitOK,
			[]string{"WARNING", "zed@example.com (approver of db-prod): not in Slack"}},
		{"approver only missing in okta is named too", []string{"okta_group: " + SandboxGroupDB + "\n    approvers: [bob@example.com, carol@example.com]", "okta_group: " + SandboxGroupDB + "\n    approvers: [bob@example.com, carol@example.com, zed@example.com]"}, exitOK,
			[]string{"WARNING", "zed@example.com (approver of db-prod): not in Okta"}},
		{"unknown admin", []string{"admins: [erin@example.com]", "admins: [erin@example.com, root@example.com]"}, exitOK,
			[]string{"WARNING", "root@example.com (admin): not in Slack"}},
		{"missing group", []string{"okta_group: " + SandboxGroupDB, "okta_group: 00gmissing"}, exitFailed,
			[]string{"FATAL", "okta group 00gmissing (resource db-prod): Okta has no group with this id"}},
		{"missing app", []string{"okta_app: " + SandboxAppGrafana, "okta_app: 0oamissing"}, exitFailed,
			[]string{"FATAL", "okta app 0oamissing (resource grafana-admin): Okta has no app with this id"}},
		{"no approver of a resource in slack", []string{"okta_group: " + SandboxGroupDB + "\n    approvers: [bob@example.com, carol@example.com]", "okta_group: " + SandboxGroupDB + "\n    approvers: [yan@example.com, zed@example.com]"}, exitFailed,
			[]string{"FATAL", "resource db-prod: none of its approvers (yan@example.com, zed@example.com) is in Slack"}},
		{"too few approvers for min_approvals", []string{"approvers: [bob@example.com, carol@example.com]\n    policy: standard\n    min_approvals: 2", "approvers: [bob@example.com, zed@example.com]\n    policy: standard\n    min_approvals: 2"}, exitFailed,
			[]string{"FATAL", "resource grafana-admin: only 1 of its approvers are in Slack, and it needs 2 approvals"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := newCheckSandbox(t)
			code, out := checkSandbox(t, sb, tt.replace...)
			if code != tt.code {
				t.Errorf("code %d, want %d", code, tt.code)
			}
			if !checkHasLine(out, tt.line[0], tt.line[1:]...) {
				t.Errorf("no line %q in:\n%s", tt.line, out)
			}
			if tt.code == exitFailed && !strings.Contains(out, "checks failed") {
				t.Errorf("no failure summary:\n%s", out)
			}
			for _, token := range []string{"xoxb-fake", "xoxb-wrong", "xapp-fake", "xapp-wrong", "okta-fake-token", "okta-wrong", "pd-fake-token", "pd-wrong"} {
				if strings.Contains(out, token) {
					t.Errorf("the report shows a token (%s):\n%s", token, out)
				}
			}
		})
	}
}

// A token that is refused skips the checks that need it, rather than
// reporting every approver and group as a failure too.
func TestCheckSkipsWhatABadTokenCannotCheck(t *testing.T) {
	sb := newCheckSandbox(t)
	code, out := checkSandbox(t, sb, "api_token: okta-fake-token", "api_token: okta-wrong",
		"okta_group: "+SandboxGroupDB, "okta_group: 00gmissing")
	if code != exitFailed {
		t.Fatalf("code %d", code)
	}
	if n := strings.Count(out, "FATAL"); n != 1 || strings.Contains(out, "00gmissing") || strings.Contains(out, "not in Okta") {
		t.Errorf("want only the token problem:\n%s", out)
	}
	if !checkHasLine(out, "ok ", "approvers and admins found in Slack") {
		t.Errorf("the Slack checks did not run:\n%s", out)
	}
}

// `accessbot check` is strict about a service it cannot reach; `run` only warns.
func TestCheckUnreachableOkta(t *testing.T) {
	sb := newCheckSandbox(t)
	sb.Okta.Down(true)
	code, out := checkSandbox(t, sb)
	if code != exitFailed || !checkHasLine(out, "FATAL", "okta api token: could not reach Okta at "+sb.Okta.URL()) {
		t.Fatalf("check with Okta down: code %d\n%s", code, out)
	}

	cfg, err := sb.Config("")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m := NewMain(cfg, zerolog.New(logs))
	if err := m.startupChecks(context.Background()); err != nil {
		t.Fatalf("start-up checks with Okta down: %v (want a warning only)", err)
	}
	if !strings.Contains(logs.String(), `"level":"warn","component":"checks","check":"okta api token","fatal":false,"message":"could not reach Okta`) {
		t.Errorf("no warning logged:\n%s", logs)
	}
}

// Main refuses to start on a fatal problem, names it, and starts anyway with SkipChecks.
func TestRunRefusesToStartOnFatalProblems(t *testing.T) {
	sb := newCheckSandbox(t)
	cfg, err := config.Parse([]byte(strings.Replace(sb.ConfigYAML(""), "okta_group: "+SandboxGroupDB, "okta_group: 00gmissing", 1)),
		func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m := NewMain(cfg, zerolog.New(logs))
	m.Now = sb.Clock.Now
	err = m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "start-up checks found 1 fatal problem") || !strings.Contains(err.Error(), "00gmissing") {
		t.Fatalf("Run = %v", err)
	}
	if !strings.Contains(logs.String(), `"check":"okta group 00gmissing (resource db-prod)"`) {
		t.Errorf("the problem was not logged:\n%s", logs)
	}
	if sb.Slack.Connected() || len(sb.Slack.Calls("apps.connections.open")) > 0 {
		t.Error("the bot connected to Slack although it refused to start")
	}

	m = NewMain(cfg, zerolog.Nop())
	m.Now = sb.Clock.Now
	m.SkipChecks = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.Started():
	case err := <-done:
		t.Fatalf("Run with SkipChecks = %v", err)
	case <-time.After(wait):
		t.Fatal("Run with SkipChecks did not start")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run with SkipChecks stopped with %v", err)
	}
	m.Close()
}

func TestRunSkipChecksFlag(t *testing.T) {
	sb := newCheckSandbox(t)
	path := filepath.Join(t.TempDir(), "accessbot.yaml")
	text := strings.Replace(sb.ConfigYAML(""), "okta_group: "+SandboxGroupDB, "okta_group: 00gmissing", 1)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runAccessbot(t, nil, "run", "--config", path)
	if code != exitFailed || !strings.Contains(stderr, "00gmissing") || !strings.Contains(stderr, "--skip-checks") {
		t.Fatalf("run with a missing group: code %d\n%s", code, stderr)
	}
}

// checkStubSlack answers the Slack checks from memory.
type checkStubSlack struct {
	info  bot.TokenInfo
	users map[string]bool
}

func (s checkStubSlack) CheckToken(context.Context) (bot.TokenInfo, error) { return s.info, nil }
func (s checkStubSlack) CheckAppToken(context.Context) error               { return nil }
func (s checkStubSlack) UserByEmail(_ context.Context, email string) (access.User, error) {
	if s.users[email] {
		return access.User{Email: email}, nil
	}
	return access.User{}, access.Errorf(access.ENOTFOUND, "No Slack user has the email %s.", email)
}

// checkStubOkta answers the Okta checks from memory; err, when set, answers every call.
type checkStubOkta struct{ err error }

func (s checkStubOkta) CheckToken(context.Context) error         { return nil }
func (s checkStubOkta) CheckUser(context.Context, string) error  { return s.err }
func (s checkStubOkta) CheckGroup(context.Context, string) error { return s.err }
func (s checkStubOkta) CheckApp(context.Context, string) error   { return s.err }

func checkSandboxEmails() map[string]bool {
	out := map[string]bool{}
	for _, p := range SandboxPeople {
		out[p.Email] = true
	}
	return out
}

func TestCheckScopesAndForbiddenTargets(t *testing.T) {
	sb := newCheckSandbox(t)
	cfg, err := sb.Config("")
	if err != nil {
		t.Fatal(err)
	}
	c := checker{
		cfg:   cfg,
		slack: checkStubSlack{info: bot.TokenInfo{TeamID: "T1", Scopes: []string{"commands", "chat:write", "im:write", "users:read"}}, users: checkSandboxEmails()},
		okta:  checkStubOkta{err: &access.Error{Code: access.EFORBIDDEN, Err: errors.New("okta: get group: HTTP 403 E0000006")}},
	}
	rep := c.run(context.Background())
	var lines []string
	for _, p := range rep.Problems {
		lines = append(lines, p.String())
	}
	out := strings.Join(lines, "\n")
	if !checkHasLine(out, "FATAL", "slack bot token: lacks the scope(s) users:read.email") {
		t.Errorf("no missing-scope problem:\n%s", out)
	}
	if !checkHasLine(out, "FATAL", "okta group "+SandboxGroupDB, "may not read this group", "E0000006") {
		t.Errorf("no forbidden-group problem:\n%s", out)
	}
	if checkHasLine(out, "FATAL    resource ") {
		t.Errorf("approvers in Slack but not readable in Okta made a resource fatal:\n%s", out)
	}
}

// The Slack app manifest asks for what the bot uses: its commands, its
// shortcut, interactivity, the Home tab's event, Socket Mode, and exactly
// the scopes the start-up checks require.
func TestSlackManifestMatchesTheBot(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "slack-app-manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			AppHome struct {
				Home     bool `yaml:"home_tab_enabled"`
				Messages bool `yaml:"messages_tab_enabled"`
			} `yaml:"app_home"`
			Shortcuts []struct {
				Type       string `yaml:"type"`
				CallbackID string `yaml:"callback_id"`
			} `yaml:"shortcuts"`
			SlashCommands []struct {
				Command string `yaml:"command"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(false)
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	var commands []string
	for _, c := range m.Features.SlashCommands {
		commands = append(commands, c.Command)
	}
	if strings.Join(commands, " ") != "/access "+bot.CommandBreakGlass {
		t.Errorf("slash commands %v", commands)
	}
	if len(m.Features.Shortcuts) != 1 || m.Features.Shortcuts[0].CallbackID != bot.CallbackRequest || m.Features.Shortcuts[0].Type != "global" {
		t.Errorf("shortcuts %+v, want the global %q", m.Features.Shortcuts, bot.CallbackRequest)
	}
	if strings.Join(m.OAuth.Scopes.Bot, " ") != strings.Join(bot.RequiredScopes, " ") {
		t.Errorf("bot scopes %v, want %v", m.OAuth.Scopes.Bot, bot.RequiredScopes)
	}
	if strings.Join(m.Settings.Events.Bot, " ") != "app_home_opened" {
		t.Errorf("bot events %v", m.Settings.Events.Bot)
	}
	if !m.Settings.SocketMode || !m.Settings.Interactivity.Enabled || !m.Features.AppHome.Home || !m.Features.AppHome.Messages {
		t.Errorf("socket mode, interactivity, home tab and messages tab must be on: %+v", m)
	}
}
