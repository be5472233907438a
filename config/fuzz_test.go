package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/accessbot/accessbot/access"
)

// FuzzParse checks that no input makes Parse panic, that every failure is a
// *Problems, and that a valid result converts and satisfies the rules the
// rest of the bot relies on. Run with: go test -fuzz FuzzParse ./config/
func FuzzParse(f *testing.F) {
	f.Add(Example())
	f.Add(configWith(nil))
	f.Add([]byte(""))
	f.Add([]byte("slack: [\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("slack:\n  app_token: ${\n  bot_token: $${X}\n"))
	f.Add([]byte("a: &a {x: 1}\nslack: {<<: [*a, *a]}\nresources: [{<<: *a}]\n"))
	f.Add(configWith(map[string]string{"resources": items(
		"{id: AWS, okta_group: g, okta_app: a, approvers: [bob, Bob], durations: [0s, 1h], min_approvals: -1}",
		"{id: x, policy: nope, oncall: {schedules: [~], max_escalation_level: -3, break_glass: true, break_glass_duration: 2w}}",
	)}))
	f.Add(configWith(map[string]string{
		"policies":  "\n  p: {durations: [1d], max_duration: 1h, approvers: []}\n",
		"resources": items("{id: a, okta_group: g, policy: p, extension: {max_extensions: -1}}"),
		"timing":    "  reminders: [1h, 1h, 99999999999w]\n",
	}))
	env := envFrom(exampleEnv)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, env)
		if err != nil {
			var ps *Problems
			if !errors.As(err, &ps) || len(*ps) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty *Problems", err, err)
			}
			if cfg != nil {
				t.Fatal("Parse returned a Config with an error")
			}
			for _, p := range *ps {
				for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "OKTA_API_TOKEN", "PAGERDUTY_API_TOKEN"} {
					if strings.Contains(p.Message, exampleEnv[name]) {
						t.Fatalf("problem %q shows %s", p, name)
					}
				}
			}
			return
		}
		_ = cfg.Summary()
		_ = cfg.Timing()
		resources := cfg.Resources()
		catalog := access.NewCatalog(resources)
		for i := range resources {
			r := &resources[i]
			if got, err := catalog.Get(r.ID); err != nil || got.ID != r.ID {
				t.Fatalf("catalog.Get(%q) = %v, %v", r.ID, got, err)
			}
			if len(r.Durations) == 0 || len(r.Approvers) == 0 || r.MinApprovals < 1 || r.MinApprovals > len(r.Approvers) {
				t.Fatalf("valid resource breaks a rule: %+v", r)
			}
			for _, d := range r.Durations {
				if d <= 0 || d > r.MaxDuration {
					t.Fatalf("resource %s: duration %v outside (0, %v]", r.ID, d, r.MaxDuration)
				}
			}
			if r.Target.ID == "" || r.Extension.MaxExtensions < 0 {
				t.Fatalf("valid resource breaks a rule: %+v", r)
			}
			_ = r.BreakGlassDuration()
		}
	})
}
