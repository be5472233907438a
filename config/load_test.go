package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       Problem
	}{
		{"bad indentation", "slack:\n  app_token: a\n bot_token: b\n",
			Problem{"", "line 2: invalid YAML: did not find expected key"}},
		{"unclosed list", "admins: [a@acme.com\nstore: {}\n",
			Problem{"", "line 1: invalid YAML: did not find expected ',' or ']'"}},
		{"tab indentation", "slack:\n\tapp_token: a\n",
			Problem{"", "line 2: invalid YAML: found character that cannot start any token"}},
		{"two documents", "slack: {}\n---\nokta: {}\n",
			Problem{"", "line 2: invalid YAML: a second document begins; the file must hold one"}},
		{"unknown anchor", "admins: *nobody\n",
			Problem{"", "invalid YAML: unknown anchor 'nobody' referenced"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data), envFrom(nil))
			checkProblems(t, err, []Problem{tt.want})
		})
	}
}

func TestParseUnknownKeys(t *testing.T) {
	tests := []struct {
		name string
		with map[string]string
		want []Problem
	}{
		{"close to a known key", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], aprovers: [b@acme.com], durations: [1h]}")},
			[]Problem{{"resources[0].aprovers", `unknown key (did you mean "approvers"?)`}}},
		{"nothing close", map[string]string{"slack": "  app_token: xapp-1\n  bot_token: xoxb-1\n  webhook: https://hooks.slack.com/x\n"},
			[]Problem{{"slack.webhook", "unknown key"}}},
		{"wrong case", map[string]string{"okta": "  org_url: https://acme.okta.com\n  API_Token: t\n"},
			[]Problem{
				{"okta.api_token", "missing"},
				{"okta.API_Token", `unknown key (did you mean "api_token"?)`},
			}},
		{"top level", map[string]string{"timing": "  check_interval: 1m\n", "policies": "\n  std: {durations: [1h]}\n"},
			nil},
		{"nested in oncall", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], oncall: {schedules: [P1], breakglass: true}}")},
			[]Problem{{"resources[0].oncall.breakglass", `unknown key (did you mean "break_glass"?)`}}},
		{"in extension", map[string]string{"policies": "\n  std:\n    durations: [1h]\n    extension: {max_extension: 1}\n"},
			[]Problem{{"policies.std.extension.max_extension", `unknown key (did you mean "max_extensions"?)`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(configWith(tt.with), envFrom(nil))
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkProblems(t, err, tt.want)
		})
	}

	t.Run("unknown section", func(t *testing.T) {
		data := append(configWith(nil), "slak:\n  bot_token: x\n"...)
		_, err := Parse(data, envFrom(nil))
		checkProblems(t, err, []Problem{{"slak", `unknown key (did you mean "slack"?)`}})
	})
}

func TestParseReportsEveryProblemInDocumentOrder(t *testing.T) {
	data := `
slack:
  app_token: xoxb-wrong
  bot_token: ${SLACK_BOT_TOKEN}
  audit_channel: general
okta:
  org_url: http://acme.okta.com
admins: [secops]
timing:
  reminders: [1h, soon]
resources:
  - id: aws-prod
    okta_group: 00g1
    approvers: [alice@acme.com, bob]
    durations: [1h, 4h]
    max_duration: 2h
  - id: aws-prod
    name: Second
    okta_app: 0oa1
    aprovers: [alice@acme.com]
    durations: [1h]
    oncall:
      auto_approve: true
`
	_, err := Parse([]byte(data), envFrom(nil))
	checkProblems(t, err, []Problem{
		{"slack.app_token", "this is a bot token (xoxb-…); it must be the app-level token (xapp-…) used for Socket Mode"},
		{"slack.bot_token", "environment variable SLACK_BOT_TOKEN is not set"},
		{"slack.audit_channel", `"general" is not a Slack channel id: use C or G followed by capital letters and digits, such as C0123456789`},
		{"okta.api_token", "missing"},
		{"okta.org_url", "must use https (set okta.allow_http: true only for a local test server)"},
		{"admins[0]", `"secops" is not an email`},
		{"timing.reminders[1]", `"soon" is not a duration: use a number and a unit (s, m, h, d, w), e.g. 4h`},
		{"resources[0].approvers[1]", `"bob" is not an email, okta_group:<Okta group id> or slack_usergroup:<Slack user group id>`},
		{"resources[0].durations[1]", "4h is longer than max_duration 2h"},
		{"resources[1].id", `duplicate id "aws-prod" (also resources[0])`},
		{"resources[1].approvers", "missing: list the people who may approve (emails, okta_group:<id> or slack_usergroup:<id>), or approval_steps"},
		{"resources[1].aprovers", `unknown key (did you mean "approvers"?)`},
		{"resources[1].oncall", "on-call features are off without a pagerduty section: add one, or remove this block"},
		{"resources[1].oncall", "list at least one of schedules or escalation_policies"},
	})
	if n := strings.Count(err.Error(), "\n"); n != 13 {
		t.Errorf("Error() has %d lines, want 14, one per problem:\n%s", n+1, err)
	}
}

