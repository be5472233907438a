package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/config"
)

// sourceQuery names what a rule asks Okta for; rules that ask the same
// share one answer, and a reload that keeps a query keeps its answer.
func sourceQuery(r access.SourceRule) string {
	if r.Apps {
		return "apps\x00" + r.AppFilter + "\x00" + strings.ToLower(r.AppPrefix)
	}
	return "groups\x00" + r.GroupSearch
}

// fetchSource asks Okta for what rule matches, every page of it.
func fetchSource(ctx context.Context, d access.Discoverer, rule access.SourceRule) ([]access.SourceItem, error) {
	if rule.Apps {
		apps, err := d.ListApps(ctx, rule.AppFilter, rule.AppPrefix)
		if err != nil {
			return nil, fmt.Errorf("%s: list Okta apps: %w", rule.Key, err)
		}
		items := make([]access.SourceItem, len(apps))
		for i, a := range apps {
			items[i] = access.SourceItem{ID: a.ID, Name: a.Label, Kind: access.TargetApp}
		}
		return items, nil
	}
	groups, err := d.SearchGroups(ctx, rule.GroupSearch)
	if err != nil {
		return nil, fmt.Errorf("%s: search Okta groups: %w", rule.Key, err)
	}
	items := make([]access.SourceItem, len(groups))
	for i, g := range groups {
		items[i] = access.SourceItem{ID: g.ID, Name: g.Name, Description: g.Description, Kind: access.TargetGroup}
	}
	return items, nil
}

// buildCatalog merges cfg's resources and bundles with what each of its rules yields
// from found (Okta's answers by query; a query not yet answered yields
// nothing). It returns the catalog and each rule's yield, with what the
// merge skipped marked.
func buildCatalog(cfg *config.Config, found map[string][]access.SourceItem) (*access.Catalog, [][]access.Discovered) {
	rules := cfg.Sources()
	yields := make([][]access.Discovered, len(rules))
	for i := range rules {
		yields[i] = rules[i].Yield(found[sourceQuery(rules[i])])
	}
	return access.MergeCatalog(append(cfg.Resources(), cfg.Bundles()...), yields), yields
}

// configuredCatalog is cfg's resources and bundles, before anything is
// discovered.
func configuredCatalog(cfg *config.Config) *access.Catalog {
	cat, _ := buildCatalog(cfg, nil)
	return cat
}

// RefreshSources asks Okta again for what every resource_sources rule
// matches and, if that changes the requestable resources, swaps the
// catalog as a reload does, audited. A rule Okta does not answer keeps its
// last answer (a brief outage must not make resources vanish) and is
// reported in the returned error; the others are applied.
func (m *Main) RefreshSources(ctx context.Context) error {
	m.live.mu.Lock()
	cfg := m.live.cfg
	m.live.mu.Unlock()
	answers := map[string][]access.SourceItem{}
	var failed []string
	for _, rule := range cfg.Sources() {
		q := sourceQuery(rule)
		if _, done := answers[q]; done {
			continue
		}
		items, err := fetchSource(ctx, m.discoverer, rule)
		if err != nil {
			m.Logger.Warn().Err(err).Str("rule", rule.Key).Msg("resource source not refreshed; keeping what it yielded before")
			failed = append(failed, rule.Key)
			continue
		}
		answers[q] = items
	}
	m.live.mu.Lock()
	for q, items := range answers {
		m.live.found[q] = items
	}
	change, yields := m.applyLocked(ctx)
	cfg = m.live.cfg
	m.live.mu.Unlock()
	m.logSkipped(cfg, yields)
	if !change.Empty() {
		m.Logger.Info().Strs("added", change.Added).Strs("removed", change.Removed).Strs("repointed", change.Repointed).
			Msg("resources discovered from Okta changed")
		m.audit(ctx, access.EventResourcesRefreshed, changeDetails(change, nil))
	}
	if len(failed) > 0 {
		return fmt.Errorf("resource sources not refreshed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// logSkipped logs the Okta items a rule matched that yield no resource.
func (m *Main) logSkipped(cfg *config.Config, yields [][]access.Discovered) {
	rules := cfg.Sources()
	for i, ds := range yields {
		for _, d := range ds {
			if d.Skip != "" {
				m.Logger.Warn().Str("rule", rules[i].Key).Str("okta_id", d.Item.ID).Str("okta_name", d.Item.Name).
					Str("resource", d.Resource.ID).Str("skipped", string(d.Skip)).Str("detail", d.SkipDetail).
					Msg("Okta item matched by a resource source yields no resource")
			}
		}
	}
}

// refreshLoop evaluates each rule again every rule's refresh (the
// shortest, when rules differ) until ctx ends. Every replica runs it: the
// catalog lives in each process, and a follower's modal must list what
// the leader's does.
func (m *Main) refreshLoop(ctx context.Context) error {
	for {
		t := time.NewTimer(time.Hour)
		if every := m.refreshEvery(); every > 0 {
			t.Reset(every)
		} else {
			t.Stop() // no rules: wait for a reload to add some
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-m.refreshNow:
		}
		t.Stop()
		if err := m.RefreshSources(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Warn().Err(err).Msg("refresh resource sources")
		}
	}
}

// refreshEvery is the shortest refresh of the current rules; 0 for none.
func (m *Main) refreshEvery() time.Duration {
	m.live.mu.Lock()
	defer m.live.mu.Unlock()
	var every []time.Duration
	for _, r := range m.live.cfg.Sources() {
		every = append(every, r.Refresh)
	}
	if len(every) == 0 {
		return 0
	}
	return slices.Min(every)
}
