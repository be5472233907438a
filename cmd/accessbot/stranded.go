package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/store"
)

// A config edit can leave active grants behind: a resource removed from the
// file, or re-pointed to another Okta group or app, still has grants that
// were made on the old target. `validate` and the start-up checks read the
// store and say how many, so that an admin who edits the config knows what
// the edit leaves in Okta until those grants end.

// grantStore is what the count of stranded grants reads (*store.Store).
type grantStore interface {
	ListOpen(ctx context.Context) ([]*access.Request, error)
	Events(ctx context.Context, f access.EventFilter) ([]access.Event, error)
}

var _ grantStore = (*store.Store)(nil)

// storeWarning is one finding about the store, with the config key it
// concerns ("resources", "resources[2].okta_group").
type storeWarning struct {
	Path    string
	Message string
}

func (w storeWarning) String() string { return w.Path + ": " + w.Message }

// grantOnTarget is an active grant and the target it was made on; the zero
// Target when nothing recorded it.
type grantOnTarget struct {
	request *access.Request
	target  access.Target
	// unrecorded: made by an accessbot that did not record the target on
	// the grant; dryRun then comes from its provisioned event.
	unrecorded, dryRun bool
}

// readStrandedGrants opens the store at path for a moment and returns what
// strandedGrants finds. A missing store has no grants; a store another
// process holds (a running bot) cannot be read, which is itself a warning,
// not an error, so the caller goes on.
func readStrandedGrants(ctx context.Context, path string, resources []access.Resource) ([]storeWarning, error) {
	// Opening a missing store would create an empty one.
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	st, err := store.Open(path, store.Options{Timeout: storeLockWait})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return []storeWarning{{Path: "store.path", Message: fmt.Sprintf(
			"%s is in use by a running accessbot, so the active grants of removed or re-pointed resources could not be counted", path)}}, nil
	}
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return strandedGrants(ctx, st, resources)
}

// strandedGrants lists, for each resource id with active grants that is no
// longer in resources, how many it has and where they were granted; and for
// each resource whose target changed, how many active grants were made on
// the old one. Grants of standing access (never removed by accessbot) and
// dry-run grants (nothing was changed in Okta) are not counted. Removed
// resources come sorted by id, re-pointed ones in config order.
func strandedGrants(ctx context.Context, st grantStore, resources []access.Resource) ([]storeWarning, error) {
	grants, err := activeGrants(ctx, st)
	if err != nil || len(grants) == 0 {
		return nil, err
	}
	byResource := map[string][]grantOnTarget{}
	for _, g := range grants {
		byResource[g.request.ResourceID] = append(byResource[g.request.ResourceID], g)
	}

	var out []storeWarning
	inConfig := map[string]bool{}
	for i, r := range resources {
		inConfig[r.ID] = true
		// Grants made on a target r no longer points to. One whose target
		// is not recorded cannot be told apart, so it is left out here.
		var elsewhere []grantOnTarget
		for _, g := range byResource[r.ID] {
			if g.target != (access.Target{}) && g.target != r.Target {
				elsewhere = append(elsewhere, g)
			}
		}
		if len(elsewhere) == 0 {
			continue
		}
		out = append(out, storeWarning{
			Path:    fmt.Sprintf("resources[%d].okta_%s", i, r.Target.Kind),
			Message: repointedMessage(r, elsewhere),
		})
	}

	var removed []string
	for id := range byResource {
		if !inConfig[id] {
			removed = append(removed, id)
		}
	}
	slices.Sort(removed)
	for _, id := range removed {
		out = append(out, storeWarning{Path: "resources", Message: removedMessage(id, byResource[id])})
	}
	return out, nil
}

// repointedMessage says that r's grants made on other targets stay there
// until they end: "db-prod now points to the group 00g2, and 2 active grants
// were made on the group 00g1; they will be removed from the group 00g1 when
// they end, and new grants go to the group 00g2".
func repointedMessage(r access.Resource, gs []grantOnTarget) string {
	order, n := targetCounts(gs)
	head := fmt.Sprintf("%s now points to the %s, and %s", r.ID, r.Target, nounCount(len(gs), "active grant"))
	tail := ", and new grants go to the " + r.Target.String()
	if len(order) == 1 {
		they, were, end := "they", "were", "end"
		if len(gs) == 1 {
			they, were, end = "it", "was", "ends"
		}
		return fmt.Sprintf("%s %s made on the %s; %s will be removed from the %s when %s %s%s",
			head, were, order[0], they, order[0], they, end, tail)
	}
	return fmt.Sprintf("%s were made on other targets (%s); each will be removed from the target it was granted on when it ends%s",
		head, targetList(order, n), tail)
}

