package config

import (
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

func TestSourcesParsed(t *testing.T) {
	cfg := parseValid(t, configWith(map[string]string{
		"policies": "\n  std: {durations: [1h, 4h], approvers: [alice@acme.com]}\n",
		"resource_sources": "\n" +
			"  - okta_groups: {search: 'profile.name sw \"jit-aws-\"'}\n" +
			"    id: '{{ .Name | trimPrefix \"JIT \" | slug }}'\n" +
			"    policy: std\n" +
			"    approvers: [Bob@Acme.com]\n" +
			"    refresh: 30s\n" +
			"  - okta_apps: {filter: 'status eq \"ACTIVE\"', name_prefix: 'AWS '}\n" +
			"    policy: std\n",
	}), envFrom(nil))
	rules := cfg.Sources()
	if len(rules) != 2 {
		t.Fatalf("rules = %d, want 2", len(rules))
	}
	g, a := rules[0], rules[1]
	if g.GroupSearch != `profile.name sw "jit-aws-"` || g.Refresh != 30*time.Second || g.Key != "resource_sources[0]" {
		t.Errorf("group rule = %+v", g)
	}
	if len(g.Template.Approvers) != 1 || g.Template.Approvers[0] != "bob@acme.com" || len(g.Template.Durations) != 2 {
		t.Errorf("group rule settings = %+v, want the rule's approvers over the policy's durations", g.Template)
	}
	if !a.Apps || a.AppFilter != `status eq "ACTIVE"` || a.AppPrefix != "AWS " || a.Refresh != defaultRefresh {
		t.Errorf("app rule = %+v", a)
	}
	if got := g.Yield([]access.SourceItem{{ID: "00g1", Name: "JIT AWS Admin", Kind: access.TargetGroup}}); got[0].Resource.ID != "aws-admin" {
		t.Errorf("id template yields %+v, want aws-admin", got[0])
	}
	if got := a.Yield([]access.SourceItem{{ID: "0oa1", Name: "AWS Billing (read)", Kind: access.TargetApp}}); got[0].Resource.ID != "aws-billing-read" || got[0].Resource.Name != "AWS Billing (read)" {
		t.Errorf("default id and name = %+v, want aws-billing-read named after the label", got[0].Resource)
	}
}

func TestSourcesRules(t *testing.T) {
	const ok = "    approvers: [a@acme.com]\n    durations: [1h]\n"
	tests := []struct {
		name, body string
		want       []Problem
	}{
		{"neither query", "\n  - approvers: [a@acme.com]\n    durations: [1h]\n",
			[]Problem{{"resource_sources[0]", "set one of okta_groups: {search: …} (an Okta group search) or okta_apps: {filter: …, name_prefix: …}"}}},
		{"both queries", "\n  - okta_groups: {search: x}\n    okta_apps: {filter: y}\n" + ok,
			[]Problem{{"resource_sources[0].okta_apps", "set only one of okta_groups and okta_apps"}}},
		{"empty search", "\n  - okta_groups: {search: ' '}\n" + ok,
			[]Problem{{"resource_sources[0].okta_groups.search", `missing: give an Okta group search expression, such as 'profile.name sw "jit-aws-"'`}}},
		{"refresh zero", "\n  - okta_groups: {search: x}\n    refresh: 0s\n" + ok,
			[]Problem{{"resource_sources[0].refresh", `"0s" is not a positive duration`}}},
		{"misspelt field", "\n  - okta_groups: {search: x}\n    id: '{{ .Nmae }}'\n" + ok,
			[]Problem{{"resource_sources[0].id", `"{{ .Nmae }}" is not a valid template: template: source:1:3: executing "source" at <.Nmae>: can't evaluate field Nmae in type access.SourceItem (use fields .Name, .Description, .ID, .Kind and functions slug, lower, upper, trimPrefix, replace, as in "{{ .Name | slug }}")`}}},
		{"no approvers", "\n  - okta_groups: {search: x}\n    durations: [1h]\n",
			[]Problem{{"resource_sources[0].approvers", "missing: list the people who may approve (emails, okta_group:<id> or slack_usergroup:<id>), or approval_steps"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(configWith(map[string]string{"resource_sources": tt.body}), envFrom(nil))
			checkProblems(t, err, tt.want)
		})
	}
}
