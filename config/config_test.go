package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

func TestDefaults(t *testing.T) {
	cfg := parseValid(t, configWith(map[string]string{"pagerduty": "  api_token: pd\n"}), envFrom(nil))
	want := Config{
		Slack: Slack{AppToken: "xapp-1-A1-1-abc", BotToken: "xoxb-1-2-abc", APIURL: "https://slack.com/api/"},
		Okta: Okta{OrgURL: "https://acme.okta.com", APIToken: "okta-token", RequestTimeout: 30 * time.Second, RateLimitShare: 0.5,
			UsagePoll: 5 * time.Minute, ReconcileInterval: 15 * time.Minute},
		PagerDuty: &PagerDuty{APIToken: "pd", APIURL: "https://api.pagerduty.com", CacheTTL: 30 * time.Second},
		Store:     Store{Path: "accessbot.db"},
		Audit:     Audit{Path: "accessbot-audit.jsonl"},
		HTTP:      HTTP{Listen: ""},
		Admins:    []string{},
		Timings: Timing{
			CheckInterval:     30 * time.Second,
			Reminders:         []time.Duration{time.Hour, 10 * time.Minute},
			PendingTTL:        24 * time.Hour,
			RemovalAlertAfter: 5,
			NudgeAfter:        time.Hour,
		},
		Delegation: access.DelegationPolicy{Max: 30 * 24 * time.Hour, To: access.DelegateToApprovers},
	}
	got := *cfg
	got.resources, got.policies = nil, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n%+v\nwant\n%+v", got, want)
	}
	if cfg.Timing().PendingTTL != 24*time.Hour {
		t.Errorf("Timing().PendingTTL = %v", cfg.Timing().PendingTTL)
	}
}

func TestValuesAreKept(t *testing.T) {
	cfg := parseValid(t, configWith(map[string]string{
		"slack":     "  app_token: xapp-1\n  bot_token: xoxb-1\n  api_url: http://127.0.0.1:4000/api\n  allow_http: true\n  audit_channel: C0AUDIT\n",
		"okta":      "  org_url: https://acme.okta.com/\n  api_token: t\n  dry_run: true\n  request_timeout: 1m\n  rate_limit_share: 0.25\n",
		"pagerduty": "  api_token: pd\n  api_url: http://127.0.0.1:5000/\n  allow_http: true\n  cache_ttl: 2m\n",
		"store":     "  path: /var/lib/accessbot/state.db\n",
		"http":      "  listen: 127.0.0.1:9090\n",
		"admins":    "[SecOps@Acme.com]",
		"timing":    "  check_interval: 5s\n  reminders: [10m, 1d, 1h, 10m]\n  pending_ttl: 2d\n  removal_alert_after: 3\n",
	}), envFrom(nil))
	checks := []struct {
		name      string
		got, want any
	}{
		{"slack api url gains a slash", cfg.Slack.APIURL, "http://127.0.0.1:4000/api/"},
		{"slack allow http", cfg.Slack.AllowHTTP, true},
		{"audit channel", cfg.Slack.AuditChannel, "C0AUDIT"},
		{"org url loses its slash", cfg.Okta.OrgURL, "https://acme.okta.com"},
		{"dry run", cfg.Okta.DryRun, true},
		{"request timeout", cfg.Okta.RequestTimeout, time.Minute},
		{"rate limit share", cfg.Okta.RateLimitShare, 0.25},
		{"pagerduty api url loses its slash", cfg.PagerDuty.APIURL, "http://127.0.0.1:5000"},
		{"pagerduty allow http", cfg.PagerDuty.AllowHTTP, true},
		{"cache ttl", cfg.PagerDuty.CacheTTL, 2 * time.Minute},
		{"audit beside the store", cfg.Audit.Path, "/var/lib/accessbot/accessbot-audit.jsonl"},
		{"listen", cfg.HTTP.Listen, "127.0.0.1:9090"},
		{"admins lower case", cfg.Admins, []string{"secops@acme.com"}},
		{"check interval", cfg.Timings.CheckInterval, 5 * time.Second},
		{"removal alert", cfg.Timings.RemovalAlertAfter, 3},
		{"reminders longest first, once", cfg.Timings.Reminders, []time.Duration{24 * time.Hour, time.Hour, 10 * time.Minute}},
		{"Timing()", cfg.Timing(), access.Timing{PendingTTL: 48 * time.Hour, Reminders: []time.Duration{24 * time.Hour, time.Hour, 10 * time.Minute}, NudgeAfter: time.Hour}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		with map[string]string
		want string
	}{
		{nil, "config OK: 1 resource (1 group, 0 apps), 0 policies, on-call on for 0 resources"},
		{map[string]string{"pagerduty": "-", "okta": "  org_url: https://acme.okta.com\n  api_token: t\n  dry_run: true\n",
			"policies":  "\n  std: {durations: [1h]}\n",
			"resources": items(okRes, "{id: b, okta_app: p, approvers: [a@acme.com], policy: std}")},
			"config OK: 2 resources (1 group, 1 app), 1 policy, on-call off (no pagerduty section), Okta dry run (no changes will be made)"},
	}
	for _, tt := range tests {
		if got := parseValid(t, configWith(tt.with), envFrom(nil)).Summary(); got != tt.want {
			t.Errorf("Summary() = %q, want %q", got, tt.want)
		}
	}
}

func TestSecretsAreRedactedWhenPrinted(t *testing.T) {
	cfg := parseValid(t, Example(), envFrom(exampleEnv))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, *cfg)
		for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "OKTA_API_TOKEN", "PAGERDUTY_API_TOKEN"} {
			if strings.Contains(out, exampleEnv[name]) {
				t.Errorf("%s of the config shows %s:\n%s", verb, name, out)
			}
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s of the config does not say tokens were redacted:\n%s", verb, out)
		}
	}
}

func TestProblemsError(t *testing.T) {
	ps := Problems{{"", "line 3: invalid YAML: x"}, {"slack.app_token", "missing"}}
	want := "line 3: invalid YAML: x\nslack.app_token: missing"
	if got := ps.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