// removedMessage says what happens to the grants of a resource no longer in
// the config: "db-legacy was removed from the config and still has 3 active
// grants; they will still expire and be removed from the group 00g1 they
// were granted on".
func removedMessage(id string, gs []grantOnTarget) string {
	order, n := targetCounts(gs)
	head := fmt.Sprintf("%s was removed from the config and still has %s", id, nounCount(len(gs), "active grant"))
	they, were := "they", "were"
	if len(gs) == 1 {
		they, were = "it", "was"
	}
	switch {
	case len(order) > 1:
		return fmt.Sprintf("%s; each will still expire and be removed from the target it was granted on (%s)", head, targetList(order, n))
	case order[0] == (access.Target{}):
		return fmt.Sprintf("%s; %s will still expire, but the store has no record of the target %s %s granted on", head, they, they, were)
	}
	return fmt.Sprintf("%s; %s will still expire and be removed from the %s %s %s granted on", head, they, order[0], they, were)
}

// activeGrants returns the active grants accessbot will remove, each with the
// target its provisioned event recorded. The event is written in the same
// transaction as the grant's GrantedAt, with that time, so reading from the
// oldest grant's start finds every one without reading the whole trail into
// memory.
func activeGrants(ctx context.Context, st grantStore) ([]grantOnTarget, error) {
	open, err := st.ListOpen(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*grantOnTarget{}
	var since time.Time
	for _, r := range open {
		if r.State != access.StateActive || r.Grant.Standing {
			continue
		}
		if r.Grant.Prepared() { // the grant recorded its target
			if !r.Grant.DryRun {
				byID[r.ID] = &grantOnTarget{request: r, target: r.Grant.Target}
			}
			continue
		}
		byID[r.ID] = &grantOnTarget{request: r, unrecorded: true}
		if since.IsZero() || r.Grant.GrantedAt.Before(since) {
			since = r.Grant.GrantedAt
		}
	}
	if !since.IsZero() {
		// Grants made before grants recorded their target: read it from
		// their provisioned event.
		events, err := st.Events(ctx, access.EventFilter{Since: since})
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			g := byID[e.RequestID]
			if g == nil || !g.unrecorded || e.Type != access.EventProvisioned {
				continue
			}
			// The last provisioned event wins: a grant is provisioned once, but
			// a store repaired by hand may hold more.
			g.target, _ = access.ParseTarget(e.Details["target"])
			g.dryRun = e.Details["dry_run"] == "true"
		}
	}
	out := make([]grantOnTarget, 0, len(byID))
	for _, g := range byID {
		if !g.dryRun {
			out = append(out, *g)
		}
	}
	slices.SortFunc(out, func(a, b grantOnTarget) int { return cmp.Compare(a.request.ID, b.request.ID) })
	return out, nil
}

// targetCounts groups grants by target, in order of first appearance;
// grants without a recorded target come last, as the zero Target.
func targetCounts(gs []grantOnTarget) ([]access.Target, map[access.Target]int) {
	var order []access.Target
	n := map[access.Target]int{}
	for _, g := range gs {
		if n[g.target] == 0 {
			order = append(order, g.target)
		}
		n[g.target]++
	}
	slices.SortStableFunc(order, func(a, b access.Target) int {
		return cmp.Compare(boolInt(a == access.Target{}), boolInt(b == access.Target{}))
	})
	return order, n
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// targetList is "group 00g1 (2), app 0oa1 (1), 1 with no recorded target".
func targetList(order []access.Target, n map[access.Target]int) string {
	parts := make([]string, len(order))
	for i, t := range order {
		if t == (access.Target{}) {
			parts[i] = fmt.Sprintf("%d with no recorded target", n[t])
		} else {
			parts[i] = fmt.Sprintf("%s (%d)", t, n[t])
		}
	}
	return strings.Join(parts, ", ")
}
