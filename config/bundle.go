package config

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accessbot/accessbot/access"
)

// fileBundle is one entry of bundles: several configured resources granted
// with one request and one decision.
type fileBundle struct {
	ID          string          `yaml:"id"`
	Name        string          `yaml:"name"`
	Description string          `yaml:"description"`
	Resources   []string        `yaml:"resources"`
	Durations   []time.Duration `yaml:"durations"`
	MaxDuration *time.Duration  `yaml:"max_duration"`
	Approvers   []string        `yaml:"approvers"`
	// MinApprovals and Extension default to the strictest of the members'.
	MinApprovals *int           `yaml:"min_approvals"`
	Extension    *fileExtension `yaml:"extension"`
}

// Bundles returns the bundles, in file order, as resources whose Members
// name the resources they grant (access.Resource.IsBundle). The result is
// a copy the caller may keep.
func (c *Config) Bundles() []access.Resource {
	out := make([]access.Resource, len(c.bundles))
	for i, b := range c.bundles {
		b.Approvers, b.Durations, b.Members = slices.Clone(b.Approvers), slices.Clone(b.Durations), slices.Clone(b.Members)
		out[i] = b
	}
	return out
}

// bundles checks the bundles against the resources they name. What a bundle
// leaves out it takes from its members, the strictest way: the approvers
// eligible for every member, the durations every member offers, the
// shortest max_duration, the most min_approvals, the fewest extensions, and
// approval for extensions if any member wants it.
func (c *checker) bundles(list []fileBundle, resources []access.Resource) []access.Resource {
	var out []access.Resource
	byID := map[string]*access.Resource{}
	for i := range resources {
		byID[resources[i].ID] = &resources[i]
	}
	firstID := map[string]int{}
	for i := range list {
		f, path := &list[i], indexPath("bundles", i)
		b := access.Resource{ID: f.ID, Name: strings.TrimSpace(f.Name), Description: f.Description}
		switch {
		case f.ID == "":
			c.add(path+".id", "missing: give the bundle a short id people type in commands, such as oncall-kit")
		case !resourceID.MatchString(f.ID):
			c.add(path+".id", "%s is not a valid id: use up to 63 lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (ids are typed in commands)", c.show(path+".id", f.ID))
		case byID[f.ID] != nil:
			c.add(path+".id", "%s is also the id of a resource; bundles and resources share one list of ids", c.show(path+".id", f.ID))
		default:
			if j, dup := firstID[f.ID]; dup {
				c.add(path+".id", "duplicate id %s (also %s)", c.show(path+".id", f.ID), indexPath("bundles", j))
			}
			firstID[f.ID] = i
		}
		if b.Name == "" {
			b.Name = f.ID
		}
		if n := utf8.RuneCountInString(b.Name); n > maxNameLength {
			c.add(path+".name", "%d characters long; Slack shows at most %d", n, maxNameLength)
		}
		var members []*access.Resource
		if len(f.Resources) < 2 {
			c.add(path+".resources", "list at least two resource ids: a bundle grants several resources together")
		}
		for k, id := range f.Resources {
			m := byID[id]
			switch {
			case m == nil:
				c.add(indexPath(path+".resources", k), "unknown resource %s: a bundle's members are ids from resources", c.show(indexPath(path+".resources", k), id))
			case slices.Contains(b.Members, id):
				c.add(indexPath(path+".resources", k), "%s is listed twice", c.show(indexPath(path+".resources", k), id))
			default:
				b.Members = append(b.Members, id)
				members = append(members, m)
			}
		}
		if len(members) == 0 {
			out = append(out, b)
			continue
		}
		c.bundleSettings(f, path, &b, members)
		out = append(out, b)
	}
	return out
}

func (c *checker) bundleSettings(f *fileBundle, path string, b *access.Resource, members []*access.Resource) {
	// Approvers: the bundle's own, else those eligible for every member.
	if f.Approvers != nil {
		b.Approvers = c.emails(path+".approvers", f.Approvers, "approver")
		if len(f.Approvers) == 0 {
			c.add(path+".approvers", "empty: list at least one approver's email, or leave approvers out to use those of every member")
		}
	} else {
		b.Approvers = slices.Clone(members[0].Approvers)
		for _, m := range members[1:] {
			b.Approvers = slices.DeleteFunc(b.Approvers, func(a string) bool { return !m.IsApprover(a) })
		}
		if len(b.Approvers) == 0 {
			c.add(path+".approvers", "nobody approves every member (%s): set the bundle's own approvers", memberIDs(members))
		}
	}
	// Durations: the bundle's own, else those every member offers.
	if f.Durations != nil {
		for _, d := range f.Durations {
			if d > 0 && !slices.Contains(b.Durations, d) {
				b.Durations = append(b.Durations, d)
			}
		}
		slices.Sort(b.Durations)
		if len(b.Durations) == 0 {
			c.add(path+".durations", "empty: list at least one duration")
		}
	} else {
		b.Durations = slices.Clone(members[0].Durations)
		for _, m := range members[1:] {
			b.Durations = slices.DeleteFunc(b.Durations, func(d time.Duration) bool { return !m.AllowsDuration(d) })
		}
		if len(b.Durations) == 0 {
			c.add(path+".durations", "the members (%s) share no duration: set the bundle's own durations", memberIDs(members))
		}
	}
	b.MaxDuration = members[0].MaxDuration
	b.MinApprovals = 1
	b.Extension = members[0].Extension
	for _, m := range members {
		if m.MaxDuration > 0 && (b.MaxDuration == 0 || m.MaxDuration < b.MaxDuration) {
			b.MaxDuration = m.MaxDuration
		}
		b.MinApprovals = max(b.MinApprovals, m.RequiredApprovals())
		b.Extension.MaxExtensions = min(b.Extension.MaxExtensions, m.Extension.MaxExtensions)
		b.Extension.RequiresApproval = b.Extension.RequiresApproval || m.Extension.RequiresApproval
	}
	if f.MaxDuration != nil {
		b.MaxDuration = *f.MaxDuration
	}
	if f.MinApprovals != nil {
		b.MinApprovals = *f.MinApprovals
		if b.MinApprovals < 1 {
			c.add(path+".min_approvals", "must be at least 1")
		}
	}
	if f.Extension != nil && f.Extension.MaxExtensions != nil {
		b.Extension.MaxExtensions = *f.Extension.MaxExtensions
	}
	if f.Extension != nil && f.Extension.RequiresApproval != nil {
		b.Extension.RequiresApproval = *f.Extension.RequiresApproval
	}
	for k, d := range b.Durations {
		if b.MaxDuration > 0 && d > b.MaxDuration {
			c.add(path+".durations", "%s (choice %d) is longer than the bundle's max_duration %s", access.FormatDuration(d), k+1, access.FormatDuration(b.MaxDuration))
		}
	}
	if len(b.Approvers) > 0 && b.MinApprovals > len(b.Approvers) {
		c.add(path+".min_approvals", "%d, but only %s may approve the bundle", b.MinApprovals, count(len(b.Approvers), "approver"))
	}
}

func memberIDs(members []*access.Resource) string {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	return strings.Join(ids, ", ")
}
