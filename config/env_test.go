package config

import (
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	env := envFrom(map[string]string{"A": "alpha", "B_2": "b:#{x}", "REF": "${A}"})
	tests := []struct {
		in, want string
		problems []string
	}{
		{"plain", "plain", nil},
		{"${A}", "alpha", nil},
		{"x-${A}-${B_2}-y", "x-alpha-b:#{x}-y", nil},
		{"${REF}", "${A}", nil}, // a value is never expanded again
		{"cost: $5 and $A", "cost: $5 and $A", nil},
		{"$${A}", "${A}", nil},
		{"$$${A}", "$${A}", nil},
		{"${MISSING}", "", []string{"environment variable MISSING is not set"}},
		{"${MISSING}-${ALSO}", "-", []string{"environment variable MISSING is not set", "environment variable ALSO is not set"}},
		{"${A", "", []string{`unterminated variable reference "${A": write ${NAME}`}},
		{"${}", "", []string{`"${}" is not a variable reference: write ${NAME} with letters, digits and _`}},
		{"${1A}", "", []string{`"${1A}" is not a variable reference: write ${NAME} with letters, digits and _`}},
		{"${A:-x}", "", []string{`"${A:-x}" is not a variable reference: write ${NAME} with letters, digits and _`}},
	}
	for _, tt := range tests {
		got, problems := expand(tt.in, env)
		if len(tt.problems) == 0 && got != tt.want || strings.Join(problems, "|") != strings.Join(tt.problems, "|") {
			t.Errorf("expand(%q) = %q, %q; want %q, %q", tt.in, got, problems, tt.want, tt.problems)
		}
	}
}

func TestParseExpandsVariables(t *testing.T) {
	// Secrets with YAML syntax in them must arrive unchanged: expansion works
	// on parsed values, never on the file's text.
	secret := "s3cr3t:#not-a-comment,-[x]{y}:'z'\"q\"${A}&*!|>%@`"
	env := envFrom(map[string]string{
		"APP":     "xapp-1-A1",
		"BOT":     "xoxb-1:#2",
		"OKTA":    secret,
		"ORG":     "https://acme.okta.com",
		"MIN":     "2",
		"TTL":     "2w",
		"APPROVE": "false",
		"DOMAIN":  "acme.com",
		"DESC":    "Prod: admin #1 [x] - {y}",
	})
	data := `
slack:
  app_token: ${APP}
  bot_token: "${BOT}"
okta:
  org_url: ${ORG}
  api_token: ${OKTA}
timing:
  pending_ttl: ${TTL}
resources:
  - id: a
    okta_group: g
    approvers: ["alice@${DOMAIN}", "bob@${DOMAIN}"]
    durations: [1h]
    min_approvals: ${MIN}
    extension: {requires_approval: "${APPROVE}"}
    description: ${DESC}; costs $$5, written $${NOT_A_VAR}
`
	cfg := parseValid(t, []byte(data), env)
	if cfg.Okta.APIToken != secret {
		t.Errorf("okta.api_token = %q, want the secret unchanged", cfg.Okta.APIToken)
	}
	if cfg.Slack.BotToken != "xoxb-1:#2" {
		t.Errorf("slack.bot_token = %q", cfg.Slack.BotToken)
	}
	r := cfg.Resources()[0]
	if r.MinApprovals != 2 || r.Extension.RequiresApproval || r.Approvers[1] != "bob@acme.com" {
		t.Errorf("resource = %+v, want min_approvals 2, no approval for extensions, approvers @acme.com", r)
	}
	if r.Description != "Prod: admin #1 [x] - {y}; costs $$5, written ${NOT_A_VAR}" {
		t.Errorf("description = %q", r.Description)
	}
	if got := cfg.Timing().PendingTTL.Hours(); got != 14*24 {
		t.Errorf("pending_ttl = %vh, want 2w", got)
	}
}

func TestParseUnsetVariables(t *testing.T) {
	data := configWith(map[string]string{
		"slack":  "  app_token: xapp-1\n  bot_token: ${SLACK_BOT_TOKEN}\n",
		"timing": "  check_interval: ${INTERVAL}\n  removal_alert_after: ${ALERTS}\n",
		"resources": items(
			"{id: a, okta_group: '${GROUP}', approvers: ['${APPROVER}'], durations: [1h]}",
		),
	})
	_, err := Parse(data, envFrom(nil))
	checkProblems(t, err, []Problem{
		{"slack.bot_token", "environment variable SLACK_BOT_TOKEN is not set"},
		{"resources[0].okta_group", "environment variable GROUP is not set"},
		{"resources[0].approvers[0]", "environment variable APPROVER is not set"},
		{"timing.check_interval", "environment variable INTERVAL is not set"},
		{"timing.removal_alert_after", "environment variable ALERTS is not set"},
	})
}

func TestParseNeverShowsExpandedValues(t *testing.T) {
	const secret = "hunter2-very-secret"
	env := envFrom(map[string]string{"S": secret})
	data := configWith(map[string]string{
		"slack":     "  app_token: ${S}\n  bot_token: ${S}\n  audit_channel: ${S}\n",
		"okta":      "  org_url: https://acme.okta.com\n  api_token: t\n  allow_http: ${S}\n  request_timeout: ${S}\n",
		"resources": items("{id: a, okta_group: g, approvers: [a@acme.com, '${S}'], durations: [1h], min_approvals: '${S}'}"),
	})
	_, err := Parse(data, env)
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the error shows the secret:\n%v", err)
	}
	checkProblems(t, err, []Problem{
		{"slack.app_token", "must start with xapp-: set it to the app-level token (xapp-…) used for Socket Mode"},
		{"slack.bot_token", "must start with xoxb-: set it to the bot token (xoxb-…)"},
		{"slack.audit_channel", `"${S}" (after expanding variables) is not a Slack channel id: use C or G followed by capital letters and digits, such as C0123456789`},
		{"okta.allow_http", `"${S}" (after expanding variables) is not true or false`},
		{"okta.request_timeout", `"${S}" (after expanding variables) is not a duration: use a number and a unit (s, m, h, d, w), e.g. 4h`},
		{"resources[0].approvers[1]", `"${S}" (after expanding variables) is not an email, okta_group:<Okta group id> or slack_usergroup:<Slack user group id>`},
		{"resources[0].min_approvals", `"${S}" (after expanding variables) is not a whole number`},
	})
}
