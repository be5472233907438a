package provisioner

import (
	"context"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/accessbot/accessbot/access"
)

var _ access.Discoverer = (*Okta)(nil)

// Page sizes asked of Okta: its maximum for each listing, to make as few
// requests as a large org allows.
const (
	appPageSize      = 200
	groupAppPageSize = 200
)

// SearchGroups returns every group matching the Okta search expression
// expr ("" for every group). See access.Discoverer.
func (o *Okta) SearchGroups(ctx context.Context, expr string) ([]access.OktaGroup, error) {
	var out []access.OktaGroup
	status, err := allPages(ctx, func(ctx context.Context) ([]*okta.Group, *okta.Response, error) {
		return o.client.Group.ListGroups(ctx, query.NewQueryParams(query.WithSearch(expr)))
	}, func(groups []*okta.Group) {
		for _, g := range groups {
			if g == nil || g.Id == "" {
				continue
			}
			og := access.OktaGroup{ID: g.Id}
			if g.Profile != nil {
				og.Name, og.Description = g.Profile.Name, g.Profile.Description
			}
			out = append(out, og)
		}
	})
	if err != nil {
		return nil, o.failQuery(status, err, "search groups %q", expr)
	}
	return out, nil
}

// ListApps returns every app matching the Okta filter whose label or name
// starts with labelPrefix. See access.Discoverer.
func (o *Okta) ListApps(ctx context.Context, filter, labelPrefix string) ([]access.OktaApp, error) {
	var out []access.OktaApp
	status, err := allPages(ctx, func(ctx context.Context) ([]*okta.Application, *okta.Response, error) {
		apps, resp, err := o.client.Application.ListApplications(ctx, query.NewQueryParams(
			query.WithFilter(filter), query.WithQ(labelPrefix), query.WithLimit(appPageSize)))
		return concreteApps(apps), resp, err
	}, func(apps []*okta.Application) { out = appendApps(out, apps) })
	if err != nil {
		return nil, o.failQuery(status, err, "list apps (filter %q, label prefix %q)", filter, labelPrefix)
	}
	return out, nil
}

// GroupApps returns the apps assigned to the group. See access.Discoverer.
func (o *Okta) GroupApps(ctx context.Context, groupID string) ([]access.OktaApp, error) {
	var out []access.OktaApp
	status, err := allPages(ctx, func(ctx context.Context) ([]*okta.Application, *okta.Response, error) {
		apps, resp, err := o.client.Group.ListAssignedApplicationsForGroup(ctx, seg(groupID),
			query.NewQueryParams(query.WithLimit(groupAppPageSize)))
		return concreteApps(apps), resp, err
	}, func(apps []*okta.Application) { out = appendApps(out, apps) })
	if err != nil {
		return nil, o.fail(status, err, "list apps of group %s", groupID)
	}
	return out, nil
}

// concreteApps turns the SDK's first page of apps (an interface, which
// json cannot decode later pages into) into the concrete type.
func concreteApps(apps []okta.App) []*okta.Application {
	out := make([]*okta.Application, 0, len(apps))
	for _, a := range apps {
		if app, ok := a.(*okta.Application); ok {
			out = append(out, app)
		}
	}
	return out
}

func appendApps(out []access.OktaApp, apps []*okta.Application) []access.OktaApp {
	for _, a := range apps {
		if a != nil && a.Id != "" {
			out = append(out, access.OktaApp{ID: a.Id, Label: a.Label, Status: a.Status})
		}
	}
	return out
}
