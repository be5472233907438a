package main

import (
	"context"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/provisioner"
)

// skipWords say why an Okta item a rule matched yields no resource.
var skipWords = map[access.SkipReason]string{
	access.SkipTemplate:    "a template failed",
	access.SkipInvalidID:   "its id is not a valid resource id (up to 63 lower-case letters, digits, '.', '_' and '-'); set an id template",
	access.SkipDuplicateID: "an earlier item of this rule yields the same id; set an id template that tells them apart",
	access.SkipConfigured:  "a configured resource has this id, and wins",
	access.SkipOtherRule:   "an earlier rule yields this id, and wins",
}

// writeSourceYields asks Okta what each resource_sources rule matches now
// and prints the resources it yields and the items it skips, with why. It
// returns false when Okta refused or could not answer a rule.
func writeSourceYields(ctx context.Context, w io.Writer, cfg *config.Config) bool {
	rules := cfg.Sources()
	if len(rules) == 0 {
		return true
	}
	d, err := provisioner.New(ctx, provisioner.Options{
		OrgURL: cfg.Okta.OrgURL, Token: cfg.Okta.APIToken, AllowHTTP: cfg.Okta.AllowHTTP,
		RequestTimeout: cfg.Okta.RequestTimeout, Logger: zerolog.Nop(),
	})
	if err != nil {
		fmt.Fprintf(w, "FATAL    resource_sources: %v\n", err)
		return false
	}
	ok := true
	found := map[string][]access.SourceItem{}
	for _, rule := range rules {
		items, err := fetchSource(ctx, d, rule)
		if err != nil {
			fmt.Fprintf(w, "FATAL    %s: Okta did not answer the rule: %v\n", rule.Key, err)
			ok = false
			continue
		}
		found[sourceQuery(rule)] = items
	}
	_, yields := buildCatalog(cfg, found)
	for i, rule := range rules {
		what := fmt.Sprintf("Okta groups matching %q", rule.GroupSearch)
		if rule.Apps {
			what = fmt.Sprintf("Okta apps matching filter %q with labels starting %q", rule.AppFilter, rule.AppPrefix)
		}
		n := 0
		for _, d := range yields[i] {
			if d.Skip == "" {
				n++
			}
		}
		fmt.Fprintf(w, "%s (%s, refreshed every %s): %s\n", rule.Key, what, access.FormatDuration(rule.Refresh), nounCount(n, "resource"))
		for _, d := range yields[i] {
			if d.Skip == "" {
				fmt.Fprintf(w, "  %-30s %s (%s)\n", d.Resource.ID, d.Resource.Name, d.Resource.Target)
				continue
			}
			why := skipWords[d.Skip]
			if d.SkipDetail != "" {
				why += ": " + d.SkipDetail
			}
			fmt.Fprintf(w, "  skipped %s %q (%s) as %q: %s\n", d.Item.Kind, d.Item.Name, d.Item.ID, d.Resource.ID, why)
		}
	}
	return ok
}
