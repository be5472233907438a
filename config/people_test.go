package config

import (
	"reflect"
	"testing"
	"time"
)

// TestApproverGroupsAndNotify checks the syntax of approvers and notify
// entries and notify_max, each problem at its key path.
func TestApproverGroupsAndNotify(t *testing.T) {
	tests := []struct {
		name string
		with map[string]string
		want []Problem
	}{
		{"group without id", map[string]string{"resources": items("{id: a, okta_group: g, approvers: ['okta_group:', a@acme.com], durations: [1h]}")},
			[]Problem{{"resources[0].approvers[0]", `"okta_group:" names no group: write okta_group:<id>`}}},
		{"unknown prefix", map[string]string{"resources": items("{id: a, okta_group: g, approvers: ['github_team:sre'], durations: [1h]}")},
			[]Problem{{"resources[0].approvers[0]", `"github_team:sre" is not an email, okta_group:<Okta group id> or slack_usergroup:<Slack user group id>`}}},
		{"okta group id", map[string]string{"resources": items("{id: a, okta_group: g, approvers: ['okta_group:../x'], durations: [1h]}")},
			[]Problem{{"resources[0].approvers[0]", `"../x" is not an Okta group id: use the id from the Okta admin console, such as 00g1abcdEFGH`}}},
		{"usergroup handle", map[string]string{"resources": items("{id: a, okta_group: g, approvers: ['slack_usergroup:@sre'], durations: [1h]}")},
			[]Problem{{"resources[0].approvers[0]", `"@sre" is not a Slack user group id: use S followed by capital letters and digits, such as S0123ABCD (not the @handle)`}}},
		{"group twice", map[string]string{"resources": items("{id: a, okta_group: g, approvers: ['okta_group:00g1', 'okta_group:00g1'], durations: [1h]}")},
			[]Problem{{"resources[0].approvers[1]", `duplicate approver "okta_group:00g1" (also resources[0].approvers[0])`}}},
		{"notify empty and bad", map[string]string{"policies": "\n  std: {durations: [1h], notify: [], notify_max: 0}\n",
			"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], policy: std, notify: [bob]}")},
			[]Problem{
				{"resources[0].notify[0]", `"bob" is not an email, okta_group:<Okta group id> or slack_usergroup:<Slack user group id>`},
				{"policies.std.notify", "empty: list who is sent requests, or leave notify out to send them to the approvers"},
				{"policies.std.notify_max", "must be at least 1 (default 10)"},
			}},
		{"escalation incomplete", map[string]string{"policies": "\n  std: {durations: [1h], escalation: {approvers: []}}\n",
			"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], policy: std, escalation: {after: 2h, approvers: ['okta_group:']}}")},
			[]Problem{
				{"resources[0].escalation.approvers[0]", `"okta_group:" names no group: write okta_group:<id>`},
				{"policies.std.escalation.after", "missing: how long a request waits before the escalation approvers are asked, such as 4h"},
				{"policies.std.escalation.approvers", "empty: list at least one escalation approver"},
			}},
		{"on_behalf unknown", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], on_behalf: managers}")},
			[]Problem{{"resources[0].on_behalf", `"managers" is not allowed: use admins, approvers or anyone (or leave it out: nobody asks for others)`}}},
		{"delegation", map[string]string{"delegation": "\n  max: 0s\n  to: friends\n"},
			[]Problem{
				{"delegation.max", `"0s" is not a positive duration`},
				{"delegation.to", `"friends" is not allowed: use approvers (the delegate must approve some resource) or anyone`},
			}},
		{"steps beside approvers", map[string]string{"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], approval_steps: [{approvers: [b@acme.com]}], durations: [1h]}")},
			[]Problem{{"resources[0].approval_steps", "set either approvers or approval_steps, not both"}}},
		{"steps wrong", map[string]string{"resources": items("{id: a, okta_group: g, approval_steps: [{approvers: [b@acme.com], min_approvals: 2}, {min_approvals: 0}], durations: [1h]}")},
			[]Problem{
				{"resources[0].approval_steps[0].min_approvals", "2, but this step has only 1 approver"},
				{"resources[0].approval_steps[1].approvers", "missing: list who approves this step (emails, okta_group:<id> or slack_usergroup:<id>)"},
				{"resources[0].approval_steps[1].min_approvals", "must be at least 1"},
			}},
		{"nudge_after zero", map[string]string{"timing": "\n  nudge_after: 0s\n"},
			[]Problem{{"timing.nudge_after", `"0s" is not a positive duration`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(configWith(tt.with), envFrom(nil))
			checkProblems(t, err, tt.want)
		})
	}
}

// TestApproverGroupsAccepted checks that groups count as approvers of any
// size (min_approvals is checked live) and that the resource's notify wins.
func TestApproverGroupsAccepted(t *testing.T) {
	cfg, err := Parse(configWith(map[string]string{
		"policies":  "\n  std: {durations: [1h], notify: [a@acme.com], notify_max: 3}\n",
		"resources": items("{id: a, okta_group: g, approvers: ['okta_group:00gSRE', 'slack_usergroup:S0SRE', A@Acme.com], min_approvals: 3, policy: std, notify: ['slack_usergroup:S0SRE']}"),
	}), envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Resources()[0]
	if want := []string{"okta_group:00gSRE", "slack_usergroup:S0SRE", "a@acme.com"}; !reflect.DeepEqual(r.Approvers, want) {
		t.Errorf("approvers = %v, want %v", r.Approvers, want)
	}
	if !reflect.DeepEqual(r.Notify, []string{"slack_usergroup:S0SRE"}) || r.NotifyMax != 3 {
		t.Errorf("notify = %v max %d, want the resource's list and the policy's max 3", r.Notify, r.NotifyMax)
	}
	cfgSteps, err := Parse(configWith(map[string]string{
		"policies":  "\n  std: {durations: [1h], approvers: [x@acme.com]}\n",
		"resources": items("{id: a, okta_group: g, policy: std, approval_steps: [{approvers: [a@acme.com]}, {approvers: ['okta_group:00gOWN', a@acme.com], min_approvals: 2}]}"),
	}), envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	st := cfgSteps.Resources()[0]
	if len(st.Steps) != 2 || st.Steps[1].MinApprovals != 2 || !reflect.DeepEqual(st.Approvers, []string{"a@acme.com", "okta_group:00gOWN"}) {
		t.Errorf("steps %+v, approvers %v: want the resource's steps over the policy's approvers", st.Steps, st.Approvers)
	}
	if cfg.Timing().NudgeAfter != time.Hour {
		t.Errorf("nudge_after default = %v, want 1h", cfg.Timing().NudgeAfter)
	}
	cfg, err = Parse(configWith(map[string]string{
		"timing":    "\n  nudge_after: 90s\n",
		"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h], escalation: {after: 45s, approvers: [B@acme.com]}}"),
	}), envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if e := cfg.Resources()[0].Escalation; cfg.Timing().NudgeAfter != 90*time.Second || e == nil || e.After != 45*time.Second || e.Approvers[0] != "b@acme.com" {
		t.Errorf("seconds: nudge_after %v, escalation %+v", cfg.Timing().NudgeAfter, e)
	}
}