func TestParseStructure(t *testing.T) {
	tests := []struct {
		name, data string
		want       []Problem
	}{
		{"empty file", "", []Problem{
			{"slack.app_token", "missing: set it to the app-level token (xapp-…) used for Socket Mode"},
			{"slack.bot_token", "missing: set it to the bot token (xoxb-…)"},
			{"okta.org_url", "missing: set it to your Okta org's URL, such as https://acme.okta.com"},
			{"okta.api_token", "missing"},
			{"resources", "none: add at least one resource people may ask for, or a resource_sources rule"},
		}},
		{"not a mapping", "- slack\n- okta\n", []Problem{
			{"", "the file must be a YAML mapping of sections (slack:, okta:, resources: …), not a list"},
		}},
		{"section is a list", string(configWith(map[string]string{"http": "[a, b]"})), []Problem{
			{"http", "expected a mapping of keys to values, not a list"},
		}},
		{"resource is not a mapping", string(configWith(map[string]string{"resources": items(okRes, "aws-prod")})), []Problem{
			{"resources[1]", "expected a mapping of keys to values, not a single value"},
		}},
		{"list is a value", string(configWith(map[string]string{"admins": "secops@acme.com"})), []Problem{
			{"admins", `expected a list (such as [a, b] or lines starting with "- "), not a single value`},
		}},
		{"value is a list", string(configWith(map[string]string{"store": "  path: [a, b]\n"})), []Problem{
			{"store.path", "expected a single value, not a list"},
		}},
		{"duplicate key", string(configWith(map[string]string{"slack": "  app_token: xapp-1\n  bot_token: xoxb-1\n  app_token: xapp-2\n"})), []Problem{
			{"slack.app_token", "duplicate key (also on line 2)"},
		}},
		{"duplicate policy", string(configWith(map[string]string{"policies": "\n  std: {durations: [1h]}\n  std: {durations: [2h]}\n"})), []Problem{
			{"policies.std", "duplicate key (also on line 15)"},
		}},
		{"empty list item", string(configWith(map[string]string{"admins": "\n  - secops@acme.com\n  -\n"})), []Problem{
			{"admins[1]", "empty list item"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data), envFrom(nil))
			checkProblems(t, err, tt.want)
		})
	}
}

func TestParseAliasesAndMergeKeys(t *testing.T) {
	data := `
slack: {app_token: xapp-1, bot_token: xoxb-1}
okta: {org_url: "https://acme.okta.com", api_token: t}
policies:
  base: &base
    durations: [1h, 4h]
    approvers: &sec [alice@acme.com, bob@acme.com]
resources:
  - id: a
    okta_group: g1
    approvers: *sec
    <<: {durations: [2h], min_approvals: 2}
  - id: b
    okta_group: g2
    <<: [*base, {durations: [1d], max_duration: 2d}]
    durations: [8h]
`
	cfg := parseValid(t, []byte(data), envFrom(nil))
	got := cfg.Resources()
	if len(got) != 2 {
		t.Fatalf("got %d resources, want 2", len(got))
	}
	if got[0].MinApprovals != 2 || !slices.Equal(got[0].Durations, []time.Duration{2 * time.Hour}) || len(got[0].Approvers) != 2 {
		t.Errorf("resource a = %+v, want the merged min_approvals and durations and the aliased approvers", got[0])
	}
	if !slices.Equal(got[1].Durations, []time.Duration{8 * time.Hour}) || got[1].MaxDuration != 48*time.Hour || len(got[1].Approvers) != 2 {
		t.Errorf("resource b = %+v, want its own durations over the merged ones, max_duration 2d and base's approvers", got[1])
	}

	_, err := Parse([]byte("slack:\n  <<: [a, b]\n"), envFrom(nil))
	if err == nil || !strings.Contains(err.Error(), "slack: << merges mappings; this list holds a single value") {
		t.Errorf("merging a list of values: error = %v", err)
	}
}

func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 {x: 1}\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d {<<: [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]}\n")
	}
	b.WriteString("slack: {<<: *a9}\n")
	_, err := Parse([]byte(b.String()), envFrom(nil))
	if err == nil || !strings.Contains(err.Error(), "the file is too large, or its aliases expand too far") {
		t.Fatalf("error = %.300v, want a size problem", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "accessbot.yaml")
	if err := os.WriteFile(path, Example(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, envFrom(exampleEnv)); err != nil {
		t.Fatalf("Load(example) = %v", err)
	}

	_, err := Load(filepath.Join(dir, "missing.yaml"), envFrom(exampleEnv))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Load(missing file) = %v, want a not-exist error naming the file", err)
	}

	if err := os.WriteFile(path, []byte("slack: ["), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path, envFrom(exampleEnv))
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Errorf("Load(bad YAML) = %v (%T), want *Problems", err, err)
	}
}
