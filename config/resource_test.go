package config

import (
	"reflect"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

const (
	h = time.Hour
	d = 24 * time.Hour
)

func TestResourcesConversion(t *testing.T) {
	cfg, err := Parse(Example(), envFrom(exampleEnv))
	if err != nil {
		t.Fatal(err)
	}
	want := []access.Resource{
		{
			ID: "aws-prod-read", Name: "AWS Production (read)", Description: "Read-only role in the production account",
			Target:      access.Target{Kind: access.TargetGroup, ID: "00g1abcdEFGH"},
			Approvers:   []string{"alice@acme.com", "bob@acme.com"},
			Durations:   []time.Duration{h, 4 * h, d},
			MaxDuration: d, MinApprovals: 1,
			Extension: access.ExtensionPolicy{MaxExtensions: 2, RequiresApproval: true},
		},
		{
			ID: "aws-prod-admin", Name: "AWS Production (admin)", Description: "Administrator role in the production account",
			Target:    access.Target{Kind: access.TargetGroup, ID: "00g2abcdEFGH"},
			Approvers: []string{"alice@acme.com", "bob@acme.com", "carol@acme.com"},
			Notify:    []string{"alice@acme.com", "bob@acme.com"}, NotifyMax: 10,
			Escalation:  &access.Escalation{After: 4 * h, Approvers: []string{"secops@acme.com"}},
			OnBehalf:    access.OnBehalfApprovers,
			Durations:   []time.Duration{30 * time.Minute, h, 2 * h},
			MaxDuration: 2 * h, MinApprovals: 2,
			Extension: access.ExtensionPolicy{MaxExtensions: 1, RequiresApproval: true},
			OnCall: &access.OnCallPolicy{
				Schedules: []string{"PSCHED1"}, EscalationPolicies: []string{"PESC001"}, MaxEscalationLevel: 1,
				AutoApprove: true, BreakGlass: true, BreakGlassDuration: h,
			},
		},
		{
			ID: "gcp-prod-editor", Name: "GCP Production (editor)",
			Target:    access.Target{Kind: access.TargetGroup, ID: "00g3abcdEFGH"},
			Approvers: []string{"alice@acme.com", "dave@acme.com"},
			Steps: []access.ApprovalStep{
				{Approvers: []string{"alice@acme.com"}, MinApprovals: 1},
				{Approvers: []string{"dave@acme.com"}, MinApprovals: 1},
			},
			Durations:   []time.Duration{2 * h, 8 * h},
			MaxDuration: 12 * h, MinApprovals: 1,
			Extension: access.ExtensionPolicy{MaxExtensions: 3, RequiresApproval: true},
			OnCall:    &access.OnCallPolicy{Schedules: []string{}, EscalationPolicies: []string{"PESC002"}, AutoApprove: true},
		},
		{
			ID: "datadog-admin", Name: "Datadog (admin)", Description: "Admin role in Datadog",
			Target:    access.Target{Kind: access.TargetApp, ID: "0oa1abcdEFGH"},
			Approvers: []string{"erin@acme.com", "frank@acme.com", "okta_group:00g9abcdEFGH"},
			Notify:    []string{"erin@acme.com"}, NotifyMax: 5,
			Escalation:  &access.Escalation{After: 2 * h, Approvers: []string{"okta_group:00g8abcdEFGH"}},
			OnBehalf:    access.OnBehalfAdmins,
			Durations:   []time.Duration{h, 4 * h},
			MaxDuration: 4 * h, MinApprovals: 1,
			Extension:         access.DefaultExtensionPolicy,
			StandingForbidden: true,
		},
		{
			ID: "grafana-editor", Name: "Grafana (editor)",
			Target:      access.Target{Kind: access.TargetGroup, ID: "00g4abcdEFGH"},
			Approvers:   []string{"alice@acme.com", "bob@acme.com"},
			Durations:   []time.Duration{h, d},
			MaxDuration: d, MinApprovals: 1,
			Extension: access.DefaultExtensionPolicy,
			Activity:  &access.Activity{IdleAfter: 3 * d, MaxAge: 30 * d},
			UsageApps: []string{"0oa2abcdEFGH"},
		},
	}
	got := cfg.Resources()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Resources() =\n%+v\nwant\n%+v", got, want)
	}

	// The result is the caller's: changing it changes nothing in cfg.
	got[0].Approvers[0] = "mallory@evil.com"
	got[1].OnCall.Schedules[0] = "PEVIL"
	again := cfg.Resources()
	if again[0].Approvers[0] != "alice@acme.com" || again[1].OnCall.Schedules[0] != "PSCHED1" {
		t.Error("changing Resources()'s result changed the config")
	}
	if c := access.NewCatalog(again); len(c.All()) != 5 {
		t.Errorf("catalog holds %d resources", len(c.All()))
	}
}

