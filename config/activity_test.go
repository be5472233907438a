package config

import (
	"testing"
	"time"
)

// The keys of issue "access that follows use": activity, usage_apps,
// standing, and the Okta poll intervals, each refused with its key path.
func TestUsageKeys(t *testing.T) {
	const res = "  - id: grafana\n    okta_app: 0oa1\n    approvers: [alice@acme.com, bob@acme.com]\n    durations: [1h, 4h]\n"
	tests := []struct {
		name string
		with map[string]string
		want []Problem
	}{
		{"activity without max_age", map[string]string{"resources": res + "    activity: {idle_after: 7d}\n"},
			[]Problem{{"resources[0].activity.max_age", "missing: how long the access may last however much it is used, such as 90d; after it, it must be asked for and approved again"}}},
		{"activity idle longer than max age", map[string]string{"resources": res + "    activity: {idle_after: 30d, max_age: 7d}\n"},
			[]Problem{{"resources[0].activity.idle_after", "4w2d is longer than max_age 1w"}}},
		{"activity with break-glass", map[string]string{"resources": res + "    activity: {idle_after: 7d, max_age: 90d}\n    oncall: {schedules: [P1], break_glass: true}\n"},
			[]Problem{{"resources[0].activity", "not allowed on a resource with on-call auto-approval or break-glass: access that lasts while it is used must be approved by a person, and is not for the most sensitive roles; remove activity or set oncall.auto_approve and oncall.break_glass to false"}}},
		{"activity from a policy with auto-approval", map[string]string{
			"policies":  "  daily:\n    durations: [1h]\n    activity: {idle_after: 7d, max_age: 90d}\n",
			"resources": "  - id: grafana\n    okta_app: 0oa1\n    approvers: [alice@acme.com]\n    policy: daily\n    oncall: {schedules: [P1], auto_approve: true}\n"},
			[]Problem{{"resources[0].oncall", `auto-approval and break-glass are not allowed with the activity-based duration of policy "daily": access that lasts while it is used must be approved by a person, and is not for the most sensitive roles; set auto_approve and break_glass to false, or use a policy without activity`}}},
		{"usage app id", map[string]string{"resources": res + "    usage_apps: [\"0oa 2\"]\n"},
			[]Problem{{"resources[0].usage_apps[0]", `"0oa 2" is not an Okta app id: use the id from the Okta admin console, such as 0oa1abcdEFGH`}}},
		{"standing", map[string]string{"resources": res + "    standing: never\n"},
			[]Problem{{"resources[0].standing", `"never" is not a choice: use allowed (the default) or forbidden (anyone holding it other than through accessbot is reported)`}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(configWith(tc.with), envFrom(nil))
			checkProblems(t, err, tc.want)
		})
	}
}

func TestUsagePollSeconds(t *testing.T) {
	cfg, err := Parse(configWith(map[string]string{
		"okta": "  org_url: https://acme.okta.com\n  api_token: t\n  usage_poll: 2s\n  reconcile_interval: 3s\n"}), envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Okta.UsagePoll != 2*time.Second || cfg.Okta.ReconcileInterval != 3*time.Second {
		t.Errorf("usage_poll %s, reconcile_interval %s; want 2s and 3s", cfg.Okta.UsagePoll, cfg.Okta.ReconcileInterval)
	}
	_, err = Parse(configWith(map[string]string{"okta": "  org_url: https://acme.okta.com\n  api_token: t\n  usage_poll: 0s\n"}), envFrom(nil))
	if err == nil {
		t.Error("usage_poll: 0s accepted")
	}
}
