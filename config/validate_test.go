package config

import (
	"strings"
	"testing"
)

// items renders flow mappings as the items of a block list, one per line.
func items(maps ...string) string {
	var b strings.Builder
	for _, m := range maps {
		b.WriteString("  - " + m + "\n")
	}
	return b.String()
}

// A valid resource, to combine with one under test.
const okRes = "{id: ok, okta_group: 00g9, approvers: [alice@acme.com, bob@acme.com], durations: [1h]}"

func TestRules(t *testing.T) {
	tests := []struct {
		name string
		with map[string]string
		want []Problem
	}{
		// slack
		{"app token missing", map[string]string{"slack": "  bot_token: xoxb-1\n"},
			[]Problem{{"slack.app_token", "missing: set it to the app-level token (xapp-…) used for Socket Mode"}}},
		{"app token prefix", map[string]string{"slack": "  app_token: abc\n  bot_token: xoxb-1\n"},
			[]Problem{{"slack.app_token", "must start with xapp-: set it to the app-level token (xapp-…) used for Socket Mode"}}},
		{"bot token as app token", map[string]string{"slack": "  app_token: xoxb-1\n  bot_token: xoxb-1\n"},
			[]Problem{{"slack.app_token", "this is a bot token (xoxb-…); it must be the app-level token (xapp-…) used for Socket Mode"}}},
		{"bot token missing", map[string]string{"slack": "  app_token: xapp-1\n"},
			[]Problem{{"slack.bot_token", "missing: set it to the bot token (xoxb-…)"}}},
		{"bot token prefix", map[string]string{"slack": "  app_token: xapp-1\n  bot_token: xoxp-1\n"},
			[]Problem{{"slack.bot_token", "this is a user token (xoxp-…); it must be the bot token (xoxb-…)"}}},
		{"token with a line break", map[string]string{"slack": "  app_token: xapp-1\n  bot_token: \"xoxb-1\\n\"\n"},
			[]Problem{{"slack.bot_token", "contains spaces or line breaks; check how the token was copied"}}},
		{"slack api url", map[string]string{"slack": "  app_token: xapp-1\n  bot_token: xoxb-1\n  api_url: slack.com/api\n"},
			[]Problem{{"slack.api_url", `"slack.com/api" is not an http or https URL such as https://slack.com/api/`}}},
		{"slack api url http", map[string]string{"slack": "  app_token: xapp-1\n  bot_token: xoxb-1\n  api_url: http://slack.example.com/api/\n"},
			[]Problem{{"slack.api_url", "must use https (set slack.allow_http: true only for a local test server)"}}},
		{"slack allow_http is not okta's", map[string]string{
			"slack": "  app_token: xapp-1\n  bot_token: xoxb-1\n  api_url: http://127.0.0.1:4000/api/\n",
			"okta":  "  org_url: https://acme.okta.com\n  api_token: t\n  allow_http: true\n"},
			[]Problem{{"slack.api_url", "must use https (set slack.allow_http: true only for a local test server)"}}},
		{"audit channel name", map[string]string{"slack": "  app_token: xapp-1\n  bot_token: xoxb-1\n  audit_channel: \"#audit\"\n"},
			[]Problem{{"slack.audit_channel", "use the channel's id (such as C0123456789, shown in the channel's details), not its name"}}},
		{"audit channel id", map[string]string{"slack": "  app_token: xapp-1\n  bot_token: xoxb-1\n  audit_channel: c0123abc\n"},
			[]Problem{{"slack.audit_channel", `"c0123abc" is not a Slack channel id: use C or G followed by capital letters and digits, such as C0123456789`}}},
		{"no slack section", map[string]string{"slack": "-"}, []Problem{
			{"slack.app_token", "missing: set it to the app-level token (xapp-…) used for Socket Mode"},
			{"slack.bot_token", "missing: set it to the bot token (xoxb-…)"},
		}},

		// okta
		{"org url missing", map[string]string{"okta": "  api_token: t\n"},
			[]Problem{{"okta.org_url", "missing: set it to your Okta org's URL, such as https://acme.okta.com"}}},
		{"org url not a url", map[string]string{"okta": "  org_url: acme.okta.com\n  api_token: t\n"},
			[]Problem{{"okta.org_url", `"acme.okta.com" is not a URL such as https://acme.okta.com`}}},
		{"org url http", map[string]string{"okta": "  org_url: http://127.0.0.1:8080\n  api_token: t\n"},
			[]Problem{{"okta.org_url", "must use https (set okta.allow_http: true only for a local test server)"}}},
		{"org url admin", map[string]string{"okta": "  org_url: https://acme-admin.okta.com\n  api_token: t\n"},
			[]Problem{{"okta.org_url", "this is the admin console's URL; use the org URL, without -admin"}}},
		{"org url path", map[string]string{"okta": "  org_url: https://acme.okta.com/api/v1\n  api_token: t\n"},
			[]Problem{{"okta.org_url", "must be the org's base URL, such as https://acme.okta.com, with no path"}}},
		{"okta token missing", map[string]string{"okta": "  org_url: https://acme.okta.com\n"},
			[]Problem{{"okta.api_token", "missing"}}},

		// pagerduty
		{"pagerduty token missing", map[string]string{"pagerduty": "  api_url: https://api.eu.pagerduty.com\n"},
			[]Problem{{"pagerduty.api_token", "missing"}}},
		{"pagerduty api url", map[string]string{"pagerduty": "  api_token: t\n  api_url: \"https://\"\n"},
			[]Problem{{"pagerduty.api_url", `"https://" is not an http or https URL such as https://api.pagerduty.com`}}},
		{"pagerduty api url http", map[string]string{"pagerduty": "  api_token: t\n  api_url: http://127.0.0.1:5000\n"},
			[]Problem{{"pagerduty.api_url", "must use https (set pagerduty.allow_http: true only for a local test server)"}}},
		{"pagerduty allow_http is not slack's", map[string]string{
			"slack":     "  app_token: xapp-1\n  bot_token: xoxb-1\n  allow_http: true\n",
			"pagerduty": "  api_token: t\n  api_url: http://127.0.0.1:5000\n"},
			[]Problem{{"pagerduty.api_url", "must use https (set pagerduty.allow_http: true only for a local test server)"}}},
		{"oncall without pagerduty", map[string]string{"pagerduty": "-",
			"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], oncall: {schedules: [P1]}}")},
			[]Problem{{"resources[0].oncall", "on-call features are off without a pagerduty section: add one, or remove this block"}}},

		// store, audit, http
		{"store path empty", map[string]string{"store": "  path: \"\"\n"},
			[]Problem{{"store.path", "empty: name the database file, such as accessbot.db"}}},
		{"audit path is the store", map[string]string{"store": "  path: data/a.db\n", "audit": "  path: data/./a.db\n"},
			[]Problem{{"audit.path", "must not be the store file"}}},
		{"listen without port", map[string]string{"http": "  listen: \"9090\"\n"},
			[]Problem{{"http.listen", `"9090" is not host:port, such as 127.0.0.1:9090 or :9090`}}},
		{"listen port range", map[string]string{"http": "  listen: localhost:99999\n"},
			[]Problem{{"http.listen", `"localhost:99999" is not host:port, such as 127.0.0.1:9090 or :9090`}}},

		// admins
		{"admin not an email", map[string]string{"admins": "[secops@acme.com, bob]"},
			[]Problem{{"admins[1]", `"bob" is not an email`}}},
		{"admin twice", map[string]string{"admins": "[secops@acme.com, SecOps@acme.com]"},
			[]Problem{{"admins[1]", `duplicate admin "secops@acme.com" (also admins[0])`}}},

		// timing
		{"check interval zero", map[string]string{"timing": "  check_interval: 0s\n"},
			[]Problem{{"timing.check_interval", `"0s" is not a positive duration`}}},
		{"check interval below a second", map[string]string{"timing": "  check_interval: 500ms\n"},
			[]Problem{{"timing.check_interval", `"500ms" is not a duration: use a number and a unit (s, m, h, d, w), e.g. 4h`}}},
		{"reminder zero", map[string]string{"timing": "  reminders: [1h, 0m]\n"},
			[]Problem{{"timing.reminders[1]", `"0m" is not a positive duration`}}},
		{"pending ttl zero", map[string]string{"timing": "  pending_ttl: 0h\n"},
			[]Problem{{"timing.pending_ttl", `"0h" is not a positive duration`}}},
		{"removal alert zero", map[string]string{"timing": "  removal_alert_after: 0\n"},
			[]Problem{{"timing.removal_alert_after", "must be 1 or more (failed removal attempts before the audit channel is alerted)"}}},

		// resources
		{"no resources", map[string]string{"resources": "[]"},
			[]Problem{{"resources", "none: add at least one resource people may ask for, or a resource_sources rule"}}},
		{"id missing", map[string]string{"resources": items("{okta_group: g, approvers: [a@acme.com], durations: [1h]}")},
			[]Problem{{"resources[0].id", "missing: give the resource a short id people type in commands, such as aws-prod-read"}}},
		{"id upper case", map[string]string{"resources": items("{id: AWS-prod, okta_group: g, approvers: [a@acme.com], durations: [1h]}")},
			[]Problem{{"resources[0].id", `"AWS-prod" is not a valid id: use up to 63 lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (ids are typed in commands)`}}},
		{"id too long", map[string]string{"resources": items("{id: " + strings.Repeat("a", 64) + ", okta_group: g, approvers: [a@acme.com], durations: [1h]}")},
			[]Problem{{"resources[0].id", `"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…" is not a valid id: use up to 63 lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (ids are typed in commands)`}}},
		{"duplicate id", map[string]string{"resources": items(okRes,
			"{id: aws-prod, okta_group: g1, approvers: [a@acme.com], durations: [1h]}",
			"{id: other, okta_group: g2, approvers: [a@acme.com], durations: [1h]}",
			"{id: aws-prod, okta_group: g3, approvers: [a@acme.com], durations: [1h]}")},
			[]Problem{{"resources[3].id", `duplicate id "aws-prod" (also resources[1])`}}},
		{"name too long", map[string]string{"resources": items("{id: a, name: " + strings.Repeat("é", 76) + ", okta_group: g, approvers: [a@acme.com], durations: [1h]}")},
			[]Problem{{"resources[0].name", "76 characters long; Slack shows at most 75"}}},
		{"no target", map[string]string{"resources": items("{id: a, approvers: [a@acme.com], durations: [1h]}")},
			[]Problem{{"resources[0]", "set one of okta_group (an Okta group id) or okta_app (an Okta app id)"}}},
		{"two targets", map[string]string{"resources": items("{id: a, okta_group: g, okta_app: p, approvers: [a@acme.com], durations: [1h]}")},
			[]Problem{{"resources[0].okta_app", "set only one of okta_group and okta_app"}}},
		{"target not an id", map[string]string{"resources": items("{id: a, okta_app: ../users, approvers: [a@acme.com], durations: [1h]}")},
			[]Problem{{"resources[0].okta_app", `"../users" is not an Okta id: use the id from the Okta admin console, such as 00g1abcdEFGH`}}},
		{"approvers missing", map[string]string{"resources": items("{id: a, okta_group: g, durations: [1h]}")},
			[]Problem{{"resources[0].approvers", "missing: list the people who may approve (emails, okta_group:<id> or slack_usergroup:<id>), or approval_steps"}}},
		{"approvers empty", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [], durations: [1h]}")},
			[]Problem{{"resources[0].approvers", "empty: list at least one approver (an email, okta_group:<id> or slack_usergroup:<id>)"}}},
		{"approver not an email", map[string]string{"resources": items(okRes, strings.Replace(okRes, "id: ok", "id: ok2", 1),
			"{id: c, okta_group: g, approvers: [bob, carol@acme], durations: [1h]}")},
			[]Problem{
				{"resources[2].approvers[0]", `"bob" is not an email, okta_group:<Okta group id> or slack_usergroup:<Slack user group id>`},
				{"resources[2].approvers[1]", `"carol@acme" is not an email, okta_group:<Okta group id> or slack_usergroup:<Slack user group id>`},
			}},
		{"approver twice", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com, b@acme.com, A@Acme.com], durations: [1h]}")},
			[]Problem{{"resources[0].approvers[2]", `duplicate approver "a@acme.com" (also resources[0].approvers[0])`}}},
		{"unknown policy", map[string]string{
			"policies":  "\n  standard: {durations: [1h]}\n  restricted: {durations: [1h]}\n",
			"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], policy: standrd}")},
			[]Problem{{"resources[0].policy", `unknown policy "standrd" (known: restricted, standard)`}}},
		{"unknown policy, none defined", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], policy: standard}")},
			[]Problem{{"resources[0].policy", `unknown policy "standard" (no policies are defined)`}}},
		{"durations missing", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com]}")},
			[]Problem{{"resources[0].durations", "missing: list the durations people may choose, such as [1h, 4h, 1d]"}}},
		{"durations empty", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: []}")},
			[]Problem{{"resources[0].durations", "empty: list at least one duration"}}},
		{"duration does not parse", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h, 2 hours]}")},
			[]Problem{{"resources[0].durations[1]", `"2 hours" is not a duration: use a number and a unit (s, m, h, d, w), e.g. 4h`}}},
		{"duration over max", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h, 1d, 2w], max_duration: 4h}")},
			[]Problem{
				{"resources[0].durations[1]", "1d is longer than max_duration 4h"},
				{"resources[0].durations[2]", "2w is longer than max_duration 4h"},
			}},
		{"max duration does not parse", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], max_duration: 5x}")},
			[]Problem{{"resources[0].max_duration", `"5x" is not a duration: use a number and a unit (s, m, h, d, w), e.g. 4h`}}},
		{"min approvals zero", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], min_approvals: 0}")},
			[]Problem{{"resources[0].min_approvals", "must be at least 1"}}},
		{"min approvals above approvers", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com, b@acme.com], durations: [1h], min_approvals: 3}")},
			[]Problem{{"resources[0].min_approvals", "3, but there are only 2 approvers"}}},
		{"min approvals not a number", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], min_approvals: one}")},
			[]Problem{{"resources[0].min_approvals", `"one" is not a whole number`}}},
		{"negative extensions", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], extension: {max_extensions: -1}}")},
			[]Problem{{"resources[0].extension.max_extensions", "must be 0 or more"}}},
		{"requires approval not a bool", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], extension: {requires_approval: yes}}")},
			[]Problem{{"resources[0].extension.requires_approval", `"yes" is not true or false`}}},

		// oncall
		{"oncall trusts nothing", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], oncall: {auto_approve: true}}")},
			[]Problem{{"resources[0].oncall", "list at least one of schedules or escalation_policies"}}},
		{"oncall empty lists", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], oncall: {schedules: [], escalation_policies: []}}")},
			[]Problem{{"resources[0].oncall", "list at least one of schedules or escalation_policies"}}},
		{"oncall empty id", map[string]string{"resources": items(`{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], oncall: {schedules: [P1, ""], escalation_policies: [" "]}}`)},
			[]Problem{
				{"resources[0].oncall.schedules[1]", "empty id"},
				{"resources[0].oncall.escalation_policies[0]", "empty id"},
			}},
		{"oncall null id", map[string]string{"resources": items(`{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], oncall: {schedules: [P1, ~]}}`)},
			[]Problem{{"resources[0].oncall.schedules[1]", "empty list item"}}},
		{"oncall level", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], oncall: {schedules: [P1], max_escalation_level: -1}}")},
			[]Problem{{"resources[0].oncall.max_escalation_level", "must be 1 or more (or 0, or left out, for any level)"}}},
		{"break-glass over max", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h, 4h], oncall: {schedules: [P1], break_glass: true, break_glass_duration: 8h}}")},
			[]Problem{{"resources[0].oncall.break_glass_duration", "8h is longer than max_duration 4h"}}},

		// policies
		{"policy duration over its max, reported once", map[string]string{
			"policies":  "\n  std:\n    durations: [1h, 1d]\n    max_duration: 4h\n",
			"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], policy: std}", "{id: b, okta_group: g, approvers: [a@acme.com], policy: std}")},
			[]Problem{{"policies.std.durations[1]", "1d is longer than max_duration 4h"}}},
		{"policy problems without users", map[string]string{
			"policies": "\n  unused:\n    min_approvals: 0\n    approvers: [nobody]\n    extension: {max_extensions: -2}\n"},
			[]Problem{
				{"policies.unused.min_approvals", "must be at least 1"},
				{"policies.unused.approvers[0]", `"nobody" is not an email, okta_group:<Okta group id> or slack_usergroup:<Slack user group id>`},
				{"policies.unused.extension.max_extensions", "must be 0 or more"},
			}},
		{"resource max below policy durations", map[string]string{
			"policies":  "\n  std: {durations: [1h, 4h, 3h]}\n",
			"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], policy: std, max_duration: 2h}")},
			[]Problem{{"resources[0].max_duration", `2h is shorter than 4h, one of the durations of policy "std"`}}},
		{"resource durations above policy max", map[string]string{
			"policies":  "\n  std: {durations: [1h], max_duration: 2h}\n",
			"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], policy: std, durations: [1h, 3h]}")},
			[]Problem{{"resources[0].durations[1]", `3h is longer than max_duration 2h (from policy "std")`}}},
		{"resource approvers below policy minimum", map[string]string{
			"policies":  "\n  std: {durations: [1h], min_approvals: 2}\n",
			"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], policy: std}")},
			[]Problem{{"resources[0].approvers", `1 approver, fewer than min_approvals 2 of policy "std"`}}},
		{"policy approvers below resource minimum", map[string]string{
			"policies":  "\n  std: {durations: [1h], approvers: [a@acme.com, b@acme.com]}\n",
			"resources": items("{id: a, okta_group: g, policy: std, min_approvals: 3}")},
			[]Problem{{"resources[0].min_approvals", `3, but there are only 2 approvers (from policy "std")`}}},
		{"unknown policy key", map[string]string{"policies": "\n  std: {durations: [1h], oncall: {}}\n"},
			[]Problem{{"policies.std.oncall", "unknown key"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(configWith(tt.with), envFrom(nil))
			checkProblems(t, err, tt.want)
		})
	}
}

