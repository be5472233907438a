package config

import (
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
)

// defaultRefresh is how often a resource source is evaluated again when its
// rule does not say.
const defaultRefresh = 15 * time.Minute

// fileSource is one rule of resource_sources: the Okta groups or apps it
// matches become resources sharing its settings.
type fileSource struct {
	OktaGroups  *fileGroupQuery `yaml:"okta_groups"`
	OktaApps    *fileAppQuery   `yaml:"okta_apps"`
	ID          string          `yaml:"id"`
	Name        string          `yaml:"name"`
	Description string          `yaml:"description"`
	Policy      string          `yaml:"policy"`
	Approvers   []string        `yaml:"approvers"`
	Durations   []time.Duration `yaml:"durations"`
	MaxDuration *time.Duration  `yaml:"max_duration"`
	// MinApprovals and Extension override the policy's.
	MinApprovals *int           `yaml:"min_approvals"`
	Extension    *fileExtension `yaml:"extension"`
	Refresh      *time.Duration `yaml:"refresh"`
}

type fileGroupQuery struct {
	Search string `yaml:"search"`
}

type fileAppQuery struct {
	Filter     string `yaml:"filter"`
	NamePrefix string `yaml:"name_prefix"`
}

// Sources returns the resource_sources rules, in file order. The rules
// share nothing with the Config, so the caller may keep them.
func (c *Config) Sources() []access.SourceRule {
	out := make([]access.SourceRule, len(c.sources))
	copy(out, c.sources)
	return out
}

func (c *checker) sources(list []fileSource, policies map[string]filePolicy) []access.SourceRule {
	var out []access.SourceRule
	for i := range list {
		f, path := &list[i], indexPath("resource_sources", i)
		rule := access.SourceRule{Key: path, Refresh: defaultRefresh}
		switch {
		case f.OktaGroups != nil && f.OktaApps != nil:
			c.add(path+".okta_apps", "set only one of okta_groups and okta_apps")
		case f.OktaGroups != nil:
			rule.GroupSearch = strings.TrimSpace(f.OktaGroups.Search)
			if rule.GroupSearch == "" {
				c.add(path+".okta_groups.search", `missing: give an Okta group search expression, such as 'profile.name sw "jit-aws-"'`)
			}
		case f.OktaApps != nil:
			rule.Apps, rule.AppFilter, rule.AppPrefix = true, strings.TrimSpace(f.OktaApps.Filter), f.OktaApps.NamePrefix
		default:
			c.add(path, `set one of okta_groups: {search: …} (an Okta group search) or okta_apps: {filter: …, name_prefix: …}`)
		}
		rule.ID = c.sourceTemplate(path+".id", f.ID)
		rule.Name = c.sourceTemplate(path+".name", f.Name)
		rule.Description = c.sourceTemplate(path+".description", f.Description)
		if f.Refresh != nil {
			rule.Refresh = *f.Refresh
			if rule.Refresh <= 0 {
				c.add(path+".refresh", "must be a positive duration, such as 15m or 30s")
			}
		}

		var p *filePolicy
		complete := true
		if f.Policy != "" {
			if pol, ok := policies[f.Policy]; ok {
				p = &pol
			} else {
				c.add(path+".policy", "unknown policy %s (%s)", c.show(path+".policy", f.Policy), knownPolicies(policies))
				complete = false
			}
		}
		s := mergeSettings(path, &fileResource{
			Approvers: f.Approvers, Durations: f.Durations, MaxDuration: f.MaxDuration,
			MinApprovals: f.MinApprovals, Extension: f.Extension,
		}, p, f.Policy)
		t := &rule.Template
		t.Approvers, t.Durations = c.checkSettings(s, complete)
		t.MaxDuration, t.MinApprovals = s.maxDuration, s.minApprovals
		t.Extension = access.ExtensionPolicy{MaxExtensions: s.maxExtensions, RequiresApproval: s.requiresApproval}
		out = append(out, rule)
	}
	return out
}

// sourceTemplate parses an id, name or description template; "" is nil
// (the default).
func (c *checker) sourceTemplate(path, text string) *access.SourceTemplate {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	t, err := access.ParseSourceTemplate(text)
	if err != nil {
		c.add(path, "%s is not a valid template: %v (use fields .Name, .Description, .ID, .Kind and functions slug, lower, upper, trimPrefix, replace, as in \"{{ .Name | slug }}\")", c.show(path, text), err)
	}
	return t
}
