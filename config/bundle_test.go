package config

import (
	"slices"
	"testing"
	"time"
)

const bundleResources = "\n" +
	"  - {id: db, okta_group: 00gdb, approvers: [a@acme.com, b@acme.com], durations: [1h, 4h], max_duration: 8h, extension: {max_extensions: 2, requires_approval: false}}\n" +
	"  - {id: app, okta_app: 0oaapp, approvers: [b@acme.com, c@acme.com], durations: [1h, 2h, 4h], max_duration: 4h, min_approvals: 2, extension: {max_extensions: 1, requires_approval: true}}\n" +
	"  - {id: solo, okta_group: 00gsolo, approvers: [z@acme.com], durations: [1h]}\n"

func TestBundleTakesTheStrictestOfItsMembers(t *testing.T) {
	cfg := parseValid(t, configWith(map[string]string{
		"resources": bundleResources,
		"bundles":   "\n  - {id: kit, name: Debug kit, resources: [db, app], min_approvals: 1}\n",
	}), envFrom(nil))
	bs := cfg.Bundles()
	if len(bs) != 1 {
		t.Fatalf("bundles = %d", len(bs))
	}
	b := bs[0]
	if !b.IsBundle() || !slices.Equal(b.Members, []string{"db", "app"}) || b.Name != "Debug kit" {
		t.Errorf("bundle = %+v", b)
	}
	if !slices.Equal(b.Approvers, []string{"b@acme.com"}) {
		t.Errorf("approvers = %v, want only who approves every member", b.Approvers)
	}
	if !slices.Equal(b.Durations, []time.Duration{time.Hour, 4 * time.Hour}) || b.MaxDuration != 4*time.Hour {
		t.Errorf("durations %v max %v, want the shared ones and the shortest max", b.Durations, b.MaxDuration)
	}
	if b.MinApprovals != 1 || b.Extension.MaxExtensions != 1 || !b.Extension.RequiresApproval {
		t.Errorf("approvals %d extension %+v", b.MinApprovals, b.Extension)
	}
}

func TestBundleRules(t *testing.T) {
	tests := []struct {
		name, body string
		want       []Problem
	}{
		{"nobody eligible for all", "\n  - {id: kit, resources: [db, solo]}\n",
			[]Problem{{"bundles[0].approvers", "nobody approves every member (db, solo): set the bundle's own approvers"}}},
		{"unknown member", "\n  - {id: kit, resources: [db, nope], approvers: [a@acme.com]}\n",
			[]Problem{{"bundles[0].resources[1]", `unknown resource "nope": a bundle's members are ids from resources`}}},
		{"one member", "\n  - {id: kit, resources: [db], approvers: [a@acme.com]}\n",
			[]Problem{{"bundles[0].resources", "list at least two resource ids: a bundle grants several resources together"}}},
		{"id of a resource", "\n  - {id: db, resources: [db, app], approvers: [b@acme.com], min_approvals: 1}\n",
			[]Problem{{"bundles[0].id", `"db" is also the id of a resource; bundles and resources share one list of ids`}}},
		{"needs more approvers than it has", "\n  - {id: kit, resources: [db, app]}\n",
			[]Problem{{"bundles[0].min_approvals", "2, but only 1 approver may approve the bundle"}}},
		{"no shared duration", "\n  - {id: kit, resources: [db, solo], approvers: [a@acme.com], durations: []}\n",
			[]Problem{{"bundles[0].durations", "empty: list at least one duration"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(configWith(map[string]string{"resources": bundleResources, "bundles": tt.body}), envFrom(nil))
			checkProblems(t, err, tt.want)
		})
	}
}