// TestRulesAccept checks values near the rules' edges that are valid.
func TestRulesAccept(t *testing.T) {
	tests := []struct {
		name string
		with map[string]string
	}{
		{"private channel", map[string]string{"slack": "  app_token: xapp-1\n  bot_token: xoxb-1\n  audit_channel: G01ABCDEF\n"}},
		{"http org with allow_http", map[string]string{"okta": "  org_url: http://127.0.0.1:8080/\n  api_token: t\n  allow_http: true\n"}},
		{"http slack with allow_http", map[string]string{"slack": "  app_token: xapp-1\n  bot_token: xoxb-1\n  api_url: http://127.0.0.1:4000/api/\n  allow_http: true\n"}},
		{"http pagerduty with allow_http", map[string]string{"pagerduty": "  api_token: t\n  api_url: http://127.0.0.1:5000\n  allow_http: true\n"}},
		{"https with allow_http", map[string]string{"slack": "  app_token: xapp-1\n  bot_token: xoxb-1\n  api_url: https://slack.com/api/\n  allow_http: true\n"}},
		{"listen on any port", map[string]string{"http": "  listen: \":0\"\n"}},
		{"listen on ipv6", map[string]string{"http": "  listen: \"[::1]:9090\"\n"}},
		{"no reminders", map[string]string{"timing": "  reminders: []\n"}},
		{"level zero is any level", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], oncall: {schedules: [P1], max_escalation_level: 0}}")}},
		{"zero extensions", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], extension: {max_extensions: 0}}")}},
		{"longest id", map[string]string{"resources": items("{id: " + strings.Repeat("a", 63) + ", okta_group: g, approvers: [a@acme.com], durations: [1h]}")}},
		{"longest name", map[string]string{"resources": items("{id: a, name: " + strings.Repeat("é", 75) + ", okta_group: g, approvers: [a@acme.com], durations: [1h]}")}},
		{"no pagerduty, no oncall", map[string]string{"pagerduty": "-"}},
		{"empty sections", map[string]string{"store": "", "audit": "", "http": "", "timing": "", "policies": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseValid(t, configWith(tt.with), envFrom(nil))
		})
	}
}
