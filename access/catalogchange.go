package access

import (
	"slices"
)

// MergeCatalog builds the catalog people request from: the configured
// resources, in config order, then what each rule yielded, in rule order. A
// configured resource wins over a discovered one with the same id, and an
// earlier rule over a later one; the losers are marked skipped in place
// (SkipConfigured, SkipOtherRule) so check and the logs can say so.
func MergeCatalog(configured []Resource, discovered [][]Discovered) *Catalog {
	list := slices.Clone(configured)
	taken := make(map[string]bool, len(configured))
	for _, r := range configured {
		taken[r.ID] = true
	}
	fromRule := map[string]bool{}
	for _, ds := range discovered {
		for i := range ds {
			d := &ds[i]
			if d.Skip != "" {
				continue
			}
			switch {
			case taken[d.Resource.ID] && !fromRule[d.Resource.ID]:
				d.Skip = SkipConfigured
			case taken[d.Resource.ID]:
				d.Skip = SkipOtherRule
			default:
				taken[d.Resource.ID], fromRule[d.Resource.ID] = true, true
				list = append(list, d.Resource)
			}
		}
	}
	return NewCatalog(list)
}

// CatalogChange is what a reload or a refresh changed, by resource id.
type CatalogChange struct {
	Added, Removed   []string
	Repointed        []string // the Okta group or app changed
	ApproversChanged []string
	SettingsChanged  []string // durations, approvals, extension or on-call changed
}

// Empty reports whether nothing people can see or ask for changed.
func (c CatalogChange) Empty() bool {
	return len(c.Added)+len(c.Removed)+len(c.Repointed)+len(c.ApproversChanged)+len(c.SettingsChanged) == 0
}

// CompareCatalogs says what changed from old to new.
func CompareCatalogs(old, new *Catalog) CatalogChange {
	var c CatalogChange
	for _, n := range new.All() {
		o, ok := old.Lookup(n.ID)
		if !ok {
			c.Added = append(c.Added, n.ID)
			continue
		}
		if o.Target != n.Target {
			c.Repointed = append(c.Repointed, n.ID)
		}
		if !slices.Equal(o.Approvers, n.Approvers) {
			c.ApproversChanged = append(c.ApproversChanged, n.ID)
		}
		if !sameSettings(o, &n) {
			c.SettingsChanged = append(c.SettingsChanged, n.ID)
		}
	}
	for _, o := range old.All() {
		if _, ok := new.Lookup(o.ID); !ok {
			c.Removed = append(c.Removed, o.ID)
		}
	}
	return c
}

func sameSettings(a, b *Resource) bool {
	if a.Name != b.Name || a.Description != b.Description || !slices.Equal(a.Durations, b.Durations) || !slices.Equal(a.Members, b.Members) ||
		a.MaxDuration != b.MaxDuration || a.MinApprovals != b.MinApprovals || a.Extension != b.Extension {
		return false
	}
	if (a.OnCall == nil) != (b.OnCall == nil) {
		return false
	}
	if a.OnCall == nil {
		return true
	}
	x, y := *a.OnCall, *b.OnCall
	return slices.Equal(x.Schedules, y.Schedules) && slices.Equal(x.EscalationPolicies, y.EscalationPolicies) &&
		x.MaxEscalationLevel == y.MaxEscalationLevel && x.AutoApprove == y.AutoApprove &&
		x.BreakGlass == y.BreakGlass && x.BreakGlassDuration == y.BreakGlassDuration
}