func TestPolicyMerge(t *testing.T) {
	policies := `
  std:
    durations: [4h, 1h, 1d]
    max_duration: 2d
    min_approvals: 2
    extension: {max_extensions: 5, requires_approval: false}
    approvers: [Alice@Acme.com, bob@acme.com, carol@acme.com]
`
	tests := []struct {
		name     string
		resource string
		check    func(r access.Resource) bool
		want     string
	}{
		{"everything inherited", "{id: a, okta_group: g, policy: std}",
			func(r access.Resource) bool {
				return reflect.DeepEqual(r.Durations, []time.Duration{h, 4 * h, d}) && r.MaxDuration == 2*d &&
					r.MinApprovals == 2 && r.Extension == access.ExtensionPolicy{MaxExtensions: 5} &&
					reflect.DeepEqual(r.Approvers, []string{"alice@acme.com", "bob@acme.com", "carol@acme.com"})
			}, "the policy's settings, durations sorted, approvers lower case"},
		{"durations overridden", "{id: a, okta_group: g, policy: std, durations: [30m, 90m]}",
			func(r access.Resource) bool {
				return reflect.DeepEqual(r.Durations, []time.Duration{30 * time.Minute, 90 * time.Minute}) && r.MaxDuration == 2*d
			}, "own durations, the policy's max_duration"},
		{"max_duration overridden", "{id: a, okta_group: g, policy: std, max_duration: 1d}",
			func(r access.Resource) bool { return r.MaxDuration == d }, "own max_duration"},
		{"min_approvals overridden", "{id: a, okta_group: g, policy: std, min_approvals: 1}",
			func(r access.Resource) bool { return r.MinApprovals == 1 }, "own min_approvals"},
		{"approvers overridden, not added", "{id: a, okta_group: g, policy: std, min_approvals: 1, approvers: [dave@acme.com]}",
			func(r access.Resource) bool { return reflect.DeepEqual(r.Approvers, []string{"dave@acme.com"}) }, "own approvers only"},
		{"extension overridden key by key", "{id: a, okta_group: g, policy: std, extension: {max_extensions: 0}}",
			func(r access.Resource) bool {
				return r.Extension == access.ExtensionPolicy{MaxExtensions: 0, RequiresApproval: false}
			},
			"own max_extensions, the policy's requires_approval"},
		{"no policy: defaults", "{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h, 4h]}",
			func(r access.Resource) bool {
				return r.MaxDuration == 4*h && r.MinApprovals == 1 && r.Extension == access.DefaultExtensionPolicy && r.OnCall == nil && r.Name == "a"
			}, "max_duration the longest duration, 1 approval, the default extension policy, no on-call, name = id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseValid(t, configWith(map[string]string{"policies": policies, "resources": items(tt.resource)}), envFrom(nil))
			if r := cfg.Resources()[0]; !tt.check(r) {
				t.Errorf("resource = %+v\nwant %s", r, tt.want)
			}
		})
	}
}

func TestDurationsParse(t *testing.T) {
	cfg := parseValid(t, configWith(map[string]string{
		"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [2w, 90m, 1d, 1h30m, 45s, 1H]}"),
	}), envFrom(nil))
	want := []time.Duration{45 * time.Second, h, 90 * time.Minute, d, 14 * d}
	if got := cfg.Resources()[0].Durations; !reflect.DeepEqual(got, want) {
		t.Errorf("durations = %v, want %v (ascending, 90m and 1h30m once)", got, want)
	}
}

func TestBreakGlassDuration(t *testing.T) {
	tests := []struct {
		oncall string
		want   time.Duration
	}{
		{"{schedules: [P1], break_glass: true}", h},
		{"{schedules: [P1], break_glass: true, break_glass_duration: 30m}", 30 * time.Minute},
		{"{schedules: [P1]}", 0},
	}
	for _, tt := range tests {
		cfg := parseValid(t, configWith(map[string]string{
			"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [1h, 4h], oncall: " + tt.oncall + "}"),
		}), envFrom(nil))
		if got := cfg.Resources()[0].OnCall.BreakGlassDuration; got != tt.want {
			t.Errorf("oncall %s: break_glass_duration = %v, want %v", tt.oncall, got, tt.want)
		}
	}

	// A default longer than max_duration is capped rather than refused.
	cfg := parseValid(t, configWith(map[string]string{
		"resources": items("{id: a, okta_group: g, approvers: [a@acme.com], durations: [15m, 30m], oncall: {schedules: [P1], break_glass: true}}"),
	}), envFrom(nil))
	if got := cfg.Resources()[0].OnCall.BreakGlassDuration; got != 30*time.Minute {
		t.Errorf("default break-glass with max_duration 30m = %v, want 30m", got)
	}
}
